//! The C ABI of [`gumbel`]: an opaque sampler handle, plain-old-data parameters,
//! integer status codes and a thread-local error message.
//!
//! The header `capi/include/gumbel.h` is generated from this file by cbindgen (the test
//! `tests/header.rs` fails when the committed header differs from what this file
//! declares). `docs/c-api.md` describes building, linking, ownership, threads and the
//! error codes, with an engine-loop example.
//!
//! # Conventions
//!
//! * Every function that can fail returns `GUMBEL_OK` (0) or a negative `GUMBEL_ERR_*`
//!   code, and records a message for `gumbel_last_error` on the calling thread.
//! * Arguments are checked before anything is read through a pointer: first the sampler,
//!   then the sizes (`cols == 0`, `rows * cols` overflow), then the other pointers, then
//!   the parameters. A batch of `rows == 0` is a no-op that returns `GUMBEL_OK` and reads
//!   no pointer but the sampler.
//! * On error nothing is written to the caller's buffers. The `_partial` calls fail a
//!   bad row alone: they report it in `row_status` and leave that row's outputs as they
//!   were.
//! * No Rust panic crosses the boundary: each function catches it and returns
//!   `GUMBEL_ERR_PANIC`; a sampler whose call panicked is poisoned (every later call
//!   on it returns `GUMBEL_ERR_PANIC`) and must only be freed.
//!
//! # Safety
//!
//! This crate is the only place of the workspace whose `unsafe` is about caller-supplied
//! pointers. Every `unsafe` block states its reason in a `// SAFETY:` comment, and every
//! `unsafe extern "C" fn` documents its preconditions in a `# Safety` section (the
//! pointer rules a C caller must keep).
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
// The C names (gumbel_params, ...) are the Rust names, so the header needs no renames.
#![allow(non_camel_case_types)]

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char, c_int};
use std::panic::{AssertUnwindSafe, catch_unwind};

use gumbel::half::{bf16, f16};
use gumbel::{Element, Logprobs, Method, Sampler, SamplingParams, TokenLogprob, TopLogprob};

/// Success.
pub const GUMBEL_OK: c_int = 0;
/// A required pointer is NULL (or not aligned for its element type).
pub const GUMBEL_ERR_NULL_POINTER: c_int = -1;
/// `rows * cols` (or a buffer's size in bytes) does not fit in `size_t` / `ptrdiff_t`.
pub const GUMBEL_ERR_SIZE_OVERFLOW: c_int = -2;
/// A row has no entries: `cols == 0`.
pub const GUMBEL_ERR_EMPTY_ROW: c_int = -3;
/// Two lengths that must agree do not: `n_params` is not 0, 1 or `rows`.
pub const GUMBEL_ERR_LENGTH_MISMATCH: c_int = -4;
/// A sampling parameter is out of range: a temperature that is not finite and `>= 0`, a
/// `top_p` outside (0, 1], a `min_p` outside [0, 1] (NaN anywhere), a `top_n` above
/// `GUMBEL_MAX_TOP_LOGPROBS`. The message names the row and the parameter.
pub const GUMBEL_ERR_INVALID_PARAM: c_int = -5;
/// `gumbel_sampler_set_method` got a value that is no `GUMBEL_METHOD_*`.
pub const GUMBEL_ERR_INVALID_METHOD: c_int = -6;
/// A logit is NaN or `+inf` (`-inf` is allowed: it masks the entry).
pub const GUMBEL_ERR_INVALID_LOGIT: c_int = -7;
/// Every entry of a row is masked (`-inf`).
pub const GUMBEL_ERR_ALL_MASKED: c_int = -8;
/// The library panicked (a bug): the panic was caught at the boundary. The sampler it
/// happened on is poisoned; free it.
pub const GUMBEL_ERR_PANIC: c_int = -9;
/// Any other error of the Rust library (the message says which).
pub const GUMBEL_ERR_OTHER: c_int = -10;

/// Gumbel-max with noise from the sampler's pre-generated noise ring (the default).
/// `gumbel_sampler_refill` fills the ring ahead of time.
pub const GUMBEL_METHOD_GUMBEL_MAX: c_int = 0;
/// Gumbel-max with the noise made in registers (no ring, nothing stored).
pub const GUMBEL_METHOD_FUSED: c_int = 1;
/// Softmax + roulette wheel: one uniform per row.
pub const GUMBEL_METHOD_ROULETTE: c_int = 2;

/// The most top log-probabilities a row can ask for (`top_n`).
pub const GUMBEL_MAX_TOP_LOGPROBS: usize = 20;
const _: () = assert!(GUMBEL_MAX_TOP_LOGPROBS == gumbel::MAX_TOP_LOGPROBS);

/// A seeded sampler: an opaque handle from `gumbel_sampler_new`, released with
/// `gumbel_sampler_free`. Not thread-safe: one thread at a time (use a lock, or one
/// sampler per thread).
pub struct GumbelSampler {
    /// `None` once a call on it panicked (poisoned).
    sampler: Option<Sampler>,
    /// Buffers reused across calls, so a call allocates only when a batch grows.
    scratch: Scratch,
}

/// The engine's views of the C arguments (the Rust types are not `repr(C)`).
#[derive(Default)]
struct Scratch {
    params: Vec<SamplingParams>,
    tokens: Vec<TokenLogprob>,
    top: Vec<TopLogprob>,
}

/// Per-row sampling parameters (vLLM's order: temperature, then min-p, top-k, top-p;
/// every token tied with a threshold is kept).
///
/// Start from `gumbel_params_default` and change what you need.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct gumbel_params {
    /// Finite and `> 0`, or exactly 0 for greedy argmax (default 1).
    pub temperature: f32,
    /// Keep the `top_k` largest logits (ties at the k-th value all kept); 0 = off
    /// (default).
    pub top_k: u32,
    /// Keep the smallest set of largest tokens whose probability reaches `top_p`, in
    /// (0, 1]; 1 = off (default).
    pub top_p: f32,
    /// Keep tokens whose probability is at least `min_p` times the largest, in [0, 1];
    /// 0 = off (default).
    pub min_p: f32,
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// A failed call: its status code and message.
#[derive(Debug)]
struct Failure {
    code: c_int,
    message: String,
}

