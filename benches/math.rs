//! Foundation benchmarks: the `ln` and `exp` slice maps and standard Gumbel noise, on
//! every ISA path this CPU can run, against the obvious scalar references.
//!
//! Run with `cargo bench --bench math`. One thread; 64 Ki f32 per call (fits L2);
//! throughput is reported in elements.

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime,
};
use gumbel::noise::fill_gumbel;
use gumbel::simd::{self, Isa, with_isa};
use rand::RngExt;
use rand_distr::{Distribution, Gumbel};
use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::SeedableRng;

/// Elements per call: 256 KiB of f32, in L2 with room for the output.
const N: usize = 64 * 1024;

fn configure<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .throughput(Throughput::Elements(N as u64))
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    group
}

/// Positive inputs spread over many binades: `e^u`, `u` uniform in [-20, 20].
fn ln_inputs() -> Vec<f32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0x6c6e);
    (0..N)
        .map(|_| rng.random_range(-20.0f32..20.0).exp())
        .collect()
}

/// Uniform in [-80, 80]: results from about 1.8e-35 to 5.5e34, all normal.
fn exp_inputs() -> Vec<f32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0x6578);
    (0..N).map(|_| rng.random_range(-80.0f32..80.0)).collect()
}

/// Benchmark a slice map on every available ISA and against a plain std loop.
///
/// `reference` is generic (not a fn pointer) so the loop calls `f32::ln` / `f32::exp`
/// directly, exactly as a hand-written `y[i] = x[i].ln()` loop would.
fn bench_map<F: Fn(f32) -> f32>(
    c: &mut Criterion,
    name: &str,
    x: &[f32],
    map: fn(&[f32], &mut [f32]) -> Result<(), gumbel::Error>,
    reference_name: &str,
    reference: F,
) {
    let mut group = configure(c, name);
    let mut y = vec![0.0f32; N];
    for isa in Isa::available() {
        group.bench_function(isa.name(), |b| {
            with_isa(isa, || {
                b.iter(|| {
                    map(black_box(x), black_box(&mut y[..])).unwrap();
                })
            })
            .expect("Isa::available() lists only runnable ISAs")
        });
    }
    group.bench_function(reference_name, |b| {
        b.iter(|| {
            let x = black_box(x);
            let y = black_box(&mut y[..]);
            for (yi, &xi) in y.iter_mut().zip(x) {
                *yi = reference(xi);
            }
        })
    });
    group.finish();
    black_box(&y);
}

fn bench_ln(c: &mut Criterion) {
    bench_map(c, "ln", &ln_inputs(), simd::ln, "std_f32_ln", f32::ln);
}

fn bench_exp(c: &mut Criterion) {
    bench_map(c, "exp", &exp_inputs(), simd::exp, "std_f32_exp", f32::exp);
}

fn bench_fill_gumbel(c: &mut Criterion) {
    let mut group = configure(c, "fill_gumbel");
    let mut out = vec![0.0f32; N];
    for isa in Isa::available() {
        group.bench_function(isa.name(), |b| {
            with_isa(isa, || {
                let mut stream = 0u64;
                b.iter(|| {
                    // A fresh stream per call, as a caller drawing new noise would.
                    stream = stream.wrapping_add(1);
                    fill_gumbel(black_box(42), black_box(stream), black_box(&mut out[..]));
                })
            })
            .expect("Isa::available() lists only runnable ISAs")
        });
    }
    group.bench_function("rand_distr_gumbel_f32", |b| {
        let gumbel = Gumbel::<f32>::new(0.0, 1.0).expect("valid parameters");
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
        b.iter(|| {
            let out = black_box(&mut out[..]);
            for o in out.iter_mut() {
                *o = gumbel.sample(&mut rng);
            }
        })
    });
    group.finish();
    black_box(&out);
}

criterion_group!(benches, bench_ln, bench_exp, bench_fill_gumbel);
criterion_main!(benches);
