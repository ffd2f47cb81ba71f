//! `ln`, `exp` and the bits → Gumbel map, written once over [`Vector`].
//!
//! Every ISA path runs exactly this math, so their results differ only where one ISA
//! fuses a multiply-add and another does not.
//!
//! # `ln`, at most 1 ulp
//!
//! Reduce `x = 2^k · m` with `m ∈ [√½, √2)` straight on the bits (subnormals are
//! first scaled by 2^23) and let `f = m − 1` (exact). Then
//!
//! ```text
//! ln x = k·ln2_hi + (f + (f²·(−½ + f·P(f)) + k·ln2_lo))
//! ```
//!
//! with `P` a degree-8 Chebyshev fit on `[√½ − 1, √2 − 1]` (relative error of the
//! whole 3.2e-9, about 0.05 ulp) and `ln2_hi` short enough that `k·ln2_hi` is exact.
//! The exact `f` is added last, and no division is needed (a vector division costs as
//! much as the rest of the polynomial). Exhaustively tested: every positive finite
//! f32, every ISA.
//!
//! # `exp`, at most 2 ulp on [-104, 89]
//!
//! `n = round(x·log₂e)`, `r = x − n·ln2_hi − n·ln2_lo` (Cody–Waite; `|r| ≤ ln2/2`),
//! `e^r = 1 + (r + r²·P(r))` with a degree-5 Chebyshev fit (relative error 2.2e-10),
//! then `2^n` applied as two exact power-of-two factors so subnormal results round
//! once. Inputs are clamped to [-110, 90] first (±inf then fall out as 0 / +inf);
//! NaN is passed through.

// Polynomial coefficients are written with the digits of the fit; each rounds to the
// f32 the accuracy tests were run with.
#![allow(clippy::excessive_precision)]

use super::vector::Vector;

/// ln 2 rounded to 9 significant bits: `k * LN2_HI` is exact for |k| < 2^15.
pub(crate) const LN2_HI: f32 = f32::from_bits(0x3f31_8000); // 0.693359375
/// ln 2 − LN2_HI.
pub(crate) const LN2_LO: f32 = -2.121_944_4e-4;
const SQRT_HALF_BITS: u32 = 0x3f35_04f3;

// ln(1 + f) = f - f^2/2 + f^3 P(f), P of degree 8: Chebyshev fit on
// [sqrt(1/2) - 1, sqrt(2) - 1]; relative error of the whole 3.2e-9 (0.05 ulp).
const LN_P: [f32; 9] = [
    0.069_725_19,
    -0.114_812_12,
    0.116_857_85,
    -0.124_255_23,
    0.142_490_07,
    -0.166_678_07,
    0.200_007_17,
    -0.249_999_97,
    0.333_333_31,
];

const EXP_P0: f32 = 0.500_000_00;
const EXP_P1: f32 = 0.166_666_67;
const EXP_P2: f32 = 0.041_666_465;
const EXP_P3: f32 = 0.008_333_311;
const EXP_P4: f32 = 0.001_393_365;
const EXP_P5: f32 = 0.000_198_909_91;
const LOG2_E: f32 = core::f32::consts::LOG2_E;

/// `k·ln2 + ln(1 + f)` for `f ∈ [√½ − 1, √2 − 1]` (also any smaller `|f|`, e.g.
/// `f = −t` with `t ≤ 1 − √½`): `f + f²(−½ + f·P(f))` evaluated so the exact leading
/// term `f` is added last, then `k·ln2` as an exact `k·ln2_hi` and a tiny `k·ln2_lo`.
/// No division.
///
/// # Safety
/// The CPU supports `V`'s instruction set.
#[inline(always)]
pub(crate) unsafe fn ln_reduced<V: Vector>(k: V, f: V) -> V {
    // SAFETY: the caller guarantees V's ISA is available; all calls are arithmetic.
    unsafe {
        // Estrin's scheme: the same polynomial with a third of Horner's latency
        let c = |i: usize| V::splat(LN_P[i]);
        let f2 = f.mul(f);
        let f4 = f2.mul(f2);
        let a0 = f.mul_add(c(7), c(8));
        let a1 = f.mul_add(c(5), c(6));
        let a2 = f.mul_add(c(3), c(4));
        let a3 = f.mul_add(c(1), c(2));
        let b0 = f2.mul_add(a1, a0);
        let b1 = f2.mul_add(a3, a2);
        let p = f4.mul_add(f4.mul_add(c(0), b1), b0);
        let q = p.mul_add(f, V::splat(-0.5));
        let tail = f2.mul_add(q, k.mul(V::splat(LN2_LO)));
        k.mul_add(V::splat(LN2_HI), f.add(tail))
    }
}

