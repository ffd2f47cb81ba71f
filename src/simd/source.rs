//! Value sources: what the reductions read, a vector at a time — a row of logits or
//! probabilities of any [`Element`] type, optionally combined with noise from a slice or
//! from the generator in registers into the score that is argmaxed.
//!
//! Tails are loaded into padded stack buffers (`-inf` for logits, `0` for
//! probabilities), so every element goes through the same vector code.

use core::marker::PhantomData;

use super::element::{self, Element};
use super::math;
use super::rng::{LaneState, Lanes};
use super::vector::{BLOCK, Vector};

/// A row of values read a vector at a time.
pub(crate) trait Values<V: Vector> {
    /// Values at `[i, i + LANES)` and the lanes whose input is invalid.
    ///
    /// # Safety
    /// `V`'s ISA is available; `i + LANES <= n` (the row length).
    unsafe fn full(&mut self, i: usize) -> (V, V::Mask);
    /// Values at `[i, n)`, padded with `-inf` (valid) up to `LANES`.
    ///
    /// # Safety
    /// `V`'s ISA is available; `i < n < i + LANES`.
    unsafe fn partial(&mut self, i: usize, n: usize) -> (V, V::Mask);
}

/// What a row's numbers mean, as a type: [`Logits`] or [`Probs`]. The kernels are
/// compiled once per input kind, so no entry function matches on it at run time.
pub(crate) trait Input: Copy + Send + Sync + 'static {
    /// The kind, for the layers above (error messages, scalar fallbacks).
    const KIND: InputKind;
    /// What a tail is padded with: a masked value.
    const PAD: f32;
    /// Whether values below the source's floor read as masked (`-inf`): the kept set
    /// of a filter ([`Floored`]).
    const FLOORED: bool = false;
    /// The value the kernels score (logit, or `ln α`) and the lanes that are invalid.
    ///
    /// # Safety
    /// `V`'s ISA is available.
    unsafe fn convert<V: Vector>(x: V) -> (V, V::Mask);
}

/// The input kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InputKind {
    /// Logits: `-inf` masks, NaN and `+inf` are invalid.
    Logits,
    /// Unnormalised probabilities `α`, read as `ln α`: zero masks; negative, NaN and
    /// `+inf` are invalid.
    Probs,
}

/// Logits: `-inf` masks, NaN and `+inf` are invalid.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Logits;

impl Input for Logits {
    const KIND: InputKind = InputKind::Logits;
    const PAD: f32 = f32::NEG_INFINITY;
    #[inline(always)]
    unsafe fn convert<V: Vector>(x: V) -> (V, V::Mask) {
        // SAFETY: caller contract (ISA available).
        unsafe { (x, x.not_lt(V::splat(f32::INFINITY))) }
    }
}

/// Probabilities (unnormalised weights) `α`, read as `ln α`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Probs;

impl Input for Probs {
    const KIND: InputKind = InputKind::Probs;
    const PAD: f32 = 0.0;
    #[inline(always)]
    unsafe fn convert<V: Vector>(a: V) -> (V, V::Mask) {
        // SAFETY: caller contract (ISA available).
        unsafe {
            let bad = V::mask_or(a.lt(V::splat(0.0)), a.not_lt(V::splat(f32::INFINITY)));
            (math::ln::<V, true>(a), bad)
        }
    }
}

/// Input kind `I` with every value below a floor masked: the logits of a filtered row
/// (top-k / top-p / min-p keep exactly the values `>= floor`). Invalid entries are
/// still flagged whatever their value.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Floored<I>(PhantomData<I>);

impl<I: Input> Input for Floored<I> {
    const KIND: InputKind = I::KIND;
    const PAD: f32 = I::PAD;
    const FLOORED: bool = true;
    #[inline(always)]
    unsafe fn convert<V: Vector>(x: V) -> (V, V::Mask) {
        // SAFETY: caller contract (ISA available).
        unsafe { I::convert(x) }
    }
}

/// A row of `L` elements read as input kind `I` (below `floor` masked if `I` is
/// [`Floored`]).
pub(crate) struct Src<I, L> {
    p: *const L,
    floor: f32,
    _input: PhantomData<I>,
}

