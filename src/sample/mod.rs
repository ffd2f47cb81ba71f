//! One-row samplers with explicit randomness: Gumbel-max and softmax-roulette.
//!
//! These take the noise (or the uniform) as an argument, so they are pure,
//! allocation-free, and checkable against a reference. [`crate::Sampler`] wraps them
//! with seeded noise and batches.

pub(crate) mod gumbel_max;
pub(crate) mod relaxed;
pub(crate) mod roulette;

use crate::error::Error;
use crate::simd::kernels::{Argmax, Scale};
use crate::simd::{Input, Kernels};

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

/// Locate the first invalid entry of a row (called only after a kernel flagged one).
pub(crate) fn invalid_entry(input: Input, x: &[f32], row: usize) -> Option<Error> {
    match input {
        Input::Logits => x
            .iter()
            .position(|v| v.is_nan() || *v == f32::INFINITY)
            .map(|col| Error::InvalidLogit {
                row,
                col,
                value: x[col],
            }),
        Input::Probs => x
            .iter()
            .position(|v| !(*v >= 0.0 && v.is_finite()))
            .map(|col| Error::InvalidProbability {
                row,
                col,
                value: x[col],
            }),
    }
}

/// Turn a kernel's [`Argmax`] into a sample or the error it stands for.
pub(crate) fn finish(
    a: Argmax,
    input: Input,
    x: &[f32],
    noise: Option<&[f32]>,
    row: usize,
) -> Result<usize, Error> {
    if a.bad {
        if let Some(e) = invalid_entry(input, x, row) {
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
        let unmasked = match input {
            Input::Logits => x.iter().any(|v| *v != f32::NEG_INFINITY),
            Input::Probs => x.iter().any(|v| *v > 0.0),
        };
        if unmasked {
            return Err(Error::ScoreOverflow { row });
        }
        Err(Error::AllMasked { row })
    } else {
        Ok(a.index)
    }
}

/// Greedy argmax of one row (temperature 0), validating it.
pub(crate) fn greedy(k: &Kernels, input: Input, x: &[f32], row: usize) -> Result<usize, Error> {
    finish((k.argmax)(input, x), input, x, None, row)
}

/// Scores for temperature `t`: see [`Scale`].
pub(crate) fn scale(t: f32) -> Scale {
    Scale::from_temperature(t)
}
