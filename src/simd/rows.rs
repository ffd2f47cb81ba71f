//! The whole-row algorithms, written once over [`Vector`], the input kind ([`Input`])
//! and the element type ([`Element`]). Each is compiled once per ISA behind one
//! `#[target_feature]` entry (see [`super::backend`]), so a row costs one dispatch.
//!
//! The sampling kernels take a `floor`: with the input kind
//! [`Floored`](super::source::Floored), values below it read as masked (a filtered
//! row); with any other kind it is ignored.
//!
//! Contract of every function here: `V`'s ISA is available, `BV * V::LANES == 64`,
//! `G * V::LANES == 16` (checked at compile time by each ISA module), and the slice
//! lengths are as documented (the safe [`Backend`](super::Backend) methods check them).

use super::element::Element;
use super::fill::{self, EmitBits, EmitGumbel};
use super::map::{self, ExpOp, LnOp, ScaleOp, ShiftOp, VjpOp};
use super::prune;
use super::reduce::{self, Argmax};
use super::rng::LaneState;
use super::select;
use super::source::{Fused, Input, Logits, Score, Src, WithNoise};
use super::vector::Vector;

/// What a roulette draw found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pick {
    /// The drawn index.
    Index(usize),
    /// Some entry is invalid (the caller locates it).
    Invalid,
    /// Every entry is masked.
    AllMasked,
}

/// Greedy argmax of the values (temperature 0), flagging invalid entries.
///
/// # Safety
/// See the module docs.
#[inline(always)]
pub(crate) unsafe fn greedy<V: Vector, I: Input, L: Element, const BV: usize>(x: &[L]) -> Argmax {
    // SAFETY: module contract; the source reads `x.len()` elements.
    unsafe { reduce::argmax::<V, _, BV>(x.len(), Src::<I, L>::new(x.as_ptr())) }
}

/// The result for a row whose maximum pass found an invalid entry or only masks.
#[inline(always)]
fn unscored(bad: bool) -> Argmax {
    Argmax {
        index: usize::MAX,
        value: f32::NEG_INFINITY,
        bad,
        evaluated: 0,
    }
}

/// Gumbel-max with noise from a slice: the first index of the maximum of
/// `fma(x_i − m, s, g_i)`, `m` the row maximum (a first pass), every noise value read.
///
/// # Safety
/// See the module docs; `g.len() >= x.len()`.
#[inline(always)]
pub(crate) unsafe fn gumbel_max_noise<V: Vector, I: Input, L: Element, const BV: usize>(
    x: &[L],
    g: &[f32],
    s: f32,
    floor: f32,
) -> Argmax {
    let (n, p) = (x.len(), x.as_ptr());
    // SAFETY: module contract; both pointers are valid for `n` elements.
    unsafe {
        let (m, bad) = reduce::max::<V, _, BV>(n, Src::<I, L>::floored(p, floor));
        if bad || m == f32::NEG_INFINITY {
            return unscored(bad);
        }
        let src = WithNoise {
            x: Src::<I, L>::floored(p, floor),
            g: g.as_ptr(),
            score: Score { m, s },
        };
        reduce::argmax::<V, _, BV>(n, src)
    }
}

/// The hard sample of Gumbel-softmax: the first index of the maximum of the plain
/// `x + g` (and that maximum, for the softmax that follows).
///
/// # Safety
/// See the module docs; `g.len() >= x.len()`.
#[inline(always)]
pub(crate) unsafe fn plain_argmax<V: Vector, const BV: usize>(x: &[f32], g: &[f32]) -> Argmax {
    let src = WithNoise {
        x: Src::<Logits, f32>::new(x.as_ptr()),
        g: g.as_ptr(),
        score: Score::PLAIN,
    };
    // SAFETY: module contract; both pointers are valid for `x.len()` elements.
    unsafe { reduce::argmax::<V, _, BV>(x.len(), src) }
}

/// Fused Gumbel-max, every noise value evaluated: the first index of the maximum of
/// `fma(x_i − m, s, g_i)` with `g` generated in registers from `st` (the `fill_gumbel`
/// values of that state, position for position). The reference for [`prune::fused`].
///
/// # Safety
/// See the module docs.
#[inline(always)]
pub(crate) unsafe fn gumbel_max_fused<
    V: Vector,
    I: Input,
    L: Element,
    const BV: usize,
    const G: usize,
