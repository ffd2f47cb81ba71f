//! Helpers shared by the integration tests, each defined once.
//!
//! * this module: the ISA paths to test, ulp distances, the first-index argmax
//!   reference, the sampling methods, row permutations of a batch, rayon pools;
//! * [`rng`]: the SplitMix64 input generators and the draws taken from them;
//! * [`stats`]: special functions, chi-square, binomial and Kolmogorov–Smirnov;
//! * [`filter_ref`]: the sort-based f64 reference of the filters' kept set.
//!
//! Every test file declares `mod common;` but none uses every helper, hence the
//! `dead_code` allowance.
#![allow(dead_code)]

pub mod filter_ref;
pub mod rng;
pub mod stats;

use gumbel::Method;
use gumbel::simd::Isa;

/// `f32::NEG_INFINITY`: a masked logit.
pub const NEG_INF: f32 = f32::NEG_INFINITY;

/// Every sampling method of the `Sampler`.
pub const METHODS: [Method; 3] = [
    Method::GumbelMax,
    Method::GumbelMaxFused,
    Method::SoftmaxRoulette,
];

/// The ISA paths to test on this machine.
///
/// Every available path is tested. Set `GUMBEL_REQUIRE_ISAS=avx512,avx2,portable,scalar`
/// (as `.ci/run` does) to make a missing path a failure instead of a silent skip.
pub fn isas() -> Vec<Isa> {
    if let Ok(req) = std::env::var("GUMBEL_REQUIRE_ISAS") {
        for name in req.split(',').filter(|s| !s.trim().is_empty()) {
            let isa: Isa = name.parse().unwrap();
            assert!(
                isa.is_available(),
                "GUMBEL_REQUIRE_ISAS names {isa}, which this CPU lacks"
            );
        }
    }
    Isa::available().collect()
}

/// Distance from `y` to the f64 reference `r`, in units of the f32 ulp at `r`.
/// Both infinite with the same sign, or both NaN, is 0; any other mismatch of kind is
/// infinite.
pub fn ulp_error(y: f32, r: f64) -> f64 {
    if r.is_nan() || y.is_nan() {
        return if r.is_nan() && y.is_nan() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    let rf = r as f32; // reference rounded to f32 (may overflow to inf)
    if r.is_infinite() || rf.is_infinite() {
        return if y == rf {
            0.0
        } else if y.is_infinite() {
            f64::INFINITY
        } else {
            ((y as f64) - r).abs() / ulp_at(f32::MAX as f64)
        };
    }
    if y.is_infinite() {
        return f64::INFINITY;
    }
    ((y as f64) - r).abs() / ulp_at(r)
}

/// The f32 ulp at magnitude `|r|` (subnormal spacing below the normal range), read
/// off the f64 exponent bits (no transcendental calls: the exhaustive sweeps call this
/// billions of times).
pub fn ulp_at(r: f64) -> f64 {
    let e = ((r.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    f64::from_bits(((e.max(-126) - 23 + 1023) as u64) << 52)
}

/// Lowest index of the maximum (strictly greater wins, so ties go to the lowest
/// index); `None` when every entry is `-inf` (or NaN), or the row is empty.
pub fn first_argmax(x: &[f32]) -> Option<usize> {
    let mut best = NEG_INF;
    let mut idx = None;
    for (i, &v) in x.iter().enumerate() {
        if v > best {
            best = v;
            idx = Some(i);
        }
    }
    idx
}

/// The rows `perm[0], perm[1], …` of the row-major batch `x` (rows of `cols`), in that
/// order; `cols = 1` permutes a per-row vector such as keys.
pub fn gather_rows<T: Copy>(x: &[T], cols: usize, perm: &[usize]) -> Vec<T> {
    perm.iter()
        .flat_map(|&r| x[r * cols..(r + 1) * cols].iter().copied())
        .collect()
}

/// A rayon pool of exactly `threads` threads, for determinism-across-thread-count tests.
pub fn thread_pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}
