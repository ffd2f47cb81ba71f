//! Bit-level and exhaustive checks of the noise pipeline on every ISA path:
//! xoshiro lanes against `rand_xoshiro`, and the bits → Gumbel map over all 2^32 inputs.

mod common;

use gumbel::noise::{self, LANES};
use gumbel::simd::{self, Isa};
use rand_xoshiro::rand_core::Rng;
use rayon::prelude::*;

/// f64 evaluation of the same uniform the map uses: `t = (c + ½)·2⁻³²` from the low
/// 31 bits (complemented in the upper half); lower half `E = −ln t`, upper half
/// `E = −ln(1 − t)` via `ln_1p`; `G = −ln E`.
fn gumbel_f64(b: u32) -> f64 {
    let upper = b >> 31 == 1;
    let c = if upper { !b } else { b } as f64;
    let t = (c + 0.5) * 2f64.powi(-32);
    let e = if upper { -(-t).ln_1p() } else { -t.ln() };
    -e.ln()
}

#[test]
fn every_lane_is_bit_identical_to_its_rand_xoshiro_generator() {
    const STEPS: usize = 100_000;
    for (seed, stream) in [(0u64, 0u64), (42, 7), (u64::MAX, 1 << 40)] {
        let mut gens: Vec<_> = (0..LANES)
            .map(|l| noise::lane_generator(seed, stream, l))
            .collect();
        let expect: Vec<u32> = (0..STEPS)
            .flat_map(|_| gens.iter_mut().map(|g| g.next_u32()).collect::<Vec<_>>())
            .collect();
        for isa in common::isas() {
            // odd length: exercises the tail of the last step too
            let mut got = vec![0u32; STEPS * LANES - 5];
            simd::with_isa(isa, || noise::fill_bits(seed, stream, &mut got)).unwrap();
            let first_diff = got.iter().zip(&expect).position(|(a, b)| a != b);
            assert_eq!(first_diff, None, "{isa}: seed {seed} stream {stream}");
        }
    }
}

#[test]
fn fill_gumbel_is_the_bits_map_of_fill_bits_on_every_isa() {
    // every length up to 100 covers each way through the software-pipelined fill loop
    // (prologue, two-step turns, one-step turns, epilogue, tail)
    for len in (0..=100).chain([4099, 8192]) {
        let mut bits = vec![0u32; len];
        noise::fill_bits(5, 3, &mut bits);
        for isa in common::isas() {
            let (mut a, mut b) = (vec![0f32; len], vec![0f32; len]);
            simd::with_isa(isa, || {
                noise::fill_gumbel(5, 3, &mut a);
                noise::gumbel_from_bits(&bits, &mut b).unwrap();
            })
            .unwrap();
            assert_eq!(a, b, "{isa} len {len}");
        }
    }
}

#[test]
fn noise_streams_are_reproducible_and_prefix_stable() {
    for isa in common::isas() {
        simd::with_isa(isa, || {
            let mut long = vec![0f32; 1000];
            noise::fill_gumbel(9, 1, &mut long);
            for len in [0, 1, 15, 16, 17, 63, 64, 65, 999] {
                let mut short = vec![0f32; len];
                noise::fill_gumbel(9, 1, &mut short);
                assert_eq!(&long[..len], &short[..], "{isa} len {len}");
            }
            let mut other = vec![0f32; 1000];
            noise::fill_gumbel(9, 2, &mut other);
            assert_ne!(long, other);
        })
        .unwrap();
    }
}

#[test]
fn bits_to_gumbel_exhaustive_all_2_pow_32_inputs() {
    const CHUNK: u64 = 1 << 16;
    let isas = common::isas();
    // per ISA: (max abs error, at bits, min value, max value, any non-finite, decreases)
    let init = || vec![(0.0f64, 0u32, f32::INFINITY, f32::NEG_INFINITY, false, 0u64); isas.len()];
    let stats = (0..(1u64 << 32) / CHUNK)
        .into_par_iter()
        .map(|c| {
            // one input of overlap with the previous chunk, for the monotonicity check
            let bits: Vec<u32> = ((c * CHUNK).saturating_sub(1)..(c + 1) * CHUNK)
                .map(|b| b as u32)
                .collect();
            let outs: Vec<Vec<f32>> = isas
                .iter()
                .map(|&isa| {
                    let mut g = vec![0f32; bits.len()];
                    simd::with_isa(isa, || noise::gumbel_from_bits(&bits, &mut g))
                        .unwrap()
                        .unwrap();
                    g
                })
                .collect();
            let mut st = init();
            for (i, &b) in bits.iter().enumerate() {
                let r = gumbel_f64(b);
                for (k, g) in outs.iter().enumerate() {
                    let v = g[i];
                    let s = &mut st[k];
                    s.4 |= !v.is_finite();
                    if i > 0 && v < g[i - 1] {
                        s.5 += 1;
                    }
                    s.2 = s.2.min(v);
                    s.3 = s.3.max(v);
                    let e = (v as f64 - r).abs();
                    if e > s.0 || e.is_nan() {
                        s.0 = if e.is_nan() { f64::INFINITY } else { e };
                        s.1 = b;
                    }
                }
            }
            st
        })
        .reduce(init, |a, b| {
            a.iter()
                .zip(&b)
                .map(|(x, y)| {
                    let worst = if y.0 > x.0 { (y.0, y.1) } else { (x.0, x.1) };
                    (
                        worst.0,
                        worst.1,
                        x.2.min(y.2),
                        x.3.max(y.3),
                        x.4 | y.4,
                        x.5 + y.5,
                    )
                })
                .collect()
        });
    for (isa, (err, at, lo, hi, nonfinite, decreases)) in isas.iter().zip(stats) {
        println!(
            "gumbel_from_bits [{isa:>8}] max |error| {err:.3e} at bits {at:#010x}; range [{lo}, {hi}]; {decreases} decreases"
        );
        // the pruning of Gumbel-max compares raw bits against thresholds: the map must
        // be non-decreasing in the bits (as unsigned), which it is on every path
        assert_eq!(decreases, 0, "{isa}: G(b) decreases {decreases} times");
        assert!(!nonfinite, "{isa}: produced a non-finite value");
        assert!(err <= 2e-6, "{isa}: error {err:e} at bits {at:#x}");
        assert!(err > 0.0, "{isa}: zero error means nothing was compared");
        assert!(
            lo <= -3.1 && hi >= 22.0,
            "{isa}: range [{lo}, {hi}] narrower than [-3.1, 22.0]"
        );
    }
}

#[test]
fn all_isas_make_nearly_the_same_noise() {
    let mut reference = vec![0f32; 10_000];
    simd::with_isa(Isa::Scalar, || noise::fill_gumbel(1, 1, &mut reference)).unwrap();
    for isa in common::isas() {
        let mut g = vec![0f32; reference.len()];
        simd::with_isa(isa, || noise::fill_gumbel(1, 1, &mut g)).unwrap();
        for (a, b) in g.iter().zip(&reference) {
            assert!((a - b).abs() <= 4e-6, "{isa}: {a} vs {b}");
        }
    }
}
