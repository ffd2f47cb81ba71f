//! The crate's error type.

use core::fmt;

use crate::simd::isa::Isa;

/// Everything that can go wrong in `gumbel`: bad parameters and bad input.
///
/// Every fallible function validates its whole input before it writes anything, so
/// when an `Err` comes back the caller's output buffers hold what they held before.
/// Variants name the offending row and column where there is one (single-row
/// functions report row 0).
///
/// ```
/// use gumbel::{gumbel_max, Error};
///
/// let logits = [0.0, f32::NAN, 1.0];
/// let noise = [0.1, 0.2, 0.3];
/// let err = gumbel_max(&logits, &noise, 1.0).unwrap_err();
/// assert!(matches!(err, Error::InvalidLogit { row: 0, col: 1, .. }));
/// println!("{err}"); // "logit at row 0, column 1 is NaN; logits must be finite or -inf (masked)"
/// ```
///
/// # Equality
///
/// Two errors are equal when they are the same variant with the same fields, the
/// rejected `f32` / `f64` values compared **by bit pattern**: an error carrying a NaN
/// equals itself (and a clone of itself), `-0.0` and `0.0` are different rejected
/// values, and NaNs with different payloads are different. That makes `==` an
/// equivalence relation, so `Error` is also [`Eq`], and `assert_eq!(result, Err(e))`
/// works for every error — including the NaN ones most worth testing.
///
/// ```
/// use gumbel::Error;
///
/// let e = gumbel::gumbel_max(&[f32::NAN], &[0.0], 1.0).unwrap_err();
/// assert_eq!(e, e.clone());
/// assert_eq!(e, Error::InvalidLogit { row: 0, col: 0, value: f32::NAN });
/// assert_ne!(Error::InvalidTemperature(0.0), Error::InvalidTemperature(-0.0));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone)]
pub enum Error {
    /// A distribution parameter is out of range (e.g. `scale <= 0`, or NaN / infinite).
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// A logit is NaN or `+inf`. (`-inf` is allowed: it masks the entry.)
    InvalidLogit {
        /// Row of the offending entry (0 for single-row functions).
        row: usize,
        /// Column of the offending entry.
        col: usize,
        /// The rejected value.
        value: f32,
    },
    /// A probability (weight) is negative, NaN or `+inf`. (Zero is allowed: it masks the entry.)
    InvalidProbability {
        /// Row of the offending entry (0 for single-row functions).
        row: usize,
        /// Column of the offending entry.
        col: usize,
        /// The rejected value.
        value: f32,
    },
    /// A caller-supplied noise value is not finite.
    InvalidNoise {
        /// Index of the offending value in the noise slice.
        index: usize,
        /// The rejected value.
        value: f32,
    },
    /// A value that must be finite is not (e.g. in `y` or `grad_y` of a backward pass).
    NonFinite {
        /// Which input, e.g. `"y"` or `"grad_y"`.
        what: &'static str,
        /// Index of the offending value (within the whole slice).
        index: usize,
        /// The rejected value.
        value: f32,
    },
    /// Finite logits and noise whose f32 score (`x + T·g`, `x/T + g` or `x + g`)
    /// leaves the f32 range: `+inf`, or `-inf` for every entry of the row. Only possible
    /// with logits within a few ulp of `±f32::MAX` and large caller-supplied noise
    /// (generated noise is at most 22.9 in magnitude). [`gumbel_max`](crate::gumbel_max),
    /// [`gumbel_max_probs`](crate::gumbel_max_probs) and the samplers recompute such a
    /// row in f64 instead of failing; the Gumbel-softmax functions return this error.
    ScoreOverflow {
        /// The row.
        row: usize,
    },
    /// Every entry of a row is masked (`-inf` logit or zero probability).
    AllMasked {
        /// The row.
        row: usize,
    },
    /// A row has no entries (`cols == 0` or an empty slice).
    EmptyRow,
    /// A batch's `logits.len()` is not a multiple of its row length `cols`.
    NotMultipleOfCols {
        /// Length of the batch slice.
        len: usize,
        /// The row length.
        cols: usize,
    },
    /// Two lengths that must agree do not.
    LengthMismatch {
        /// What was measured, e.g. `"noise"`, `"out"`, `"logits (multiple of cols)"`.
        what: &'static str,
        /// The length that was required.
        expected: usize,
        /// The length that was given.
        found: usize,
    },
    /// A [`NoiseRing::claim`](crate::noise::NoiseRing::claim) asked for more values
    /// than the ring holds; `claim_into` serves any length.
    ClaimTooLarge {
        /// Values asked for.
        requested: usize,
        /// The ring's capacity.
        capacity: usize,
    },
    /// A sampling temperature that is not finite and `> 0`, nor exactly `0` (greedy).
    InvalidTemperature(f32),
    /// A Gumbel-softmax temperature `tau` that is not finite and `> 0`.
    InvalidTau(f32),
    /// A uniform variate outside the open interval `(0, 1)`.
    InvalidUniform(f64),
    /// The requested instruction set is not available on this CPU.
    IsaUnavailable(Isa),
    /// A row's [`SamplingParams`](crate::SamplingParams) entry is out of range:
    /// `temperature` not finite and `>= 0`, `top_p` not in `(0, 1]`, `min_p` not in
    /// `[0, 1]` (NaN anywhere), or a log-probability request beyond
    /// [`MAX_TOP_LOGPROBS`](crate::MAX_TOP_LOGPROBS) (`top_n`).
    InvalidSamplingParam {
        /// The row whose parameters are rejected.
        row: usize,
        /// The parameter: `"temperature"`, `"top_p"`, `"min_p"` or `"top_n"`.
        name: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// A noise ring's buffer could not be allocated: its capacity (set with
    /// [`Sampler::ring_capacity`](crate::Sampler::ring_capacity) or
    /// [`NoiseRing::new`](crate::noise::NoiseRing::new), or grown for a batch) is more
    /// memory than the allocator gives. Returned by the first call that needs the
    /// buffer, instead of aborting the process; nothing is handed out or written.
    RingAllocation {
        /// The ring's capacity, in noise values (4 bytes each, plus a small table).
        requested: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::InvalidParameter { name, value } => {
                write!(f, "invalid parameter {name} = {value}")
            }
            Error::InvalidLogit { row, col, value } => write!(
                f,
                "logit at row {row}, column {col} is {}; logits must be finite or -inf (masked)",
                describe(value)
            ),
            Error::InvalidProbability { row, col, value } => write!(
                f,
                "probability at row {row}, column {col} is {}; weights must be finite and >= 0",
                describe(value)
            ),
            Error::InvalidNoise { index, value } => {
                write!(
                    f,
                    "noise value at index {index} is {}; noise must be finite",
                    describe(value)
                )
            }
            Error::NonFinite { what, index, value } => {
                write!(
                    f,
                    "{what}[{index}] is {}; it must be finite",
                    describe(value)
                )
            }
            Error::ScoreOverflow { row } => write!(
                f,
                "row {row}: logits + noise leave the f32 range (finite inputs near ±f32::MAX)"
            ),
            Error::AllMasked { row } => write!(f, "every entry of row {row} is masked"),
            Error::EmptyRow => write!(f, "a row has no entries"),
            Error::NotMultipleOfCols { len, cols } => {
                write!(
                    f,
                    "batch length {len} is not a multiple of the row length {cols}"
                )
            }
            Error::LengthMismatch {
                what,
                expected,
                found,
            } => write!(
                f,
                "length mismatch for {what}: expected {expected}, found {found}"
            ),
            Error::ClaimTooLarge {
                requested,
                capacity,
            } => write!(
                f,
                "a ring claim of {requested} values exceeds the ring's capacity of {capacity}; \
                 use claim_into for claims larger than the ring"
            ),
            Error::InvalidTemperature(t) => write!(
                f,
                "invalid temperature {t}: must be finite and > 0, or exactly 0 for greedy argmax"
            ),
            Error::InvalidTau(t) => {
                write!(f, "invalid Gumbel-softmax tau {t}: must be finite and > 0")
            }
            Error::InvalidUniform(u) => {
                write!(f, "uniform variate {u} is not strictly inside (0, 1)")
            }
            Error::IsaUnavailable(isa) => {
                write!(f, "instruction set {isa} is not available on this CPU")
            }
            Error::InvalidSamplingParam { row, name, value } => {
                let want = match name {
                    "temperature" => "finite and >= 0",
                    "top_p" => "in (0, 1]",
                    "min_p" => "in [0, 1]",
                    _ => "at most 20",
                };
                write!(
                    f,
                    "row {row}: {name} = {value} is invalid; it must be {want}"
                )
            }
            Error::RingAllocation { requested } => {
                write!(f, "cannot allocate a noise ring of {requested} values (")?;
                match requested.checked_mul(size_of::<f32>()) {
                    Some(bytes) => write!(f, "{bytes} bytes")?,
                    None => write!(f, "more than usize::MAX bytes")?,
                }
                write!(f, "); choose a smaller ring capacity")
            }
        }
    }
}

