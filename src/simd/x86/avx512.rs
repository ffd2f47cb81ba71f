//! AVX-512F implementation of [`Vector`]: 16 f32 lanes, `__mmask16` masks.

use core::arch::x86_64::*;

use crate::simd::vector::Vector;

/// 16 f32 lanes in a `zmm` register.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct V(__m512);

// SAFETY: every method requires AVX-512F (the trait contract); pointer methods require
// 16 valid elements, which callers guarantee.
unsafe impl Vector for V {
    const LANES: usize = 16;
    type Mask = __mmask16;
    type Bits = __m512i;

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY: AVX-512F is available (trait contract).
        V(unsafe { _mm512_set1_ps(x) })
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: AVX-512F available; `p` valid for 16 reads (trait contract).
        V(unsafe { _mm512_loadu_ps(p) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: AVX-512F available; `p` valid for 16 writes (trait contract).
        unsafe { _mm512_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn store_stream(self, p: *mut f32) {
        // SAFETY: AVX-512F available; `p` valid for 16 writes and 64-byte aligned
        // (trait contract).
        unsafe { _mm512_stream_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn stream_fence() {
        // SAFETY: SSE is part of x86-64.
        unsafe { _mm_sfence() }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: AVX-512F available (trait contract).
        V(unsafe { _mm512_add_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        // SAFETY: AVX-512F available (trait contract).
        V(unsafe { _mm512_sub_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        // SAFETY: AVX-512F available (trait contract).
        V(unsafe { _mm512_mul_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: AVX-512F available (trait contract); it includes FMA on zmm.
        V(unsafe { _mm512_fmadd_ps(self.0, b.0, c.0) })
    }
    #[inline(always)]
    unsafe fn max(self, o: Self) -> Self {
        // SAFETY: AVX-512F available (trait contract).
        V(unsafe { _mm512_max_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn min(self, o: Self) -> Self {
        // SAFETY: AVX-512F available (trait contract).
        V(unsafe { _mm512_min_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn lt(self, o: Self) -> __mmask16 {
        // SAFETY: AVX-512F available (trait contract).
        unsafe { _mm512_cmp_ps_mask::<_CMP_LT_OQ>(self.0, o.0) }
    }
    #[inline(always)]
    unsafe fn gt(self, o: Self) -> __mmask16 {
        // SAFETY: AVX-512F available (trait contract).
        unsafe { _mm512_cmp_ps_mask::<_CMP_GT_OQ>(self.0, o.0) }
    }
    #[inline(always)]
    unsafe fn eq(self, o: Self) -> __mmask16 {
        // SAFETY: AVX-512F available (trait contract).
        unsafe { _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(self.0, o.0) }
    }
    #[inline(always)]
    unsafe fn not_lt(self, o: Self) -> __mmask16 {
        // SAFETY: AVX-512F available (trait contract).
        unsafe { _mm512_cmp_ps_mask::<_CMP_NLT_UQ>(self.0, o.0) }
    }
    #[inline(always)]
    unsafe fn not_gt(self, o: Self) -> __mmask16 {
        // SAFETY: AVX-512F available (trait contract).
        unsafe { _mm512_cmp_ps_mask::<_CMP_NGT_UQ>(self.0, o.0) }
    }
    #[inline(always)]
    unsafe fn is_nan(self) -> __mmask16 {
        // SAFETY: AVX-512F available (trait contract).
        unsafe { _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(self.0, self.0) }
    }
    #[inline(always)]
    unsafe fn select(m: __mmask16, a: Self, b: Self) -> Self {
        // SAFETY: AVX-512F available (trait contract). blend takes `a` where the mask is set.
        V(unsafe { _mm512_mask_blend_ps(m, b.0, a.0) })
    }
    #[inline(always)]
    unsafe fn mask_or(a: __mmask16, b: __mmask16) -> __mmask16 {
        a | b
    }
    #[inline(always)]
    unsafe fn mask_and(a: __mmask16, b: __mmask16) -> __mmask16 {
        a & b
    }
    #[inline(always)]
    unsafe fn mask_none() -> __mmask16 {
        0
    }
    #[inline(always)]
    unsafe fn mask_any(m: __mmask16) -> bool {
        m != 0
    }
    #[inline(always)]
    unsafe fn mask_bits(m: __mmask16) -> u32 {
        u32::from(m)
    }
    #[inline(always)]
    unsafe fn reduce_max(self) -> f32 {
        // SAFETY: AVX-512F available (trait contract).
        unsafe { _mm512_reduce_max_ps(self.0) }
    }
    #[inline(always)]
    unsafe fn reduce_sum_f64(self) -> f64 {
        // SAFETY: AVX-512F available (trait contract). Widen both halves to f64 and
        // add them lane-wise, then reduce 8 f64 lanes in a fixed tree.
        unsafe {
            let lo = _mm512_cvtps_pd(_mm512_castps512_ps256(self.0));
            let hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(
                _mm512_castps_pd(self.0),
            )));
            _mm512_reduce_add_pd(_mm512_add_pd(lo, hi))
        }
    }
    #[inline(always)]
    unsafe fn to_bits(self) -> __m512i {
        // SAFETY: AVX-512F available (trait contract); a bit cast.
        unsafe { _mm512_castps_si512(self.0) }
    }
    #[inline(always)]
    unsafe fn from_bits(b: __m512i) -> Self {
        // SAFETY: AVX-512F available (trait contract); a bit cast.
        V(unsafe { _mm512_castsi512_ps(b) })
    }
    #[inline(always)]
    unsafe fn bits_splat(x: u32) -> __m512i {
        // SAFETY: AVX-512F available (trait contract).
        unsafe { _mm512_set1_epi32(x as i32) }
    }
    #[inline(always)]
    unsafe fn bits_load(p: *const u32) -> __m512i {
        // SAFETY: AVX-512F available; `p` valid for 16 reads (trait contract).
        unsafe { _mm512_loadu_si512(p.cast()) }
    }
    #[inline(always)]
    unsafe fn bits_store(b: __m512i, p: *mut u32) {
        // SAFETY: AVX-512F available; `p` valid for 16 writes (trait contract).
        unsafe { _mm512_storeu_si512(p.cast(), b) }
    }
    #[inline(always)]
    unsafe fn bits_load_u16(p: *const u16) -> __m512i {
        // SAFETY: AVX-512F available; `p` valid for 16 u16 reads (trait contract).
        unsafe { _mm512_cvtepu16_epi32(_mm256_loadu_si256(p.cast())) }
    }
    #[inline(always)]
    unsafe fn load_f16(p: *const u16) -> Self {
        // SAFETY: AVX-512F available (it has the 16-lane `vcvtph2ps`); `p` valid for 16
        // u16 reads (trait contract). The conversion is exact.
        V(unsafe { _mm512_cvtph_ps(_mm256_loadu_si256(p.cast())) })
    }
    #[inline(always)]
    unsafe fn bits_add(a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: AVX-512F available (trait contract).
        unsafe { _mm512_add_epi32(a, b) }
    }
    #[inline(always)]
    unsafe fn bits_sub(a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: AVX-512F available (trait contract).
        unsafe { _mm512_sub_epi32(a, b) }
    }
    #[inline(always)]
    unsafe fn bits_and(a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: AVX-512F available (trait contract).
        unsafe { _mm512_and_si512(a, b) }
    }
    #[inline(always)]
    unsafe fn bits_xor(a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: AVX-512F available (trait contract).
        unsafe { _mm512_xor_si512(a, b) }
    }
    #[inline(always)]
    unsafe fn bits_shl<const N: u32>(a: __m512i) -> __m512i {
        // SAFETY: AVX-512F available (trait contract).
        unsafe { _mm512_slli_epi32::<N>(a) }
    }
    #[inline(always)]
    unsafe fn bits_sar<const N: u32>(a: __m512i) -> __m512i {
        // SAFETY: AVX-512F available (trait contract).
        unsafe { _mm512_srai_epi32::<N>(a) }
    }
    #[inline(always)]
    unsafe fn bits_rotl<const N: i32>(a: __m512i) -> __m512i {
        // SAFETY: AVX-512F available (trait contract). N < 32 at every call site.
        unsafe { _mm512_rol_epi32::<N>(a) }
    }
    #[inline(always)]
    unsafe fn bits_sign_mask(a: __m512i) -> __mmask16 {
        // SAFETY: AVX-512F available (trait contract).
        unsafe { _mm512_cmplt_epi32_mask(a, _mm512_setzero_si512()) }
    }
    #[inline(always)]
    unsafe fn gather_u32(base: *const u32, idx: __m512i) -> __m512i {
        // SAFETY: AVX-512F available; every index is in bounds of `base` (caller).
        unsafe { _mm512_i32gather_epi32::<4>(idx, base.cast()) }
    }
    #[inline(always)]
    unsafe fn bits_max_u32(a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: the ISA is available (trait contract).
        unsafe { _mm512_max_epu32(a, b) }
    }
    #[inline(always)]
    unsafe fn bits_ge_u32(a: __m512i, b: __m512i) -> __mmask16 {
        // SAFETY: AVX-512F available (trait contract).
        unsafe { _mm512_cmpge_epu32_mask(a, b) }
    }
    #[inline(always)]
    unsafe fn bits_to_f32(a: __m512i) -> Self {
        // SAFETY: AVX-512F available (trait contract).
        V(unsafe { _mm512_cvtepi32_ps(a) })
    }
    #[inline(always)]
    unsafe fn round_to_bits(self) -> __m512i {
        // SAFETY: AVX-512F available (trait contract); MXCSR default rounding is nearest-even.
        unsafe { _mm512_cvtps_epi32(self.0) }
    }
}

crate::simd::backend::entries!(V, 4, 1, ["avx512f"]);
