//! Value stability: fixed seeds give exactly these noise bits, tokens and samples,
//! forever (the `rand_distr` habit of hard-coded value vectors).
//!
//! Every expected value below was **recorded on the pre-upgrade code** — rand 0.9,
//! rand_xoshiro 0.7, rand_distr 0.5, wide 0.7 (main at 01069a8) — on x86-64, on every ISA
//! path. They must never change: a user's seeded results (noise, tokens, distribution
//! samples) depend on them, so a dependency upgrade or a kernel rewrite that moves any of
//! them is a bug, not a reason to re-record. (Adding new vectors is fine.)
//!
//! Noise bits depend on whether the ISA path fuses its multiply-adds: AVX-512 and AVX2
//! use FMA (`*_FMA`), the scalar path never does, and the portable `wide` path does only
//! when the build enables FMA (x86-64) or on aarch64 (NEON), builds whose portable noise
//! bits are not checked here; the unfused values differ from the fused ones in the
//! positions listed in `*_UNFUSED` (rounding of the last bits, each within the noise
//! map's accuracy bound). Tokens were the same on every path.

mod common;

use common::rng::{Draws, splitmix};
use gumbel::half::bf16;
use gumbel::noise::{self, NoiseRing};
use gumbel::simd::{self, Isa};
use gumbel::{Gumbel, Method, Sampler};
use rand::SeedableRng;
use rand::distr::Distribution;
use rand_xoshiro::Xoshiro256PlusPlus;

const SEED: u64 = 0x5EED_2024_0001;
const STREAM: u64 = 3;
const ROWS: usize = 8;
const COLS: usize = 2500;

// ---------------------------------------------------------------------------------------
// recorded values (pre-upgrade code: rand 0.9 / rand_xoshiro 0.7 / wide 0.7); never change
// ---------------------------------------------------------------------------------------

/// `noise::fill_bits(SEED, STREAM, 32)`: the raw xoshiro128++ lane outputs.
const FILL_BITS: [u32; 32] = [
    0xa3247653, 0x4c99a867, 0xe6e6c0f5, 0x83677b90, 0x4644f812, 0x2a65ed59, 0xc8170ea1, 0xb25bc18d,
    0x089aad02, 0xcfc411c1, 0x1573f213, 0xc24fd4e1, 0x1f5c22d5, 0xb31ea477, 0xf2a101d1, 0x79defc5d,
    0x05921c6c, 0x5fdce7fc, 0xe325fbeb, 0x0e2dbf68, 0xddb76aff, 0x4cd0c041, 0x6489819f, 0x6d45988c,
    0xe8b81cbf, 0x4a7a9f79, 0x00b2ca93, 0x3566cd81, 0xe9ebc794, 0x8975a0f3, 0x317e80f9, 0x02b9a7c4,
];

/// `noise::fill_gumbel(SEED, STREAM, 64)`, f32 bits, on the fused (FMA) paths.
const FILL_GUMBEL_FMA: [u32; 64] = [
    0x3f4c1a64, 0xbe404b70, 0x40115b96, 0x3ecf6b70, 0xbe8380cb, 0xbf1632fa, 0x3fb34c13, 0x3f8247e4,
    0xbf9c606f, 0x3fc88480, 0xbf687194, 0x3fa4ea1b, 0xbf3de499, 0x3f83cc60, 0x403b3976, 0x3e98a2e0,
    0xbfabcede, 0x3c92a545, 0x4007ecaa, 0xbf87fe32, 0x3ff84109, 0xbe3de92e, 0x3d8a68de, 0x3e24cede,
    0x40166a91, 0xbe57dade, 0xbfe3489a, 0xbee614e6, 0x4019f884, 0x3ef33af6, 0xbefe5220, 0xbfc1ba91,
    0xbf3ab2de, 0xbf07c894, 0x3fb46543, 0xbf9ffb4d, 0x3fc6ae64, 0x402516d2, 0xbf758a66, 0x4029da7e,
    0x3cfdfef1, 0x3e6c0348, 0x3ea5c7d0, 0xbf46a014, 0x3ecade02, 0x40299fec, 0xbc7b5204, 0x3e4ebdd7,
    0x40212579, 0xbe9a1837, 0x3ef41718, 0xbf43c15d, 0xbfbf5dc8, 0xbf09cfb4, 0xbf4c3261, 0x3f2aa189,
    0xbe8515be, 0x3e70a1ce, 0xbf78f9dc, 0xbe5586a1, 0xbf261cf7, 0xbc21a1ba, 0xbfdc167e, 0xbe3a58f1,
];

