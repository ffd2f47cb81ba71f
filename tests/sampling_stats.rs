//! Statistical correctness of every sampling method.
//!
//! Chi-square goodness of fit of every method (`Sampler` with `GumbelMax`,
//! `GumbelMaxFused`, `SoftmaxRoulette`; the free functions `gumbel_max` with
//! `fill_gumbel` noise and `softmax_roulette` with rand_xoshiro uniforms) against the
//! exact softmax of the f32 logits computed in f64,
//! `p_i = exp((x_i - max)/T) / Σ_j exp((x_j - max)/T)`, for vocabularies 2, 3, 17, 40,
//! 50 and 1000, temperatures 0.5, 1 and 2, masked entries, a large common offset, a token
//! of probability 1e-4, probability inputs, keyed rows, and every ISA path; plus
//! independence of consecutive draws of one sampler and of neighbouring rows of one
//! batch.
//!
//! # Statistics
//!
//! * Every statistic uses fixed seeds and at least 10^6 draws (pairs, for the
//!   independence tests).
//! * Critical values are computed
//!   here for the exact dof: the `x` with `Q(dof/2, x/2) = ALPHA` (regularized upper
//!   incomplete gamma: series below `a + 1`, Lentz continued fraction above), found by
//!   bisection; e.g. dof 1: 28.374, dof 2: 32.236, dof 15: 62.326, dof 16: 64.227
//!   (see `critical_values_are_right`, which checks the helper against closed forms).
//!   The checks themselves run at `ALPHA_CHECK = 1e-8` per statistic (Bonferroni), so a
//!   `#[test]` function with k statistics has a false-alarm probability of at most
//!   k·1e-8 ≤ 2.4e-7 < 1e-6 by the union bound (k ≤ 24 here), and the 137 statistics
//!   of the file together at most 1.4e-6. The seeds are fixed, so the outcome is deterministic anyway: a
//!   failure is a change in behaviour, never a flake.
//! * Cells whose expected count is below 5 are pooled into one cell (and if that cell
//!   is itself below 5 it is merged into the smallest other cell); dof = cells − 1.
//!   Masked cells (probability exactly 0) are not cells: their count must be exactly 0.
//! * The count of the 1e-4 token is also checked with an exact two-sided binomial
//!   p-value (`common::stats::Binomial`: twice the tail on the count's side, from an
//!   exact log-pmf), at the same `ALPHA_CHECK`.
//!
//! Every statistic is printed (`cargo test --release --test sampling_stats --
//! --nocapture`); a test collects all its failures before it panics, so one report
//! shows every method that is off.

mod common;

use common::METHODS;
use common::rng::Draws;
use common::stats::{Binomial, chi2_critical, chi2_critical_wilson_hilferty};

use std::time::Instant;

use gumbel::simd::{Isa, with_isa};
use gumbel::{Method, Sampler};
use rand_xoshiro::rand_core::{Rng, SeedableRng};
use rand_xoshiro::{SplitMix64, Xoshiro256PlusPlus};

/// Significance level of every statistic.
const ALPHA: f64 = 1e-7;
/// Per-statistic level of the checks: `ALPHA / 10`, so every test function stays
/// below 1e-6 overall (see the header).
const ALPHA_CHECK: f64 = 1e-8;
/// Draws per statistic.
const N: usize = 1_000_000;
/// Identical rows per `sample_batch` call (at least; see `rows_per_call`).
const ROWS: usize = 1000;

const TEMPERATURES: [f32; 3] = [0.5, 1.0, 2.0];

// ---------------------------------------------------------------------------------
// Goodness of fit
// ---------------------------------------------------------------------------------

#[derive(Debug)]
struct Gof {
    stat: f64,
    dof: usize,
    crit: f64,
    /// Cells pooled because their expected count was below 5.
    pooled: usize,
}

