//! The benches' "bucketed rejection" reference sampler (vLLM's CPU sampler, written
//! from its description in `benches/bucketed.rs`) draws from the exact softmax:
//! chi-square over 10⁶ draws on three row shapes, α = 1e-8 per statistic.

mod common;

#[path = "../benches/bucketed.rs"]
mod bucketed;

use common::stats::chi2_critical;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

fn softmax_f64(x: &[f32]) -> Vec<f64> {
    let m = x.iter().fold(f64::NEG_INFINITY, |a, &v| a.max(v as f64));
    let w: Vec<f64> = x.iter().map(|&v| (v as f64 - m).exp()).collect();
    let s: f64 = w.iter().sum();
    w.iter().map(|v| v / s).collect()
}

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
        let p = softmax_f64(&x);
        let n = 1_000_000u64;
        let mut counts = vec![0u64; x.len()];
        for _ in 0..n {
            counts[s.sample(&x, &mut rng)] += 1;
        }
        let (mut stat, mut cells) = (0.0, 0usize);
        for (&c, &q) in counts.iter().zip(&p) {
            if q == 0.0 {
                assert_eq!(c, 0, "{what}: a masked logit was drawn");
                continue;
            }
            let e = n as f64 * q;
            assert!(e >= 5.0, "{what}: expected count {e} below 5");
            stat += (c as f64 - e).powi(2) / e;
            cells += 1;
        }
        let crit = chi2_critical((cells - 1) as f64, 1e-8);
        println!(
            "STAT bucketed {what}: chi2 {stat:.2} (dof {}, critical {crit:.2})",
            cells - 1
        );
        assert!(stat <= crit, "{what}: chi2 {stat} > {crit}");
    }
}
