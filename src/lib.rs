//! SIMD CPU kernels for categorical sampling from logits.
//!
//! `gumbel` draws tokens from logits fast enough for the critical path of an inference
//! engine, and exactly enough to pass chi-square tests against the softmax. It covers
//! the Gumbel trick end to end:
//!
//! * **Softmax + roulette wheel** — [`softmax_roulette`]: `p = softmax(x/T)`, one
//!   uniform `u`, the first index whose cumulative probability reaches `u`.
//! * **Gumbel-max** — [`gumbel_max`]: `argmax_i (x_i/T + G_i)` with `G_i` i.i.d.
//!   standard Gumbel has exactly the distribution `softmax(x/T)`, needs no
//!   normalisation, and its noise can be made before the logits exist.
//! * **Pre-generated noise** — [`noise::NoiseRing`]: a ring buffer refilled off the
//!   critical path (or by a [`noise::BackgroundRing`] thread), each value handed out once.
//! * **Exact pruning** — the Gumbel-max paths evaluate (or read) noise only where a
//!   token can still win, and return bit for bit the token of evaluating all of it: a
//!   long row costs about a read of its logits ([`Sampler::pruning`],
//!   [`Sampler::noise_evaluated`]; the proof is in `docs/math.md`, §3.4).
//! * **Batches** — [`Sampler`]: rows × cols, rayon across rows, seeded, deterministic
//!   whatever the thread count; keyed rows for engines that batch unrelated requests.
//! * **The Gumbel distribution** — [`Gumbel`]: density, CDF, survival function,
//!   quantile, moments, and `rand` sampling that never returns ±inf.
//! * **bf16 / f16 logits** — every sampling function that takes logits is generic over
//!   [`Element`] (`f32`, [`half::bf16`], [`half::f16`]): an engine passes its 16-bit
//!   logits as they are; they are converted to f32 exactly, in registers, as they are
//!   loaded. Noise, scores and sums stay f32 / f64.
//!
//! ```
//! use gumbel::{Method, Sampler};
//!
//! let (rows, cols) = (4, 1000);
//! let logits: Vec<f32> = (0..rows * cols).map(|i| (i % 13) as f32 * 0.1).collect();
//! let mut tokens = vec![0u32; rows];
//! let mut sampler = Sampler::new(7).method(Method::GumbelMax).temperature(0.8);
//! sampler.refill(); // noise made ahead of time
//! sampler.sample_batch(&logits, cols, &mut tokens)?;
//! assert!(tokens.iter().all(|&t| (t as usize) < cols));
//! # Ok::<(), gumbel::Error>(())
//! ```
//!
//! The same call with bf16 logits (no conversion pass, no f32 copy):
//!
//! ```
//! use gumbel::half::bf16;
//!
//! let (rows, cols) = (4, 1000);
//! let logits: Vec<bf16> = (0..rows * cols).map(|i| bf16::from_f32((i % 13) as f32 * 0.1)).collect();
//! let mut tokens = vec![0u32; rows];
//! gumbel::Sampler::new(7).sample_batch(&logits, cols, &mut tokens)?;
//! assert!(tokens.iter().all(|&t| (t as usize) < cols));
//! # Ok::<(), gumbel::Error>(())
//! ```
//!
//! # Numerics
//!
//! * Uniforms are strictly inside (0, 1). Standard Gumbel noise in f32 comes from a
//!   two-sided construction (see [`noise::gumbel_from_bits`]) that keeps 32-bit
//!   resolution in the upper tail: values span [−3.13, 22.87] and are never ±inf or
//!   NaN. A 24-bit uniform would stop at 16.6, making every token more than ~20 below
//!   the top logit unreachable.
//! * The vector [`simd::ln`] is within 1 ulp and [`simd::exp`] within 2 ulp of the
//!   exact result on every ISA, proven by exhaustive tests.
//! * Logits: `-inf` masks an entry (never drawn); NaN or `+inf` is an
//!   [`Error::InvalidLogit`] naming the row and column; an empty or fully masked row is
//!   an error. Temperature: finite and `> 0`, or exactly `0` for greedy argmax.
//! * Ties in argmax go to the lowest index on every ISA.
//! * On error nothing is written to the caller's buffers.
//!
//! # Determinism
//!
//! Noise is a pure function of `(seed, stream, position)`; its xoshiro128++ lanes are
//! bit-identical to `rand_xoshiro`'s generators ([`noise::lane_generator`]). A
//! [`Sampler`] fed the same calls returns the same tokens for any rayon thread count.
//! Different ISA paths agree exactly at temperature 1 given the same noise, and
//! otherwise up to near-ties (FMA vs. separate multiply and add).
//!
//! # Instruction sets
//!
//! AVX-512F and AVX2+FMA+F16C are detected at run time, so a default build (no
//! `-C target-cpu`) uses them; elsewhere the portable [`wide`] path runs (SSE2, NEON).
//! `GUMBEL_ISA=avx512|avx2|portable|scalar` forces one path for the process, and
//! [`simd::with_isa`] for a closure; see [`simd`]. A [`Sampler`] and a
//! [`noise::NoiseRing`] keep the [`simd::Backend`] they were created with.
//! `docs/architecture.md` describes the layers.
//!
//! # Safety
//!
//! All `unsafe` code lives in the `simd` module: the `std::arch` intrinsics and the
//! `#[target_feature]` entry functions, each reachable only after the CPU has been
//! checked. Every `unsafe` block states its reason in a `// SAFETY:` comment. The
//! public API takes and returns slices.
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod batch;
pub mod distribution;
mod error;
pub mod noise;
mod sample;
pub mod simd;
mod sync;

pub use batch::{DEFAULT_RING_CAPACITY, Logprobs, Method, Sampler};
pub use distribution::{Gumbel, GumbelError};
pub use error::Error;
/// The `half` crate, whose [`bf16`](half::bf16) and [`f16`](half::f16) logits every
/// sampling function accepts (re-exported so the versions always match).
pub use half;
pub use sample::filter::{MAX_TOP_LOGPROBS, SamplingParams, TokenLogprob, TopLogprob, kept_floor};
pub use sample::gumbel_max::{gumbel_max, gumbel_max_probs};
pub use sample::many::SAMPLE_N_TABLE_MIN;
pub use sample::par::DEFAULT_PARALLEL_THRESHOLD;
pub use sample::relaxed::gumbel_softmax_backward_batch;
pub use sample::relaxed::{
    gumbel_softmax, gumbel_softmax_backward, gumbel_softmax_hard, log_softmax, softmax,
};
pub use simd::element::Element;

pub use sample::roulette::{softmax_roulette, softmax_roulette_probs};

/// The code blocks of the README and the guides compile and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
#[doc = include_str!("../docs/math.md")]
pub struct ReadmeAndGuideDoctests;
