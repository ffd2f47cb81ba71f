//! API, property and determinism tests of the sampling entry points: the free functions
//! (`gumbel_max`, `gumbel_max_probs`, `softmax_roulette`, `softmax_roulette_probs`) and
//! [`Sampler`] with every [`Method`], on every ISA path.
//!
//! * properties over random shapes, values and masks (proptest), against references
//!   that are exact where the kernels are exact and skip only true near-ties;
//! * bad input: a typed error naming what is wrong, no panic, outputs untouched, and
//!   the first bad row of a (parallel) batch reported deterministically;
//! * determinism across rayon thread counts, background refill, keyed rows;
//! * greedy and tie-breaking rules, temperature extremes.

mod common;

use common::rng::{Draws, splitmix};
use common::{METHODS, NEG_INF, first_argmax, gather_rows, thread_pool};

use gumbel::noise::fill_gumbel;
use gumbel::simd::{self, Backend, Isa, with_isa};
use gumbel::{
    Error, Method, Sampler, gumbel_max, gumbel_max_probs, softmax_roulette, softmax_roulette_probs,
};
use proptest::prelude::*;
use proptest::test_runner::Config;

const SENTINEL: u32 = 0xDEAD_BEEF;

// ---------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------

/// The uniform `softmax_roulette` gets for row `row` of a property case: the first draw
/// of a SplitMix64 stream keyed by `(seed, row)`.
fn row_uniform(seed: u64, row: usize) -> f64 {
    splitmix(seed ^ (row as u64).wrapping_mul(0xd6e8_feb8_6659_fd93)).uniform()
}

/// `ln` of every element on one ISA path: the values `*_probs` kernels score.
fn ln_on(isa: Isa, p: &[f32]) -> Vec<f32> {
    let mut y = vec![0.0f32; p.len()];
    with_isa(isa, || simd::ln(p, &mut y)).unwrap().unwrap();
    y
}

/// The Gumbel-max sample the kernels must return for scored values `x` (logits, or
/// `ln p`), noise `g` and temperature `t` — or `None` when two scores are within
/// rounding (relative 1e-5) of each other, where FMA vs. separate rounding may decide.
/// Exact (never `None`) at `t = 0` and `t = 1`, where the kernels' score is one IEEE
/// operation.
fn gumbel_expect(x: &[f32], g: &[f32], t: f32) -> Option<usize> {
    if t == 0.0 {
        return first_argmax(x);
    }
    if t == 1.0 {
        let s: Vec<f32> = x.iter().zip(g).map(|(&a, &b)| a + b).collect();
        return first_argmax(&s);
    }
    let (t, mut best, mut second, mut idx) = (t as f64, f64::NEG_INFINITY, f64::NEG_INFINITY, None);
    for (i, (&a, &b)) in x.iter().zip(g).enumerate() {
        if a == NEG_INF {
            continue;
        }
        let s = if t <= 1.0 {
            a as f64 + t * b as f64
        } else {
            a as f64 / t + b as f64
        };
        if s > best {
            second = best;
            best = s;
            idx = Some(i);
        } else if s > second {
            second = s;
        }
    }
    if second.is_finite() && best - second <= 1e-5 * best.abs().max(second.abs()).max(1.0) {
        return None;
    }
    idx
}

/// The roulette sample the kernels must return for scored values `x` (logits, or the
/// ISA's `ln p`), uniform `u` and temperature `t`: weights `exp((x − m)·s)` with the
/// f32 subtraction and multiplication the kernels do, cumulated in f64. `None` when
/// `u·Σ` lies within 1e-5·Σ of a CDF boundary.
fn roulette_expect(x: &[f32], u: f64, t: f32) -> Option<usize> {
    if t == 0.0 {
        return first_argmax(x);
    }
    let m = x.iter().copied().fold(NEG_INF, f32::max);
    let s = (1.0f32 / t).min(f32::MAX);
    let w: Vec<f64> = x
        .iter()
        .map(|&v| {
            if v == NEG_INF {
                0.0
            } else {
                (((v - m) * s) as f64).exp()
            }
        })
        .collect();
    let total: f64 = w.iter().sum();
    let target = u * total;
    let mut cum = 0.0;
    let mut found = None;
    for (i, &wi) in w.iter().enumerate() {
        if wi == 0.0 {
            continue;
        }
        cum += wi;
        if (cum - target).abs() <= 1e-5 * total {
            return None;
        }
        if found.is_none() && cum >= target {
            found = Some(i);
        }
    }
    found
}

/// Compare errors by their `Debug` text (so that NaN payloads compare equal).
#[track_caller]
fn assert_err<T: std::fmt::Debug>(got: Result<T, Error>, want: &Error, ctx: &str) {
    match got {
        Err(e) => assert_eq!(format!("{e:?}"), format!("{want:?}"), "{ctx}"),
        Ok(v) => panic!("{ctx}: expected {want:?}, got Ok({v:?})"),
    }
}

#[track_caller]
fn assert_untouched(out: &[u32], ctx: &str) {
    assert!(
        out.iter().all(|&o| o == SENTINEL),
        "{ctx}: out was written on error: {:?}",
        &out[..out.len().min(8)]
    );
}

/// Deterministic logits in [-8, 8] with ~5% masked, at least one unmasked per row.
fn batch_logits(rows: usize, cols: usize, seed: u64) -> Vec<f32> {
    let mut st = splitmix(seed);
    let mut x: Vec<f32> = (0..rows * cols)
        .map(|_| {
            let u = st.uniform();
            if u < 0.05 {
                NEG_INF
            } else {
                (st.uniform() * 16.0 - 8.0) as f32
            }
        })
        .collect();
    for r in 0..rows {
        x[r * cols + r % cols] = 1.0;
    }
    x
}

fn to_probs(x: &[f32]) -> Vec<f32> {
    x.iter().map(|&v| v.exp()).collect()
}

/// Which batched `Sampler` entry point to call.
#[derive(Clone, Copy, Debug)]
enum Call {
    Batch,
    BatchProbs,
    Keyed,
}

const LOGIT_CALLS: [Call; 2] = [Call::Batch, Call::Keyed];

fn call(
    s: &mut Sampler,
    c: Call,
    x: &[f32],
    cols: usize,
    keys: &[u64],
    out: &mut [u32],
) -> Result<(), Error> {
    match c {
        Call::Batch => s.sample_batch(x, cols, out),
        Call::BatchProbs => s.sample_batch_probs(x, cols, out),
        Call::Keyed => s.sample_batch_keyed(x, cols, keys, out),
    }
}

fn keys_for(rows: usize) -> Vec<u64> {
    (0..rows as u64).map(|r| r * 7919 + 13).collect()
}

// ---------------------------------------------------------------------------------
// 1. properties
// ---------------------------------------------------------------------------------

const TEMPS: [f32; 7] = [1.0, 0.0, 0.5, 0.9, 2.0, 1e-3, 7.5];

