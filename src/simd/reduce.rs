//! Reductions over a row, block by block: argmax (lowest index on ties), max, the
//! f64 exp-sum and the inverse-CDF scan that replays it, and the dot product.
//!
//! Rows are processed in blocks of [`BLOCK`] = 64 elements (`BV` vectors of
//! `V::LANES`), which is also 4 steps of the 16 noise lanes.

use super::element::load_partial;
use super::math;
use super::source::Values;
use super::vector::{BLOCK, Vector};

/// Result of a fused argmax pass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Argmax {
    /// Lowest index of the maximum, or `usize::MAX` when every value is `-inf`.
    pub index: usize,
    /// The maximum value.
    pub value: f32,
    /// Some input was invalid (NaN / +inf logit, non-finite noise, bad probability);
    /// `index` and `value` are then meaningless and the caller locates the culprit.
    pub bad: bool,
    /// Positions whose noise was evaluated (generated in full, or read): the row length
    /// for the plain passes, far fewer for the pruned ones.
    pub evaluated: usize,
}

/// Tree maximum of `BV` vectors. (Closure-free on purpose: closures are compiled
/// without the entry function's target features, so intrinsics in them become calls.)
#[inline(always)]
pub(crate) unsafe fn tree_max<V: Vector, const BV: usize>(mut v: [V; BV]) -> V {
    let mut n = BV;
    // SAFETY: caller contract (ISA available).
    unsafe {
        while n > 1 {
            let h = n / 2;
            for j in 0..h {
                v[j] = v[j].max(v[j + h]);
            }
            if n % 2 == 1 {
                v[0] = v[0].max(v[n - 1]);
            }
            n = h;
        }
    }
    v[0]
}

/// Tree sum of `BV` vectors, in a fixed order.
#[inline(always)]
pub(crate) unsafe fn tree_sum<V: Vector, const BV: usize>(mut v: [V; BV]) -> V {
    let mut n = BV;
    // SAFETY: caller contract (ISA available).
    unsafe {
        while n > 1 {
            let h = n / 2;
            for j in 0..h {
                v[j] = v[j].add(v[j + h]);
            }
            if n % 2 == 1 {
                v[0] = v[0].add(v[n - 1]);
            }
            n = h;
        }
    }
    v[0]
}

/// Take the new best from `vs` (elements `base ..`, the first `valid` of them real),
/// whose lane-wise maximum `m` has a lane above `best`: the first lane equal to the
/// maximum, found with compares and a mask rather than a branchy scalar scan. A
/// scalar scan remains for NaN scores only (the row is then flagged `bad` anyway).
#[inline(always)]
pub(crate) unsafe fn new_best<V: Vector, const N: usize>(
    vs: &[V; N],
    m: V,
    valid: usize,
    base: usize,
    best: &mut f32,
    index: &mut usize,
) {
    // SAFETY: caller contract (ISA available); `buf` holds N * LANES <= BLOCK values.
    unsafe {
        let top = m.reduce_max();
        if top > *best {
            for (j, v) in vs.iter().enumerate() {
                let rem = valid.saturating_sub(j * V::LANES);
                let real = if rem >= 32 {
                    u32::MAX
                } else {
                    (1u32 << rem) - 1
                };
                let hits = V::mask_bits(v.eq(V::splat(top))) & real;
                if hits != 0 {
                    *best = top;
                    *index = base + j * V::LANES + hits.trailing_zeros() as usize;
                    return;
                }
            }
        }
        let mut buf = [0.0f32; BLOCK];
        for (j, v) in vs.iter().enumerate() {
            v.store(buf.as_mut_ptr().add(j * V::LANES));
        }
        for (k, &x) in buf[..valid].iter().enumerate() {
            if x > *best {
                *best = x;
                *index = base + k;
            }
        }
    }
}

/// Argmax of the scores `src` over `n` elements, lowest index on ties; see [`Argmax`].
///
/// Whole blocks are reduced with vector `max`; only a block whose maximum beats the
/// running best is scanned element by element (in index order, strictly greater wins),
/// so ties keep the lowest index on every ISA.
///
/// # Safety
/// `V`'s ISA is available; `BV * V::LANES == BLOCK`; `src` is valid for `n` elements.
#[inline(always)]
pub(crate) unsafe fn argmax<V: Vector, S: Values<V>, const BV: usize>(
    n: usize,
    mut src: S,
) -> Argmax {
    let mut best = f32::NEG_INFINITY;
    let mut index = usize::MAX;
    // SAFETY: caller contract; every `full` reads inside `[0, n)`, every `partial` is
    // called with `i < n < i + LANES`.
    unsafe {
        let mut bad = V::mask_none();
        let mut i = 0;
        while i + BLOCK <= n {
            let mut vs = [V::splat(0.0); BV];
            for (j, v) in vs.iter_mut().enumerate() {
                let (x, b) = src.full(i + j * V::LANES);
                bad = V::mask_or(bad, b);
                *v = x;
            }
            let m = tree_max(vs);
            if V::mask_any(m.gt(V::splat(best))) {
                new_best(&vs, m, BLOCK, i, &mut best, &mut index);
            }
            i += BLOCK;
        }
        while i < n {
            let (v, b) = if i + V::LANES <= n {
                src.full(i)
            } else {
                src.partial(i, n)
            };
            bad = V::mask_or(bad, b);
            if V::mask_any(v.gt(V::splat(best))) {
                new_best(&[v], v, V::LANES.min(n - i), i, &mut best, &mut index);
            }
            i += V::LANES;
        }
        Argmax {
            index,
            value: best,
            bad: V::mask_any(bad),
            evaluated: n,
        }
    }
}

