//! Gumbel-max sampling: `argmax_i (x_i / T + g_i)`.

use crate::error::{Error, check_len};
use crate::noise::lanes::lane_state;
use crate::simd::Backend;
use crate::simd::element::Element;
use crate::simd::source::{Input, InputKind, Logits, Probs};

use super::{Temperature, finish, greedy, score_scale};

/// One row with noise from a slice (validated lengths, any ISA).
pub(crate) fn row_with_noise<I: Input, L: Element>(
    b: Backend,
    x: &[L],
    noise: &[f32],
    t: Temperature,
    row: usize,
) -> Result<usize, Error> {
    match t {
        Temperature::Greedy => greedy::<I, L>(b, x, row),
        Temperature::Positive(t) => {
            let a = b.gumbel_max_noise::<I, L>(x, noise, score_scale(t));
            match finish::<I, L>(a, x, Some(noise), row) {
                Err(Error::ScoreOverflow { .. }) => Ok(argmax_f64::<I, L>(x, noise, t)),
                r => r,
            }
        }
    }
}

/// One row with noise generated in registers from `(seed, stream)`.
pub(crate) fn row_fused<I: Input, L: Element>(
    b: Backend,
    x: &[L],
    seed: u64,
    stream: u64,
    t: Temperature,
    row: usize,
) -> Result<usize, Error> {
    match t {
        Temperature::Greedy => greedy::<I, L>(b, x, row),
        Temperature::Positive(t) => {
            let st = lane_state(seed, stream);
            // No f64 fallback needed: fused noise lies in [-3.13, 22.88], and the
            // score `x + T·g` (T <= 1) or `x/T + g` (T > 1) of a finite x cannot
            // leave the f32 range by adding so little (half an ulp of f32::MAX is 2^103).
            finish::<I, L>(
                b.gumbel_max_fused::<I, L>(x, &st, score_scale(t)),
                x,
                None,
                row,
            )
        }
    }
}

/// Scalar f64 fallback for rows whose f32 scores overflow (all inputs finite or masked):
/// `argmax_i (x_i/T + g_i)` in f64, where nothing overflows; lowest index on ties.
#[cold]
fn argmax_f64<I: Input, L: Element>(x: &[L], noise: &[f32], t: f32) -> usize {
    let mut best = (0usize, f64::NEG_INFINITY);
    for (i, (&xi, &gi)) in x.iter().zip(noise).enumerate() {
        let v = match I::KIND {
            InputKind::Logits => xi.to_f32() as f64,
            InputKind::Probs => (xi.to_f32() as f64).ln(),
        };
        let score = v / t as f64 + gi as f64;
        if score > best.1 {
            best = (i, score);
        }
    }
    best.0
}

fn check<L>(x: &[L], noise: &[f32]) -> Result<(), Error> {
    if x.is_empty() {
        return Err(Error::EmptyRow);
    }
    check_len("noise", x.len(), noise.len())?;
    Ok(())
}

/// Gumbel-max sample of one row: `argmax_i (x_i / T + g_i)` in one fused pass.
///
/// With `g` i.i.d. standard Gumbel, the result is distributed exactly as
/// `softmax(x / T)`: `P(i) = e^{x_i/T} / Σ_j e^{x_j/T}`. No softmax, no normalisation,
/// and the noise can be made before the logits exist (see
/// [`NoiseRing`](crate::noise::NoiseRing)).
///
/// * `temperature`: finite and `> 0`, or exactly `0` for greedy argmax (then `noise` is
///   only length-checked). The kernel computes `x + T·g` for `T ≤ 1` and `x/T + g` for
///   `T > 1` — the same argmax, and no finite input overflows; at `T = 1` the score is
///   exactly `x + g` on every ISA.
/// * `-inf` logits are masked: never returned.
/// * Ties go to the lowest index, on every ISA.
/// * `logits` may be `f32`, [`half::bf16`] or [`half::f16`] ([`Element`]): converted
///   to f32 exactly as they are loaded; the noise and the scores are f32.
///
/// # Errors
/// [`Error::EmptyRow`], [`Error::LengthMismatch`] (`noise.len() != logits.len()`),
/// [`Error::InvalidTemperature`], [`Error::InvalidLogit`] (NaN or `+inf`, with its
/// column), [`Error::InvalidNoise`] (non-finite noise), [`Error::AllMasked`].
///
/// ```
/// let logits = [1.0f32, 3.0, f32::NEG_INFINITY, 2.0];
/// let mut noise = [0.0f32; 4];
/// gumbel::noise::fill_gumbel(1, 0, &mut noise);
/// let i = gumbel::gumbel_max(&logits, &noise, 1.0).unwrap();
/// assert_ne!(i, 2); // masked
/// assert_eq!(gumbel::gumbel_max(&logits, &noise, 0.0).unwrap(), 1); // greedy
/// ```
pub fn gumbel_max<L: Element>(
    logits: &[L],
    noise: &[f32],
    temperature: f32,
) -> Result<usize, Error> {
    check(logits, noise)?;
    let t = Temperature::new(temperature)?;
    row_with_noise::<Logits, L>(Backend::active(), logits, noise, t, 0)
}