/// Pearson chi-square of `counts` against probabilities `p` (summing to 1), with cells
/// of expected count < 5 pooled. Masked cells (`p == 0`) must have count 0.
fn chi_square(counts: &[u64], p: &[f64]) -> Result<Gof, String> {
    assert_eq!(counts.len(), p.len());
    let psum: f64 = p.iter().sum();
    assert!((psum - 1.0).abs() < 1e-12, "probabilities sum to {psum}");
    let n: u64 = counts.iter().sum();
    let nf = n as f64;
    for (i, (&c, &pi)) in counts.iter().zip(p).enumerate() {
        if pi == 0.0 && c != 0 {
            return Err(format!(
                "masked / zero-probability token {i} drawn {c} times"
            ));
        }
    }
    // (observed, expected) cells
    let mut cells: Vec<(f64, f64)> = Vec::new();
    let mut pool = (0.0f64, 0.0f64);
    let mut pooled = 0;
    for (&c, &pi) in counts.iter().zip(p) {
        if pi == 0.0 {
            continue;
        }
        let e = nf * pi;
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
            // the pool is itself too small: merge it into the smallest cell
            let j = (0..cells.len())
                .min_by(|&a, &b| cells[a].1.total_cmp(&cells[b].1))
                .unwrap();
            cells[j].0 += pool.0;
            cells[j].1 += pool.1;
        }
    }
    assert!(cells.len() >= 2, "need at least two cells");
    let stat: f64 = cells.iter().map(|&(o, e)| (o - e) * (o - e) / e).sum();
    let dof = cells.len() - 1;
    Ok(Gof {
        stat,
        dof,
        crit: chi2_critical(dof as f64, ALPHA_CHECK),
        pooled,
    })
}

/// Collects the statistics of one test; `finish` panics listing every failure.
struct Report {
    test: &'static str,
    start: Instant,
    failures: Vec<String>,
}

impl Report {
    fn new(test: &'static str) -> Report {
        Report {
            test,
            start: Instant::now(),
            failures: Vec::new(),
        }
    }

    /// Chi-square of `counts` against `p`; prints the statistic, records a failure.
    fn gof(&mut self, case: &str, counts: &[u64], p: &[f64]) {
        let n: u64 = counts.iter().sum();
        assert!(n >= N as u64, "{case}: only {n} draws");
        match chi_square(counts, p) {
            Ok(g) => {
                let ok = g.stat <= g.crit;
                println!(
                    "STAT {:<28} {:<44} n={:>8} chi2={:>9.2} dof={:>4} crit={:>8.2} pooled={:>3} {}",
                    self.test,
                    case,
                    n,
                    g.stat,
                    g.dof,
                    g.crit,
                    g.pooled,
                    if ok { "ok" } else { "FAIL" }
                );
                if !ok {
                    self.failures.push(format!(
                        "{case}: chi2 = {:.2} > critical {:.2} (dof {}, alpha {ALPHA_CHECK:e}, n {n}); counts {:?}",
                        g.stat,
                        g.crit,
                        g.dof,
                        short(counts)
                    ));
                }
            }
            Err(e) => {
                println!("STAT {:<28} {case:<44} FAIL {e}", self.test);
                self.failures.push(format!("{case}: {e}"));
            }
        }
    }

    /// Exact binomial check of one token's count.
    fn binomial(&mut self, case: &str, count: u64, n: u64, p: f64) {
        let pv = Binomial { n, p }.two_sided_p(count);
        let ok = pv >= ALPHA_CHECK;
        println!(
            "STAT {:<28} {:<44} n={:>8} count={} expected={:.1} two-sided p={:.3e} {}",
            self.test,
            case,
            n,
            count,
            n as f64 * p,
            pv,
            if ok { "ok" } else { "FAIL" }
        );
        if !ok {
            self.failures.push(format!(
                "{case}: count {count} of {n} draws, expected {:.1} (p = {p:.4e}); two-sided binomial p-value {pv:.3e} < {ALPHA_CHECK:e}",
                n as f64 * p
            ));
        }
    }

    fn fail(&mut self, msg: String) {
        println!("STAT {:<28} FAIL {msg}", self.test);
        self.failures.push(msg);
    }

