//! Statistical correctness of filtered sampling, and keyed batch invariance.
//!
//! 1. Chi-square goodness of fit of every method — ring `GumbelMax`, `GumbelMaxFused`,
//!    `SoftmaxRoulette`, and keyed rows (Gumbel-max and roulette) — through
//!    `sample_batch_with` / `sample_batch_keyed_with`, against the exact filtered
//!    distribution: the f64 softmax of `(x − m)/T` over the reference kept set
//!    (`common::filter_ref`). Each filter alone (top-k with a tie group straddling the
//!    k-th value, top-p, min-p) and all three combined, at T ∈ {0.7, 1.0, 1.8}; a
//!    subset of (method × filter × T) that covers every method, every filter and every
//!    T — in fact every method meets every filter — plus the combined filter on every
//!    method (and on bf16 and f16 logits).
//! 2. Batch invariance: a keyed row's token depends only on `(seed, key, its logits,
//!    its params)` — shuffling the rows, changing the other rows' parameters, the batch
//!    size, the parallel threshold or the sampler's history leaves it unchanged, for
//!    every method, on every ISA.
//!
//! # Statistics
//!
//! * 10^6 draws per statistic: 1000 calls of a batch of 1000 identical rows (keys
//!   unique across the run for keyed rows); fixed seeds, so the outcome is
//!   deterministic — a failure is a change in behaviour, never a flake.
//! * Cells whose expected count is below 5 are pooled into one cell (merged into the
//!   smallest other cell if the pool itself is below 5); dof = cells − 1. Tokens
//!   outside the kept set (and masked ones) have probability 0 and must have count 0
//!   exactly.
//! * Each statistic is tested at `ALPHA = 1e-7`; no test function has more than
//!   [`MAX_STATS`] = 10 statistics (asserted), so each test's false-alarm probability
//!   is at most 1e-6 by the union bound.
//!
//! Every statistic is printed (`cargo test --release --test filter_stats --
//! --nocapture`).

mod common;

use std::time::Instant;

use common::filter_ref::{RefCut, reference_cut};
use common::rng::{Draws, splitmix};
use common::stats::chi2_critical;
use common::{METHODS, gather_rows};
use gumbel::half::{bf16, f16};
use gumbel::simd::Backend;
use gumbel::{Element, Method, Sampler, SamplingParams};

/// Significance level of every statistic.
const ALPHA: f64 = 1e-7;
/// The most statistics in one test function (so its false-alarm probability is at
/// most `MAX_STATS · ALPHA = 1e-6`).
const MAX_STATS: usize = 10;
/// Draws per statistic.
const N: usize = 1_000_000;
/// Identical rows per call.
const ROWS: usize = 1000;

// ---------------------------------------------------------------------------------
// The row and the filters
// ---------------------------------------------------------------------------------

/// 48 logits, multiples of 1/8 in [-4.5, 3] (exact in f32, bf16 and f16), spread so
/// that each filter cuts at every tested temperature, with tie groups (one of them
/// straddling the 10th largest value) and two masked entries; the values are
/// scattered over the indices.
fn logits() -> Vec<f32> {
    let mut v: Vec<f32> = vec![
        3.0, 2.75, 2.5, 2.5, 2.25, 2.0, 1.875, 1.75, // 8 largest
        1.5, 1.5, 1.5, // ranks 9..11: the tie group at the 10th
        1.25, 1.0, 1.0, 0.875, 0.75, 0.5, 0.375, 0.25, 0.0, -0.125, -0.25, -0.5, -0.5, -0.75, -1.0,
        -1.125, -1.25, -1.5, -1.75, -2.0, -2.0, -2.25, -2.5, -2.75, -3.0, -3.125, -3.25, -3.5,
        -3.75, -4.0, -4.0, -4.25, -4.5,
    ];
    v.push(f32::NEG_INFINITY);
    v.push(f32::NEG_INFINITY);
    v.push(-1.5);
    v.push(0.625);
    assert_eq!(v.len(), 48);
    // a fixed scatter: index i gets value 37·i mod 48 (37 is coprime to 48)
    (0..48).map(|i| v[(37 * i) % 48]).collect()
}

#[derive(Clone, Copy, Debug)]
enum Filter {
    TopK,
    TopP,
    MinP,
    All,
}

