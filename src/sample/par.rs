//! Rows across rayon: batch shapes, when to go parallel, and the row loop that keeps
//! errors deterministic. Shared by the batched samplers and the batched Gumbel-softmax
//! passes.

use rayon::prelude::*;

use crate::error::Error;

/// Default work (rows × cols) below which a batch runs on the calling thread.
pub const DEFAULT_PARALLEL_THRESHOLD: usize = 1 << 15;

/// Rows per rayon task for a batch, or `None` to stay on the calling thread: parallel
/// when there are several rows and at least `threshold` elements, with tasks of at
/// least [`MIN_TASK`] elements so small rows do not drown in scheduling overhead.
pub(crate) fn par_rows(rows: usize, cols: usize, threshold: usize) -> Option<usize> {
    (rows > 1 && rows.saturating_mul(cols) >= threshold).then(|| MIN_TASK.div_ceil(cols).max(1))
}

/// Minimum elements per rayon task.
const MIN_TASK: usize = 8192;

/// Run `f` for every row (in parallel if asked), writing its results into `scratch`;
/// the error of the lowest failing row wins, so errors are deterministic too.
pub(crate) fn rows_each<T: Send>(
    scratch: &mut [T],
    parallel: Option<usize>,
    f: impl Fn(usize) -> Result<T, Error> + Sync,
) -> Result<(), Error> {
    let step = |(r, o): (usize, &mut T)| match f(r) {
        Ok(v) => {
            *o = v;
            None
        }
        Err(e) => Some((r, e)),
    };
    let first_err = if let Some(min_rows) = parallel {
        scratch
            .par_iter_mut()
            .enumerate()
            .with_min_len(min_rows)
            .filter_map(step)
            .min_by_key(|(r, _)| *r)
    } else {
        scratch
            .iter_mut()
            .enumerate()
            .filter_map(step)
            .min_by_key(|(r, _)| *r)
    };
    match first_err {
        Some((_, e)) => Err(e),
        None => Ok(()),
    }
}

/// Check a batch's shape: `(rows)` for `x.len()` values in rows of `cols`, with
/// `outputs` (name, length) that must each hold `rows` values.
///
/// `cols == 0` is [`Error::EmptyRow`]; an empty batch (`x_len == 0`, `cols > 0`) is
/// zero rows, which the callers treat as a no-op once their other arguments are
/// checked (an engine step with no requests).
pub(crate) fn batch_rows(
    x_len: usize,
    cols: usize,
    outputs: &[(&'static str, usize)],
) -> Result<usize, Error> {
    if cols == 0 {
        return Err(Error::EmptyRow);
    }
    if !x_len.is_multiple_of(cols) {
        return Err(Error::NotMultipleOfCols { len: x_len, cols });
    }
    let rows = x_len / cols;
    for &(what, found) in outputs {
        if found != rows {
            return Err(Error::LengthMismatch {
                what,
                expected: rows,
                found,
            });
        }
    }
    Ok(rows)
}
