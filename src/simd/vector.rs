//! The small vector trait every kernel is written against.
//!
//! One implementation per instruction set (`x86::avx512`, `x86::avx2`, `portable`,
//! `scalar`). The kernels (`source`, `reduce`, `map`, `fill`, `rows`, [`super::math`])
//! are generic over [`Vector`] and marked `#[inline(always)]`, so each ISA's
//! `#[target_feature]` entry function gets a full copy of the loop compiled for that
//! ISA. A leaf: imports nothing of the crate.

/// Positions per 16-lane generator step: the noise lanes (`noise::LANES`).
pub(crate) const NOISE_LANES: usize = 16;
/// Elements per block: the kernels reduce rows 64 elements at a time (4 noise steps).
pub(crate) const BLOCK: usize = 64;

/// A vector of `LANES` f32 values, with a mask type and a 32-bit integer view.
///
/// # Safety
///
/// **Callers** guarantee, for every method (all are `unsafe fn`): the CPU supports the
/// instruction set of the implementing type (checked once by
/// [`Isa::is_available`](super::Isa::is_available) before a
/// [`Backend`](super::Backend) for it exists), and pointer arguments are valid for
/// `LANES` elements (`store_stream`: also aligned to `LANES * 4` bytes).
///
/// **Implementors** guarantee: `LANES` is at most 16 and divides 16 (the 16 noise lanes
/// are `16 / LANES` vectors; the 64-element block is `64 / LANES` vectors); `Bits` holds
/// the same `LANES` lanes as 32-bit integers; `mask_bits` sets bit `k` for lane `k`
/// only; `reduce_sum_f64` sums in a fixed order; loads and stores touch exactly `LANES`
/// elements. [`assert_shape`] checks the lane relations at compile time for each
/// implementation.
pub(crate) unsafe trait Vector: Copy {
    /// Number of f32 lanes: at most 16, and a divisor of 16.
    const LANES: usize;
    /// Lane mask produced by comparisons.
    type Mask: Copy;
    /// The same lanes seen as 32-bit integers.
    type Bits: Copy;

    unsafe fn splat(x: f32) -> Self;
    unsafe fn load(p: *const f32) -> Self;
    unsafe fn store(self, p: *mut f32);
    /// Store without keeping the line in cache (a non-temporal store) where the ISA
    /// has one, else a plain store. `p` must be aligned to `LANES * 4` bytes; call
    /// [`stream_fence`](Self::stream_fence) before the data is handed to another thread.
    unsafe fn store_stream(self, p: *mut f32);
    /// Orders earlier non-temporal stores before later stores (`sfence`); a no-op
    /// where [`store_stream`](Self::store_stream) is a plain store.
    unsafe fn stream_fence();
    unsafe fn add(self, o: Self) -> Self;
    unsafe fn sub(self, o: Self) -> Self;
    unsafe fn mul(self, o: Self) -> Self;
    /// `self * b + c`; fused (one rounding) where the ISA has FMA, two roundings otherwise.
    unsafe fn mul_add(self, b: Self, c: Self) -> Self;
    /// Lane-wise maximum; the result for NaN inputs is unspecified (callers flag NaN separately).
    unsafe fn max(self, o: Self) -> Self;
    /// Lane-wise minimum; NaN behaviour unspecified.
    unsafe fn min(self, o: Self) -> Self;

    unsafe fn lt(self, o: Self) -> Self::Mask;
    unsafe fn gt(self, o: Self) -> Self::Mask;
    unsafe fn eq(self, o: Self) -> Self::Mask;
    /// `!(self < o)`: true where `self >= o` or either is NaN.
    unsafe fn not_lt(self, o: Self) -> Self::Mask;
    /// `!(self > o)`: true where `self <= o` or either is NaN.
    unsafe fn not_gt(self, o: Self) -> Self::Mask;
    unsafe fn is_nan(self) -> Self::Mask;
    /// `m ? a : b`, lane-wise.
    unsafe fn select(m: Self::Mask, a: Self, b: Self) -> Self;
    unsafe fn mask_or(a: Self::Mask, b: Self::Mask) -> Self::Mask;
    unsafe fn mask_and(a: Self::Mask, b: Self::Mask) -> Self::Mask;
    unsafe fn mask_none() -> Self::Mask;
    unsafe fn mask_any(m: Self::Mask) -> bool;
    /// The mask as bits: bit `k` is set iff lane `k` is.
    unsafe fn mask_bits(m: Self::Mask) -> u32;

    /// Horizontal maximum (NaN behaviour unspecified).
    unsafe fn reduce_max(self) -> f32;
    /// Horizontal sum in f64, in a fixed order (so it is deterministic per ISA).
    unsafe fn reduce_sum_f64(self) -> f64;