fn params(f: Filter, t: f32) -> SamplingParams {
    let p = SamplingParams::default().temperature(t);
    match f {
        Filter::TopK => p.top_k(10),
        Filter::TopP => p.top_p(0.8),
        Filter::MinP => p.min_p(0.05),
        Filter::All => p.top_k(20).top_p(0.9).min_p(0.02),
    }
}

/// How the draws are made.
#[derive(Clone, Copy, Debug, PartialEq)]
enum How {
    /// `sample_batch_with` with this method (ring, fused, roulette).
    With(Method),
    /// `sample_batch_keyed_with` with this method.
    Keyed(Method),
}

// ---------------------------------------------------------------------------------
// Chi-square
// ---------------------------------------------------------------------------------

struct Gof {
    stat: f64,
    dof: usize,
    crit: f64,
    pooled: usize,
}

/// Pearson chi-square of `counts` against `p` (summing to 1), cells of expected count
/// below 5 pooled; a zero-probability cell must have count 0.
fn chi_square(counts: &[u64], p: &[f64]) -> Result<Gof, String> {
    assert_eq!(counts.len(), p.len());
    let psum: f64 = p.iter().sum();
    assert!((psum - 1.0).abs() < 1e-12, "probabilities sum to {psum}");
    let n = counts.iter().sum::<u64>() as f64;
    for (i, (&c, &q)) in counts.iter().zip(p).enumerate() {
        if q == 0.0 && c != 0 {
            return Err(format!("token {i} outside the kept set drawn {c} times"));
        }
    }
    let mut cells: Vec<(f64, f64)> = Vec::new();
    let (mut pool, mut pooled) = ((0.0f64, 0.0f64), 0);
    for (&c, &q) in counts.iter().zip(p) {
        if q == 0.0 {
            continue;
        }
        let e = n * q;
        if e >= 5.0 {
            cells.push((c as f64, e));
        } else {
            pool.0 += c as f64;
            pool.1 += e;
            pooled += 1;
        }
    }
    if pooled > 0 {
        if pool.1 >= 5.0 || cells.is_empty() {
            cells.push(pool);
        } else {
            let j = (0..cells.len())
                .min_by(|&a, &b| cells[a].1.total_cmp(&cells[b].1))
                .unwrap();
            cells[j].0 += pool.0;
            cells[j].1 += pool.1;
        }
    }
    assert!(cells.len() >= 2, "need at least two cells");
    let stat = cells.iter().map(|&(o, e)| (o - e) * (o - e) / e).sum();
    let dof = cells.len() - 1;
    Ok(Gof {
        stat,
        dof,
        crit: chi2_critical(dof as f64, ALPHA),
        pooled,
    })
}

/// The statistics of one test; `finish` panics listing every failure.
struct Report {
    test: &'static str,
    start: Instant,
    stats: usize,
    failures: Vec<String>,
}

impl Report {
    fn new(test: &'static str) -> Report {
        Report {
            test,
            start: Instant::now(),
            stats: 0,
            failures: Vec::new(),
        }
    }

    fn gof(&mut self, case: &str, counts: &[u64], p: &[f64], kept: usize) {
        self.stats += 1;
        assert!(
            self.stats <= MAX_STATS,
            "{}: too many statistics",
            self.test
        );
        let n: u64 = counts.iter().sum();
        assert_eq!(n, N as u64);
        match chi_square(counts, p) {
            Ok(g) => {
                let ok = g.stat <= g.crit;
                println!(
                    "STAT {:<22} {:<44} kept={:>2} chi2={:>8.2} dof={:>3} crit={:>7.2} pooled={} {}",
                    self.test,
                    case,
                    kept,
                    g.stat,
                    g.dof,
                    g.crit,
                    g.pooled,
                    if ok { "ok" } else { "FAIL" }
                );
                if !ok {
                    self.failures.push(format!(
                        "{case}: chi2 = {:.2} > {:.2} (dof {}); counts {counts:?}",
                        g.stat, g.crit, g.dof
                    ));
                }
            }
            Err(e) => {
                println!("STAT {:<22} {case:<44} FAIL {e}", self.test);
                self.failures.push(format!("{case}: {e}"));
            }
        }
    }

