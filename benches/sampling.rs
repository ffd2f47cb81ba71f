//! Sampling one token per row: the crate's methods against the references, one thread
//! (and two threads for the 64-row batches), in one run so the ratios are comparable.
//!
//! Logit shapes: `sample/..` are N(0, 3) logits; `sample_llm/..` LLM-shaped ones (a
//! bulk of N(0, 2) and a head of 5 tokens 8–12 above it, as next-token logits look);
//! `sample_flat/..` all equal (nothing to prune).
//!
//! Methods (all through `Sampler`):
//! * `ring_hot`    — Gumbel-max with the ring refilled *outside* the timed region: the
//!   critical path of an engine that makes noise during its forward pass (pruned:
//!   reads the logits, the ring's block-max table and a few noise blocks);
//! * `ring_hot_unpruned` — the same reading every noise value (`pruning(false)`);
//! * `ring_total`  — `ring_hot` plus the refill, timed: the total cost;
//! * `fused`, `fused_unpruned` — Gumbel-max with noise generated in registers;
//! * `keyed`       — `sample_batch_keyed` (fused noise per key);
//! * `roulette`    — softmax + roulette wheel, one pass over the exps;
//! * `ring_hot_bf16`, `ring_hot_f16` — `ring_hot` on the same logits stored as bf16 /
//!   f16 (converted in registers; half the logit bytes).
//!
//! References:
//! * `stream_max`     — a plain streaming max over the logits: the memory limit;
//! * `exp_map`        — one `exp` per logit (the crate's SIMD exp into a row buffer):
//!   roulette's arithmetic floor;
//! * `bucketed`       — vLLM's CPU sampler ("bucketed rejection", `benches/bucketed.rs`);
//! * `stream_logits_noise` (threads groups) — a streaming read of the logits and of a
//!   noise buffer: the memory traffic of reading every noise value;
//! * `rand_distr_gumbel_argmax` — `rand_distr::Gumbel<f32>` noise + scalar argmax;
//! * `weighted_index` — softmax + `rand::distr::weighted::WeightedIndex` built per row;
//! * `linear_scan`    — scalar softmax + scalar linear inverse-CDF scan.
//!
//! After criterion, `paired` times the target ratios at 64×128256 **rep by rep**
//! (method and reference alternate within each rep, so a drift of the machine hits
//! both) and writes the median and quartiles of the per-rep ratios to
//! `target/criterion/paired.txt` for `perf_report`.

#[path = "bucketed.rs"]
mod bucketed;

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use gumbel::half::{bf16, f16};
use gumbel::{Element, Method, Sampler};
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

const SHAPES: [(usize, usize); 5] = [
    (1, 32000),
    (1, 128256),
    (64, 32000),
    (64, 128256),
    (1024, 1024),
];

#[derive(Clone, Copy, Debug)]
enum Kind {
    N3,
    Llm,
    Flat,
}

impl Kind {
    fn group(self) -> &'static str {
        match self {
            Kind::N3 => "sample",
            Kind::Llm => "sample_llm",
            Kind::Flat => "sample_flat",
        }
    }
}

fn normal(rng: &mut Xoshiro256PlusPlus) -> f32 {
    let (a, b): (f64, f64) = (rng.random(), rng.random());
    ((-2.0 * (1.0 - a).ln()).sqrt() * (std::f64::consts::TAU * b).cos()) as f32
}

fn logits(kind: Kind, rows: usize, cols: usize) -> Vec<f32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    match kind {
        Kind::N3 => (0..rows * cols).map(|_| 3.0 * normal(&mut rng)).collect(),
        Kind::Llm => {
            let mut x: Vec<f32> = (0..rows * cols).map(|_| 2.0 * normal(&mut rng)).collect();
            for r in 0..rows {
                for _ in 0..5 {
                    let i = rng.random_range(0..cols);
                    x[r * cols + i] = rng.random_range(8.0..12.0);
                }
            }
            x
        }
        Kind::Flat => vec![0.0; rows * cols],
    }
}

fn stream_max(x: &[f32]) -> f32 {
    // 16 independent accumulators so the compiler vectorizes; a plain read of every logit
    let mut acc = [f32::NEG_INFINITY; 16];
    let chunks = x.chunks_exact(16);
    let tail = chunks.remainder();
    for c in chunks {
        for i in 0..16 {
            acc[i] = if c[i] > acc[i] { c[i] } else { acc[i] };
        }
    }
    tail.iter()
        .chain(acc.iter())
        .fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m })
}

