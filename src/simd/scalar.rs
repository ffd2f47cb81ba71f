//! Scalar implementation of [`Vector`]: one lane, plain Rust arithmetic.
//!
//! This is the reference path: the same generic kernels as every SIMD path, one element
//! at a time, with unfused `a * b + c` (like the portable path in a default build).
//! Tests compare every ISA against it and against f64 references.

// `!(a < b)` is meant literally: true when either side is NaN, like the SIMD compares.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use super::vector::Vector;

/// One f32 lane.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct V(f32);

// SAFETY: plain Rust arithmetic works on every CPU; pointer methods require one valid
// element, which callers guarantee.
unsafe impl Vector for V {
    const LANES: usize = 1;
    type Mask = bool;
    type Bits = u32;

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        V(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: `p` is valid for one read (trait contract).
        V(unsafe { p.read_unaligned() })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: `p` is valid for one write (trait contract).
        unsafe { p.write_unaligned(self.0) }
    }
    #[inline(always)]
    unsafe fn store_stream(self, p: *mut f32) {
        // SAFETY: trait contract, as for `store`.
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
        V(self.0 * b.0 + c.0)
    }
    #[inline(always)]
    unsafe fn max(self, o: Self) -> Self {
        V(if self.0 > o.0 { self.0 } else { o.0 })
    }
    #[inline(always)]
    unsafe fn min(self, o: Self) -> Self {
        V(if self.0 < o.0 { self.0 } else { o.0 })
    }
    #[inline(always)]
    unsafe fn lt(self, o: Self) -> bool {
        self.0 < o.0
    }
    #[inline(always)]
    unsafe fn gt(self, o: Self) -> bool {
        self.0 > o.0
    }
    #[inline(always)]
    unsafe fn eq(self, o: Self) -> bool {
        self.0 == o.0
    }
    #[inline(always)]
    unsafe fn not_lt(self, o: Self) -> bool {
        !(self.0 < o.0)
    }
    #[inline(always)]
    unsafe fn not_gt(self, o: Self) -> bool {
        !(self.0 > o.0)
    }
    #[inline(always)]
    unsafe fn is_nan(self) -> bool {
        self.0.is_nan()
    }
    #[inline(always)]
    unsafe fn select(m: bool, a: Self, b: Self) -> Self {
        if m { a } else { b }
    }
    #[inline(always)]
    unsafe fn mask_or(a: bool, b: bool) -> bool {
        a | b
    }
    #[inline(always)]
    unsafe fn mask_and(a: bool, b: bool) -> bool {
        a & b
    }
    #[inline(always)]
    unsafe fn mask_none() -> bool {
        false
    }
    #[inline(always)]
    unsafe fn mask_any(m: bool) -> bool {
        m
    }
    #[inline(always)]
    unsafe fn mask_bits(m: bool) -> u32 {
        u32::from(m)
    }
    #[inline(always)]
    unsafe fn reduce_max(self) -> f32 {
        self.0
    }
    #[inline(always)]
    unsafe fn reduce_sum_f64(self) -> f64 {
        self.0 as f64
    }
    #[inline(always)]
    unsafe fn to_bits(self) -> u32 {
        self.0.to_bits()
    }
    #[inline(always)]
    unsafe fn from_bits(b: u32) -> Self {
        V(f32::from_bits(b))
    }
    #[inline(always)]
    unsafe fn bits_splat(x: u32) -> u32 {
        x
    }
    #[inline(always)]
    unsafe fn bits_load(p: *const u32) -> u32 {
        // SAFETY: `p` is valid for one read (trait contract).
        unsafe { p.read_unaligned() }
    }
    #[inline(always)]
    unsafe fn bits_store(b: u32, p: *mut u32) {
        // SAFETY: `p` is valid for one write (trait contract).
        unsafe { p.write_unaligned(b) }
    }
    #[inline(always)]
    unsafe fn bits_load_u16(p: *const u16) -> u32 {
        // SAFETY: `p` is valid for one u16 read (trait contract).
        unsafe { p.read_unaligned() as u32 }
    }
    #[inline(always)]
    unsafe fn bits_add(a: u32, b: u32) -> u32 {
        a.wrapping_add(b)
    }
    #[inline(always)]
    unsafe fn bits_sub(a: u32, b: u32) -> u32 {
        a.wrapping_sub(b)
    }
    #[inline(always)]
    unsafe fn bits_and(a: u32, b: u32) -> u32 {
        a & b
    }
    #[inline(always)]
    unsafe fn bits_xor(a: u32, b: u32) -> u32 {
        a ^ b
    }
    #[inline(always)]
    unsafe fn bits_shl<const N: u32>(a: u32) -> u32 {
        a << N
    }
    #[inline(always)]
    unsafe fn bits_sar<const N: u32>(a: u32) -> u32 {
        ((a as i32) >> N) as u32
    }
    #[inline(always)]
    unsafe fn bits_rotl<const N: i32>(a: u32) -> u32 {
        a.rotate_left(N as u32)
    }
    #[inline(always)]
    unsafe fn bits_sign_mask(a: u32) -> bool {
        (a as i32) < 0
    }
    #[inline(always)]
    unsafe fn bits_to_f32(a: u32) -> Self {
        V(a as i32 as f32)
    }
    #[inline(always)]
    unsafe fn round_to_bits(self) -> u32 {
        self.0.round_ties_even() as i32 as u32
    }
}

crate::simd::backend::entries!(V, 64, 16, []);