    fn finish(self) {
        println!("TIME {:<22} {:.2?}", self.test, self.start.elapsed());
        assert!(
            self.failures.is_empty(),
            "{}: {} failure(s):\n{}",
            self.test,
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

// ---------------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------------

/// Token counts of `N` draws of `row` (as element type `L`) under `p`.
fn counts<L: Element>(row: &[L], p: SamplingParams, how: How, seed: u64) -> Vec<u64> {
    let cols = row.len();
    let method = match how {
        How::With(m) | How::Keyed(m) => m,
    };
    let mut s = Sampler::new(seed).method(method);
    let batch: Vec<L> = (0..ROWS).flat_map(|_| row.iter().copied()).collect();
    let mut out = vec![u32::MAX; ROWS];
    let mut keys = vec![0u64; ROWS];
    let mut counts = vec![0u64; cols];
    for call in 0..N / ROWS {
        match how {
            How::With(_) => s.sample_batch_with(&batch, cols, &[p], &mut out),
            How::Keyed(_) => {
                for (r, k) in keys.iter_mut().enumerate() {
                    // an odd multiplier is a bijection of u64: distinct keys
                    *k = ((call * ROWS + r) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                }
                s.sample_batch_keyed_with(&batch, cols, &keys, &[p], &mut out)
            }
        }
        .unwrap();
        for &t in &out {
            counts[t as usize] += 1;
        }
    }
    counts
}

/// The reference of `x` under `p`, checked to be a real cut (unambiguous, keeping
/// more than one token and fewer than all).
fn reference(x: &[f32], p: &SamplingParams) -> RefCut {
    let r = reference_cut(x, p);
    let unmasked = x.iter().filter(|v| v.is_finite()).count();
    assert!(!r.ambiguous, "{p:?}: the test row's top-p cut is ambiguous");
    assert!(
        r.count() > 1 && r.count() < unmasked,
        "{p:?}: the filter keeps {} of {unmasked}",
        r.count()
    );
    r
}

/// One statistic: `how` on the test row under `filter` at `t`.
fn one(rep: &mut Report, filter: Filter, t: f32, how: How, seed: u64) {
    let x = logits();
    let p = params(filter, t);
    let r = reference(&x, &p);
    let c = counts(&x, p, how, seed);
    rep.gof(
        &format!("{how:?} {filter:?} T={t}"),
        &c,
        &r.probs(&x, t),
        r.count(),
    );
}

const RING: How = How::With(Method::GumbelMax);
const FUSED: How = How::With(Method::GumbelMaxFused);
const ROULETTE: How = How::With(Method::SoftmaxRoulette);
const KEYED: How = How::Keyed(Method::GumbelMax);
const KEYED_ROULETTE: How = How::Keyed(Method::SoftmaxRoulette);

#[test]
fn top_k_chi_square() {
    let mut rep = Report::new("top_k");
    one(&mut rep, Filter::TopK, 1.0, RING, 101);
    one(&mut rep, Filter::TopK, 0.7, ROULETTE, 102);
    one(&mut rep, Filter::TopK, 1.8, KEYED, 103);
    one(&mut rep, Filter::TopK, 1.8, FUSED, 104);
    one(&mut rep, Filter::TopK, 1.0, KEYED_ROULETTE, 105);
    rep.finish();
}

#[test]
fn top_p_chi_square() {
    let mut rep = Report::new("top_p");
    one(&mut rep, Filter::TopP, 0.7, FUSED, 201);
    one(&mut rep, Filter::TopP, 1.8, RING, 202);
    one(&mut rep, Filter::TopP, 1.0, KEYED_ROULETTE, 203);
    one(&mut rep, Filter::TopP, 0.7, ROULETTE, 204);
    one(&mut rep, Filter::TopP, 1.0, KEYED, 205);
    rep.finish();
}

#[test]
fn min_p_chi_square() {
    let mut rep = Report::new("min_p");
    one(&mut rep, Filter::MinP, 1.0, ROULETTE, 301);
    one(&mut rep, Filter::MinP, 1.8, FUSED, 302);
    one(&mut rep, Filter::MinP, 0.7, KEYED, 303);
    one(&mut rep, Filter::MinP, 0.7, RING, 304);
    one(&mut rep, Filter::MinP, 1.8, KEYED_ROULETTE, 305);
    rep.finish();
}

#[test]
fn combined_filters_chi_square_every_method() {
    let mut rep = Report::new("combined");
    one(&mut rep, Filter::All, 0.7, RING, 401);
    one(&mut rep, Filter::All, 1.0, FUSED, 402);
    one(&mut rep, Filter::All, 1.8, ROULETTE, 403);
    one(&mut rep, Filter::All, 1.0, KEYED, 404);
    one(&mut rep, Filter::All, 0.7, KEYED_ROULETTE, 405);
    rep.finish();
}

#[test]
fn combined_filters_chi_square_16_bit_logits() {
    let mut rep = Report::new("combined_16bit");
    let x = logits();
    let xb: Vec<bf16> = x.iter().map(|&v| bf16::from_f32(v)).collect();
    let xh: Vec<f16> = x.iter().map(|&v| f16::from_f32(v)).collect();
    // the values are exact in both types: the kept set and distribution are the f32 ones
    assert!(
        xb.iter()
            .zip(&x)
            .all(|(b, &v)| b.to_f32() == v || v.is_nan())
    );
    assert!(
        xh.iter()
            .zip(&x)
            .all(|(h, &v)| h.to_f32() == v || v.is_nan())
    );
    for (t, how, seed) in [(1.0f32, RING, 501u64), (1.8, KEYED, 502)] {
        let p = params(Filter::All, t);
        let r = reference(&x, &p);
        let c = counts(&xb, p, how, seed);
        rep.gof(
            &format!("bf16 {how:?} All T={t}"),
            &c,
            &r.probs(&x, t),
            r.count(),
        );
    }
    for (t, how, seed) in [(0.7f32, FUSED, 503u64), (1.0, ROULETTE, 504)] {
        let p = params(Filter::All, t);
        let r = reference(&x, &p);
        let c = counts(&xh, p, how, seed);
        rep.gof(
            &format!("f16 {how:?} All T={t}"),
            &c,
            &r.probs(&x, t),
            r.count(),
        );
    }
    rep.finish();
}

/// The kept sets of the test row: each filter alone really cuts at each temperature
/// (`reference` asserts it), top-k keeps the tie group at the 10th value, and in the
/// combined filter every stage cuts at T = 1 and 1.8 (at 0.7 min-p already leaves
/// fewer than 20).
#[test]
fn the_test_row_is_cut_by_every_filter() {
    let x = logits();
    for t in [0.7f32, 1.0, 1.8] {
        let counts: Vec<usize> = [Filter::TopK, Filter::TopP, Filter::MinP, Filter::All]
            .iter()
            .map(|&f| reference(&x, &params(f, t)).count())
            .collect();
        let all = params(Filter::All, t);
        let stages: Vec<usize> = [
            SamplingParams::default().temperature(t),
            all.top_k(0).top_p(1.0),
            all.top_p(1.0),
            all,
        ]
        .iter()
        .map(|p| reference_cut(&x, p).count())
        .collect();
        println!(
            "T={t}: kept by top-k, top-p, min-p, all: {counts:?}; combined stages (none, min-p, +top-k, +top-p): {stages:?}"
        );
        assert_eq!(counts[0], 11);
        if t >= 1.0 {
            assert!(stages.windows(2).all(|w| w[1] < w[0]), "T={t}: {stages:?}");
        }
    }
}

// ---------------------------------------------------------------------------------
// Batch invariance of keyed rows
// ---------------------------------------------------------------------------------

/// A batch of `rows` different rows of `cols` logits, with per-row parameters that
/// keep several tokens each.
fn invariance_batch(rows: usize, cols: usize, seed: u64) -> (Vec<f32>, Vec<SamplingParams>) {
    let mut rng = splitmix(seed);
    let x: Vec<f32> = (0..rows * cols)
        .map(|i| {
            if i % 17 == 3 {
                f32::NEG_INFINITY
            } else {
                // ties: a quarter of the values are multiples of 1/2
                let v = rng.normal() * 2.0;
                if rng.below(4) == 0 {
                    (v * 2.0).round() as f32 * 0.5
                } else {
                    v as f32
                }
            }
        })
        .collect();
    let d = SamplingParams::default();
    let p: Vec<SamplingParams> = (0..rows)
        .map(|r| match r % 6 {
            0 => d.top_k(8),
            1 => d.temperature(0.7).top_p(0.9),
            2 => d.temperature(1.8).min_p(0.05),
            3 => d.top_k(30).top_p(0.95).min_p(0.01),
            4 => d.temperature(0.0).top_k(3),
            _ => d.temperature(1.3),
        })
        .collect();
    (x, p)
}

/// `sample_batch_keyed_with` on a fresh-or-given sampler.
fn keyed(s: &mut Sampler, x: &[f32], cols: usize, keys: &[u64], p: &[SamplingParams]) -> Vec<u32> {
    let mut out = vec![u32::MAX; keys.len()];
    s.sample_batch_keyed_with(x, cols, keys, p, &mut out)
        .unwrap();
    out
}

#[test]
fn keyed_rows_are_batch_invariant() {
    let (rows, cols) = (48, 500);
    let (x, p) = invariance_batch(rows, cols, 0xBA7C);
    let keys: Vec<u64> = (0..rows as u64).map(|r| 1000 + r * 7919).collect();
    let mut rng = splitmix(0x5487);
    let mut distinct = 0;
    for isa in common::isas() {
        for method in METHODS {
            let mk = || {
                Sampler::new(0x1234)
                    .backend(Backend::new(isa).unwrap())
                    .method(method)
            };
            let what = format!("{isa} {method:?}");
            let base = keyed(&mut mk(), &x, cols, &keys, &p);
            // the tokens are not all the same (the filters keep several tokens)
            let mut seen = base.clone();
            seen.sort();
            seen.dedup();
            assert!(
                seen.len() >= rows / 2,
                "{what}: {} distinct tokens",
                seen.len()
            );
            distinct += seen.len();

            // 1. rows shuffled (with their keys and params)
            let mut perm: Vec<usize> = (0..rows).collect();
            for i in (1..rows).rev() {
                perm.swap(i, rng.below(i + 1));
            }
            let got = keyed(
                &mut mk(),
                &gather_rows(&x, cols, &perm),
                cols,
                &gather_rows(&keys, 1, &perm),
                &gather_rows(&p, 1, &perm),
            );
            for (i, &r) in perm.iter().enumerate() {
                assert_eq!(got[i], base[r], "{what}: shuffled, row {r}");
            }

            // 2. the other rows' parameters changed (the odd rows keep theirs)
            let mut q = p.clone();
            for (r, e) in q.iter_mut().enumerate() {
                if r % 2 == 0 {
                    *e = SamplingParams::default()
                        .temperature(0.4 + r as f32 * 0.05)
                        .top_k(r % 5)
                        .top_p(0.5);
                }
            }
            let got = keyed(&mut mk(), &x, cols, &keys, &q);
            for r in (1..rows).step_by(2) {
                assert_eq!(
                    got[r], base[r],
                    "{what}: other rows' params changed, row {r}"
                );
            }

            // 3. batch size: every row alone, the first half, and a bigger batch
            //    (the rows twice over, the copies with other keys)
            let mut s = mk();
            for r in 0..rows {
                let one = keyed(
                    &mut s,
                    &x[r * cols..(r + 1) * cols],
                    cols,
                    &keys[r..r + 1],
                    &p[r..r + 1],
                );
                assert_eq!(one[0], base[r], "{what}: alone, row {r}");
            }
            let h = rows / 2;
            let got = keyed(&mut mk(), &x[..h * cols], cols, &keys[..h], &p[..h]);
            assert_eq!(got, base[..h], "{what}: first half");
            let x2: Vec<f32> = x.iter().chain(&x).copied().collect();
            let k2: Vec<u64> = keys
                .iter()
                .chain(keys.iter())
                .map(|&k| k ^ 1 << 63)
                .collect();
            let k2: Vec<u64> = keys
                .iter()
                .copied()
                .chain(k2[rows..].iter().copied())
                .collect();
            let p2: Vec<SamplingParams> = p.iter().chain(&q).copied().collect();
            let got = keyed(&mut mk(), &x2, cols, &k2, &p2);
            assert_eq!(got[..rows], base, "{what}: doubled batch");

            // 4. run in parallel or not, after other (non-keyed and keyed) calls
            let mut s = mk().parallel_threshold(0);
            let mut out = vec![0u32; rows];
            s.sample_batch_with(&x, cols, &q, &mut out).unwrap();
            s.sample_batch_keyed_with(&x, cols, &k2[rows..], &q, &mut out)
                .unwrap();
            assert_eq!(
                keyed(&mut s, &x, cols, &keys, &p),
                base,
                "{what}: parallel, history"
            );
            let mut s = mk().parallel_threshold(usize::MAX);
            assert_eq!(keyed(&mut s, &x, cols, &keys, &p), base, "{what}: serial");

            // 5. a single params entry for every row is that entry repeated
            let one_p = [p[3]];
            let all_p = vec![p[3]; rows];
            assert_eq!(
                keyed(&mut mk(), &x, cols, &keys, &one_p),
                keyed(&mut mk(), &x, cols, &keys, &all_p),
                "{what}: one params entry"
            );
        }
    }
    println!("keyed invariance: {distinct} distinct tokens over the base batches");
}
