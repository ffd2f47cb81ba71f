//! Softmax + roulette in one pass over the exponentials.
//!
//! The row is taken in groups `B` of [`GROUP`] = 256 values (four 64-blocks): the
//! group's maximum `M_B` (one horizontal reduction per group), then
//! `e_i = exp((x_i − M_B)·s)` over the group again (the reloads hit L1), summed to
//! `Σ_B` (f32 within the group, f64 across groups: ≥ 1, since the maximum contributes
//! `e^0`). With the row maximum `m`, the weight of entry `i` is `e_i·w_B`,
//! `w_B = exp((M_B − m)·s)` — one `exp` per group, vectorised over the group maxima —
//! and the total `Σ_B Σ_B·w_B` (f64, in group order). The group where the running sum
//! reaches `u·total` is found from the stored group sums, and only that group is
//! exponentiated again: each logit is exponentiated once, plus the 256 of one group.
//!
//! End of the CDF: inside the crossing group the running sum adds `e_k·w_B` in f64; if
//! rounding leaves it below the target at the group's end, the group's last entry of
//! positive weight is returned; if no group crosses (the target rounds to the total),
//! the last group of positive weight's last such entry. A weight that underflows to 0
//! (an `e_k` or a `w_B`) is never returned.

use super::math;
use super::reduce::tree_sum;
use super::rows::Pick;
use super::source::{Values, load_block};
use super::vector::{BLOCK, Vector};

/// Values per group: one maximum, one sum and one weight each.
pub(crate) const GROUP: usize = 4 * BLOCK;
/// 64-blocks per group.
const SUB: usize = GROUP / BLOCK;

/// `exp((v − c)·s)` for the `BV` vectors of one block (`-inf` lanes give 0).
#[inline(always)]
unsafe fn block_exps<V: Vector, const BV: usize>(vs: &[V; BV], c: f32, s: f32) -> [V; BV] {
    // SAFETY: caller contract (ISA available).
    unsafe {
        let (cv, sv) = (V::splat(c), V::splat(s));
        let mut es = [V::splat(0.0); BV];
        for (e, v) in es.iter_mut().zip(vs) {
            *e = math::exp(v.sub(cv).mul(sv));
        }
        es
    }
}

/// `w_B = exp((M_B − m)·s)` for every block, and `c_B = Σ_B·w_B` written over `sums`;
/// returns `Σ c_B` (f64, block order).
#[inline(always)]
unsafe fn weigh_blocks<V: Vector>(maxima: &[f32], sums: &mut [f64], m: f32, s: f32) -> f64 {
    let mut total = 0.0f64;
    let mut w = [0.0f32; 16];
    // SAFETY: caller contract; every load reads `LANES` maxima of a full chunk, tails go
    // through the padded buffer.
    unsafe {
        let (mv, sv) = (V::splat(m), V::splat(s));
        for (mc, sc) in maxima.chunks(V::LANES).zip(sums.chunks_mut(V::LANES)) {
            let mut buf = [f32::NEG_INFINITY; 16];
            buf[..mc.len()].copy_from_slice(mc);
            math::exp(V::load(buf.as_ptr()).sub(mv).mul(sv)).store(w.as_mut_ptr());
            for (c, &wb) in sc.iter_mut().zip(&w) {
                *c *= wb as f64;
                total += *c;
            }
        }
    }
    total
}

/// The maximum of group `g` (`-inf` if every value is masked) and its invalid lanes.
#[inline(always)]
unsafe fn group_max<V: Vector, S: Values<V>, const BV: usize>(
    src: &mut S,
    g: usize,
    n: usize,
) -> (f32, V::Mask) {
    // SAFETY: caller contract; only blocks that start inside the row are loaded.
    unsafe {
        let mut bad = V::mask_none();
        let mut acc = V::splat(f32::NEG_INFINITY);
        for b in g * SUB..(g * SUB + SUB).min(n.div_ceil(BLOCK)) {
            let (vs, bb) = load_block::<V, S, BV>(src, b, n);
            bad = V::mask_or(bad, bb);
            acc = acc.max(super::reduce::tree_max(vs));
        }
        (acc.reduce_max(), bad)
    }
}

