//! x86-64 implementations selected at run time: AVX-512F and AVX2 + FMA + F16C.

pub(crate) mod avx2;
pub(crate) mod avx512;