impl<I: Input, L: Element> Src<I, L> {
    /// The row starting at `p` (valid for the row length the kernel is given).
    #[inline(always)]
    pub(crate) fn new(p: *const L) -> Self {
        Src::floored(p, f32::NEG_INFINITY)
    }

    /// The row starting at `p`, values below `floor` masked when `I` is [`Floored`]
    /// (the floor is ignored otherwise).
    #[inline(always)]
    pub(crate) fn floored(p: *const L, floor: f32) -> Self {
        Src {
            p,
            floor,
            _input: PhantomData,
        }
    }

    #[inline(always)]
    unsafe fn floor<V: Vector>(&self, (x, bad): (V, V::Mask)) -> (V, V::Mask) {
        if I::FLOORED {
            // SAFETY: caller contract (ISA available).
            unsafe {
                let keep = x.not_lt(V::splat(self.floor));
                (V::select(keep, x, V::splat(f32::NEG_INFINITY)), bad)
            }
        } else {
            (x, bad)
        }
    }
}

impl<V: Vector, I: Input, L: Element> Values<V> for Src<I, L> {
    #[inline(always)]
    unsafe fn full(&mut self, i: usize) -> (V, V::Mask) {
        // SAFETY: caller contract (ISA available, `i + LANES <= n`).
        unsafe { self.floor(I::convert(element::load::<V, L>(self.p.add(i)))) }
    }
    #[inline(always)]
    unsafe fn partial(&mut self, i: usize, n: usize) -> (V, V::Mask) {
        // SAFETY: caller contract (ISA available, `i < n < i + LANES`).
        unsafe {
            self.floor(I::convert(element::load_partial::<V, L>(
                self.p,
                i,
                n,
                I::PAD,
            )))
        }
    }
}

/// How values `x` and noise `g` combine into the score that is argmaxed:
/// `fma(x − m, s, g)` — the value's gap to `m` (the row maximum for sampling; 0 for the
/// plain `x + g` of Gumbel-softmax), scaled by the inverse temperature `s`, plus the
/// noise.
///
/// With `m` the row maximum, tied maxima score exactly their noise at any temperature
/// (no `x + T·g` that loses `T·g` below half an ulp of `x`), no score exceeds its noise
/// (so none overflows), and a gap that underflows `(x − m)·s` to `-inf` acts as a mask
/// (its probability is below `e^{-f32::MAX}` relative to the maximum).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Score {
    /// Subtracted from every value first (exactly 0 keeps `x` as it is).
    pub m: f32,
    /// The inverse temperature.
    pub s: f32,
}

impl Score {
    /// The plain score `x + g` (exactly, on every ISA: `x − 0` and `·1` are exact).
    pub(crate) const PLAIN: Score = Score { m: 0.0, s: 1.0 };

    #[inline(always)]
    pub(crate) unsafe fn apply<V: Vector>(self, x: V, g: V) -> V {
        // SAFETY: caller contract (ISA available).
        unsafe { x.sub(V::splat(self.m)).mul_add(V::splat(self.s), g) }
    }
}

/// Scores `x·s + g` (or `x + s·g`) with noise read from a slice.
pub(crate) struct WithNoise<X> {
    pub x: X,
    pub g: *const f32,
    pub score: Score,
}

impl<V: Vector, X: Values<V>> Values<V> for WithNoise<X> {
    #[inline(always)]
    unsafe fn full(&mut self, i: usize) -> (V, V::Mask) {
        // SAFETY: caller contract (ISA available, `i + LANES <= n`, noise has n values).
        unsafe {
            let (x, bad) = self.x.full(i);
            let g = V::load(self.g.add(i));
            let v = self.score.apply(x, g);
            let bad = V::mask_or(
                bad,
                V::mask_or(
                    v.not_lt(V::splat(f32::INFINITY)),
                    g.not_gt(V::splat(f32::NEG_INFINITY)),
                ),
            );
            (v, bad)
        }
    }
    #[inline(always)]
    unsafe fn partial(&mut self, i: usize, n: usize) -> (V, V::Mask) {
        // SAFETY: caller contract (ISA available, `i < n < i + LANES`).
        unsafe {
            let (x, bad) = self.x.partial(i, n);
            let g: V = element::load_partial::<V, f32>(self.g, i, n, 0.0);
            let v = self.score.apply(x, g);
            let bad = V::mask_or(
                bad,
                V::mask_or(
                    v.not_lt(V::splat(f32::INFINITY)),
                    g.not_gt(V::splat(f32::NEG_INFINITY)),
                ),
            );
            (v, bad)
        }
    }
}

