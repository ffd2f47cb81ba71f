//! Exhaustive accuracy of `ln` and `exp` on every ISA path, against f64 references.
//!
//! `ln`: every positive finite f32 (normal and subnormal), bound 1 ulp.
//! `exp`: every f32 in [-104, 89], bound 2 ulp (subnormal results included).
//! Special values: exact. Run in release mode (`[profile.test] opt-level = 3`).

mod common;

use gumbel::simd::{self, Isa};
use rayon::prelude::*;

const CHUNK: u32 = 1 << 16;

/// Max ulp error (and the input where it occurs) of `f` on every ISA against
/// `reference`, over the bit patterns `[lo, hi)`. The reference is evaluated once per
/// input and every ISA's output compared with it.
fn sweep(
    lo: u32,
    hi: u32,
    f: fn(&[f32], &mut [f32]) -> Result<(), gumbel::Error>,
    reference: fn(f64) -> f64,
) -> Vec<(Isa, f64, f32)> {
    let isas = common::isas();
    let chunks: Vec<u32> = (lo..hi).step_by(CHUNK as usize).collect();
    let worst = chunks
        .par_iter()
        .map(|&start| {
            let end = (start as u64 + CHUNK as u64).min(hi as u64) as u32;
            let x: Vec<f32> = (start..end).map(f32::from_bits).collect();
            let ys: Vec<Vec<f32>> = isas
                .iter()
                .map(|&isa| {
                    let mut y = vec![0.0f32; x.len()];
                    simd::with_isa(isa, || f(&x, &mut y)).unwrap().unwrap();
                    y
                })
                .collect();
            let mut worst = vec![(0.0f64, 0.0f32); isas.len()];
            for (i, &xi) in x.iter().enumerate() {
                let r = reference(xi as f64);
                for (k, y) in ys.iter().enumerate() {
                    let e = common::ulp_error(y[i], r);
                    if e > worst[k].0 {
                        worst[k] = (e, xi);
                    }
                }
            }
            worst
        })
        .reduce(
            || vec![(0.0, 0.0); isas.len()],
            |a, b| {
                a.iter()
                    .zip(&b)
                    .map(|(x, y)| if y.0 > x.0 { *y } else { *x })
                    .collect()
            },
        );
    isas.into_iter()
        .zip(worst)
        .map(|(i, (e, x))| (i, e, x))
        .collect()
}

#[test]
fn ln_within_1_ulp_on_every_positive_finite_f32() {
    // bits 1 ..= 0x7f7fffff: every positive subnormal and normal
    for (isa, err, at) in sweep(1, 0x7f80_0000, simd::ln, f64::ln) {
        println!("ln  [{isa:>8}] max error {err:.4} ulp at x = {at:e}");
        assert!(err <= 1.0, "{isa}: ln error {err} ulp at {at:e}");
        assert!(
            err > 0.0,
            "{isa}: an error of exactly 0 means the sweep compared nothing"
        );
    }
}

#[test]
fn ln_special_values_are_exact() {
    let x = [
        0.0f32,
        -0.0,
        -1.0,
        f32::NEG_INFINITY,
        f32::INFINITY,
        f32::NAN,
        1.0,
        -f32::MIN_POSITIVE,
    ];
    for isa in common::isas() {
        let mut y = [0.0f32; 8];
        simd::with_isa(isa, || simd::ln(&x, &mut y))
            .unwrap()
            .unwrap();
        assert_eq!(y[0], f32::NEG_INFINITY, "{isa}: ln(+0)");
        assert_eq!(y[1], f32::NEG_INFINITY, "{isa}: ln(-0)");
        assert!(
            y[2].is_nan() && y[3].is_nan() && y[5].is_nan() && y[7].is_nan(),
            "{isa}: NaN cases"
        );
        assert_eq!(y[4], f32::INFINITY, "{isa}: ln(+inf)");
        assert_eq!(y[6].to_bits(), 0, "{isa}: ln(1) = +0");
    }
}

#[test]
fn exp_within_2_ulp_on_minus_104_to_89() {
    // non-negative side: +0 ..= 89.0; negative side: -0 ..= -104.0
    let pos = sweep(0, 89.0f32.to_bits() + 1, simd::exp, f64::exp);
    let neg = sweep(0x8000_0000, (-104.0f32).to_bits() + 1, simd::exp, f64::exp);
    for ((isa, e1, a1), (_, e2, a2)) in pos.into_iter().zip(neg) {
        let (err, at) = if e1 >= e2 { (e1, a1) } else { (e2, a2) };
        println!("exp [{isa:>8}] max error {err:.4} ulp at x = {at:e}");
        assert!(err <= 2.0, "{isa}: exp error {err} ulp at {at:e}");
        assert!(
            err > 0.0,
            "{isa}: an error of exactly 0 means the sweep compared nothing"
        );
    }
}

#[test]
fn exp_special_values_are_exact() {
    let x = [
        0.0f32,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        89.0,
        -104.0,
        1000.0,
        -1000.0,
    ];
    for isa in common::isas() {
        let mut y = [0.0f32; 9];
        simd::with_isa(isa, || simd::exp(&x, &mut y))
            .unwrap()
            .unwrap();
        assert_eq!(y[0], 1.0, "{isa}: exp(0)");
        assert_eq!(y[1], 1.0, "{isa}: exp(-0)");
        assert_eq!(y[2], f32::INFINITY, "{isa}: exp(+inf)");
        assert_eq!(y[3].to_bits(), 0, "{isa}: exp(-inf) = +0");
        assert!(y[4].is_nan(), "{isa}: exp(NaN)");
        assert_eq!(y[5], f32::INFINITY, "{isa}: exp(89) overflows");
        assert_eq!(
            y[6], 0.0,
            "{isa}: exp(-104) underflows to 0 (true value 6.8e-46 < 2^-150)"
        );
        assert_eq!(y[7], f32::INFINITY, "{isa}: exp(1000)");
        assert_eq!(y[8], 0.0, "{isa}: exp(-1000)");
    }
}

#[test]
fn all_isas_agree_closely_on_ln_of_random_lengths() {
    // every tail length 0..=70 and unaligned starts go through the same values
    let base: Vec<f32> = (0..200).map(|i| 0.37 + i as f32 * 1.7).collect();
    for len in 0..=70 {
        for off in 0..3 {
            let x = &base[off..off + len];
            let mut reference = vec![0.0f32; len];
            simd::with_isa(Isa::Scalar, || simd::ln(x, &mut reference))
                .unwrap()
                .unwrap();
            for isa in common::isas() {
                let mut y = vec![0.0f32; len];
                simd::with_isa(isa, || simd::ln(x, &mut y))
                    .unwrap()
                    .unwrap();
                for (a, b) in y.iter().zip(&reference) {
                    assert!(
                        (a - b).abs() <= 2.0 * f32::EPSILON * b.abs().max(1.0),
                        "{isa} len {len}"
                    );
                }
            }
        }
    }
}