fn argmax(x: &[f32]) -> usize {
    let mut best = (0, f32::NEG_INFINITY);
    for (i, &v) in x.iter().enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

fn softmax(x: &[f32], p: &mut [f32]) -> f32 {
    let m = x.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
    let mut s = 0.0f32;
    for (pi, &xi) in p.iter_mut().zip(x) {
        *pi = (xi - m).exp();
        s += *pi;
    }
    s
}

fn linear_scan(p: &[f32], target: f32) -> usize {
    let mut c = 0.0f32;
    for (i, &pi) in p.iter().enumerate() {
        c += pi;
        if c >= target {
            return i;
        }
    }
    p.len() - 1
}

/// Everything one measured step needs, built once per shape.
struct Setup {
    x: Vec<f32>,
    rows: usize,
    cols: usize,
    out: Vec<u32>,
    keys: Vec<u64>,
    ring: Sampler,
    ring_unpruned: Sampler,
    fused: Sampler,
    fused_unpruned: Sampler,
    roulette: Sampler,
    buf: Vec<f32>,
    bucketed: bucketed::Bucketed,
    rng: Xoshiro256PlusPlus,
}

impl Setup {
    fn new(kind: Kind, rows: usize, cols: usize) -> Setup {
        let n = rows * cols;
        let ring = |prune| {
            Sampler::new(1)
                .method(Method::GumbelMax)
                .ring_capacity(2 * n + 64 * rows)
                .pruning(prune)
        };
        Setup {
            x: logits(kind, rows, cols),
            rows,
            cols,
            out: vec![0; rows],
            keys: (0..rows as u64).map(|r| 1000 + r).collect(),
            ring: ring(true),
            ring_unpruned: ring(false),
            fused: Sampler::new(1).method(Method::GumbelMaxFused),
            fused_unpruned: Sampler::new(1)
                .method(Method::GumbelMaxFused)
                .pruning(false),
            roulette: Sampler::new(1).method(Method::SoftmaxRoulette),
            buf: vec![0.0; cols],
            bucketed: bucketed::Bucketed::default(),
            rng: Xoshiro256PlusPlus::seed_from_u64(2),
        }
    }

    /// One timed step of `name`; the ring methods refill before the clock starts
    /// (`ring_total` includes it).
    fn step(&mut self, name: &str) -> Duration {
        let (x, cols, rows) = (&self.x, self.cols, self.rows);
        let out = &mut self.out;
        match name {
            "ring_hot" | "ring_hot_unpruned" => {
                let s = if name == "ring_hot" {
                    &mut self.ring
                } else {
                    &mut self.ring_unpruned
                };
                s.refill();
                let t = Instant::now();
                s.sample_batch(black_box(x), cols, out).unwrap();
                t.elapsed()
            }
            _ => {
                let t = Instant::now();
                match name {
                    "stream_max" => {
                        for r in 0..rows {
                            black_box(stream_max(black_box(&x[r * cols..(r + 1) * cols])));
                        }
                    }
                    "exp_map" => {
                        for r in 0..rows {
                            gumbel::simd::exp(
                                black_box(&x[r * cols..(r + 1) * cols]),
                                &mut self.buf,
                            )
                            .unwrap();
                            black_box(&self.buf);
                        }
                    }
                    "ring_total" => {
                        self.ring.refill();
                        self.ring.sample_batch(black_box(x), cols, out).unwrap();
                    }
                    "fused" => self.fused.sample_batch(black_box(x), cols, out).unwrap(),
                    "fused_unpruned" => self
                        .fused_unpruned
                        .sample_batch(black_box(x), cols, out)
                        .unwrap(),
                    "keyed" => {
                        for k in self.keys.iter_mut() {
                            *k += rows as u64;
                        }
                        self.fused
                            .sample_batch_keyed(black_box(x), cols, &self.keys, out)
                            .unwrap()
                    }
                    "roulette" => self.roulette.sample_batch(black_box(x), cols, out).unwrap(),
                    "bucketed" => {
                        for r in 0..rows {
                            let row = &x[r * cols..(r + 1) * cols];
                            black_box(self.bucketed.sample(black_box(row), &mut self.rng));
                        }
                    }
                    _ => unreachable!("unknown method {name}"),
                }
                t.elapsed()
            }
        }
    }
}

/// The methods and references timed for every logit shape.
const TIMED: [&str; 10] = [
    "stream_max",
    "exp_map",
    "ring_hot",
    "ring_hot_unpruned",
    "ring_total",
    "fused",
    "fused_unpruned",
    "keyed",
    "roulette",
    "bucketed",
];

/// `ring_hot` on logits of element type `L`.
fn ring_hot<L: Element>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    x: &[L],
    cols: usize,
    out: &mut [u32],
) {
    let mut s = Sampler::new(1)
        .method(Method::GumbelMax)
        .ring_capacity(2 * x.len() + 64 * out.len());
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut t = Duration::ZERO;
            for _ in 0..iters {
                s.refill(); // off the critical path: not timed
                let start = Instant::now();
                s.sample_batch(black_box(x), cols, out).unwrap();
                t += start.elapsed();
            }
            t
        })
    });
    assert_eq!(
        s.noise_generated_while_sampling(),
        0,
        "{name} generated noise while sampling"
    );
}

