//! bf16 and f16 logits: the sampling API takes them as they are and converts them to
//! f32 in registers, exactly.
//!
//! 1. On every ISA path, every call with 16-bit logits returns exactly what the same
//!    call returns for the logits converted to f32 beforehand (same seed, same noise):
//!    free functions, every `Sampler` method, keyed rows, `sample_n`, over many shapes
//!    (every tail length) and temperatures, with masks and extreme values.
//! 2. Across paths, the converted rows agree with the scalar reference at T = 1, where
//!    the score is exactly `x + g` on every ISA.
//! 3. The same contracts as f32: `-inf` masks, NaN / `+inf` are typed errors naming the
//!    row and column (the converted value), fully masked rows are errors, nothing is
//!    written on error.
//! 4. Chi-square of every method on bf16 and f16 logits against the exact softmax of
//!    the converted values (10⁶ draws per statistic, α = 1e-8 per statistic; 10
//!    statistics, so the test's false-alarm probability is below 1e-7).
//!
//! The conversion itself is checked exhaustively (all 2¹⁶ bit patterns of both types,
//! through each ISA's vector loads) by the unit test in `src/simd/element.rs`.

mod common;

use common::METHODS;
use common::rng::{Draws, Rng, splitmix};
use common::stats::{chi2_critical, pearson, softmax_f64};
use gumbel::half::{bf16, f16};
use gumbel::noise::fill_gumbel;
use gumbel::simd::{Backend, with_isa};
use gumbel::{Element, Error, Method, Sampler, gumbel_max, softmax_roulette};

/// Logits for row `r` of a test batch: N(0, 3)-ish values with masks, ties, a few
/// large and (for f16) subnormal magnitudes, as f32 that the element type represents.
fn raw_logits(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = splitmix(seed);
    (0..n)
        .map(|_| {
            let z = rng.next_u64();
            match z % 23 {
                0 => f32::NEG_INFINITY,
                1 => 2.5,      // ties across the row
                2 => 3.0e-6,   // an f16 subnormal region value
                3 => -60000.0, // large, representable in f16
                _ => ((z >> 11) as f64 / (1u64 << 53) as f64 * 12.0 - 6.0) as f32,
            }
        })
        .collect()
}

trait Half: Element {
    fn from(x: f32) -> Self;
    const NAME: &'static str;
}
impl Half for bf16 {
    fn from(x: f32) -> Self {
        bf16::from_f32(x)
    }
    const NAME: &'static str = "bf16";
}
impl Half for f16 {
    fn from(x: f32) -> Self {
        f16::from_f32(x)
    }
    const NAME: &'static str = "f16";
}

/// The row in `H`, and the same values as f32 (the exact conversion).
fn row_pair<H: Half>(n: usize, seed: u64) -> (Vec<H>, Vec<f32>) {
    let h: Vec<H> = raw_logits(n, seed).into_iter().map(H::from).collect();
    let f = h.iter().map(|v| v.to_f32()).collect();
    (h, f)
}

fn sampler(isa: gumbel::simd::Isa, m: Method, t: f32, seed: u64) -> Sampler {
    Sampler::new(seed)
        .backend(Backend::new(isa).unwrap())
        .method(m)
        .temperature(t)
        .ring_capacity(1 << 16)
        .parallel_threshold(0)
}

