//! The SIMD layer: instruction-set detection, run-time dispatch, and the math kernels.
//!
//! Kernels are written once, generic over a small vector trait, and compiled four
//! times: for AVX-512F and for AVX2 + FMA (each inside `#[target_feature]` entry
//! functions, so a default build with no `-C target-cpu` still runs them), for the
//! portable [`wide`] path, and for a one-lane scalar path that serves as the reference.
//!
//! # Choosing the instruction set
//!
//! [`Isa::active`] is what every public function uses. It is, in order:
//!
//! 1. the ISA set on this thread by [`with_isa`] (tests and benchmarks use this to run
//!    every path in one process);
//! 2. the ISA named by the environment variable `GUMBEL_ISA`
//!    (`avx512`, `avx2`, `portable` or `scalar`), read once per process. If it names
//!    an unknown ISA or one this CPU does not have, the first call that needs an ISA
//!    **panics** with a message saying so: a CI job that forces a path can never pass
//!    by silently running another;
//! 3. otherwise the best available: AVX-512F, then AVX2 + FMA, then portable.
//!
//! Batched calls read the active ISA once, on the calling thread, and hand it to
//! their rayon workers, so [`with_isa`] covers them too.
//!
//! ```
//! use gumbel::simd::{self, Isa};
//!
//! println!("running on {}", Isa::active());
//! let x = [0.5f32, 1.0, 2.0];
//! let mut y = [0.0f32; 3];
//! for isa in Isa::available() {
//!     simd::with_isa(isa, || simd::ln(&x, &mut y)).unwrap().unwrap();
//!     assert!((y[1]).abs() == 0.0 && (y[2] - std::f32::consts::LN_2).abs() < 1e-7);
//! }
//! ```

pub(crate) mod kernels;
pub(crate) mod math;
mod portable;
mod scalar;
pub(crate) mod vector;
#[cfg(target_arch = "x86_64")]
mod x86;

use core::fmt;
use std::cell::Cell;
use std::str::FromStr;
use std::sync::OnceLock;

use crate::error::{Error, check_len};
use crate::noise::lanes::LaneState;
use kernels::{Argmax, Scale};

/// An instruction-set path through the kernels.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Isa {
    /// AVX-512F, 16 lanes (x86-64, detected at run time).
    Avx512,
    /// AVX2 + FMA, 8 lanes (x86-64, detected at run time).
    Avx2,
    /// `wide`'s `f32x8`: SSE2 on x86-64 default builds, NEON on aarch64.
    Portable,
    /// One lane at a time: the reference every other path is tested against.
    Scalar,
}

impl Isa {
    /// Every ISA, fastest first.
    ///
    /// ```
    /// assert_eq!(gumbel::simd::Isa::ALL.len(), 4);
    /// ```
    pub const ALL: [Isa; 4] = [Isa::Avx512, Isa::Avx2, Isa::Portable, Isa::Scalar];

