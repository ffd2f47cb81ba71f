//! The small vector trait every kernel is written against.
//!
//! One implementation per instruction set (`x86::avx512`, `x86::avx2`, `portable`,
//! `scalar`). Kernels in [`super::kernels`] and [`super::math`] are generic over
//! [`Vector`] and marked `#[inline(always)]`, so each ISA's `#[target_feature]` entry
//! function gets a full copy of the loop compiled for that ISA.

/// A vector of `LANES` f32 values, with a mask type and a 32-bit integer view.
///
/// # Safety
///
/// Implementations may use instructions the CPU does not have. Every method is an
/// `unsafe fn` whose contract is: the CPU supports the instruction set of the
/// implementing type (checked once by [`super::Isa::is_available`]), and pointer
/// arguments are valid for `LANES` elements.
pub(crate) unsafe trait Vector: Copy {
    /// Number of f32 lanes.
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
    /// Signed i32 lanes to f32 (round to nearest).
    unsafe fn bits_to_f32(a: Self::Bits) -> Self;
    /// f32 to signed i32, round to nearest even (inputs are in range by construction).
    unsafe fn round_to_bits(self) -> Self::Bits;
}
