//! Statistical tests of the Gumbel noise stream [`gumbel::noise::fill_gumbel`]:
//!
//! 1. goodness of fit: Kolmogorov–Smirnov against the Gumbel CDF (10^7 values on the
//!    default ISA path, 10^6 values on every ISA path);
//! 2. tail frequencies over 2^30 values (G > 10, G > 15, G > 18, G < −2.5) against the
//!    exact probabilities, and the mean and variance of the same 2^30 values;
//! 3. independence: chi-square on 16 × 16 equiprobable cells for pairs of values that the
//!    lane layout puts next to each other (consecutive positions, the same lane's
//!    consecutive outputs, neighbouring lanes of one step, adjacent streams, adjacent
//!    seeds);
//! 4. serial correlation at lags 1, 15, 16 and 17 (the lane period is 16).
//!
//! Everything is deterministic (fixed seeds, results combined in a fixed order), so a
//! run either always passes or always fails. Each threshold is stated with its
//! false-alarm probability under the null hypothesis "the noise is i.i.d. standard
//! Gumbel"; every one is below 1e-6 (most about 1e-7), and the in-test numerical checks
//! (`exact_*`) confirm the ones that rest on an approximation. Never loosen a threshold
//! to make a run pass: a failure here is a finding.
//!
//! The noise is discrete — position p is the midpoint `U = (b + ½)·2⁻³²` of one of 2³²
//! equal cells, mapped to f32 within 2e-6 of the exact `−ln(−ln U)` — so its true
//! distribution differs from the continuous Gumbel by at most about 1e-6 in CDF
//! (2⁻³³ + 2e-6 · max density 1/e). That is far below what any test here can resolve,
//! and where it matters it is accounted for at the threshold.
//!
//! Run with `cargo test --release --test noise_stats -- --nocapture` to see the
//! statistics. The whole file takes a few seconds in release on 2 cores.

mod common;

use common::stats::{
    Binomial, chi2_critical_wilson_hilferty, chi2_sf, ks_critical, ks_statistic, ln_gamma,
};

use std::f64::consts::PI;
use std::sync::OnceLock;
use std::time::Instant;

use gumbel::Gumbel;
use gumbel::noise::{self, LANES};
use gumbel::simd;
use rayon::prelude::*;

/// Euler–Mascheroni constant γ: the mean of the standard Gumbel distribution.
const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;
/// π²/6: the variance of the standard Gumbel distribution.
const VARIANCE: f64 = PI * PI / 6.0;
/// The kurtosis (not excess) of the Gumbel distribution, 5.4: `E[(X−μ)⁴] = 5.4 σ⁴`.
const KURTOSIS: f64 = 5.4;

/// Two-sided normal bound: `P(|Z| > 5.33) = 9.8e-8` for `Z ~ N(0, 1)`.
const Z_TWO_SIDED: f64 = 5.33;
/// One-sided normal quantile: `P(Z > 5.199) = 1.0e-7`.
const Z_ONE_SIDED: f64 = 5.199;
/// The false-alarm probability each individual test below is designed for.
const ALPHA: f64 = 1e-7;

// Distinct seeds, so no two tests look at the same noise.
const SEED_KS: u64 = 0x6b73_0000_0000_0001;
const SEED_KS_ISA: u64 = 0x6b73_0000_0000_0002;
const SEED_TAIL: u64 = 0x7461_696c_0000_0001;
const SEED_PAIR_CONSECUTIVE: u64 = 0x7061_6972_0000_0001;
const SEED_PAIR_SAME_LANE: u64 = 0x7061_6972_0000_0002;
const SEED_PAIR_LANES: u64 = 0x7061_6972_0000_0003;
const SEED_PAIR_STREAMS: u64 = 0x7061_6972_0000_0004;
const SEED_PAIR_SEEDS: u64 = 0x7061_6972_0000_0005; // and SEED_PAIR_SEEDS + 1
const SEED_LAG: u64 = 0x6c61_6700_0000_0001;

/// Values generated per stream in the chunked tests.
const CHUNK: usize = 1 << 20;

// ---------------------------------------------------------------------------------------
// Reference distributions, computed in f64 inside the tests
// ---------------------------------------------------------------------------------------

