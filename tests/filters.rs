//! The filters (min-p → top-k → top-p, ties kept) against a sort-based f64 reference
//! (`common::filter_ref`), on every ISA path.
//!
//! 1. `kept_floor`'s set (`x >= floor`, unmasked) equals the reference on random rows
//!    of every size 1..=300 and of 32000 and 128256 entries: continuous values, values
//!    from a small set (ties everywhere), bf16- and f16-rounded rows (through the
//!    16-bit entry points too), masked entries, a huge gap, plateaus below the maximum
//!    (the top-p pivots' worst case), with `k >= kept`, `k = 1`, `p = 1`, `p = 1e-6`,
//!    `min_p = 1`, tiny `min_p`, all three together, `T` in {0.3, 1, 2.5} and 0. Rows
//!    whose top-p target lies within 1e-5 (relative) of a cumulative mass boundary
//!    may legitimately cut at a neighbouring value (the implementation sums f32
//!    exponentials): they are counted as ambiguous and checked against the cuts a
//!    mass error of that size admits (`RefCut::accepts`), never skipped. Below 32000
//!    entries the ambiguous share must stay under 1%; on the long rows, nuclei deep in
//!    a flat tail are ambiguous by construction and the share is only reported.
//! 2. Every method (ring Gumbel-max, fused Gumbel-max, roulette), through
//!    `sample_batch_with`, `sample_batch_keyed_with` and `sample_batch_logprobs`, on
//!    f32, bf16 and f16 rows, never returns a token outside the reference kept set
//!    (and at `T = 0` returns the first index of the maximum), on adversarial rows:
//!    all equal, two values, one huge gap, ties at the k-th value, min-p boundary
//!    values one ulp either side, masks.
//! 3. Validation: bad temperature / top_p / min_p give `InvalidSamplingParam` naming the
//!    row and the parameter, before any randomness is used, with `out` untouched;
//!    `params` of the wrong length is a `LengthMismatch`; `top_n = 21` is an error.

mod common;

use common::filter_ref::{
    RefCut, kept_from_floor, reference_cut, reference_cut_sorted, sorted_desc,
};
use common::rng::{Draws, Rng, splitmix};
use common::{METHODS, NEG_INF, first_argmax};
use gumbel::half::{bf16, f16};
use gumbel::simd::{Backend, Isa, with_isa};
use gumbel::{
    Element, Error, Logprobs, Sampler, SamplingParams, TokenLogprob, TopLogprob, kept_floor,
};

// ---------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------

/// The kinds of random rows.
const KINDS: usize = 8;

/// A random row of `n` entries of kind `kind` (at least one finite entry).
fn row(rng: &mut impl Rng, n: usize, kind: usize) -> Vec<f32> {
    let sd = [0.5, 2.0, 6.0][rng.below(3)];
    let mut x: Vec<f32> = match kind {
        // continuous
        0 => (0..n).map(|_| (rng.normal() * sd) as f32).collect(),
        // a small set of values: ties everywhere
        1 => {
            let vals: Vec<f32> = (0..rng.between(1, 5))
                .map(|_| rng.between(0, 40) as f32 * 0.25 - 5.0)
                .collect();
            (0..n).map(|_| vals[rng.below(vals.len())]).collect()
        }
        // bf16-rounded: many ties at large n
        2 => (0..n)
            .map(|_| bf16::from_f32((rng.normal() * 3.0) as f32).to_f32())
            .collect(),
        // f16-rounded, narrow: ties
        3 => (0..n)
            .map(|_| f16::from_f32((rng.normal() * 0.7) as f32).to_f32())
            .collect(),
        // masked entries
        4 => (0..n)
            .map(|_| {
                if rng.below(10) < 3 {
                    NEG_INF
                } else {
                    (rng.normal() * sd) as f32
                }
            })
            .collect(),
        // one huge gap
        5 => {
            let mut x: Vec<f32> = (0..n).map(|_| rng.normal() as f32).collect();
            let j = rng.below(n);
            x[j] = 30.0 + rng.uniform() as f32 * 60.0;
            x
        }
        // a plateau below the maximum: one top token, the rest near m − d (the top-p
        // pivots sit at 0, 1, 2, 3, 4.5, 6.5, 9.5, 14 temperatures below m)
        6 => {
            let d = [0.5, 3.0, 5.0, 8.0, 12.0, 16.0, 30.0][rng.below(7)];
            let mut x: Vec<f32> = (0..n).map(|_| (-d + rng.normal() * 0.05) as f32).collect();
            x[rng.below(n)] = 0.0;
            x
        }
        // mostly masked: one to three finite entries
        _ => {
            let mut x = vec![NEG_INF; n];
            for _ in 0..rng.between(1, 3) {
                x[rng.below(n)] = (rng.normal() * sd) as f32;
            }
            x
        }
    };
    if x.iter().all(|&v| v == NEG_INF) {
        x[rng.below(n)] = 0.0;
    }
    x
}