/// Maximum of `src` over `n` elements and whether any input was invalid.
///
/// # Safety
/// `V`'s ISA is available; `BV * V::LANES == BLOCK`; `src` is valid for `n` elements.
#[inline(always)]
pub(crate) unsafe fn max<V: Vector, S: Values<V>, const BV: usize>(
    n: usize,
    mut src: S,
) -> (f32, bool) {
    // SAFETY: caller contract, as in `argmax`.
    unsafe {
        let mut bad = V::mask_none();
        let mut acc = [V::splat(f32::NEG_INFINITY); BV];
        let mut i = 0;
        while i + BLOCK <= n {
            for (j, a) in acc.iter_mut().enumerate() {
                let (v, b) = src.full(i + j * V::LANES);
                bad = V::mask_or(bad, b);
                *a = a.max(v);
            }
            i += BLOCK;
        }
        while i < n {
            let (v, b) = if i + V::LANES <= n {
                src.full(i)
            } else {
                src.partial(i, n)
            };
            bad = V::mask_or(bad, b);
            acc[0] = acc[0].max(v);
            i += V::LANES;
        }
        (tree_max(acc).reduce_max(), V::mask_any(bad))
    }
}

/// `exp((x − m)·s)` for one vector of values.
#[inline(always)]
unsafe fn shifted_exp<V: Vector>(x: V, m: f32, s: f32) -> V {
    // SAFETY: caller contract (ISA available).
    unsafe { math::exp(x.sub(V::splat(m)).mul(V::splat(s))) }
}

/// The sum of one block's `exp((x − m)·s)` in f64: a vertical f32 tree over the block's
/// vectors, then a fixed-order f64 horizontal sum. Deterministic per ISA, so the
/// roulette scan can replay it exactly.
#[inline(always)]
pub(crate) unsafe fn block_exps<V: Vector, S: Values<V>, const BV: usize>(
    src: &mut S,
    i: usize,
    n: usize,
    m: f32,
    s: f32,
) -> ([V; BV], f64) {
    // SAFETY: caller contract; loads stay inside `[0, n)` (partial pads past `n`).
    unsafe {
        let mut es = [V::splat(0.0); BV];
        for (j, ej) in es.iter_mut().enumerate() {
            let e = i + j * V::LANES;
            let x = if e + V::LANES <= n {
                src.full(e).0
            } else if e < n {
                src.partial(e, n).0
            } else {
                V::splat(f32::NEG_INFINITY)
            };
            *ej = shifted_exp(x, m, s);
        }
        let sum = tree_sum(es).reduce_sum_f64();
        (es, sum)
    }
}

/// `Σ exp((x_i − m)·s)` in f64, summed block by block (see [`block_exps`]).
///
/// # Safety
/// `V`'s ISA is available; `BV * V::LANES == BLOCK`; `src` is valid for `n` elements.
#[inline(always)]
pub(crate) unsafe fn exp_sum<V: Vector, S: Values<V>, const BV: usize>(
    n: usize,
    mut src: S,
    m: f32,
    s: f32,
) -> f64 {
    let mut total = 0.0f64;
    let mut i = 0;
    while i < n {
        // SAFETY: caller contract.
        total += unsafe { block_exps::<V, S, BV>(&mut src, i, n, m, s).1 };
        i += BLOCK;
    }
    total
}

/// `⟨a, b⟩` in f64: products summed in f32 within a 64-element block (a fixed tree),
/// blocks accumulated in f64.
///
/// # Safety
/// `V`'s ISA is available; `BV * V::LANES == BLOCK`; `a`, `b` valid for `n` reads.
#[inline(always)]
pub(crate) unsafe fn dot<V: Vector, const BV: usize>(
    n: usize,
    a: *const f32,
    b: *const f32,
) -> f64 {
    let mut total = 0.0f64;
    let mut i = 0;
    // SAFETY: caller contract; loads stay inside `[0, n)` or are padded.
    unsafe {
        while i < n {
            let mut ps = [V::splat(0.0); BV];
            for (j, p) in ps.iter_mut().enumerate() {
                let e = i + j * V::LANES;
                *p = if e + V::LANES <= n {
                    V::load(a.add(e)).mul(V::load(b.add(e)))
                } else if e < n {
                    load_partial::<V, f32>(a, e, n, 0.0).mul(load_partial::<V, f32>(b, e, n, 0.0))
                } else {
                    V::splat(0.0)
                };
            }
            total += tree_sum(ps).reduce_sum_f64();
            i += BLOCK;
        }
    }
    total
}
