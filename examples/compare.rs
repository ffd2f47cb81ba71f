//! The crate's main job, end to end: sample with every method, compare the empirical
//! frequencies with the exact softmax (plain and filtered by top-k / top-p), check the noise against the Gumbel CDF, and time
//! the methods on an LLM-sized batch.
//!
//! ```text
//! cargo run --release --example compare
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use gumbel::noise;
use gumbel::simd::Isa;
use gumbel::{Gumbel, Method, Sampler, SamplingParams, kept_floor};

fn exact_softmax(logits: &[f32], t: f64) -> Vec<f64> {
    let m = logits
        .iter()
        .fold(f64::NEG_INFINITY, |a, &b| a.max(b as f64));
    let e: Vec<f64> = logits.iter().map(|&x| ((x as f64 - m) / t).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// Median wall time of `f` over `reps` runs.
fn median_time(reps: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[reps / 2]
}

fn main() {
    println!(
        "gumbel {} — ISA in use: {} (available: {})",
        env!("CARGO_PKG_VERSION"),
        Isa::active(),
        {
            let v: Vec<String> = Isa::available().map(|i| i.to_string()).collect();
            v.join(", ")
        }
    );

    // 1. The Gumbel-max trick, seen: frequencies of every method against the softmax.
    let logits = [1.0f32, 2.0, 0.5, f32::NEG_INFINITY, 3.0, -1.0];
    let t = 1.0;
    let p = exact_softmax(&logits, t as f64);
    let (rows, draws) = (1000usize, 2_000_000usize);
    let batch: Vec<f32> = (0..rows).flat_map(|_| logits).collect();
    let mut out = vec![0u32; rows];
    println!("\n1. Frequencies over {draws} draws, logits {logits:?}, T = {t}");
    println!(
        "   {:>6} {:>10} {:>10} {:>10} {:>10}",
        "token", "softmax", "ring", "fused", "roulette"
    );
    let methods = [
        Method::GumbelMax,
        Method::GumbelMaxFused,
        Method::SoftmaxRoulette,
    ];
    let mut counts = [[0usize; 6]; 3];
    for (m, c) in methods.iter().zip(counts.iter_mut()) {
        let mut s = Sampler::new(2024)
            .method(*m)
            .temperature(t)
            .ring_capacity(1 << 20);
        for _ in 0..draws / rows {
            s.sample_batch(&batch, logits.len(), &mut out).unwrap();
            for &o in &out {
                c[o as usize] += 1;
            }
        }
    }
    let mut chi2 = [0.0f64; 3];
    for i in 0..logits.len() {
        let f: Vec<f64> = counts.iter().map(|c| c[i] as f64 / draws as f64).collect();
        println!(
            "   {i:>6} {:>10.5} {:>10.5} {:>10.5} {:>10.5}",
            p[i], f[0], f[1], f[2]
        );
        if p[i] > 0.0 {
            for k in 0..3 {
                let e = p[i] * draws as f64;
                chi2[k] += (counts[k][i] as f64 - e).powi(2) / e;
            }
        }
    }
    println!(
        "   chi-square (4 dof; 1e-6 critical value 33.4): ring {:.2}, fused {:.2}, roulette {:.2}",
        chi2[0], chi2[1], chi2[2]
    );

    // 1b. A filtered draw, as an engine asks for it: temperature, top-k and top-p
    // per row. The kept set is every token >= a floor (ties kept); each method samples
    // the softmax over it.
    let params = SamplingParams::default()
        .temperature(0.8)
        .top_k(3)
        .top_p(0.8);
    let floor = kept_floor(&logits, &params).unwrap();
    let kept: Vec<bool> = logits
        .iter()
        .map(|&x| x >= floor && x > f32::NEG_INFINITY)
        .collect();
    let masked: Vec<f32> = logits
        .iter()
        .zip(&kept)
        .map(|(&x, &k)| if k { x } else { f32::NEG_INFINITY })
        .collect();
    let pf = exact_softmax(&masked, params.temperature as f64);
    println!(
        "\n1b. Filtered: T = {}, top_k = {}, top_p = {} keeps logits >= {floor} (tokens {:?})",
        params.temperature,
        params.top_k,
        params.top_p,
        (0..logits.len()).filter(|&i| kept[i]).collect::<Vec<_>>()
    );
    println!(
        "   {:>6} {:>10} {:>10} {:>10} {:>10}",
        "token", "filtered", "ring", "fused", "roulette"
    );
    let mut counts = [[0usize; 6]; 3];
    for (m, c) in methods.iter().zip(counts.iter_mut()) {
        let mut s = Sampler::new(2025).method(*m).ring_capacity(1 << 20);
        for _ in 0..draws / rows {
            s.sample_batch_with(&batch, logits.len(), &[params], &mut out)
                .unwrap();
            for &o in &out {
                c[o as usize] += 1;
            }
        }
    }
    let mut chi2 = [0.0f64; 3];
    for i in 0..logits.len() {
        let f: Vec<f64> = counts.iter().map(|c| c[i] as f64 / draws as f64).collect();
        println!(
            "   {i:>6} {:>10.5} {:>10.5} {:>10.5} {:>10.5}",
            pf[i], f[0], f[1], f[2]
        );
        for k in 0..3 {
            if pf[i] > 0.0 {
                let e = pf[i] * draws as f64;
                chi2[k] += (counts[k][i] as f64 - e).powi(2) / e;
            } else {
                assert_eq!(counts[k][i], 0, "a filtered-out token was drawn");
            }
        }
    }
    let dof = kept.iter().filter(|&&k| k).count() - 1;
    println!(
        "   chi-square ({dof} dof): ring {:.2}, fused {:.2}, roulette {:.2}; filtered-out tokens drawn: 0",
        chi2[0], chi2[1], chi2[2]
    );

    // 2. The noise itself against the exact Gumbel distribution.
    let n = 10_000_000;
    let mut g = vec![0.0f32; n];
    noise::fill_gumbel(7, 0, &mut g);
    let (lo, hi) = g
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let mean = g.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
    let var = g.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n as f64;
    let mut sorted: Vec<f64> = g.iter().map(|&v| v as f64).collect();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let d = sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let c = Gumbel::STANDARD.cdf(x);
            (c - i as f64 / n as f64)
                .abs()
                .max(((i + 1) as f64 / n as f64 - c).abs())
        })
        .fold(0.0f64, f64::max);
    println!("\n2. Noise: {n} standard Gumbel values from fill_gumbel");
    println!(
        "   mean {mean:.5} (exact {:.5}), variance {var:.5} (exact {:.5})",
        Gumbel::STANDARD.mean(),
        Gumbel::STANDARD.variance()
    );
    println!(
        "   range [{lo:.3}, {hi:.3}] (possible: [-3.130, 22.874]); KS sqrt(n)*D = {:.3} (1e-7 critical 2.90)",
        d * (n as f64).sqrt()
    );
    for x in [5.0, 10.0] {
        let emp = g.iter().filter(|&&v| v as f64 > x).count() as f64 / n as f64;
        println!(
            "   P(G > {x:>4}) empirical {emp:.3e}, exact {:.3e}",
            Gumbel::STANDARD.sf(x)
        );
    }
    let fill = median_time(9, || noise::fill_gumbel(7, 1, black_box(&mut g)));
    println!(
        "   fill_gumbel: {:.3} ns/value ({:.2} G values/s, one thread)",
        fill.as_secs_f64() * 1e9 / n as f64,
        n as f64 / fill.as_secs_f64() / 1e9
    );

    // 3. Latency on an LLM-sized batch, on one core and on every core.
    let (rows, cols) = (32usize, 128_256usize);
    let x: Vec<f32> = (0..rows * cols)
        .map(|i| ((i as u64 * 2_654_435_761) % 10_007) as f32 * 1e-3 - 5.0)
        .collect();
    for threads in [1, rayon::current_num_threads()] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| latency_table(&x, rows, cols));
    }
}