fn bench_kind(c: &mut Criterion, kind: Kind, shapes: &[(usize, usize)], refs: bool) {
    // the global rayon pool has one thread (see `main`): everything here is one core
    for &(rows, cols) in shapes {
        let mut st = Setup::new(kind, rows, cols);
        let n = rows * cols;
        let mut g = c.benchmark_group(format!("{}/{rows}x{cols}", kind.group()));
        g.throughput(Throughput::Elements(n as u64));
        g.warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(2));
        g.sample_size(10);
        for name in TIMED {
            g.bench_function(name, |b| {
                b.iter_custom(|iters| (0..iters).map(|_| st.step(name)).sum())
            });
        }
        assert_eq!(
            st.ring.noise_generated_while_sampling(),
            0,
            "ring_hot made noise"
        );
        if !refs {
            g.finish();
            continue;
        }
        let x = std::mem::take(&mut st.x);
        let xb: Vec<bf16> = x.iter().map(|&v| bf16::from_f32(v)).collect();
        ring_hot(&mut g, "ring_hot_bf16", &xb, cols, &mut st.out);
        drop(xb);
        let xh: Vec<f16> = x.iter().map(|&v| f16::from_f32(v)).collect();
        ring_hot(&mut g, "ring_hot_f16", &xh, cols, &mut st.out);
        drop(xh);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
        let gumbel = rand_distr::Gumbel::<f32>::new(0.0, 1.0).unwrap();
        let mut buf = vec![0.0f32; cols];
        g.bench_function("rand_distr_gumbel_argmax", |b| {
            b.iter(|| {
                for r in 0..rows {
                    for (v, &l) in buf.iter_mut().zip(&x[r * cols..(r + 1) * cols]) {
                        *v = l + gumbel.sample(&mut rng);
                    }
                    black_box(argmax(&buf));
                }
            })
        });
        g.bench_function("weighted_index", |b| {
            b.iter(|| {
                for r in 0..rows {
                    softmax(&x[r * cols..(r + 1) * cols], &mut buf);
                    let w = WeightedIndex::new(&buf).unwrap();
                    black_box(w.sample(&mut rng));
                }
            })
        });
        g.bench_function("linear_scan", |b| {
            b.iter(|| {
                for r in 0..rows {
                    let s = softmax(&x[r * cols..(r + 1) * cols], &mut buf);
                    let u: f32 = rng.random();
                    black_box(linear_scan(&buf, u * s));
                }
            })
        });
        g.finish();
    }
}

fn bench_methods(c: &mut Criterion) {
    bench_kind(c, Kind::N3, &SHAPES, true);
    bench_kind(c, Kind::Llm, &[(64, 128256)], false);
    bench_kind(c, Kind::Flat, &[(64, 128256)], false);
}