#[derive(Debug, Clone)]
struct Case {
    rows: usize,
    cols: usize,
    logits: Vec<f32>,
    seed: u64,
    t: f32,
}

fn case() -> impl Strategy<Value = Case> {
    (
        1usize..=300,
        0usize..=20,
        0usize..5,
        any::<bool>(),
        any::<u64>(),
        prop::sample::select(TEMPS.to_vec()),
    )
        .prop_flat_map(|(cols, rows, mask, quantize, seed, t)| {
            // probability of a mask: 0, 1/8, ~0.8, ~0.99, 1 (every row masked)
            let threshold = [0u16, 32, 200, 254, 256][mask];
            prop::collection::vec((-30.0f32..=30.0, any::<u8>()), rows * cols).prop_map(move |v| {
                let logits = v
                    .into_iter()
                    .map(|(x, b)| {
                        if (b as u16) < threshold {
                            NEG_INF
                        } else if quantize {
                            x.round() // many exact ties
                        } else {
                            x
                        }
                    })
                    .collect();
                Case {
                    rows,
                    cols,
                    logits,
                    seed,
                    t,
                }
            })
        })
}

fn check_case(c: &Case) {
    let Case {
        rows,
        cols,
        ref logits,
        seed,
        t,
    } = *c;
    let isas = common::isas();
    let probs = to_probs(logits);
    let mut noise = vec![0.0f32; rows * cols];
    for (r, g) in noise.chunks_mut(cols).enumerate() {
        fill_gumbel(seed, r as u64, g);
    }
    let first_masked = (0..rows).find(|&r| {
        logits[r * cols..(r + 1) * cols]
            .iter()
            .all(|&v| v == NEG_INF)
    });

    // free functions, one row at a time, every ISA given the same noise and uniform
    for r in 0..rows {
        let span = r * cols..(r + 1) * cols;
        let (x, g, p) = (&logits[span.clone()], &noise[span.clone()], &probs[span]);
        let u = row_uniform(seed, r);
        let masked = first_argmax(x).is_none();
        for &isa in &isas {
            let got = with_isa(isa, || {
                [
                    gumbel_max(x, g, t),
                    gumbel_max_probs(p, g, t),
                    softmax_roulette(x, u, t),
                    softmax_roulette_probs(p, u, t),
                ]
            })
            .unwrap();
            let names = [
                "gumbel_max",
                "gumbel_max_probs",
                "softmax_roulette",
                "softmax_roulette_probs",
            ];
            if masked {
                for (res, name) in got.into_iter().zip(names) {
                    assert_err(
                        res,
                        &Error::AllMasked { row: 0 },
                        &format!("{isa} {name} row {r}"),
                    );
                }
                continue;
            }
            let lnp = ln_on(isa, p);
            let expect = [
                gumbel_expect(x, g, t),
                gumbel_expect(&lnp, g, t),
                roulette_expect(x, u, t),
                roulette_expect(&lnp, u, t),
            ];
            for ((res, name), want) in got.into_iter().zip(names).zip(expect) {
                let ctx = format!("{isa} {name} row {r} T={t} u={u}");
                let i = res.unwrap_or_else(|e| panic!("{ctx}: {e}"));
                assert!(i < cols, "{ctx}: index {i} out of range");
                assert!(x[i] != NEG_INF, "{ctx}: masked index {i}");
                if let Some(want) = want {
                    assert_eq!(i, want, "{ctx}");
                }
            }
        }
    }

    // Sampler, every method, every ISA: valid tokens or the first all-masked row
    let keys = keys_for(rows);
    for m in METHODS {
        for &isa in &isas {
            let threshold = if rows % 2 == 0 { 0 } else { usize::MAX };
            let mut s = Sampler::new(seed)
                .backend(Backend::new(isa).unwrap())
                .method(m)
                .temperature(t)
                .parallel_threshold(threshold);
            for (c, x) in [
                (Call::Batch, logits),
                (Call::BatchProbs, &probs),
                (Call::Keyed, logits),
            ] {
                let ctx = format!("{isa} {m:?} {c:?} T={t} rows={rows} cols={cols}");
                let mut out = vec![SENTINEL; rows];
                let res = with_isa(isa, || call(&mut s, c, x, cols, &keys, &mut out)).unwrap();
                if rows == 0 {
                    // zero rows: a no-op (tests/seams.rs checks that it spends nothing)
                    assert_eq!(res, Ok(()), "{ctx}");
                } else if let Some(row) = first_masked {
                    assert_err(res, &Error::AllMasked { row }, &ctx);
                    assert_untouched(&out, &ctx);
                } else {
                    res.unwrap_or_else(|e| panic!("{ctx}: {e}"));
                    for (r, &o) in out.iter().enumerate() {
                        assert!((o as usize) < cols, "{ctx}: row {r} token {o}");
                        assert!(
                            logits[r * cols + o as usize] != NEG_INF,
                            "{ctx}: row {r} masked token {o}"
                        );
                    }
                }
            }
            if rows > 0 {
                let x = &logits[..cols];
                let p = &probs[..cols];
                let ctx = format!("{isa} {m:?} sample T={t}");
                let (a, b) = with_isa(isa, || (s.sample(x), s.sample_probs(p))).unwrap();
                for res in [a, b] {
                    if first_argmax(x).is_none() {
                        assert_err(res, &Error::AllMasked { row: 0 }, &ctx);
                    } else {
                        let i = res.unwrap_or_else(|e| panic!("{ctx}: {e}"));
                        assert!(i < cols && x[i] != NEG_INF, "{ctx}: {i}");
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(Config {
        cases: 128,
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn random_batches_give_valid_tokens_and_isas_agree(c in case()) {
        check_case(&c);
    }
}

// ---------------------------------------------------------------------------------
// 2. bad input
// ---------------------------------------------------------------------------------

fn with_value(mut x: Vec<f32>, cols: usize, at: &[(usize, usize, f32)]) -> Vec<f32> {
    for &(r, c, v) in at {
        x[r * cols + c] = v;
    }
    x
}

fn with_row(mut x: Vec<f32>, cols: usize, r: usize, v: f32) -> Vec<f32> {
    x[r * cols..(r + 1) * cols].fill(v);
    x
}

/// Data errors: (what, logits or probs, expected error), for a 4 × 37 batch.
fn data_cases(probs: bool) -> Vec<(&'static str, Vec<f32>, Error)> {
    let cols = 37;
    let base = if probs {
        to_probs(&batch_logits(4, cols, 1))
    } else {
        batch_logits(4, cols, 1)
    };
    let nan = f32::NAN;
    let inf = f32::INFINITY;
    let mask = if probs { 0.0 } else { NEG_INF };
    let mut v = Vec::new();
    if probs {
        for (name, bad) in [
            ("negative", -0.5f32),
            ("NaN", nan),
            ("+inf", inf),
            ("-inf", NEG_INF),
        ] {
            v.push((
                name,
                with_value(base.clone(), cols, &[(2, 5, bad)]),
                Error::InvalidProbability {
                    row: 2,
                    col: 5,
                    value: bad,
                },
            ));
        }
        v.push((
            "negative then NaN in one row: first column",
            with_value(base.clone(), cols, &[(1, 30, nan), (1, 4, -1.0)]),
            Error::InvalidProbability {
                row: 1,
                col: 4,
                value: -1.0,
            },
        ));
    } else {
        for (name, bad) in [("NaN", nan), ("+inf", inf)] {
            v.push((
                name,
                with_value(base.clone(), cols, &[(2, 5, bad)]),
                Error::InvalidLogit {
                    row: 2,
                    col: 5,
                    value: bad,
                },
            ));
        }
        v.push((
            "NaN and +inf in one row: first column",
            with_value(base.clone(), cols, &[(1, 36, nan), (1, 3, inf)]),
            Error::InvalidLogit {
                row: 1,
                col: 3,
                value: inf,
            },
        ));
        v.push((
            "NaN in the last column of the last row",
            with_value(base.clone(), cols, &[(3, 36, nan)]),
            Error::InvalidLogit {
                row: 3,
                col: 36,
                value: nan,
            },
        ));
    }
    v.push((
        "all masked",
        with_row(base.clone(), cols, 3, mask),
        Error::AllMasked { row: 3 },
    ));
    let bad = if probs {
        Error::InvalidProbability {
            row: 2,
            col: 0,
            value: nan,
        }
    } else {
        Error::InvalidLogit {
            row: 2,
            col: 0,
            value: nan,
        }
    };
    v.push((
        "all masked row before a bad row",
        with_value(with_row(base.clone(), cols, 1, mask), cols, &[(2, 0, nan)]),
        Error::AllMasked { row: 1 },
    ));
    v.push((
        "bad row before an all masked row",
        with_value(with_row(base, cols, 3, mask), cols, &[(2, 0, nan)]),
        bad,
    ));
    v
}

#[test]
fn sampler_data_errors_are_typed_and_leave_out_untouched() {
    let cols = 37;
    let keys = keys_for(4);
    for probs in [false, true] {
        let calls: &[Call] = if probs {
            &[Call::BatchProbs]
        } else {
            &LOGIT_CALLS
        };
        for (what, x, want) in data_cases(probs) {
            for &isa in &common::isas() {
                for m in METHODS {
                    for t in [1.0, 0.5, 2.0, 0.0] {
                        for &c in calls {
                            for threshold in [0, usize::MAX] {
                                let ctx = format!(
                                    "{what}: {isa} {m:?} {c:?} T={t} threshold {threshold}"
                                );
                                let mut s = Sampler::new(3)
                                    .backend(Backend::new(isa).unwrap())
                                    .method(m)
                                    .temperature(t)
                                    .parallel_threshold(threshold);
                                let mut out = [SENTINEL; 4];
                                let res =
                                    with_isa(isa, || call(&mut s, c, &x, cols, &keys, &mut out))
                                        .unwrap();
                                assert_err(res, &want, &ctx);
                                assert_untouched(&out, &ctx);
                            }
                        }
                        // one row alone: the same error, at row 0
                        let row = match want {
                            Error::InvalidLogit { row, .. }
                            | Error::InvalidProbability { row, .. }
                            | Error::AllMasked { row } => row,
                            _ => unreachable!(),
                        };
                        let one = &x[row * cols..(row + 1) * cols];
                        let want_one = match want {
                            Error::InvalidLogit { col, value, .. } => {
                                Error::InvalidLogit { row: 0, col, value }
                            }
                            Error::InvalidProbability { col, value, .. } => {
                                Error::InvalidProbability { row: 0, col, value }
                            }
                            _ => Error::AllMasked { row: 0 },
                        };
                        let mut s = Sampler::new(3)
                            .backend(Backend::new(isa).unwrap())
                            .method(m)
                            .temperature(t);
                        let res = with_isa(isa, || {
                            if probs {
                                s.sample_probs(one)
                            } else {
                                s.sample(one)
                            }
                        })
                        .unwrap();
                        assert_err(res, &want_one, &format!("{what}: {isa} {m:?} sample T={t}"));
                    }
                }
            }
        }
    }
}

/// (what, data, cols, out length, keys length, expected error)
type ShapeCase<'a> = (&'static str, &'a [f32], usize, usize, usize, Error);

#[test]
fn sampler_shape_and_temperature_errors_are_typed_and_spend_nothing() {
    let cols = 37;
    let x = batch_logits(4, cols, 2);
    let p = to_probs(&x);
    let keys = keys_for(4);
    let mut long = x.clone();
    long.push(0.0);
    for m in METHODS {
        for c in [Call::Batch, Call::BatchProbs, Call::Keyed] {
            let data = if matches!(c, Call::BatchProbs) {
                &p
            } else {
                &x
            };
            let cases: Vec<ShapeCase> = vec![
                ("cols = 0", data, 0, 4, 4, Error::EmptyRow),
                ("cols = 0, empty slice", &[], 0, 0, 0, Error::EmptyRow),
                (
                    "zero rows, out of 1",
                    &[],
                    cols,
                    1,
                    1,
                    Error::LengthMismatch {
                        what: "out",
                        expected: 0,
                        found: 1,
                    },
                ),
                (
                    "len not a multiple of cols",
                    &long,
                    cols,
                    4,
                    4,
                    Error::NotMultipleOfCols {
                        len: 4 * cols + 1,
                        cols,
                    },
                ),
                (
                    "out too short",
                    data,
                    cols,
                    3,
                    4,
                    Error::LengthMismatch {
                        what: "out",
                        expected: 4,
                        found: 3,
                    },
                ),
                (
                    "out too long",
                    data,
                    cols,
                    5,
                    4,
                    Error::LengthMismatch {
                        what: "out",
                        expected: 4,
                        found: 5,
                    },
                ),
            ];
            for (what, data, cols, out_len, keys_len, want) in cases {
                let ctx = format!("{what}: {m:?} {c:?}");
                let mut s = Sampler::new(5).method(m);
                let mut out = vec![SENTINEL; out_len];
                let res = call(&mut s, c, data, cols, &keys[..keys_len.min(4)], &mut out);
                assert_err(res, &want, &ctx);
                assert_untouched(&out, &ctx);
                assert_eq!(s.rows_sampled(), 0, "{ctx}");
            }
            if matches!(c, Call::Keyed) {
                for n in [0usize, 3, 5] {
                    let ctx = format!("keys of length {n}: {m:?}");
                    let keys: Vec<u64> = (0..n as u64).collect();
                    let mut s = Sampler::new(5).method(m);
                    let mut out = vec![SENTINEL; 4];
                    let res = s.sample_batch_keyed(&x, cols, &keys, &mut out);
                    assert_err(
                        res,
                        &Error::LengthMismatch {
                            what: "keys",
                            expected: 4,
                            found: n,
                        },
                        &ctx,
                    );
                    assert_untouched(&out, &ctx);
                }
            }
            for t in [-1.0f32, f32::NAN, f32::INFINITY, NEG_INF, -1e-45, -0.5] {
                let ctx = format!("T={t}: {m:?} {c:?}");
                let mut s = Sampler::new(5).method(m).temperature(t);
                let mut out = vec![SENTINEL; 4];
                let res = call(&mut s, c, data, cols, &keys, &mut out);
                assert_err(res, &Error::InvalidTemperature(t), &ctx);
                assert_untouched(&out, &ctx);
                assert_eq!(s.rows_sampled(), 0, "{ctx}");
                assert_err(s.sample(&x[..cols]), &Error::InvalidTemperature(t), &ctx);
                assert_err(
                    s.sample_probs(&p[..cols]),
                    &Error::InvalidTemperature(t),
                    &ctx,
                );
            }
        }
        let mut s = Sampler::new(5).method(m);
        assert_err(
            s.sample::<f32>(&[]),
            &Error::EmptyRow,
            &format!("{m:?} sample(&[])"),
        );
        assert_err(
            s.sample_probs(&[]),
            &Error::EmptyRow,
            &format!("{m:?} sample_probs(&[])"),
        );

        // shape errors spend no randomness: the next call matches a fresh sampler
        let mut out = vec![SENTINEL; 3];
        let _ = s.sample_batch(&x, cols, &mut out);
        let _ = s.sample_batch(&x, 0, &mut out);
        let _ = s.sample_batch(&long, cols, &mut out);
        let mut a = vec![0u32; 4];
        let mut b = vec![0u32; 4];
        s.sample_batch(&x, cols, &mut a).unwrap();
        Sampler::new(5)
            .method(m)
            .sample_batch(&x, cols, &mut b)
            .unwrap();
        assert_eq!(a, b, "{m:?}: shape errors changed the randomness");
    }
}

#[test]
fn free_function_errors_are_typed() {
    let nan = f32::NAN;
    let inf = f32::INFINITY;
    let x = [0.5f32, -1.0, 2.0, 0.0, 1.5];
    let p = [0.5f32, 0.1, 2.0, 0.3, 1.5];
    let g = [0.1f32, -0.3, 1.2, 0.7, -1.0];
    for &isa in &common::isas() {
        with_isa(isa, || {
            for t in [1.0f32, 0.5, 2.0, 0.0] {
                let ctx = |what: &str| format!("{isa} T={t}: {what}");
                for (bad, col) in [(nan, 1usize), (inf, 4), (nan, 0)] {
                    let mut xb = x;
                    xb[col] = bad;
                    let want = Error::InvalidLogit {
                        row: 0,
                        col,
                        value: bad,
                    };
                    assert_err(gumbel_max(&xb, &g, t), &want, &ctx("gumbel_max bad logit"));
                    assert_err(
                        softmax_roulette(&xb, 0.5, t),
                        &want,
                        &ctx("softmax_roulette bad logit"),
                    );
                }
                let mut xb = x;
                xb[3] = inf;
                xb[1] = nan;
                let want = Error::InvalidLogit {
                    row: 0,
                    col: 1,
                    value: nan,
                };
                assert_err(
                    gumbel_max(&xb, &g, t),
                    &want,
                    &ctx("gumbel_max first bad logit"),
                );
                assert_err(
                    softmax_roulette(&xb, 0.5, t),
                    &want,
                    &ctx("softmax_roulette first bad logit"),
                );
                for (bad, col) in [(-0.5f32, 1usize), (nan, 4), (inf, 0), (NEG_INF, 2)] {
                    let mut pb = p;
                    pb[col] = bad;
                    let want = Error::InvalidProbability {
                        row: 0,
                        col,
                        value: bad,
                    };
                    assert_err(
                        gumbel_max_probs(&pb, &g, t),
                        &want,
                        &ctx("gumbel_max_probs bad prob"),
                    );
                    assert_err(
                        softmax_roulette_probs(&pb, 0.5, t),
                        &want,
                        &ctx("softmax_roulette_probs bad prob"),
                    );
                }
                let masked = [NEG_INF; 5];
                let zeros = [0.0f32; 5];
                let want = Error::AllMasked { row: 0 };
                assert_err(
                    gumbel_max(&masked, &g, t),
                    &want,
                    &ctx("gumbel_max all masked"),
                );
                assert_err(
                    gumbel_max_probs(&zeros, &g, t),
                    &want,
                    &ctx("gumbel_max_probs all zero"),
                );
                assert_err(
                    softmax_roulette(&masked, 0.5, t),
                    &want,
                    &ctx("softmax_roulette all masked"),
                );
                assert_err(
                    softmax_roulette_probs(&zeros, 0.5, t),
                    &want,
                    &ctx("softmax_roulette_probs all zero"),
                );

                assert_err(
                    gumbel_max::<f32>(&[], &[], t),
                    &Error::EmptyRow,
                    &ctx("gumbel_max empty"),
                );
                assert_err(
                    gumbel_max_probs(&[], &[], t),
                    &Error::EmptyRow,
                    &ctx("gumbel_max_probs empty"),
                );
                assert_err(
                    softmax_roulette::<f32>(&[], 0.5, t),
                    &Error::EmptyRow,
                    &ctx("softmax_roulette empty"),
                );
                assert_err(
                    softmax_roulette_probs(&[], 0.5, t),
                    &Error::EmptyRow,
                    &ctx("softmax_roulette_probs empty"),
                );

                for n in [0usize, 4, 6] {
                    let gn = vec![0.0f32; n];
                    let want = Error::LengthMismatch {
                        what: "noise",
                        expected: 5,
                        found: n,
                    };
                    assert_err(
                        gumbel_max(&x, &gn, t),
                        &want,
                        &ctx("gumbel_max noise length"),
                    );
                    assert_err(
                        gumbel_max_probs(&p, &gn, t),
                        &want,
                        &ctx("gumbel_max_probs noise length"),
                    );
                }

                for u in [
                    0.0f64,
                    1.0,
                    f64::NAN,
                    -0.5,
                    1.5,
                    f64::INFINITY,
                    -0.0,
                    1.0 + f64::EPSILON,
                ] {
                    let want = Error::InvalidUniform(u);
                    assert_err(
                        softmax_roulette(&x, u, t),
                        &want,
                        &ctx("softmax_roulette u"),
                    );
                    assert_err(
                        softmax_roulette_probs(&p, u, t),
                        &want,
                        &ctx("softmax_roulette_probs u"),
                    );
                }
            }
            for t in [-1.0f32, f32::NAN, f32::INFINITY, NEG_INF, -1e-45] {
                let ctx = format!("{isa} T={t}");
                let want = Error::InvalidTemperature(t);
                assert_err(gumbel_max(&x, &g, t), &want, &ctx);
                assert_err(gumbel_max_probs(&p, &g, t), &want, &ctx);
                assert_err(softmax_roulette(&x, 0.5, t), &want, &ctx);
                assert_err(softmax_roulette_probs(&p, 0.5, t), &want, &ctx);
            }
            // non-finite noise, also at a masked entry; greedy only length-checks noise
            for t in [1.0f32, 0.5, 2.0] {
                for (bad, index) in [
                    (f32::NAN, 2usize),
                    (f32::INFINITY, 0),
                    (NEG_INF, 4),
                    (f32::NAN, 1),
                ] {
                    let mut gb = g;
                    gb[index] = bad;
                    let ctx = format!("{isa} T={t} noise[{index}] = {bad}");
                    let want = Error::InvalidNoise { index, value: bad };
                    assert_err(gumbel_max(&x, &gb, t), &want, &ctx);
                    assert_err(gumbel_max_probs(&p, &gb, t), &want, &ctx);
                    let mut xm = x;
                    xm[index] = NEG_INF;
                    assert_err(
                        gumbel_max(&xm, &gb, t),
                        &want,
                        &format!("{ctx}, masked logit"),
                    );
                }
            }
            let gb = [f32::NAN; 5];
            assert_eq!(
                gumbel_max(&x, &gb, 0.0),
                Ok(2),
                "{isa} greedy ignores noise values"
            );
        })
        .unwrap();
    }
}

/// Large batches (64 × 1024, parallel) report the first bad row, whichever thread
/// finds which row first.
#[test]
fn parallel_batch_errors_name_the_first_bad_row() {
    let (rows, cols) = (64, 1024);
    let keys = keys_for(rows);
    let base = batch_logits(rows, cols, 11);
    let nan = f32::NAN;
    let inf = f32::INFINITY;
    let logit_cases = [
        (
            with_value(
                with_row(base.clone(), cols, 10, NEG_INF),
                cols,
                &[(9, 700, nan), (9, 3, inf), (50, 0, nan), (63, 1023, inf)],
            ),
            Error::InvalidLogit {
                row: 9,
                col: 3,
                value: inf,
            },
        ),
        (
            with_value(
                with_row(with_row(base.clone(), cols, 7, NEG_INF), cols, 60, NEG_INF),
                cols,
                &[(8, 0, nan), (40, 5, inf)],
            ),
            Error::AllMasked { row: 7 },
        ),
        (
            with_value(
                with_row(base.clone(), cols, 0, NEG_INF),
                cols,
                &[(63, 1023, nan)],
            ),
            Error::AllMasked { row: 0 },
        ),
        (
            with_value(base.clone(), cols, &[(63, 1023, nan)]),
            Error::InvalidLogit {
                row: 63,
                col: 1023,
                value: nan,
            },
        ),
    ];
    let pbase = to_probs(&base);
    let prob_cases = [
        (
            with_value(
                with_row(pbase.clone(), cols, 12, 0.0),
                cols,
                &[(11, 500, -2.0), (11, 1000, nan), (30, 0, inf)],
            ),
            Error::InvalidProbability {
                row: 11,
                col: 500,
                value: -2.0,
            },
        ),
        (
            with_value(
                with_row(pbase, cols, 5, 0.0),
                cols,
                &[(6, 0, inf), (62, 0, -1.0)],
            ),
            Error::AllMasked { row: 5 },
        ),
    ];
    for threads in [1, 2, 8] {
        thread_pool(threads).install(|| {
            for m in METHODS {
                for t in [1.0, 0.7, 0.0] {
                    for rep in 0..3 {
                        let mut s = Sampler::new(rep)
                            .method(m)
                            .temperature(t)
                            .parallel_threshold(0);
                        for (x, want) in &logit_cases {
                            for c in LOGIT_CALLS {
                                let ctx = format!("{threads} threads {m:?} {c:?} T={t} rep {rep}");
                                let mut out = vec![SENTINEL; rows];
                                let res = call(&mut s, c, x, cols, &keys, &mut out);
                                assert_err(res, want, &ctx);
                                assert_untouched(&out, &ctx);
                            }
                        }
                        for (x, want) in &prob_cases {
                            let ctx = format!("{threads} threads {m:?} probs T={t} rep {rep}");
                            let mut out = vec![SENTINEL; rows];
                            let res = s.sample_batch_probs(x, cols, &mut out);
                            assert_err(res, want, &ctx);
                            assert_untouched(&out, &ctx);
                        }
                    }
                }
            }
        });
    }
}

#[test]
fn error_messages_name_what_is_wrong() {
    let cols = 16;
    let x = with_value(batch_logits(4, cols, 3), cols, &[(2, 9, f32::NAN)]);
    let e = Sampler::new(1)
        .sample_batch(&x, cols, &mut [0; 4])
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("row 2") && msg.contains("column 9") && msg.contains("NaN"),
        "{msg}"
    );

    let x = with_value(batch_logits(4, cols, 3), cols, &[(1, 15, f32::INFINITY)]);
    let msg = Sampler::new(1)
        .sample_batch(&x, cols, &mut [0; 4])
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("row 1") && msg.contains("column 15") && msg.contains("inf"),
        "{msg}"
    );

    let x = with_row(batch_logits(4, cols, 3), cols, 3, NEG_INF);
    let msg = Sampler::new(1)
        .sample_batch(&x, cols, &mut [0; 4])
        .unwrap_err()
        .to_string();
    assert!(msg.contains("row 3") && msg.contains("masked"), "{msg}");

    let p = with_value(to_probs(&batch_logits(4, cols, 3)), cols, &[(3, 4, -0.25)]);
    let msg = Sampler::new(1)
        .sample_batch_probs(&p, cols, &mut [0; 4])
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("row 3") && msg.contains("column 4") && msg.contains("-0.25"),
        "{msg}"
    );

    let msg = gumbel_max(&[0.0, 1.0, 2.0], &[0.0, 0.0, f32::NAN], 1.0)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("index 2") && msg.contains("NaN"), "{msg}");

    let msg = Sampler::new(1)
        .sample_batch(&[0.0; 10], 3, &mut [0; 3])
        .unwrap_err()
        .to_string();
    assert!(msg.contains("10") && msg.contains('3'), "{msg}");

    let msg = Sampler::new(1)
        .sample_batch(&[0.0; 9], 3, &mut [0; 2])
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("out") && msg.contains('3') && msg.contains('2'),
        "{msg}"
    );

    let msg = Sampler::new(1)
        .sample_batch_keyed(&[0.0; 9], 3, &[1], &mut [0; 3])
        .unwrap_err()
        .to_string();
    assert!(msg.contains("keys"), "{msg}");

    let msg = gumbel_max(&[0.0; 3], &[0.0; 2], 1.0)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("noise"), "{msg}");

    let msg = Sampler::new(1)
        .temperature(-1.0)
        .sample(&[0.0])
        .unwrap_err()
        .to_string();
    assert!(msg.contains("temperature") && msg.contains("-1"), "{msg}");

    let msg = softmax_roulette(&[0.0], 1.5, 1.0).unwrap_err().to_string();
    assert!(msg.contains("1.5"), "{msg}");

    let msg = Sampler::new(1).sample::<f32>(&[]).unwrap_err().to_string();
    assert!(msg.contains("no entries"), "{msg}");
}

/// Finite input never panics: logits and caller noise so large that `x + g`
/// overflows f32 are still a sample (the overflowing score is the largest) or a typed
/// error, never a panic.
#[test]
fn finite_extremes_never_panic() {
    let max = f32::MAX;
    for &isa in &common::isas() {
        with_isa(isa, || {
            for t in [1.0f32, 1e-30, 1e30, 0.0] {
                assert_eq!(
                    softmax_roulette(&[max, -max, 0.0], 0.9, t),
                    Ok(0),
                    "{isa} T={t}"
                );
                assert_eq!(
                    softmax_roulette(&[-max, max, NEG_INF], 0.1, t),
                    Ok(1),
                    "{isa} T={t}"
                );
                assert_eq!(
                    gumbel_max(&[-max, max, NEG_INF], &[20.0, -3.0, 0.0], t),
                    Ok(1),
                    "{isa} T={t}"
                );
                assert_eq!(
                    softmax_roulette_probs(&[max, 1e-45, 0.0], 0.3, t),
                    Ok(0),
                    "{isa} T={t}"
                );
                let mut s = Sampler::new(1).temperature(t);
                assert_eq!(s.sample(&[-max, max, NEG_INF]), Ok(1), "{isa} T={t}");
            }
        })
        .unwrap();
    }
    // every method through the Sampler, on logits and weights at the f32 limits
    for &isa in &common::isas() {
        for m in METHODS {
            for t in [1.0f32, 0.5, 2.0, 1e-30, 1e30] {
                let x = [max, -max, NEG_INF, max * 0.5, -1.0];
                let p = [max, f32::MIN_POSITIVE, 0.0, 1e-45, max * 0.5];
                let mut s = Sampler::new(2)
                    .backend(Backend::new(isa).unwrap())
                    .method(m)
                    .temperature(t);
                let (a, b) = with_isa(isa, || (s.sample(&x), s.sample_probs(&p))).unwrap();
                let ctx = format!("{isa} {m:?} T={t}");
                let a = a.unwrap_or_else(|e| panic!("{ctx}: {e}"));
                let b = b.unwrap_or_else(|e| panic!("{ctx}: {e}"));
                assert!(a < 5 && x[a] != NEG_INF, "{ctx}: {a}");
                assert!(b < 5 && p[b] != 0.0, "{ctx}: {b}");
                if t < 1e-20 {
                    assert_eq!((a, b), (0, 0), "{ctx}");
                }
            }
        }
    }
    let mut panicked = Vec::new();
    for &isa in &common::isas() {
        for t in [1.0f32, 0.5, 2.0] {
            for (x, g, want) in [
                (vec![max], vec![max], 0),
                (vec![max, 0.0, -max], vec![max, 0.0, 0.0], 0),
                (vec![0.0, 3e38], vec![0.0, 1e32], 1),
            ] {
                let res =
                    std::panic::catch_unwind(|| with_isa(isa, || gumbel_max(&x, &g, t)).unwrap());
                match res {
                    Ok(Ok(i)) => assert_eq!(i, want, "{isa} T={t} {x:?} {g:?}"),
                    Ok(Err(e)) => eprintln!("{isa} T={t}: typed error {e}"),
                    Err(_) => panicked.push(format!("{isa}: gumbel_max(&{x:?}, &{g:?}, {t:?})")),
                }
            }
        }
    }
    assert!(
        panicked.is_empty(),
        "finite input panicked instead of Ok(argmax) or Err:\n{}",
        panicked.join("\n")
    );
}

// ---------------------------------------------------------------------------------
// 3. determinism
// ---------------------------------------------------------------------------------

struct SessionData {
    a: Vec<f32>,
    b: Vec<f32>,
    p: Vec<f32>,
    big: Vec<f32>,
}

fn session_data() -> &'static SessionData {
    static DATA: std::sync::OnceLock<SessionData> = std::sync::OnceLock::new();
    DATA.get_or_init(|| SessionData {
        a: batch_logits(64, 4096, 100),
        b: batch_logits(64, 4096, 101),
        p: to_probs(&batch_logits(64, 4096, 102)),
        big: batch_logits(5, 300_000, 103), // 1.5M values: more than a 1M ring
    })
}

