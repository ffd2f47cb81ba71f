//! SIMD CPU kernels for categorical sampling from logits.
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod distribution;
mod error;
pub mod noise;
pub mod simd;

pub use distribution::Gumbel;
pub use error::Error;