/// Split positive normal `x` into `(k, f)` with `x = 2^k (1 + f)`, `1 + f ∈ [√½, √2)`.
///
/// # Safety
/// The CPU supports `V`'s instruction set.
#[inline(always)]
pub(crate) unsafe fn reduce<V: Vector>(x: V) -> (V, V) {
    // SAFETY: the caller guarantees V's ISA is available; all calls are arithmetic.
    unsafe {
        let ix = V::bits_sub(x.to_bits(), V::bits_splat(SQRT_HALF_BITS));
        let k = V::bits_to_f32(V::bits_sar::<23>(ix));
        let mbits = V::bits_add(
            V::bits_and(ix, V::bits_splat(0x007f_ffff)),
            V::bits_splat(SQRT_HALF_BITS),
        );
        let f = V::from_bits(mbits).sub(V::splat(1.0));
        (k, f)
    }
}

/// Natural logarithm, ≤ 1 ulp for every positive finite f32 (subnormals included when
/// `SUBNORMAL` is true; callers that know `x` is normal pass false and skip the
/// scaling). `ln(±0) = -inf`, `ln(x < 0) = NaN`, `ln(+inf) = +inf`, `ln(NaN) = NaN`.
///
/// # Safety
/// The CPU supports `V`'s instruction set.
#[inline(always)]
pub(crate) unsafe fn ln<V: Vector, const SUBNORMAL: bool>(x: V) -> V {
    // SAFETY: the caller guarantees V's ISA is available; all calls are arithmetic.
    unsafe {
        let (xs, kadj) = if SUBNORMAL {
            let tiny = x.lt(V::splat(f32::MIN_POSITIVE));
            (
                V::select(tiny, x.mul(V::splat(8_388_608.0)), x),
                V::select(tiny, V::splat(-23.0), V::splat(0.0)),
            )
        } else {
            (x, V::splat(0.0))
        };
        let (k, f) = reduce(xs);
        let r = ln_reduced(k.add(kadj), f);
        let r = V::select(x.eq(V::splat(f32::INFINITY)), x, r);
        let r = V::select(x.eq(V::splat(0.0)), V::splat(f32::NEG_INFINITY), r);
        // NaN for x < 0 (not -0.0, handled above) and for NaN input.
        let bad = V::mask_or(x.lt(V::splat(0.0)), x.is_nan());
        V::select(bad, V::splat(f32::NAN), r)
    }
}

/// `e^x`, ≤ 2 ulp on [-104, 89] including subnormal results; `exp(NaN) = NaN`,
/// `exp(+inf) = +inf`, `exp(-inf) = 0`.
///
/// # Safety
/// The CPU supports `V`'s instruction set.
#[inline(always)]
pub(crate) unsafe fn exp<V: Vector>(x: V) -> V {
    // SAFETY: the caller guarantees V's ISA is available; all calls are arithmetic.
    unsafe {
        let xc = x.max(V::splat(-110.0)).min(V::splat(90.0));
        let ni = xc.mul(V::splat(LOG2_E)).round_to_bits();
        let n = V::bits_to_f32(ni);
        let r = n.mul_add(V::splat(-LN2_HI), xc);
        let r = n.mul_add(V::splat(-LN2_LO), r);
        let p = r.mul_add(V::splat(EXP_P5), V::splat(EXP_P4));
        let p = r.mul_add(p, V::splat(EXP_P3));
        let p = r.mul_add(p, V::splat(EXP_P2));
        let p = r.mul_add(p, V::splat(EXP_P1));
        let p = r.mul_add(p, V::splat(EXP_P0));
        let r2 = r.mul(r);
        let p = r2.mul_add(p, r).add(V::splat(1.0));
        // 2^n = 2^n1 * 2^n2, both normal for n in [-159, 130].
        let n1 = V::bits_sar::<1>(ni);
        let n2 = V::bits_sub(ni, n1);
        let bias = V::bits_splat(127);
        let s1 = V::from_bits(V::bits_shl::<23>(V::bits_add(n1, bias)));
        let s2 = V::from_bits(V::bits_shl::<23>(V::bits_add(n2, bias)));
        let y = p.mul(s1).mul(s2);
        V::select(x.is_nan(), x, y)
    }
}

