//! Sampling one token per row: the crate's methods against the references, one thread
//! (and two threads for the 64-row batches), in one run so the ratios are comparable.
//!
//! Methods (all through `Sampler::sample_batch`):
//! * `ring_hot`    — Gumbel-max with the ring refilled *outside* the timed region: the
//!   critical path of an engine that makes noise during its forward pass;
//! * `ring_total`  — the same plus the refill, timed: the total cost;
//! * `fused`       — Gumbel-max with noise generated in registers;
//! * `roulette`    — softmax + roulette wheel (max, exp-sum, scan passes);
//! * `ring_hot_bf16`, `ring_hot_f16` — `ring_hot` on the same logits stored as bf16 /
//!   f16 (converted in registers; half the logit bytes).
//!
//! References:
//! * `stream_max`     — a plain streaming max over the logits: the memory limit;
//! * `stream_logits_noise` (threads groups) — a streaming read of the logits and of a
//!   noise buffer, written like the ring's halves: the memory traffic of `ring_hot`;
//! * `rand_distr_gumbel_argmax` — `rand_distr::Gumbel<f32>` noise + scalar argmax;
//! * `weighted_index` — softmax + `rand::distr::weighted::WeightedIndex` built per row;
//! * `linear_scan`    — scalar softmax + scalar linear inverse-CDF scan.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use gumbel::half::{bf16, f16};
use gumbel::{Element, Method, Sampler};
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

const SHAPES: [(usize, usize); 5] = [
    (1, 32000),
    (1, 128256),
    (64, 32000),
    (64, 128256),
    (1024, 1024),
];

fn logits(rows: usize, cols: usize) -> Vec<f32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    // LLM-like: a few large logits over a broad normal-ish bulk
    (0..rows * cols)
        .map(|_| {
            let u: f32 = rng.random();
            let v: f32 = rng.random();
            4.0 * (u + v - 1.0) + if rng.random::<f32>() < 1e-3 { 8.0 } else { 0.0 }
        })
        .collect()
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

/// `ring_hot`: the refill untimed, the sampling step timed.
fn ring_hot<L: Element>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    s: &mut Sampler,
    x: &[L],
    cols: usize,
    out: &mut [u32],
) {
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

fn bench_methods(c: &mut Criterion) {
    // the global rayon pool has one thread (see `main`): everything here is one core
    for (rows, cols) in SHAPES {
        let x = logits(rows, cols);
        let n = rows * cols;
        let mut g = c.benchmark_group(format!("sample/{rows}x{cols}"));
        g.throughput(Throughput::Elements(n as u64));
        g.warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(2));
        g.sample_size(10);
        let mut out = vec![0u32; rows];

        {
            g.bench_function("stream_max", |b| {
                b.iter(|| {
                    for r in 0..rows {
                        black_box(stream_max(black_box(&x[r * cols..(r + 1) * cols])));
                    }
                })
            });

            let cap = 2 * n;
            let mut s = Sampler::new(1).method(Method::GumbelMax).ring_capacity(cap);
            ring_hot(&mut g, "ring_hot", &mut s, &x, cols, &mut out);
            let xb: Vec<bf16> = x.iter().map(|&v| bf16::from_f32(v)).collect();
            let mut sb = Sampler::new(1).method(Method::GumbelMax).ring_capacity(cap);
            ring_hot(&mut g, "ring_hot_bf16", &mut sb, &xb, cols, &mut out);
            drop(xb);
            let xh: Vec<f16> = x.iter().map(|&v| f16::from_f32(v)).collect();
            let mut sh = Sampler::new(1).method(Method::GumbelMax).ring_capacity(cap);
            ring_hot(&mut g, "ring_hot_f16", &mut sh, &xh, cols, &mut out);
            drop((xh, sb, sh));
            g.bench_function("ring_total", |b| {
                b.iter(|| {
                    s.refill();
                    s.sample_batch(black_box(&x), cols, &mut out).unwrap();
                })
            });
            let mut s = Sampler::new(1).method(Method::GumbelMaxFused);
            g.bench_function("fused", |b| {
                b.iter(|| s.sample_batch(black_box(&x), cols, &mut out).unwrap())
            });
            let mut s = Sampler::new(1).method(Method::SoftmaxRoulette);
            g.bench_function("roulette", |b| {
                b.iter(|| s.sample_batch(black_box(&x), cols, &mut out).unwrap())
            });

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
        }
        g.finish();
    }
}

fn bench_threads(c: &mut Criterion) {
    for (rows, cols) in [(64usize, 32000usize), (64, 128256)] {
        let x = logits(rows, cols);
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
            // ... and of the logits plus noise, with the memory traffic of `ring_hot`
            // and no arithmetic to speak of. Like the ring (capacity 2n), two halves: the
            // untimed step writes one while the timed read takes the one written the step
            // before, so the same data is (or is not) still in cache.
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
                .ring_capacity(2 * n);
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

criterion_group!(benches, bench_methods, bench_threads);

fn main() {
    // One worker in the global pool: every `sample/...` figure is one core.
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()
        .unwrap();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
