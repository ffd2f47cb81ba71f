//! `Sampler::sample_batch_logprobs` against an f64 reference, on every ISA path, for
//! f32 and bf16 logits.
//!
//! For the sampled token `t` of a row `x` with maximum `m`:
//! * processed log-prob = `(x_t − m)/T − ln Σ_kept exp((x − m)/T)` over the kept set
//!   (`common::filter_ref`; for a row whose top-p cut is ambiguous, over the
//!   implementation's own kept set, which must be admissible); `0` at `T = 0`;
//! * raw log-prob = `(x_t − m) − ln Σ_all exp(x − m)`;
//! * rank = `1 + #{j : x_j > x_t}` (strict);
//! * top-n (n ∈ {0, 1, 5, 20}) = the n largest raw logits, descending, ties by lower
//!   index, with their raw log-probs; slots beyond the row's unmasked count are
//!   `TopLogprob::default()` (token `u32::MAX`, `-inf`).
//!
//! Log-probs at or above −20 must be within 1e-5 (absolute) of the reference; below
//! −20 (raw log-probs of far-off top-n entries) within `1e-5 + 1e-7·|ref|` — an f32
//! holds a log-prob of −1000 only to ±3e-5. Row sizes 1, 7, 1000 and 32000 (masks and
//! ties included), with and without filters, T ∈ {0, 0.5, 1, 2}, keyed and not.
//!
//! The tokens of `sample_batch_logprobs` are those of `sample_batch_with` (and of
//! `sample_batch_keyed_with`) for the same seed and calls.

mod common;

use common::filter_ref::{RefCut, kept_from_floor, reference_cut_sorted, sorted_desc};
use common::rng::{Draws, Rng, splitmix};
use common::{METHODS, NEG_INF};
use gumbel::half::bf16;
use gumbel::simd::{Backend, Isa, with_isa};
use gumbel::{
    Element, Logprobs, Method, Sampler, SamplingParams, TokenLogprob, TopLogprob, kept_floor,
};

const TEMPERATURES: [f32; 4] = [0.0, 0.5, 1.0, 2.0];
const TOP_NS: [usize; 4] = [0, 1, 5, 20];

/// The tolerance for a log-probability whose reference is `r`.
fn tol(r: f64) -> f64 {
    if r >= -20.0 {
        1e-5
    } else {
        1e-5 + 1e-7 * r.abs()
    }
}

/// A row of `n` logits: N(0, 3), with ties (a fifth of the values rounded to
/// multiples of 1/2), masks (one in nine) and one far-off value.
fn row(rng: &mut impl Rng, n: usize) -> Vec<f32> {
    let mut x: Vec<f32> = (0..n)
        .map(|_| match rng.below(9) {
            0 => NEG_INF,
            1 | 2 => ((rng.normal() * 3.0) * 2.0).round() as f32 * 0.5,
            _ => (rng.normal() * 3.0) as f32,
        })
        .collect();
    if n > 3 {
        x[rng.below(n)] = -80.0; // a raw log-prob far below −20
    }
    if x.iter().all(|&v| v == NEG_INF) {
        x[0] = 0.25;
    }
    x
}

/// The parameters of row `r`: no filter and every filter, at every temperature.
fn params_of(r: usize) -> SamplingParams {
    let t = TEMPERATURES[r % 4];
    let p = SamplingParams::default().temperature(t);
    match (r / 4) % 5 {
        0 => p,
        1 => p.top_k(5),
        2 => p.top_p(0.9),
        3 => p.min_p(0.05),
        _ => p.top_k(30).top_p(0.8).min_p(0.01),
    }
}

/// The per-row reference quantities that do not depend on the sampled token.
struct RowRef {
    m: f32,
    /// `ln Σ_all exp(x − m)`.
    ln_raw: f64,
    /// `ln Σ_kept exp((x − m)/T)` (unused at `T = 0`).
    ln_kept: f64,
    kept: Vec<bool>,
    order: Vec<usize>,
}

fn row_ref(
    isa: Isa,
    xf: &[f32],
    kept_floor_of: impl Fn() -> f32,
    p: &SamplingParams,
    ambiguous: &mut u32,
) -> RowRef {
    let order = sorted_desc(xf);
    let r: RefCut = reference_cut_sorted(xf, &order, p);
    let kept = if r.ambiguous {
        *ambiguous += 1;
        let got = kept_from_floor(xf, kept_floor_of());
        assert!(r.accepts(&got), "{isa} {p:?}: inadmissible top-p cut");
        got
    } else {
        r.kept.clone()
    };
    let m = r.m;
    let ln_raw = xf
        .iter()
        .map(|&v| (v as f64 - m as f64).exp())
        .sum::<f64>()
        .ln();
    let t = p.temperature as f64;
    let ln_kept = if t > 0.0 {
        xf.iter()
            .zip(&kept)
            .filter(|e| *e.1)
            .map(|(&v, _)| ((v as f64 - m as f64) / t).exp())
            .sum::<f64>()
            .ln()
    } else {
        0.0
    };
    RowRef {
        m,
        ln_raw,
        ln_kept,
        kept,
        order,
    }
}