/// Every token of a fixed sequence of calls on a fresh sampler.
fn session(s: Sampler) -> Vec<u32> {
    let mut s = s.parallel_threshold(0);
    let (rows, cols) = (64, 4096);
    let SessionData { a, b, p, big } = session_data();
    let keys = keys_for(rows);
    let mut tokens = Vec::new();
    let mut out = vec![0u32; rows];
    s.sample_batch(a, cols, &mut out).unwrap();
    tokens.extend_from_slice(&out);
    s.sample_batch_probs(p, cols, &mut out).unwrap();
    tokens.extend_from_slice(&out);
    s.sample_batch(b, cols, &mut out).unwrap();
    tokens.extend_from_slice(&out);
    s.sample_batch_keyed(a, cols, &keys, &mut out).unwrap();
    tokens.extend_from_slice(&out);
    tokens.push(s.sample(&a[..cols]).unwrap() as u32);
    tokens.push(s.sample_probs(&p[..cols]).unwrap() as u32);
    let mut out5 = vec![0u32; 5];
    s.sample_batch(big, 300_000, &mut out5).unwrap();
    tokens.extend_from_slice(&out5);
    s.sample_batch(a, cols, &mut out).unwrap();
    tokens.extend_from_slice(&out);
    assert_eq!(s.rows_sampled(), 4 * 64 + 2 + 5);
    tokens
}