/// Scores with Gumbel noise generated in registers from a lane state (nothing stored).
///
/// Software-pipelined like `fill`: `pending` holds the exponentials `E = −ln U` of
/// the next 16-lane step, so each step's `−ln E` runs beside the next step's `E`.
/// The noise is that of `fill_gumbel` from the same state, position for position.
pub(crate) struct Fused<V: Vector, X, const G: usize> {
    x: X,
    lanes: Lanes<V, G>,
    pending: [V; G],
    buf: [V; G],
    next: usize,
    score: Score,
}

impl<V: Vector, X: Values<V>, const G: usize> Fused<V, X, G> {
    /// # Safety
    /// `V`'s ISA is available; `G * V::LANES == 16`.
    #[inline(always)]
    pub(crate) unsafe fn new(x: X, st: &LaneState, score: Score) -> Self {
        // SAFETY: caller contract.
        unsafe {
            let mut lanes = Lanes::<V, G>::load(st);
            let bits = lanes.next();
            let mut pending = [V::splat(0.0); G];
            for (e, b) in pending.iter_mut().zip(bits) {
                *e = math::exponential_from_bits::<V>(b);
            }
            Fused {
                x,
                lanes,
                pending,
                buf: [V::splat(0.0); G],
                next: 0,
                score,
            }
        }
    }

    #[inline(always)]
    unsafe fn noise(&mut self) -> V {
        // SAFETY: caller contract (ISA available).
        unsafe {
            if self.next == 0 {
                let bits = self.lanes.next();
                for ((b, e), bits) in self.buf.iter_mut().zip(self.pending.iter_mut()).zip(bits) {
                    *b = math::gumbel_from_exponential::<V>(*e);
                    *e = math::exponential_from_bits::<V>(bits);
                }
            }
            let v = self.buf[self.next];
            self.next = if self.next + 1 == G { 0 } else { self.next + 1 };
            v
        }
    }
}

impl<V: Vector, X: Values<V>, const G: usize> Values<V> for Fused<V, X, G> {
    #[inline(always)]
    unsafe fn full(&mut self, i: usize) -> (V, V::Mask) {
        // SAFETY: caller contract (ISA available, `i + LANES <= n`).
        unsafe {
            let (x, bad) = self.x.full(i);
            let g = self.noise();
            (self.score.apply(x, g), bad)
        }
    }
    #[inline(always)]
    unsafe fn partial(&mut self, i: usize, n: usize) -> (V, V::Mask) {
        // SAFETY: caller contract (ISA available, `i < n < i + LANES`).
        unsafe {
            let (x, bad) = self.x.partial(i, n);
            let g = self.noise();
            (self.score.apply(x, g), bad)
        }
    }
}

/// The `BV` vectors of 64-block `b` of a row of `n` values (`-inf` past `n`) and the
/// lanes that are invalid.
///
/// # Safety
/// `V`'s ISA is available; `BV * V::LANES == BLOCK`; `src` is valid for `n` elements
/// and `b * BLOCK < n`.
#[inline(always)]
pub(crate) unsafe fn load_block<V: Vector, S: Values<V>, const BV: usize>(
    src: &mut S,
    b: usize,
    n: usize,
) -> ([V; BV], V::Mask) {
    // SAFETY: caller contract; `full` reads inside `[0, n)`, `partial` gets
    // `e < n < e + LANES`.
    unsafe {
        let mut bad = V::mask_none();
        let mut vs = [V::splat(f32::NEG_INFINITY); BV];
        for (j, v) in vs.iter_mut().enumerate() {
            let e = b * BLOCK + j * V::LANES;
            if e + V::LANES <= n {
                let (x, m) = src.full(e);
                bad = V::mask_or(bad, m);
                *v = x;
            } else if e < n {
                let (x, m) = src.partial(e, n);
                bad = V::mask_or(bad, m);
                *v = x;
            }
        }
        (vs, bad)
    }
}