/// Check one row's outputs; returns the largest error seen among log-probs ≥ −20.
fn check_row(
    what: &str,
    xf: &[f32],
    p: &SamplingParams,
    rr: &RowRef,
    tok: u32,
    lp: &TokenLogprob,
    top: &[TopLogprob],
) -> f64 {
    let t = tok as usize;
    assert!(t < xf.len(), "{what}: token {tok}");
    assert!(rr.kept[t], "{what}: token {tok} outside the kept set");
    let mut worst = 0.0f64;
    let mut close = |name: &str, got: f32, want: f64| {
        let err = (got as f64 - want).abs();
        assert!(
            err <= tol(want),
            "{what}: {name} = {got}, reference {want} (error {err:e})"
        );
        if want >= -20.0 {
            worst = worst.max(err);
        }
    };
    let (xt, m) = (xf[t] as f64, rr.m as f64);
    if p.temperature == 0.0 {
        assert_eq!(lp.logprob, 0.0, "{what}: greedy processed log-prob");
    } else {
        close(
            "logprob",
            lp.logprob,
            (xt - m) / p.temperature as f64 - rr.ln_kept,
        );
    }
    close("raw_logprob", lp.raw_logprob, (xt - m) - rr.ln_raw);
    let rank = 1 + xf.iter().filter(|&&v| v > xf[t]).count();
    assert_eq!(lp.rank as usize, rank, "{what}: rank");
    for (j, slot) in top.iter().enumerate() {
        match rr.order.get(j) {
            Some(&i) => {
                assert_eq!(slot.token as usize, i, "{what}: top[{j}] token");
                close("top logprob", slot.logprob, (xf[i] as f64 - m) - rr.ln_raw);
            }
            None => assert_eq!(*slot, TopLogprob::default(), "{what}: empty top[{j}]"),
        }
    }
    worst
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

fn logprobs_match_the_reference<L: Logit>(seed: u64) {
    let mut rng = splitmix(seed);
    let mut worst = 0.0f64;
    let mut checked = 0u64;
    let mut ambiguous = 0u32;
    let mut rowrefs = 0u32;
    for (cols, rows, calls) in [
        (1usize, 20usize, 3usize),
        (7, 40, 3),
        (1000, 40, 2),
        (32000, 20, 1),
    ] {
        let raw: Vec<f32> = (0..rows).flat_map(|_| row(&mut rng, cols)).collect();
        let x: Vec<L> = raw.iter().map(|&v| L::from(v)).collect();
        let xf: Vec<f32> = x.iter().map(|v| v.to_f32()).collect();
        let params: Vec<SamplingParams> = (0..rows).map(params_of).collect();
        for isa in common::isas() {
            let refs: Vec<RowRef> = (0..rows)
                .map(|r| {
                    rowrefs += 1;
                    let span = r * cols..(r + 1) * cols;
                    let floor = || {
                        with_isa(isa, || kept_floor(&x[span.clone()], &params[r]))
                            .unwrap()
                            .unwrap()
                    };
                    row_ref(isa, &xf[span.clone()], floor, &params[r], &mut ambiguous)
                })
                .collect();
            for method in METHODS {
                for keyed in [false, true] {
                    let mut s = Sampler::new(seed ^ cols as u64)
                        .backend(Backend::new(isa).unwrap())
                        .method(method)
                        .ring_capacity(1 << 20);
                    for call in 0..calls {
                        for top_n in TOP_NS {
                            let keys: Vec<u64> =
                                (0..rows as u64).map(|r| (call as u64) << 32 | r).collect();
                            let mut out = vec![u32::MAX; rows];
                            let mut lp = vec![TokenLogprob::default(); rows];
                            let mut top = vec![
                                TopLogprob {
                                    token: 7,
                                    logprob: 7.0
                                };
                                rows * top_n
                            ];
                            let l = Logprobs {
                                tokens: &mut lp,
                                top: &mut top,
                                top_n,
                            };
                            let k = keyed.then_some(&keys[..]);
                            s.sample_batch_logprobs(&x, cols, k, &params, &mut out, l)
                                .unwrap();
                            for r in 0..rows {
                                let what = format!(
                                    "{} {isa} {method:?} keyed={keyed} cols={cols} row {r} {:?} top_n={top_n}",
                                    L::NAME,
                                    params[r]
                                );
                                let span = r * cols..(r + 1) * cols;
                                let e = check_row(
                                    &what,
                                    &xf[span],
                                    &params[r],
                                    &refs[r],
                                    out[r],
                                    &lp[r],
                                    &top[r * top_n..(r + 1) * top_n],
                                );
                                worst = worst.max(e);
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    println!(
        "{}: {checked} rows checked, largest error of a log-prob >= -20: {worst:e}; \
         {ambiguous} of {rowrefs} row references had an ambiguous top-p cut",
        L::NAME
    );
    // (ambiguous rows are not skipped: their processed log-prob is checked over the
    // implementation's kept set, after checking that set is admissible)
}

#[test]
fn f32_logprobs_match_the_reference() {
    logprobs_match_the_reference::<f32>(0x10_9901);
}

#[test]
fn bf16_logprobs_match_the_reference() {
    logprobs_match_the_reference::<bf16>(0x10_9902);
}

/// The tokens of `sample_batch_logprobs` are those of `sample_batch_with` (keyed:
/// `sample_batch_keyed_with`) for the same seed and the same sequence of calls,
/// whatever `top_n`.
#[test]
fn logprobs_calls_sample_the_same_tokens() {
    let (rows, cols) = (40, 300);
    let mut rng = splitmix(0x10_9903);
    let x: Vec<f32> = (0..rows).flat_map(|_| row(&mut rng, cols)).collect();
    let params: Vec<SamplingParams> = (0..rows).map(params_of).collect();
    for isa in common::isas() {
        for method in METHODS {
            let mk = || {
                Sampler::new(31)
                    .backend(Backend::new(isa).unwrap())
                    .method(method)
                    .ring_capacity(1 << 16)
            };
            let (mut a, mut b) = (mk(), mk());
            for call in 0..12u64 {
                let top_n = TOP_NS[call as usize % 4];
                let keys: Vec<u64> = (0..rows as u64).map(|r| call * 1000 + r).collect();
                let keyed = call % 3 == 2;
                let (mut oa, mut ob) = (vec![0u32; rows], vec![1u32; rows]);
                let mut lp = vec![TokenLogprob::default(); rows];
                let mut top = vec![TopLogprob::default(); rows * top_n];
                let l = Logprobs {
                    tokens: &mut lp,
                    top: &mut top,
                    top_n,
                };
                if keyed {
                    a.sample_batch_logprobs(&x, cols, Some(&keys), &params, &mut oa, l)
                        .unwrap();
                    b.sample_batch_keyed_with(&x, cols, &keys, &params, &mut ob)
                        .unwrap();
                } else {
                    a.sample_batch_logprobs(&x, cols, None, &params, &mut oa, l)
                        .unwrap();
                    b.sample_batch_with(&x, cols, &params, &mut ob).unwrap();
                }
                assert_eq!(oa, ob, "{isa} {method:?} call {call} keyed={keyed}");
            }
            assert_eq!(a.rows_sampled(), b.rows_sampled());
        }
    }
}

/// Hand-checked values: a tie for the maximum (both rank 1, top-n by index), a masked
/// entry never listed, greedy certainty, top-k's processed log-prob over the kept pair.
#[test]
fn logprobs_small_exact_cases() {
    let x = [2.0f32, NEG_INF, 2.0, 0.0];
    let ln_all = (2.0 * 2f64.exp() + 1.0).ln();
    for method in [
        Method::GumbelMax,
        Method::GumbelMaxFused,
        Method::SoftmaxRoulette,
    ] {
        let mut s = Sampler::new(5).method(method);
        for (p, ln_kept) in [
            (SamplingParams::default().top_k(1), (2.0 * 2f64.exp()).ln()),
            (SamplingParams::default().temperature(0.0), 0.0),
        ] {
            for _ in 0..20 {
                let (mut out, mut lp, mut top) = (
                    [0u32],
                    [TokenLogprob::default()],
                    [TopLogprob::default(); 5],
                );
                let l = Logprobs {
                    tokens: &mut lp,
                    top: &mut top,
                    top_n: 5,
                };
                s.sample_batch_logprobs(&x, 4, None, &[p], &mut out, l)
                    .unwrap();
                let t = out[0] as usize;
                assert!(t == 0 || t == 2, "{method:?} {p:?}: {t}");
                if p.temperature == 0.0 {
                    assert_eq!(t, 0, "greedy takes the first maximum");
                    assert_eq!(lp[0].logprob, 0.0);
                } else {
                    assert!((lp[0].logprob as f64 - (2.0 - ln_kept)).abs() < 1e-6);
                }
                assert!((lp[0].raw_logprob as f64 - (2.0 - ln_all)).abs() < 1e-6);
                assert_eq!(lp[0].rank, 1);
                assert_eq!((top[0].token, top[1].token, top[2].token), (0, 2, 3));
                assert_eq!(top[0].logprob, top[1].logprob);
                assert!((top[2].logprob as f64 - (0.0 - ln_all)).abs() < 1e-6);
                assert_eq!(top[3], TopLogprob::default());
                assert_eq!(top[4], TopLogprob::default());
            }
        }
    }
}