/// Parameter sets for a row of `n` entries: the named edge cases at each temperature
/// (and one greedy set), then `random` random combinations.
fn params_for(rng: &mut impl Rng, n: usize, random: usize) -> Vec<SamplingParams> {
    let d = SamplingParams::default();
    let mut v = Vec::new();
    for t in [0.3f32, 1.0, 2.5] {
        let p = d.temperature(t);
        v.extend([
            p,
            p.top_k(1),
            p.top_k(2),
            p.top_k(n),     // k >= kept: no-op
            p.top_k(n + 7), // k > n
            p.top_p(1.0),
            p.top_p(1e-6),
            p.top_p(0.5),
            p.top_p(0.9),
            p.min_p(1.0),
            p.min_p(1e-6),
            p.min_p(1e-30),
            p.min_p(0.1),
            p.top_k(3).top_p(0.8).min_p(0.05),
            p.top_k(1).top_p(1e-6).min_p(1.0),
        ]);
    }
    v.push(d.temperature(0.0).top_k(3).top_p(0.5).min_p(0.2));
    for _ in 0..random {
        v.push(random_params(rng, n));
    }
    v
}

/// A random combination of temperature and filters.
fn random_params(rng: &mut impl Rng, n: usize) -> SamplingParams {
    let t = [0.3f32, 1.0, 2.5, 0.7, 1.8][rng.below(5)];
    let k = match rng.below(6) {
        0 | 1 => 0,
        2 => 1,
        3 => rng.between(1, n),
        4 => rng.between(1, 64),
        _ => n + rng.below(3),
    };
    let p = match rng.below(7) {
        0 | 1 => 1.0,
        2 => 1e-6,
        3 => 0.9,
        4 => 0.99,
        _ => rng.uniform() as f32,
    };
    let mp = match rng.below(7) {
        0 | 1 => 0.0,
        2 => 1.0,
        3 => 1e-6,
        4 => 0.05,
        _ => (rng.uniform() * rng.uniform()) as f32,
    };
    SamplingParams::default()
        .temperature(t)
        .top_k(k)
        .top_p(p.max(f32::MIN_POSITIVE))
        .min_p(mp)
}

// ---------------------------------------------------------------------------------
// kept_floor against the reference
// ---------------------------------------------------------------------------------

/// Comparison counts of one test.
#[derive(Default)]
struct Tally {
    /// Unambiguous rows, compared exactly.
    exact: u64,
    /// Ambiguous top-p rows, checked against the admissible cuts.
    ambiguous: u64,
    /// Of those, how many the implementation cut exactly where the f64 reference did.
    ambiguous_same: u64,
    /// The most admissible cuts of one row.
    widest: usize,
    failures: Vec<String>,
}

impl Tally {
    fn check(&mut self, what: &str, x: &[f32], p: &SamplingParams, r: &RefCut, got: Vec<bool>) {
        if r.ambiguous {
            self.ambiguous += 1;
            self.ambiguous_same += u64::from(got == r.kept);
            self.widest = self.widest.max(r.admissible.len());
        } else {
            self.exact += 1;
        }
        if !r.accepts(&got) && self.failures.len() < 20 {
            let diff: Vec<(usize, f32, bool)> = (0..x.len())
                .filter(|&i| got[i] != r.kept[i])
                .take(8)
                .map(|i| (i, x[i], r.kept[i]))
                .collect();
            self.failures.push(format!(
                "{what}: n={} {p:?}: ref keeps {} (admissible {:?}), impl keeps {}; first diffs (i, x, ref) {diff:?}",
                x.len(),
                r.count(),
                &r.admissible[..r.admissible.len().min(6)],
                got.iter().filter(|&&k| k).count()
            ));
        }
    }