/// The Kolmogorov distribution's upper tail, `P(K > t) = 2 Σ_{j≥1} (−1)^{j−1} e^{−2j²t²}`.
fn kolmogorov_sf(t: f64) -> f64 {
    let mut s = 0.0;
    for j in 1..=100 {
        let j = f64::from(j);
        let term = (-2.0 * j * j * t * t).exp();
        s += if j as i32 % 2 == 1 { term } else { -term };
    }
    (2.0 * s).clamp(0.0, 1.0)
}

#[test]
fn exact_reference_distributions_are_right() {
    // Γ(½) = √π, Γ(5) = 24, Γ(7/2) = 15√π/8.
    assert!((ln_gamma(0.5) - PI.sqrt().ln()).abs() < 1e-15);
    assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-14);
    assert!((ln_gamma(3.5) - (15.0 * PI.sqrt() / 8.0).ln()).abs() < 1e-14);
    // χ²_2 is exponential with mean 2: P(χ²_2 > x) = e^{−x/2} (both branches).
    for x in [0.5, 1.0, 3.0, 10.0, 40.0] {
        let r = chi2_sf(x, 2.0) / (-x / 2.0).exp() - 1.0;
        assert!(r.abs() < 1e-12, "chi2_sf({x}, 2): relative error {r:e}");
    }
    // χ²_1: P(χ²_1 > 3.841458820694124) = 0.05 (table value).
    assert!((chi2_sf(3.841_458_820_694_124, 1.0) - 0.05).abs() < 1e-12);
    // Kolmogorov: P(K > 1.3580986393225507) = 0.05 (table value).
    assert!((kolmogorov_sf(1.358_098_639_322_550_7) - 0.05).abs() < 1e-9);
    // Binomial: small cases against direct sums.
    let b = Binomial { n: 20, p: 0.3 };
    let pmf = |k: u64| b.ln_pmf(k).exp();
    let direct_upper: f64 = (10..=20).map(pmf).sum();
    let direct_lower: f64 = (0..=3).map(pmf).sum();
    assert!((b.upper(10) / direct_upper - 1.0).abs() < 1e-12);
    assert!((b.lower(3) / direct_lower - 1.0).abs() < 1e-12);
    assert!(((0..=20).map(pmf).sum::<f64>() - 1.0).abs() < 1e-12);
    // C(20, 6) 0.3^6 0.7^14 = 38760 · 0.000729 · 0.7^14.
    assert!((pmf(6) / (38760.0 * 0.000729 * 0.7f64.powi(14)) - 1.0).abs() < 1e-12);
}

// ---------------------------------------------------------------------------------------
// 1. Kolmogorov–Smirnov
// ---------------------------------------------------------------------------------------

// The critical value is `ks_critical(ALPHA)`, `sqrt(-ln(alpha/2)/2)` for `alpha = 1e-7`:
// ≈ 2.8992. By the Dvoretzky–Kiefer–Wolfowitz inequality with Massart's constant,
// `P(√n·D > t) ≤ 2 e^{−2t²}` for every `n` (and the Kolmogorov limit agrees), so the
// false-alarm probability is at most 1e-7 for a continuous null. The noise's own CDF
// differs from the Gumbel CDF by at most ~7.4e-7 (module docs), which moves √n·D by at
// most 0.0024 at n = 10^7: the false alarm is then at most
// `2 e^{−2 (2.8992 − 0.0024)²} ≈ 1.03e-7`.

/// The exact KS distance `D = sup |F_n − F|` of finite noise against the standard
/// Gumbel CDF (`common::stats::ks_statistic`). Sorts `x`.
fn ks_gumbel(x: &mut [f32]) -> f64 {
    assert!(x.iter().all(|v| v.is_finite()), "non-finite noise");
    ks_statistic(x, |v| Gumbel::STANDARD.cdf(v))
}