/// 2^-32
const TWO_M32: f32 = 2.328_306_4e-10;
/// 2^-33
const TWO_M33: f32 = 1.164_153_2e-10;
/// Largest `t` for which `1 − t` reduces to `k = 0`, i.e. `1 − t ≥ √½`.
const T_EXACT_MAX: f32 = 0.292_893_2;

/// 32 random bits → standard Gumbel, with full resolution in both tails.
///
/// The top bit picks a half. The other 31 bits `c` (complemented in the upper half) give
/// `t = (c + ½)·2⁻³²` in (0, ½]. Lower half: `U = t`, `E = −ln t`. Upper half:
/// `U = 1 − t`, `E = −ln(1 − t) = −log1p(−t)`, computed by handing `f = −t` (exact)
/// straight to the `ln(1 + f)` core when `1 − t ≥ √½`, so `E` keeps the relative
/// precision of `t` right up to `U → 1`. Finally `G = −ln E`. Range: `[−3.13, 22.87]`
/// (`E ∈ [2⁻³³, 33 ln 2]`), never ±inf or NaN.
///
/// # Safety
/// The CPU supports `V`'s instruction set.
#[inline(always)]
pub(crate) unsafe fn gumbel_from_bits<V: Vector>(b: V::Bits) -> V {
    // SAFETY: the caller guarantees V's ISA is available.
    unsafe { gumbel_from_exponential(exponential_from_bits::<V>(b)) }
}

/// The first half of [`gumbel_from_bits`]: the standard exponential `E = −ln U`, in
/// `[2⁻³³, 33 ln 2]` (positive, normal, finite).
///
/// # Safety
/// The CPU supports `V`'s instruction set.
#[inline(always)]
pub(crate) unsafe fn exponential_from_bits<V: Vector>(b: V::Bits) -> V {
    // SAFETY: the caller guarantees V's ISA is available; all calls are arithmetic.
    unsafe {
        let upper = V::bits_sign_mask(b);
        let c = V::bits_xor(b, V::bits_sar::<31>(b)); // complement in the upper half
        let t = V::bits_to_f32(c).mul_add(V::splat(TWO_M32), V::splat(TWO_M33));
        let x = V::select(upper, V::splat(1.0).sub(t), t);
        let (k, f) = reduce(x);
        let exact = V::mask_and(upper, t.not_gt(V::splat(T_EXACT_MAX)));
        let k = V::select(exact, V::splat(0.0), k);
        let f = V::select(exact, V::splat(0.0).sub(t), f);
        V::splat(0.0).sub(ln_reduced(k, f))
    }
}

/// The second half of [`gumbel_from_bits`]: `G = −ln E` for positive normal `E`.
///
/// # Safety
/// The CPU supports `V`'s instruction set.
#[inline(always)]
pub(crate) unsafe fn gumbel_from_exponential<V: Vector>(e: V) -> V {
    // SAFETY: the caller guarantees V's ISA is available; all calls are arithmetic.
    unsafe {
        // E is positive, normal and finite: no special cases needed
        let (k2, f2) = reduce(e);
        V::splat(0.0).sub(ln_reduced(k2, f2))
    }
}
