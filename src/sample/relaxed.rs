//! Softmax, log-softmax, Gumbel-softmax (Concrete) and its straight-through variant:
//! forward and backward, one row at a time.
//!
//! With `g` i.i.d. standard Gumbel noise and temperature `τ > 0`,
//!
//! ```text
//! y = softmax((x + g) / τ),   y_i = exp((x_i + g_i − m)/τ) / Σ_j exp((x_j + g_j − m)/τ)
//! ```
//!
//! (`m = max_j (x_j + g_j)`, subtracted for stability) is a differentiable relaxation of
//! the one-hot sample `onehot(argmax(x + g))`, which is exactly `softmax(x)`-distributed.
//! As `τ → 0`, `y` approaches that one-hot vector; as `τ → ∞`, the uniform vector
//! over the unmasked entries.
//! The semantics match PyTorch's `torch.nn.functional.gumbel_softmax(logits, tau, hard)`
//! given the same noise.
//!
//! Backward: the vector–Jacobian product of the softmax is
//!
//! ```text
//! ∂L/∂x_i = y_i (∂L/∂y_i − Σ_j y_j ∂L/∂y_j) / τ
//! ```
//!
//! (the noise is a constant). The straight-through estimator returns the hard one-hot
//! vector forward and uses this same soft gradient backward, like PyTorch's
//! `y_hard − y_soft.detach() + y_soft`: see [`gumbel_softmax_hard`].

use rayon::prelude::*;

use crate::error::{Error, check_len};
use crate::simd::Backend;
use crate::simd::source::Logits;

use super::par::{DEFAULT_PARALLEL_THRESHOLD, batch_rows, par_rows, rows_each};
use super::{finish, row_max};

pub(crate) fn check_tau(tau: f32) -> Result<f32, Error> {
    if tau.is_finite() && tau > 0.0 {
        // 1/τ overflows only for subnormal τ; clamped, the result is the one-hot limit.
        Ok((1.0 / tau).min(f32::MAX))
    } else {
        Err(Error::InvalidTau(tau))
    }
}

/// Validated pass 1 of a Gumbel-softmax row: `(argmax, max)` of `x + g`.
pub(crate) fn relaxed_max(
    b: Backend,
    x: &[f32],
    g: &[f32],
    row: usize,
) -> Result<(usize, f32), Error> {
    let a = b.plain_argmax(x, g);
    let value = a.value;
    let index = finish::<Logits, f32>(a, x, Some(g), row)?;
    Ok((index, value))
}

/// Validate a softmax row (no noise): its max.
fn softmax_max(b: Backend, x: &[f32], y_len: usize) -> Result<f32, Error> {
    if x.is_empty() {
        return Err(Error::EmptyRow);
    }
    check_len("y", x.len(), y_len)?;
    row_max::<Logits, f32>(b, x, 0)
}

/// `y = softmax(x)`, stable (the maximum is subtracted) and SIMD; `-inf` entries get 0.
///
/// The normaliser is summed in f64 block by block, so `Σ y` is 1 within a few f32
/// rounding errors even over 256k entries.
///
/// # Errors
/// [`Error::EmptyRow`], [`Error::LengthMismatch`] (`y`), [`Error::InvalidLogit`],
/// [`Error::AllMasked`]; `y` is untouched on error.
///
/// ```
/// let mut y = [0.0f32; 3];
/// gumbel::softmax(&[0.0, 0.0, f32::NEG_INFINITY], &mut y).unwrap();
/// assert_eq!(y, [0.5, 0.5, 0.0]);
/// ```
pub fn softmax(logits: &[f32], y: &mut [f32]) -> Result<(), Error> {
    let b = Backend::active();
    let m = softmax_max(b, logits, y.len())?;
    b.softmax_write(logits, None, m, 1.0, y);
    Ok(())
}

/// `y = log_softmax(x) = x − m − ln Σ_j e^{x_j − m}`, stable and SIMD; `-inf` entries
/// stay `-inf`.
///
/// # Errors
/// As [`softmax`].
///
/// ```
/// let mut y = [0.0f32; 2];
/// gumbel::log_softmax(&[1.0, 1.0], &mut y).unwrap();
/// assert!((y[0] + std::f32::consts::LN_2).abs() < 1e-6);
/// ```
pub fn log_softmax(logits: &[f32], y: &mut [f32]) -> Result<(), Error> {
    let b = Backend::active();
    let m = softmax_max(b, logits, y.len())?;
    // x − (m + ln Σ) in one subtraction per element; m + ln Σ is formed in f64
    b.log_softmax_write(logits, m, y);
    Ok(())
}