impl Failure {
    fn new(code: c_int, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }

    fn null(what: &str) -> Failure {
        Failure::new(GUMBEL_ERR_NULL_POINTER, format!("{what} is NULL"))
    }

    /// Record the message for `gumbel_last_error` on this thread; return the code.
    fn record(self) -> c_int {
        let message = CString::new(self.message.replace('\0', " "))
            .unwrap_or_else(|_| CString::from(c"(unprintable error message)"));
        // try_with: during thread teardown the slot may be gone; the code still returns.
        let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = message);
        self.code
    }
}

impl From<gumbel::Error> for Failure {
    fn from(e: gumbel::Error) -> Failure {
        Failure::new(status_of(&e), e.to_string())
    }
}

/// The log-probabilities of a sampled token.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct gumbel_token_logprob {
    /// `ln p` under the processed distribution: the softmax at the row's temperature
    /// over the tokens its filters keep (0 at temperature 0: greedy is certain).
    pub logprob: f32,
    /// `ln p` under the raw logits: `log_softmax(x)` at temperature 1, no filter.
    pub raw_logprob: f32,
    /// 1 + the number of tokens with a strictly larger raw logit (ties share a rank).
    pub rank: u32,
}

/// One of a row's top-n raw log-probabilities.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct gumbel_top_logprob {
    /// The token id (`UINT32_MAX` for a slot beyond the row's unmasked tokens).
    pub token: u32,
    /// Its raw log-probability (`-inf` for an empty slot).
    pub logprob: f32,
}

impl From<TokenLogprob> for gumbel_token_logprob {
    fn from(t: TokenLogprob) -> Self {
        gumbel_token_logprob {
            logprob: t.logprob,
            raw_logprob: t.raw_logprob,
            rank: t.rank,
        }
    }
}

impl From<TopLogprob> for gumbel_top_logprob {
    fn from(t: TopLogprob) -> Self {
        gumbel_top_logprob {
            token: t.token,
            logprob: t.logprob,
        }
    }
}

impl From<gumbel_params> for SamplingParams {
    fn from(p: gumbel_params) -> SamplingParams {
        SamplingParams::default()
            .temperature(p.temperature)
            .top_k(p.top_k as usize)
            .top_p(p.top_p)
            .min_p(p.min_p)
    }
}

/// The status code of a library error: one code per family of `gumbel::Error` variants.
fn status_of(e: &gumbel::Error) -> c_int {
    use gumbel::Error as E;
    match e {
        E::InvalidLogit { .. }
        | E::InvalidProbability { .. }
        | E::InvalidNoise { .. }
        | E::NonFinite { .. } => GUMBEL_ERR_INVALID_LOGIT,
        E::AllMasked { .. } => GUMBEL_ERR_ALL_MASKED,
        E::EmptyRow => GUMBEL_ERR_EMPTY_ROW,
        E::NotMultipleOfCols { .. } | E::LengthMismatch { .. } => GUMBEL_ERR_LENGTH_MISMATCH,
        E::InvalidTemperature(_)
        | E::InvalidTau(_)
        | E::InvalidUniform(_)
        | E::InvalidParameter { .. }
        | E::InvalidSamplingParam { .. } => GUMBEL_ERR_INVALID_PARAM,
        // ScoreOverflow (the samplers recompute such rows instead), ClaimTooLarge and
        // IsaUnavailable are unreachable through this ABI; later variants land here too.
        _ => GUMBEL_ERR_OTHER,
    }
}

/// The text of a caught panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_string()
    }
}

/// Run `f` with panics caught: its status code, with the message recorded on failure.
fn guard(f: impl FnOnce() -> Result<(), Failure>) -> c_int {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => GUMBEL_OK,
        Ok(Err(failure)) => failure.record(),
        Err(payload) => Failure::new(
            GUMBEL_ERR_PANIC,
            format!("gumbel panicked (a bug): {}", panic_message(&*payload)),
        )
        .record(),
    }
}

/// The handle behind `s`, or the failure for NULL.
///
/// # Safety
/// `s` is NULL or a live pointer from `gumbel_sampler_new` that no one else uses for
/// `'a`.
unsafe fn handle<'a>(s: *mut GumbelSampler) -> Result<&'a mut GumbelSampler, Failure> {
    // SAFETY: NULL or live and exclusively ours for 'a: the caller's promise.
    unsafe { s.as_mut() }.ok_or_else(|| Failure::null("sampler"))
}

impl GumbelSampler {
    /// Run `f` on the sampler, taken out of the handle for the duration and put back when
    /// `f` returns, so a panic inside `f` leaves the handle poisoned.
    fn with<R>(
        &mut self,
        f: impl FnOnce(&mut Sampler, &mut Scratch) -> Result<R, Failure>,
    ) -> Result<R, Failure> {
        let mut sampler = self.take()?;
        let result = f(&mut sampler, &mut self.scratch);
        self.sampler = Some(sampler);
        result
    }

    /// The sampler, leaving the handle poisoned until it is put back.
    fn take(&mut self) -> Result<Sampler, Failure> {
        self.sampler.take().ok_or_else(|| {
            Failure::new(
                GUMBEL_ERR_PANIC,
                "the sampler is poisoned by an earlier panic; free it",
            )
        })
    }
}

/// `ptr[..len]` as a slice, after the NULL, alignment and size checks.
///
/// # Safety
/// If `ptr` is non-NULL and aligned, it points to `len` initialised values of `T` that
/// stay valid and are not written by anyone else for `'a`.
unsafe fn slice_arg<'a, T>(ptr: *const T, len: usize, what: &str) -> Result<&'a [T], Failure> {
    check_pointer(ptr, len, what)?;
    // SAFETY: non-NULL, aligned, `len * size_of::<T>() <= isize::MAX` (checked above);
    // validity and the absence of writers for 'a are the caller's promise.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// `ptr[..len]` as a mutable slice, after the NULL, alignment and size checks.
///
/// # Safety
/// If `ptr` is non-NULL and aligned, it points to `len` writable values of `T` that no
/// one else reads or writes for `'a` (in particular it overlaps no input).
unsafe fn slice_arg_mut<'a, T>(
    ptr: *mut T,
    len: usize,
    what: &str,
) -> Result<&'a mut [T], Failure> {
    check_pointer(ptr.cast_const(), len, what)?;
    // SAFETY: non-NULL, aligned, `len * size_of::<T>() <= isize::MAX` (checked above);
    // validity and exclusive access for 'a are the caller's promise.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