/// Gumbel-max sample from unnormalised probabilities `α` (weights): the kernel reads
/// `ln α_i`, so the result is distributed as `α_i^{1/T} / Σ_j α_j^{1/T}`.
///
/// Zero weights are masked; negative, NaN or `+inf` weights are errors
/// ([`Error::InvalidProbability`]). Otherwise as [`gumbel_max`].
///
/// ```
/// let probs = [0.2f32, 0.0, 0.8];
/// let mut noise = [0.0f32; 3];
/// gumbel::noise::fill_gumbel(3, 0, &mut noise);
/// let i = gumbel::gumbel_max_probs(&probs, &noise, 1.0).unwrap();
/// assert_ne!(i, 1);
/// ```
pub fn gumbel_max_probs(probs: &[f32], noise: &[f32], temperature: f32) -> Result<usize, Error> {
    check(probs, noise)?;
    let t = Temperature::new(temperature)?;
    row_with_noise::<Probs, f32>(Backend::active(), probs, noise, t, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::Isa;

    fn argmax_of(g: &[f32]) -> usize {
        let mut best = 0;
        for (i, v) in g.iter().enumerate() {
            if *v > g[best] {
                best = i;
            }
        }
        best
    }

    /// The fused kernel draws the `fill_gumbel` layout; rows whose every f32 score
    /// overflows (either way) are redone in f64 rather than reported as masked.
    #[test]
    fn fused_noise_is_the_fill_gumbel_layout_and_overflow_falls_back_to_f64() {
        for isa in Isa::available() {
            {
                let k = Backend::new(isa).unwrap();
                for n in [1usize, 7, 16, 33, 100, 1000, 4099] {
                    for stream in 0..4u64 {
                        let mut g = vec![0.0f32; n];
                        k.fill_gumbel(&mut lane_state(9, stream), &mut g);
                        let want = argmax_of(&g);
                        let t = Temperature::Positive(1.0);
                        // equal logits: the argmax is the noise's (no overflow)
                        let flat = vec![0.5f32; n];
                        let got = row_fused::<Logits, f32>(k, &flat, 9, stream, t, 0);
                        assert_eq!(got, Ok(want), "{isa} n={n} stream={stream}");
                        // caller noise so negative that every f32 score x + g
                        // rounds to -inf: an f64 fallback, not `AllMasked`
                        let low = vec![f32::MIN; n];
                        let deep: Vec<f32> = g.iter().map(|v| -1e33 + 1e31 * v).collect();
                        for t in [0.5f32, 1.0] {
                            let t = Temperature::Positive(t);
                            let got = row_with_noise::<Logits, f32>(k, &low, &deep, t, 0);
                            assert_eq!(got, Ok(want), "{isa} n={n} (-inf)");
                        }
                        // and the other direction, every score +inf
                        let high = vec![f32::MAX; n];
                        let up: Vec<f32> = g.iter().map(|v| 1e33 + 1e31 * v).collect();
                        let t = Temperature::Positive(1.0);
                        let got = row_with_noise::<Logits, f32>(k, &high, &up, t, 0);
                        assert_eq!(got, Ok(want), "{isa} n={n} (+inf)");
                    }
                }
            }
        }
    }
}