/// `Σ exp((x − c)·s)` over group `g`: f32 within the group, one f64 reduction.
#[inline(always)]
unsafe fn group_sum<V: Vector, S: Values<V>, const BV: usize>(
    src: &mut S,
    g: usize,
    n: usize,
    c: f32,
    s: f32,
) -> f64 {
    // SAFETY: caller contract; only blocks that start inside the row are loaded.
    unsafe {
        let mut acc = V::splat(0.0);
        for b in g * SUB..(g * SUB + SUB).min(n.div_ceil(BLOCK)) {
            let (vs, _) = load_block::<V, S, BV>(src, b, n);
            acc = acc.add(tree_sum(block_exps(&vs, c, s)));
        }
        acc.reduce_sum_f64()
    }
}

/// One-pass softmax + roulette: the drawn index for uniform `u` at inverse temperature
/// `s`. `maxima` and `sums` are scratch of one value per [`GROUP`].
///
/// # Safety
/// `V`'s ISA is available; `BV * V::LANES == BLOCK`; `src` is valid for `n` elements;
/// `maxima.len() == sums.len() == n.div_ceil(GROUP)`.
#[inline(always)]
pub(crate) unsafe fn one_pass<V: Vector, S: Values<V>, const BV: usize>(
    n: usize,
    mut src: S,
    u: f64,
    s: f32,
    maxima: &mut [f32],
    sums: &mut [f64],
) -> Pick {
    let mut m = f32::NEG_INFINITY;
    // SAFETY: caller contract.
    unsafe {
        let mut bad = V::mask_none();
        for (g, (mb, sb)) in maxima.iter_mut().zip(sums.iter_mut()).enumerate() {
            let (gmax, gb) = group_max::<V, S, BV>(&mut src, g, n);
            bad = V::mask_or(bad, gb);
            *mb = gmax;
            *sb = if gmax == f32::NEG_INFINITY {
                0.0
            } else {
                group_sum::<V, S, BV>(&mut src, g, n, gmax, s)
            };
            if gmax > m {
                m = gmax;
            }
        }
        if V::mask_any(bad) {
            return Pick::Invalid;
        }
        if m == f32::NEG_INFINITY {
            return Pick::AllMasked;
        }
        let total = weigh_blocks::<V>(maxima, sums, m, s);
        let target = u * total;
        let mut cum = 0.0f64;
        let mut last = usize::MAX; // last group of positive weight
        for (g, &c) in sums.iter().enumerate() {
            if c > 0.0 {
                if cum + c >= target {
                    return Pick::Index(walk::<V, S, BV>(
                        &mut src, g, n, maxima[g], m, s, cum, target,
                    ));
                }
                last = g;
            }
            cum += c;
        }
        // the target rounded up to the total: the last entry of positive weight
        Pick::Index(walk::<V, S, BV>(
            &mut src,
            last,
            n,
            maxima[last],
            m,
            s,
            cum,
            f64::INFINITY,
        ))
    }
}

/// Inside group `g`: the first entry where `cum + Σ e_k·w_B` reaches `target`, else
/// the group's last entry of positive weight.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn walk<V: Vector, S: Values<V>, const BV: usize>(
    src: &mut S,
    g: usize,
    n: usize,
    gmax: f32,
    m: f32,
    s: f32,
    mut cum: f64,
    target: f64,
) -> usize {
    let mut buf = [0.0f32; BLOCK];
    let mut w = [0.0f32; 16];
    // SAFETY: caller contract; `w` holds 16 >= LANES values.
    unsafe {
        // the same w_B as in `weigh_blocks` (the same lane-wise exp of the same input)
        math::exp(V::splat(gmax).sub(V::splat(m)).mul(V::splat(s))).store(w.as_mut_ptr());
    }
    let wb = w[0] as f64;
    let mut last = usize::MAX;
    for b in g * SUB..(g * SUB + SUB).min(n.div_ceil(BLOCK)) {
        // SAFETY: caller contract; `buf` holds BV * LANES = BLOCK values.
        unsafe {
            let (vs, _) = load_block::<V, S, BV>(src, b, n);
            for (j, e) in block_exps(&vs, gmax, s).iter().enumerate() {
                e.store(buf.as_mut_ptr().add(j * V::LANES));
            }
        }
        let base = b * BLOCK;
        for (k, &e) in buf[..BLOCK.min(n - base)].iter().enumerate() {
            if e > 0.0 {
                cum += e as f64 * wb;
                last = base + k;
                if cum >= target {
                    return last;
                }
            }
        }
    }
    last
}