#[test]
fn ks_ten_million_values_default_isa() {
    let t0 = Instant::now();
    const N: usize = 10_000_000;
    let mut x = vec![0f32; N];
    noise::fill_gumbel(SEED_KS, 0, &mut x);
    let d = ks_gumbel(&mut x);
    let stat = d * (N as f64).sqrt();
    let crit = ks_critical(ALPHA);
    println!(
        "KS [{}] n = {N}: D = {d:.3e}, sqrt(n)·D = {stat:.4} (critical {crit:.4}, Kolmogorov p = {:.3}); \
         range [{}, {}]  ({:.2?})",
        simd::Isa::active(),
        kolmogorov_sf(stat),
        x[0],
        x[N - 1],
        t0.elapsed()
    );
    // Documented range [−ln(33 ln 2), −ln(−ln(1 − 2⁻³³))] ≈ [−3.12999, 22.87388]
    // (deterministic).
    assert!(
        x[0] >= -3.13 && x[N - 1] <= 22.874,
        "values outside the documented range"
    );
    assert!(
        stat <= crit,
        "KS: sqrt(n)·D = {stat} > {crit} (false-alarm probability ≤ 1.03e-7)"
    );
}

#[test]
fn ks_one_million_values_every_isa() {
    // The same stream on every path: the raw bits are identical by design, so the
    // statistics should agree to the map's rounding; each comparison has false-alarm
    // probability ≤ 1.01e-7 (DKW; the discreteness shift is ≤ 0.0008 at n = 10^6), so
    // ≤ 4e-7 for up to four paths together.
    const N: usize = 1_000_000;
    let crit = ks_critical(ALPHA);
    for isa in common::isas() {
        let t0 = Instant::now();
        let mut x = vec![0f32; N];
        simd::with_isa(isa, || noise::fill_gumbel(SEED_KS_ISA, 0, &mut x)).unwrap();
        let d = ks_gumbel(&mut x);
        let stat = d * (N as f64).sqrt();
        println!(
            "KS [{isa:>8}] n = {N}: D = {d:.3e}, sqrt(n)·D = {stat:.4} (critical {crit:.4}, Kolmogorov p = {:.3})  ({:.2?})",
            kolmogorov_sf(stat),
            t0.elapsed()
        );
        assert!(stat <= crit, "KS [{isa}]: sqrt(n)·D = {stat} > {crit}");
    }
}

// ---------------------------------------------------------------------------------------
// 2. Tails and moments over 2^30 values
// ---------------------------------------------------------------------------------------

/// Streams 0..1024 of `SEED_TAIL`, 2^20 values each: 2^30 values.
const TAIL_STREAMS: u64 = 1024;

#[derive(Clone, Copy, Default, Debug)]
struct BigRun {
    n: u64,
    above_10: u64,
    above_15: u64,
    above_18: u64,
    below_minus_2_5: u64,
    non_finite: u64,
    /// Σ (x − γ) and Σ (x − γ)², centred at the true mean for accuracy.
    sum_dev: f64,
    sum_dev2: f64,
    min: f32,
    max: f32,
}

fn chunk_stats(stream: u64, buf: &mut [f32]) -> BigRun {
    noise::fill_gumbel(SEED_TAIL, stream, buf);
    let mut r = BigRun {
        n: buf.len() as u64,
        min: f32::INFINITY,
        max: f32::NEG_INFINITY,
        ..Default::default()
    };
    let (mut a10, mut a15, mut a18, mut b25, mut bad) = (0u64, 0u64, 0u64, 0u64, 0u64);
    // Eight independent f64 accumulators, so the loop is not one long add chain.
    assert!(buf.len().is_multiple_of(8));
    let (mut s1, mut s2) = ([0f64; 8], [0f64; 8]);
    let (mut lo, mut hi) = ([f32::INFINITY; 8], [f32::NEG_INFINITY; 8]);
    for ch in buf.chunks_exact(8) {
        for k in 0..8 {
            let v = ch[k];
            a10 += u64::from(v > 10.0);
            a15 += u64::from(v > 15.0);
            a18 += u64::from(v > 18.0);
            b25 += u64::from(v < -2.5);
            bad += u64::from(!v.is_finite());
            let d = f64::from(v) - EULER_GAMMA;
            s1[k] += d;
            s2[k] += d * d;
            lo[k] = lo[k].min(v);
            hi[k] = hi[k].max(v);
        }
    }
    r.above_10 = a10;
    r.above_15 = a15;
    r.above_18 = a18;
    r.below_minus_2_5 = b25;
    r.non_finite = bad;
    r.sum_dev = s1.iter().sum();
    r.sum_dev2 = s2.iter().sum();
    r.min = lo.iter().copied().fold(f32::INFINITY, f32::min);
    r.max = hi.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    r
}

