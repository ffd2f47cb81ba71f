//! Filtered sampling (top-k / top-p / min-p) at 64×128256, one thread, against plain
//! sampling with the same method and against the references engines use:
//!
//! * `full_sort`   — sort each row's tokens by logit, softmax, cumulative sum, cut, draw
//!   (what vLLM's torch path does for top-k/top-p);
//! * `select_nth`  — `select_nth_unstable` for the `k` largest, sort those `k`, softmax,
//!   cumulative sum, cut, draw (what candle does; top-k configurations only);
//! * `logprobs`    — `sample_batch_logprobs` (processed + raw log-probability, rank) vs
//!   the same call without them, and vs `exp_map` (one exp per logit, the cost the
//!   issue allows for log-probabilities).
//!
//! Logits: N(0, 3), LLM-shaped (a bulk of N(0, 2) and a head of 5 tokens 8–12 above it)
//! and flat (all equal). Criterion times each configuration; then `paired` times the
//! ratios rep by rep (method and reference alternate within each rep, so a drift of the
//! shared machine hits both) and writes the median and quartiles of the per-rep ratios
//! to `target/criterion/filters_paired.txt` (`FILTERS_PAIRED_ONLY=1` runs only that), one
//! line per configuration: `logits method filter median q1 q3 full_sort select_nth`
//! (`-` where partial selection does not apply), and per method `logits method logprobs
//! median q1 q3 extra/exp_map q1 q3`; `perf_report` renders it.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group};
use gumbel::{Logprobs, Method, Sampler, SamplingParams, TokenLogprob, TopLogprob};
use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::{Rng, SeedableRng};

const ROWS: usize = 64;
const COLS: usize = 128256;

#[derive(Clone, Copy, Debug)]
enum Kind {
    N3,
    Llm,
    Flat,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::N3, Kind::Llm, Kind::Flat];
    fn name(self) -> &'static str {
        match self {
            Kind::N3 => "n3",
            Kind::Llm => "llm",
            Kind::Flat => "flat",
        }
    }
}

fn uniform(rng: &mut Xoshiro256PlusPlus) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

fn normal(rng: &mut Xoshiro256PlusPlus) -> f32 {
    let (a, b) = (uniform(rng), uniform(rng));
    ((-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos()) as f32
}

fn logits(kind: Kind) -> Vec<f32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let n = ROWS * COLS;
    match kind {
        Kind::N3 => (0..n).map(|_| 3.0 * normal(&mut rng)).collect(),
        Kind::Llm => {
            let mut x: Vec<f32> = (0..n).map(|_| 2.0 * normal(&mut rng)).collect();
            for r in 0..ROWS {
                for _ in 0..5 {
                    let i = (rng.next_u64() % COLS as u64) as usize;
                    x[r * COLS + i] = 8.0 + 4.0 * uniform(&mut rng) as f32;
                }
            }
            x
        }
        Kind::Flat => vec![0.0; n],
    }
}

/// The filter configurations of the issue.
const FILTERS: [(&str, usize, f32, f32); 4] = [
    ("top_k50", 50, 1.0, 0.0),
    ("top_p0.9", 0, 0.9, 0.0),
    ("min_p0.05", 0, 1.0, 0.05),
    ("top_k50_top_p0.9", 50, 0.9, 0.0),
];

fn params(f: (&str, usize, f32, f32)) -> SamplingParams {
    SamplingParams::default().top_k(f.1).top_p(f.2).min_p(f.3)
}

/// Cut a row sorted by descending logit (`(logit, id)`) as the filters do and draw
/// with `u`: min-p, top-k with ties, top-p over the renormalised kept prefix.
fn cut_and_draw(sorted: &[(f32, u32)], p: &SamplingParams, u: f64, w: &mut Vec<f32>) -> u32 {
    let m = sorted[0].0;
    let mut n = sorted.len();
    if p.min_p > 0.0 {
        let floor = m + p.min_p.ln();
        n = sorted.partition_point(|e| e.0 >= floor);
    }
    if p.top_k > 0 && p.top_k < n {
        let kth = sorted[p.top_k - 1].0;
        n = sorted[..n].partition_point(|e| e.0 >= kth);
    }
    w.clear();
    w.extend(sorted[..n].iter().map(|e| (e.0 - m).exp()));
    let total: f32 = w.iter().sum();
    if p.top_p < 1.0 {
        let mut c = 0.0f32;
        let target = p.top_p * total;
        let mut last = n;
        for (i, wi) in w.iter().enumerate() {
            c += wi;
            if c >= target {
                last = i + 1;
                break;
            }
        }
        let v = sorted[last - 1].0;
        n = last + sorted[last..n].iter().take_while(|e| e.0 == v).count();
    }
    let total: f32 = w[..n].iter().sum();
    let target = u as f32 * total;
    let mut c = 0.0f32;
    for (i, wi) in w[..n].iter().enumerate() {
        c += wi;
        if c >= target {
            return sorted[i].1;
        }
    }
    sorted[n - 1].1
}

