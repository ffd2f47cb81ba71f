//! A reference sampler for the benches: "bucketed rejection", the exact sampler of
//! vLLM's CPU backend, written here from its description (not from its code).
//!
//! One pass takes the maximum of every 32-logit block and the row maximum `m`. A
//! block's logits are all at most its maximum `M_b`, so its probability mass (relative
//! to `e^{m}`) is at most `32·e^{M_b − m} ≤ 32·2^{−k_b}` with `k_b = ⌊(m − M_b)/ln 2⌋`:
//! blocks are bucketed by that power of two. A draw picks a bucket with probability
//! proportional to `count_k·2^{−k}`, a block uniformly in it and a logit uniformly in
//! the block, and accepts it with probability `e^{x_i − m}/2^{−k}` (≤ 1); otherwise it
//! draws again. Accepted logits are distributed exactly as `softmax(x)` (rejection
//! from an envelope); the expected number of tries is the envelope mass over the
//! true mass. Blocks more than 126 powers of two below the maximum (whose every
//! `e^{x − m}` underflows f32) are left out, as an f32 softmax would.
//!
//! Included by `benches/sampling.rs` and by `tests/bucketed_reference.rs` (the
//! chi-square check of this reference).

#![allow(dead_code)]

use rand::{Rng, RngExt};

/// Logits per block.
pub const B: usize = 32;
/// Buckets (powers of two below the maximum) kept.
const K: usize = 127;

/// Scratch reused across rows (no allocation per draw once warm).
#[derive(Default)]
pub struct Bucketed {
    maxima: Vec<f32>,
    count: Vec<u32>,
    start: Vec<u32>,
    order: Vec<u32>,
}

impl Bucketed {
    /// One draw from `softmax(x)` (`x` finite or `-inf`, not all `-inf`).
    pub fn sample<R: Rng + ?Sized>(&mut self, x: &[f32], rng: &mut R) -> usize {
        let nb = x.len().div_ceil(B);
        self.maxima.clear();
        let mut m = f32::NEG_INFINITY;
        for c in x.chunks(B) {
            // eight independent maxima so the compiler vectorises the block
            let mut acc = [f32::NEG_INFINITY; 8];
            let mut it = c.chunks_exact(8);
            for v in it.by_ref() {
                for k in 0..8 {
                    acc[k] = if v[k] > acc[k] { v[k] } else { acc[k] };
                }
            }
            let mb = it
                .remainder()
                .iter()
                .chain(&acc)
                .fold(f32::NEG_INFINITY, |a, &b| if b > a { b } else { a });
            self.maxima.push(mb);
            if mb > m {
                m = mb;
            }
        }
        // bucket k: blocks with 2^-(k+1) < e^{M_b - m} <= 2^-k
        self.count.clear();
        self.count.resize(K, 0);
        let bucket = |mb: f32| -> usize {
            let k = ((m - mb) as f64 / std::f64::consts::LN_2).floor();
            if k.is_finite() && k < K as f64 {
                k as usize
            } else {
                K
            }
        };
        for &mb in &self.maxima {
            let k = bucket(mb);
            if k < K {
                self.count[k] += 1;
            }
        }
        self.start.clear();
        let mut acc = 0u32;
        for &c in &self.count {
            self.start.push(acc);
            acc += c;
        }
        self.order.resize(acc as usize, 0);
        let mut fill = self.start.clone();
        for (b, &mb) in self.maxima.iter().enumerate() {
            let k = bucket(mb);
            if k < K {
                self.order[fill[k] as usize] = b as u32;
                fill[k] += 1;
            }
        }
        let total: f64 = self
            .count
            .iter()
            .enumerate()
            .map(|(k, &c)| c as f64 * (-(k as f64)).exp2())
            .sum();
        let mass = |k: usize| self.count[k] as f64 * (-(k as f64)).exp2();
        let last = (0..K)
            .rev()
            .find(|&k| self.count[k] > 0)
            .expect("a block holds m");
        loop {
            // a bucket by envelope mass, a block in it, a logit in the block
            let mut t = rng.random::<f64>() * total;
            let mut k = 0;
            while k < last && t >= mass(k) {
                t -= mass(k);
                k += 1;
            }
            if self.count[k] == 0 {
                continue;
            }
            let j = rng.random_range(0..self.count[k]);
            let b = self.order[(self.start[k] + j) as usize] as usize;
            let i = b * B + rng.random_range(0..B);
            if i >= x.len() || b >= nb {
                continue; // the short last block: a slot with no logit
            }
            let w = ((x[i] - m) as f64).exp();
            if rng.random::<f64>() * (-(k as f64)).exp2() < w {
                return i;
            }
        }
    }
}