    /// Panic on any mismatch, or if more than `max_ambiguous` of the comparisons
    /// were ambiguous (`None`: no bound, see the call).
    fn finish(self, test: &str, max_ambiguous: Option<f64>) {
        let total = self.exact + self.ambiguous;
        let frac = self.ambiguous as f64 / total.max(1) as f64;
        println!(
            "{test}: {total} rows×params×ISAs: {} exact, {} top-p-ambiguous ({:.3}%; \
             {} of them cut where the f64 reference cuts; at most {} admissible cuts)",
            self.exact,
            self.ambiguous,
            100.0 * frac,
            self.ambiguous_same,
            self.widest
        );
        assert!(
            self.failures.is_empty(),
            "{test}: {} mismatches:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
        assert!(
            max_ambiguous.is_none_or(|m| frac < m),
            "{test}: {} of {total} comparisons ambiguous",
            self.ambiguous
        );
    }
}

/// The implementation's kept set of an f32 row on `isa`.
fn impl_kept(isa: Isa, x: &[f32], p: &SamplingParams) -> Vec<bool> {
    let floor = with_isa(isa, || kept_floor(x, p)).unwrap().unwrap();
    kept_from_floor(x, floor)
}

/// The implementation's kept set through a 16-bit entry point (`x` holds exactly
/// representable values).
fn impl_kept_half<H: Element>(
    isa: Isa,
    x: &[f32],
    conv: fn(f32) -> H,
    p: &SamplingParams,
) -> Vec<bool> {
    let h: Vec<H> = x.iter().map(|&v| conv(v)).collect();
    let floor = with_isa(isa, || kept_floor(&h, p)).unwrap().unwrap();
    kept_from_floor(x, floor)
}

#[test]
fn kept_set_matches_the_reference_every_size_1_to_300() {
    let isas = common::isas();
    let mut tally = Tally::default();
    let mut rng = splitmix(0xF117_0001);
    for n in 1..=300usize {
        for kind in 0..KINDS {
            let x = row(&mut rng, n, kind);
            let order = sorted_desc(&x);
            // the named cases on a few kinds, random combinations on all
            let params = if kind % 3 == n % 3 {
                params_for(&mut rng, n, 3)
            } else {
                (0..4).map(|_| random_params(&mut rng, n)).collect()
            };
            for p in &params {
                let r = reference_cut_sorted(&x, &order, p);
                for &isa in &isas {
                    tally.check(
                        &format!("{isa} kind {kind}"),
                        &x,
                        p,
                        &r,
                        impl_kept(isa, &x, p),
                    );
                }
            }
        }
    }
    tally.finish("sizes 1..=300", Some(0.01));
}

#[test]
fn kept_set_matches_the_reference_on_32000_and_128256() {
    let isas = common::isas();
    let mut tally = Tally::default();
    let mut rng = splitmix(0xF117_0002);
    for n in [32000usize, 128256] {
        for kind in 0..KINDS {
            let x = row(&mut rng, n, kind);
            let order = sorted_desc(&x);
            let mut params = params_for(&mut rng, n, 12);
            // top-k in the thousands and nuclei that reach deep into a long row
            for t in [0.3f32, 1.0, 2.5] {
                let p = SamplingParams::default().temperature(t);
                params.extend([
                    p.top_k(1000),
                    p.top_k(20000),
                    p.top_p(0.99),
                    p.top_p(0.999),
                    p.top_k(5000).top_p(0.95),
                    p.top_p(0.95).min_p(1e-4),
                ]);
            }
            for p in &params {
                let r = reference_cut_sorted(&x, &order, p);
                for &isa in &isas {
                    tally.check(
                        &format!("{isa} kind {kind}"),
                        &x,
                        p,
                        &r,
                        impl_kept(isa, &x, p),
                    );
                }
            }
        }
    }
    // No bound on the ambiguous share here: a nucleus that reaches into a long tail of
    // tokens each carrying < 1e-5 of the kept mass (p = 0.9 … 0.999 on flat rows of
    // 10^5 entries) is ambiguous by construction. Those rows are not skipped: the
    // implementation's cut must still be one of the admissible ones.
    tally.finish("sizes 32000, 128256", None);
}

#[test]
fn kept_set_of_16_bit_rows_is_that_of_their_f32_values() {
    let isas = common::isas();
    let mut tally = Tally::default();
    let mut rng = splitmix(0xF117_0003);
    let sizes: Vec<usize> = (1..=70).chain([255, 256, 257, 1000, 32000]).collect();
    for &n in &sizes {
        for kind in [0usize, 1, 4, 5, 6] {
            let raw = row(&mut rng, n, kind);
            let xb: Vec<f32> = raw.iter().map(|&v| bf16::from_f32(v).to_f32()).collect();
            let xh: Vec<f32> = raw.iter().map(|&v| f16::from_f32(v).to_f32()).collect();
            let (ob, oh) = (sorted_desc(&xb), sorted_desc(&xh));
            let params: Vec<SamplingParams> = if n >= 1000 {
                params_for(&mut rng, n, 6)
            } else {
                (0..6).map(|_| random_params(&mut rng, n)).collect()
            };
            for p in &params {
                let (rb, rh) = (
                    reference_cut_sorted(&xb, &ob, p),
                    reference_cut_sorted(&xh, &oh, p),
                );
                for &isa in &isas {
                    let what = format!("{isa} bf16 kind {kind}");
                    tally.check(
                        &what,
                        &xb,
                        p,
                        &rb,
                        impl_kept_half(isa, &xb, bf16::from_f32, p),
                    );
                    let what = format!("{isa} f16 kind {kind}");
                    tally.check(
                        &what,
                        &xh,
                        p,
                        &rh,
                        impl_kept_half(isa, &xh, f16::from_f32, p),
                    );
                }
            }
        }
    }
    tally.finish("bf16 / f16 rows", Some(0.01));
}

#[test]
fn kept_set_edge_cases() {
    let isas = common::isas();
    let d = SamplingParams::default();
    let mut cases: Vec<(Vec<f32>, SamplingParams, Vec<usize>)> = Vec::new();
    // all equal: every filter keeps everything (ties at every threshold)
    for p in [
        d.top_k(1),
        d.top_p(1e-6),
        d.min_p(1.0),
        d.top_k(1).top_p(1e-6).min_p(1.0),
    ] {
        cases.push((vec![2.0; 100], p, (0..100).collect()));
    }
    // ties at the k-th value are all kept
    let x = vec![5.0, 1.0, 4.0, 4.0, NEG_INF, 4.0, 3.0, 4.0];
    cases.push((x.clone(), d.top_k(2), vec![0, 2, 3, 5, 7]));
    cases.push((x.clone(), d.top_k(5), vec![0, 2, 3, 5, 7]));
    cases.push((x.clone(), d.top_k(6), vec![0, 2, 3, 5, 6, 7]));
    cases.push((x.clone(), d.top_k(7), vec![0, 1, 2, 3, 5, 6, 7])); // k >= kept
    cases.push((x.clone(), d.top_k(1), vec![0]));
    // masked entries are never kept, even by a no-op filter
    cases.push((
        x.clone(),
        d.top_k(100).top_p(1.0).min_p(0.0),
        vec![0, 1, 2, 3, 5, 6, 7],
    ));
    // top-p: p·S lands in the tied group at 4.0 → all of it kept
    // weights e^0, e^-1 ×4: S = 1 + 4/e + e^-2 + e^-4 ≈ 2.6264; 1 / S ≈ 0.38
    cases.push((x.clone(), d.top_p(0.4), vec![0, 2, 3, 5, 7]));
    cases.push((x.clone(), d.top_p(0.3), vec![0]));
    // min-p = 1 keeps the maxima only; tiny min-p keeps everything finite
    cases.push((vec![1.0, 3.0, 3.0, -1e30], d.min_p(1.0), vec![1, 2]));
    cases.push((vec![1.0, 3.0, 3.0, -50.0], d.min_p(1e-30), vec![0, 1, 2, 3]));
    // temperature 0: the maxima, whatever the filters
    cases.push((
        vec![1.0, 3.0, 3.0, 2.0],
        d.temperature(0.0).top_k(4).top_p(1.0),
        vec![1, 2],
    ));
    // one entry
    cases.push((vec![-7.0], d.top_k(1).top_p(1e-6).min_p(1.0), vec![0]));
    for (x, p, want) in &cases {
        let r = reference_cut(x, p);
        let want_kept: Vec<bool> = (0..x.len()).map(|i| want.contains(&i)).collect();
        assert_eq!(r.kept, want_kept, "reference on {x:?} {p:?}");
        for &isa in &isas {
            assert_eq!(impl_kept(isa, x, p), want_kept, "{isa} {x:?} {p:?}");
        }
    }
}

/// min-p is exact at the f32 boundary: the entries one ulp either side of
/// `m + T·ln(min_p)` split exactly as the f64 comparison says.
#[test]
fn min_p_boundary_is_exact_to_the_ulp() {
    let isas = common::isas();
    let mut rng = splitmix(0xF117_0004);
    let mut checked = 0;
    for _ in 0..2000 {
        let t = [0.3f32, 1.0, 2.5, 0.7][rng.below(4)];
        let min_p = (rng.uniform() as f32).max(1e-6);
        let m = (rng.normal() * 5.0) as f32;
        let c = (m as f64 + t as f64 * (min_p as f64).ln()) as f32;
        let mut x = vec![m];
        let mut v = c.next_down().next_down();
        for _ in 0..5 {
            x.push(v);
            v = v.next_up();
        }
        x.push(m - 100.0);
        let p = SamplingParams::default().temperature(t).min_p(min_p);
        let r = reference_cut(&x, &p);
        let c = r.count();
        assert!(c >= 1);
        if c > 1 && c < x.len() {
            checked += 1;
        }
        for &isa in &isas {
            assert_eq!(impl_kept(isa, &x, &p), r.kept, "{isa} {x:?} {p:?}");
        }
    }
    println!("min-p boundary: {checked} rows cut inside the five-ulp window");
    assert!(checked > 1000);
}

// ---------------------------------------------------------------------------------
// Every method draws inside the kept set
// ---------------------------------------------------------------------------------

/// Adversarial rows of `cols` entries with their parameters.
fn adversarial(cols: usize, rng: &mut impl Rng) -> Vec<(Vec<f32>, SamplingParams)> {
    let d = SamplingParams::default();
    let mut rows: Vec<Vec<f32>> = Vec::new();
    // all equal
    rows.push(vec![0.5; cols]);
    // two values
    rows.push(
        (0..cols)
            .map(|i| if (i * 7) % 3 == 0 { 1.0 } else { -0.25 })
            .collect(),
    );
    // one huge gap, the rest equal
    let mut g = vec![0.0; cols];
    g[cols / 2] = 60.0;
    rows.push(g);
    // one huge gap, the rest distinct
    let mut g: Vec<f32> = (0..cols).map(|i| (i % 11) as f32 * 0.1).collect();
    g[cols - 1] = 45.0;
    rows.push(g);
    // ties at the 3rd value: 9, 8, then 7 × many, then lower
    rows.push(
        (0..cols)
            .map(|i| match i % 9 {
                0 if i == 0 => 9.0,
                1 if i == 1 => 8.0,
                2 | 5 | 7 => 7.0,
                _ => 6.0 - (i % 4) as f32,
            })
            .collect(),
    );
    // masks, the maximum tied twice
    rows.push(
        (0..cols)
            .map(|i| match i % 5 {
                0 | 3 => NEG_INF,
                1 if i < 10 => 2.0,
                _ => (i % 13) as f32 * 0.125 - 1.0,
            })
            .collect(),
    );
    // a continuous row
    rows.push((0..cols).map(|_| (rng.normal() * 2.0) as f32).collect());
    let params = [
        d.top_k(1),
        d.top_k(3),
        d.top_k(cols + 1),
        d.temperature(0.3).top_p(0.5),
        d.temperature(2.5).top_p(1e-6),
        d.top_p(0.9),
        d.min_p(0.5),
        d.min_p(1.0),
        d.temperature(0.7).min_p(1e-6),
        d.top_k(3).top_p(0.8).min_p(0.1),
        d.temperature(1.8).top_k(5).top_p(0.6).min_p(0.02),
        d.temperature(0.0).top_k(3).top_p(0.2).min_p(0.5),
    ];
    let mut out = Vec::new();
    for (i, x) in rows.iter().enumerate() {
        if x.iter().all(|&v| v == NEG_INF) {
            continue;
        }
        for (j, p) in params.iter().enumerate() {
            // thin the cross product a little; every row meets every parameter at
            // least for a few column counts
            if (i + j + cols).is_multiple_of(2) || j >= 9 {
                out.push((x.clone(), *p));
            }
        }
    }
    // min-p boundary values one ulp either side of m + T·ln(min_p)
    for (t, mp) in [(1.0f32, 0.5f32), (0.7, 0.2), (1.8, 0.05)] {
        let c = (t as f64 * (mp as f64).ln()) as f32;
        let x: Vec<f32> = (0..cols)
            .map(|i| match i % 4 {
                0 => 0.0,
                1 => c.next_down(),
                2 => c,
                _ => c.next_up(),
            })
            .collect();
        out.push((x, d.temperature(t).min_p(mp)));
    }
    out
}

trait Half: Element {
    const NAME: &'static str;
    fn from(v: f32) -> Self;
}
impl Half for f32 {
    const NAME: &'static str = "f32";
    fn from(v: f32) -> Self {
        v
    }
}
impl Half for bf16 {
    const NAME: &'static str = "bf16";
    fn from(v: f32) -> Self {
        bf16::from_f32(v)
    }
}
impl Half for f16 {
    const NAME: &'static str = "f16";
    fn from(v: f32) -> Self {
        f16::from_f32(v)
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Call {
    With,
    Keyed,
    Logprobs,
    KeyedLogprobs,
}

fn draws_stay_in_the_kept_set<H: Half>() {
    const CALLS: usize = 60;
    let mut rng = splitmix(0xF117_0005);
    let mut skipped = 0;
    let mut checked = 0u64;
    for cols in [1usize, 5, 67, 300] {
        let adv = adversarial(cols, &mut rng);
        // the rows as H, and their f32 values (the kept set is theirs)
        let hx: Vec<H> = adv
            .iter()
            .flat_map(|(x, _)| x.iter().map(|&v| H::from(v)))
            .collect();
        let fx: Vec<f32> = hx.iter().map(|v| v.to_f32()).collect();
        let params: Vec<SamplingParams> = adv.iter().map(|e| e.1).collect();
        let rows = params.len();
        let refs: Vec<Option<RefCut>> = (0..rows)
            .map(|r| {
                let x = &fx[r * cols..(r + 1) * cols];
                let c = reference_cut(x, &params[r]);
                if c.ambiguous {
                    skipped += 1;
                    None
                } else {
                    Some(c)
                }
            })
            .collect();
        for isa in common::isas() {
            for method in METHODS {
                for call in [Call::With, Call::Keyed, Call::Logprobs, Call::KeyedLogprobs] {
                    let mut s = Sampler::new(0x5eed ^ cols as u64)
                        .backend(Backend::new(isa).unwrap())
                        .method(method)
                        .ring_capacity(1 << 16);
                    let mut out = vec![u32::MAX; rows];
                    let mut lp = vec![TokenLogprob::default(); rows];
                    let mut top = vec![TopLogprob::default(); rows * 2];
                    for c in 0..CALLS {
                        let keys: Vec<u64> = (0..rows).map(|r| (c * rows + r) as u64).collect();
                        let res = match call {
                            Call::With => s.sample_batch_with(&hx, cols, &params, &mut out),
                            Call::Keyed => {
                                s.sample_batch_keyed_with(&hx, cols, &keys, &params, &mut out)
                            }
                            Call::Logprobs | Call::KeyedLogprobs => {
                                let k = (call == Call::KeyedLogprobs).then_some(&keys[..]);
                                let l = Logprobs {
                                    tokens: &mut lp,
                                    top: &mut top,
                                    top_n: 2,
                                };
                                s.sample_batch_logprobs(&hx, cols, k, &params, &mut out, l)
                            }
                        };
                        res.unwrap();
                        for r in 0..rows {
                            let tok = out[r] as usize;
                            let x = &fx[r * cols..(r + 1) * cols];
                            let what = || {
                                format!(
                                    "{} {isa} {method:?} {call:?} cols {cols} row {r} {:?}: token {tok} x={}",
                                    H::NAME,
                                    params[r],
                                    x.get(tok).copied().unwrap_or(f32::NAN)
                                )
                            };
                            assert!(tok < cols, "{}", what());
                            if params[r].temperature == 0.0 {
                                assert_eq!(Some(tok), first_argmax(x), "{}", what());
                            }
                            if let Some(rc) = &refs[r] {
                                assert!(rc.kept[tok], "{}: outside the kept set", what());
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    println!(
        "{}: {checked} draws checked, {skipped} ambiguous rows skipped",
        H::NAME
    );
    assert_eq!(skipped, 0, "the adversarial rows are chosen unambiguous");
}

#[test]
fn f32_draws_stay_in_the_kept_set() {
    draws_stay_in_the_kept_set::<f32>();
}

#[test]
fn bf16_draws_stay_in_the_kept_set() {
    draws_stay_in_the_kept_set::<bf16>();
}

#[test]
fn f16_draws_stay_in_the_kept_set() {
    draws_stay_in_the_kept_set::<f16>();
}

/// The kept set on a long row with ties at the k-th value and at the top-p cut, where
/// most of the row is filtered: no draw of any method escapes it.
#[test]
fn draws_on_long_rows_stay_in_the_kept_set() {
    let cols = 32000;
    let mut rng = splitmix(0xF117_0006);
    let x: Vec<f32> = (0..cols)
        .map(|_| bf16::from_f32((rng.normal() * 3.0) as f32).to_f32())
        .collect();
    let d = SamplingParams::default();
    let params = [
        d.top_k(50),
        d.top_p(0.9),
        d.min_p(0.05),
        d.top_k(50).top_p(0.9),
        d.temperature(0.7).top_k(200).top_p(0.95).min_p(0.01),
        d.temperature(1.8).top_p(0.5),
    ];
    let batch: Vec<f32> = params.iter().flat_map(|_| x.iter().copied()).collect();
    let refs: Vec<RefCut> = params.iter().map(|p| reference_cut(&x, p)).collect();
    assert!(refs.iter().all(|r| !r.ambiguous && r.count() < cols / 10));
    for isa in common::isas() {
        for method in METHODS {
            let mut s = Sampler::new(77)
                .backend(Backend::new(isa).unwrap())
                .method(method);
            let mut out = vec![0u32; params.len()];
            for c in 0..40u64 {
                let keys: Vec<u64> = (0..params.len() as u64).map(|r| c << 8 | r).collect();
                s.sample_batch_with(&batch, cols, &params, &mut out)
                    .unwrap();
                for (r, &t) in out.iter().enumerate() {
                    assert!(refs[r].kept[t as usize], "{isa} {method:?} {:?}", params[r]);
                }
                s.sample_batch_keyed_with(&batch, cols, &keys, &params, &mut out)
                    .unwrap();
                for (r, &t) in out.iter().enumerate() {
                    assert!(
                        refs[r].kept[t as usize],
                        "{isa} {method:?} keyed {:?}",
                        params[r]
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------

/// Every way a parameter can be bad, with its name.
fn bad_params() -> Vec<(SamplingParams, &'static str, f32)> {
    let d = SamplingParams::default();
    let mut v = Vec::new();
    for t in [f32::NAN, -1.0, -1e-30, f32::INFINITY, f32::NEG_INFINITY] {
        v.push((d.temperature(t), "temperature", t));
    }
    for p in [
        0.0f32,
        -0.0,
        -0.5,
        1.0f32.next_up(),
        2.0,
        f32::NAN,
        f32::INFINITY,
    ] {
        v.push((d.top_p(p), "top_p", p));
    }
    for p in [
        -1e-30f32,
        -0.5,
        1.0f32.next_up(),
        3.0,
        f32::NAN,
        f32::NEG_INFINITY,
    ] {
        v.push((d.min_p(p), "min_p", p));
    }
    v
}

fn is_bad(e: &Error, row: usize, name: &str, value: f32) -> bool {
    match e {
        Error::InvalidSamplingParam {
            row: r,
            name: n,
            value: v,
        } => {
            *r == row
                && *n == name
                && (v.to_bits() == (value as f64).to_bits() || (v.is_nan() && value.is_nan()))
        }
        _ => false,
    }
}

#[test]
fn bad_parameters_name_the_row_and_write_nothing() {
    let (rows, cols) = (4, 37);
    let x: Vec<f32> = (0..rows * cols)
        .map(|i| ((i * 31) % 17) as f32 * 0.3)
        .collect();
    let keys: Vec<u64> = (0..rows as u64).collect();
    let good = SamplingParams::default().top_k(5).temperature(0.8);
    for isa in common::isas() {
        for method in METHODS {
            for (bad, name, value) in bad_params() {
                for bad_row in [0usize, 2, 3] {
                    let mut params = vec![good; rows];
                    params[bad_row] = bad;
                    // a later bad row is not the one reported
                    if bad_row < 3 {
                        params[3] = SamplingParams::default().top_p(f32::NAN);
                    }
                    let mk = || {
                        Sampler::new(11)
                            .backend(Backend::new(isa).unwrap())
                            .method(method)
                            .ring_capacity(1 << 12)
                    };
                    let mut s = mk();
                    let what = format!("{isa} {method:?} {name}={value} at row {bad_row}");
                    let mut out = vec![u32::MAX; rows];
                    let e = s
                        .sample_batch_with(&x, cols, &params, &mut out)
                        .unwrap_err();
                    assert!(is_bad(&e, bad_row, name, value), "{what}: {e:?}");
                    let e = s
                        .sample_batch_keyed_with(&x, cols, &keys, &params, &mut out)
                        .unwrap_err();
                    assert!(is_bad(&e, bad_row, name, value), "{what} keyed: {e:?}");
                    let mut lp = vec![
                        TokenLogprob {
                            logprob: 7.0,
                            raw_logprob: 7.0,
                            rank: 7
                        };
                        rows
                    ];
                    let sentinel = TopLogprob {
                        token: 7,
                        logprob: 7.0,
                    };
                    let mut top = vec![sentinel; rows * 3];
                    for k in [None, Some(&keys[..])] {
                        let l = Logprobs {
                            tokens: &mut lp,
                            top: &mut top,
                            top_n: 3,
                        };
                        let e = s
                            .sample_batch_logprobs(&x, cols, k, &params, &mut out, l)
                            .unwrap_err();
                        assert!(is_bad(&e, bad_row, name, value), "{what} logprobs: {e:?}");
                    }
                    assert!(out.iter().all(|&t| t == u32::MAX), "{what}: out written");
                    assert!(lp.iter().all(|l| l.rank == 7), "{what}: logprobs written");
                    assert!(top.iter().all(|t| *t == sentinel), "{what}: top written");
                    // checked before any randomness was used: the next call draws what
                    // a fresh sampler's first call draws
                    let mut fresh = mk();
                    let (mut a, mut b) = (vec![0u32; rows], vec![0u32; rows]);
                    s.sample_batch_with(&x, cols, &[good], &mut a).unwrap();
                    fresh.sample_batch_with(&x, cols, &[good], &mut b).unwrap();
                    assert_eq!(a, b, "{what}: randomness used by the failed calls");
                    assert_eq!(s.rows_sampled(), rows as u64, "{what}");
                }
                // one entry for every row: the error names row 0
                let mut s = Sampler::new(3)
                    .backend(Backend::new(isa).unwrap())
                    .method(method);
                let mut out = vec![u32::MAX; rows];
                let e = s.sample_batch_with(&x, cols, &[bad], &mut out).unwrap_err();
                assert!(
                    is_bad(&e, 0, name, value),
                    "{isa} {method:?} single entry: {e:?}"
                );
                assert!(out.iter().all(|&t| t == u32::MAX));
                // kept_floor reports row 0
                let e = with_isa(isa, || kept_floor(&x[..cols], &bad))
                    .unwrap()
                    .unwrap_err();
                assert!(is_bad(&e, 0, name, value), "{isa} kept_floor: {e:?}");
            }
        }
    }
}

#[test]
fn edge_parameter_values_are_accepted() {
    let x = [0.0f32, 1.0, 2.0];
    let d = SamplingParams::default();
    for p in [
        d.temperature(0.0),
        d.temperature(f32::MIN_POSITIVE),
        d.temperature(f32::MAX),
        d.top_p(1.0),
        d.top_p(f32::MIN_POSITIVE),
        d.min_p(0.0),
        d.min_p(1.0),
        d.top_k(usize::MAX),
    ] {
        let mut out = [u32::MAX];
        Sampler::new(1)
            .sample_batch_with(&x, 3, &[p], &mut out)
            .unwrap();
        assert!(out[0] < 3, "{p:?}");
        kept_floor(&x, &p).unwrap();
    }
}

#[test]
fn params_of_the_wrong_length_and_top_n_21_are_errors() {
    let (rows, cols) = (4, 9);
    let x: Vec<f32> = (0..rows * cols).map(|i| (i % 5) as f32).collect();
    let keys: Vec<u64> = (0..rows as u64).collect();
    let p = SamplingParams::default();
    for method in METHODS {
        let mut s = Sampler::new(2).method(method);
        let mut out = vec![u32::MAX; rows];
        for n in [0usize, 2, 3, 5, 8] {
            let params = vec![p; n];
            let is_len = |e: &Error| matches!(e, Error::LengthMismatch { expected, found, .. } if *expected == rows && *found == n);
            let e = s
                .sample_batch_with(&x, cols, &params, &mut out)
                .unwrap_err();
            assert!(is_len(&e), "{method:?} {n}: {e:?}");
            let e = s
                .sample_batch_keyed_with(&x, cols, &keys, &params, &mut out)
                .unwrap_err();
            assert!(is_len(&e), "{method:?} keyed {n}: {e:?}");
            let (mut lp, mut top) = (vec![TokenLogprob::default(); rows], vec![]);
            let l = Logprobs {
                tokens: &mut lp,
                top: &mut top,
                top_n: 0,
            };
            let e = s
                .sample_batch_logprobs(&x, cols, None, &params, &mut out, l)
                .unwrap_err();
            assert!(is_len(&e), "{method:?} logprobs {n}: {e:?}");
            let e = s
                .sample_batch_partial(&x, cols, None, &params, &mut out, None)
                .unwrap_err();
            assert!(is_len(&e), "{method:?} partial {n}: {e:?}");
        }
        // top_n: 20 is the most
        let mut lp = vec![TokenLogprob::default(); rows];
        let mut top = vec![TopLogprob::default(); rows * 21];
        let l = Logprobs {
            tokens: &mut lp,
            top: &mut top,
            top_n: 21,
        };
        let e = s
            .sample_batch_logprobs(&x, cols, None, &[p], &mut out, l)
            .unwrap_err();
        assert!(
            matches!(e, Error::InvalidSamplingParam { name: "top_n", .. }),
            "{method:?}: {e:?}"
        );
        assert!(
            out.iter().all(|&t| t == u32::MAX),
            "{method:?}: out written"
        );
        let l = Logprobs {
            tokens: &mut lp,
            top: &mut top[..rows * 20],
            top_n: 20,
        };
        s.sample_batch_logprobs(&x, cols, None, &[p], &mut out, l)
            .unwrap();
        assert!(out.iter().all(|&t| (t as usize) < cols));
    }
}

/// The filters apply with every method: a sampler's own temperature is not used by
/// the `_with` calls, and default parameters give `sample_batch`'s tokens.
#[test]
fn default_params_give_sample_batchs_tokens() {
    let (rows, cols) = (8, 300);
    let mut rng = splitmix(0xF117_0007);
    let x: Vec<f32> = (0..rows * cols)
        .map(|_| (rng.normal() * 2.0) as f32)
        .collect();
    for isa in common::isas() {
        for method in METHODS {
            for t in [0.0f32, 0.5, 1.0, 2.0] {
                let mk = |st: f32| {
                    Sampler::new(99)
                        .backend(Backend::new(isa).unwrap())
                        .method(method)
                        .temperature(st)
                };
                let (mut a, mut b) = (mk(t), mk(3.0));
                let (mut oa, mut ob) = (vec![0u32; rows], vec![0u32; rows]);
                let p = [SamplingParams::default().temperature(t)];
                for _ in 0..5 {
                    a.sample_batch(&x, cols, &mut oa).unwrap();
                    b.sample_batch_with(&x, cols, &p, &mut ob).unwrap();
                    assert_eq!(oa, ob, "{isa} {method:?} T={t}");
                }
            }
        }
    }
}