/// The full-sort reference over every row.
fn full_sort(x: &[f32], p: &SamplingParams, rng: &mut Xoshiro256PlusPlus, buf: &mut Buf) -> u32 {
    let mut acc = 0;
    for row in x.chunks(COLS) {
        buf.pairs.clear();
        buf.pairs
            .extend(row.iter().enumerate().map(|(i, &v)| (v, i as u32)));
        buf.pairs.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
        acc ^= cut_and_draw(&buf.pairs, p, uniform(rng), &mut buf.w);
    }
    acc
}

/// The partial-selection reference (top-k configurations): select the k largest, sort
/// them, cut, draw.
fn select_nth(x: &[f32], p: &SamplingParams, rng: &mut Xoshiro256PlusPlus, buf: &mut Buf) -> u32 {
    let mut acc = 0;
    let k = p.top_k;
    for row in x.chunks(COLS) {
        buf.pairs.clear();
        buf.pairs
            .extend(row.iter().enumerate().map(|(i, &v)| (v, i as u32)));
        buf.pairs
            .select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0));
        buf.pairs.truncate(k);
        buf.pairs.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
        acc ^= cut_and_draw(&buf.pairs, p, uniform(rng), &mut buf.w);
    }
    acc
}

/// `exp` of every logit into a row buffer: the arithmetic of one exp pass.
fn exp_map(x: &[f32], out: &mut [f32]) -> f32 {
    let mut acc = 0.0;
    for row in x.chunks(COLS) {
        gumbel::simd::exp(row, out).unwrap();
        acc += out[0];
    }
    acc
}

#[derive(Default)]
struct Buf {
    pairs: Vec<(f32, u32)>,
    w: Vec<f32>,
}

