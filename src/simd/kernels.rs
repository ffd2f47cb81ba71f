//! Kernel bodies, written once over [`Vector`] and instantiated per ISA.
//!
//! Everything here is `#[inline(always)]` and `unsafe`: the contract of every function
//! is that the CPU supports `V`'s instruction set and that slice arguments have the
//! lengths documented (the safe wrappers in [`super`] check them).
//!
//! Rows are processed in blocks of 64 elements (`BV` vectors of `V::LANES`), which
//! is also 4 steps of the 16 noise lanes. Tails are loaded into padded stack buffers
//! (`-inf` for values), so every element goes through the same vector code.

use super::math;
use super::vector::Vector;
use crate::noise::lanes::{LANES as NOISE_LANES, LaneState};

/// Elements per block.
pub(crate) const BLOCK: usize = 64;

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
}

/// Load `n - i < LANES` values from `p + i` into a vector padded with `pad`.
///
/// # Safety
/// `V`'s ISA is available; `p + i .. p + n` is readable; `n - i < V::LANES <= 16`.
#[inline(always)]
unsafe fn load_partial<V: Vector>(p: *const f32, i: usize, n: usize, pad: f32) -> V {
    let mut buf = [pad; 16];
    // SAFETY: the caller guarantees `p + i .. p + n` is readable and `n - i <= 16`.
    unsafe {
        core::ptr::copy_nonoverlapping(p.add(i), buf.as_mut_ptr(), n - i);
        V::load(buf.as_ptr())
    }
}

/// A row of values (logits, or `ln` of probabilities) read a vector at a time.
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

/// Logits: `-inf` masks, NaN and `+inf` are invalid.
pub(crate) struct Logits(pub *const f32);

impl<V: Vector> Values<V> for Logits {
    #[inline(always)]
    unsafe fn full(&mut self, i: usize) -> (V, V::Mask) {
        // SAFETY: caller contract (ISA available, `i + LANES <= n`).
        unsafe {
            let x = V::load(self.0.add(i));
            (x, x.not_lt(V::splat(f32::INFINITY)))
        }
    }
    #[inline(always)]
    unsafe fn partial(&mut self, i: usize, n: usize) -> (V, V::Mask) {
        // SAFETY: caller contract (ISA available, `i < n < i + LANES`).
        unsafe {
            let x: V = load_partial(self.0, i, n, f32::NEG_INFINITY);
            (x, x.not_lt(V::splat(f32::INFINITY)))
        }
    }
}

/// Probabilities (unnormalised weights) `α`, read as `ln α`: zero masks, negative, NaN
/// and `+inf` are invalid.
pub(crate) struct LnProbs(pub *const f32);

impl LnProbs {
    #[inline(always)]
    unsafe fn convert<V: Vector>(a: V) -> (V, V::Mask) {
        // SAFETY: caller contract (ISA available).
        unsafe {
            let bad = V::mask_or(a.lt(V::splat(0.0)), a.not_lt(V::splat(f32::INFINITY)));
            (math::ln::<V, true>(a), bad)
        }
    }
}

impl<V: Vector> Values<V> for LnProbs {
    #[inline(always)]
    unsafe fn full(&mut self, i: usize) -> (V, V::Mask) {
        // SAFETY: caller contract (ISA available, `i + LANES <= n`).
        unsafe { Self::convert(V::load(self.0.add(i))) }
    }
    #[inline(always)]
    unsafe fn partial(&mut self, i: usize, n: usize) -> (V, V::Mask) {
        // SAFETY: caller contract (ISA available, `i < n < i + LANES`).
        unsafe { Self::convert(load_partial::<V>(self.0, i, n, 0.0)) }
    }
}

/// How a scale `s` combines values `x` and noise `g` into the score that is argmaxed.
///
/// `argmax(x/T + g) = argmax(x + T·g)` for `T > 0`: with `T <= 1` the noise is scaled
/// (`fma(g, T, x)`), with `T > 1` the logits are (`fma(x, 1/T, g)`). Either way no
/// finite input overflows, and at `T = 1` the score is exactly `x + g` on every ISA.
#[derive(Clone, Copy)]
pub(crate) struct Scale {
    pub s: f32,
    pub scale_noise: bool,
}

