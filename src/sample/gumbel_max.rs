//! Gumbel-max sampling: `argmax_i (x_i / T + g_i)`.

use crate::error::{Error, check_len};
use crate::noise::lanes::LaneState;
use crate::simd::{Input, Kernels, active_kernels};

use super::{Temperature, finish, greedy, scale};

/// One row with noise from a slice (validated lengths, any ISA).
pub(crate) fn row_with_noise(
    k: &Kernels,
    input: Input,
    x: &[f32],
    noise: &[f32],
    t: Temperature,
    row: usize,
) -> Result<usize, Error> {
    match t {
        Temperature::Greedy => greedy(k, input, x, row),
        Temperature::Positive(t) => {
            match finish(
                (k.argmax_noise)(input, x, noise, scale(t)),
                input,
                x,
                Some(noise),
                row,
            ) {
                Err(Error::ScoreOverflow { .. }) => Ok(argmax_f64(input, x, noise, t)),
                r => r,
            }
        }
    }
}

/// One row with noise generated in registers from `(seed, stream)`.
pub(crate) fn row_fused(
    k: &Kernels,
    input: Input,
    x: &[f32],
    seed: u64,
    stream: u64,
    t: Temperature,
    row: usize,
) -> Result<usize, Error> {
    match t {
        Temperature::Greedy => greedy(k, input, x, row),
        Temperature::Positive(t) => {
            let st = LaneState::new(seed, stream);
            // No f64 fallback needed: fused noise lies in [-3.13, 22.88], and the
            // score `x + T·g` (T <= 1) or `x/T + g` (T > 1) of a finite x cannot
            // leave the f32 range by adding so little (half an ulp of f32::MAX is 2^103).
            finish(
                (k.argmax_fused)(input, x, &st, scale(t)),
                input,
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
fn argmax_f64(input: Input, x: &[f32], noise: &[f32], t: f32) -> usize {
    let mut best = (0usize, f64::NEG_INFINITY);
    for (i, (&xi, &gi)) in x.iter().zip(noise).enumerate() {
        let v = match input {
            Input::Logits => xi as f64,
            Input::Probs => (xi as f64).ln(),
        };
        let score = v / t as f64 + gi as f64;
        if score > best.1 {
            best = (i, score);
        }
    }
    best.0
}

fn check(x: &[f32], noise: &[f32]) -> Result<(), Error> {
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
pub fn gumbel_max(logits: &[f32], noise: &[f32], temperature: f32) -> Result<usize, Error> {
    check(logits, noise)?;
    let t = Temperature::new(temperature)?;
    row_with_noise(active_kernels(), Input::Logits, logits, noise, t, 0)
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
    row_with_noise(active_kernels(), Input::Probs, probs, noise, t, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::{Isa, with_isa};

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
            with_isa(isa, || {
                let k = active_kernels();
                for n in [1usize, 7, 16, 33, 100, 1000, 4099] {
                    for stream in 0..4u64 {
                        let mut g = vec![0.0f32; n];
                        (k.fill_gumbel)(&mut LaneState::new(9, stream), &mut g);
                        let want = argmax_of(&g);
                        let t = Temperature::Positive(1.0);
                        // equal logits: the argmax is the noise's (no overflow)
                        let flat = vec![0.5f32; n];
                        let got = row_fused(k, Input::Logits, &flat, 9, stream, t, 0);
                        assert_eq!(got, Ok(want), "{isa} n={n} stream={stream}");
                        // caller noise so negative that every f32 score x + g
                        // rounds to -inf: an f64 fallback, not `AllMasked`
                        let low = vec![f32::MIN; n];
                        let deep: Vec<f32> = g.iter().map(|v| -1e33 + 1e31 * v).collect();
                        for t in [0.5f32, 1.0] {
                            let t = Temperature::Positive(t);
                            let got = row_with_noise(k, Input::Logits, &low, &deep, t, 0);
                            assert_eq!(got, Ok(want), "{isa} n={n} (-inf)");
                        }
                        // and the other direction, every score +inf
                        let high = vec![f32::MAX; n];
                        let up: Vec<f32> = g.iter().map(|v| 1e33 + 1e31 * v).collect();
                        let t = Temperature::Positive(1.0);
                        let got = row_with_noise(k, Input::Logits, &high, &up, t, 0);
                        assert_eq!(got, Ok(want), "{isa} n={n} (+inf)");
                    }
                }
            })
            .unwrap();
        }
    }
}