    /// The name used by `GUMBEL_ISA`: `avx512`, `avx2`, `portable`, `scalar`.
    ///
    /// ```
    /// assert_eq!(gumbel::simd::Isa::Avx2.name(), "avx2");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2 => "avx2",
            Isa::Portable => "portable",
            Isa::Scalar => "scalar",
        }
    }

    /// Whether this CPU can run the path (portable and scalar always can).
    ///
    /// ```
    /// assert!(gumbel::simd::Isa::Scalar.is_available());
    /// ```
    pub fn is_available(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(not(target_arch = "x86_64"))]
            Isa::Avx512 | Isa::Avx2 => false,
            Isa::Portable | Isa::Scalar => true,
        }
    }

    /// The ISAs this CPU can run, fastest first.
    ///
    /// ```
    /// let isas: Vec<_> = gumbel::simd::Isa::available().collect();
    /// assert!(isas.contains(&gumbel::simd::Isa::Portable));
    /// ```
    pub fn available() -> impl Iterator<Item = Isa> {
        Isa::ALL.into_iter().filter(|i| i.is_available())
    }

    /// The fastest ISA this CPU can run, ignoring `GUMBEL_ISA` and [`with_isa`].
    ///
    /// ```
    /// assert!(gumbel::simd::Isa::best().is_available());
    /// ```
    pub fn best() -> Isa {
        Isa::available().next().unwrap_or(Isa::Scalar)
    }

    /// The ISA the public functions use on this thread right now (see the module docs).
    ///
    /// # Panics
    /// If `GUMBEL_ISA` names an unknown ISA or one this CPU lacks.
    ///
    /// ```
    /// let isa = gumbel::simd::Isa::active();
    /// assert!(isa.is_available());
    /// ```
    pub fn active() -> Isa {
        active_kernels().isa
    }

    pub(crate) fn kernels(self) -> Option<&'static Kernels> {
        if !self.is_available() {
            return None;
        }
        Some(match self {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => &avx512_entry::TABLE,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => &avx2_entry::TABLE,
            Isa::Portable => &portable_entry::TABLE,
            _ => &scalar_entry::TABLE,
        })
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Isa {
    type Err = String;
    /// Parses the names accepted by `GUMBEL_ISA` (case-insensitive).
    fn from_str(s: &str) -> Result<Isa, String> {
        Isa::ALL
            .into_iter()
            .find(|i| i.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown ISA {s:?} (expected avx512, avx2, portable or scalar)"))
    }
}

thread_local! {
    static OVERRIDE: Cell<Option<Isa>> = const { Cell::new(None) };
}

static GLOBAL: OnceLock<&'static Kernels> = OnceLock::new();

fn global_kernels() -> &'static Kernels {
    GLOBAL.get_or_init(|| match std::env::var("GUMBEL_ISA") {
        Ok(name) if !name.trim().is_empty() => {
            let isa = name
                .parse::<Isa>()
                .unwrap_or_else(|e| panic!("GUMBEL_ISA: {e}"));
            isa.kernels().unwrap_or_else(|| {
                panic!("GUMBEL_ISA={name} forces the {isa} path, but this CPU does not support it")
            })
        }
        _ => Isa::best().kernels().expect("the best ISA is available"),
    })
}

pub(crate) fn active_kernels() -> &'static Kernels {
    match OVERRIDE.with(|o| o.get()) {
        Some(isa) => isa.kernels().expect("with_isa checked availability"),
        None => global_kernels(),
    }
}

/// Run `f` with every public function on this thread using `isa`.
///
/// Batched functions called inside `f` pass the choice on to their worker threads.
/// Nested calls restore the previous choice when they return (also on panic).
///
/// # Errors
/// [`Error::IsaUnavailable`] if this CPU cannot run `isa`; `f` is not called.
///
/// ```
/// use gumbel::simd::{with_isa, Isa};
/// let used = with_isa(Isa::Scalar, Isa::active).unwrap();
/// assert_eq!(used, Isa::Scalar);
/// ```
pub fn with_isa<R>(isa: Isa, f: impl FnOnce() -> R) -> Result<R, Error> {
    if !isa.is_available() {
        return Err(Error::IsaUnavailable(isa));
    }
    struct Restore(Option<Isa>);
    impl Drop for Restore {
        fn drop(&mut self) {
            OVERRIDE.with(|o| o.set(self.0));
        }
    }
    let _restore = Restore(OVERRIDE.with(|o| o.replace(Some(isa))));
    Ok(f())
}

/// Natural logarithm of every element: `y[i] = ln(x[i])`, ≤ 1 ulp on every positive
/// finite f32 (subnormals included), on every ISA. `ln(±0) = -inf`, `ln(+inf) = +inf`,
/// NaN for negative inputs and NaN.
///
/// # Errors
/// [`Error::LengthMismatch`] if `y.len() != x.len()` (nothing is written).
///
/// ```
/// let mut y = [0.0f32; 2];
/// gumbel::simd::ln(&[1.0, std::f32::consts::E], &mut y)?;
/// assert_eq!(y[0], 0.0);
/// assert!((y[1] - 1.0).abs() <= f32::EPSILON);
/// assert!(gumbel::simd::ln(&[1.0], &mut y).is_err());
/// # Ok::<(), gumbel::Error>(())
/// ```
pub fn ln(x: &[f32], y: &mut [f32]) -> Result<(), Error> {
    check_len("y", x.len(), y.len())?;
    (active_kernels().ln)(x, y);
    Ok(())
}