#[test]
fn same_seed_same_tokens_whatever_the_thread_count() {
    for m in METHODS {
        for t in [1.0, 0.7] {
            let runs: Vec<Vec<u32>> = [1, 2, 4, 8]
                .iter()
                .map(|&n| {
                    thread_pool(n).install(|| session(Sampler::new(2024).method(m).temperature(t)))
                })
                .collect();
            for (n, r) in [2, 4, 8].iter().zip(&runs[1..]) {
                assert_eq!(&runs[0], r, "{m:?} T={t}: 1 thread vs {n} threads");
            }
            // never parallel: the same first call
            let mut s = Sampler::new(2024)
                .method(m)
                .temperature(t)
                .parallel_threshold(usize::MAX);
            let mut out = vec![0u32; 64];
            s.sample_batch(&session_data().a, 4096, &mut out).unwrap();
            assert_eq!(out[..], runs[0][..64], "{m:?} T={t}: serial vs parallel");
            // a different seed gives different tokens
            let other = session(Sampler::new(2025).method(m).temperature(t));
            assert_ne!(other, runs[0], "{m:?} T={t}: seeds 2024 and 2025 agree");
        }
    }
}

#[test]
fn background_refill_gives_the_same_tokens() {
    for capacity in [1usize << 20, gumbel::DEFAULT_RING_CAPACITY] {
        for t in [1.0, 0.7] {
            let make = move || {
                Sampler::new(77)
                    .method(Method::GumbelMax)
                    .temperature(t)
                    .ring_capacity(capacity)
            };
            let local = session(make());
            let bg = thread_pool(4).install(|| session(make().background_refill(true)));
            assert_eq!(local, bg, "capacity {capacity} T={t}: background vs local");
            let mut waited = make().background_refill(true);
            waited.wait_for_noise();
            assert_eq!(
                session(waited),
                local,
                "capacity {capacity} T={t}: after wait_for_noise"
            );
            // switched on and off again
            let toggled = make().background_refill(true).background_refill(false);
            assert_eq!(
                session(toggled),
                local,
                "capacity {capacity} T={t}: toggled"
            );
        }
    }
}