fn check_pointer<T>(ptr: *const T, len: usize, what: &str) -> Result<(), Failure> {
    if ptr.is_null() {
        return Err(Failure::null(what));
    }
    if !ptr.is_aligned() {
        return Err(Failure::new(
            GUMBEL_ERR_NULL_POINTER,
            format!(
                "{what} is not aligned to {} bytes",
                std::mem::align_of::<T>()
            ),
        ));
    }
    match len.checked_mul(std::mem::size_of::<T>()) {
        Some(bytes) if bytes <= isize::MAX as usize => Ok(()),
        _ => Err(Failure::new(
            GUMBEL_ERR_SIZE_OVERFLOW,
            format!("{what}: {len} elements do not fit in the address space"),
        )),
    }
}

/// `rows * cols`, or the failure for `cols == 0` or an overflowing product.
fn batch_len(rows: usize, cols: usize) -> Result<usize, Failure> {
    if cols == 0 {
        return Err(Failure::new(
            GUMBEL_ERR_EMPTY_ROW,
            "cols is 0: a row has no entries",
        ));
    }
    rows.checked_mul(cols).ok_or_else(|| {
        Failure::new(
            GUMBEL_ERR_SIZE_OVERFLOW,
            format!("rows * cols = {rows} * {cols} overflows size_t"),
        )
    })
}

/// The parameters a batch call uses: `n_params == 0` means the defaults for every row
/// (`params` is not read and may be NULL: an empty slice); else `n_params` is 1 (all
/// rows) or `rows`.
///
/// # Safety
/// As [`slice_arg`] for `params[..n_params]`.
unsafe fn params_arg<'a>(
    params: *const gumbel_params,
    n_params: usize,
    rows: usize,
) -> Result<&'a [gumbel_params], Failure> {
    if n_params == 0 {
        return Ok(&[]);
    }
    if n_params != 1 && n_params != rows {
        return Err(Failure::new(
            GUMBEL_ERR_LENGTH_MISMATCH,
            format!(
                "n_params is {n_params}: it must be 0 (defaults), 1 (all rows) or rows = {rows}"
            ),
        ));
    }
    // SAFETY: the caller's promise, passed on.
    unsafe { slice_arg(params, n_params, "params") }
}

/// Which logits a batch call reads: an element type and its C pointer type.
trait CElement {
    /// The Rust element type the sampler reads.
    type Rust: Element;
    /// The same memory as the Rust element type.
    fn cast(ptr: *const Self) -> *const Self::Rust;
}

impl CElement for f32 {
    type Rust = f32;
    fn cast(ptr: *const f32) -> *const f32 {
        ptr
    }
}

/// bf16 bits (`uint16_t` in C).
struct Bf16Bits;
/// f16 bits (`uint16_t` in C).
struct F16Bits;

impl CElement for Bf16Bits {
    type Rust = bf16;
    fn cast(ptr: *const Bf16Bits) -> *const bf16 {
        ptr.cast()
    }
}

impl CElement for F16Bits {
    type Rust = f16;
    fn cast(ptr: *const F16Bits) -> *const f16 {
        ptr.cast()
    }
}

/// Where a logprobs call writes its log-probabilities (C pointers, unchecked).
#[derive(Clone, Copy)]
struct LogprobArgs {
    tokens: *mut gumbel_token_logprob,
    top: *mut gumbel_top_logprob,
    top_n: usize,
}

/// One batch call, all element types, keyed or not, with or without log-probabilities.
///
/// # Safety
/// As the public batch functions: every non-NULL pointer valid for its length.
#[allow(clippy::too_many_arguments)]
unsafe fn sample_batch_any<L: Element>(
    s: *mut GumbelSampler,
    logits: *const L,
    rows: usize,
    cols: usize,
    keys: Option<*const u64>,
    params: *const gumbel_params,
    n_params: usize,
    out: *mut u32,
    logprobs: Option<LogprobArgs>,
    row_status: Option<*mut c_int>,
) -> c_int {
    guard(|| {
        // SAFETY: `s` is NULL or a live handle used only by this call (caller's promise).
        let handle = unsafe { handle(s) }?;
        handle.with(|sampler, scratch| {
            let len = batch_len(rows, cols)?;
            if let Some(lp) = logprobs {
                check_top_n(lp.top_n)?;
            }
            if rows == 0 {
                return Ok(());
            }
            // The caller promises `logits[..rows * cols]`, `keys[..rows]` and
            // `params[..n_params]` readable, and `out[..rows]`, `row_status[..rows]`,
            // `logprobs[..rows]` and `top[..rows * top_n]` writable, disjoint from each
            // other and from the inputs, for the duration of the call; the helpers check
            // NULL, alignment and size first.
            // SAFETY: the caller's promise above.
            let logits = unsafe { slice_arg(logits, len, "logits") }?;
            let keys = match keys {
                // SAFETY: the caller's promise above.
                Some(k) => Some(unsafe { slice_arg(k, rows, "keys") }?),
                None => None,
            };
            // SAFETY: the caller's promise above.
            let out = unsafe { slice_arg_mut(out, rows, "out") }?;
            let status = match row_status {
                // SAFETY: the caller's promise above.
                Some(st) => Some(unsafe { slice_arg_mut(st, rows, "row_status") }?),
                None => None,
            };
            let lp = match logprobs {
                Some(lp) => {
                    // SAFETY: the caller's promise above.
                    let tokens = unsafe { slice_arg_mut(lp.tokens, rows, "logprobs") }?;
                    let top = if lp.top_n == 0 {
                        &mut [][..]
                    } else {
                        // rows * top_n <= 20 * rows cannot overflow: `out` fits in memory
                        // SAFETY: the caller's promise above.
                        unsafe { slice_arg_mut(lp.top, rows * lp.top_n, "top") }?
                    };
                    Some((tokens, top, lp.top_n))
                }
                None => None,
            };
            // SAFETY: the caller's promise above.
            let params = unsafe { params_arg(params, n_params, rows) }?;
            let args = engine::Args {
                logits,
                cols,
                keys,
                params,
            };
            engine::sample(sampler, scratch, args, out, lp, status)
        })
    })
}