fn forward_checks(logits: &[f32], noise: &[f32], tau: f32, y_len: usize) -> Result<f32, Error> {
    if logits.is_empty() {
        return Err(Error::EmptyRow);
    }
    check_len("noise", logits.len(), noise.len())?;
    check_len("y", logits.len(), y_len)?;
    check_tau(tau)
}

/// Gumbel-softmax (Concrete) sample of one row: `y = softmax((x + g)/τ)` written into
/// `y`; returns `argmax_i (x_i + g_i)` (lowest index on ties), the index of the hard
/// (one-hot) sample — which is exactly `softmax(x)`-distributed.
///
/// Three passes, no allocation: validated max + argmax of `x + g`, `exp` with the max
/// subtracted (sum in f64), and a scale by the reciprocal sum. Stable for τ from 1e-4
/// to 1e4 and logits up to ±1e30; masked (`-inf`) entries get `y = 0`.
///
/// # Errors
/// [`Error::EmptyRow`], [`Error::LengthMismatch`] (`noise`, `y`), [`Error::InvalidTau`],
/// [`Error::InvalidLogit`], [`Error::InvalidNoise`], [`Error::AllMasked`]; `y` is
/// untouched on error.
///
/// ```
/// let logits = [1.0f32, 2.0, 0.5];
/// let mut noise = [0.0f32; 3];
/// gumbel::noise::fill_gumbel(11, 0, &mut noise);
/// let mut y = [0.0f32; 3];
/// let hard = gumbel::gumbel_softmax(&logits, &noise, 0.5, &mut y).unwrap();
/// assert!((y.iter().sum::<f32>() - 1.0).abs() < 1e-6);
/// assert!(y.iter().all(|&v| v <= y[hard]));
/// ```
pub fn gumbel_softmax(
    logits: &[f32],
    noise: &[f32],
    tau: f32,
    y: &mut [f32],
) -> Result<usize, Error> {
    let s = forward_checks(logits, noise, tau, y.len())?;
    let b = Backend::active();
    let (index, m) = relaxed_max(b, logits, noise, 0)?;
    b.softmax_write(logits, Some(noise), m, s, y);
    Ok(index)
}

/// Straight-through Gumbel-softmax forward: the soft sample `y_soft` (kept for the
/// backward pass) and the hard one-hot `y_hard` (`1` at the returned index, `0`
/// elsewhere) that the forward computation uses.
///
/// The straight-through backward of `y_hard` is the soft gradient: call
/// [`gumbel_softmax_backward`]`(y_soft, grad_y_hard, tau, grad_logits)` — exactly what
/// PyTorch's `y_hard − y_soft.detach() + y_soft` does. The estimator is biased (the
/// forward value is discrete, the gradient that of its relaxation); lower τ means
/// less bias and more variance.
///
/// # Errors
/// As [`gumbel_softmax`], plus [`Error::LengthMismatch`] for `y_hard`; both outputs are
/// untouched on error.
///
/// ```
/// let logits = [0.5f32, 1.5, -1.0];
/// let mut noise = [0.0f32; 3];
/// gumbel::noise::fill_gumbel(3, 1, &mut noise);
/// let (mut soft, mut hard) = ([0.0f32; 3], [0.0f32; 3]);
/// let i = gumbel::gumbel_softmax_hard(&logits, &noise, 1.0, &mut soft, &mut hard).unwrap();
/// assert_eq!(hard.iter().sum::<f32>(), 1.0);
/// assert_eq!(hard[i], 1.0);
///
/// // backward: the loss gradient w.r.t. the hard output flows through the soft sample
/// let grad_hard = [1.0f32, 0.0, 0.0];
/// let mut grad_logits = [0.0f32; 3];
/// gumbel::gumbel_softmax_backward(&soft, &grad_hard, 1.0, &mut grad_logits).unwrap();
/// assert!(grad_logits.iter().sum::<f32>().abs() < 1e-6); // softmax gradients sum to 0
/// ```
pub fn gumbel_softmax_hard(
    logits: &[f32],
    noise: &[f32],
    tau: f32,
    y_soft: &mut [f32],
    y_hard: &mut [f32],
) -> Result<usize, Error> {
    let s = forward_checks(logits, noise, tau, y_soft.len())?;
    check_len("y_hard", logits.len(), y_hard.len())?;
    let b = Backend::active();
    let (index, m) = relaxed_max(b, logits, noise, 0)?;
    b.softmax_write(logits, Some(noise), m, s, y_soft);
    y_hard.fill(0.0);
    y_hard[index] = 1.0;
    Ok(index)
}