#[test]
fn keyed_rows_depend_only_on_seed_and_key() {
    let (rows, cols) = (16, 2000);
    let x = batch_logits(rows, cols, 5);
    let keys: Vec<u64> = (0..rows as u64).map(|r| (r << 32) | (r * 31 + 7)).collect();
    let perm: Vec<usize> = (0..rows).map(|r| (r * 5 + 3) % rows).collect();
    let xp = gather_rows(&x, cols, &perm);
    let kp = gather_rows(&keys, 1, &perm);
    for m in METHODS {
        for t in [1.0, 0.6, 3.0] {
            let ctx = format!("{m:?} T={t}");
            let mut s = Sampler::new(9)
                .method(m)
                .temperature(t)
                .parallel_threshold(0);
            let mut out = vec![0u32; rows];
            s.sample_batch_keyed(&x, cols, &keys, &mut out).unwrap();
            assert_eq!(s.rows_sampled(), 0, "{ctx}: keyed calls do not count rows");
            // not all rows agree with each other by accident
            assert!(out.iter().any(|&o| o != out[0]), "{ctx}: {out:?}");

            let mut outp = vec![0u32; rows];
            s.sample_batch_keyed(&xp, cols, &kp, &mut outp).unwrap();
            let expect: Vec<u32> = perm.iter().map(|&r| out[r]).collect();
            assert_eq!(outp, expect, "{ctx}: permuted batch");

            // interleaved non-keyed calls do not matter; a fresh sampler agrees
            let mut dummy = vec![0u32; rows];
            s.sample_batch(&x, cols, &mut dummy).unwrap();
            let mut fresh = Sampler::new(9).method(m).temperature(t);
            for r in 0..rows {
                let mut one = [SENTINEL];
                fresh
                    .sample_batch_keyed(&x[r * cols..(r + 1) * cols], cols, &[keys[r]], &mut one)
                    .unwrap();
                assert_eq!(one[0], out[r], "{ctx}: row {r} alone");
                s.sample_batch_keyed(&x[r * cols..(r + 1) * cols], cols, &[keys[r]], &mut one)
                    .unwrap();
                assert_eq!(one[0], out[r], "{ctx}: row {r} alone after other calls");
            }
            // thread counts do not matter
            for n in [1, 3, 8] {
                let mut o = vec![0u32; rows];
                thread_pool(n).install(|| {
                    Sampler::new(9)
                        .method(m)
                        .temperature(t)
                        .parallel_threshold(0)
                        .sample_batch_keyed(&x, cols, &keys, &mut o)
                        .unwrap()
                });
                assert_eq!(o, out, "{ctx}: {n} threads");
            }
        }
    }
}