fn bench_threads(c: &mut Criterion) {
    for (rows, cols) in [(64usize, 32000usize), (64, 128256)] {
        let x = logits(Kind::N3, rows, cols);
        let n = rows * cols;
        let mut g = c.benchmark_group(format!("threads/{rows}x{cols}"));
        g.throughput(Throughput::Elements(n as u64));
        g.warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(2));
        g.sample_size(10);
        let mut out = vec![0u32; rows];
        for threads in [1usize, 2] {
            // `install` per iteration: the same hand-off cost for 1 and 2 threads
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            // The memory limit on this many threads: a plain read of the logits ...
            g.bench_function(BenchmarkId::new("stream_max", threads), |b| {
                b.iter(|| {
                    pool.install(|| {
                        black_box(&x).par_chunks(cols).for_each(|row| {
                            black_box(stream_max(row));
                        })
                    })
                })
            });
            // ... and of the logits plus a full noise buffer (what reading every noise
            // value costs). Two halves, like a ring of capacity 2n: the untimed step
            // writes one while the timed read takes the one written the step before.
            let mut halves = [vec![0.0f32; n], vec![0.0f32; n]];
            g.bench_function(BenchmarkId::new("stream_logits_noise", threads), |b| {
                b.iter_custom(|iters| {
                    let mut t = Duration::ZERO;
                    for i in 0..iters {
                        let [a, b] = &mut halves;
                        let (write, read) = if i % 2 == 0 { (a, &*b) } else { (b, &*a) };
                        write.fill(i as f32);
                        let noise = read;
                        let start = Instant::now();
                        pool.install(|| {
                            black_box(&x)
                                .par_chunks(cols)
                                .zip(black_box(noise).par_chunks(cols))
                                .for_each(|(row, g)| {
                                    black_box(stream_max(row).max(stream_max(g)));
                                })
                        });
                        t += start.elapsed();
                    }
                    t
                })
            });
            let mut s = Sampler::new(1)
                .method(Method::GumbelMax)
                .ring_capacity(2 * n + 64 * rows);
            g.bench_function(BenchmarkId::new("ring_hot", threads), |b| {
                b.iter_custom(|iters| {
                    let mut t = Duration::ZERO;
                    for _ in 0..iters {
                        s.refill();
                        let start = Instant::now();
                        pool.install(|| s.sample_batch(black_box(&x), cols, &mut out).unwrap());
                        t += start.elapsed();
                    }
                    t
                })
            });
            for (name, m) in [
                ("fused", Method::GumbelMaxFused),
                ("roulette", Method::SoftmaxRoulette),
            ] {
                let mut s = Sampler::new(1).method(m);
                g.bench_function(BenchmarkId::new(name, threads), |b| {
                    b.iter(|| {
                        pool.install(|| s.sample_batch(black_box(&x), cols, &mut out).unwrap())
                    })
                });
            }
        }
        g.finish();
    }
}

/// The target ratios at 64×128256, method and reference alternating rep by rep.
const PAIRS: [(&str, &str); 9] = [
    ("ring_hot", "stream_max"),
    ("ring_total", "fused"),
    ("fused", "stream_max"),
    ("keyed", "stream_max"),
    ("fused", "roulette"),
    ("fused", "bucketed"),
    ("roulette", "exp_map"),
    ("fused", "fused_unpruned"),
    ("ring_hot", "ring_hot_unpruned"),
];

fn paired() {
    const REPS: usize = 21;
    let (rows, cols) = (64, 128256);
    let mut text = String::new();
    for kind in [Kind::N3, Kind::Llm, Kind::Flat] {
        let mut st = Setup::new(kind, rows, cols);
        for name in TIMED {
            st.step(name); // warm every method and its buffers
        }
        for (a, b) in PAIRS {
            let mut ratios: Vec<f64> = (0..REPS)
                .map(|rep| {
                    let (ta, tb) = if rep % 2 == 0 {
                        let ta = st.step(a);
                        (ta, st.step(b))
                    } else {
                        let tb = st.step(b);
                        (st.step(a), tb)
                    };
                    ta.as_secs_f64() / tb.as_secs_f64()
                })
                .collect();
            ratios.sort_by(f64::total_cmp);
            let q = |f: f64| ratios[((REPS - 1) as f64 * f).round() as usize];
            let line = format!(
                "{}/{rows}x{cols} {a} {b} {:.4} {:.4} {:.4} {REPS}",
                kind.group(),
                q(0.5),
                q(0.25),
                q(0.75)
            );
            eprintln!("paired: {line}");
            writeln!(text, "{line}").unwrap();
        }
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("paired.txt"), text).unwrap();
}

criterion_group!(benches, bench_methods, bench_threads);

fn main() {
    // One worker in the global pool: every `sample/...` figure is one core.
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()
        .unwrap();
    benches();
    Criterion::default().configure_from_args().final_summary();
    if !std::env::args().any(|a| a == "--list" || a == "--test") {
        paired();
    }
}
