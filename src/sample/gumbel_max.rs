//! Gumbel-max sampling: `argmax_i (x_i / T + g_i)`.

use std::cell::RefCell;

use crate::error::{Error, check_len};
use crate::noise::lanes::lane_state;
use crate::simd::Backend;
use crate::simd::element::Element;
use crate::simd::prune::FusedScratch;
use crate::simd::reduce::Argmax;
use crate::simd::source::{Floored, Input, Logits, Probs};
use crate::simd::vector::BLOCK;

use super::{NO_FLOOR, Temperature, finish, greedy, inverse_temperature};

/// A sampled index and how many positions' noise was evaluated to find it.
pub(crate) type Drawn = (usize, usize);

fn drawn<I: Input, L: Element>(
    a: Argmax,
    x: &[L],
    noise: Option<&[f32]>,
    row: usize,
) -> Result<Drawn, Error> {
    let evaluated = a.evaluated;
    finish::<I, L>(a, x, noise, row).map(|i| (i, evaluated))
}

/// One row with noise from a slice (validated lengths, any ISA): every noise value read.
/// Logits below `floor` are masked (a filtered row; `-inf` for none), here and below.
pub(crate) fn row_with_noise<I: Input, L: Element>(
    b: Backend,
    x: &[L],
    noise: &[f32],
    t: Temperature,
    floor: f32,
    row: usize,
) -> Result<Drawn, Error> {
    match t {
        Temperature::Greedy => greedy::<I, L>(b, x, row).map(|i| (i, 0)),
        Temperature::Positive(t) => {
            let s = inverse_temperature(t);
            let a = if floor == f32::NEG_INFINITY {
                b.gumbel_max_noise::<I, L>(x, noise, s, floor)
            } else {
                b.gumbel_max_noise::<Floored<I>, L>(x, noise, s, floor)
            };
            drawn::<I, L>(a, x, Some(noise), row)
        }
    }
}

thread_local! {
    /// Block maxima of the row being pruned (one per 64 values), reused across rows.
    static BLOCK_MAXIMA: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    /// The fused pruned pass's scratch, reused across rows.
    static FUSED_SCRATCH: RefCell<FusedScratch> = RefCell::new(FusedScratch::default());
}

/// One row of ring noise `g` whose 64-blocks have maxima `gmax`; with `prune`, the
/// noise of a block is read only when the block can win (the same index either way).
#[allow(clippy::too_many_arguments)]
pub(crate) fn row_ring<I: Input, L: Element>(
    b: Backend,
    x: &[L],
    g: &[f32],
    gmax: &[f32],
    t: Temperature,
    floor: f32,
    row: usize,
    prune: bool,
) -> Result<Drawn, Error> {
    let t = match t {
        Temperature::Greedy => return greedy::<I, L>(b, x, row).map(|i| (i, 0)),
        Temperature::Positive(t) => t,
    };
    if !prune {
        return row_with_noise::<I, L>(b, x, g, Temperature::Positive(t), floor, row);
    }
    let s = inverse_temperature(t);
    let a = BLOCK_MAXIMA.with(|bm| {
        // every entry is written by the kernel's first pass: no clearing
        let mut bm = bm.borrow_mut();
        bm.resize(x.len().div_ceil(BLOCK), 0.0);
        if floor == f32::NEG_INFINITY {
            b.gumbel_max_ring_pruned::<I, L>(x, g, gmax, s, floor, &mut bm)
        } else {
            b.gumbel_max_ring_pruned::<Floored<I>, L>(x, g, gmax, s, floor, &mut bm)
        }
    });
    drawn::<I, L>(a, x, None, row)
}

/// One row with noise generated in registers from `(seed, stream)`; with `prune`, the
/// noise is evaluated only where it can win (the same index either way).
#[allow(clippy::too_many_arguments)]
pub(crate) fn row_fused<I: Input, L: Element>(
    b: Backend,
    x: &[L],
    seed: u64,
    stream: u64,
    t: Temperature,
    floor: f32,
    row: usize,
    prune: bool,
) -> Result<Drawn, Error> {
    let t = match t {
        Temperature::Greedy => return greedy::<I, L>(b, x, row).map(|i| (i, 0)),
        Temperature::Positive(t) => t,
    };
    let st = lane_state(seed, stream);
    let s = inverse_temperature(t);
    let plain = floor == f32::NEG_INFINITY;
    let a = match (prune, plain) {
        (true, true) => FUSED_SCRATCH
            .with(|sc| b.gumbel_max_fused_pruned::<I, L>(x, &st, s, floor, &mut sc.borrow_mut())),
        (true, false) => FUSED_SCRATCH.with(|sc| {
            b.gumbel_max_fused_pruned::<Floored<I>, L>(x, &st, s, floor, &mut sc.borrow_mut())
        }),
        (false, true) => b.gumbel_max_fused::<I, L>(x, &st, s, floor),
        (false, false) => b.gumbel_max_fused::<Floored<I>, L>(x, &st, s, floor),
    };
    drawn::<I, L>(a, x, None, row)
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
///   only length-checked). The kernel scores `fma(x_i − m, 1/T, g_i)` with `m` the row
///   maximum (a first pass): the same argmax as `x/T + g`, tied maxima keep their
///   noise exactly at any `T` (no `x + T·g` that rounds `T·g` away), no score can
///   overflow, and a gap so large that `(x − m)/T` underflows to `-inf` acts as a mask
///   (its probability is below `e^{-f32::MAX}` relative to the maximum).
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
    row_with_noise::<Logits, L>(Backend::active(), logits, noise, t, NO_FLOOR, 0).map(|d| d.0)
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
    row_with_noise::<Probs, f32>(Backend::active(), probs, noise, t, NO_FLOOR, 0).map(|d| d.0)
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

    /// The fused kernel draws the `fill_gumbel` layout, pruned or not; caller noise far
    /// beyond the logits' range scores exactly (max-first scores cannot overflow).
    #[test]
    fn fused_noise_is_the_fill_gumbel_layout_and_extreme_noise_scores_exactly() {
        for isa in Isa::available() {
            {
                let k = Backend::new(isa).unwrap();
                for n in [1usize, 7, 16, 33, 100, 1000, 4099] {
                    for stream in 0..4u64 {
                        let mut g = vec![0.0f32; n];
                        k.fill_gumbel(&mut lane_state(9, stream), &mut g);
                        let want = argmax_of(&g);
                        let t = Temperature::Positive(1.0);
                        // equal logits: the argmax is the noise's
                        let flat = vec![0.5f32; n];
                        for prune in [false, true] {
                            let got = row_fused::<Logits, f32>(
                                k, &flat, 9, stream, t, NO_FLOOR, 0, prune,
                            );
                            assert_eq!(got.map(|d| d.0), Ok(want), "{isa} n={n} stream={stream}");
                        }
                        // caller noise so large that `x + g` would leave the f32 range:
                        // `(x - m)/T + g` is exactly `g` for equal logits
                        for (x, gg) in [
                            (
                                f32::MIN,
                                g.iter().map(|v| -1e33 + 1e31 * v).collect::<Vec<_>>(),
                            ),
                            (f32::MAX, g.iter().map(|v| 1e33 + 1e31 * v).collect()),
                        ] {
                            let row = vec![x; n];
                            for t in [0.5f32, 1.0, 2.0] {
                                let t = Temperature::Positive(t);
                                let got =
                                    row_with_noise::<Logits, f32>(k, &row, &gg, t, NO_FLOOR, 0);
                                assert_eq!(got.map(|d| d.0), Ok(want), "{isa} n={n} x={x}");
                            }
                        }
                    }
                }
            }
        }
    }
}
