//! Exact pruning of Gumbel-max noise: most positions of a long row cannot win, and
//! their noise need not be computed.
//!
//! Scores are `s_i = fma(x_i − m, s, g_i)` with `m` the row maximum (see
//! [`Score`](super::source::Score)). A position `i` in 64-block `B` can beat the best
//! score so far, `S`, only if `g_i ≥ d_B = S − a_B·s` with `a_B = fl(M_B − m)` and `M_B`
//! the block's maximum: `fl(x_i − m) ≤ a_B` and rounding is monotone, so
//! `g_i < d_B` gives `a_i·s + g_i < S` and the rounded score is at most `S`, which
//! never replaces the best (strictly greater wins, so ties keep the lowest index).
//!
//! The noise `g = G(b)` is increasing in the generator's 32 bits `b` (as unsigned):
//! the f64 evaluation `G₆₄(b)` of the map is strictly increasing, and the f32 map is
//! within `ERR = 2e-6` of it on every input and every ISA (tested exhaustively over all
//! 2³² inputs). So a lane needs `−ln(−ln U)` only if `b ≥ β(d_B)`, where the thresholds
//! `β_k = min{b : G₆₄(b) ≥ d_k − MARGIN}` (`MARGIN = 2·ERR`) sit on a grid `d_k` of 1/64
//! nat: for the grid point `d_k ≤ d_B`, `b < β_k` means
//! `G(b) < G₆₄(b) + ERR < d_k − MARGIN + ERR < d_B`. A block whose `d_B` is above every
//! value the map can produce is skipped outright (its lanes still step). The generator
//! steps through every position either way, so the result is bit-identical to
//! evaluating all the noise.
//!
//! Before any position is evaluated the best score is unknown, and a sweep that starts
//! from "below every score" evaluates many lanes of its first blocks. So the sweep
//! starts from a *floor*: the maximum score `M = max_i (a_i·s + g_i)` is exactly
//! Gumbel-distributed with location `μ = ln Σ_i e^{a_i·s} ≥ μ_B = ln Σ_B e^{a_B·s}` (one
//! term per block, its maximum), so `P(M ≤ μ_B − 4) ≤ exp(−e⁴) < 2·10⁻²⁴`. Thresholds
//! use `max(best so far, μ_B − 4)`; a pruned lane then scored at most that. If the
//! sweep ends with its best above the floor, no pruned lane can be the (first) maximum
//! and the result is exact; otherwise — in fewer than one row in 10²³ — the sweep is
//! redone from below every score. Exact either way; the floor only saves work.

use std::sync::OnceLock;

use super::math;
use super::reduce::{Argmax, new_best, tree_max};
use super::rng::{LaneState, Lanes};
use super::source::{Values, load_block};
use super::vector::{BLOCK, NOISE_LANES, Vector};

/// The first grid point, below the map's minimum (−3.13): lower `d` admit every lane.
const D0: f64 = -3.25;
/// Grid points per nat.
const PER_NAT: f64 = 64.0;
/// Twice the tested bound on `|G_f32(b) − G₆₄(b)|` (2e-6, `tests/noise_exact.rs`).
const MARGIN: f64 = 4e-6;

/// A score below every score the noise can produce (the map's minimum is −3.13): the
/// best score before any position has been evaluated.
pub(crate) const S_BELOW_ALL: f32 = -3.25;

/// `G₆₄(b)`: the bits → Gumbel map evaluated in f64 (the lower half `U = t`, the upper
/// half `U = 1 − t` through `log1p`, with `t = (c + ½)·2⁻³²`).
pub(crate) fn gumbel_f64(b: u32) -> f64 {
    let upper = b >> 31 == 1;
    let c = if upper { !b } else { b } as f64;
    let t = (c + 0.5) * (1.0 / 4_294_967_296.0);
    let e = if upper { -(-t).ln_1p() } else { -t.ln() };
    -e.ln()
}