    fn finish(self) {
        println!("TIME {:<28} {:.2?}", self.test, self.start.elapsed());
        assert!(
            self.failures.is_empty(),
            "{}: {} failure(s):\n{}",
            self.test,
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

/// The first and last few counts, for failure messages.
fn short(c: &[u64]) -> String {
    if c.len() <= 40 {
        format!("{c:?}")
    } else {
        format!("{:?} ... {:?}", &c[..20], &c[c.len() - 20..])
    }
}

// ---------------------------------------------------------------------------------
// Exact distributions and rows
// ---------------------------------------------------------------------------------

/// The exact softmax of the f32 logits at temperature `t`, in f64; `-inf` gives 0.
fn softmax_f64(x: &[f32], t: f32) -> Vec<f64> {
    let t = t as f64;
    let m = x.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v as f64));
    let w: Vec<f64> = x
        .iter()
        .map(|&v| {
            if v == f32::NEG_INFINITY {
                0.0
            } else {
                ((v as f64 - m) / t).exp()
            }
        })
        .collect();
    let s: f64 = w.iter().sum();
    w.iter().map(|v| v / s).collect()
}

/// The exact distribution for weights `α`: `α_i^{1/T} / Σ_j α_j^{1/T}`; 0 gives 0.
fn weights_f64(a: &[f32], t: f32) -> Vec<f64> {
    let m = a.iter().fold(0.0f64, |m, &v| m.max(v as f64));
    let w: Vec<f64> = a
        .iter()
        .map(|&v| (v as f64 / m).powf(1.0 / t as f64))
        .collect();
    let s: f64 = w.iter().sum();
    w.iter().map(|v| v / s).collect()
}

/// `n` values uniform in `[lo, hi)` from SplitMix64(`seed`), as f32.
fn uniform_row(seed: u64, n: usize, lo: f64, hi: f64) -> Vec<f32> {
    let mut g = SplitMix64::seed_from_u64(seed);
    (0..n)
        .map(|_| (lo + (hi - lo) * ((g.next_u64() >> 11) as f64 / (1u64 << 53) as f64)) as f32)
        .collect()
}

fn logits_2() -> Vec<f32> {
    vec![0.3, -0.4]
}

fn logits_3() -> Vec<f32> {
    vec![1.0, -0.5, 0.25]
}

fn logits_17() -> Vec<f32> {
    uniform_row(17, 17, -2.0, 2.0)
}

/// 1000 logits spread over [-8, 4): at T = 1 the least likely tokens have expected
/// counts below 5 in 10^6 draws, so the pooling is exercised.
fn logits_1000() -> Vec<f32> {
    uniform_row(1000, 1000, -8.0, 4.0)
}

// ---------------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------------

fn sampler(method: Method, t: f32, seed: u64) -> Sampler {
    Sampler::new(seed).method(method).temperature(t)
}

/// Rows per `sample_batch` call: at least `ROWS`, and enough that the batch has at
/// least twice the default parallel threshold of elements (so rayon splits it).
/// Always divides `N`.
fn rows_per_call(cols: usize) -> usize {
    [1000, 2000, 4000, 5000, 10_000, 20_000, 40_000, 50_000]
        .into_iter()
        .find(|&r| r * cols >= 2 * gumbel::DEFAULT_PARALLEL_THRESHOLD)
        .unwrap_or(50_000)
        .max(ROWS)
}

#[derive(Clone, Copy, PartialEq)]
enum Draw {
    Logits,
    Probs,
    Keyed,
}

/// Token counts of `N` draws of `row` from `s`: `N / rows` calls of a batch of
/// `rows` identical rows (keys unique across the whole run for `Draw::Keyed`).
fn batch_counts(s: &mut Sampler, row: &[f32], how: Draw) -> Vec<u64> {
    let cols = row.len();
    let rows = rows_per_call(cols);
    let batch = row.repeat(rows);
    let mut out = vec![u32::MAX; rows];
    let mut keys = vec![0u64; rows];
    let mut counts = vec![0u64; cols];
    for call in 0..N / rows {
        match how {
            Draw::Logits => s.sample_batch(&batch, cols, &mut out),
            Draw::Probs => s.sample_batch_probs(&batch, cols, &mut out),
            Draw::Keyed => {
                for (r, k) in keys.iter_mut().enumerate() {
                    // an odd multiplier is a bijection of u64: distinct keys
                    *k = ((call * rows + r) as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                }
                s.sample_batch_keyed(&batch, cols, &keys, &mut out)
            }
        }
        .unwrap();
        for &t in &out {
            counts[t as usize] += 1;
        }
    }
    counts
}

/// Token counts of `N` draws of `gumbel_max` (or `gumbel_max_probs`) on `row`, with
/// noise from `fill_gumbel(seed, stream = block, ..)`, one block of `ROWS` rows at a time.
fn free_gumbel_counts(row: &[f32], t: f32, seed: u64, probs: bool) -> Vec<u64> {
    let cols = row.len();
    let mut noise = vec![0.0f32; ROWS * cols];
    let mut counts = vec![0u64; cols];
    for block in 0..(N / ROWS) as u64 {
        gumbel::noise::fill_gumbel(seed, block, &mut noise);
        for g in noise.chunks_exact(cols) {
            let i = if probs {
                gumbel::gumbel_max_probs(row, g, t)
            } else {
                gumbel::gumbel_max(row, g, t)
            }
            .unwrap();
            counts[i] += 1;
        }
    }
    counts
}

/// Token counts of `N` draws of `softmax_roulette` (or `_probs`) on `row` with
/// uniforms from `Xoshiro256PlusPlus(seed)`.
fn free_roulette_counts(row: &[f32], t: f32, seed: u64, probs: bool) -> Vec<u64> {
    let mut g = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut counts = vec![0u64; row.len()];
    for _ in 0..N {
        let u = g.uniform();
        let i = if probs {
            gumbel::softmax_roulette_probs(row, u, t)
        } else {
            gumbel::softmax_roulette(row, u, t)
        }
        .unwrap();
        counts[i] += 1;
    }
    counts
}

fn method_seed(m: Method, salt: u64) -> u64 {
    let k = match m {
        Method::GumbelMax => 1,
        Method::GumbelMaxFused => 2,
        Method::SoftmaxRoulette => 3,
        _ => 4,
    };
    salt.wrapping_mul(0x1000_0000_01b3) ^ k
}

// ---------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------

#[test]
fn critical_values_are_right() {
    // dof 2: Q(1, x/2) = e^{-x/2} exactly, so the critical value is -2 ln alpha.
    let c2 = chi2_critical(2.0, ALPHA);
    assert!((c2 + 2.0 * ALPHA.ln()).abs() < 1e-8 * c2, "{c2}");
    // dof 1: z^2 with erfc(z/√2) = 1e-7, z = 5.326723886... (computed independently
    // with math.erfc and bisection): 28.373987361779
    let c1 = chi2_critical(1.0, ALPHA);
    assert!((c1 - 28.373_987_361_779).abs() < 1e-6, "{c1}");
    // even dof: Q(k, y) = e^{-y} Σ_{j<k} y^j / j! (Poisson tail), an independent formula
    for dof in [2usize, 4, 10, 16, 30, 100, 500] {
        let c = chi2_critical(dof as f64, ALPHA);
        let y = c / 2.0;
        let (mut term, mut sum) = ((-y).exp(), 0.0);
        for j in 0..dof / 2 {
            sum += term;
            term *= y / (j + 1) as f64;
        }
        assert!(
            (sum / ALPHA - 1.0).abs() < 1e-7,
            "dof {dof}: critical {c}, Poisson tail {sum:e}"
        );
    }
    // large dof: Wilson–Hilferty with the one-sided normal quantile z(1e-7) =
    // 5.199337582 agrees to well under 1%.
    for dof in [200usize, 999] {
        let wh = chi2_critical_wilson_hilferty(dof as u32, 5.199_337_582);
        let c = chi2_critical(dof as f64, ALPHA);
        assert!((c / wh - 1.0).abs() < 5e-3, "dof {dof}: {c} vs WH {wh}");
    }
    // the binomial p-value: symmetric-ish centre is 1, far tails are tiny
    let b = Binomial {
        n: 1_000_000,
        p: 1e-4,
    };
    assert_eq!(b.two_sided_p(100), 1.0);
    assert!(b.two_sided_p(160) < 1e-7);
    assert!(b.two_sided_p(50) < 1e-5);
    // a perfect fit passes, a clearly wrong one fails
    let p = [0.25, 0.25, 0.5];
    assert!(chi_square(&[250_000, 250_000, 500_000], &p).unwrap().stat == 0.0);
    let g = chi_square(&[260_000, 240_000, 500_000], &p).unwrap();
    assert!(g.stat > g.crit);
    assert!(chi_square(&[1, 499_999, 500_000], &[0.0, 0.5, 0.5]).is_err());
    println!(
        "critical values at alpha {ALPHA:e}: dof1 {c1:.3} dof2 {c2:.3} dof15 {:.3} dof16 {:.3}",
        chi2_critical(15.0, ALPHA),
        chi2_critical(16.0, ALPHA)
    );
}

#[test]
fn small_vocabularies() {
    let mut rep = Report::new("small_vocabularies");
    for (name, row) in [("v2", logits_2()), ("v3", logits_3())] {
        for t in TEMPERATURES {
            let p = softmax_f64(&row, t);
            for m in METHODS {
                let mut s = sampler(m, t, method_seed(m, row.len() as u64 * 10 + t as u64));
                let c = batch_counts(&mut s, &row, Draw::Logits);
                rep.gof(&format!("{name} T={t} {m:?}"), &c, &p);
            }
        }
    }
    rep.finish();
}

#[test]
fn vocab_17_all_temperatures() {
    let mut rep = Report::new("vocab_17");
    let row = logits_17();
    for t in TEMPERATURES {
        let p = softmax_f64(&row, t);
        for m in METHODS {
            let mut s = sampler(m, t, method_seed(m, 1700 + (t * 10.0) as u64));
            let c = batch_counts(&mut s, &row, Draw::Logits);
            rep.gof(&format!("v17 T={t} {m:?}"), &c, &p);
        }
    }
    rep.finish();
}

#[test]
fn vocab_1000_t1() {
    let mut rep = Report::new("vocab_1000");
    let row = logits_1000();
    let p = softmax_f64(&row, 1.0);
    for m in METHODS {
        let mut s = sampler(m, 1.0, method_seed(m, 100_000));
        let c = batch_counts(&mut s, &row, Draw::Logits);
        rep.gof(&format!("v1000 T=1 {m:?}"), &c, &p);
    }
    rep.finish();
}

#[test]
fn free_functions() {
    let mut rep = Report::new("free_functions");
    let row = logits_17();
    for t in TEMPERATURES {
        let p = softmax_f64(&row, t);
        let seed = 5000 + (t * 10.0) as u64;
        let c = free_gumbel_counts(&row, t, seed, false);
        rep.gof(&format!("v17 T={t} gumbel_max+fill_gumbel"), &c, &p);
        let c = free_roulette_counts(&row, t, seed, false);
        rep.gof(&format!("v17 T={t} softmax_roulette+xoshiro"), &c, &p);
    }
    rep.finish();
}

/// Masked entries at lane and block boundaries (0, 7, 8, 15, 16, 31, 39) of a row of 40,
/// including the entry that would otherwise be the largest.
#[test]
fn masked_entries() {
    let mut rep = Report::new("masked_entries");
    let mut row = uniform_row(40, 40, -2.0, 2.0);
    row[23] = 3.0; // would be the most likely token ...
    let masked = [0usize, 7, 8, 15, 16, 23, 31, 39];
    for &i in &masked {
        row[i] = f32::NEG_INFINITY; // ... but is masked
    }
    for t in [1.0f32, 0.5] {
        let p = softmax_f64(&row, t);
        for m in METHODS {
            let mut s = sampler(m, t, method_seed(m, 4000 + (t * 10.0) as u64));
            let c = batch_counts(&mut s, &row, Draw::Logits);
            for &i in &masked {
                if c[i] != 0 {
                    rep.fail(format!(
                        "masked T={t} {m:?}: token {i} drawn {} times",
                        c[i]
                    ));
                }
            }
            rep.gof(&format!("masked v40 T={t} {m:?}"), &c, &p);
        }
        let c = free_gumbel_counts(&row, t, 4100, false);
        rep.gof(&format!("masked v40 T={t} gumbel_max"), &c, &p);
        let c = free_roulette_counts(&row, t, 4101, false);
        rep.gof(&format!("masked v40 T={t} softmax_roulette"), &c, &p);
    }
    rep.finish();
}

/// Logits `1e4 + s` with `s` multiples of 1/4 in [-3, 3] (exact in f32 at 1e4): the
/// draws must follow the softmax of `s` itself.
#[test]
fn large_common_offset() {
    let mut rep = Report::new("large_common_offset");
    let spread: Vec<f32> = (0..33)
        .map(|k| 0.25 * ((k * 7) % 25) as f32 - 3.0)
        .collect();
    let row: Vec<f32> = spread.iter().map(|&s| 1.0e4 + s).collect();
    for (x, s) in row.iter().zip(&spread) {
        assert_eq!(x - 1.0e4, *s, "offset logits must be exact");
    }
    for t in TEMPERATURES {
        let p = softmax_f64(&spread, t); // the unshifted distribution
        for m in METHODS {
            let mut s = sampler(m, t, method_seed(m, 10_000 + (t * 10.0) as u64));
            let c = batch_counts(&mut s, &row, Draw::Logits);
            rep.gof(&format!("1e4+s v33 T={t} {m:?}"), &c, &p);
        }
    }
    let p = softmax_f64(&spread, 1.0);
    let c = free_gumbel_counts(&row, 1.0, 10_001, false);
    rep.gof("1e4+s v33 T=1 gumbel_max", &c, &p);
    let c = free_roulette_counts(&row, 1.0, 10_002, false);
    rep.gof("1e4+s v33 T=1 softmax_roulette", &c, &p);
    rep.finish();
}

/// A row of 50 where token 37 has probability ≈ 1e-4 (expected count ≈ 100 in 10^6):
/// its count must pass an exact binomial test, and it is its own chi-square cell.
#[test]
fn rare_token() {
    let mut rep = Report::new("rare_token");
    let mut row = uniform_row(50, 50, -1.0, 1.0);
    let rare = 37;
    let rest: f64 = row
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != rare)
        .map(|(_, &x)| (x as f64).exp())
        .sum();
    row[rare] = (rest * 1e-4 / (1.0 - 1e-4)).ln() as f32;
    let p = softmax_f64(&row, 1.0);
    assert!((p[rare] / 1e-4 - 1.0).abs() < 1e-5, "p = {}", p[rare]);
    let check = |rep: &mut Report, case: String, c: Vec<u64>| {
        rep.binomial(&format!("{case} token {rare}"), c[rare], N as u64, p[rare]);
        rep.gof(&case, &c, &p);
    };
    for m in METHODS {
        let mut s = sampler(m, 1.0, method_seed(m, 20_000));
        let c = batch_counts(&mut s, &row, Draw::Logits);
        check(&mut rep, format!("rare v50 T=1 {m:?}"), c);
    }
    check(
        &mut rep,
        "rare v50 T=1 gumbel_max".into(),
        free_gumbel_counts(&row, 1.0, 20_001, false),
    );
    check(
        &mut rep,
        "rare v50 T=1 softmax_roulette".into(),
        free_roulette_counts(&row, 1.0, 20_002, false),
    );
    rep.finish();
}

/// Unnormalised weights with zeros (masked): `sample_batch_probs` and the free
/// `_probs` functions follow `α^{1/T} / Σ α^{1/T}`.
#[test]
fn probability_inputs() {
    let mut rep = Report::new("probability_inputs");
    let mut row = uniform_row(30, 30, 0.01, 1.0);
    let zeros = [3usize, 16, 17, 28];
    for &i in &zeros {
        row[i] = 0.0;
    }
    for t in [1.0f32, 0.5] {
        let p = weights_f64(&row, t);
        for m in METHODS {
            let mut s = sampler(m, t, method_seed(m, 30_000 + (t * 10.0) as u64));
            let c = batch_counts(&mut s, &row, Draw::Probs);
            for &i in &zeros {
                if c[i] != 0 {
                    rep.fail(format!(
                        "probs T={t} {m:?}: zero weight {i} drawn {} times",
                        c[i]
                    ));
                }
            }
            rep.gof(&format!("probs v30 T={t} {m:?}"), &c, &p);
        }
    }
    let p = weights_f64(&row, 1.0);
    let c = free_gumbel_counts(&row, 1.0, 30_001, true);
    rep.gof("probs v30 T=1 gumbel_max_probs", &c, &p);
    let c = free_roulette_counts(&row, 1.0, 30_002, true);
    rep.gof("probs v30 T=1 softmax_roulette_probs", &c, &p);
    rep.finish();
}

#[test]
fn keyed_rows() {
    let mut rep = Report::new("keyed_rows");
    let row = logits_17();
    let p = softmax_f64(&row, 1.0);
    for m in METHODS {
        let mut s = sampler(m, 1.0, method_seed(m, 40_000));
        let c = batch_counts(&mut s, &row, Draw::Keyed);
        rep.gof(&format!("keyed v17 T=1 {m:?}"), &c, &p);
    }
    rep.finish();
}

/// Vocab 17, T = 1, every method and both free functions, on every ISA path.
#[test]
fn every_isa_path() {
    let mut rep = Report::new("every_isa_path");
    let row = logits_17();
    let p = softmax_f64(&row, 1.0);
    let isas = common::isas();
    assert!(!isas.is_empty());
    for isa in isas {
        let (counts, active): (Vec<(String, Vec<u64>)>, Isa) = with_isa(isa, || {
            let mut v = Vec::new();
            for m in METHODS {
                let mut s = sampler(m, 1.0, method_seed(m, 50_000));
                v.push((format!("{m:?}"), batch_counts(&mut s, &row, Draw::Logits)));
            }
            v.push((
                "gumbel_max".into(),
                free_gumbel_counts(&row, 1.0, 50_001, false),
            ));
            v.push((
                "softmax_roulette".into(),
                free_roulette_counts(&row, 1.0, 50_002, false),
            ));
            (v, Isa::active())
        })
        .unwrap();
        assert_eq!(active, isa);
        for (what, c) in counts {
            rep.gof(&format!("{} v17 T=1 {what}", isa.name()), &c, &p);
        }
    }
    rep.finish();
}

/// Vocab 17, T = 0.5 (score `x + T·g`, FMA on some paths) and T = 2 (score
/// `x/T + g`), every `Sampler` method, on every ISA path.
#[test]
fn every_isa_path_other_temperatures() {
    let mut rep = Report::new("every_isa_path_t");
    let row = logits_17();
    for isa in common::isas() {
        for t in [0.5f32, 2.0] {
            let p = softmax_f64(&row, t);
            let counts = with_isa(isa, || {
                METHODS.map(|m| {
                    let mut s = sampler(m, t, method_seed(m, 55_000 + (t * 10.0) as u64));
                    (m, batch_counts(&mut s, &row, Draw::Logits))
                })
            })
            .unwrap();
            for (m, c) in counts {
                rep.gof(&format!("{} v17 T={t} {m:?}", isa.name()), &c, &p);
            }
        }
    }
    rep.finish();
}

/// `Method::GumbelMax` through every way the ring hands out noise (vocab 17, T = 1,
/// batches of 4000 rows = 68 000 values): a ring smaller than a batch (`claim_into`,
/// generated at unaligned positions), a ring of 12 blocks that claims wrap around
/// (skipping the tail), and a background refiller.
#[test]
fn ring_paths() {
    use gumbel::noise::RING_BLOCK;
    let mut rep = Report::new("ring_paths");
    let row = logits_17();
    let p = softmax_f64(&row, 1.0);
    let batch = rows_per_call(row.len()) * row.len();
    assert!(5 * RING_BLOCK < batch && batch < 12 * RING_BLOCK && 2 * batch > 12 * RING_BLOCK);
    let cases = [
        (
            "ring 5 blocks < batch",
            Sampler::new(80_001).ring_capacity(5 * RING_BLOCK),
        ),
        (
            "ring 12 blocks, wrapping",
            Sampler::new(80_002).ring_capacity(12 * RING_BLOCK),
        ),
        (
            "background refill",
            Sampler::new(80_003)
                .ring_capacity(1 << 18)
                .background_refill(true),
        ),
    ];
    for (name, s) in cases {
        let mut s = s.method(Method::GumbelMax).temperature(1.0);
        let c = batch_counts(&mut s, &row, Draw::Logits);
        rep.gof(&format!("v17 T=1 GumbelMax {name}"), &c, &p);
    }
    rep.finish();
}

/// Vocabulary of 4 with p ∝ (0.1, 0.2, 0.3, 0.4).
fn logits_4() -> Vec<f32> {
    [0.1f64, 0.2, 0.3, 0.4]
        .iter()
        .map(|p| p.ln() as f32)
        .collect()
}

/// Pair counts `(a, b)` over 16 cells against `p_a p_b`.
fn pair_gof(rep: &mut Report, case: &str, pairs: impl Iterator<Item = (u32, u32)>, p: &[f64]) {
    let mut c = vec![0u64; 16];
    for (a, b) in pairs {
        c[(a * 4 + b) as usize] += 1;
    }
    let pp: Vec<f64> = (0..16).map(|k| p[k / 4] * p[k % 4]).collect();
    rep.gof(case, &c, &pp);
}

/// Consecutive draws of one sampler (`sample`, one row per call): 2·10^6 + 1 draws,
/// the non-overlapping pairs `(d_2k, d_2k+1)` and `(d_2k+1, d_2k+2)` (each 10^6 i.i.d.
/// pairs under independence, so each statistic is χ²(15)) against `p_i p_j`.
#[test]
fn independence_consecutive_draws() {
    let mut rep = Report::new("independence_consecutive");
    let row = logits_4();
    let p = softmax_f64(&row, 1.0);
    for m in METHODS {
        let mut s = sampler(m, 1.0, method_seed(m, 60_000));
        let d: Vec<u32> = (0..2 * N + 1)
            .map(|_| s.sample(&row).unwrap() as u32)
            .collect();
        for (align, name) in [(0usize, "even"), (1, "odd")] {
            let pairs = d[align..align + 2 * N]
                .chunks_exact(2)
                .map(|w| (w[0], w[1]));
            pair_gof(
                &mut rep,
                &format!("v4 consecutive {name} pairs {m:?}"),
                pairs,
                &p,
            );
        }
    }
    rep.finish();
}

/// Neighbouring rows of one batch: `sample_batch` with 20 000 identical rows of 4
/// (above the parallel threshold, so rayon splits the batch); pairs (row 2j, 2j+1) and
/// (row 2j+1, 2j+2) within each call, ≥ 10^6 of each, against `p_i p_j`.
#[test]
fn independence_neighbouring_rows() {
    let mut rep = Report::new("independence_neighbouring");
    let row = logits_4();
    let p = softmax_f64(&row, 1.0);
    let rows = 20_000;
    assert!(rows * row.len() >= gumbel::DEFAULT_PARALLEL_THRESHOLD);
    let calls = N.div_ceil(rows / 2 - 1);
    let batch = row.repeat(rows);
    for m in METHODS {
        let mut s = sampler(m, 1.0, method_seed(m, 70_000));
        let mut all = Vec::with_capacity(calls);
        let mut out = vec![0u32; rows];
        for _ in 0..calls {
            s.sample_batch(&batch, row.len(), &mut out).unwrap();
            all.push(out.clone());
        }
        let even = all
            .iter()
            .flat_map(|o| o.chunks_exact(2).map(|w| (w[0], w[1])));
        pair_gof(&mut rep, &format!("v4 rows even pairs {m:?}"), even, &p);
        let odd = all
            .iter()
            .flat_map(|o| o[1..rows - 1].chunks_exact(2).map(|w| (w[0], w[1])));
        pair_gof(&mut rep, &format!("v4 rows odd pairs {m:?}"), odd, &p);
    }
    rep.finish();
}
