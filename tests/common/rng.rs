//! Deterministic test inputs: SplitMix64 streams and the draws the tests take from a
//! generator.
//!
//! The tests' generator is `rand_xoshiro::SplitMix64` with its state set to a `u64`
//! (`seed_from_u64` is the identity on the state): `x += 0x9e37_79b9_7f4a_7c15`, then
//! the mix with `0xbf58_476d_1ce4_e5b9` and `0x94d0_49bb_1331_11eb`. The test files
//! used to write this mix out themselves; the streams are the same numbers.

pub use rand_xoshiro::SplitMix64;
pub use rand_xoshiro::rand_core::Rng;
use rand_xoshiro::rand_core::SeedableRng;

/// A SplitMix64 stream whose state starts at `state` (no hashing of the seed: the first
/// output is the mix of `state + 0x9e37_79b9_7f4a_7c15`).
pub fn splitmix(state: u64) -> SplitMix64 {
    SplitMix64::seed_from_u64(state)
}

/// The draws the tests take from any 64-bit generator.
pub trait Draws: Rng {
    /// Uniform strictly inside (0, 1), 53-bit resolution: `((x >> 11) + ½)·2⁻⁵³`.
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal by Box–Muller (the cosine branch, from two uniforms).
    fn normal(&mut self) -> f64 {
        let (a, b) = (self.uniform(), self.uniform());
        (-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos()
    }

    /// An index in `0..n`, as `next_u64() % n` (deterministic; the modulo bias is
    /// irrelevant for test inputs).
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// An integer in `lo..=hi`: `lo + below(hi − lo + 1)`.
    fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
}

impl<R: Rng> Draws for R {}