/// Validate a backward row and return `⟨grad_y, y⟩`.
fn backward_dot(b: Backend, y: &[f32], grad_y: &[f32], offset: usize) -> Result<f64, Error> {
    let d = b.dot(y, grad_y);
    if d.is_finite() {
        return Ok(d);
    }
    for (what, v) in [("y", y), ("grad_y", grad_y)] {
        if let Some(i) = v.iter().position(|a| !a.is_finite()) {
            return Err(Error::NonFinite {
                what,
                index: offset + i,
                value: v[i],
            });
        }
    }
    // finite inputs whose products overflow f32
    Err(Error::NonFinite {
        what: "grad_y",
        index: offset,
        value: f32::INFINITY,
    })
}

/// Backward pass of (Gumbel-)softmax with temperature τ: the vector–Jacobian product
///
/// ```text
/// grad_logits_i = y_i · (grad_y_i − ⟨grad_y, y⟩) / τ
/// ```
///
/// for `y = softmax((x + g)/τ)` (the noise is a constant). Use `tau = 1` for plain
/// [`softmax`]. Masked entries (`y_i = 0`) get gradient 0. Two SIMD passes (a dot
/// product accumulated in f64, then the element-wise product).
///
/// # Errors
/// [`Error::EmptyRow`], [`Error::LengthMismatch`] (`grad_y`, `grad_logits`),
/// [`Error::InvalidTau`], [`Error::NonFinite`] (a non-finite `y` or `grad_y`);
/// `grad_logits` is untouched on error.
///
/// ```
/// let y = [0.25f32, 0.75];
/// let mut g = [0.0f32; 2];
/// gumbel::gumbel_softmax_backward(&y, &[1.0, 0.0], 0.5, &mut g).unwrap();
/// // y0 (1 - y0) / tau = 0.375 and -y1 y0 / tau = -0.375
/// assert!((g[0] - 0.375).abs() < 1e-7 && (g[1] + 0.375).abs() < 1e-7);
/// ```
pub fn gumbel_softmax_backward(
    y: &[f32],
    grad_y: &[f32],
    tau: f32,
    grad_logits: &mut [f32],
) -> Result<(), Error> {
    if y.is_empty() {
        return Err(Error::EmptyRow);
    }
    check_len("grad_y", y.len(), grad_y.len())?;
    check_len("grad_logits", y.len(), grad_logits.len())?;
    let s = check_tau(tau)?;
    let b = Backend::active();
    let d = backward_dot(b, y, grad_y, 0)?;
    b.vjp(y, grad_y, d as f32, s, grad_logits);
    Ok(())
}

/// Batched backward pass of (Gumbel-)softmax: [`gumbel_softmax_backward`] for every row
/// of row-major `rows × cols` buffers, rayon across rows for large batches. Zero rows
/// (empty buffers, `cols > 0`) is a no-op `Ok(())` (after the `tau` check).
///
/// # Errors
/// [`Error::EmptyRow`] (`cols == 0`), [`Error::NotMultipleOfCols`], [`Error::LengthMismatch`]
/// (`grad_y`, `grad_logits`), [`Error::InvalidTau`], [`Error::NonFinite`] (index within
/// the whole slice); `grad_logits` is untouched on error.
///
/// ```
/// let y = [0.5f32, 0.5, 1.0, 0.0];
/// let gy = [1.0f32, 0.0, 1.0, 0.0];
/// let mut gx = [0.0f32; 4];
/// gumbel::gumbel_softmax_backward_batch(&y, &gy, 2, 1.0, &mut gx).unwrap();
/// assert_eq!(gx, [0.25, -0.25, 0.0, 0.0]);
/// ```
pub fn gumbel_softmax_backward_batch(
    y: &[f32],
    grad_y: &[f32],
    cols: usize,
    tau: f32,
    grad_logits: &mut [f32],
) -> Result<(), Error> {
    let rows = batch_rows(y.len(), cols, &[])?;
    check_len("grad_y", y.len(), grad_y.len())?;
    check_len("grad_logits", y.len(), grad_logits.len())?;
    let s = check_tau(tau)?;
    if rows == 0 {
        return Ok(());
    }
    let b = Backend::active();
    let parallel = par_rows(rows, cols, DEFAULT_PARALLEL_THRESHOLD);
    // pass 1: validate every row and keep its dot product; nothing is written yet
    let mut dots = vec![0.0f64; rows];
    rows_each(&mut dots, parallel, |r| {
        let span = r * cols..(r + 1) * cols;
        backward_dot(b, &y[span.clone()], &grad_y[span], r * cols)
    })?;
    let write = |(r, out): (usize, &mut [f32])| {
        let span = r * cols..(r + 1) * cols;
        b.vjp(&y[span.clone()], &grad_y[span], dots[r] as f32, s, out)
    };
    match parallel {
        Some(min) => grad_logits
            .par_chunks_mut(cols)
            .enumerate()
            .with_min_len(min)
            .for_each(write),
        None => grad_logits.chunks_mut(cols).enumerate().for_each(write),
    }
    Ok(())
}
