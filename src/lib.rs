//! SIMD CPU kernels for categorical sampling from logits.
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod batch;
pub mod distribution;
mod error;
pub mod noise;
mod sample;
pub mod simd;

pub use batch::{DEFAULT_PARALLEL_THRESHOLD, DEFAULT_RING_CAPACITY, Method, Sampler};
pub use distribution::Gumbel;
pub use error::Error;
pub use sample::gumbel_max::{gumbel_max, gumbel_max_probs};
pub use sample::roulette::{softmax_roulette, softmax_roulette_probs};
