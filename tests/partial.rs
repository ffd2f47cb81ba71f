//! `Sampler::sample_batch_partial`: one bad row never takes the batch down.
//!
//! 1. With some rows bad (a NaN logit, `+inf`, two bad entries, every entry masked, bad
//!    parameters; at positive temperature with and without filters, and greedy) and
//!    the others good, on every ISA, every method, keyed or not, with and without
//!    log-probabilities, f32 and bf16: the errors list has exactly one entry per bad
//!    row, in row order, each naming its row (and the first bad column); the bad
//!    rows' `out` and log-probability slots are untouched; the good rows' tokens and
//!    log-probabilities are exactly those of a clean `sample_batch_with` /
//!    `sample_batch_logprobs` call with the same seed on the same batch with the bad
//!    rows replaced by good ones — randomness is consumed per row, good or bad — and
//!    the sampler's next call draws what it draws after the clean call.
//! 2. Call-level errors (shapes, `keys`, `params` and log-probability lengths,
//!    `top_n > 20`) return `Err`, write nothing and use no randomness.

mod common;

use common::METHODS;
use common::rng::{Draws, splitmix};
use gumbel::half::bf16;
use gumbel::simd::{Backend, Isa};
use gumbel::{Element, Error, Logprobs, Method, Sampler, SamplingParams, TokenLogprob, TopLogprob};

const COLS: usize = 100;
const ROWS: usize = 14;
const OUT_SENTINEL: u32 = u32::MAX - 1;
const LP_SENTINEL: TokenLogprob = TokenLogprob {
    logprob: 9.0,
    raw_logprob: 9.0,
    rank: 999,
};
const TOP_SENTINEL: TopLogprob = TopLogprob {
    token: 777,
    logprob: 9.0,
};

/// A good row of `COLS` logits.
fn good_row(rng: &mut impl Draws) -> Vec<f32> {
    (0..COLS)
        .map(|i| {
            if i % 13 == 5 {
                f32::NEG_INFINITY
            } else {
                (rng.normal() * 2.0) as f32
            }
        })
        .collect()
}

/// A batch with bad rows: the logits, the params, the expected errors in row order,
/// and the clean batch (bad rows replaced by good logits and parameters).
struct Case {
    x: Vec<f32>,
    params: Vec<SamplingParams>,
    errors: Vec<Error>,
    clean_x: Vec<f32>,
    clean_params: Vec<SamplingParams>,
    bad: Vec<bool>,
}

fn case(seed: u64) -> Case {
    let mut rng = splitmix(seed);
    let d = SamplingParams::default();
    let mut x: Vec<f32> = (0..ROWS).flat_map(|_| good_row(&mut rng)).collect();
    let clean_x = x.clone();
    let mut params: Vec<SamplingParams> = (0..ROWS)
        .map(|r| match r % 4 {
            0 => d,
            1 => d.temperature(0.7).top_k(10).top_p(0.9),
            2 => d.temperature(1.5).min_p(0.05),
            _ => d.temperature(0.0),
        })
        .collect();
    let clean_params = params.clone();
    let mut errors = Vec::new();
    let mut bad = vec![false; ROWS];
    let set = |x: &mut Vec<f32>, r: usize, c: usize, v: f32| x[r * COLS + c] = v;
    // row 1 (filtered, T = 0.7): NaN at column 17
    set(&mut x, 1, 17, f32::NAN);
    errors.push((1, Some(17)));
    // row 2 (min-p): +inf at column 0
    set(&mut x, 2, 0, f32::INFINITY);
    errors.push((2, Some(0)));
    // row 3 (greedy): NaN at column 99
    set(&mut x, 3, 99, f32::NAN);
    errors.push((3, Some(99)));
    // row 4 (no filter): two bad entries, the first named
    set(&mut x, 4, 30, f32::NAN);
    set(&mut x, 4, 60, f32::INFINITY);
    errors.push((4, Some(30)));
    // rows 6 (min-p) and 7 (greedy): every entry masked
    for c in 0..COLS {
        set(&mut x, 6, c, f32::NEG_INFINITY);
        set(&mut x, 7, c, f32::NEG_INFINITY);
    }
    errors.push((6, None));
    errors.push((7, None));
    let mut errs: Vec<Error> = errors
        .iter()
        .map(|&(row, col)| match col {
            Some(col) => Error::InvalidLogit {
                row,
                col,
                value: x[row * COLS + col],
            },
            None => Error::AllMasked { row },
        })
        .collect();
    // rows 9, 10, 12: bad parameters (on good logits)
    params[9] = d.top_p(0.0);
    params[10] = d.temperature(f32::NAN).top_k(3);
    params[12] = d.temperature(0.5).min_p(1.5);
    errs.push(Error::InvalidSamplingParam {
        row: 9,
        name: "top_p",
        value: 0.0,
    });
    errs.push(Error::InvalidSamplingParam {
        row: 10,
        name: "temperature",
        value: f64::NAN,
    });
    errs.push(Error::InvalidSamplingParam {
        row: 12,
        name: "min_p",
        value: 1.5f32 as f64,
    });
    for e in &errs {
        bad[row_of(e)] = true;
    }
    errs.sort_by_key(row_of);
    Case {
        x,
        params,
        errors: errs,
        clean_x,
        clean_params,
        bad,
    }
}

