//! [`Isa`]: the instruction-set paths and CPU detection. A leaf: imports nothing of the
//! crate.

use core::fmt;
use std::str::FromStr;

/// An instruction-set path through the kernels.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Isa {
    /// AVX-512F, 16 lanes (x86-64, detected at run time).
    Avx512,
    /// AVX2 + FMA + F16C, 8 lanes (x86-64, detected at run time).
    Avx2,
    /// `wide`'s `f32x8`: SSE2 on x86-64 default builds, NEON on aarch64.
    Portable,
    /// One lane at a time: the reference every other path is tested against.
    Scalar,
}

impl Isa {
    /// Every ISA, fastest first.
    ///
    /// ```
    /// assert_eq!(gumbel::simd::Isa::ALL.len(), 4);
    /// ```
    pub const ALL: [Isa; 4] = [Isa::Avx512, Isa::Avx2, Isa::Portable, Isa::Scalar];

    /// The name used by `GUMBEL_ISA`: `avx512`, `avx2`, `portable`, `scalar`.
    ///
    /// ```
    /// assert_eq!(gumbel::simd::Isa::Avx2.name(), "avx2");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2 => "avx2",
            Isa::Portable => "portable",
            Isa::Scalar => "scalar",
        }
    }

    /// Whether this CPU can run the path (portable and scalar always can).
    ///
    /// ```
    /// assert!(gumbel::simd::Isa::Scalar.is_available());
    /// ```
    pub fn is_available(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                    && std::arch::is_x86_feature_detected!("f16c")
            }
            #[cfg(not(target_arch = "x86_64"))]
            Isa::Avx512 | Isa::Avx2 => false,
            Isa::Portable | Isa::Scalar => true,
        }
    }

    /// The ISAs this CPU can run, fastest first.
    ///
    /// ```
    /// let isas: Vec<_> = gumbel::simd::Isa::available().collect();
    /// assert!(isas.contains(&gumbel::simd::Isa::Portable));
    /// ```
    pub fn available() -> impl Iterator<Item = Isa> {
        Isa::ALL.into_iter().filter(|i| i.is_available())
    }

    /// The fastest ISA this CPU can run, ignoring `GUMBEL_ISA` and
    /// [`with_isa`](super::with_isa).
    ///
    /// ```
    /// assert!(gumbel::simd::Isa::best().is_available());
    /// ```
    pub fn best() -> Isa {
        Isa::available().next().unwrap_or(Isa::Scalar)
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Isa {
    type Err = String;
    /// Parses the names accepted by `GUMBEL_ISA` (case-insensitive).
    fn from_str(s: &str) -> Result<Isa, String> {
        Isa::ALL
            .into_iter()
            .find(|i| i.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown ISA {s:?} (expected avx512, avx2, portable or scalar)"))
    }
}