fn check_top_n(top_n: usize) -> Result<(), Failure> {
    if top_n > GUMBEL_MAX_TOP_LOGPROBS {
        return Err(Failure::new(
            GUMBEL_ERR_INVALID_PARAM,
            format!(
                "top_n is {top_n}: at most GUMBEL_MAX_TOP_LOGPROBS = {GUMBEL_MAX_TOP_LOGPROBS}"
            ),
        ));
    }
    Ok(())
}

/// The calls into the Rust engine.
mod engine {
    use super::*;

    /// The C outputs of a logprobs call: per-row records, `top_n` per row, and `top_n`.
    pub(super) type LogprobOut<'a> = (
        &'a mut [gumbel_token_logprob],
        &'a mut [gumbel_top_logprob],
        usize,
    );

    /// The inputs of a batch call.
    pub(super) struct Args<'a, L> {
        pub logits: &'a [L],
        pub cols: usize,
        pub keys: Option<&'a [u64]>,
        pub params: &'a [gumbel_params],
    }

    /// Sample one batch with per-call parameters; write the log-probabilities (copied
    /// from the engine's records) only when the call succeeds. With `status`, a bad
    /// row fails alone: its status gets its code, its outputs stay untouched, and the
    /// first bad row's message is recorded.
    pub(super) fn sample<L: Element>(
        sampler: &mut Sampler,
        scratch: &mut Scratch,
        args: Args<'_, L>,
        out: &mut [u32],
        logprobs: Option<LogprobOut<'_>>,
        status: Option<&mut [c_int]>,
    ) -> Result<(), Failure> {
        let Args {
            logits,
            cols,
            keys,
            params,
        } = args;
        scratch.params.clear();
        if params.is_empty() {
            scratch.params.push(SamplingParams::default());
        } else {
            scratch
                .params
                .extend(params.iter().map(|&p| SamplingParams::from(p)));
        }
        let params = &scratch.params[..];
        let lp = match &logprobs {
            Some((tokens, top, top_n)) => {
                scratch.tokens.clear();
                scratch.tokens.resize(tokens.len(), TokenLogprob::default());
                scratch.top.clear();
                scratch.top.resize(top.len(), TopLogprob::default());
                Some(Logprobs {
                    tokens: &mut scratch.tokens,
                    top: &mut scratch.top,
                    top_n: *top_n,
                })
            }
            None => None,
        };
        let mut bad_rows = Vec::new();
        match (status, lp) {
            (None, None) => match keys {
                Some(keys) => sampler.sample_batch_keyed_with(logits, cols, keys, params, out)?,
                None => sampler.sample_batch_with(logits, cols, params, out)?,
            },
            (None, Some(lp)) => {
                sampler.sample_batch_logprobs(logits, cols, keys, params, out, lp)?
            }
            (Some(status), lp) => {
                let errors = sampler.sample_batch_partial(logits, cols, keys, params, out, lp)?;
                status.fill(GUMBEL_OK);
                for e in &errors {
                    // every per-row error of the engine names its row
                    if let Some(r) = row_of(e) {
                        status[r] = status_of(e);
                        bad_rows.push(r);
                    }
                }
                if let Some(first) = errors.into_iter().next() {
                    Failure::from(first).record();
                }
            }
        }
        if let Some((tokens, top, top_n)) = logprobs {
            bad_rows.sort_unstable();
            let good = |r: &usize| bad_rows.binary_search(r).is_err();
            for r in (0..tokens.len()).filter(good) {
                tokens[r] = scratch.tokens[r].into();
                let row = r * top_n..(r + 1) * top_n;
                for (c, e) in top[row.clone()].iter_mut().zip(&scratch.top[row]) {
                    *c = (*e).into();
                }
            }
        }
        Ok(())
    }

    /// The row a per-row error names.
    fn row_of(e: &gumbel::Error) -> Option<usize> {
        use gumbel::Error as E;
        match *e {
            E::InvalidLogit { row, .. }
            | E::InvalidProbability { row, .. }
            | E::AllMasked { row }
            | E::ScoreOverflow { row }
            | E::InvalidSamplingParam { row, .. } => Some(row),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------
// The exported functions.
// ---------------------------------------------------------------------------------------

/// A new sampler seeded with `seed` (method `GUMBEL_METHOD_GUMBEL_MAX`), or NULL on
/// failure (a caught panic; then `gumbel_last_error()` says why). It allocates its noise
/// ring on first use. Free it with
/// `gumbel_sampler_free`.
#[unsafe(no_mangle)]
pub extern "C" fn gumbel_sampler_new(seed: u64) -> *mut GumbelSampler {
    let mut made = std::ptr::null_mut();
    let status = guard(|| {
        made = Box::into_raw(Box::new(GumbelSampler {
            sampler: Some(Sampler::new(seed)),
            scratch: Scratch::default(),
        }));
        Ok(())
    });
    if status == GUMBEL_OK {
        made
    } else {
        std::ptr::null_mut()
    }
}

/// Free a sampler. NULL is a no-op, as for `free`.
///
/// # Safety
/// `s` is NULL or a pointer from `gumbel_sampler_new` not freed before; it is not used
/// afterwards, and no other thread uses it during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gumbel_sampler_free(s: *mut GumbelSampler) {
    if s.is_null() {
        return;
    }
    let _ = guard(|| {
        // SAFETY: `s` came from Box::into_raw in gumbel_sampler_new and is freed once.
        drop(unsafe { Box::from_raw(s) });
        Ok(())
    });
}

/// Choose the sampling method: `GUMBEL_METHOD_GUMBEL_MAX` (default),
/// `GUMBEL_METHOD_FUSED` or `GUMBEL_METHOD_ROULETTE`.
///
/// Returns `GUMBEL_OK`, `GUMBEL_ERR_NULL_POINTER` or `GUMBEL_ERR_INVALID_METHOD` (the
/// method is then unchanged).
///
/// # Safety
/// `s` is NULL or a live sampler used by no other thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gumbel_sampler_set_method(s: *mut GumbelSampler, method: c_int) -> c_int {
    let method = match method {
        GUMBEL_METHOD_GUMBEL_MAX => Ok(Method::GumbelMax),
        GUMBEL_METHOD_FUSED => Ok(Method::GumbelMaxFused),
        GUMBEL_METHOD_ROULETTE => Ok(Method::SoftmaxRoulette),
        other => Err(Failure::new(
            GUMBEL_ERR_INVALID_METHOD,
            format!("unknown method {other}: use a GUMBEL_METHOD_* value"),
        )),
    };
    guard(|| {
        // SAFETY: `s` is NULL or a live handle used only by this call (caller's promise).
        let handle = unsafe { handle(s) }?;
        let sampler = handle.take()?;
        // put back even on a bad method; a panic in `method` leaves the handle poisoned
        handle.sampler = Some(match method {
            Ok(m) => sampler.method(m),
            Err(_) => sampler,
        });
        method.map(|_| ())
    })
}

