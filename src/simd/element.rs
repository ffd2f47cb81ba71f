//! [`Element`]: the logit element types the sampling API accepts (`f32`, `half::bf16`,
//! `half::f16`), and the one place where each is converted to f32 lanes.
//!
//! Conversions are exact (every bf16 and f16 value is an f32 value), so the kernels see
//! the same numbers whatever the input type; noise, scores and sums stay f32 / f64.

use half::{bf16, f16};

use super::vector::Vector;

mod sealed {
    /// What the kernels need to know of an element type. Not nameable outside the
    /// crate, so [`Element`](super::Element) cannot be implemented elsewhere.
    pub trait Sealed {
        /// Which conversion loads it.
        const KIND: Kind;
    }

    /// The element types, one conversion each.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Kind {
        /// IEEE binary32: loaded as is.
        F32,
        /// bfloat16: the top half of an f32 (a 16-bit shift).
        Bf16,
        /// IEEE binary16: F16C / AVX-512 conversion, or a bit-exact portable one.
        F16,
    }
}

pub(crate) use sealed::Kind;

/// A logit element type: `f32`, [`half::bf16`] or [`half::f16`] (sealed).
///
/// Every sampling function that takes logits is generic over it, so an engine hands over
/// its bf16 / f16 logits as they are: they are converted to f32 in registers as they are
/// loaded (exactly: every bf16 and f16 value is an f32 value). Noise, scores and
/// probability sums stay in f32 / f64 — never 16-bit.
///
/// ```
/// use gumbel::half::bf16;
///
/// let logits: Vec<bf16> = [0.5f32, 2.0, f32::NEG_INFINITY].map(bf16::from_f32).to_vec();
/// let mut noise = [0.0f32; 3];
/// gumbel::noise::fill_gumbel(1, 0, &mut noise);
/// let i = gumbel::gumbel_max(&logits, &noise, 1.0)?;
/// assert_ne!(i, 2); // -inf masks in bf16 too
/// # Ok::<(), gumbel::Error>(())
/// ```
pub trait Element: sealed::Sealed + Copy + Send + Sync + core::fmt::Debug + 'static {
    /// The value as an f32 (exact).
    ///
    /// ```
    /// use gumbel::Element;
    /// assert_eq!(gumbel::half::f16::from_f32(0.5).to_f32(), 0.5);
    /// ```
    fn to_f32(self) -> f32;
}

impl sealed::Sealed for f32 {
    const KIND: Kind = Kind::F32;
}
impl Element for f32 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self
    }
}

impl sealed::Sealed for bf16 {
    const KIND: Kind = Kind::Bf16;
}
impl Element for bf16 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        f32::from_bits((self.to_bits() as u32) << 16)
    }
}

impl sealed::Sealed for f16 {
    const KIND: Kind = Kind::F16;
}
impl Element for f16 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        f16::to_f32(self)
    }
}

/// `V::LANES` elements at `p`, converted to f32 lanes.
///
/// # Safety
/// `V`'s ISA is available; `p` is valid for `V::LANES` reads.
#[inline(always)]
pub(crate) unsafe fn load<V: Vector, L: Element>(p: *const L) -> V {
    // SAFETY: caller contract; the casts reinterpret `L` as its storage type (f32, or
    // the u16 bits of bf16 / f16, both `repr(transparent)` over u16).
    unsafe {
        match L::KIND {
            Kind::F32 => V::load(p.cast()),
            Kind::Bf16 => V::load_bf16(p.cast()),
            Kind::F16 => V::load_f16(p.cast()),
        }
    }
}

/// Elements `p + i .. p + n` (`n - i < V::LANES`) as f32 lanes, padded with `pad`.
///
/// # Safety
/// `V`'s ISA is available; `p + i .. p + n` is readable; `n - i < V::LANES <= 16`.
#[inline(always)]
pub(crate) unsafe fn load_partial<V: Vector, L: Element>(
    p: *const L,
    i: usize,
    n: usize,
    pad: f32,
) -> V {
    let mut buf = [pad; 16];
    // SAFETY: the caller guarantees `p + i .. p + n` is readable and `n - i <= 16`.
    unsafe {
        for (k, b) in buf[..n - i].iter_mut().enumerate() {
            *b = (*p.add(i + k)).to_f32();
        }
        V::load(buf.as_ptr())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::source::Logits;
    use crate::simd::{Backend, Isa};

    /// Every bit pattern of `L`, through each ISA's vector loads (rows of 64 copies) and
    /// through the padded tail loads (rows of 5), converts to the f32 that `half` gives.
    fn exhaustive<L: Element>(from_bits: fn(u16) -> L) {
        let mut checked = 0u64;
        for isa in Isa::available() {
            let b = Backend::new(isa).unwrap();
            for bits in 0..=u16::MAX {
                let v = from_bits(bits);
                let want = v.to_f32();
                for len in [64usize, 5] {
                    let row = vec![v; len];
                    let (m, bad) = b.max::<Logits, L>(&row);
                    if want.is_nan() || want == f32::INFINITY {
                        assert!(bad, "{isa} {bits:#06x} len {len}: not flagged");
                    } else {
                        assert!(!bad, "{isa} {bits:#06x} len {len}: flagged");
                        assert_eq!(m.to_bits(), want.to_bits(), "{isa} {bits:#06x} len {len}");
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked >= 2 * 65536);
    }

    #[test]
    fn bf16_conversion_is_exact_for_every_bit_pattern_on_every_isa() {
        exhaustive::<bf16>(bf16::from_bits);
    }

    #[test]
    fn f16_conversion_is_exact_for_every_bit_pattern_on_every_isa() {
        exhaustive::<f16>(f16::from_bits);
        // the portable bit conversion (the default `Vector::load_f16`) on its own, for
        // the paths that override it with F16C / AVX-512
        use crate::simd::vector::Vector;
        type P = crate::simd::portable::V;
        for bits in (0..=u16::MAX).step_by(8) {
            let lanes: [u16; 8] = core::array::from_fn(|k| bits + k as u16);
            let mut out = [0.0f32; 8];
            // SAFETY: the portable path runs on every CPU; both buffers hold 8 lanes.
            unsafe { P::load_f16(lanes.as_ptr()).store(out.as_mut_ptr()) };
            for (k, o) in out.iter().enumerate() {
                let want = f16::from_bits(lanes[k]).to_f32();
                assert!(
                    o.to_bits() == want.to_bits() || (o.is_nan() && want.is_nan()),
                    "{:#06x}: {o} vs {want}",
                    lanes[k]
                );
            }
        }
    }
}