impl Scale {
    pub(crate) fn from_temperature(t: f32) -> Scale {
        if t <= 1.0 {
            Scale {
                s: t,
                scale_noise: true,
            }
        } else {
            Scale {
                s: 1.0 / t,
                scale_noise: false,
            }
        }
    }
    #[inline(always)]
    unsafe fn apply<V: Vector>(self, x: V, g: V) -> V {
        // SAFETY: caller contract (ISA available).
        unsafe {
            if self.scale_noise {
                g.mul_add(V::splat(self.s), x)
            } else {
                x.mul_add(V::splat(self.s), g)
            }
        }
    }
}

/// Scores `x·s + g` (or `x + s·g`) with noise read from a slice.
pub(crate) struct WithNoise<X> {
    pub x: X,
    pub g: *const f32,
    pub scale: Scale,
}

impl<V: Vector, X: Values<V>> Values<V> for WithNoise<X> {
    #[inline(always)]
    unsafe fn full(&mut self, i: usize) -> (V, V::Mask) {
        // SAFETY: caller contract (ISA available, `i + LANES <= n`, noise has n values).
        unsafe {
            let (x, bad) = self.x.full(i);
            let g = V::load(self.g.add(i));
            let v = self.scale.apply(x, g);
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
            let g: V = load_partial(self.g, i, n, 0.0);
            let v = self.scale.apply(x, g);
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

/// The 16 noise lanes held in registers: `G` vectors of `V::LANES` lanes each.
pub(crate) struct Lanes<V: Vector, const G: usize> {
    s: [[V::Bits; 4]; G],
}

impl<V: Vector, const G: usize> Lanes<V, G> {
    /// # Safety
    /// `V`'s ISA is available and `G * V::LANES == 16`.
    #[inline(always)]
    pub(crate) unsafe fn load(st: &LaneState) -> Self {
        debug_assert_eq!(G * V::LANES, NOISE_LANES);
        // SAFETY: each row of `st.s` has 16 words; group `g` reads `LANES` of them
        // starting at `g * LANES < 16`.
        // (explicit loops, not `array::from_fn`: closures from core are compiled without
        // the entry function's target features and would turn intrinsics into calls)
        unsafe {
            let mut s = [[V::bits_splat(0); 4]; G];
            for (g, sg) in s.iter_mut().enumerate() {
                for (w, sw) in sg.iter_mut().enumerate() {
                    *sw = V::bits_load(st.s[w].as_ptr().add(g * V::LANES));
                }
            }
            Lanes { s }
        }
    }
    /// # Safety
    /// `V`'s ISA is available and `G * V::LANES == 16`.
    #[inline(always)]
    pub(crate) unsafe fn store(&self, st: &mut LaneState) {
        for g in 0..G {
            for w in 0..4 {
                // SAFETY: as in `load`, in bounds writes of `LANES` words.
                unsafe { V::bits_store(self.s[g][w], st.s[w].as_mut_ptr().add(g * V::LANES)) }
            }
        }
    }
    /// One xoshiro128++ step of every lane: 16 outputs as `G` vectors.
    ///
    /// # Safety
    /// `V`'s ISA is available.
    #[inline(always)]
    pub(crate) unsafe fn next(&mut self) -> [V::Bits; G] {
        // SAFETY: caller contract (ISA available); integer arithmetic only.
        unsafe {
            let mut out = [V::bits_splat(0); G];
            for (o, sg) in out.iter_mut().zip(self.s.iter_mut()) {
                let [s0, s1, s2, s3] = *sg;
                *o = V::bits_add(V::bits_rotl::<7>(V::bits_add(s0, s3)), s0);
                let t = V::bits_shl::<9>(s1);
                let s2 = V::bits_xor(s2, s0);
                let s3 = V::bits_xor(s3, s1);
                let s1 = V::bits_xor(s1, s2);
                let s0 = V::bits_xor(s0, s3);
                let s2 = V::bits_xor(s2, t);
                let s3 = V::bits_rotl::<11>(s3);
                *sg = [s0, s1, s2, s3];
            }
            out
        }
    }
}

/// Scores with Gumbel noise generated in registers from a lane state (nothing stored).
///
/// Software-pipelined like [`fill`]: `pending` holds the exponentials `E = −ln U` of
/// the next 16-lane step, so each step's `−ln E` runs beside the next step's `E`.
/// The noise is that of `fill_gumbel` from the same state, position for position.
pub(crate) struct Fused<V: Vector, X, const G: usize> {
    x: X,
    lanes: Lanes<V, G>,
    pending: [V; G],
    buf: [V; G],
    next: usize,
    scale: Scale,
}

impl<V: Vector, X: Values<V>, const G: usize> Fused<V, X, G> {
    /// # Safety
    /// `V`'s ISA is available; `G * V::LANES == 16`.
    #[inline(always)]
    pub(crate) unsafe fn new(x: X, st: &LaneState, scale: Scale) -> Self {
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
                scale,
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
            (self.scale.apply(x, g), bad)
        }
    }
    #[inline(always)]
    unsafe fn partial(&mut self, i: usize, n: usize) -> (V, V::Mask) {
        // SAFETY: caller contract (ISA available, `i < n < i + LANES`).
        unsafe {
            let (x, bad) = self.x.partial(i, n);
            let g = self.noise();
            (self.scale.apply(x, g), bad)
        }
    }
}

/// Tree maximum of `BV` vectors. (Closure-free on purpose: closures are compiled
/// without the entry function's target features, so intrinsics in them become calls.)
#[inline(always)]
unsafe fn tree_max<V: Vector, const BV: usize>(mut v: [V; BV]) -> V {
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
unsafe fn tree_sum<V: Vector, const BV: usize>(mut v: [V; BV]) -> V {
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
unsafe fn new_best<V: Vector, const N: usize>(
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
unsafe fn block_exps<V: Vector, S: Values<V>, const BV: usize>(
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

/// Inverse-CDF scan: the first index where the running sum of `exp((x − m)·s)`
/// reaches `target`, replaying [`exp_sum`]'s block sums exactly. Inside the block that
/// crosses, elements are added one by one; if rounding inside that block keeps the
/// running sum below `target`, the block's last nonzero element is returned. If no
/// block crosses (only when `target` rounds up to the total), the last nonzero element
/// of the row is returned. Never returns an element whose weight is zero; returns
/// `usize::MAX` only if every weight is zero.
///
/// # Safety
/// `V`'s ISA is available; `BV * V::LANES == BLOCK`; `src` is valid for `n` elements.
#[inline(always)]
pub(crate) unsafe fn roulette_scan<V: Vector, S: Values<V>, const BV: usize>(
    n: usize,
    mut src: S,
    m: f32,
    s: f32,
    target: f64,
) -> usize {
    let mut cum = 0.0f64;
    let mut last_nonzero = usize::MAX;
    let mut buf = [0.0f32; BLOCK];
    let mut i = 0;
    while i < n {
        // SAFETY: caller contract; `buf` holds BV * LANES = BLOCK values.
        unsafe {
            let (es, bsum) = block_exps::<V, S, BV>(&mut src, i, n, m, s);
            if bsum > 0.0 {
                for (j, e) in es.iter().enumerate() {
                    e.store(buf.as_mut_ptr().add(j * V::LANES));
                }
                let len = BLOCK.min(n - i);
                if cum + bsum >= target {
                    let mut c = cum;
                    for (k, &e) in buf[..len].iter().enumerate() {
                        if e > 0.0 {
                            c += e as f64;
                            last_nonzero = i + k;
                            if c >= target {
                                return i + k;
                            }
                        }
                    }
                    return last_nonzero;
                }
                if let Some(k) = buf[..len].iter().rposition(|&e| e > 0.0) {
                    last_nonzero = i + k;
                }
            }
            cum += bsum;
        }
        i += BLOCK;
    }
    last_nonzero
}

/// An element-wise operation, as a type rather than a closure (closures are compiled
/// without the entry function's target features).
pub(crate) trait MapOp {
    /// # Safety
    /// `V`'s ISA is available.
    unsafe fn apply<V: Vector>(x: V) -> V;
}

/// `ln`, subnormals included.
pub(crate) struct LnOp;
impl MapOp for LnOp {
    #[inline(always)]
    unsafe fn apply<V: Vector>(x: V) -> V {
        // SAFETY: caller contract (ISA available).
        unsafe { math::ln::<V, true>(x) }
    }
}

/// `exp`.
pub(crate) struct ExpOp;
impl MapOp for ExpOp {
    #[inline(always)]
    unsafe fn apply<V: Vector>(x: V) -> V {
        // SAFETY: caller contract (ISA available).
        unsafe { math::exp(x) }
    }
}

/// Apply `F` to every element of `x`, writing `y` (same length).
///
/// # Safety
/// `V`'s ISA is available; `y.len() == x.len()`.
#[inline(always)]
pub(crate) unsafe fn map<V: Vector, F: MapOp>(x: &[f32], y: &mut [f32]) {
    let n = x.len();
    let mut i = 0;
    // SAFETY: full loads/stores stay inside `[0, n)`; the tail goes through a buffer.
    unsafe {
        while i + V::LANES <= n {
            F::apply(V::load(x.as_ptr().add(i))).store(y.as_mut_ptr().add(i));
            i += V::LANES;
        }
        if i < n {
            let mut buf = [0.0f32; 16];
            F::apply(load_partial::<V>(x.as_ptr(), i, n, 1.0)).store(buf.as_mut_ptr());
            y[i..].copy_from_slice(&buf[..n - i]);
        }
    }
}

/// Bits → standard Gumbel, element-wise (`out.len() == bits.len()`).
///
/// # Safety
/// `V`'s ISA is available; `out.len() == bits.len()`.
#[inline(always)]
pub(crate) unsafe fn gumbel_map<V: Vector>(bits: &[u32], out: &mut [f32]) {
    let n = bits.len();
    let mut i = 0;
    // SAFETY: full loads/stores stay inside `[0, n)`; the tail goes through buffers.
    unsafe {
        while i + V::LANES <= n {
            math::gumbel_from_bits::<V>(V::bits_load(bits.as_ptr().add(i)))
                .store(out.as_mut_ptr().add(i));
            i += V::LANES;
        }
        if i < n {
            let mut b = [0u32; 16];
            b[..n - i].copy_from_slice(&bits[i..]);
            let mut o = [0.0f32; 16];
            math::gumbel_from_bits::<V>(V::bits_load(b.as_ptr())).store(o.as_mut_ptr());
            out[i..].copy_from_slice(&o[..n - i]);
        }
    }
}

/// What [`fill`] writes for each vector of raw bits.
pub(crate) trait Emit<T> {
    /// What the first stage makes of one vector of bits.
    type Mid<V: Vector>: Copy;
    /// # Safety
    /// `V`'s ISA is available.
    unsafe fn stage1<V: Vector>(b: V::Bits) -> Self::Mid<V>;
    /// # Safety
    /// `V`'s ISA is available; `p` is valid for `V::LANES` writes.
    unsafe fn stage2<V: Vector>(m: Self::Mid<V>, p: *mut T);
}

/// Standard Gumbel values: stage 1 is the exponential `E = −ln U`, stage 2 `−ln E`.
///
/// With `STREAM`, stored without keeping them in cache: for noise made well ahead of
/// its use (a large ring refill); the destination must then be aligned to
/// `V::LANES * 4` bytes at every write.
pub(crate) struct EmitGumbel<const STREAM: bool>;
impl<const STREAM: bool> Emit<f32> for EmitGumbel<STREAM> {
    type Mid<V: Vector> = V;
    #[inline(always)]
    unsafe fn stage1<V: Vector>(b: V::Bits) -> V {
        // SAFETY: caller contract.
        unsafe { math::exponential_from_bits::<V>(b) }
    }
    #[inline(always)]
    unsafe fn stage2<V: Vector>(e: V, p: *mut f32) {
        // SAFETY: caller contract, plus `p` aligned when streaming (the
        // `fill_gumbel_stream` entry checks that the whole buffer is 64-byte aligned
        // and a multiple of 16 long).
        unsafe {
            let g = math::gumbel_from_exponential::<V>(e);
            if STREAM {
                g.store_stream(p)
            } else {
                g.store(p)
            }
        }
    }
}

/// The raw bits.
pub(crate) struct EmitBits;
impl Emit<u32> for EmitBits {
    type Mid<V: Vector> = V::Bits;
    #[inline(always)]
    unsafe fn stage1<V: Vector>(b: V::Bits) -> V::Bits {
        b
    }
    #[inline(always)]
    unsafe fn stage2<V: Vector>(b: V::Bits, p: *mut u32) {
        // SAFETY: caller contract.
        unsafe { V::bits_store(b, p) }
    }
}

/// Fill `out` with the stream's next values (raw bits or Gumbel), advancing `st`.
///
/// Software-pipelined: each step runs stage 1 on the next 16 lanes' bits and stage 2
/// on the previous step's result, so the two halves of the long `−ln(−ln U)`
/// dependency chain are in flight side by side (the loop is bound by that chain's
/// latency, not by arithmetic throughput). The values are those of the plain order.
///
/// # Safety
/// `V`'s ISA is available; `G * V::LANES == 16`.
#[inline(always)]
pub(crate) unsafe fn fill<V: Vector, T: Copy + Default, E: Emit<T>, const G: usize>(
    st: &mut LaneState,
    out: &mut [T],
) {
    // SAFETY: caller contract; each step writes 16 values at `i + g * LANES` with
    // `i + 16 <= out.len()`, the tail goes through a 16-element buffer.
    unsafe {
        let mut lanes = Lanes::<V, G>::load(st);
        let n = out.len();
        let p = out.as_mut_ptr();
        let mut i = 0;
        if G > 2 {
            // one-lane (scalar) vectors: 16 values a step are already 16 independent
            // chains, and holding two steps' worth in flight only spills registers
            while i + NOISE_LANES <= n {
                let bits = lanes.next();
                for (g, b) in bits.into_iter().enumerate() {
                    E::stage2::<V>(E::stage1::<V>(b), p.add(i + g * V::LANES));
                }
                i += NOISE_LANES;
            }
        } else if n >= NOISE_LANES {
            let mut mid = stage1_all::<V, T, E, G>(lanes.next());
            if i + 4 * NOISE_LANES <= n {
                // two steps per turn, both pipelined: stage 1 of steps s+2 and s+3
                // beside stage 2 of steps s and s+1
                let mut mid2 = stage1_all::<V, T, E, G>(lanes.next());
                while i + 4 * NOISE_LANES <= n {
                    let next = stage1_all::<V, T, E, G>(lanes.next());
                    let next2 = stage1_all::<V, T, E, G>(lanes.next());
                    stage2_all::<V, T, E, G>(mid, p.add(i));
                    stage2_all::<V, T, E, G>(mid2, p.add(i + NOISE_LANES));
                    mid = next;
                    mid2 = next2;
                    i += 2 * NOISE_LANES;
                }
                stage2_all::<V, T, E, G>(mid, p.add(i));
                mid = mid2;
                i += NOISE_LANES;
            }
            while i + 2 * NOISE_LANES <= n {
                let next = stage1_all::<V, T, E, G>(lanes.next());
                stage2_all::<V, T, E, G>(mid, p.add(i));
                mid = next;
                i += NOISE_LANES;
            }
            stage2_all::<V, T, E, G>(mid, p.add(i));
            i += NOISE_LANES;
        }
        if i < n {
            let mut buf = [T::default(); NOISE_LANES];
            let mid = stage1_all::<V, T, E, G>(lanes.next());
            stage2_all::<V, T, E, G>(mid, buf.as_mut_ptr());
            out[i..].copy_from_slice(&buf[..n - i]);
        }
        lanes.store(st);
    }
}

/// Stage 2 of every vector of one 16-lane step, written at `p`.
#[inline(always)]
unsafe fn stage2_all<V: Vector, T, E: Emit<T>, const G: usize>(mid: [E::Mid<V>; G], p: *mut T) {
    // SAFETY: caller contract (ISA available; `p` valid for 16 writes).
    unsafe {
        for (g, m) in mid.into_iter().enumerate() {
            E::stage2::<V>(m, p.add(g * V::LANES));
        }
    }
}

/// Stage 1 of every vector of one 16-lane step. (A loop, not `array::map`: closures
/// lose the entry function's target features.)
#[inline(always)]
unsafe fn stage1_all<V: Vector, T, E: Emit<T>, const G: usize>(
    bits: [V::Bits; G],
) -> [E::Mid<V>; G] {
    // SAFETY: caller contract (ISA available).
    unsafe {
        let mut out = [E::stage1::<V>(bits[0]); G];
        for (o, b) in out.iter_mut().zip(bits).skip(1) {
            *o = E::stage1::<V>(b);
        }
        out
    }
}

/// `y_i = exp((v_i − m)·s)` for the values of `src`, written to `y`; returns `Σ y_i`
/// (f64, block by block as in [`exp_sum`]).
///
/// # Safety
/// `V`'s ISA is available; `BV * V::LANES == BLOCK`; `src` is valid for `n` elements
/// and `y` for `n` writes.
#[inline(always)]
pub(crate) unsafe fn exp_store<V: Vector, S: Values<V>, const BV: usize>(
    n: usize,
    mut src: S,
    m: f32,
    s: f32,
    y: *mut f32,
) -> f64 {
    let mut total = 0.0f64;
    let mut buf = [0.0f32; BLOCK];
    let mut i = 0;
    // SAFETY: caller contract; full blocks store inside `[0, n)`, the last partial block
    // goes through `buf`.
    unsafe {
        while i < n {
            let (es, bsum) = block_exps::<V, S, BV>(&mut src, i, n, m, s);
            total += bsum;
            if i + BLOCK <= n {
                for (j, e) in es.iter().enumerate() {
                    e.store(y.add(i + j * V::LANES));
                }
            } else {
                for (j, e) in es.iter().enumerate() {
                    e.store(buf.as_mut_ptr().add(j * V::LANES));
                }
                core::ptr::copy_nonoverlapping(buf.as_ptr(), y.add(i), n - i);
            }
            i += BLOCK;
        }
    }
    total
}

/// `y_i = a_i·c + d_i·e`-style two-input element-wise operations, as types.
pub(crate) trait ZipOp {
    /// # Safety
    /// `V`'s ISA is available.
    unsafe fn apply<V: Vector>(a: V, b: V, c: V, d: V) -> V;
}

/// `a · c` (scale; `b`, `d` unused).
pub(crate) struct ScaleOp;
impl ZipOp for ScaleOp {
    #[inline(always)]
    unsafe fn apply<V: Vector>(a: V, _b: V, c: V, _d: V) -> V {
        // SAFETY: caller contract (ISA available).
        unsafe { a.mul(c) }
    }
}

/// `a − c` (shift; `b`, `d` unused).
pub(crate) struct ShiftOp;
impl ZipOp for ShiftOp {
    #[inline(always)]
    unsafe fn apply<V: Vector>(a: V, _b: V, c: V, _d: V) -> V {
        // SAFETY: caller contract (ISA available).
        unsafe { a.sub(c) }
    }
}

/// `a · (b − c) · d`: the softmax vector–Jacobian product with `a = y`, `b = ∂L/∂y`,
/// `c = ⟨∂L/∂y, y⟩`, `d = 1/τ`.
pub(crate) struct VjpOp;
impl ZipOp for VjpOp {
    #[inline(always)]
    unsafe fn apply<V: Vector>(a: V, b: V, c: V, d: V) -> V {
        // SAFETY: caller contract (ISA available).
        unsafe { a.mul(b.sub(c)).mul(d) }
    }
}

/// `out_i = F(a_i, b_i, c, d)` over `n` elements (`b` may be `a` when unused).
///
/// # Safety
/// `V`'s ISA is available; `a`, `b` valid for `n` reads, `out` for `n` writes (`out`
/// may alias `a` exactly).
#[inline(always)]
pub(crate) unsafe fn zip<V: Vector, F: ZipOp>(
    n: usize,
    a: *const f32,
    b: *const f32,
    c: f32,
    d: f32,
    out: *mut f32,
) {
    let mut i = 0;
    // SAFETY: caller contract; full vectors stay inside `[0, n)`, the tail is padded.
    unsafe {
        let (cv, dv) = (V::splat(c), V::splat(d));
        while i + V::LANES <= n {
            F::apply(V::load(a.add(i)), V::load(b.add(i)), cv, dv).store(out.add(i));
            i += V::LANES;
        }
        if i < n {
            let mut buf = [0.0f32; 16];
            let r = F::apply(
                load_partial::<V>(a, i, n, 0.0),
                load_partial::<V>(b, i, n, 0.0),
                cv,
                dv,
            );
            r.store(buf.as_mut_ptr());
            core::ptr::copy_nonoverlapping(buf.as_ptr(), out.add(i), n - i);
        }
    }
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
                    load_partial::<V>(a, e, n, 0.0).mul(load_partial::<V>(b, e, n, 0.0))
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
