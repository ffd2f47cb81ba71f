//! Softmax + roulette wheel: one uniform and an inverse-CDF scan.

use std::cell::RefCell;

use crate::error::Error;
use crate::simd::Backend;
use crate::simd::element::Element;
use crate::simd::roulette::GROUP;
use crate::simd::rows::Pick;
use crate::simd::source::{Floored, Input, Logits, Probs};

use super::{NO_FLOOR, Temperature, greedy, invalid_entry, inverse_temperature};

thread_local! {
    /// Per-block maxima and sums of the row being drawn, reused across rows.
    static SCRATCH: RefCell<(Vec<f32>, Vec<f64>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// One validated row, any ISA: one pass over the exponentials, then the crossing
/// block alone. Logits below `floor` are masked (a filtered row; `-inf` for none).
pub(crate) fn row<I: Input, L: Element>(
    b: Backend,
    x: &[L],
    u: f64,
    t: Temperature,
    floor: f32,
    row: usize,
) -> Result<usize, Error> {
    let t = match t {
        Temperature::Greedy => return greedy::<I, L>(b, x, row),
        Temperature::Positive(t) => t,
    };
    let pick = SCRATCH.with(|sc| {
        let (maxima, sums) = &mut *sc.borrow_mut();
        let groups = x.len().div_ceil(GROUP);
        maxima.resize(groups, 0.0);
        sums.resize(groups, 0.0);
        let s = inverse_temperature(t);
        if floor == f32::NEG_INFINITY {
            b.roulette::<I, L>(x, u, s, floor, maxima, sums)
        } else {
            b.roulette::<Floored<I>, L>(x, u, s, floor, maxima, sums)
        }
    });
    match pick {
        Pick::Index(i) => Ok(i),
        Pick::Invalid => {
            Err(invalid_entry::<I, L>(x, row).expect("the kernel flagged an invalid entry"))
        }
        Pick::AllMasked => Err(Error::AllMasked { row }),
    }
}

fn check<L>(x: &[L], u: f64) -> Result<(), Error> {
    if x.is_empty() {
        return Err(Error::EmptyRow);
    }
    if !(u > 0.0 && u < 1.0) {
        return Err(Error::InvalidUniform(u));
    }
    Ok(())
}

/// Softmax + roulette-wheel sample of one row: the first `i` with
/// `Σ_{j ≤ i} p_j ≥ u`, where `p = softmax(x / T)`.
///
/// One pass over the exponentials, then one group: each 256-value group's maximum
/// `M_B` and `Σ e^{(x_j − M_B)/T}` (summed in f64 across groups, accurate over 256k
/// entries), group weights `e^{(M_B − m)/T}` (`m` the row maximum), the group where
/// the running sum crosses `u·Σ` found from the stored group sums, and that group
/// walked element by element. Each logit is exponentiated once, plus the 256 of the
/// crossing group. (Scratch of two values per group lives in a thread-local buffer:
/// no allocation after the first call on a thread.)
///
/// * `u` must lie strictly inside (0, 1).
/// * `temperature`: finite and `> 0`, or exactly `0` for greedy argmax (then `u` is
///   only range-checked).
/// * `logits` may be `f32`, [`half::bf16`] or [`half::f16`] ([`Element`]), converted
///   exactly as they are loaded; the sums are f64, never 16-bit.
/// * Never returns a masked (`-inf`) entry, nor one whose weight underflows to 0; if
///   rounding leaves the running sum a hair below `u·Σ` at the end, the last entry of
///   positive weight is returned, never an index out of range.
///
/// # Errors
/// [`Error::EmptyRow`], [`Error::InvalidUniform`], [`Error::InvalidTemperature`],
/// [`Error::InvalidLogit`], [`Error::AllMasked`].
///
/// ```
/// let logits = [0.0f32, 0.0, f32::NEG_INFINITY, 0.0];
/// assert_eq!(gumbel::softmax_roulette(&logits, 0.1, 1.0).unwrap(), 0);
/// assert_eq!(gumbel::softmax_roulette(&logits, 0.5, 1.0).unwrap(), 1);
/// assert_eq!(gumbel::softmax_roulette(&logits, 0.9, 1.0).unwrap(), 3);
/// ```
pub fn softmax_roulette<L: Element>(
    logits: &[L],
    u: f64,
    temperature: f32,
) -> Result<usize, Error> {
    check(logits, u)?;
    let t = Temperature::new(temperature)?;
    row::<Logits, L>(Backend::active(), logits, u, t, NO_FLOOR, 0)
}

/// Roulette-wheel sample from unnormalised probabilities `α`: distributed as
/// `α_i^{1/T} / Σ_j α_j^{1/T}`. Zero weights are masked; negative, NaN or `+inf`
/// weights are errors ([`Error::InvalidProbability`]). Otherwise as
/// [`softmax_roulette`].
///
/// ```
/// let probs = [1.0f32, 0.0, 3.0];
/// assert_eq!(gumbel::softmax_roulette_probs(&probs, 0.2, 1.0).unwrap(), 0);
/// assert_eq!(gumbel::softmax_roulette_probs(&probs, 0.3, 1.0).unwrap(), 2);
/// ```
pub fn softmax_roulette_probs(probs: &[f32], u: f64, temperature: f32) -> Result<usize, Error> {
    check(probs, u)?;
    let t = Temperature::new(temperature)?;
    row::<Probs, f32>(Backend::active(), probs, u, t, NO_FLOOR, 0)
}
