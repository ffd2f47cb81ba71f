//! The benches' "bucketed rejection" reference sampler (vLLM's CPU sampler, written
//! from its description in `benches/bucketed.rs`) draws from the exact softmax:
//! chi-square over 10⁶ draws on three row shapes, α = 1e-8 per statistic.

mod common;

#[path = "../benches/bucketed.rs"]
mod bucketed;

use common::stats::{chi2_critical, pearson, softmax_f64};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

#[test]
fn bucketed_rejection_reference_draws_the_softmax() {
    let rows: Vec<(&str, Vec<f32>)> = vec![
        (
            "spread over buckets, short last block",
            (0..77).map(|i| -(i as f32) * 0.11).collect(),
        ),
        (
            "one head, masked tail",
            (0..100)
                .map(|i| match i {
                    0..=2 => 3.0,
                    90.. => f32::NEG_INFINITY,
                    _ => (i % 7) as f32 * 0.2,
                })
                .collect(),
        ),
        ("flat", vec![1.5f32; 40]),
    ];
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0xb0c);
    let mut s = bucketed::Bucketed::default();
    for (what, x) in rows {
        let p = softmax_f64(&x, 1.0);
        let n = 1_000_000u64;
        let mut counts = vec![0u64; x.len()];
        for _ in 0..n {
            counts[s.sample(&x, &mut rng)] += 1;
        }
        let (stat, dof) = pearson(&counts, &p);
        let crit = chi2_critical(dof as f64, 1e-8);
        println!("STAT bucketed {what}: chi2 {stat:.2} (dof {dof}, critical {crit:.2})");
        assert!(stat <= crit, "{what}: chi2 {stat} > {crit}");
    }
}
