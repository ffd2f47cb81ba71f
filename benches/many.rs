//! Many draws from one distribution: Gumbel-max per draw (one fused pass over the row
//! per token) against a cumulative table built once plus a binary search per draw
//! (`Sampler::sample_n`), one thread. Throughput is in draws.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use gumbel::{Method, Sampler};

fn bench(c: &mut Criterion) {
    for vocab in [1000usize, 32000, 128256] {
        let x: Vec<f32> = (0..vocab)
            .map(|i| ((i as u64 * 2_654_435_761) % 1000) as f32 * 0.01)
            .collect();
        let mut g = c.benchmark_group(format!("many/{vocab}"));
        g.warm_up_time(Duration::from_millis(300));
        g.measurement_time(Duration::from_secs(1));
        g.sample_size(10);
        for n in [1usize, 2, 4, 16, 256, 4096] {
            g.throughput(Throughput::Elements(n as u64));
            let mut out = vec![0u32; n];
            if n <= 256 {
                let mut s = Sampler::new(1).method(Method::GumbelMaxFused);
                g.bench_function(BenchmarkId::new("gumbel_max_per_draw", n), |b| {
                    b.iter(|| {
                        for o in out.iter_mut() {
                            *o = s.sample(black_box(&x)).unwrap() as u32;
                        }
                    })
                });
            }
            if n >= gumbel::SAMPLE_N_TABLE_MIN {
                let mut s = Sampler::new(1);
                g.bench_function(BenchmarkId::new("cdf_table", n), |b| {
                    b.iter(|| s.sample_n(black_box(&x), &mut out).unwrap())
                });
            }
        }
        g.finish();
    }
}

criterion_group!(benches, bench);

fn main() {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()
        .unwrap();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
