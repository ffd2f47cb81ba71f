//! Seed derivation: the independent seeds a [`Sampler`](crate::Sampler) derives from its
//! one seed (domain separation), and the indexed uniforms of roulette.

use super::lanes::mix64;

// Domain separation: each source of randomness gets its own seed derived from the
// sampler's seed, so ring noise, fused noise, uniforms and keyed rows never share a
// stream.
/// Ring noise.
pub(crate) const DOMAIN_RING: u64 = 0x52_49_4e_47; // "RING"
/// Fused (in-register) noise of non-keyed rows.
pub(crate) const DOMAIN_FUSED: u64 = 0x46_55_53_45; // "FUSE"
/// Roulette uniforms of non-keyed rows.
pub(crate) const DOMAIN_UNIFORM: u64 = 0x55_4e_49_46; // "UNIF"
/// Noise of keyed rows.
pub(crate) const DOMAIN_KEYED: u64 = 0x4b_45_59_44; // "KEYD"
/// Roulette uniforms of keyed rows.
pub(crate) const DOMAIN_KEYED_UNIFORM: u64 = 0x4b_55_4e_49; // "KUNI"

/// The seed of one domain of `seed`.
pub(crate) fn domain_seed(seed: u64, domain: u64) -> u64 {
    mix64(mix64(seed) ^ domain)
}

/// Uniform number `index` in (0, 1) of the SplitMix64 sequence started at `seed`
/// (output `index` of `rand_xoshiro::SplitMix64::seed_from_u64(seed)`), mapped to
/// `(⌊z / 2¹¹⌋ + ½)·2⁻⁵³`: strictly inside (0, 1), 53-bit resolution.
pub(crate) fn uniform_at(seed: u64, index: u64) -> f64 {
    let z = mix64(seed.wrapping_add(index.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15)));
    ((z >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}
