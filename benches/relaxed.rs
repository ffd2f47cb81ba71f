//! Gumbel-softmax forward and backward, one thread, against references in the same run:
//!
//! * `forward`     — `Sampler::gumbel_softmax_batch`, noise included (ring refilled
//!   inside the timed region);
//! * `forward_scalar` — a scalar f32 reference: `y = softmax((x + g)/τ)` with `f32::exp`
//!   and the same noise buffer;
//! * `fused_gumbel_max` — `Method::GumbelMaxFused` at the same shape (draws a token,
//!   no `y`);
//! * `backward`    — `gumbel_softmax_backward_batch`;
//! * `backward_scalar` — a scalar reference of the same VJP;
//! * `plain_pass`  — reads `y` and `grad_y`, writes one output (`out = y * gy`): the
//!   memory traffic floor of the backward pass.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group};
use gumbel::{Method, Sampler, gumbel_softmax_backward_batch};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const SHAPES: [(usize, usize); 2] = [(64, 32000), (64, 128256)];
const TAU: f32 = 0.5;

fn scalar_forward(x: &[f32], g: &[f32], tau: f32, y: &mut [f32]) {
    let inv = 1.0 / tau;
    let m = x
        .iter()
        .zip(g)
        .fold(f32::NEG_INFINITY, |a, (&xi, &gi)| a.max(xi + gi));
    let mut s = 0.0f32;
    for ((yi, &xi), &gi) in y.iter_mut().zip(x).zip(g) {
        *yi = ((xi + gi - m) * inv).exp();
        s += *yi;
    }
    let r = 1.0 / s;
    y.iter_mut().for_each(|v| *v *= r);
}

fn scalar_backward(y: &[f32], gy: &[f32], tau: f32, gx: &mut [f32]) {
    let d: f32 = y.iter().zip(gy).map(|(a, b)| a * b).sum();
    let inv = 1.0 / tau;
    for ((o, &yi), &gi) in gx.iter_mut().zip(y).zip(gy) {
        *o = yi * (gi - d) * inv;
    }
}

fn bench(c: &mut Criterion) {
    for (rows, cols) in SHAPES {
        let n = rows * cols;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let x: Vec<f32> = (0..n).map(|_| 4.0 * (rng.random::<f32>() - 0.5)).collect();
        let gy: Vec<f32> = (0..n).map(|_| rng.random::<f32>() - 0.5).collect();
        let mut g = vec![0.0f32; n];
        gumbel::noise::fill_gumbel(1, 0, &mut g);
        let mut y = vec![0.0f32; n];
        let mut gx = vec![0.0f32; n];
        let mut hard = vec![0u32; rows];

        let mut grp = c.benchmark_group(format!("relaxed/{rows}x{cols}"));
        grp.throughput(Throughput::Elements(n as u64));
        grp.warm_up_time(Duration::from_millis(500));
        grp.measurement_time(Duration::from_secs(2));
        grp.sample_size(10);

        let mut s = Sampler::new(1).ring_capacity(2 * n);
        grp.bench_function("forward", |b| {
            b.iter(|| {
                s.refill();
                s.gumbel_softmax_batch(black_box(&x), cols, TAU, &mut y, &mut hard)
                    .unwrap();
            })
        });
        grp.bench_function("forward_scalar", |b| {
            b.iter(|| {
                for ((xr, gr), yr) in x.chunks(cols).zip(g.chunks(cols)).zip(y.chunks_mut(cols)) {
                    scalar_forward(black_box(xr), gr, TAU, yr);
                }
            })
        });
        let mut f = Sampler::new(1)
            .method(Method::GumbelMaxFused)
            .temperature(TAU);
        grp.bench_function("fused_gumbel_max", |b| {
            b.iter(|| f.sample_batch(black_box(&x), cols, &mut hard).unwrap())
        });
        // y for the backward passes: a real forward output
        s.gumbel_softmax_batch(&x, cols, TAU, &mut y, &mut hard)
            .unwrap();
        grp.bench_function("backward", |b| {
            b.iter(|| {
                gumbel_softmax_backward_batch(black_box(&y), &gy, cols, TAU, &mut gx).unwrap()
            })
        });
        grp.bench_function("backward_scalar", |b| {
            b.iter(|| {
                for ((yr, gr), or) in y.chunks(cols).zip(gy.chunks(cols)).zip(gx.chunks_mut(cols)) {
                    scalar_backward(black_box(yr), gr, TAU, or);
                }
            })
        });
        grp.bench_function("plain_pass", |b| {
            b.iter(|| {
                for ((o, &a), &bb) in gx.iter_mut().zip(black_box(&y)).zip(&gy) {
                    *o = a * bb;
                }
            })
        });
        grp.finish();
    }
}

criterion_group!(benches, bench);

fn main() {
    // One worker in the global pool: every figure here is one core.
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()
        .unwrap();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