/// `(index, bits)` where the unfused paths' `fill_gumbel` differs from [`FILL_GUMBEL_FMA`].
const FILL_GUMBEL_UNFUSED: [(usize, u32); 2] = [(3, 0x3ecf6b6f), (46, 0xbc7b5186)];

/// Inputs of the bits → Gumbel map: both ends, both sides of every branch point.
const FROM_BITS_IN: [u32; 11] = [
    0,
    1,
    2,
    0x00ff_ffff,
    0x0100_0000,
    0x7fff_ffff,
    0x8000_0000,
    0x8000_0001,
    0xdead_beef,
    0xffff_fffe,
    u32::MAX,
];

/// `noise::gumbel_from_bits(&FROM_BITS_IN)`, f32 bits (the same on every path).
const FROM_BITS: [u32; 11] = [
    0xc04851d5, 0xc0452b66, 0xc043a677, 0xbfdb413f, 0xbfdb413f, 0x3ebba795, 0x3ebba795, 0x3ebba795,
    0x3ffc2b26, 0x41ae33b3, 0x41b6fda9,
];

/// `NoiseRing::new(SEED, 1 << 16)`, refilled, first `claim(64)`, f32 bits, fused paths.
const RING_FMA: [u32; 64] = [
    0x3f062f53, 0x3f2e880f, 0xbf1be618, 0x403e05d7, 0x402339d5, 0x3f35fcb2, 0x40021a4f, 0xbf144bbc,
    0x3fda406b, 0x405de3f1, 0x3cc1b2a3, 0x3f3464a4, 0x3fbf9696, 0x3cdbe510, 0x3f334700, 0x3f9cd167,
    0x3f68a2b5, 0xbe1294ba, 0x3eeb43fb, 0xbf79e4eb, 0x4002d8a6, 0x3f069f15, 0x3e82aa10, 0xbe3f38a1,
    0x3f7168cd, 0x3f708f60, 0xbfb7876c, 0xbf614eb4, 0xbdef9d12, 0x406f84e0, 0xbf11ea18, 0x3f05ecdc,
    0x3fe1633a, 0x3e86a2e5, 0x3ed4336f, 0x3efa3dea, 0x3dc2b805, 0x3f1a579d, 0x3f4f2e84, 0x3ffeed8b,
    0x3fbfb5b8, 0x3f48a9db, 0x3fb9260b, 0xbf94a67e, 0xbea2b047, 0x3fcd1b04, 0xbe3f035e, 0x3d9f61f8,
    0x3f6f2454, 0x3e8535b6, 0x3f2b9d67, 0x3da7fb94, 0xbd453c51, 0x3f87843e, 0xbf4d58d9, 0xbe7a0b04,
    0x3e7551f3, 0x406b785b, 0x3fbf7fba, 0xbe9fc72a, 0x3f95d4b6, 0x3eb5438d, 0xbfa15abc, 0x4000d31a,
];

/// `(index, bits)` where the unfused paths' ring differs from [`RING_FMA`].
const RING_UNFUSED: [(usize, u32); 2] = [(16, 0x3f68a2b6), (48, 0x3f6f2455)];

/// `Gumbel::new(1.5, 2.0)`, `Xoshiro256PlusPlus::seed_from_u64(2024)`: 8 f64 samples, bits.
const GUMBEL_F64: [u64; 8] = [
    0x40030152189e3252,
    0x3ff19ba17c103238,
    0x3fe9e67055a8a44d,
    0x3ffcb1a77a3a6a1e,
    0x400fccf2ecb5d007,
    0x401260dad0768ae4,
    0x4022520aa5940390,
    0x400a399ef406aafe,
];

/// The same generator continued: 8 f32 samples of `Gumbel(1.5, 2.0)`, bits.
const GUMBEL_F32: [u32; 8] = [
    0xbe59230e, 0x3fca1760, 0x4031fe39, 0x40963873, 0x401d5d16, 0x400dff5d, 0x3fb6cf22, 0x40ad475e,
];

/// `Sampler::new(SEED).method(m).temperature(t)` on [`logits`]: two `sample_batch` calls,
/// then `sample` of row 0, then `sample_batch_keyed` with [`KEYS`].
struct Batch {
    method: Method,
    temperature: f32,
    first: [u32; ROWS],
    second: [u32; ROWS],
    one: usize,
    keyed: [u32; ROWS],
}

