//! One-row samplers with explicit randomness: Gumbel-max and softmax-roulette, and the
//! sampling policy shared by every caller (temperature handling, validation, turning a
//! kernel's result into a sample or a typed error).
//!
//! These take the noise (or the uniform) as an argument, so they are pure,
//! allocation-free, and checkable against a reference. [`crate::Sampler`] wraps them
//! with seeded noise and batches.

pub(crate) mod filter;
pub(crate) mod gumbel_max;
pub(crate) mod many;
pub(crate) mod par;
pub(crate) mod relaxed;
pub(crate) mod roulette;

use crate::error::Error;
use crate::simd::Backend;
use crate::simd::element::Element;
use crate::simd::reduce::Argmax;
use crate::simd::source::{Input, InputKind};

/// The floor of an unfiltered row: nothing is masked beyond the row's own `-inf`s.
pub(crate) const NO_FLOOR: f32 = f32::NEG_INFINITY;

/// A validated sampling temperature.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Temperature {
    /// `T = 0`: argmax of the logits.
    Greedy,
    /// `T > 0` finite.
    Positive(f32),
}

impl Temperature {
    pub(crate) fn new(t: f32) -> Result<Temperature, Error> {
        if t == 0.0 {
            Ok(Temperature::Greedy)
        } else if t.is_finite() && t > 0.0 {
            Ok(Temperature::Positive(t))
        } else {
            Err(Error::InvalidTemperature(t))
        }
    }
}

/// The inverse temperature `s = 1/T` of the softmax and of the Gumbel-max score
/// `fma(x − m, s, g)` ([`Score`](crate::simd::source::Score), `m` the row maximum): it
/// overflows only for subnormal `T`, and clamped the distribution is one-hot on the
/// maximum (split evenly between tied maxima) either way.
pub(crate) fn inverse_temperature(t: f32) -> f32 {
    (1.0 / t).min(f32::MAX)
}

/// Locate the first invalid entry of a row (called only after a kernel flagged one).
pub(crate) fn invalid_entry<I: Input, L: Element>(x: &[L], row: usize) -> Option<Error> {
    let values = x.iter().map(|v| v.to_f32());
    match I::KIND {
        InputKind::Logits => values
            .enumerate()
            .find(|(_, v)| v.is_nan() || *v == f32::INFINITY)
            .map(|(col, value)| Error::InvalidLogit { row, col, value }),
        InputKind::Probs => values
            .enumerate()
            .find(|(_, v)| !(*v >= 0.0 && v.is_finite()))
            .map(|(col, value)| Error::InvalidProbability { row, col, value }),
    }
}

/// Whether a row has an entry that is not masked.
fn any_unmasked<I: Input, L: Element>(x: &[L]) -> bool {
    match I::KIND {
        InputKind::Logits => x.iter().any(|v| v.to_f32() != f32::NEG_INFINITY),
        InputKind::Probs => x.iter().any(|v| v.to_f32() > 0.0),
    }
}

/// Turn a kernel's [`Argmax`] into a sample or the error it stands for.
pub(crate) fn finish<I: Input, L: Element>(
    a: Argmax,
    x: &[L],
    noise: Option<&[f32]>,
    row: usize,
) -> Result<usize, Error> {
    if a.bad {
        if let Some(e) = invalid_entry::<I, L>(x, row) {
            return Err(e);
        }
        if let Some(g) = noise
            && let Some(index) = g[..x.len()].iter().position(|v| !v.is_finite())
        {
            return Err(Error::InvalidNoise {
                index,
                value: g[index],
            });
        }
        // every input is finite, so the f32 score itself overflowed (e.g. a logit near
        // f32::MAX plus large caller-supplied noise)
        return Err(Error::ScoreOverflow { row });
    }
    if a.index == usize::MAX {
        // Every score is -inf. That means every entry is masked, unless finite scores
        // underflowed: e.g. `x/T` for x near f32::MIN at a small T, or a caller's large
        // negative noise added to such an x. Saying `AllMasked` then would be wrong.
        if any_unmasked::<I, L>(x) {
            return Err(Error::ScoreOverflow { row });
        }
        Err(Error::AllMasked { row })
    } else {
        Ok(a.index)
    }
}

/// The validated maximum of a row: an error for an invalid entry or a fully masked row.
pub(crate) fn row_max<I: Input, L: Element>(b: Backend, x: &[L], row: usize) -> Result<f32, Error> {
    let (m, bad) = b.max::<I, L>(x);
    if bad {
        return Err(invalid_entry::<I, L>(x, row).expect("the kernel flagged an invalid entry"));
    }
    if m == f32::NEG_INFINITY {
        return Err(Error::AllMasked { row });
    }
    Ok(m)
}

/// Greedy argmax of one row (temperature 0), validating it.
pub(crate) fn greedy<I: Input, L: Element>(
    b: Backend,
    x: &[L],
    row: usize,
) -> Result<usize, Error> {
    finish::<I, L>(b.greedy::<I, L>(x), x, None, row)
}
