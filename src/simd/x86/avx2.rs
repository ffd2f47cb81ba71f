//! AVX2 + FMA implementation of [`Vector`]: 8 f32 lanes, masks as all-ones lanes.

use core::arch::x86_64::*;

use crate::simd::vector::Vector;

/// 8 f32 lanes in a `ymm` register.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct V(__m256);

// SAFETY: every method requires AVX2 and FMA (the trait contract); pointer methods
// require 8 valid elements, which callers guarantee.
unsafe impl Vector for V {
    const LANES: usize = 8;
    type Mask = __m256;
    type Bits = __m256i;

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY: AVX available (trait contract).
        V(unsafe { _mm256_set1_ps(x) })
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: AVX available; `p` valid for 8 reads (trait contract).
        V(unsafe { _mm256_loadu_ps(p) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: AVX available; `p` valid for 8 writes (trait contract).
        unsafe { _mm256_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn store_stream(self, p: *mut f32) {
        // SAFETY: AVX available; `p` valid for 8 writes and 32-byte aligned (trait
        // contract).
        unsafe { _mm256_stream_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn stream_fence() {
        // SAFETY: SSE is part of x86-64.
        unsafe { _mm_sfence() }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: AVX available (trait contract).
        V(unsafe { _mm256_add_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        // SAFETY: AVX available (trait contract).
        V(unsafe { _mm256_sub_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        // SAFETY: AVX available (trait contract).
        V(unsafe { _mm256_mul_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: FMA available (trait contract).
        V(unsafe { _mm256_fmadd_ps(self.0, b.0, c.0) })
    }
    #[inline(always)]
    unsafe fn max(self, o: Self) -> Self {
        // SAFETY: AVX available (trait contract).
        V(unsafe { _mm256_max_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn min(self, o: Self) -> Self {
        // SAFETY: AVX available (trait contract).
        V(unsafe { _mm256_min_ps(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn lt(self, o: Self) -> __m256 {
        // SAFETY: AVX available (trait contract).
        unsafe { _mm256_cmp_ps::<_CMP_LT_OQ>(self.0, o.0) }
    }
    #[inline(always)]
    unsafe fn gt(self, o: Self) -> __m256 {
        // SAFETY: AVX available (trait contract).
        unsafe { _mm256_cmp_ps::<_CMP_GT_OQ>(self.0, o.0) }
    }
    #[inline(always)]
    unsafe fn eq(self, o: Self) -> __m256 {
        // SAFETY: AVX available (trait contract).
        unsafe { _mm256_cmp_ps::<_CMP_EQ_OQ>(self.0, o.0) }
    }
    #[inline(always)]
    unsafe fn not_lt(self, o: Self) -> __m256 {
        // SAFETY: AVX available (trait contract).
        unsafe { _mm256_cmp_ps::<_CMP_NLT_UQ>(self.0, o.0) }
    }
    #[inline(always)]
    unsafe fn not_gt(self, o: Self) -> __m256 {
        // SAFETY: AVX available (trait contract).
        unsafe { _mm256_cmp_ps::<_CMP_NGT_UQ>(self.0, o.0) }
    }
    #[inline(always)]
    unsafe fn is_nan(self) -> __m256 {
        // SAFETY: AVX available (trait contract).
        unsafe { _mm256_cmp_ps::<_CMP_UNORD_Q>(self.0, self.0) }
    }
    #[inline(always)]
    unsafe fn select(m: __m256, a: Self, b: Self) -> Self {
        // SAFETY: AVX available (trait contract). blendv takes the second operand where
        // the mask lane's sign bit is set; comparison masks are all-ones or all-zeros.
        V(unsafe { _mm256_blendv_ps(b.0, a.0, m) })
    }
    #[inline(always)]
    unsafe fn mask_or(a: __m256, b: __m256) -> __m256 {
        // SAFETY: AVX available (trait contract).
        unsafe { _mm256_or_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn mask_and(a: __m256, b: __m256) -> __m256 {
        // SAFETY: AVX available (trait contract).
        unsafe { _mm256_and_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn mask_none() -> __m256 {
        // SAFETY: AVX available (trait contract).
        unsafe { _mm256_setzero_ps() }
    }
    #[inline(always)]
    unsafe fn mask_any(m: __m256) -> bool {
        // SAFETY: AVX available (trait contract).
        unsafe { _mm256_movemask_ps(m) != 0 }
    }
    #[inline(always)]
    unsafe fn mask_bits(m: __m256) -> u32 {
        // SAFETY: AVX available (trait contract).
        unsafe { _mm256_movemask_ps(m) as u32 }
    }
    #[inline(always)]
    unsafe fn reduce_max(self) -> f32 {
        // SAFETY: AVX available (trait contract).
        unsafe {
            let m = _mm_max_ps(
                _mm256_castps256_ps128(self.0),
                _mm256_extractf128_ps::<1>(self.0),
            );
            let m = _mm_max_ps(m, _mm_movehl_ps(m, m));
            let m = _mm_max_ss(m, _mm_shuffle_ps::<0b01>(m, m));
            _mm_cvtss_f32(m)
        }
    }
    #[inline(always)]
    unsafe fn reduce_sum_f64(self) -> f64 {
        // SAFETY: AVX available (trait contract). Widen both halves to f64, add lane-wise,
        // then reduce four f64 lanes in a fixed tree.
        unsafe {
            let lo = _mm256_cvtps_pd(_mm256_castps256_ps128(self.0));
            let hi = _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(self.0));
            let s = _mm256_add_pd(lo, hi);
            let s2 = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd::<1>(s));
            _mm_cvtsd_f64(_mm_add_sd(s2, _mm_unpackhi_pd(s2, s2)))
        }
    }
    #[inline(always)]
    unsafe fn to_bits(self) -> __m256i {
        // SAFETY: AVX available (trait contract); a bit cast.
        unsafe { _mm256_castps_si256(self.0) }
    }
    #[inline(always)]
    unsafe fn from_bits(b: __m256i) -> Self {
        // SAFETY: AVX available (trait contract); a bit cast.
        V(unsafe { _mm256_castsi256_ps(b) })
    }
    #[inline(always)]
    unsafe fn bits_splat(x: u32) -> __m256i {
        // SAFETY: AVX available (trait contract).
        unsafe { _mm256_set1_epi32(x as i32) }
    }
    #[inline(always)]
    unsafe fn bits_load(p: *const u32) -> __m256i {
        // SAFETY: AVX available; `p` valid for 8 reads (trait contract).
        unsafe { _mm256_loadu_si256(p.cast()) }
    }
    #[inline(always)]
    unsafe fn bits_store(b: __m256i, p: *mut u32) {
        // SAFETY: AVX available; `p` valid for 8 writes (trait contract).
        unsafe { _mm256_storeu_si256(p.cast(), b) }
    }
    #[inline(always)]
    unsafe fn bits_load_u16(p: *const u16) -> __m256i {
        // SAFETY: AVX2 available; `p` valid for 8 u16 reads (trait contract).
        unsafe { _mm256_cvtepu16_epi32(_mm_loadu_si128(p.cast())) }
    }
    #[inline(always)]
    unsafe fn load_f16(p: *const u16) -> Self {
        // SAFETY: F16C is part of this path (`Isa::Avx2` requires it); `p` valid for 8
        // u16 reads (trait contract). The conversion is exact.
        V(unsafe { _mm256_cvtph_ps(_mm_loadu_si128(p.cast())) })
    }
    #[inline(always)]
    unsafe fn bits_add(a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: AVX2 available (trait contract).
        unsafe { _mm256_add_epi32(a, b) }
    }
    #[inline(always)]
    unsafe fn bits_sub(a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: AVX2 available (trait contract).
        unsafe { _mm256_sub_epi32(a, b) }
    }
    #[inline(always)]
    unsafe fn bits_and(a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: AVX2 available (trait contract).
        unsafe { _mm256_and_si256(a, b) }
    }
    #[inline(always)]
    unsafe fn bits_xor(a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: AVX2 available (trait contract).
        unsafe { _mm256_xor_si256(a, b) }
    }
    #[inline(always)]
    unsafe fn bits_shl<const N: u32>(a: __m256i) -> __m256i {
        // SAFETY: AVX2 available (trait contract).
        unsafe { _mm256_sll_epi32(a, _mm_cvtsi32_si128(N as i32)) }
    }
    #[inline(always)]
    unsafe fn bits_sar<const N: u32>(a: __m256i) -> __m256i {
        // SAFETY: AVX2 available (trait contract).
        unsafe { _mm256_sra_epi32(a, _mm_cvtsi32_si128(N as i32)) }
    }
    #[inline(always)]
    unsafe fn bits_rotl<const N: i32>(a: __m256i) -> __m256i {
        // SAFETY: AVX2 available (trait contract). 0 < N < 32 at every call site.
        unsafe {
            _mm256_or_si256(
                _mm256_sll_epi32(a, _mm_cvtsi32_si128(N)),
                _mm256_srl_epi32(a, _mm_cvtsi32_si128(32 - N)),
            )
        }
    }
    #[inline(always)]
    unsafe fn bits_sign_mask(a: __m256i) -> __m256 {
        // SAFETY: AVX2 available (trait contract).
        unsafe { _mm256_castsi256_ps(_mm256_srai_epi32::<31>(a)) }
    }
    #[inline(always)]
    unsafe fn gather_u32(base: *const u32, idx: __m256i) -> __m256i {
        // SAFETY: AVX2 available; every index is in bounds of `base` (caller).
        unsafe { _mm256_i32gather_epi32::<4>(base.cast(), idx) }
    }
    #[inline(always)]
    unsafe fn bits_max_u32(a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: the ISA is available (trait contract).
        unsafe { _mm256_max_epu32(a, b) }
    }
    #[inline(always)]
    unsafe fn bits_ge_u32(a: __m256i, b: __m256i) -> __m256 {
        // SAFETY: AVX2 available (trait contract). a >= b unsigned iff max_u(a, b) == a.
        unsafe { _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_max_epu32(a, b), a)) }
    }
    #[inline(always)]
    unsafe fn bits_to_f32(a: __m256i) -> Self {
        // SAFETY: AVX available (trait contract).
        V(unsafe { _mm256_cvtepi32_ps(a) })
    }
    #[inline(always)]
    unsafe fn round_to_bits(self) -> __m256i {
        // SAFETY: AVX available (trait contract); MXCSR default rounding is nearest-even.
        unsafe { _mm256_cvtps_epi32(self.0) }
    }
}

crate::simd::backend::entries!(V, 8, 2, ["avx2", "fma", "f16c"]);
