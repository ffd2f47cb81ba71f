//! The SIMD layer: instruction-set detection, run-time dispatch, and the kernels.
//!
//! Kernels are written once, generic over a small vector trait and over the logit
//! [`Element`](crate::Element) type, and compiled four times: for AVX-512F and for
//! AVX2 + FMA + F16C (each inside `#[target_feature]` entry functions, so a default
//! build with no `-C target-cpu` still runs them), for the portable [`wide`] path, and
//! for a one-lane scalar path that serves as the reference. Each whole-row operation
//! (ring-fed and fused Gumbel-max, roulette, softmax, noise fill, …) has one entry per
//! ISA, reached through a [`Backend`] handle: one dispatch per row, not per primitive.
//! `docs/architecture.md` has the layer picture and the recipes for new kernels and
//! input types.
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
//! A [`Sampler`](crate::Sampler) or [`NoiseRing`](crate::noise::NoiseRing) takes the
//! active ISA's [`Backend`] when it is created and keeps it (choose another with
//! `.backend(..)`), so create it inside [`with_isa`] to run it on that path. The free
//! functions use the active ISA of the calling thread at each call.
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

pub(crate) mod backend;
pub(crate) mod element;
pub(crate) mod fill;
pub(crate) mod isa;
pub(crate) mod map;
pub(crate) mod math;
mod portable;
pub(crate) mod prune;
pub(crate) mod reduce;
pub(crate) mod rng;
pub(crate) mod roulette;
pub(crate) mod rows;
mod scalar;
pub(crate) mod select;
pub(crate) mod source;
pub(crate) mod vector;
#[cfg(target_arch = "x86_64")]
mod x86;

use std::cell::Cell;
use std::sync::OnceLock;

use crate::error::{Error, check_len};

pub use backend::Backend;
pub use isa::Isa;

impl Isa {
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
        match OVERRIDE.with(|o| o.get()) {
            Some(isa) => isa,
            None => global_isa(),
        }
    }
}

thread_local! {
    static OVERRIDE: Cell<Option<Isa>> = const { Cell::new(None) };
}

static GLOBAL: OnceLock<Isa> = OnceLock::new();

fn global_isa() -> Isa {
    *GLOBAL.get_or_init(|| match std::env::var("GUMBEL_ISA") {
        Ok(name) if !name.trim().is_empty() => {
            let isa = name
                .parse::<Isa>()
                .unwrap_or_else(|e| panic!("GUMBEL_ISA: {e}"));
            if !isa.is_available() {
                panic!("GUMBEL_ISA={name} forces the {isa} path, but this CPU does not support it")
            }
            isa
        }
        _ => Isa::best(),
    })
}

/// Run `f` with every public function on this thread using `isa`; samplers and rings
/// created inside `f` keep that ISA's [`Backend`] for their lifetime.
///
/// Batched free functions called inside `f` pass the choice on to their worker threads.
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
    Backend::active().ln(x, y);
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
    Backend::active().exp(x, y);
    Ok(())
}