/// Top up the sampler's noise ring now (for `GUMBEL_METHOD_GUMBEL_MAX`): call it off
/// the critical path, e.g. while the model computes the next logits.
///
/// # Safety
/// `s` is NULL or a live sampler used by no other thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gumbel_sampler_refill(s: *mut GumbelSampler) -> c_int {
    guard(|| {
        // SAFETY: `s` is NULL or a live handle used only by this call (caller's promise).
        let handle = unsafe { handle(s) }?;
        handle.with(|sampler, _| {
            sampler.refill();
            Ok(())
        })
    })
}

/// The default parameters: temperature 1, `top_k` 0 (off), `top_p` 1 (off), `min_p` 0
/// (off).
#[unsafe(no_mangle)]
pub extern "C" fn gumbel_params_default() -> gumbel_params {
    let d = SamplingParams::default();
    gumbel_params {
        temperature: d.temperature,
        top_k: u32::try_from(d.top_k).unwrap_or(u32::MAX),
        top_p: d.top_p,
        min_p: d.min_p,
    }
}

/// Sample one token per row of a row-major `rows x cols` batch of f32 logits into
/// `out[0..rows]`.
///
/// `params` holds `n_params` entries: 1 (for every row) or `rows` (one per row); with
/// `n_params == 0` every row uses `gumbel_params_default()` and `params` may be NULL.
/// `-inf` masks an entry. With `rows == 0` nothing is read and `GUMBEL_OK` returns.
///
/// Returns `GUMBEL_OK` or `GUMBEL_ERR_NULL_POINTER`, `_SIZE_OVERFLOW`, `_EMPTY_ROW`,
/// `_LENGTH_MISMATCH`, `_INVALID_PARAM`, `_INVALID_LOGIT`, `_ALL_MASKED`, `_PANIC`; on
/// error `out` is untouched (the call's randomness may be spent).
///
/// # Safety
/// `s` is NULL or a live sampler used by no other thread during the call; `logits` is
/// NULL or points to `rows * cols` floats, `params` to `n_params` entries, `out` to
/// `rows` writable `uint32_t` that overlap no input.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gumbel_sampler_sample_batch(
    s: *mut GumbelSampler,
    logits: *const f32,
    rows: usize,
    cols: usize,
    params: *const gumbel_params,
    n_params: usize,
    out: *mut u32,
) -> c_int {
    // SAFETY: the caller's promises, passed on.
    unsafe {
        sample_batch_any(
            s,
            f32::cast(logits),
            rows,
            cols,
            None,
            params,
            n_params,
            out,
            None,
            None,
        )
    }
}

/// `gumbel_sampler_sample_batch` for bf16 logits (`uint16_t` bit patterns).
///
/// # Safety
/// As `gumbel_sampler_sample_batch`, with `logits` pointing to `rows * cols` `uint16_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gumbel_sampler_sample_batch_bf16(
    s: *mut GumbelSampler,
    logits: *const u16,
    rows: usize,
    cols: usize,
    params: *const gumbel_params,
    n_params: usize,
    out: *mut u32,
) -> c_int {
    let logits = Bf16Bits::cast(logits.cast());
    // SAFETY: the caller's promises, passed on; bf16 is a repr(transparent) u16.
    unsafe {
        sample_batch_any(
            s, logits, rows, cols, None, params, n_params, out, None, None,
        )
    }
}

/// `gumbel_sampler_sample_batch` for IEEE f16 logits (`uint16_t` bit patterns).
///
/// # Safety
/// As `gumbel_sampler_sample_batch`, with `logits` pointing to `rows * cols` `uint16_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gumbel_sampler_sample_batch_f16(
    s: *mut GumbelSampler,
    logits: *const u16,
    rows: usize,
    cols: usize,
    params: *const gumbel_params,
    n_params: usize,
    out: *mut u32,
) -> c_int {
    let logits = F16Bits::cast(logits.cast());
    // SAFETY: the caller's promises, passed on; f16 is a repr(transparent) u16.
    unsafe {
        sample_batch_any(
            s, logits, rows, cols, None, params, n_params, out, None, None,
        )
    }
}

/// Like `gumbel_sampler_sample_batch`, but row `r`'s randomness depends only on the
/// sampler's seed and `keys[r]` (e.g. `request_id << 32 | step`): a request's token does
/// not depend on which other requests share the batch. Keys must be unique per draw.
/// Keyed calls do not use the noise ring.
///
/// # Safety
/// As `gumbel_sampler_sample_batch`, with `keys` NULL or pointing to `rows` `uint64_t`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn gumbel_sampler_sample_batch_keyed(
    s: *mut GumbelSampler,
    logits: *const f32,
    rows: usize,
    cols: usize,
    keys: *const u64,
    params: *const gumbel_params,
    n_params: usize,
    out: *mut u32,
) -> c_int {
    // SAFETY: the caller's promises, passed on.
    unsafe {
        sample_batch_any(
            s,
            f32::cast(logits),
            rows,
            cols,
            Some(keys),
            params,
            n_params,
            out,
            None,
            None,
        )
    }
}