#[test]
fn greedy_is_argmax_with_lowest_index_on_ties() {
    let cols = 1000;
    let mut wide = vec![0.0f32; cols];
    for &i in &[511usize, 512, 900] {
        wide[i] = 4.0;
    }
    wide[0] = NEG_INF;
    let rows: Vec<(Vec<f32>, usize)> = vec![
        (vec![1.0, 3.0, 3.0, 2.0], 1),
        (vec![5.0, 5.0, NEG_INF, 5.0], 0),
        (vec![NEG_INF, -2.0, -2.0, -3.0], 1),
        (vec![-1e30, -1e30, -1e30, -1e30], 0),
    ];
    for &isa in &common::isas() {
        with_isa(isa, || {
            for (x, want) in rows.iter().chain(std::iter::once(&(wide.clone(), 511))) {
                let n = x.len();
                let p = to_probs(x);
                let g: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin() * 5.0).collect();
                let ctx = format!("{isa} {:?}", &x[..4]);
                assert_eq!(gumbel_max(x, &g, 0.0), Ok(*want), "{ctx} gumbel_max");
                assert_eq!(
                    softmax_roulette(x, 0.999, 0.0),
                    Ok(*want),
                    "{ctx} softmax_roulette"
                );
                if x[*want] > -80.0 {
                    // exp keeps distinct values distinct only in range
                    assert_eq!(
                        gumbel_max_probs(&p, &g, 0.0),
                        Ok(*want),
                        "{ctx} gumbel_max_probs"
                    );
                    assert_eq!(
                        softmax_roulette_probs(&p, 0.001, 0.0),
                        Ok(*want),
                        "{ctx} softmax_roulette_probs"
                    );
                }
                for m in METHODS {
                    let mut s = Sampler::new(1).method(m).temperature(0.0);
                    assert_eq!(s.sample(x), Ok(*want), "{ctx} {m:?} sample");
                    if x[*want] > -80.0 {
                        assert_eq!(s.sample_probs(&p), Ok(*want), "{ctx} {m:?} sample_probs");
                    }
                    let batch: Vec<f32> = x.iter().chain(x.iter()).copied().collect();
                    let mut out = [SENTINEL; 2];
                    s.sample_batch(&batch, n, &mut out).unwrap();
                    assert_eq!(out, [*want as u32; 2], "{ctx} {m:?} sample_batch");
                    let mut out = [SENTINEL; 2];
                    s.sample_batch_keyed(&batch, n, &[4, 5], &mut out).unwrap();
                    assert_eq!(out, [*want as u32; 2], "{ctx} {m:?} sample_batch_keyed");
                }
            }
        })
        .unwrap();
    }
}