impl std::error::Error for Error {}

/// Same variant, same fields, floats by bit pattern (see [Equality](Error#equality)).
impl PartialEq for Error {
    fn eq(&self, other: &Error) -> bool {
        use Error::*;
        match (self, other) {
            (InvalidParameter { name, value }, InvalidParameter { name: n, value: v }) => {
                name == n && same64(*value, *v)
            }
            (
                InvalidLogit { row, col, value },
                InvalidLogit {
                    row: r,
                    col: c,
                    value: v,
                },
            )
            | (
                InvalidProbability { row, col, value },
                InvalidProbability {
                    row: r,
                    col: c,
                    value: v,
                },
            ) => (row, col) == (r, c) && same32(*value, *v),
            (InvalidNoise { index, value }, InvalidNoise { index: i, value: v }) => {
                index == i && same32(*value, *v)
            }
            (
                NonFinite { what, index, value },
                NonFinite {
                    what: w,
                    index: i,
                    value: v,
                },
            ) => (what, index) == (w, i) && same32(*value, *v),
            (ScoreOverflow { row }, ScoreOverflow { row: r })
            | (AllMasked { row }, AllMasked { row: r }) => row == r,
            (EmptyRow, EmptyRow) => true,
            (NotMultipleOfCols { len, cols }, NotMultipleOfCols { len: l, cols: c }) => {
                (len, cols) == (l, c)
            }
            (
                LengthMismatch {
                    what,
                    expected,
                    found,
                },
                LengthMismatch {
                    what: w,
                    expected: e,
                    found: f,
                },
            ) => (what, expected, found) == (w, e, f),
            (
                ClaimTooLarge {
                    requested,
                    capacity,
                },
                ClaimTooLarge {
                    requested: r,
                    capacity: c,
                },
            ) => (requested, capacity) == (r, c),
            (InvalidTemperature(t), InvalidTemperature(u)) | (InvalidTau(t), InvalidTau(u)) => {
                same32(*t, *u)
            }
            (InvalidUniform(u), InvalidUniform(v)) => same64(*u, *v),
            (IsaUnavailable(a), IsaUnavailable(b)) => a == b,
            (RingAllocation { requested }, RingAllocation { requested: r }) => requested == r,
            (
                InvalidSamplingParam { row, name, value },
                InvalidSamplingParam {
                    row: r,
                    name: n,
                    value: v,
                },
            ) => row == r && name == n && same64(*value, *v),
            // every variant, no wildcard: a new variant fails to compile until it has an
            // arm above (rather than silently comparing unequal to itself)
            (
                InvalidParameter { .. }
                | InvalidLogit { .. }
                | InvalidProbability { .. }
                | InvalidNoise { .. }
                | NonFinite { .. }
                | ScoreOverflow { .. }
                | AllMasked { .. }
                | EmptyRow
                | NotMultipleOfCols { .. }
                | LengthMismatch { .. }
                | ClaimTooLarge { .. }
                | InvalidTemperature(_)
                | InvalidTau(_)
                | InvalidUniform(_)
                | IsaUnavailable(_)
                | RingAllocation { .. }
                | InvalidSamplingParam { .. },
                _,
            ) => false,
        }
    }
}

/// Bit-pattern equality makes `==` reflexive for NaN payloads too.
impl Eq for Error {}

fn same32(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits()
}

fn same64(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits()
}

fn describe(v: f32) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else {
        format!("{v}")
    }
}

/// `Ok` if a buffer has the length it must have, else [`Error::LengthMismatch`].
pub(crate) fn check_len(what: &'static str, expected: usize, found: usize) -> Result<(), Error> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            what,
            expected,
            found,
        })
    }
}