/// `gumbel_sampler_sample_batch_keyed` for bf16 logits (`uint16_t` bit patterns).
///
/// # Safety
/// As `gumbel_sampler_sample_batch_keyed`, with `logits` pointing to `rows * cols`
/// `uint16_t`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn gumbel_sampler_sample_batch_keyed_bf16(
    s: *mut GumbelSampler,
    logits: *const u16,
    rows: usize,
    cols: usize,
    keys: *const u64,
    params: *const gumbel_params,
    n_params: usize,
    out: *mut u32,
) -> c_int {
    let logits = Bf16Bits::cast(logits.cast());
    // SAFETY: the caller's promises, passed on; bf16 is a repr(transparent) u16.
    unsafe {
        sample_batch_any(
            s,
            logits,
            rows,
            cols,
            Some(keys),
            params,
            n_params,
            out,
            None,
            None,
        )
    }
}

/// `gumbel_sampler_sample_batch_keyed` for IEEE f16 logits (`uint16_t` bit patterns).
///
/// # Safety
/// As `gumbel_sampler_sample_batch_keyed`, with `logits` pointing to `rows * cols`
/// `uint16_t`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn gumbel_sampler_sample_batch_keyed_f16(
    s: *mut GumbelSampler,
    logits: *const u16,
    rows: usize,
    cols: usize,
    keys: *const u64,
    params: *const gumbel_params,
    n_params: usize,
    out: *mut u32,
) -> c_int {
    let logits = F16Bits::cast(logits.cast());
    // SAFETY: the caller's promises, passed on; f16 is a repr(transparent) u16.
    unsafe {
        sample_batch_any(
            s,
            logits,
            rows,
            cols,
            Some(keys),
            params,
            n_params,
            out,
            None,
            None,
        )
    }
}

/// `gumbel_sampler_sample_batch` (or, with non-NULL `keys`, its keyed form) that also
/// writes each sampled token's log-probabilities to `logprobs[0..rows]` (processed and
/// raw `ln p`, rank) and each row's `top_n` highest raw log-probabilities with their
/// token ids to `top[r * top_n .. (r + 1) * top_n]` (descending, ties by lower id;
/// `top_n <= GUMBEL_MAX_TOP_LOGPROBS`, 0 for none, and then `top` may be NULL).
///
/// The tokens are those of the same call without log-probabilities. Errors as
/// `gumbel_sampler_sample_batch`, plus `GUMBEL_ERR_INVALID_PARAM` for `top_n > 20`;
/// on error `out`, `logprobs` and `top` are untouched.
///
/// # Safety
/// As `gumbel_sampler_sample_batch_keyed` (with `keys` NULL for an unkeyed call), and
/// `logprobs` NULL or pointing to `rows` writable records, `top` NULL or pointing to
/// `rows * top_n` writable records, neither overlapping any other argument.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn gumbel_sampler_sample_batch_logprobs(
    s: *mut GumbelSampler,
    logits: *const f32,
    rows: usize,
    cols: usize,
    keys: *const u64,
    params: *const gumbel_params,
    n_params: usize,
    out: *mut u32,
    logprobs: *mut gumbel_token_logprob,
    top: *mut gumbel_top_logprob,
    top_n: usize,
) -> c_int {
    let keys = (!keys.is_null()).then_some(keys);
    let lp = LogprobArgs {
        tokens: logprobs,
        top,
        top_n,
    };
    // SAFETY: the caller's promises, passed on.
    unsafe {
        sample_batch_any(
            s,
            f32::cast(logits),
            rows,
            cols,
            keys,
            params,
            n_params,
            out,
            Some(lp),
            None,
        )
    }
}

/// `gumbel_sampler_sample_batch_logprobs` for bf16 logits (`uint16_t` bit patterns).
///
/// # Safety
/// As `gumbel_sampler_sample_batch_logprobs`, with `logits` pointing to `rows * cols`
/// `uint16_t`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn gumbel_sampler_sample_batch_logprobs_bf16(
    s: *mut GumbelSampler,
    logits: *const u16,
    rows: usize,
    cols: usize,
    keys: *const u64,
    params: *const gumbel_params,
    n_params: usize,
    out: *mut u32,
    logprobs: *mut gumbel_token_logprob,
    top: *mut gumbel_top_logprob,
    top_n: usize,
) -> c_int {
    let keys = (!keys.is_null()).then_some(keys);
    let lp = LogprobArgs {
        tokens: logprobs,
        top,
        top_n,
    };
    let logits = Bf16Bits::cast(logits.cast());
    // SAFETY: the caller's promises, passed on; bf16 is a repr(transparent) u16.
    unsafe {
        sample_batch_any(
            s,
            logits,
            rows,
            cols,
            keys,
            params,
            n_params,
            out,
            Some(lp),
            None,
        )
    }
}

/// `gumbel_sampler_sample_batch_logprobs` for IEEE f16 logits (`uint16_t` bit patterns).
///
/// # Safety
/// As `gumbel_sampler_sample_batch_logprobs`, with `logits` pointing to `rows * cols`
/// `uint16_t`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn gumbel_sampler_sample_batch_logprobs_f16(
    s: *mut GumbelSampler,
    logits: *const u16,
    rows: usize,
    cols: usize,
    keys: *const u64,
    params: *const gumbel_params,
    n_params: usize,
    out: *mut u32,
    logprobs: *mut gumbel_token_logprob,
    top: *mut gumbel_top_logprob,
    top_n: usize,
) -> c_int {
    let keys = (!keys.is_null()).then_some(keys);
    let lp = LogprobArgs {
        tokens: logprobs,
        top,
        top_n,
    };
    let logits = F16Bits::cast(logits.cast());
    // SAFETY: the caller's promises, passed on; f16 is a repr(transparent) u16.
    unsafe {
        sample_batch_any(
            s,
            logits,
            rows,
            cols,
            keys,
            params,
            n_params,
            out,
            Some(lp),
            None,
        )
    }
}