// ---------------------------------------------------------------------------------
// 4. ties
// ---------------------------------------------------------------------------------

#[test]
fn ties_go_to_the_lowest_index_on_every_isa() {
    let cases: Vec<(usize, Vec<usize>)> = vec![
        (200, vec![63, 64, 130]),
        (200, vec![64, 127, 128, 199]),
        (1000, vec![130, 256, 999]),
        (1000, vec![7, 15, 16, 31, 32, 63]),
        (300, vec![299]),
        (17, vec![15, 16]),
        (4096 + 5, vec![4095, 4096, 4100]),
    ];
    for &isa in &common::isas() {
        with_isa(isa, || {
            for t in [1.0f32, 0.5, 2.0, 1e-3, 0.0] {
                for (cols, maxima) in &cases {
                    let mut x: Vec<f32> = (0..*cols).map(|i| (i % 13) as f32 * 0.1 - 2.0).collect();
                    for &i in maxima {
                        x[i] = 3.0;
                    }
                    let g = vec![0.0f32; *cols];
                    let ctx = format!("{isa} T={t} cols {cols} maxima {maxima:?}");
                    assert_eq!(gumbel_max(&x, &g, t), Ok(maxima[0]), "{ctx}");
                    let p = to_probs(&x);
                    assert_eq!(gumbel_max_probs(&p, &g, t), Ok(maxima[0]), "{ctx} probs");
                    // masked entries before the maxima do not matter
                    x[..maxima[0]]
                        .iter_mut()
                        .step_by(2)
                        .for_each(|v| *v = NEG_INF);
                    assert_eq!(gumbel_max(&x, &g, t), Ok(maxima[0]), "{ctx} masked");
                }
                // all equal rows of every length up to 300 → 0
                for n in 1..=300 {
                    let x = vec![-1.5f32; n];
                    let g = vec![0.0f32; n];
                    assert_eq!(
                        gumbel_max(&x, &g, t),
                        Ok(0),
                        "{isa} T={t} all equal, n = {n}"
                    );
                    let mut x = x;
                    x[0] = NEG_INF;
                    if n > 1 {
                        assert_eq!(
                            gumbel_max(&x, &g, t),
                            Ok(1),
                            "{isa} T={t} all equal but masked 0, n = {n}"
                        );
                    }
                }
            }
            // tied scores made of different logits and noise: x + g equal exactly
            let x = [0.0f32, 1.0, 0.5, 1.5];
            let g = [1.5f32, 0.5, 1.0, 0.0];
            assert_eq!(gumbel_max(&x, &g, 1.0), Ok(0), "{isa} tied scores");
            // -0.0 and +0.0 tie (they compare equal), inside a block and across blocks
            for (n, first, later) in [(4usize, 1usize, 2usize), (200, 70, 3), (200, 3, 150)] {
                let mut x = vec![-1.0f32; n];
                x[first] = -0.0;
                x[later] = 0.0;
                let want = first.min(later);
                let g = vec![0.0f32; n];
                assert_eq!(gumbel_max(&x, &g, 1.0), Ok(want), "{isa} signed zeros {n}");
                x.swap(first, later);
                assert_eq!(gumbel_max(&x, &g, 1.0), Ok(want), "{isa} signed zeros {n}");
            }
        })
        .unwrap();
    }
}