fn same_as_converted<H: Half>() {
    for isa in common::isas() {
        for n in (1..=70).chain([127, 128, 129, 1000, 4099]) {
            let (h, f) = row_pair::<H>(n, 1000 + n as u64);
            if f.iter().all(|v| *v == f32::NEG_INFINITY) {
                continue;
            }
            let mut g = vec![0.0f32; n];
            fill_gumbel(7, n as u64, &mut g);
            for t in [1.0f32, 0.5, 2.0, 0.0, 1e-3] {
                let ctx = format!("{} {isa} n={n} T={t}", H::NAME);
                let (a, b) =
                    with_isa(isa, || (gumbel_max(&h, &g, t), gumbel_max(&f, &g, t))).unwrap();
                assert_eq!(a, b, "{ctx}: gumbel_max");
                let tok = a.unwrap_or_else(|e| panic!("{ctx}: {e}"));
                assert!(f[tok] != f32::NEG_INFINITY, "{ctx}: masked token");
                for u in [1e-9, 0.3, 0.999_999] {
                    let (a, b) = with_isa(isa, || {
                        (softmax_roulette(&h, u, t), softmax_roulette(&f, u, t))
                    })
                    .unwrap();
                    assert_eq!(a, b, "{ctx}: softmax_roulette u={u}");
                }
            }
        }
        // batches: every method, keyed rows and sample_n, same seed for both types
        let (rows, cols) = (9, 1031);
        let (h, f) = row_pair::<H>(rows * cols, 77);
        let keys: Vec<u64> = (0..rows as u64).map(|r| 1000 + 3 * r).collect();
        for m in METHODS {
            for t in [1.0f32, 0.7, 1.6, 0.0] {
                let ctx = format!("{} {isa} {m:?} T={t}", H::NAME);
                let (mut sa, mut sb) = (sampler(isa, m, t, 5), sampler(isa, m, t, 5));
                for step in 0..3 {
                    let (mut oa, mut ob) = (vec![0u32; rows], vec![0u32; rows]);
                    sa.sample_batch(&h, cols, &mut oa).unwrap();
                    sb.sample_batch(&f, cols, &mut ob).unwrap();
                    assert_eq!(oa, ob, "{ctx}: sample_batch step {step}");
                    sa.sample_batch_keyed(&h, cols, &keys, &mut oa).unwrap();
                    sb.sample_batch_keyed(&f, cols, &keys, &mut ob).unwrap();
                    assert_eq!(oa, ob, "{ctx}: sample_batch_keyed step {step}");
                    let a = sa.sample(&h[..cols]).unwrap();
                    let b = sb.sample(&f[..cols]).unwrap();
                    assert_eq!(a, b, "{ctx}: sample step {step}");
                    for draws in [1usize, 5000] {
                        let (mut na, mut nb) = (vec![0u32; draws], vec![0u32; draws]);
                        sa.sample_n(&h[cols..2 * cols], &mut na).unwrap();
                        sb.sample_n(&f[cols..2 * cols], &mut nb).unwrap();
                        assert_eq!(na, nb, "{ctx}: sample_n({draws}) step {step}");
                    }
                }
            }
        }
    }
}

#[test]
fn bf16_logits_sample_exactly_as_their_f32_values() {
    same_as_converted::<bf16>();
}

#[test]
fn f16_logits_sample_exactly_as_their_f32_values() {
    same_as_converted::<f16>();
}

/// At T = 1 the score is exactly `x + g` on every ISA: every path returns the scalar
/// reference's token for the converted logits.
#[test]
fn every_path_agrees_with_the_scalar_reference_at_t1() {
    let isas = common::isas();
    for n in [1usize, 15, 16, 17, 63, 64, 65, 1000, 32001] {
        let (hb, _) = row_pair::<bf16>(n, 5 + n as u64);
        let (hf, _) = row_pair::<f16>(n, 9 + n as u64);
        let mut g = vec![0.0f32; n];
        fill_gumbel(3, n as u64, &mut g);
        let scalar = Backend::scalar().isa();
        let want_b = with_isa(scalar, || gumbel_max(&hb, &g, 1.0)).unwrap();
        let want_f = with_isa(scalar, || gumbel_max(&hf, &g, 1.0)).unwrap();
        for &isa in &isas {
            let got_b = with_isa(isa, || gumbel_max(&hb, &g, 1.0)).unwrap();
            let got_f = with_isa(isa, || gumbel_max(&hf, &g, 1.0)).unwrap();
            assert_eq!(got_b, want_b, "bf16 {isa} n={n}");
            assert_eq!(got_f, want_f, "f16 {isa} n={n}");
        }
    }
}