fn row_of(e: &Error) -> usize {
    match e {
        Error::InvalidLogit { row, .. }
        | Error::AllMasked { row }
        | Error::InvalidSamplingParam { row, .. } => *row,
        e => panic!("unexpected error {e:?}"),
    }
}

/// Errors equal, NaN values equal to each other.
fn same_error(a: &Error, b: &Error) -> bool {
    match (a, b) {
        (
            Error::InvalidLogit { row, col, value },
            Error::InvalidLogit {
                row: r,
                col: c,
                value: v,
            },
        ) => {
            row == r && col == c && (value.to_bits() == v.to_bits() || value.is_nan() && v.is_nan())
        }
        (
            Error::InvalidSamplingParam { row, name, value },
            Error::InvalidSamplingParam {
                row: r,
                name: n,
                value: v,
            },
        ) => row == r && name == n && (value == v || value.is_nan() && v.is_nan()),
        _ => a == b,
    }
}

trait Logit: Element {
    const NAME: &'static str;
    fn from(v: f32) -> Self;
}
impl Logit for f32 {
    const NAME: &'static str = "f32";
    fn from(v: f32) -> Self {
        v
    }
}
impl Logit for bf16 {
    const NAME: &'static str = "bf16";
    fn from(v: f32) -> Self {
        bf16::from_f32(v)
    }
}

fn sampler(isa: Isa, method: Method, seed: u64) -> Sampler {
    Sampler::new(seed)
        .backend(Backend::new(isa).unwrap())
        .method(method)
        .ring_capacity(1 << 14)
}