/// A plain read of every logit, vectorizable (16 independent accumulators).
fn stream_max(x: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; 16];
    for c in x.chunks_exact(16) {
        for i in 0..16 {
            acc[i] = if c[i] > acc[i] { c[i] } else { acc[i] };
        }
    }
    acc.iter()
        .fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m })
}

fn latency_table(x: &[f32], rows: usize, cols: usize) {
    let mut out = vec![0u32; rows];
    println!(
        "\n3. Latency, {rows} rows x {cols} vocabulary, {} thread(s)",
        rayon::current_num_threads()
    );
    let stream = median_time(15, || {
        for r in x.chunks(cols) {
            black_box(stream_max(black_box(r)));
        }
    });
    let mut ring = Sampler::new(1)
        .method(Method::GumbelMax)
        .ring_capacity(2 * rows * cols);
    let mut times = Vec::new();
    for _ in 0..15 {
        ring.refill(); // noise made ahead, as during a forward pass: not timed
        let t = Instant::now();
        ring.sample_batch(x, cols, &mut out).unwrap();
        times.push(t.elapsed());
    }
    times.sort();
    let ring_hot = times[7];
    assert_eq!(ring.noise_generated_while_sampling(), 0);
    let ring_total = median_time(15, || {
        ring.refill();
        ring.sample_batch(x, cols, &mut out).unwrap();
    });
    let mut fused = Sampler::new(1).method(Method::GumbelMaxFused);
    let fused_t = median_time(15, || fused.sample_batch(x, cols, &mut out).unwrap());
    let mut roulette = Sampler::new(1).method(Method::SoftmaxRoulette);
    let roulette_t = median_time(15, || roulette.sample_batch(x, cols, &mut out).unwrap());
    let per = |d: Duration| d.as_secs_f64() * 1e9 / (rows * cols) as f64;
    println!(
        "   {:<46} {:>9} {:>9} {:>9}",
        "method", "ms/batch", "ns/logit", "x stream"
    );
    for (name, d) in [
        ("streaming max over the logits (1 thread)", stream),
        ("Gumbel-max, ring full (critical path)", ring_hot),
        ("Gumbel-max, ring incl. refill (total cost)", ring_total),
        ("Gumbel-max, fused noise in registers", fused_t),
        ("softmax + roulette wheel", roulette_t),
    ] {
        println!(
            "   {name:<46} {:>9.3} {:>9.4} {:>9.2}",
            d.as_secs_f64() * 1e3,
            per(d),
            per(d) / per(stream)
        );
    }
}