// ---------------------------------------------------------------------------------
// 5. temperature extremes
// ---------------------------------------------------------------------------------

#[test]
fn temperature_extremes() {
    let cols = 777;
    let x = batch_logits(3, cols, 42);
    let p = to_probs(&x);
    let keys = [1u64, 2, 3];
    let argmax: Vec<usize> = x.chunks(cols).map(|r| first_argmax(r).unwrap()).collect();
    let mut g = vec![0.0f32; cols];
    fill_gumbel(3, 0, &mut g);
    for &isa in &common::isas() {
        with_isa(isa, || {
            for t in [1e-45f32, 1e-40, 1e-30, 1e30, f32::MAX] {
                let ctx = format!("{isa} T={t:e}");
                let row = &x[..cols];
                for (i, name) in [
                    (gumbel_max(row, &g, t), "gumbel_max"),
                    (gumbel_max_probs(&p[..cols], &g, t), "gumbel_max_probs"),
                    (softmax_roulette(row, 0.3, t), "softmax_roulette"),
                    (
                        softmax_roulette_probs(&p[..cols], 0.3, t),
                        "softmax_roulette_probs",
                    ),
                ] {
                    let i = i.unwrap_or_else(|e| panic!("{ctx} {name}: {e}"));
                    assert!(i < cols && row[i] != NEG_INF, "{ctx} {name}: {i}");
                    if t < 1.0 {
                        assert_eq!(i, argmax[0], "{ctx} {name}: a tiny temperature is greedy");
                    }
                }
                for m in METHODS {
                    let mut s = Sampler::new(8)
                        .method(m)
                        .temperature(t)
                        .parallel_threshold(0);
                    let mut out = [SENTINEL; 3];
                    for c in [Call::Batch, Call::BatchProbs, Call::Keyed] {
                        let data = if matches!(c, Call::BatchProbs) {
                            &p
                        } else {
                            &x
                        };
                        call(&mut s, c, data, cols, &keys, &mut out)
                            .unwrap_or_else(|e| panic!("{ctx} {m:?} {c:?}: {e}"));
                        for (r, &o) in out.iter().enumerate() {
                            assert!(
                                (o as usize) < cols && x[r * cols + o as usize] != NEG_INF,
                                "{ctx} {m:?} {c:?} row {r}: {o}"
                            );
                            if t < 1.0 && !matches!(c, Call::BatchProbs) {
                                assert_eq!(
                                    o as usize, argmax[r],
                                    "{ctx} {m:?} {c:?} row {r}: a tiny temperature is greedy"
                                );
                            }
                        }
                    }
                }
            }
            // weights that underflow to zero are never drawn, whatever u
            for u in [f64::MIN_POSITIVE, 1e-9, 0.5, 1.0 - 1e-16] {
                let row = [NEG_INF, -200.0, 0.0, -300.0, NEG_INF];
                assert_eq!(softmax_roulette(&row, u, 1.0), Ok(2), "{isa} u={u}");
                let row = [0.0, 0.0, -150.0, NEG_INF];
                let i = softmax_roulette(&row, u, 1.0).unwrap();
                assert!(i < 2, "{isa} u={u}: {i}");
                let mut long = vec![-500.0f32; 1000];
                long[500] = 0.0;
                long[501] = 0.0;
                let i = softmax_roulette(&long, u, 1.0).unwrap();
                assert!(i == 500 || i == 501, "{isa} u={u}: {i}");
                let p = [0.0, 1e-45, 1.0, 1e-45, 0.0];
                assert_eq!(softmax_roulette_probs(&p, u, 0.5), Ok(2), "{isa} u={u}");
            }
            // subnormal temperature, roulette: the maximum, also with many near values
            let y: Vec<f32> = (0..1000).map(|i| 5.0 - (i as f32) * 1e-6).collect();
            for u in [1e-9, 0.5, 1.0 - 1e-9] {
                assert_eq!(softmax_roulette(&y, u, 1e-40), Ok(0), "{isa} u={u}");
                assert_eq!(
                    softmax_roulette(&x[..cols], u, 1e-40),
                    Ok(argmax[0]),
                    "{isa} u={u}"
                );
            }
        })
        .unwrap();
    }
}