/// The 2^30-value run, computed once and shared by the tail and moment tests.
fn big_run() -> &'static BigRun {
    static RUN: OnceLock<BigRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let t0 = Instant::now();
        // Collected in stream order and summed sequentially: the f64 sums do not depend
        // on how rayon splits the work.
        let parts: Vec<BigRun> = (0..TAIL_STREAMS)
            .into_par_iter()
            .map_init(|| vec![0f32; CHUNK], |buf, s| chunk_stats(s, buf))
            .collect();
        let mut t = BigRun {
            min: f32::INFINITY,
            max: f32::NEG_INFINITY,
            ..Default::default()
        };
        for p in &parts {
            t.n += p.n;
            t.above_10 += p.above_10;
            t.above_15 += p.above_15;
            t.above_18 += p.above_18;
            t.below_minus_2_5 += p.below_minus_2_5;
            t.non_finite += p.non_finite;
            t.sum_dev += p.sum_dev;
            t.sum_dev2 += p.sum_dev2;
            t.min = t.min.min(p.min);
            t.max = t.max.max(p.max);
        }
        println!(
            "2^30-value run [{}]: {} values in {:.2?}; range [{}, {}]",
            simd::Isa::active(),
            t.n,
            t0.elapsed(),
            t.min,
            t.max
        );
        t
    })
}

/// The probability, under the *discrete* noise (2³² equally likely inputs `b`, the map
/// increasing in `b`), that `G > x` (`above`) or `G < x` (`!above`): a binary search for
/// the boundary cell with [`noise::gumbel_from_bits`]. A diagnostic: it shows how far the
/// generator's exact tail probability is from the continuous one.
fn discrete_tail_probability(x: f32, above: bool) -> f64 {
    let g = |b: u64| {
        let mut out = [0f32];
        noise::gumbel_from_bits(&[b as u32], &mut out).unwrap();
        out[0]
    };
    // Smallest b with pred(b) true, where pred is monotone (false … true).
    let pred = |b: u64| if above { g(b) > x } else { g(b) >= x };
    let (mut lo, mut hi) = (0u64, 1u64 << 32);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if pred(mid) { hi = mid } else { lo = mid + 1 }
    }
    let cells = if above { (1u64 << 32) - lo } else { lo };
    cells as f64 * 2f64.powi(-32)
}