fn samplers() -> [(&'static str, Sampler); 3] {
    let ring = Sampler::new(1)
        .method(Method::GumbelMax)
        .ring_capacity(2 * ROWS * COLS.next_multiple_of(64))
        .parallel_threshold(usize::MAX);
    [
        ("ring_hot", ring),
        (
            "fused",
            Sampler::new(1)
                .method(Method::GumbelMaxFused)
                .parallel_threshold(usize::MAX),
        ),
        (
            "roulette",
            Sampler::new(1)
                .method(Method::SoftmaxRoulette)
                .parallel_threshold(usize::MAX),
        ),
    ]
}

/// One timed call of `s` with `p` (the ring refilled before the clock starts).
fn time_call(
    s: &mut Sampler,
    ring: bool,
    x: &[f32],
    p: &SamplingParams,
    out: &mut [u32],
) -> Duration {
    if ring {
        s.refill();
    }
    let t0 = Instant::now();
    s.sample_batch_with(x, COLS, std::slice::from_ref(p), out)
        .unwrap();
    let d = t0.elapsed();
    black_box(&out);
    d
}

fn bench(c: &mut Criterion) {
    let mut out = vec![0u32; ROWS];
    for kind in Kind::ALL {
        let x = logits(kind);
        let mut g = c.benchmark_group(format!("filters_{}", kind.name()));
        g.sample_size(10);
        g.measurement_time(Duration::from_secs(2));
        for (name, mut s) in samplers() {
            let ring = name == "ring_hot";
            let all = std::iter::once(("plain", 0, 1.0, 0.0)).chain(FILTERS);
            for f in all {
                let p = params(f);
                g.bench_function(BenchmarkId::new(name, f.0), |bch| {
                    bch.iter_custom(|iters| {
                        (0..iters)
                            .map(|_| time_call(&mut s, ring, &x, &p, &mut out))
                            .sum()
                    })
                });
            }
        }
        g.finish();
    }
}

fn quartiles(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let q = |f: f64| v[((v.len() - 1) as f64 * f).round() as usize];
    (q(0.25), q(0.5), q(0.75))
}

/// Per-rep ratios: each rep times the filtered call, the plain call and the references
/// back to back.
fn paired() {
    const REPS: usize = 15;
    const SORT_REPS: usize = 3;
    let mut report = String::new();
    let mut out = vec![0u32; ROWS];
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let mut buf = Buf::default();
    let mut e = vec![0.0f32; COLS];
    for kind in Kind::ALL {
        let x = logits(kind);
        for (name, mut s) in samplers() {
            let ring = name == "ring_hot";
            let plain = SamplingParams::default();
            for f in FILTERS {
                let p = params(f);
                let (mut vs_plain, mut vs_sort, mut vs_nth) = (vec![], vec![], vec![]);
                for rep in 0..REPS {
                    let tf = time_call(&mut s, ring, &x, &p, &mut out).as_secs_f64();
                    let tp = time_call(&mut s, ring, &x, &plain, &mut out).as_secs_f64();
                    vs_plain.push(tf / tp);
                    if rep < SORT_REPS {
                        let t0 = Instant::now();
                        black_box(full_sort(&x, &p, &mut rng, &mut buf));
                        vs_sort.push(t0.elapsed().as_secs_f64() / tf);
                        if p.top_k > 0 {
                            let t0 = Instant::now();
                            black_box(select_nth(&x, &p, &mut rng, &mut buf));
                            vs_nth.push(t0.elapsed().as_secs_f64() / tf);
                        }
                    }
                }
                let (a, b, c) = quartiles(vs_plain);
                let (_, sort, _) = quartiles(vs_sort);
                let nth = if vs_nth.is_empty() {
                    "-".to_string()
                } else {
                    format!("{:.2}", quartiles(vs_nth).1)
                };
                println!(
                    "{} {name} {}: filtered/plain {b:.2} [{a:.2}, {c:.2}]; full_sort/filtered {sort:.1}; select_nth/filtered {nth}",
                    kind.name(),
                    f.0
                );
                let _ = writeln!(
                    report,
                    "{} {name} {} {b:.3} {a:.3} {c:.3} {sort:.2} {nth}",
                    kind.name(),
                    f.0
                );
            }
            // log-probabilities: with vs without, and the extra cost vs one exp pass
            let p = SamplingParams::default();
            let (mut vs_call, mut extra_vs_exp) = (vec![], vec![]);
            let mut lp = vec![TokenLogprob::default(); ROWS];
            for _ in 0..REPS {
                if ring {
                    s.refill();
                }
                let t0 = Instant::now();
                s.sample_batch_logprobs(
                    &x,
                    COLS,
                    None,
                    &[p],
                    &mut out,
                    Logprobs {
                        tokens: &mut lp,
                        top: &mut [] as &mut [TopLogprob],
                        top_n: 0,
                    },
                )
                .unwrap();
                let tl = t0.elapsed().as_secs_f64();
                let tp = time_call(&mut s, ring, &x, &p, &mut out).as_secs_f64();
                let t0 = Instant::now();
                black_box(exp_map(&x, &mut e));
                let te = t0.elapsed().as_secs_f64();
                vs_call.push(tl / tp);
                extra_vs_exp.push((tl - tp) / te);
            }
            let (a, b, c) = quartiles(vs_call);
            let (d, m, g) = quartiles(extra_vs_exp);
            println!(
                "{} {name} logprobs: with/without {b:.2} [{a:.2}, {c:.2}]; extra/exp_map {m:.2} [{d:.2}, {g:.2}]",
                kind.name()
            );
            let _ = writeln!(
                report,
                "{} {name} logprobs {b:.3} {a:.3} {c:.3} {m:.3} {d:.3} {g:.3}",
                kind.name()
            );
        }
    }
    let dir = std::path::Path::new("target/criterion");
    let _ = std::fs::create_dir_all(dir);
    let _ = std::fs::write(dir.join("filters_paired.txt"), &report);
}

criterion_group!(benches, bench);

fn main() {
    // `FILTERS_PAIRED_ONLY=1` skips the criterion timings (the ratios alone)
    if std::env::var_os("FILTERS_PAIRED_ONLY").is_none() {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
    paired();
}