    unsafe fn to_bits(self) -> Self::Bits;
    unsafe fn from_bits(b: Self::Bits) -> Self;
    unsafe fn bits_splat(x: u32) -> Self::Bits;
    unsafe fn bits_load(p: *const u32) -> Self::Bits;
    unsafe fn bits_store(b: Self::Bits, p: *mut u32);
    /// `LANES` u16 values, zero-extended to 32-bit lanes.
    unsafe fn bits_load_u16(p: *const u16) -> Self::Bits;
    /// `LANES` bfloat16 values (their bits at `p`) as f32: a 16-bit left shift.
    #[inline(always)]
    unsafe fn load_bf16(p: *const u16) -> Self {
        // SAFETY: forwarded caller contract.
        unsafe { Self::from_bits(Self::bits_shl::<16>(Self::bits_load_u16(p))) }
    }
    /// `LANES` IEEE binary16 values (their bits at `p`) as f32, exactly. ISAs with a
    /// conversion instruction (F16C, AVX-512F) override this portable default:
    ///
    /// `(h & 0x7fff) << 13` read as an f32 is the value times 2⁻¹¹² for zeros,
    /// subnormals and normals (one exact multiply by 2¹¹² rescales it); exponent 31
    /// (inf / NaN) instead gets 224 added to its exponent field, landing on 255 with the
    /// mantissa kept; the sign moves to bit 31.
    #[inline(always)]
    unsafe fn load_f16(p: *const u16) -> Self {
        // SAFETY: forwarded caller contract; lane-wise arithmetic only.
        unsafe {
            let h = Self::bits_load_u16(p);
            let mag = Self::bits_shl::<13>(Self::bits_and(h, Self::bits_splat(0x7fff)));
            let sign = Self::bits_shl::<16>(Self::bits_and(h, Self::bits_splat(0x8000)));
            let two_112 = Self::from_bits(Self::bits_splat(0x7780_0000));
            let finite = Self::from_bits(mag).mul(two_112);
            let special = Self::from_bits(Self::bits_add(mag, Self::bits_splat(0x7000_0000)));
            // the largest finite f16 is 65504; exponent 31 scales to 2^16 and above
            let v = Self::select(finite.not_lt(Self::splat(65536.0)), special, finite);
            Self::from_bits(Self::bits_xor(v.to_bits(), sign))
        }
    }
    unsafe fn bits_add(a: Self::Bits, b: Self::Bits) -> Self::Bits;
    unsafe fn bits_sub(a: Self::Bits, b: Self::Bits) -> Self::Bits;
    unsafe fn bits_and(a: Self::Bits, b: Self::Bits) -> Self::Bits;
    unsafe fn bits_xor(a: Self::Bits, b: Self::Bits) -> Self::Bits;
    unsafe fn bits_shl<const N: u32>(a: Self::Bits) -> Self::Bits;
    /// Arithmetic shift right (sign-extending).
    unsafe fn bits_sar<const N: u32>(a: Self::Bits) -> Self::Bits;
    unsafe fn bits_rotl<const N: i32>(a: Self::Bits) -> Self::Bits;
    /// Lanes whose top bit is set.
    unsafe fn bits_sign_mask(a: Self::Bits) -> Self::Mask;
    /// Lane-wise unsigned maximum. The default selects with [`bits_ge_u32`]; ISAs with
    /// the instruction override it.
    ///
    /// [`bits_ge_u32`]: Self::bits_ge_u32
    #[inline(always)]
    unsafe fn bits_max_u32(a: Self::Bits, b: Self::Bits) -> Self::Bits {
        // SAFETY: forwarded caller contract; lane-wise operations only.
        unsafe {
            let ge = Self::bits_ge_u32(a, b);
            Self::select(ge, Self::from_bits(a), Self::from_bits(b)).to_bits()
        }
    }
    /// `base[idx[k]]` for every lane `k` (a gather). The default stores the indices and
    /// loads lane by lane; ISAs with a gather instruction override it. The caller
    /// guarantees every index is in bounds of `base`.
    #[inline(always)]
    unsafe fn gather_u32(base: *const u32, idx: Self::Bits) -> Self::Bits {
        // SAFETY: forwarded caller contract; the buffers hold 16 >= LANES lanes.
        unsafe {
            let mut i = [0u32; 16];
            Self::bits_store(idx, i.as_mut_ptr());
            let mut out = [0u32; 16];
            for (o, &k) in out.iter_mut().zip(&i[..Self::LANES]) {
                *o = *base.add(k as usize);
            }
            Self::bits_load(out.as_ptr())
        }
    }
    /// Lanes where `a >= b` as unsigned 32-bit integers. The default is the borrow of
    /// `a − b` from integer operations every ISA has; ISAs with an unsigned compare
    /// override it.
    #[inline(always)]
    unsafe fn bits_ge_u32(a: Self::Bits, b: Self::Bits) -> Self::Mask {
        // SAFETY: forwarded caller contract; lane-wise integer arithmetic only.
        unsafe {
            // a < b (unsigned) iff the sign bit of (!a & b) | (!(a ^ b) & (a - b)) is
            // set; the two terms never both have it, so xor stands in for or
            let ones = Self::bits_splat(u32::MAX);
            let na = Self::bits_xor(a, ones);
            let t1 = Self::bits_and(na, b);
            let t2 = Self::bits_and(
                Self::bits_xor(Self::bits_xor(a, b), ones),
                Self::bits_sub(a, b),
            );
            let borrow = Self::bits_xor(t1, t2);
            Self::bits_sign_mask(Self::bits_xor(borrow, ones))
        }
    }
    /// Signed i32 lanes to f32 (round to nearest).
    unsafe fn bits_to_f32(a: Self::Bits) -> Self;
    /// f32 to signed i32, round to nearest even (inputs are in range by construction).
    unsafe fn round_to_bits(self) -> Self::Bits;
}

/// Compile-time check of an implementation's lane relations: `LANES <= 16`, `LANES`
/// divides 16, and the const parameters the kernels take with it — `G` vectors per
/// 16-lane noise step and `BV` vectors per 64-element block — agree with it. Each ISA
/// module evaluates it in a `const` item, so a wrong constant fails the build.
pub(crate) const fn assert_shape(lanes: usize, g: usize, bv: usize) {
    assert!(lanes >= 1 && lanes <= NOISE_LANES && NOISE_LANES.is_multiple_of(lanes));
    assert!(
        g * lanes == NOISE_LANES,
        "G vectors must hold the 16 noise lanes"
    );
    assert!(
        bv * lanes == BLOCK,
        "BV vectors must hold one 64-element block"
    );
}