#[test]
fn tail_frequencies_over_2_pow_30_values() {
    let run = big_run();
    let n = run.n;
    assert_eq!(n, 1 << 30);
    // Deterministic: no NaN or ±inf, and inside the documented range ≈ [−3.12999, 22.87388].
    assert_eq!(run.non_finite, 0, "non-finite noise values");
    assert!(
        run.min >= -3.13 && run.max <= 22.874,
        "range [{}, {}]",
        run.min,
        run.max
    );
    let g = Gumbel::STANDARD;
    // (label, count, exact continuous probability, threshold, upper tail?)
    let cases = [
        ("G > 10  ", run.above_10, g.sf(10.0), 10.0f32, true),
        ("G > 15  ", run.above_15, g.sf(15.0), 15.0, true),
        ("G > 18  ", run.above_18, g.sf(18.0), 18.0, true),
        ("G < -2.5", run.below_minus_2_5, g.cdf(-2.5), -2.5, false),
    ];
    let mut failures = Vec::new();
    for (label, count, p, x, above) in cases {
        let b = Binomial { n, p };
        let (mean, sd) = (b.mean(), b.sd());
        let z = (count as f64 - mean) / sd;
        let p_exact = b.two_sided_p(count);
        // The generator's exact (discrete) tail probability differs from p by at most a
        // few of the 2^-32 cells: ≤ 1 expected count here, against a standard deviation
        // ≥ 4. Checked (deterministic), and printed.
        let p_disc = discrete_tail_probability(x, above);
        assert!(
            ((p_disc - p) * n as f64).abs() < 1.0,
            "{label}: discrete probability {p_disc:e} vs continuous {p:e}"
        );
        if mean > 100.0 {
            // Normal bound |z| ≤ 5.33: two-sided normal tail 9.8e-8. Its exact binomial
            // false-alarm probability is computed here: 9.8e-8 (G > 10), 1.55e-7 (G > 15,
            // skewed Poisson-like upper tail), 1.05e-7 (G < −2.5); asserted < 1e-6.
            let fa = b.prob_beyond_z(Z_TWO_SIDED);
            println!(
                "{label}: count {count:>6}, expected {mean:>10.2} (discrete {:>10.2}), z = {z:+.3} \
                 (bound ±{Z_TWO_SIDED}, exact false alarm {fa:.2e}), exact two-sided p = {p_exact:.3}",
                p_disc * n as f64
            );
            assert!(
                fa < 1e-6,
                "{label}: the z bound's false alarm {fa:e} is not below 1e-6"
            );
            if z.abs() > Z_TWO_SIDED {
                failures.push(format!(
                    "{label}: count {count}, expected {mean:.2}, z = {z:+.3}"
                ));
            }
        } else {
            // n·p ≈ 16.35: the normal approximation is poor (|z| ≤ 5.33 would have a
            // 3.4e-6 false alarm). Exact equal-tailed binomial interval at alpha = 1e-7:
            // each tail ≤ 5e-8; the exact false-alarm probability is computed and printed
            // (≤ 1e-7 by construction; the lower tail is empty since P(X = 0) ≈ 7.9e-8).
            let (lo, hi, fa) = b.acceptance_interval(ALPHA);
            println!(
                "{label}: count {count:>6}, expected {mean:>10.2} (discrete {:>10.2}), z = {z:+.3}; \
                 exact acceptance [{lo}, {hi}] (false alarm {fa:.2e}), exact two-sided p = {p_exact:.3}",
                p_disc * n as f64
            );
            assert!(fa <= ALPHA);
            if !(lo..=hi).contains(&count) {
                failures.push(format!(
                    "{label}: count {count} outside the exact interval [{lo}, {hi}]"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "tail frequencies: {failures:#?}");
}

#[test]
fn mean_and_variance_over_2_pow_30_values() {
    let run = big_run();
    let n = run.n as f64;
    let dev = run.sum_dev / n; // sample mean − γ
    let mean = EULER_GAMMA + dev;
    let var = run.sum_dev2 / n - dev * dev;
    // Standard errors: σ/√n for the mean; σ² √((κ − 1)/n) for the sample variance, with
    // kurtosis κ = 5.4. Both statistics are sums of 2^30 i.i.d. terms with all moments
    // finite, so the normal bound |z| ≤ 5.33 has false-alarm probability ≈ 9.8e-8 each
    // (≈ 2e-7 for the test). The discreteness bias (≲ 1e-6 in the mean) is below 0.03 SE.
    let se_mean = (VARIANCE / n).sqrt();
    let se_var = VARIANCE * ((KURTOSIS - 1.0) / n).sqrt();
    let z_mean = dev / se_mean;
    let z_var = (var - VARIANCE) / se_var;
    println!(
        "moments (n = 2^30): mean {mean:.7} (γ = {EULER_GAMMA:.7}, SE {se_mean:.2e}, z = {z_mean:+.3}); \
         variance {var:.7} (π²/6 = {VARIANCE:.7}, SE {se_var:.2e}, z = {z_var:+.3}); bound ±{Z_TWO_SIDED}"
    );
    assert!(
        z_mean.abs() <= Z_TWO_SIDED,
        "mean {mean} is {z_mean:+.3} SE from γ"
    );
    assert!(
        z_var.abs() <= Z_TWO_SIDED,
        "variance {var} is {z_var:+.3} SE from π²/6"
    );
}

// ---------------------------------------------------------------------------------------
// 3. Pair independence: chi-square on 16 × 16 equiprobable cells
// ---------------------------------------------------------------------------------------

/// Pairs per pair test (≥ 4·10^6; 2^23 gives 32 768 expected per cell).
const PAIRS: u64 = 1 << 23;
/// Degrees of freedom: 256 cells, both marginals known (equiprobable by construction),
/// expected count n/256 in every cell under independence.
const PAIR_DOF: u32 = 255;

/// The 15 inner edges of 16 equiprobable Gumbel bins: `F⁻¹(i/16)`.
fn bin_edges() -> [f64; 15] {
    std::array::from_fn(|i| Gumbel::STANDARD.quantile((i + 1) as f64 / 16.0))
}

#[inline]
fn bin16(edges: &[f64; 15], v: f32) -> usize {
    let v = f64::from(v);
    edges.iter().filter(|&&e| e < v).count()
}

/// The counts of one pair test: `units` independent units, each filling `table` (via
/// `add(x, y)`), combined in a fixed order (integer sums: order-free anyway).
fn pair_table<F>(units: u64, f: F) -> [u64; 256]
where
    F: Fn(u64, &mut dyn FnMut(f32, f32)) + Sync,
{
    let edges = bin_edges();
    (0..units)
        .into_par_iter()
        .map(|u| {
            let mut t = [0u64; 256];
            f(u, &mut |x, y| {
                t[16 * bin16(&edges, x) + bin16(&edges, y)] += 1
            });
            t
        })
        .reduce(
            || [0u64; 256],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
                a
            },
        )
}

/// Chi-square of a 16 × 16 table against the uniform (independent, equiprobable) null,
/// checked against the Wilson–Hilferty critical value for alpha = 1e-7.
fn check_pairs(label: &str, table: &[u64; 256]) {
    let n: u64 = table.iter().sum();
    assert!(n >= 4_000_000, "{label}: only {n} pairs");
    let e = n as f64 / 256.0;
    let chi2: f64 = table.iter().map(|&o| (o as f64 - e).powi(2) / e).sum();
    let (worst, worst_z) = table
        .iter()
        .enumerate()
        .map(|(i, &o)| (i, (o as f64 - e) / e.sqrt()))
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .unwrap();
    // Critical value: Wilson–Hilferty with z = 5.199 (one-sided 1e-7) at 255 dof,
    // ≈ 390.47; its exact chi-square tail is computed here (9.6e-8) and asserted to be
    // below 1e-6. The discreteness of the noise changes the cell probabilities by
    // ≲ 1e-5 relative, which shifts the statistic by ≪ 1.
    let crit = chi2_critical_wilson_hilferty(PAIR_DOF, Z_ONE_SIDED);
    let fa = chi2_sf(crit, f64::from(PAIR_DOF));
    println!(
        "pairs {label}: n = {n}, chi2 = {chi2:.2} (dof {PAIR_DOF}, critical {crit:.2}, exact false alarm {fa:.2e}), \
         p = {:.3}; largest cell deviation {worst_z:+.2} sd at ({}, {})",
        chi2_sf(chi2, f64::from(PAIR_DOF)),
        worst / 16,
        worst % 16
    );
    assert!(
        fa < 1e-6,
        "Wilson–Hilferty critical value {crit} has exact tail {fa:e}"
    );
    assert!(chi2 <= crit, "pairs {label}: chi2 = {chi2} > {crit}");
}

#[test]
fn pairs_consecutive_positions() {
    // (x[i], x[i+1]) with i = 17 j: disjoint pairs, every lane adjacency equally often
    // (i mod 16 runs through all 16 lanes), including lane 15 → lane 0 of the next step.
    const PER_STREAM: usize = 16 * 3855; // 17·61680 + 1 ≤ 2^20
    let units = PAIRS.div_ceil(PER_STREAM as u64);
    let t = pair_table(units, |s, add| {
        let mut x = vec![0f32; CHUNK];
        noise::fill_gumbel(SEED_PAIR_CONSECUTIVE, s, &mut x);
        for j in 0..PER_STREAM {
            add(x[17 * j], x[17 * j + 1]);
        }
    });
    check_pairs("(x[i], x[i+1])            ", &t);
}

#[test]
fn pairs_same_lane_consecutive_outputs() {
    // (x[i], x[i+16]): consecutive outputs of one xoshiro lane; disjoint pairs from
    // positions 32k + l and 32k + 16 + l, every lane.
    let units = PAIRS.div_ceil((CHUNK / 2) as u64);
    let t = pair_table(units, |s, add| {
        let mut x = vec![0f32; CHUNK];
        noise::fill_gumbel(SEED_PAIR_SAME_LANE, s, &mut x);
        for k in 0..CHUNK / (2 * LANES) {
            for l in 0..LANES {
                add(x[2 * LANES * k + l], x[2 * LANES * k + LANES + l]);
            }
        }
    });
    check_pairs("(x[i], x[i+16]) same lane ", &t);
}

#[test]
fn pairs_neighbouring_lanes_same_step() {
    // (x[16k + l], x[16k + l + 1]) with l = k mod 15: lanes l and l + 1 of step k,
    // every neighbouring pair of lanes, one disjoint pair per step.
    let units = PAIRS.div_ceil((CHUNK / LANES) as u64);
    let t = pair_table(units, |s, add| {
        let mut x = vec![0f32; CHUNK];
        noise::fill_gumbel(SEED_PAIR_LANES, s, &mut x);
        for k in 0..CHUNK / LANES {
            let i = LANES * k + k % (LANES - 1);
            add(x[i], x[i + 1]);
        }
    });
    check_pairs("lanes (l, l+1), same step ", &t);
}

#[test]
fn pairs_adjacent_streams_same_position() {
    // (x_s[i], x_{s+1}[i]) for streams s = 2u, s + 1 = 2u + 1 of one seed.
    let units = PAIRS.div_ceil(CHUNK as u64);
    let t = pair_table(units, |u, add| {
        let (mut x, mut y) = (vec![0f32; CHUNK], vec![0f32; CHUNK]);
        noise::fill_gumbel(SEED_PAIR_STREAMS, 2 * u, &mut x);
        noise::fill_gumbel(SEED_PAIR_STREAMS, 2 * u + 1, &mut y);
        x.iter().zip(&y).for_each(|(&a, &b)| add(a, b));
    });
    check_pairs("streams (s, s+1), same pos", &t);
}

#[test]
fn pairs_adjacent_seeds_same_stream_and_position() {
    // (x[i] of (seed, u), x[i] of (seed + 1, u)).
    let units = PAIRS.div_ceil(CHUNK as u64);
    let t = pair_table(units, |u, add| {
        let (mut x, mut y) = (vec![0f32; CHUNK], vec![0f32; CHUNK]);
        noise::fill_gumbel(SEED_PAIR_SEEDS, u, &mut x);
        noise::fill_gumbel(SEED_PAIR_SEEDS + 1, u, &mut y);
        x.iter().zip(&y).for_each(|(&a, &b)| add(a, b));
    });
    check_pairs("seeds (s, s+1), same pos  ", &t);
}

// ---------------------------------------------------------------------------------------
// 4. Serial correlation
// ---------------------------------------------------------------------------------------

#[test]
fn serial_correlation_at_lane_lags() {
    // r_k = Σ_{i<n−k} (x_i − x̄)(x_{i+k} − x̄) / Σ (x_i − x̄)²; under independence √n·r_k
    // → N(0, 1) (the products are uncorrelated with variance σ⁴; skewness of the sum
    // ~4e-4, negligible). Bound |√n·r_k| ≤ 5.33: false alarm 9.8e-8 per lag, ≤ 3.9e-7
    // for the four lags. Lag 1 = neighbouring lanes, 16 = the same lane's next output,
    // 15 and 17 = (mostly) neighbouring lanes at the next step.
    const N: usize = 10_000_000;
    let mut x = vec![0f32; N];
    noise::fill_gumbel(SEED_LAG, 0, &mut x);
    let d: Vec<f64> = {
        let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / N as f64;
        x.iter().map(|&v| f64::from(v) - mean).collect()
    };
    let denom: f64 = d.iter().map(|v| v * v).sum();
    for k in [1usize, 15, 16, 17] {
        let num: f64 = d.iter().zip(&d[k..]).map(|(a, b)| a * b).sum();
        let r = num / denom;
        let z = r * (N as f64).sqrt();
        println!(
            "serial correlation lag {k:>2}: r = {r:+.3e}, sqrt(n)·r = {z:+.3} (bound ±{Z_TWO_SIDED})"
        );
        assert!(z.abs() <= Z_TWO_SIDED, "lag {k}: sqrt(n)·r = {z}");
    }
}