/// Exponential of every element: `y[i] = e^x[i]`, ≤ 2 ulp on [-104, 89] (subnormal
/// results included), on every ISA; `+inf` above, `0` below, NaN passed through.
///
/// # Errors
/// [`Error::LengthMismatch`] if `y.len() != x.len()` (nothing is written).
///
/// ```
/// let mut y = [0.0f32; 2];
/// gumbel::simd::exp(&[0.0, 1.0], &mut y)?;
/// assert_eq!(y[0], 1.0);
/// assert!((y[1] - std::f32::consts::E).abs() <= 2.0 * f32::EPSILON * 2.0);
/// # Ok::<(), gumbel::Error>(())
/// ```
pub fn exp(x: &[f32], y: &mut [f32]) -> Result<(), Error> {
    check_len("y", x.len(), y.len())?;
    (active_kernels().exp)(x, y);
    Ok(())
}

/// Which values the scoring kernels read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Input {
    /// Logits; `-inf` masks.
    Logits,
    /// Unnormalised probabilities, read as `ln α`; zero masks.
    Probs,
}

/// `exp_store(x, noise, m, s, y) -> Σ y`.
pub(crate) type ExpStoreFn = fn(&[f32], Option<&[f32]>, f32, f32, &mut [f32]) -> f64;

/// One ISA's kernels as safe function pointers. Only reachable through
/// [`Isa::kernels`], which checks that the CPU supports the ISA.
pub(crate) struct Kernels {
    pub isa: Isa,
    pub ln: fn(&[f32], &mut [f32]),
    pub exp: fn(&[f32], &mut [f32]),
    pub gumbel_map: fn(&[u32], &mut [f32]),
    pub fill_gumbel: fn(&mut LaneState, &mut [f32]),
    /// `fill_gumbel` with non-temporal stores where the ISA has them (same values);
    /// falls back to `fill_gumbel` unless `out` is 64-byte aligned and a multiple of
    /// 16 long.
    pub fill_gumbel_stream: fn(&mut LaneState, &mut [f32]),
    pub fill_bits: fn(&mut LaneState, &mut [u32]),
    /// Max of the row and whether any input is invalid.
    pub max: fn(Input, &[f32]) -> (f32, bool),
    /// Plain argmax (greedy), validating.
    pub argmax: fn(Input, &[f32]) -> Argmax,
    /// argmax of scaled values + noise slice (noise at least as long as the row).
    pub argmax_noise: fn(Input, &[f32], &[f32], Scale) -> Argmax,
    /// argmax of scaled values + noise generated in registers from the lane state.
    pub argmax_fused: fn(Input, &[f32], &LaneState, Scale) -> Argmax,
    /// Σ exp((x − m)·s) in f64.
    pub exp_sum: fn(Input, &[f32], f32, f32) -> f64,
    /// Inverse-CDF scan replaying `exp_sum`.
    pub roulette_scan: fn(Input, &[f32], f32, f32, f64) -> usize,
    /// `y = exp(((x [+ g]) − m)·s)`, returns Σ y (f64). `y.len() == x.len()`.
    pub exp_store: ExpStoreFn,
    /// `y *= c`.
    pub scale: fn(&mut [f32], f32),
    /// `y = x − c`.
    pub shift: fn(&[f32], f32, &mut [f32]),
    /// `⟨a, b⟩` in f64.
    pub dot: fn(&[f32], &[f32]) -> f64,
    /// `out = y ⊙ (gy − d)·s`.
    pub vjp: fn(&[f32], &[f32], f32, f32, &mut [f32]),
}

