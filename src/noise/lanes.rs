//! Sixteen xoshiro128++ generators run side by side, one per SIMD lane.
//!
//! # Layout
//!
//! A *stream* `(seed, stream)` is 16 independent
//! [`Xoshiro128PlusPlus`] generators, the *lanes*.
//! Position `p` of the stream is output number `p / 16` of lane `p % 16`. The layout is
//! the same on every ISA (AVX-512 runs the 16 lanes in one register, AVX2 in two,
//! the portable path in two `f32x8`, the scalar path one at a time), so the raw bits at
//! every position are identical on every machine.
//!
//! # Seeding
//!
//! Lane `i` of stream `(seed, stream)` is exactly
//! `Xoshiro128PlusPlus::from_seed(lane_seed(seed, stream, i))`, where [`lane_seed`]
//! builds the 128-bit seed from two SplitMix64-finalizer hashes of
//! `(seed, stream, lane)` with different constants (and forces the lowest bit of the
//! second half to 1, so the state is never all-zero and `from_seed` takes it verbatim).
//! Tests check every lane, bit for bit, against that scalar generator.
//!
//! # Why streams do not overlap
//!
//! Lanes are not jumps of one generator; they start at 128-bit hashed points of
//! xoshiro128's single cycle of length 2¹²⁸ − 1. If `m` lanes in total each draw at most
//! `N` values, the chance that any two of their segments overlap is at most
//! `m²·N / 2¹²⁸` (each of the `m²/2` pairs overlaps with probability at most
//! `2N / 2¹²⁸`). For 2⁴⁰ lanes (2³⁶ streams) of 2³² values each that is
//! 2⁸⁰·2³² / 2¹²⁸ = **2⁻¹⁶** — small, not negligible: do not plan on 2³⁶ streams of
//! 2³⁶ values from one seed. Keyed rows are the opposite case, many short streams:
//! a keyed row of 128k columns draws `N ≈ 2¹³` values per lane, so even 2³² keyed rows
//! (`m = 2³⁶` lanes) overlap with probability at most 2⁷²·2¹³ / 2¹²⁸ = 2⁻⁴³; a ring
//! (one stream per 8192-value block, 512 values per lane) is in the same regime. Two
//! different `(seed, stream, lane)` triples collide on the starting state only when both
//! 64-bit hashes collide, which is a 2⁻¹²⁷ event per pair.

use rand_xoshiro::Xoshiro128PlusPlus;
use rand_xoshiro::rand_core::SeedableRng;

use crate::simd::rng::LaneState;

/// Number of generator lanes in a stream (fixed on every ISA).
pub const LANES: usize = crate::simd::vector::NOISE_LANES;

#[inline]
pub(crate) const fn mix64(mut z: u64) -> u64 {
    // SplitMix64's output finalizer (a bijection of u64).
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The 128-bit seed of lane `lane` of stream `(seed, stream)`: the bytes handed to
/// [`Xoshiro128PlusPlus::from_seed`].
///
/// ```
/// use gumbel::noise::lane_seed;
/// use rand_xoshiro::Xoshiro128PlusPlus;
/// use rand_xoshiro::rand_core::{Rng, SeedableRng};
///
/// // Position 16 * 3 + 5 of stream (42, 7) is output 3 of lane 5.
/// let mut lane5 = Xoshiro128PlusPlus::from_seed(lane_seed(42, 7, 5));
/// let bits: Vec<u32> = (0..4).map(|_| lane5.next_u32()).collect();
/// let mut out = [0u32; 64];
/// gumbel::noise::fill_bits(42, 7, &mut out);
/// assert_eq!(out[16 * 3 + 5], bits[3]);
/// ```
pub fn lane_seed(seed: u64, stream: u64, lane: usize) -> [u8; 16] {
    let l = lane as u64 + 1;
    let s = mix64(stream ^ 0x2545_f491_4f6c_dd1d);
    let a = mix64(mix64(seed ^ 0x9e37_79b9_7f4a_7c15) ^ s ^ l.wrapping_mul(0xd1b5_4a32_d192_ed03));
    let b = mix64(
        mix64(seed.rotate_left(29) ^ 0x6a09_e667_f3bc_c909)
            ^ s.wrapping_add(l.wrapping_mul(0xaef1_7502_108e_f2d9))
            ^ 0x5851_f42d_4c95_7f2d,
    ) | 1;
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&a.to_le_bytes());
    out[8..].copy_from_slice(&b.to_le_bytes());
    out
}

/// The state at position 0 of stream `(seed, stream)`: lane `i` seeded with
/// [`lane_seed`]`(seed, stream, i)`.
pub(crate) fn lane_state(seed: u64, stream: u64) -> LaneState {
    let mut s = [[0u32; LANES]; 4];
    for lane in 0..LANES {
        let bytes = lane_seed(seed, stream, lane);
        for (w, word) in s.iter_mut().enumerate() {
            word[lane] = u32::from_le_bytes(bytes[4 * w..4 * w + 4].try_into().unwrap());
        }
    }
    LaneState { s }
}

/// The scalar `rand_xoshiro` generator of one lane, for tests and documentation.
pub fn lane_generator(seed: u64, stream: u64, lane: usize) -> Xoshiro128PlusPlus {
    Xoshiro128PlusPlus::from_seed(lane_seed(seed, stream, lane))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_xoshiro::rand_core::Rng;

    #[test]
    fn scalar_reference_matches_rand_xoshiro() {
        let mut st = lane_state(3, 9);
        let mut gens: Vec<_> = (0..LANES).map(|l| lane_generator(3, 9, l)).collect();
        for _ in 0..1000 {
            let out = st.next_scalar();
            for (l, g) in gens.iter_mut().enumerate() {
                assert_eq!(out[l], g.next_u32());
            }
        }
    }
}