/// The engine's call: sample every row whose logits and parameters are valid, and fail
/// the others alone. `row_status[r]` gets `GUMBEL_OK` or row `r`'s error code
/// (`GUMBEL_ERR_INVALID_LOGIT`, `_ALL_MASKED`, `_INVALID_PARAM`); a bad row's `out`
/// (and log-probability) slots are left as they were, and `gumbel_last_error()` gets
/// the first bad row's message. One request's NaN logits never take the batch down.
///
/// `keys` NULL means an unkeyed call. `logprobs` NULL (with `top_n == 0`) means no
/// log-probabilities; otherwise as `gumbel_sampler_sample_batch_logprobs`. Every row,
/// good or bad, consumes its randomness, so the good rows get the tokens of a clean
/// batch.
///
/// Returns `GUMBEL_OK` when the call itself is valid, whatever its rows; the call-level
/// errors are those of the sizes and pointers (`GUMBEL_ERR_NULL_POINTER`,
/// `_SIZE_OVERFLOW`, `_EMPTY_ROW`, `_LENGTH_MISMATCH`, `_INVALID_PARAM` for `top_n`,
/// `_PANIC`), and then nothing is written, `row_status` included.
///
/// # Safety
/// As `gumbel_sampler_sample_batch_logprobs`, with `logprobs` and `top` NULL or valid,
/// and `row_status` NULL or pointing to `rows` writable `int` overlapping no other
/// argument.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn gumbel_sampler_sample_batch_partial(
    s: *mut GumbelSampler,
    logits: *const f32,
    rows: usize,
    cols: usize,
    keys: *const u64,
    params: *const gumbel_params,
    n_params: usize,
    out: *mut u32,
    row_status: *mut c_int,
    logprobs: *mut gumbel_token_logprob,
    top: *mut gumbel_top_logprob,
    top_n: usize,
) -> c_int {
    let (keys, lp) = partial_args(keys, logprobs, top, top_n);
    // SAFETY: the caller's promises, passed on.
    unsafe {
        sample_batch_any(
            s,
            f32::cast(logits),
            rows,
            cols,
            keys,
            params,
            n_params,
            out,
            lp,
            Some(row_status),
        )
    }
}

/// `gumbel_sampler_sample_batch_partial` for bf16 logits (`uint16_t` bit patterns).
///
/// # Safety
/// As `gumbel_sampler_sample_batch_partial`, with `logits` pointing to `rows * cols`
/// `uint16_t`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn gumbel_sampler_sample_batch_partial_bf16(
    s: *mut GumbelSampler,
    logits: *const u16,
    rows: usize,
    cols: usize,
    keys: *const u64,
    params: *const gumbel_params,
    n_params: usize,
    out: *mut u32,
    row_status: *mut c_int,
    logprobs: *mut gumbel_token_logprob,
    top: *mut gumbel_top_logprob,
    top_n: usize,
) -> c_int {
    let (keys, lp) = partial_args(keys, logprobs, top, top_n);
    let logits = Bf16Bits::cast(logits.cast());
    // SAFETY: the caller's promises, passed on; bf16 is a repr(transparent) u16.
    unsafe {
        sample_batch_any(
            s,
            logits,
            rows,
            cols,
            keys,
            params,
            n_params,
            out,
            lp,
            Some(row_status),
        )
    }
}

/// `gumbel_sampler_sample_batch_partial` for IEEE f16 logits (`uint16_t` bit patterns).
///
/// # Safety
/// As `gumbel_sampler_sample_batch_partial`, with `logits` pointing to `rows * cols`
/// `uint16_t`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn gumbel_sampler_sample_batch_partial_f16(
    s: *mut GumbelSampler,
    logits: *const u16,
    rows: usize,
    cols: usize,
    keys: *const u64,
    params: *const gumbel_params,
    n_params: usize,
    out: *mut u32,
    row_status: *mut c_int,
    logprobs: *mut gumbel_token_logprob,
    top: *mut gumbel_top_logprob,
    top_n: usize,
) -> c_int {
    let (keys, lp) = partial_args(keys, logprobs, top, top_n);
    let logits = F16Bits::cast(logits.cast());
    // SAFETY: the caller's promises, passed on; f16 is a repr(transparent) u16.
    unsafe {
        sample_batch_any(
            s,
            logits,
            rows,
            cols,
            keys,
            params,
            n_params,
            out,
            lp,
            Some(row_status),
        )
    }
}

/// The optional arguments of a partial call: `keys` NULL = unkeyed; `logprobs` NULL
/// with `top_n == 0` = no log-probabilities (with `top_n > 0` it is checked, and so
/// refused as NULL).
fn partial_args(
    keys: *const u64,
    logprobs: *mut gumbel_token_logprob,
    top: *mut gumbel_top_logprob,
    top_n: usize,
) -> (Option<*const u64>, Option<LogprobArgs>) {
    let keys = (!keys.is_null()).then_some(keys);
    let lp = (!logprobs.is_null() || top_n > 0).then_some(LogprobArgs {
        tokens: logprobs,
        top,
        top_n,
    });
    (keys, lp)
}

/// The message of the last failed call on this thread, or `""` if none failed yet.
/// Never NULL. The string belongs to the library and stays valid until the next failing
/// `gumbel_*` call on this thread (copy it to keep it); successful calls leave it as it
/// is.
#[unsafe(no_mangle)]
pub extern "C" fn gumbel_last_error() -> *const c_char {
    LAST_ERROR
        .try_with(|slot| slot.borrow().as_ptr())
        .unwrap_or(c"".as_ptr())
}

/// A short static description of a status code ("ok", "null pointer", ...), or
/// "unknown status" for a value that is none. Never NULL; never to be freed.
#[unsafe(no_mangle)]
pub extern "C" fn gumbel_status_string(status: c_int) -> *const c_char {
    status_name(status).as_ptr()
}

