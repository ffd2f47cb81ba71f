//! One-pass softmax + roulette: the inverse-CDF property against an exact f64 CDF.
//!
//! The kernel weighs entry `i` of 64-block `B` as `e^{(x_i − M_B)/T}·e^{(M_B − m)/T}`
//! (f32 exponentials, f64 sums), locates the crossing block from the stored block
//! sums and walks only that block. For every path, row and uniform `u` the drawn `i`
//! must satisfy `F(i − 1) ≤ u + ε` and `F(i) ≥ u − ε`, with `F` the f64 CDF of
//! `softmax(x/T)` and `ε = 1e-5` (the f32 weights are within a few ulp, 1e-6 relative),
//! and must never be a masked entry — also for `u` next to 0 and 1 (the end of the
//! CDF) and for rows whose weights span the whole f32 range. The distribution itself
//! is checked by the chi-square tests of `tests/sampling_stats.rs`.

mod common;

use common::NEG_INF;
use common::rng::{Draws, splitmix};
use common::stats::softmax_f64;
use gumbel::simd::with_isa;
use gumbel::softmax_roulette;

/// The f64 CDF of `softmax(x/T)`.
fn cdf(x: &[f32], t: f64) -> Vec<f64> {
    let mut acc = 0.0;
    softmax_f64(x, t)
        .into_iter()
        .map(|p| {
            acc += p;
            acc
        })
        .collect()
}

#[test]
fn one_pass_roulette_inverts_the_exact_cdf_on_every_path() {
    const EPS: f64 = 1e-5;
    let mut rng = splitmix(0x0e1e);
    let mut rows: Vec<Vec<f32>> = Vec::new();
    for case in 0..40 {
        let n = match case % 5 {
            0 => rng.between(1, 20),
            1 => rng.between(60, 300),
            2 => rng.between(1000, 3000),
            3 => 64 * rng.between(1, 20),
            _ => 33_000,
        };
        let sd = [0.5, 2.0, 10.0, 40.0][case % 4];
        let mask = [0.0, 0.3, 0.95][case % 3];
        let mut x: Vec<f32> = (0..n)
            .map(|_| {
                if rng.uniform() < mask {
                    NEG_INF
                } else {
                    (rng.normal() * sd) as f32
                }
            })
            .collect();
        x[rng.below(n)] = 1.0; // never fully masked
        rows.push(x);
    }
    // one spike per block far above the rest, and the rest below f32's exp range
    rows.push(
        (0..5000)
            .map(|i| if i % 64 == 9 { 0.0 } else { -200.0 })
            .collect(),
    );
    rows.push((0..5000).map(|i| -(i as f32) * 0.05).collect());
    let us = [
        1e-15,
        1e-9,
        1e-3,
        0.25,
        0.5,
        0.75,
        0.999,
        1.0 - 1e-9,
        1.0 - 1e-15,
    ];
    let mut checked = 0usize;
    for isa in common::isas() {
        for (r, x) in rows.iter().enumerate() {
            for t in [1.0f32, 0.5, 2.0, 1e-3, 30.0] {
                let f = cdf(x, t as f64);
                for &u in &us {
                    let i = with_isa(isa, || softmax_roulette(x, u, t))
                        .unwrap()
                        .unwrap_or_else(|e| panic!("{isa} row {r} T={t} u={u}: {e}"));
                    let ctx = format!("{isa} row {r} (n {}) T={t} u={u}: index {i}", x.len());
                    assert!(
                        i < x.len() && x[i] != NEG_INF,
                        "{ctx}: masked or out of range"
                    );
                    let below = if i == 0 { 0.0 } else { f[i - 1] };
                    assert!(below <= u + EPS, "{ctx}: F(i-1) = {below}");
                    assert!(f[i] >= u - EPS, "{ctx}: F(i) = {}", f[i]);
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 1000, "{checked}");
}