const KEYS: [u64; ROWS] = [0, 1, 2, 3, 42, 1 << 32, (7 << 32) | 5, u64::MAX];

const BATCHES: [Batch; 6] = [
    Batch {
        method: Method::GumbelMax,
        temperature: 1.0,
        first: [836, 2318, 1140, 227, 2493, 459, 1563, 431],
        second: [1758, 1826, 1172, 2128, 1893, 573, 683, 1503],
        one: 378,
        keyed: [2326, 1502, 1172, 227, 689, 634, 924, 315],
    },
    Batch {
        method: Method::GumbelMax,
        temperature: 0.7,
        first: [836, 2318, 1172, 227, 2493, 615, 1563, 431],
        second: [2274, 1826, 1172, 892, 1893, 573, 683, 1503],
        one: 378,
        keyed: [2326, 1502, 1172, 227, 689, 634, 924, 315],
    },
    Batch {
        method: Method::GumbelMaxFused,
        temperature: 1.0,
        first: [789, 2291, 1331, 1708, 1631, 1712, 2452, 1889],
        second: [1049, 250, 2458, 2212, 251, 2133, 2420, 1229],
        one: 757,
        keyed: [2326, 1502, 1172, 227, 689, 634, 924, 315],
    },
    Batch {
        method: Method::GumbelMaxFused,
        temperature: 0.7,
        first: [789, 2291, 1172, 1708, 1755, 1712, 2452, 1155],
        second: [2212, 1616, 1172, 2212, 251, 2133, 2407, 2448],
        one: 757,
        keyed: [2326, 1502, 1172, 227, 689, 634, 924, 315],
    },
    Batch {
        method: Method::SoftmaxRoulette,
        temperature: 1.0,
        first: [66, 1502, 1172, 293, 2266, 1643, 2199, 1823],
        second: [73, 954, 555, 1468, 1612, 837, 2034, 1207],
        one: 1566,
        keyed: [2392, 779, 533, 1531, 631, 855, 17, 115],
    },
    Batch {
        method: Method::SoftmaxRoulette,
        temperature: 0.7,
        first: [66, 1418, 1172, 269, 2265, 1620, 2199, 1992],
        second: [70, 796, 928, 1760, 1593, 630, 1986, 1262],
        one: 1613,
        keyed: [2428, 758, 816, 1844, 630, 634, 26, 112],
    },
];

/// `Sampler::new(SEED).sample_batch` (default method) on [`logits`] rounded to bf16.
const BF16_FIRST: [u32; ROWS] = [836, 2318, 1140, 227, 2493, 459, 1563, 431];

/// `Sampler::new(SEED).temperature(t)`: `sample_n` of row 0 with 1 draw, then with 24.
const SAMPLE_N: [(f32, [u32; 1], [u32; 24]); 2] = [
    (
        1.0,
        [789],
        [
            1566, 1246, 362, 2274, 1598, 2273, 1776, 73, 1129, 450, 1349, 1601, 915, 2106, 1240,
            1566, 1262, 2326, 2367, 671, 1645, 506, 2274, 1651,
        ],
    ),
    (
        0.7,
        [789],
        [
            1613, 1285, 406, 2275, 1620, 2274, 1844, 70, 1166, 506, 1391, 1620, 977, 2212, 1285,
            1613, 1300, 2377, 2416, 761, 1695, 566, 2284, 1704,
        ],
    ),
];

// ---------------------------------------------------------------------------------------
// the checks
// ---------------------------------------------------------------------------------------

