//! The pipelined noise fill: raw generator bits or standard Gumbel values, 16 lanes a
//! step, written to a slice.

use super::math;
use super::rng::{LaneState, Lanes};
use super::vector::{NOISE_LANES, Vector};

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