/// Instantiate every kernel for one ISA: `#[target_feature]` entry functions (unsafe,
/// inlining the generic bodies) and the safe table that wraps them.
macro_rules! entries {
    ($name:ident, $isa:expr, $V:ty, $BV:literal, $G:literal, [$($feat:literal),*]) => {
        mod $name {
            use super::kernels::{self, Argmax, Fused, LnProbs, Logits, Scale, WithNoise, ZipOp};
            use super::{Input, Kernels};
            use super::vector::Vector;
            use crate::noise::lanes::LaneState;

            type V = $V;

            mod imp {
                use super::*;

                $(#[target_feature(enable = $feat)])*
                pub(super) unsafe fn ln(x: &[f32], y: &mut [f32]) {
                    // SAFETY: the ISA is available (caller) and lengths match (caller).
                    unsafe { kernels::map::<V, kernels::LnOp>(x, y) }
                }
                $(#[target_feature(enable = $feat)])*
                pub(super) unsafe fn exp(x: &[f32], y: &mut [f32]) {
                    // SAFETY: the ISA is available (caller) and lengths match (caller).
                    unsafe { kernels::map::<V, kernels::ExpOp>(x, y) }
                }
                $(#[target_feature(enable = $feat)])*
                pub(super) unsafe fn gumbel_map(b: &[u32], out: &mut [f32]) {
                    // SAFETY: the ISA is available (caller) and lengths match (caller).
                    unsafe { kernels::gumbel_map::<V>(b, out) }
                }
                $(#[target_feature(enable = $feat)])*
                pub(super) unsafe fn fill_gumbel(st: &mut LaneState, out: &mut [f32]) {
                    // SAFETY: the ISA is available (caller); G * LANES == 16.
                    unsafe {
                        kernels::fill::<V, f32, kernels::EmitGumbel<false>, $G>(st, out)
                    }
                }
                $(#[target_feature(enable = $feat)])*
                pub(super) unsafe fn fill_gumbel_stream(st: &mut LaneState, out: &mut [f32]) {
                    // SAFETY: the ISA is available (caller); G * LANES == 16; `out` is
                    // 64-byte aligned and a multiple of 16 long (caller), so every
                    // vector store is aligned and there is no tail.
                    unsafe {
                        kernels::fill::<V, f32, kernels::EmitGumbel<true>, $G>(st, out);
                        V::stream_fence();
                    }
                }
                $(#[target_feature(enable = $feat)])*
                pub(super) unsafe fn fill_bits(st: &mut LaneState, out: &mut [u32]) {
                    // SAFETY: the ISA is available (caller); G * LANES == 16.
                    unsafe { kernels::fill::<V, u32, kernels::EmitBits, $G>(st, out) }
                }
                $(#[target_feature(enable = $feat)])*
                pub(super) unsafe fn max(input: Input, x: &[f32]) -> (f32, bool) {
                    let p = x.as_ptr();
                    // SAFETY: the ISA is available (caller); `p` is valid for x.len().
                    unsafe {
                        match input {
                            Input::Logits => kernels::max::<V, _, $BV>(x.len(), Logits(p)),
                            Input::Probs => kernels::max::<V, _, $BV>(x.len(), LnProbs(p)),
                        }
                    }
                }
                $(#[target_feature(enable = $feat)])*
                pub(super) unsafe fn argmax(input: Input, x: &[f32]) -> Argmax {
                    let p = x.as_ptr();
                    // SAFETY: the ISA is available (caller); `p` is valid for x.len().
                    unsafe {
                        match input {
                            Input::Logits => kernels::argmax::<V, _, $BV>(x.len(), Logits(p)),
                            Input::Probs => kernels::argmax::<V, _, $BV>(x.len(), LnProbs(p)),
                        }
                    }
                }
                $(#[target_feature(enable = $feat)])*
                pub(super) unsafe fn argmax_noise(input: Input, x: &[f32], g: &[f32], scale: Scale) -> Argmax {
                    let (p, g) = (x.as_ptr(), g.as_ptr());
                    // SAFETY: the ISA is available (caller); `p` and `g` are valid for
                    // x.len() (the caller checked g.len() >= x.len()).
                    unsafe {
                        match input {
                            Input::Logits => kernels::argmax::<V, _, $BV>(x.len(), WithNoise { x: Logits(p), g, scale }),
                            Input::Probs => kernels::argmax::<V, _, $BV>(x.len(), WithNoise { x: LnProbs(p), g, scale }),
                        }
                    }
                }
                $(#[target_feature(enable = $feat)])*
                pub(super) unsafe fn argmax_fused(input: Input, x: &[f32], st: &LaneState, scale: Scale) -> Argmax {
                    let p = x.as_ptr();
                    // SAFETY: the ISA is available (caller); `p` is valid for x.len();
                    // G * LANES == 16.
                    unsafe {
                        match input {
                            Input::Logits => kernels::argmax::<V, _, $BV>(x.len(), Fused::<V, _, $G>::new(Logits(p), st, scale)),
                            Input::Probs => kernels::argmax::<V, _, $BV>(x.len(), Fused::<V, _, $G>::new(LnProbs(p), st, scale)),
                        }
                    }
                }
                $(#[target_feature(enable = $feat)])*
                pub(super) unsafe fn exp_sum(input: Input, x: &[f32], m: f32, s: f32) -> f64 {
                    let p = x.as_ptr();
                    // SAFETY: the ISA is available (caller); `p` is valid for x.len().
                    unsafe {
                        match input {
                            Input::Logits => kernels::exp_sum::<V, _, $BV>(x.len(), Logits(p), m, s),
                            Input::Probs => kernels::exp_sum::<V, _, $BV>(x.len(), LnProbs(p), m, s),
                        }
                    }
                }
                $(#[target_feature(enable = $feat)])*
                pub(super) unsafe fn roulette_scan(input: Input, x: &[f32], m: f32, s: f32, target: f64) -> usize {
                    let p = x.as_ptr();
                    // SAFETY: the ISA is available (caller); `p` is valid for x.len().
                    unsafe {
                        match input {
                            Input::Logits => kernels::roulette_scan::<V, _, $BV>(x.len(), Logits(p), m, s, target),
                            Input::Probs => kernels::roulette_scan::<V, _, $BV>(x.len(), LnProbs(p), m, s, target),
                        }
                    }
                }

                $(#[target_feature(enable = $feat)])*
                pub(super) unsafe fn exp_store(x: &[f32], g: Option<&[f32]>, m: f32, s: f32, y: &mut [f32]) -> f64 {
                    let (p, out) = (x.as_ptr(), y.as_mut_ptr());
                    // SAFETY: the ISA is available (caller); x, g (if any) and y have
                    // x.len() elements (caller).
                    unsafe {
                        match g {
                            None => kernels::exp_store::<V, _, $BV>(x.len(), Logits(p), m, s, out),
                            Some(g) => {
                                let scale = Scale { s: 1.0, scale_noise: true };
                                kernels::exp_store::<V, _, $BV>(x.len(), WithNoise { x: Logits(p), g: g.as_ptr(), scale }, m, s, out)
                            }
                        }
                    }
                }
                $(#[target_feature(enable = $feat)])*
                pub(super) unsafe fn zip<F: ZipOp>(n: usize, a: *const f32, b: *const f32, c: f32, d: f32, out: *mut f32) {
                    // SAFETY: forwarded caller contract.
                    unsafe { kernels::zip::<V, F>(n, a, b, c, d, out) }
                }
                $(#[target_feature(enable = $feat)])*
                pub(super) unsafe fn dot(a: &[f32], b: &[f32]) -> f64 {
                    // SAFETY: the ISA is available (caller); both have a.len() elements (caller).
                    unsafe { kernels::dot::<V, $BV>(a.len(), a.as_ptr(), b.as_ptr()) }
                }
            }

            // The safe wrappers: the table is only handed out by `Isa::kernels` after
            // checking the CPU, so calling `imp` from here meets its ISA contract.
            fn ln(x: &[f32], y: &mut [f32]) {
                assert_eq!(x.len(), y.len());
                // SAFETY: ISA checked before the table is reachable; lengths asserted.
                unsafe { imp::ln(x, y) }
            }
            fn exp(x: &[f32], y: &mut [f32]) {
                assert_eq!(x.len(), y.len());
                // SAFETY: ISA checked before the table is reachable; lengths asserted.
                unsafe { imp::exp(x, y) }
            }
            fn gumbel_map(b: &[u32], out: &mut [f32]) {
                assert_eq!(b.len(), out.len());
                // SAFETY: ISA checked before the table is reachable; lengths asserted.
                unsafe { imp::gumbel_map(b, out) }
            }
            fn fill_gumbel(st: &mut LaneState, out: &mut [f32]) {
                // SAFETY: ISA checked before the table is reachable.
                unsafe { imp::fill_gumbel(st, out) }
            }
            fn fill_gumbel_stream(st: &mut LaneState, out: &mut [f32]) {
                if out.as_ptr().align_offset(64) == 0 && out.len() % 16 == 0 {
                    // SAFETY: ISA checked before the table is reachable; alignment and
                    // length checked just above.
                    unsafe { imp::fill_gumbel_stream(st, out) }
                } else {
                    fill_gumbel(st, out)
                }
            }
            fn fill_bits(st: &mut LaneState, out: &mut [u32]) {
                // SAFETY: ISA checked before the table is reachable.
                unsafe { imp::fill_bits(st, out) }
            }
            fn max(input: Input, x: &[f32]) -> (f32, bool) {
                // SAFETY: ISA checked before the table is reachable.
                unsafe { imp::max(input, x) }
            }
            fn argmax(input: Input, x: &[f32]) -> Argmax {
                // SAFETY: ISA checked before the table is reachable.
                unsafe { imp::argmax(input, x) }
            }
            fn argmax_noise(input: Input, x: &[f32], g: &[f32], scale: Scale) -> Argmax {
                assert!(g.len() >= x.len());
                // SAFETY: ISA checked before the table is reachable; noise length asserted.
                unsafe { imp::argmax_noise(input, x, g, scale) }
            }
            fn argmax_fused(input: Input, x: &[f32], st: &LaneState, scale: Scale) -> Argmax {
                // SAFETY: ISA checked before the table is reachable.
                unsafe { imp::argmax_fused(input, x, st, scale) }
            }
            fn exp_sum(input: Input, x: &[f32], m: f32, s: f32) -> f64 {
                // SAFETY: ISA checked before the table is reachable.
                unsafe { imp::exp_sum(input, x, m, s) }
            }
            fn roulette_scan(input: Input, x: &[f32], m: f32, s: f32, target: f64) -> usize {
                // SAFETY: ISA checked before the table is reachable.
                unsafe { imp::roulette_scan(input, x, m, s, target) }
            }

            fn exp_store(x: &[f32], g: Option<&[f32]>, m: f32, s: f32, y: &mut [f32]) -> f64 {
                assert_eq!(x.len(), y.len());
                assert!(g.is_none_or(|g| g.len() == x.len()));
                // SAFETY: ISA checked before the table is reachable; lengths asserted.
                unsafe { imp::exp_store(x, g, m, s, y) }
            }
            fn scale(y: &mut [f32], c: f32) {
                let p = y.as_mut_ptr();
                // SAFETY: ISA checked; `p` valid for y.len() reads and writes (in place).
                unsafe { imp::zip::<kernels::ScaleOp>(y.len(), p, p, c, 0.0, p) }
            }
            fn shift(x: &[f32], c: f32, y: &mut [f32]) {
                assert_eq!(x.len(), y.len());
                // SAFETY: ISA checked; lengths asserted.
                unsafe { imp::zip::<kernels::ShiftOp>(x.len(), x.as_ptr(), x.as_ptr(), c, 0.0, y.as_mut_ptr()) }
            }
            fn dot(a: &[f32], b: &[f32]) -> f64 {
                assert_eq!(a.len(), b.len());
                // SAFETY: ISA checked; lengths asserted.
                unsafe { imp::dot(a, b) }
            }
            fn vjp(y: &[f32], gy: &[f32], d: f32, s: f32, out: &mut [f32]) {
                assert!(y.len() == gy.len() && y.len() == out.len());
                // SAFETY: ISA checked; lengths asserted.
                unsafe { imp::zip::<kernels::VjpOp>(y.len(), y.as_ptr(), gy.as_ptr(), d, s, out.as_mut_ptr()) }
            }

            pub(super) static TABLE: Kernels = Kernels {
                isa: $isa,
                ln,
                exp,
                gumbel_map,
                fill_gumbel,
                fill_gumbel_stream,
                fill_bits,
                max,
                argmax,
                argmax_noise,
                argmax_fused,
                exp_sum,
                roulette_scan,
                exp_store,
                scale,
                shift,
                dot,
                vjp,
            };
        }
    };
}

#[cfg(target_arch = "x86_64")]
entries!(
    avx512_entry,
    super::Isa::Avx512,
    crate::simd::x86::avx512::V,
    4,
    1,
    ["avx512f"]
);
#[cfg(target_arch = "x86_64")]
entries!(
    avx2_entry,
    super::Isa::Avx2,
    crate::simd::x86::avx2::V,
    8,
    2,
    ["avx2", "fma"]
);
entries!(
    portable_entry,
    super::Isa::Portable,
    crate::simd::portable::V,
    8,
    2,
    []
);
entries!(
    scalar_entry,
    super::Isa::Scalar,
    crate::simd::scalar::V,
    64,
    16,
    []
);