>(
    x: &[L],
    st: &LaneState,
    s: f32,
    floor: f32,
) -> Argmax {
    let (n, p) = (x.len(), x.as_ptr());
    // SAFETY: module contract; the sources read `n` elements.
    unsafe {
        let (m, bad) = reduce::max::<V, _, BV>(n, Src::<I, L>::floored(p, floor));
        if bad || m == f32::NEG_INFINITY {
            return unscored(bad);
        }
        let src = Fused::<V, _, G>::new(Src::<I, L>::floored(p, floor), st, Score { m, s });
        reduce::argmax::<V, _, BV>(n, src)
    }
}

/// Fused Gumbel-max with exact pruning ([`prune::fused`]): bit-identical to
/// [`gumbel_max_fused`], evaluating the noise only where it can win.
///
/// # Safety
/// See the module docs; `sc` prepared for `x.len()` and `st`.
#[inline(always)]
pub(crate) unsafe fn gumbel_max_fused_pruned<
    V: Vector,
    I: Input,
    L: Element,
    const BV: usize,
    const G: usize,
>(
    x: &[L],
    st: &LaneState,
    s: f32,
    floor: f32,
    sc: &mut prune::FusedScratch,
) -> Argmax {
    let src = Src::<I, L>::floored(x.as_ptr(), floor);
    // SAFETY: module contract.
    unsafe { prune::fused::<V, _, BV, G>(x.len(), src, st, s, sc) }
}

/// Ring-fed Gumbel-max with exact pruning ([`prune::ring`]): bit-identical to
/// [`gumbel_max_noise`] on the same noise, reading the noise only where it can win.
///
/// # Safety
/// See the module docs; `g.len() >= x.len()`; `gmax.len() == bm.len() ==
/// x.len().div_ceil(64)`, `gmax[B]` at least every noise value of block `B`.
#[inline(always)]
pub(crate) unsafe fn gumbel_max_ring_pruned<V: Vector, I: Input, L: Element, const BV: usize>(
    x: &[L],
    g: &[f32],
    gmax: &[f32],
    s: f32,
    floor: f32,
    bm: &mut [f32],
) -> Argmax {
    let src = Src::<I, L>::floored(x.as_ptr(), floor);
    // SAFETY: module contract.
    unsafe { prune::ring::<V, _, BV>(x.len(), src, g.as_ptr(), gmax, s, bm) }
}

/// The maximum of every 64-value block of `x` (finite values) into `bm`.
///
/// # Safety
/// See the module docs; `bm.len() == x.len().div_ceil(64)`.
#[inline(always)]
pub(crate) unsafe fn block_maxima<V: Vector, const BV: usize>(x: &[f32], bm: &mut [f32]) {
    let mut src = Src::<Logits, f32>::new(x.as_ptr());
    // SAFETY: module contract.
    unsafe {
        prune::block_maxima::<V, _, BV>(x.len(), &mut src, bm);
    }
}

/// Softmax + roulette in one pass over the exponentials ([`super::roulette`]); `maxima`
/// and `sums` are scratch of one value per 256-value group.
///
/// # Safety
/// See the module docs; `maxima.len() == sums.len() == x.len().div_ceil(256)`.
#[inline(always)]
pub(crate) unsafe fn roulette<V: Vector, I: Input, L: Element, const BV: usize>(
    x: &[L],
    u: f64,
    s: f32,
    floor: f32,
    maxima: &mut [f32],
    sums: &mut [f64],
) -> Pick {
    let src = Src::<I, L>::floored(x.as_ptr(), floor);
    // SAFETY: module contract.
    unsafe { super::roulette::one_pass::<V, _, BV>(x.len(), src, u, s, maxima, sums) }
}

/// Maximum of the values and whether any is invalid.
///
/// # Safety
/// See the module docs.
#[inline(always)]
pub(crate) unsafe fn max<V: Vector, I: Input, L: Element, const BV: usize>(x: &[L]) -> (f32, bool) {
    // SAFETY: module contract.
    unsafe { reduce::max::<V, _, BV>(x.len(), Src::<I, L>::new(x.as_ptr())) }
}