fn errors<H: Half>() {
    let cols = 40;
    let (mut h, _) = row_pair::<H>(3 * cols, 11);
    for v in h.iter_mut() {
        if v.to_f32() == f32::NEG_INFINITY {
            *v = H::from(0.25);
        }
    }
    for isa in common::isas() {
        for (bad, col) in [(f32::NAN, 17usize), (f32::INFINITY, 39), (f32::NAN, 0)] {
            let mut x = h.clone();
            x[cols + col] = H::from(bad);
            let value = x[cols + col].to_f32();
            for m in METHODS {
                for t in [1.0f32, 0.5, 0.0] {
                    let ctx = format!("{} {isa} {m:?} T={t} bad {bad} at col {col}", H::NAME);
                    let mut s = sampler(isa, m, t, 3);
                    let mut out = [u32::MAX; 3];
                    let e = s.sample_batch(&x, cols, &mut out).unwrap_err();
                    match e {
                        Error::InvalidLogit {
                            row,
                            col: c,
                            value: v,
                        } => {
                            assert_eq!((row, c), (1, col), "{ctx}");
                            assert_eq!(v.to_bits(), value.to_bits(), "{ctx}");
                        }
                        e => panic!("{ctx}: {e:?}"),
                    }
                    assert_eq!(out, [u32::MAX; 3], "{ctx}: out written");
                    let e = s
                        .sample_batch_keyed(&x, cols, &[1, 2, 3], &mut out)
                        .unwrap_err();
                    assert!(
                        matches!(e, Error::InvalidLogit { row: 1, .. }),
                        "{ctx}: {e:?}"
                    );
                    assert_eq!(out, [u32::MAX; 3], "{ctx}: out written (keyed)");
                }
            }
            let g = vec![0.5f32; cols];
            let row = &x[cols..2 * cols];
            let e = with_isa(isa, || gumbel_max(row, &g, 1.0))
                .unwrap()
                .unwrap_err();
            assert!(
                matches!(e, Error::InvalidLogit { row: 0, col: c, .. } if c == col),
                "{e:?}"
            );
            let e = with_isa(isa, || softmax_roulette(row, 0.5, 1.0))
                .unwrap()
                .unwrap_err();
            assert!(
                matches!(e, Error::InvalidLogit { row: 0, col: c, .. } if c == col),
                "{e:?}"
            );
        }
        // every entry masked
        let masked = vec![H::from(f32::NEG_INFINITY); 2 * cols];
        for m in METHODS {
            let mut s = sampler(isa, m, 1.0, 3);
            let mut out = [u32::MAX; 2];
            assert_eq!(
                s.sample_batch(&masked, cols, &mut out),
                Err(Error::AllMasked { row: 0 })
            );
            assert_eq!(out, [u32::MAX; 2]);
        }
    }
}

#[test]
fn bf16_bad_logits_are_typed_errors_and_nothing_is_written() {
    errors::<bf16>();
}

#[test]
fn f16_bad_logits_are_typed_errors_and_nothing_is_written() {
    errors::<f16>();
}

fn chi_square_every_method<H: Half>() {
    const N: usize = 1_000_000;
    const ROWS: usize = 1000;
    // 12 tokens within 4 nats (after 16-bit rounding), one masked
    let x: Vec<H> = [
        0.1f32,
        1.3,
        -0.7,
        2.2,
        0.0,
        -1.9,
        1.05,
        f32::NEG_INFINITY,
        0.6,
        -0.3,
        1.7,
        2.0,
    ]
    .into_iter()
    .map(H::from)
    .collect();
    let xf: Vec<f32> = x.iter().map(|v| v.to_f32()).collect();
    let cols = x.len();
    let batch: Vec<H> = (0..ROWS).flat_map(|_| x.iter().copied()).collect();
    let mut fails = Vec::new();
    let t = 0.8f32;
    let p = softmax_f64(&xf, t as f64);
    let mut check = |what: &str, counts: &[u64]| {
        let (stat, dof) = pearson(counts, &p);
        let crit = chi2_critical(dof as f64, 1e-8);
        println!(
            "STAT {} {what:<18} chi2 = {stat:8.2} (dof {dof}, critical {crit:.2})",
            H::NAME
        );
        if stat > crit {
            fails.push(format!(
                "{} {what}: chi2 {stat:.2} > {crit:.2}; {counts:?}",
                H::NAME
            ));
        }
    };
    for (i, m) in METHODS.into_iter().enumerate() {
        let mut s = Sampler::new(0x16_b17 + i as u64 + 10 * H::NAME.len() as u64)
            .method(m)
            .temperature(t)
            .ring_capacity(1 << 20);
        let mut counts = vec![0u64; cols];
        let mut out = vec![0u32; ROWS];
        for _ in 0..N / ROWS {
            s.sample_batch(&batch, cols, &mut out).unwrap();
            for &o in &out {
                counts[o as usize] += 1;
            }
        }
        check(&format!("{m:?}"), &counts);
    }
    // free functions with explicit noise / uniforms
    let mut counts_g = vec![0u64; cols];
    let mut counts_r = vec![0u64; cols];
    let mut g = vec![0.0f32; cols * ROWS];
    let mut rng = splitmix(0xfeed + H::NAME.len() as u64);
    for call in 0..(N / ROWS) as u64 {
        fill_gumbel(0xabc + H::NAME.len() as u64, call, &mut g);
        for r in 0..ROWS {
            let i = gumbel_max(&x, &g[r * cols..(r + 1) * cols], t).unwrap();
            counts_g[i] += 1;
            let u = rng.uniform();
            counts_r[softmax_roulette(&x, u, t).unwrap()] += 1;
        }
    }
    check("gumbel_max", &counts_g);
    check("softmax_roulette", &counts_r);
    assert!(fails.is_empty(), "{fails:#?}");
}

#[test]
fn bf16_every_method_chi_square() {
    chi_square_every_method::<bf16>();
}

#[test]
fn f16_every_method_chi_square() {
    chi_square_every_method::<f16>();
}