/// The grid of bits thresholds: `beta[k]` for `d_k = D0 + k/64`, then one sentinel
/// `u32::MAX` for "above every value" (admitting the one input `u32::MAX` there is
/// harmless: admitting more lanes never changes the result).
pub(crate) struct Thresholds {
    beta: Vec<u32>,
    /// Grid points (the sentinel excluded).
    len: usize,
}

impl Thresholds {
    fn build() -> Thresholds {
        let top = gumbel_f64(u32::MAX);
        let mut beta = Vec::new();
        loop {
            let y = D0 + beta.len() as f64 / PER_NAT - MARGIN;
            if y > top {
                break;
            }
            // smallest b with G64(b) >= y (G64 is increasing in b)
            let (mut lo, mut hi) = (0u64, 1u64 << 32);
            while lo < hi {
                let mid = (lo + hi) / 2;
                if gumbel_f64(mid as u32) >= y {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            beta.push(lo as u32);
        }
        let len = beta.len();
        beta.push(u32::MAX);
        Thresholds { beta, len }
    }

    /// The thresholds, built once per process (about 1700 binary searches).
    pub(crate) fn get() -> &'static Thresholds {
        static T: OnceLock<Thresholds> = OnceLock::new();
        T.get_or_init(Thresholds::build)
    }

    /// The bits a lane needs to possibly reach noise `d` (`Some(0)`: every lane), or
    /// `None` when no noise value reaches `d`.
    #[inline(always)]
    pub(crate) fn lookup(&self, d: f64) -> Option<u32> {
        if d.is_nan() || d <= D0 {
            return Some(0);
        }
        // the grid point at or below d (floor); `as` saturates for huge d
        let k = ((d - D0) * PER_NAT) as usize;
        if k < self.len {
            Some(self.beta[k])
        } else {
            None
        }
    }

    /// Per lane: the bits threshold for noise `S − a_i·s`, `a = x − m` (a lane can win
    /// only with bits at or above it). Computed in f32 and rounded down to a grid point:
    /// in the range where the answer is not "every lane" or "none" (`|a·s| ≤ 27`,
    /// `S − a·s ≤ 23.3`), the f32 evaluation is within 2e-6 nat of the exact value,
    /// 1.3e-4 of a grid step, and the index is taken `SLACK` = 0.01 step lower.
    ///
    /// # Safety
    /// `V`'s ISA is available.
    #[inline(always)]
    pub(crate) unsafe fn lanes<V: Vector>(&self, x: V, m: V, s: V, best: f32) -> V::Bits {
        const SLACK: f32 = 0.01;
        // SAFETY: caller contract; every gathered index is clamped into `0..=len`.
        unsafe {
            let neg_a = m.sub(x);
            let d = neg_a.mul_add(s, V::splat(best));
            let w = d
                .sub(V::splat(D0 as f32))
                .mul(V::splat(PER_NAT as f32))
                .sub(V::splat(0.5 + SLACK));
            let w = w.max(V::splat(0.0)).min(V::splat(self.len as f32));
            V::gather_u32(self.beta.as_ptr(), w.round_to_bits())
        }
    }
}

/// One pass over the values: the maximum of every 64-element block into `bm`
/// (`bm.len() == n.div_ceil(64)`; `-inf` for a fully masked block), the row maximum,
/// and whether any value is invalid.
///
/// # Safety
/// `V`'s ISA is available; `BV * V::LANES == BLOCK`; `src` is valid for `n` elements.
#[inline(always)]
pub(crate) unsafe fn block_maxima<V: Vector, S: Values<V>, const BV: usize>(
    n: usize,
    src: &mut S,
    bm: &mut [f32],
) -> (f32, bool) {
    debug_assert_eq!(bm.len(), n.div_ceil(BLOCK));
    let mut m = f32::NEG_INFINITY;
    // SAFETY: caller contract; block `b` starts inside the row.
    unsafe {
        let mut bad = V::mask_none();
        for (b, out) in bm.iter_mut().enumerate() {
            let (vs, bb) = load_block::<V, S, BV>(src, b, n);
            bad = V::mask_or(bad, bb);
            let bmax = tree_max(vs).reduce_max();
            *out = bmax;
            if bmax > m {
                m = bmax;
            }
        }
        (m, V::mask_any(bad))
    }
}

/// How far below `μ_B` the floor sits (see the module docs).
const FLOOR_BELOW: f64 = 4.0;

/// Blocks between generator checkpoints in the fused pass.
const CHECKPOINT_BLOCKS: usize = 16;

/// Scratch of the fused pruned pass, reused across rows: per 64-block the value
/// maximum and the maximum of its generator bits (unsigned), and the generator's state
/// every [`CHECKPOINT_BLOCKS`] blocks.
#[derive(Default)]
pub(crate) struct FusedScratch {
    bm: Vec<f32>,
    bits: Vec<u32>,
    ckpt: Vec<LaneState>,
}

impl FusedScratch {
    /// Room for a row of `n` values.
    pub(crate) fn prepare(&mut self, n: usize, st: &LaneState) {
        let nb = n.div_ceil(BLOCK);
        self.bm.resize(nb, 0.0);
        self.bits.resize(nb, 0);
        self.ckpt.resize(nb.div_ceil(CHECKPOINT_BLOCKS), st.clone());
    }
}

/// Pass 1 of the fused kernel: [`block_maxima`] and, interleaved with the loads (so
/// the integer work hides under the memory traffic), the generator stepped through the
/// whole row: the unsigned maximum of every block's 64 raw outputs into `bits`, and
/// the state at every [`CHECKPOINT_BLOCKS`]-th block into `ckpt`.
///
/// # Safety
/// As [`fused`]; the scratch is prepared for `n`.
#[inline(always)]
unsafe fn maxima_and_bits<V: Vector, S: Values<V>, const BV: usize, const G: usize>(
    n: usize,
    src: &mut S,
    st: &LaneState,
    sc: &mut FusedScratch,
) -> (f32, bool) {
    let mut m = f32::NEG_INFINITY;
    // SAFETY: caller contract; `full` reads inside `[0, n)`, `partial` gets
    // `e < n < e + LANES`; the bits buffer holds 16 >= LANES lanes.
    unsafe {
        let mut lanes = Lanes::<V, G>::load(st);
        let mut bad = V::mask_none();
        let mut buf = [0u32; 16];
        for (b, (out, bx)) in sc.bm.iter_mut().zip(sc.bits.iter_mut()).enumerate() {
            if b % CHECKPOINT_BLOCKS == 0 {
                lanes.store(&mut sc.ckpt[b / CHECKPOINT_BLOCKS]);
            }
            let (vs, bb) = load_block::<V, S, BV>(src, b, n);
            bad = V::mask_or(bad, bb);
            let mut bmax = V::bits_splat(0);
            for _ in 0..BLOCK / NOISE_LANES {
                for bg in lanes.next() {
                    bmax = V::bits_max_u32(bmax, bg);
                }
            }
            V::bits_store(bmax, buf.as_mut_ptr());
            *bx = buf[..V::LANES].iter().copied().max().unwrap_or(0);
            let vmax = tree_max(vs).reduce_max();
            *out = vmax;
            if vmax > m {
                m = vmax;
            }
        }
        (m, V::mask_any(bad))
    }
}

/// `S − a·s` rounded down a little, so that it is at most the exact value; `+inf` for
/// a block whose every value is masked (`a = -inf`: nothing in it can win — without
/// this, `inf − inf` would be NaN, read as "every lane can win", and the sweep would
/// regenerate the noise of every fully masked block).
#[inline(always)]
fn gap(best: f32, a: f32, s: f32) -> f64 {
    let d = best as f64 - a as f64 * s as f64;
    if d == f64::INFINITY {
        return d;
    }
    d - d.abs() * (1.0 / (1u64 << 50) as f64)
}

/// Fused Gumbel-max with exact pruning: the first index of the maximum of
/// `fma(x_i − m, s, g_i)` with `g` the `fill_gumbel` noise of `st`, evaluating the noise
/// only of lanes that can win.
///
/// Pass 1 reads the values for their block maxima and steps the generator through the
/// row beside the loads, keeping each block's largest raw output and a checkpoint of
/// the state every 16 blocks. The sweep then visits only blocks whose largest output
/// reaches the block's bits threshold, regenerating their bits from the nearest
/// checkpoint (or by stepping on from the last block visited).
///
/// # Safety
/// `V`'s ISA is available; `BV * V::LANES == BLOCK`, `G * V::LANES == 16`; `src` is
/// valid for `n` elements; `sc` is prepared for `n`.
#[inline(always)]
pub(crate) unsafe fn fused<V: Vector, S: Values<V>, const BV: usize, const G: usize>(
    n: usize,
    mut src: S,
    st: &LaneState,
    s: f32,
    sc: &mut FusedScratch,
) -> Argmax {
    // SAFETY: caller contract.
    let (m, bad) = unsafe { maxima_and_bits::<V, S, BV, G>(n, &mut src, st, sc) };
    if bad || m == f32::NEG_INFINITY {
        return Argmax {
            index: usize::MAX,
            value: f32::NEG_INFINITY,
            bad,
            evaluated: 0,
        };
    }
    let th = Thresholds::get();
    // SAFETY: caller contract.
    let floor = unsafe { floor::<V>(&sc.bm, m, s) };
    // SAFETY: caller contract.
    let mut r = unsafe { sweep::<V, S, G>(n, &mut src, m, s, sc, th, floor) };
    if r.value <= floor {
        // the floor was above the maximum (never seen in practice): exact without it
        // SAFETY: caller contract.
        let again = unsafe { sweep::<V, S, G>(n, &mut src, m, s, sc, th, S_BELOW_ALL) };
        r = Argmax {
            evaluated: r.evaluated + again.evaluated,
            ..again
        };
    }
    r
}

/// `μ_B − FLOOR_BELOW` as an f32 score (`S_BELOW_ALL` if that is lower).
///
/// # Safety
/// `V`'s ISA is available.
#[inline(always)]
unsafe fn floor<V: Vector>(bm: &[f32], m: f32, s: f32) -> f32 {
    let mut sum = 0.0f64;
    let mut chunks = bm.chunks_exact(V::LANES);
    // SAFETY: caller contract; every load reads `LANES` values of a chunk of that size.
    unsafe {
        let (mv, sv) = (V::splat(m), V::splat(s));
        for c in chunks.by_ref() {
            let e = math::exp(V::load(c.as_ptr()).sub(mv).mul(sv));
            sum += e.reduce_sum_f64();
        }
        for &v in chunks.remainder() {
            sum += ((v - m) as f64 * s as f64).exp();
        }
    }
    // sum >= 1: the block holding the maximum contributes e^0
    let f = sum.ln() - FLOOR_BELOW;
    if f > S_BELOW_ALL as f64 {
        // rounded down, so the floor is never above μ_B − FLOOR_BELOW by rounding
        let v = f as f32;
        if v as f64 > f { v.next_down() } else { v }
    } else {
        S_BELOW_ALL
    }
}

/// One pruned sweep: thresholds from `max(best, floor)`, the best over evaluated lanes.
///
/// # Safety
/// As [`fused`], after its pass 1.
#[inline(always)]
unsafe fn sweep<V: Vector, S: Values<V>, const G: usize>(
    n: usize,
    src: &mut S,
    m: f32,
    s: f32,
    sc: &FusedScratch,
    th: &Thresholds,
    floor: f32,
) -> Argmax {
    let mut best = f32::NEG_INFINITY;
    let mut index = usize::MAX;
    let mut evaluated = 0usize;
    // SAFETY: caller contract; every load of `src` is inside `[0, n)` (`full`) or has
    // `i < n < i + LANES` (`partial`); checkpoints exist for every 16th block.
    unsafe {
        let mut lanes = Lanes::<V, G>::load(&sc.ckpt[0]);
        let mut at = 0usize; // the block `lanes` stands at
        let (mv, sv, none) = (V::splat(m), V::splat(s), V::splat(f32::NEG_INFINITY));
        for (b, (&bmax, &bx)) in sc.bm.iter().zip(&sc.bits).enumerate() {
            let Some(beta) = th.lookup(gap(best.max(floor), bmax - m, s)) else {
                continue;
            };
            if bx < beta {
                continue; // no lane of the block reaches the threshold
            }
            // bring the generator to block b: on from where it stands, or from the
            // checkpoint at or before b, whichever is nearer
            let ck = b / CHECKPOINT_BLOCKS * CHECKPOINT_BLOCKS;
            if at > b || at < ck {
                lanes = Lanes::<V, G>::load(&sc.ckpt[b / CHECKPOINT_BLOCKS]);
                at = ck;
            }
            while at < b {
                for _ in 0..BLOCK / NOISE_LANES {
                    lanes.next();
                }
                at += 1;
            }
            at += 1;
            let base = b * BLOCK;
            let bv = V::bits_splat(beta);
            for step in 0..BLOCK / NOISE_LANES {
                let bits = lanes.next();
                for (gi, bg) in bits.into_iter().enumerate() {
                    let i = base + step * NOISE_LANES + gi * V::LANES;
                    if i >= n {
                        break;
                    }
                    // the block's threshold first (no load), then each lane's own
                    if !V::mask_any(V::bits_ge_u32(bg, bv)) {
                        continue;
                    }
                    let valid = V::LANES.min(n - i);
                    let (x, _) = if valid == V::LANES {
                        src.full(i)
                    } else {
                        src.partial(i, n)
                    };
                    let pass = V::bits_ge_u32(bg, th.lanes(x, mv, sv, best.max(floor)));
                    if !V::mask_any(pass) {
                        continue;
                    }
                    evaluated += valid;
                    let g = math::gumbel_from_bits::<V>(bg);
                    let sc = V::select(pass, x.sub(mv).mul_add(sv, g), none);
                    if V::mask_any(sc.gt(V::splat(best))) {
                        new_best(&[sc], sc, valid, i, &mut best, &mut index);
                    }
                }
            }
        }
    }
    Argmax {
        index,
        value: best,
        bad: false,
        evaluated,
    }
}

/// The first index whose value is the row maximum `m` (`bm` the block maxima).
///
/// # Safety
/// As [`fused`]; `m` is one of the values.
#[inline(always)]
unsafe fn first_max<V: Vector, S: Values<V>, const BV: usize>(
    src: &mut S,
    n: usize,
    bm: &[f32],
    m: f32,
) -> usize {
    let b = bm
        .iter()
        .position(|&v| v == m)
        .expect("m is a block maximum");
    // SAFETY: caller contract; loads stay inside `[0, n)` or are padded.
    unsafe {
        for j in 0..BV {
            let e = b * BLOCK + j * V::LANES;
            if e >= n {
                break;
            }
            let (x, _) = if e + V::LANES <= n {
                src.full(e)
            } else {
                src.partial(e, n)
            };
            let hits = V::mask_bits(x.eq(V::splat(m)));
            if hits != 0 {
                return e + hits.trailing_zeros() as usize;
            }
        }
    }
    unreachable!("the block holds its maximum")
}

/// Ring-fed Gumbel-max with exact pruning: the first index of the maximum of
/// `fma(x_i − m, s, g_i)` for noise `g` whose 64-blocks have maxima `gmax`, reading the
/// noise of a block only when its bound `a_B·s + gmax_B` (rounded up over both the fused
/// and the unfused score) can beat the best so far. Bit-identical to reading all of it.
/// The sweep starts from a floor: the first maximum's score is exactly its noise, a
/// certain lower bound, and the speculative `μ_B − 4` of [`fused`] (verified the same
/// way).
///
/// # Safety
/// As [`fused`]; `g` is valid for `n` reads; `gmax.len() == bm.len() == n.div_ceil(64)`
/// and `gmax[B]` is at least every noise value of block `B`.
#[inline(always)]
pub(crate) unsafe fn ring<V: Vector, S: Values<V>, const BV: usize>(
    n: usize,
    mut src: S,
    g: *const f32,
    gmax: &[f32],
    s: f32,
    bm: &mut [f32],
) -> Argmax {
    // SAFETY: caller contract.
    unsafe {
        let (m, bad) = block_maxima::<V, S, BV>(n, &mut src, bm);
        if bad || m == f32::NEG_INFINITY {
            return Argmax {
                index: usize::MAX,
                value: f32::NEG_INFINITY,
                bad,
                evaluated: 0,
            };
        }
        let certain = (*g.add(first_max::<V, S, BV>(&mut src, n, bm, m))).next_down();
        let floor = floor::<V>(bm, m, s).max(certain);
        let mut r = ring_sweep::<V, S, BV>(n, &mut src, g, gmax, m, s, bm, floor);
        if r.value <= floor {
            let again = ring_sweep::<V, S, BV>(n, &mut src, g, gmax, m, s, bm, certain);
            r = Argmax {
                evaluated: r.evaluated + again.evaluated,
                ..again
            };
        }
        r
    }
}

/// One sweep of [`ring`] with thresholds at `max(best, floor)`.
///
/// # Safety
/// As [`ring`].
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn ring_sweep<V: Vector, S: Values<V>, const BV: usize>(
    n: usize,
    src: &mut S,
    g: *const f32,
    gmax: &[f32],
    m: f32,
    s: f32,
    bm: &[f32],
    floor: f32,
) -> Argmax {
    let mut best = f32::NEG_INFINITY;
    let mut index = usize::MAX;
    let mut evaluated = 0usize;
    // SAFETY: caller contract; loads of `src` and `g` stay inside `[0, n)` or are
    // padded.
    unsafe {
        let (mv, sv) = (V::splat(m), V::splat(s));
        for (b, (&bmax, &gm)) in bm.iter().zip(gmax).enumerate() {
            let a = bmax - m;
            if a == f32::NEG_INFINITY {
                continue;
            }
            // every lane's score, fused or not, is at most this (rounding is monotone)
            let hi = a.mul_add(s, gm).max(a * s + gm);
            if hi <= best.max(floor) {
                continue;
            }
            let base = b * BLOCK;
            let valid = BLOCK.min(n - base);
            evaluated += valid;
            let mut vs = [V::splat(f32::NEG_INFINITY); BV];
            for (j, v) in vs.iter_mut().enumerate() {
                let e = base + j * V::LANES;
                if e + V::LANES <= n {
                    let (x, _) = src.full(e);
                    *v = x.sub(mv).mul_add(sv, V::load(g.add(e)));
                } else if e < n {
                    let (x, _) = src.partial(e, n);
                    let gv = super::element::load_partial::<V, f32>(g, e, n, 0.0);
                    *v = x.sub(mv).mul_add(sv, gv);
                }
            }
            let mx = tree_max(vs);
            if V::mask_any(mx.gt(V::splat(best))) {
                new_best(&vs, mx, valid, base, &mut best, &mut index);
            }
        }
    }
    Argmax {
        index,
        value: best,
        bad: false,
        evaluated,
    }
}
