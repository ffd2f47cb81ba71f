//! Softmax + roulette in one pass over the exponentials.
//!
//! Each 64-block `B` is loaded once: its maximum `M_B`, then `e_i = exp((x_i − M_B)·s)`
//! from the same registers, summed to `Σ_B` (f32 tree within the block, f64 across
//! blocks: ≥ 1, since the block's maximum contributes `e^0`). With the row maximum
//! `m`, the weight of entry `i` is `e_i·w_B`, `w_B = exp((M_B − m)·s)` — one `exp` per
//! block, vectorised over the block maxima — and the total `Σ_B Σ_B·w_B` (f64, in block
//! order). The block where the running sum reaches `u·total` is found from the stored
//! block sums, and only that block is loaded and exponentiated again: each logit is read
//! at most twice and exponentiated at most twice (once for all but 64 of them).
//!
//! End of the CDF: inside the crossing block the running sum adds `e_k·w_B` in f64; if
//! rounding leaves it below the target at the block's end, the block's last entry of
//! positive weight is returned; if no block crosses (the target rounds to the total),
//! the last block of positive weight's last such entry. A weight that underflows to 0
//! (an `e_k` or a `w_B`) is never returned.

use super::math;
use super::reduce::tree_sum;
use super::rows::Pick;
use super::source::{Values, load_block};
use super::vector::{BLOCK, Vector};

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

/// One-pass softmax + roulette: the drawn index for uniform `u` at inverse temperature
/// `s`. `maxima` and `sums` are scratch of one value per 64-block.
///
/// # Safety
/// `V`'s ISA is available; `BV * V::LANES == BLOCK`; `src` is valid for `n` elements;
/// `maxima.len() == sums.len() == n.div_ceil(64)`.
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
        for (b, (mb, sb)) in maxima.iter_mut().zip(sums.iter_mut()).enumerate() {
            let (vs, bb) = load_block::<V, S, BV>(&mut src, b, n);
            bad = V::mask_or(bad, bb);
            let bmax = super::reduce::tree_max(vs).reduce_max();
            *mb = bmax;
            *sb = if bmax == f32::NEG_INFINITY {
                0.0
            } else {
                tree_sum(block_exps(&vs, bmax, s)).reduce_sum_f64()
            };
            if bmax > m {
                m = bmax;
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
        let mut last = usize::MAX; // last block of positive weight
        for (b, &c) in sums.iter().enumerate() {
            if c > 0.0 {
                if cum + c >= target {
                    return Pick::Index(walk::<V, S, BV>(
                        &mut src, b, n, maxima[b], m, s, cum, target,
                    ));
                }
                last = b;
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

/// Inside block `b`: the first entry where `cum + Σ e_k·w_B` reaches `target`, else
/// the block's last entry of positive weight.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn walk<V: Vector, S: Values<V>, const BV: usize>(
    src: &mut S,
    b: usize,
    n: usize,
    bmax: f32,
    m: f32,
    s: f32,
    mut cum: f64,
    target: f64,
) -> usize {
    let mut buf = [0.0f32; BLOCK];
    let mut w = [0.0f32; 16];
    // SAFETY: caller contract; `buf` holds BV * LANES = BLOCK values, `w` 16 >= LANES.
    unsafe {
        let (vs, _) = load_block::<V, S, BV>(src, b, n);
        for (j, e) in block_exps(&vs, bmax, s).iter().enumerate() {
            e.store(buf.as_mut_ptr().add(j * V::LANES));
        }
        // the same w_B as in `weigh_blocks` (the same lane-wise exp of the same input)
        math::exp(V::splat(bmax).sub(V::splat(m)).mul(V::splat(s))).store(w.as_mut_ptr());
    }
    let wb = w[0] as f64;
    let base = b * BLOCK;
    let len = BLOCK.min(n - base);
    let mut last = usize::MAX;
    for (k, &e) in buf[..len].iter().enumerate() {
        if e > 0.0 {
            cum += e as f64 * wb;
            last = base + k;
            if cum >= target {
                return last;
            }
        }
    }
    last
}