fn partial_matches_a_clean_call<L: Logit>() {
    let c = case(0x9A27);
    let x: Vec<L> = c.x.iter().map(|&v| L::from(v)).collect();
    let clean: Vec<L> = c.clean_x.iter().map(|&v| L::from(v)).collect();
    let keys: Vec<u64> = (0..ROWS as u64).map(|r| 40 + 3 * r).collect();
    let top_n = 4;
    for isa in common::isas() {
        for method in METHODS {
            for keyed in [false, true] {
                for with_lp in [false, true] {
                    let what = format!(
                        "{} {isa} {method:?} keyed={keyed} logprobs={with_lp}",
                        L::NAME
                    );
                    let k = keyed.then_some(&keys[..]);
                    let (mut s, mut t) = (sampler(isa, method, 8), sampler(isa, method, 8));
                    // a first call, so the partial one starts mid-stream
                    let mut warm = vec![0u32; ROWS];
                    s.sample_batch_with(&clean, COLS, &c.clean_params, &mut warm)
                        .unwrap();
                    t.sample_batch_with(&clean, COLS, &c.clean_params, &mut warm)
                        .unwrap();

                    let mut out = vec![OUT_SENTINEL; ROWS];
                    let mut lp = vec![LP_SENTINEL; ROWS];
                    let mut top = vec![TOP_SENTINEL; ROWS * top_n];
                    let l = with_lp.then(|| Logprobs {
                        tokens: &mut lp,
                        top: &mut top,
                        top_n,
                    });
                    let errors = s
                        .sample_batch_partial(&x, COLS, k, &c.params, &mut out, l)
                        .unwrap();
                    assert_eq!(errors.len(), c.errors.len(), "{what}: {errors:?}");
                    for (got, want) in errors.iter().zip(&c.errors) {
                        assert!(same_error(got, want), "{what}: got {got:?}, want {want:?}");
                    }

                    // the clean call
                    let mut clean_out = vec![0u32; ROWS];
                    let mut clean_lp = vec![TokenLogprob::default(); ROWS];
                    let mut clean_top = vec![TopLogprob::default(); ROWS * top_n];
                    let l = Logprobs {
                        tokens: &mut clean_lp,
                        top: &mut clean_top,
                        top_n,
                    };
                    t.sample_batch_logprobs(&clean, COLS, k, &c.clean_params, &mut clean_out, l)
                        .unwrap();
                    let mut distinct = Vec::new();
                    for r in 0..ROWS {
                        let tops = r * top_n..(r + 1) * top_n;
                        if c.bad[r] {
                            assert_eq!(out[r], OUT_SENTINEL, "{what}: bad row {r} written");
                            assert_eq!(lp[r], LP_SENTINEL, "{what}: bad row {r} logprob written");
                            assert!(
                                top[tops].iter().all(|e| *e == TOP_SENTINEL),
                                "{what}: bad row {r} top written"
                            );
                        } else {
                            assert_eq!(out[r], clean_out[r], "{what}: good row {r}");
                            distinct.push(out[r]);
                            if with_lp {
                                assert_eq!(lp[r], clean_lp[r], "{what}: good row {r} logprob");
                                assert_eq!(
                                    top[tops.clone()],
                                    clean_top[tops],
                                    "{what}: good row {r} top"
                                );
                            } else {
                                assert_eq!(
                                    lp[r], LP_SENTINEL,
                                    "{what}: logprobs written without a request"
                                );
                            }
                        }
                    }
                    assert_eq!(s.rows_sampled(), t.rows_sampled(), "{what}");
                    // the next call draws the same after either
                    let (mut a, mut b) = (vec![0u32; ROWS], vec![1u32; ROWS]);
                    s.sample_batch_with(&clean, COLS, &c.clean_params, &mut a)
                        .unwrap();
                    t.sample_batch_with(&clean, COLS, &c.clean_params, &mut b)
                        .unwrap();
                    assert_eq!(a, b, "{what}: the next call");
                }
            }
        }
    }
}

#[test]
fn f32_partial_matches_a_clean_call() {
    partial_matches_a_clean_call::<f32>();
}

#[test]
fn bf16_partial_matches_a_clean_call() {
    partial_matches_a_clean_call::<bf16>();
}

/// A partial call in which every row is bad: every error, nothing written.
#[test]
fn every_row_bad() {
    let d = SamplingParams::default();
    let x = [
        f32::NAN,
        0.0,
        f32::NEG_INFINITY,
        f32::NEG_INFINITY,
        1.0,
        2.0,
    ];
    let params = [d, d, d.top_p(2.0)];
    for method in METHODS {
        for keys in [None, Some(&[1u64, 2, 3][..])] {
            let mut s = Sampler::new(1).method(method);
            let mut out = [OUT_SENTINEL; 3];
            let errors = s
                .sample_batch_partial(&x, 2, keys, &params, &mut out, None)
                .unwrap();
            assert_eq!(errors.len(), 3, "{method:?}: {errors:?}");
            assert!(matches!(
                errors[0],
                Error::InvalidLogit { row: 0, col: 0, .. }
            ));
            assert_eq!(errors[1], Error::AllMasked { row: 1 });
            assert!(matches!(
                errors[2],
                Error::InvalidSamplingParam {
                    row: 2,
                    name: "top_p",
                    ..
                }
            ));
            assert_eq!(out, [OUT_SENTINEL; 3]);
        }
    }
}

