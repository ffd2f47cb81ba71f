//! Element-wise maps: `ln`, `exp`, bits → Gumbel, the exp-store of softmax, and the
//! two-input operations (scale, shift, the softmax vector–Jacobian product).

use super::element::load_partial;
use super::math;
use super::reduce::block_exps;
use super::source::Values;
use super::vector::{BLOCK, Vector};

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
            F::apply(load_partial::<V, f32>(x.as_ptr(), i, n, 1.0)).store(buf.as_mut_ptr());
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
                load_partial::<V, f32>(a, i, n, 0.0),
                load_partial::<V, f32>(b, i, n, 0.0),
                cv,
                dv,
            );
            r.store(buf.as_mut_ptr());
            core::ptr::copy_nonoverlapping(buf.as_ptr(), out.add(i), n - i);
        }
    }
}