/// `ROWS × COLS` logits: `1.5 ·` standard normals from SplitMix64 state 17.
fn logits() -> Vec<f32> {
    let mut g = splitmix(17);
    (0..ROWS * COLS)
        .map(|_| (g.normal() * 1.5) as f32)
        .collect()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Whether `isa` fuses its multiply-adds, where the recorded noise bits tell; `None` for
/// the portable path in builds other than the recorded one (x86-64 without `+fma`), where
/// `wide` may fuse.
fn fuses(isa: Isa) -> Option<bool> {
    match isa {
        Isa::Avx512 | Isa::Avx2 => Some(true),
        Isa::Scalar => Some(false),
        Isa::Portable if cfg!(all(target_arch = "x86_64", not(target_feature = "fma"))) => {
            Some(false)
        }
        _ => None,
    }
}

/// The recorded fused values with the unfused differences applied where `!fused`.
fn expected(fma: &[u32; 64], unfused: &[(usize, u32)], fused: bool) -> Vec<u32> {
    let mut v = fma.to_vec();
    if !fused {
        for &(i, b) in unfused {
            v[i] = b;
        }
    }
    v
}

#[test]
fn noise_bits_never_change() {
    for isa in common::isas() {
        let got = simd::with_isa(isa, || {
            let mut b = [0u32; 32];
            noise::fill_bits(SEED, STREAM, &mut b);
            b
        })
        .unwrap();
        assert_eq!(got, FILL_BITS, "{isa}");
    }
}

#[test]
fn gumbel_noise_never_changes() {
    let mut checked = 0;
    for isa in common::isas() {
        let Some(fused) = fuses(isa) else { continue };
        let (fill, map, ring) = simd::with_isa(isa, || {
            let mut g = [0f32; 64];
            noise::fill_gumbel(SEED, STREAM, &mut g);
            let mut m = [0f32; FROM_BITS_IN.len()];
            noise::gumbel_from_bits(&FROM_BITS_IN, &mut m).unwrap();
            let mut ring = NoiseRing::new(SEED, 1 << 16);
            ring.refill();
            (bits(&g), bits(&m), bits(ring.claim(64).unwrap()))
        })
        .unwrap();
        let want = expected(&FILL_GUMBEL_FMA, &FILL_GUMBEL_UNFUSED, fused);
        assert_eq!(fill, want, "{isa}: fill_gumbel");
        assert_eq!(map, FROM_BITS, "{isa}: gumbel_from_bits");
        assert_eq!(
            ring,
            expected(&RING_FMA, &RING_UNFUSED, fused),
            "{isa}: ring"
        );
        checked += 1;
    }
    assert!(
        checked > 0,
        "no ISA path with recorded noise bits was checked"
    );
}

#[test]
fn sampled_tokens_never_change() {
    let x = logits();
    for isa in common::isas() {
        simd::with_isa(isa, || {
            for b in &BATCHES {
                let what = format!("{isa}: {:?} at T = {}", b.method, b.temperature);
                let mut s = Sampler::new(SEED)
                    .method(b.method)
                    .temperature(b.temperature);
                let (mut first, mut second, mut keyed) = ([0u32; ROWS], [0u32; ROWS], [0u32; ROWS]);
                s.sample_batch(&x, COLS, &mut first).unwrap();
                s.sample_batch(&x, COLS, &mut second).unwrap();
                let one = s.sample(&x[..COLS]).unwrap();
                s.sample_batch_keyed(&x, COLS, &KEYS, &mut keyed).unwrap();
                assert_eq!(first, b.first, "{what}: first sample_batch");
                assert_eq!(second, b.second, "{what}: second sample_batch");
                assert_eq!(one, b.one, "{what}: sample");
                assert_eq!(keyed, b.keyed, "{what}: sample_batch_keyed");
            }

            let xb: Vec<bf16> = x.iter().map(|&v| bf16::from_f32(v)).collect();
            let mut out = [0u32; ROWS];
            Sampler::new(SEED)
                .sample_batch(&xb, COLS, &mut out)
                .unwrap();
            assert_eq!(out, BF16_FIRST, "{isa}: bf16 sample_batch");

            for (t, one, many) in SAMPLE_N {
                let mut s = Sampler::new(SEED).temperature(t);
                let (mut got_one, mut got_many) = ([0u32; 1], [0u32; 24]);
                s.sample_n(&x[..COLS], &mut got_one).unwrap();
                s.sample_n(&x[..COLS], &mut got_many).unwrap();
                assert_eq!(got_one, one, "{isa}: sample_n(1) at T = {t}");
                assert_eq!(got_many, many, "{isa}: sample_n(24) at T = {t}");
            }
        })
        .unwrap();
    }
}

#[test]
fn gumbel_distribution_samples_never_change() {
    let g = Gumbel::new(1.5, 2.0).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2024);
    let x: Vec<u64> = (0..8)
        .map(|_| Distribution::<f64>::sample(&g, &mut rng).to_bits())
        .collect();
    let y: Vec<u32> = (0..8)
        // recorded as `Distribution::<f32>::sample(&g, ..)`, now `g.sample_f32(..)`
        .map(|_| g.sample_f32(&mut rng).to_bits())
        .collect();
    assert_eq!(x, GUMBEL_F64);
    assert_eq!(y, GUMBEL_F32);
}