/// Rows whose parameters are bad while every good row is greedy: the call consumes
/// randomness as the clean call does (the bad rows' replacements sample at T = 1).
#[test]
fn bad_parameter_rows_consume_randomness_like_good_ones() {
    let mut rng = splitmix(0x9A28);
    let d = SamplingParams::default();
    let x: Vec<f32> = (0..4).flat_map(|_| good_row(&mut rng)).collect();
    let params = [
        d.temperature(0.0),
        d.top_p(f32::NAN),
        d.temperature(0.0),
        d.min_p(-1.0),
    ];
    let clean_params = [d.temperature(0.0), d, d.temperature(0.0), d];
    for isa in common::isas() {
        for method in METHODS {
            let (mut s, mut t) = (sampler(isa, method, 21), sampler(isa, method, 21));
            let mut out = [OUT_SENTINEL; 4];
            let errors = s
                .sample_batch_partial(&x, COLS, None, &params, &mut out, None)
                .unwrap();
            assert_eq!(errors.len(), 2);
            let mut clean = [0u32; 4];
            t.sample_batch_with(&x, COLS, &clean_params, &mut clean)
                .unwrap();
            assert_eq!((out[0], out[2]), (clean[0], clean[2]));
            assert_eq!((out[1], out[3]), (OUT_SENTINEL, OUT_SENTINEL));
            assert_eq!(s.rows_sampled(), t.rows_sampled());
            let (mut a, mut b) = ([0u32; 4], [1u32; 4]);
            s.sample_batch_with(&x, COLS, &clean_params, &mut a)
                .unwrap();
            t.sample_batch_with(&x, COLS, &clean_params, &mut b)
                .unwrap();
            assert_eq!(
                a, b,
                "{isa} {method:?}: the next call after the partial one"
            );
        }
    }
}

/// Errors of the call itself: `Err`, nothing written, no randomness used.
#[test]
fn call_level_errors_write_nothing() {
    let c = case(0x9A29);
    let p = &c.clean_params;
    let keys: Vec<u64> = (0..ROWS as u64).collect();
    for method in METHODS {
        let mk = || Sampler::new(4).method(method);
        let mut s = mk();
        let mut out = vec![OUT_SENTINEL; ROWS + 1];
        let mut lp = [LP_SENTINEL; ROWS + 1];
        let mut top = vec![TOP_SENTINEL; (ROWS + 1) * 21];
        let x = &c.x;
        let check = |name: &str, r: Result<Vec<Error>, Error>, ok: fn(&Error) -> bool| {
            let e = r.expect_err(name);
            assert!(ok(&e), "{method:?} {name}: {e:?}");
        };
        let len = |e: &Error| matches!(e, Error::LengthMismatch { .. });
        check(
            "cols 0",
            s.sample_batch_partial(x, 0, None, p, &mut out[..ROWS], None),
            |e| *e == Error::EmptyRow,
        );
        check(
            "not a multiple",
            s.sample_batch_partial(&x[..x.len() - 1], COLS, None, p, &mut out[..ROWS], None),
            |e| matches!(e, Error::NotMultipleOfCols { .. }),
        );
        check(
            "out too long",
            s.sample_batch_partial(x, COLS, None, p, &mut out, None),
            len,
        );
        check(
            "out too short",
            s.sample_batch_partial(x, COLS, None, p, &mut out[..ROWS - 1], None),
            len,
        );
        check(
            "keys",
            s.sample_batch_partial(x, COLS, Some(&keys[..ROWS - 1]), p, &mut out[..ROWS], None),
            len,
        );
        check(
            "params",
            s.sample_batch_partial(x, COLS, None, &p[..2], &mut out[..ROWS], None),
            len,
        );
        for (tokens, top_n, tops, ok) in [
            (ROWS + 1, 2, ROWS * 2, len as fn(&Error) -> bool),
            (ROWS, 2, ROWS * 2 + 1, len),
            (ROWS, 2, ROWS, len),
            (ROWS, 21, ROWS * 21, |e: &Error| {
                matches!(e, Error::InvalidSamplingParam { name: "top_n", .. })
            }),
        ] {
            let l = Logprobs {
                tokens: &mut lp[..tokens],
                top: &mut top[..tops],
                top_n,
            };
            let r = s.sample_batch_partial(x, COLS, None, p, &mut out[..ROWS], Some(l));
            check(&format!("logprobs {tokens} {top_n} {tops}"), r, ok);
        }
        assert!(
            out.iter().all(|&t| t == OUT_SENTINEL),
            "{method:?}: out written"
        );
        assert!(
            lp.iter().all(|l| *l == LP_SENTINEL),
            "{method:?}: logprobs written"
        );
        assert!(
            top.iter().all(|t| *t == TOP_SENTINEL),
            "{method:?}: top written"
        );
        // no randomness used: the next call is a fresh sampler's first
        assert_eq!(s.rows_sampled(), 0);
        let (mut a, mut b) = (vec![0u32; ROWS], vec![1u32; ROWS]);
        s.sample_batch_with(&c.clean_x, COLS, p, &mut a).unwrap();
        mk().sample_batch_with(&c.clean_x, COLS, p, &mut b).unwrap();
        assert_eq!(a, b, "{method:?}");
    }
}
