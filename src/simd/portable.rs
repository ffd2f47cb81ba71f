//! Portable implementation of [`Vector`] on `wide::f32x8`.
//!
//! `wide` picks its instructions when it is compiled: SSE2 in a default x86-64 build,
//! NEON on aarch64, plain scalar code elsewhere. This is the path every target has;
//! on x86-64 the run-time-selected AVX2 and AVX-512 paths are faster.
//!
//! `mul_add` here is `wide`'s, which fuses only when the build enables FMA on x86-64
//! (and always on aarch64, NEON); the math in [`super::math`] is accurate within its
//! stated bounds either way. Masks are whole lanes (all ones or all zeros), so
//! `select` is `wide`'s lane select.

use wide::{f32x8, i32x8, u32x8};

use super::vector::Vector;

/// 8 f32 lanes.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct V(f32x8);

#[inline(always)]
fn as_u32(a: i32x8) -> u32x8 {
    bytemuck::cast(a)
}
#[inline(always)]
fn as_i32(a: u32x8) -> i32x8 {
    bytemuck::cast(a)
}

// SAFETY: `wide` is safe code on every target; pointer methods require 8 valid
// elements, which callers guarantee.
unsafe impl Vector for V {
    const LANES: usize = 8;
    type Mask = f32x8;
    type Bits = i32x8;

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        V(f32x8::splat(x))
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: `p` is valid for 8 reads (trait contract); unaligned read of a Pod array.
        V(f32x8::new(unsafe { p.cast::<[f32; 8]>().read_unaligned() }))
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: `p` is valid for 8 writes (trait contract).
        unsafe { p.cast::<[f32; 8]>().write_unaligned(self.0.to_array()) }
    }
    #[inline(always)]
    unsafe fn store_stream(self, p: *mut f32) {
        // SAFETY: trait contract, as for `store` (no non-temporal store in `wide`).
        unsafe { self.store(p) }
    }
    #[inline(always)]
    unsafe fn stream_fence() {}
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        V(self.0 + o.0)
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        V(self.0 - o.0)
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        V(self.0 * o.0)
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        V(self.0.mul_add(b.0, c.0))
    }
    #[inline(always)]
    unsafe fn max(self, o: Self) -> Self {
        V(self.0.fast_max(o.0))
    }
    #[inline(always)]
    unsafe fn min(self, o: Self) -> Self {
        V(self.0.fast_min(o.0))
    }
    #[inline(always)]
    unsafe fn lt(self, o: Self) -> f32x8 {
        self.0.simd_lt(o.0)
    }
    #[inline(always)]
    unsafe fn gt(self, o: Self) -> f32x8 {
        self.0.simd_gt(o.0)
    }
    #[inline(always)]
    unsafe fn eq(self, o: Self) -> f32x8 {
        self.0.simd_eq(o.0)
    }
    #[inline(always)]
    unsafe fn not_lt(self, o: Self) -> f32x8 {
        !self.0.simd_lt(o.0)
    }
    #[inline(always)]
    unsafe fn not_gt(self, o: Self) -> f32x8 {
        !self.0.simd_gt(o.0)
    }
    #[inline(always)]
    unsafe fn is_nan(self) -> f32x8 {
        self.0.is_nan()
    }
    #[inline(always)]
    unsafe fn select(m: f32x8, a: Self, b: Self) -> Self {
        V(m.select(a.0, b.0))
    }
    #[inline(always)]
    unsafe fn mask_or(a: f32x8, b: f32x8) -> f32x8 {
        a | b
    }
    #[inline(always)]
    unsafe fn mask_and(a: f32x8, b: f32x8) -> f32x8 {
        a & b
    }
    #[inline(always)]
    unsafe fn mask_none() -> f32x8 {
        f32x8::ZERO
    }
    #[inline(always)]
    unsafe fn mask_any(m: f32x8) -> bool {
        m.any()
    }
    #[inline(always)]
    unsafe fn mask_bits(m: f32x8) -> u32 {
        m.to_bitmask()
    }
    #[inline(always)]
    unsafe fn reduce_max(self) -> f32 {
        let a = self.0.to_array();
        let m0 = a[0].max(a[4]).max(a[1].max(a[5]));
        let m1 = a[2].max(a[6]).max(a[3].max(a[7]));
        m0.max(m1)
    }
    #[inline(always)]
    unsafe fn reduce_sum_f64(self) -> f64 {
        let a = self.0.to_array();
        let s: [f64; 4] = core::array::from_fn(|i| a[i] as f64 + a[i + 4] as f64);
        (s[0] + s[2]) + (s[1] + s[3])
    }
    #[inline(always)]
    unsafe fn to_bits(self) -> i32x8 {
        bytemuck::cast(self.0)
    }
    #[inline(always)]
    unsafe fn from_bits(b: i32x8) -> Self {
        V(bytemuck::cast(b))
    }
    #[inline(always)]
    unsafe fn bits_splat(x: u32) -> i32x8 {
        i32x8::splat(x as i32)
    }
    #[inline(always)]
    unsafe fn bits_load(p: *const u32) -> i32x8 {
        // SAFETY: `p` is valid for 8 reads (trait contract).
        bytemuck::cast(unsafe { p.cast::<[u32; 8]>().read_unaligned() })
    }
    #[inline(always)]
    unsafe fn bits_store(b: i32x8, p: *mut u32) {
        // SAFETY: `p` is valid for 8 writes (trait contract).
        unsafe { p.cast::<[u32; 8]>().write_unaligned(bytemuck::cast(b)) }
    }
    #[inline(always)]
    unsafe fn bits_load_u16(p: *const u16) -> i32x8 {
        // SAFETY: `p` is valid for 8 u16 reads (trait contract).
        let h = unsafe { p.cast::<[u16; 8]>().read_unaligned() };
        i32x8::new(h.map(i32::from))
    }
    #[inline(always)]
    unsafe fn bits_add(a: i32x8, b: i32x8) -> i32x8 {
        a + b
    }
    #[inline(always)]
    unsafe fn bits_sub(a: i32x8, b: i32x8) -> i32x8 {
        a - b
    }
    #[inline(always)]
    unsafe fn bits_and(a: i32x8, b: i32x8) -> i32x8 {
        a & b
    }
    #[inline(always)]
    unsafe fn bits_xor(a: i32x8, b: i32x8) -> i32x8 {
        a ^ b
    }
    #[inline(always)]
    unsafe fn bits_shl<const N: u32>(a: i32x8) -> i32x8 {
        a << N
    }
    #[inline(always)]
    unsafe fn bits_sar<const N: u32>(a: i32x8) -> i32x8 {
        a >> N
    }
    #[inline(always)]
    unsafe fn bits_rotl<const N: i32>(a: i32x8) -> i32x8 {
        let u = as_u32(a);
        as_i32((u << (N as u32)) | (u >> (32 - N as u32)))
    }
    #[inline(always)]
    unsafe fn bits_sign_mask(a: i32x8) -> f32x8 {
        bytemuck::cast(a >> 31u32)
    }
    #[inline(always)]
    unsafe fn bits_to_f32(a: i32x8) -> Self {
        V(f32x8::from_i32x8(a))
    }
    #[inline(always)]
    unsafe fn round_to_bits(self) -> i32x8 {
        self.0.round_int()
    }
}

crate::simd::backend::entries!(V, 8, 2, []);