fn status_name(status: c_int) -> &'static CStr {
    match status {
        GUMBEL_OK => c"ok",
        GUMBEL_ERR_NULL_POINTER => c"null or misaligned pointer",
        GUMBEL_ERR_SIZE_OVERFLOW => c"size overflow",
        GUMBEL_ERR_EMPTY_ROW => c"empty row",
        GUMBEL_ERR_LENGTH_MISMATCH => c"length mismatch",
        GUMBEL_ERR_INVALID_PARAM => c"invalid parameter",
        GUMBEL_ERR_INVALID_METHOD => c"invalid method",
        GUMBEL_ERR_INVALID_LOGIT => c"invalid logit",
        GUMBEL_ERR_ALL_MASKED => c"all entries masked",
        GUMBEL_ERR_PANIC => c"internal panic",
        GUMBEL_ERR_OTHER => c"other error",
        _ => c"unknown status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_error() -> String {
        // SAFETY: gumbel_last_error never returns NULL and its string is NUL-terminated.
        unsafe { CStr::from_ptr(gumbel_last_error()) }
            .to_string_lossy()
            .into_owned()
    }

    /// GUMBEL_ERR_PANIC: a panic is caught at the boundary, its message recorded, and the
    /// sampler it happened on is poisoned for every later call.
    #[test]
    fn a_panic_is_caught_and_poisons_the_sampler() {
        let s = gumbel_sampler_new(1);
        let rc = guard(|| {
            // SAFETY: `s` is live and used only by this thread.
            let handle = unsafe { handle(s) }?;
            handle.with(|_, _| -> Result<(), Failure> { panic!("injected") })
        });
        assert_eq!(rc, GUMBEL_ERR_PANIC);
        assert!(last_error().contains("injected"), "{}", last_error());
        // SAFETY: `s` is live and used only by this thread.
        assert_eq!(unsafe { gumbel_sampler_refill(s) }, GUMBEL_ERR_PANIC);
        assert!(last_error().contains("poisoned"), "{}", last_error());
        // SAFETY: as above.
        let rc = unsafe { gumbel_sampler_set_method(s, GUMBEL_METHOD_FUSED) };
        assert_eq!(rc, GUMBEL_ERR_PANIC);
        let logits = [0.0f32, 1.0];
        let mut out = [u32::MAX];
        // SAFETY: valid pointers for 1 x 2 logits and 1 token.
        let rc = unsafe {
            gumbel_sampler_sample_batch(
                s,
                logits.as_ptr(),
                1,
                2,
                std::ptr::null(),
                0,
                out.as_mut_ptr(),
            )
        };
        assert_eq!(rc, GUMBEL_ERR_PANIC);
        assert_eq!(out, [u32::MAX]);
        // SAFETY: `s` came from gumbel_sampler_new and is freed once.
        unsafe { gumbel_sampler_free(s) };
    }

    /// GUMBEL_ERR_OTHER: the library errors this ABI cannot provoke still map to a code.
    #[test]
    fn every_library_error_has_a_negative_code() {
        use gumbel::Error as E;
        let cases = [
            (E::ScoreOverflow { row: 0 }, GUMBEL_ERR_OTHER),
            (
                E::ClaimTooLarge {
                    requested: 2,
                    capacity: 1,
                },
                GUMBEL_ERR_OTHER,
            ),
            (E::EmptyRow, GUMBEL_ERR_EMPTY_ROW),
            (E::AllMasked { row: 3 }, GUMBEL_ERR_ALL_MASKED),
            (E::InvalidTemperature(-1.0), GUMBEL_ERR_INVALID_PARAM),
            (
                E::InvalidLogit {
                    row: 0,
                    col: 0,
                    value: f32::NAN,
                },
                GUMBEL_ERR_INVALID_LOGIT,
            ),
            (
                E::LengthMismatch {
                    what: "out",
                    expected: 1,
                    found: 2,
                },
                GUMBEL_ERR_LENGTH_MISMATCH,
            ),
        ];
        for (e, code) in cases {
            assert_eq!(status_of(&e), code, "{e}");
            let failure = Failure::from(e.clone());
            assert_eq!(failure.record(), code);
            assert_eq!(last_error(), e.to_string());
        }
        for code in GUMBEL_ERR_OTHER..=GUMBEL_OK {
            assert_ne!(status_name(code), c"unknown status", "{code}");
        }
    }

    /// A misaligned pointer is refused (GUMBEL_ERR_NULL_POINTER), never dereferenced.
    #[test]
    fn misaligned_pointers_are_refused() {
        let s = gumbel_sampler_new(1);
        let logits = [0.0f32; 3];
        let misaligned = logits.as_ptr().cast::<u8>().wrapping_add(1).cast::<f32>();
        let mut out = [u32::MAX];
        // SAFETY: `s` is live; the misaligned pointer is checked before any read.
        let rc = unsafe {
            gumbel_sampler_sample_batch(s, misaligned, 1, 2, std::ptr::null(), 0, out.as_mut_ptr())
        };
        assert_eq!(rc, GUMBEL_ERR_NULL_POINTER);
        assert!(last_error().contains("aligned"), "{}", last_error());
        assert_eq!(out, [u32::MAX]);
        // SAFETY: `s` came from gumbel_sampler_new and is freed once.
        unsafe { gumbel_sampler_free(s) };
    }

    /// `gumbel_params_default` is the engine's `SamplingParams::default()`, and the
    /// conversion keeps every field.
    #[test]
    fn default_params_are_the_engines() {
        let d = gumbel_params_default();
        assert_eq!(SamplingParams::from(d), SamplingParams::default());
        let p = gumbel_params {
            temperature: 0.5,
            top_k: 7,
            top_p: 0.9,
            min_p: 0.05,
        };
        let q = SamplingParams::from(p);
        assert_eq!(
            (q.temperature, q.top_k, q.top_p, q.min_p),
            (0.5, 7, 0.9, 0.05)
        );
    }

    /// A NUL inside a message cannot truncate it into something misleading.
    #[test]
    fn messages_with_nul_bytes_are_kept() {
        assert_eq!(
            Failure::new(GUMBEL_ERR_OTHER, "a\0b").record(),
            GUMBEL_ERR_OTHER
        );
        assert_eq!(last_error(), "a b");
    }
}