/// `w_i = exp((x_i − m)·s)` (the unnormalised softmax weights of logits); returns
/// `Σ w_i` in f64.
///
/// # Safety
/// See the module docs; `w.len() == x.len()`.
#[inline(always)]
pub(crate) unsafe fn exp_weights<V: Vector, L: Element, const BV: usize>(
    x: &[L],
    m: f32,
    s: f32,
    w: &mut [f32],
) -> f64 {
    let src = Src::<Logits, L>::new(x.as_ptr());
    // SAFETY: module contract; `w` holds `x.len()` values.
    unsafe { map::exp_store::<V, _, BV>(x.len(), src, m, s, w.as_mut_ptr()) }
}

/// `y = softmax(((x [+ g]) − m)·s)` given the (validated) maximum `m` of `x [+ g]`:
/// exps with their f64 sum, then one scale by the reciprocal sum.
///
/// # Safety
/// See the module docs; `y.len() == x.len()`, and `g` (if any) as long as `x`.
#[inline(always)]
pub(crate) unsafe fn softmax_write<V: Vector, const BV: usize>(
    x: &[f32],
    g: Option<&[f32]>,
    m: f32,
    s: f32,
    y: &mut [f32],
) {
    let (n, p, out) = (x.len(), x.as_ptr(), y.as_mut_ptr());
    // SAFETY: module contract; every pointer is valid for `n` elements.
    unsafe {
        let x = Src::<Logits, f32>::new(p);
        let total = match g {
            None => map::exp_store::<V, _, BV>(n, x, m, s, out),
            Some(g) => {
                let src = WithNoise {
                    x,
                    g: g.as_ptr(),
                    score: Score::PLAIN,
                };
                map::exp_store::<V, _, BV>(n, src, m, s, out)
            }
        };
        // total >= 1: the maximum contributes exp(0) = 1
        map::zip::<V, ScaleOp>(n, out, out, (1.0 / total) as f32, 0.0, out);
    }
}

/// `y = x − (m + ln Σ exp(x − m))` given the (validated) maximum `m`; the constant is
/// formed in f64 and rounded once.
///
/// # Safety
/// See the module docs; `y.len() == x.len()`.
#[inline(always)]
pub(crate) unsafe fn log_softmax_write<V: Vector, const BV: usize>(
    x: &[f32],
    m: f32,
    y: &mut [f32],
) {
    let (n, p) = (x.len(), x.as_ptr());
    // SAFETY: module contract.
    unsafe {
        let total = reduce::exp_sum::<V, _, BV>(n, Src::<Logits, f32>::new(p), m, 1.0);
        let c = (m as f64 + total.ln()) as f32;
        map::zip::<V, ShiftOp>(n, p, p, c, 0.0, y.as_mut_ptr());
    }
}

/// `⟨a, b⟩` in f64.
///
/// # Safety
/// See the module docs; `b.len() == a.len()`.
#[inline(always)]
pub(crate) unsafe fn dot<V: Vector, const BV: usize>(a: &[f32], b: &[f32]) -> f64 {
    // SAFETY: module contract.
    unsafe { reduce::dot::<V, BV>(a.len(), a.as_ptr(), b.as_ptr()) }
}

/// Softmax backward: `out = y ⊙ (gy − d)·s`.
///
/// # Safety
/// See the module docs; `gy` and `out` as long as `y`.
#[inline(always)]
pub(crate) unsafe fn vjp<V: Vector>(y: &[f32], gy: &[f32], d: f32, s: f32, out: &mut [f32]) {
    // SAFETY: module contract.
    unsafe { map::zip::<V, VjpOp>(y.len(), y.as_ptr(), gy.as_ptr(), d, s, out.as_mut_ptr()) }
}

/// `y = ln x` element-wise.
///
/// # Safety
/// See the module docs; `y.len() == x.len()`.
#[inline(always)]
pub(crate) unsafe fn ln<V: Vector>(x: &[f32], y: &mut [f32]) {
    // SAFETY: module contract.
    unsafe { map::map::<V, LnOp>(x, y) }
}

/// `y = exp x` element-wise.
///
/// # Safety
/// See the module docs; `y.len() == x.len()`.
#[inline(always)]
pub(crate) unsafe fn exp<V: Vector>(x: &[f32], y: &mut [f32]) {
    // SAFETY: module contract.
    unsafe { map::map::<V, ExpOp>(x, y) }
}

/// Bits → standard Gumbel element-wise.
///
/// # Safety
/// See the module docs; `out.len() == bits.len()`.
#[inline(always)]
pub(crate) unsafe fn gumbel_map<V: Vector>(bits: &[u32], out: &mut [f32]) {
    // SAFETY: module contract.
    unsafe { map::gumbel_map::<V>(bits, out) }
}

/// The stream's next `out.len()` standard Gumbel values; with `STREAM`, written with
/// non-temporal stores and fenced.
///
/// # Safety
/// See the module docs; with `STREAM`, `out` is 64-byte aligned and a multiple of 16
/// long.
#[inline(always)]
pub(crate) unsafe fn fill_gumbel<V: Vector, const G: usize, const STREAM: bool>(
    st: &mut LaneState,
    out: &mut [f32],
) {
    // SAFETY: module contract.
    unsafe {
        fill::fill::<V, f32, EmitGumbel<STREAM>, G>(st, out);
        if STREAM {
            V::stream_fence();
        }
    }
}

/// The stream's next `out.len()` raw 32-bit outputs.
///
/// # Safety
/// See the module docs.
#[inline(always)]
pub(crate) unsafe fn fill_bits<V: Vector, const G: usize>(st: &mut LaneState, out: &mut [u32]) {
    // SAFETY: module contract.
    unsafe { fill::fill::<V, u32, EmitBits, G>(st, out) }
}

/// The row's largest entries above `floor` ([`select::collect_top`]).
///
/// # Safety
/// See the module docs; `keep >= 1`, `x.len() < 2^32`.
#[inline(always)]
pub(crate) unsafe fn collect_top<V: Vector, L: Element, const BV: usize>(
    x: &[L],
    floor: f32,
    keep: usize,
    ties: select::Ties,
    buf: &mut Vec<(f32, u32)>,
) -> select::Top {
    // SAFETY: module contract.
    unsafe { select::collect_top::<V, L, BV>(x, floor, keep, ties, buf) }
}

/// Weights of the kept entries and their mass above pivots ([`select::mass_pass`]).
///
/// # Safety
/// See the module docs; `w.len() == x.len()`.
#[inline(always)]
pub(crate) unsafe fn mass_pass<V: Vector, L: Element, const BV: usize>(
    x: &[L],
    floor: f32,
    m: f32,
    s: f32,
    pivots: &[f32; select::PIVOTS],
    w: &mut [f32],
) -> (f64, [f64; select::PIVOTS]) {
    // SAFETY: module contract.
    unsafe { select::mass_pass::<V, L, BV>(x, floor, m, s, pivots, w) }
}

/// Masses and counts above pivots from stored weights ([`select::band_stats`]).
///
/// # Safety
/// See the module docs; `w.len() == x.len()`.
#[inline(always)]
pub(crate) unsafe fn band_stats<V: Vector, L: Element>(
    x: &[L],
    w: &[f32],
    pivots: &[f32; select::PIVOTS],
) -> ([f64; select::PIVOTS], [u64; select::PIVOTS]) {
    // SAFETY: module contract.
    unsafe { select::band_stats::<V, L>(x, w, pivots) }
}

/// The `(x_i, w_i)` with `lo <= x_i < hi` and the mass at or above `hi`
/// ([`select::collect_band`]).
///
/// # Safety
/// See the module docs; `w.len() == x.len()`, `x.len() < 2^32`.
#[inline(always)]
pub(crate) unsafe fn collect_band<V: Vector, L: Element, const BV: usize>(
    x: &[L],
    w: &[f32],
    lo: f32,
    hi: f32,
    out: &mut Vec<(f32, f32)>,
) -> f64 {
    // SAFETY: module contract.
    unsafe { select::collect_band::<V, L, BV>(x, w, lo, hi, out) }
}

/// `Σ exp((x_i − m)·s)` over the entries `>= floor` (with `I` floored) and the number
/// of entries greater than `v` ([`select::exp_sum_count`]).
///
/// # Safety
/// See the module docs.
#[inline(always)]
pub(crate) unsafe fn exp_sum_count<V: Vector, I: Input, L: Element, const BV: usize>(
    x: &[L],
    floor: f32,
    m: f32,
    s: f32,
    v: f32,
) -> (f64, u64) {
    let src = Src::<I, L>::floored(x.as_ptr(), floor);
    // SAFETY: module contract.
    unsafe { select::exp_sum_count::<V, _, BV>(x.len(), src, m, s, v) }
}
