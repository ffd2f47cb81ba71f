//! [`Backend`]: the handle for one instruction set, and the table of whole-row
//! operations behind it.
//!
//! Each ISA module (`x86::avx512`, `x86::avx2`, `portable`, `scalar`) implements
//! [`Vector`](super::vector::Vector) and invokes [`entries!`] once: that stamps one
//! `#[target_feature]` entry function per operation of [`super::rows`], each the generic
//! body compiled for that ISA. A `Backend` exists only for an ISA the CPU has, and every
//! operation is one `match` on it — once per row or per call, never per primitive.
//!
//! Adding an operation: its generic body in `rows.rs` (or a kernel file), one line in
//! `entries!`, one method here.

use super::element::Element;
use super::isa::Isa;
use super::reduce::Argmax;
use super::rng::LaneState;
use super::rows::Pick;
use super::source::Input;

/// Stamp the `#[target_feature]` entries of one ISA: `entries!(V, BV, G, [features])`
/// inside the ISA's module, with `V` its [`Vector`](super::vector::Vector) type, `BV`
/// vectors per 64-element block and `G` vectors per 16-lane noise step (checked at
/// compile time).
macro_rules! entries {
    ($V:ident, $BV:literal, $G:literal, [$($feat:literal),*]) => {
        const _: () = $crate::simd::vector::assert_shape(
            <$V as $crate::simd::vector::Vector>::LANES, $G, $BV,
        );

        /// This ISA's entry functions: each is `unsafe` because it may use instructions
        /// the CPU lacks (a [`Backend`](crate::simd::Backend) for the ISA proves it does
        /// not) and trusts the slice lengths documented in `rows`.
        #[allow(clippy::missing_safety_doc)]
        pub(crate) mod entry {
            use $crate::simd::element::Element;
            use $crate::simd::reduce::Argmax;
            use $crate::simd::rng::LaneState;
            use $crate::simd::rows::{self, Pick};
            use $crate::simd::source::Input;

            type V = super::$V;

            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn greedy<I: Input, L: Element>(x: &[L]) -> Argmax {
                // SAFETY: forwarded contract (ISA available, lengths as documented).
                unsafe { rows::greedy::<V, I, L, $BV>(x) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn gumbel_max_noise<I: Input, L: Element>(
                x: &[L], g: &[f32], s: f32, floor: f32,
            ) -> Argmax {
                // SAFETY: forwarded contract.
                unsafe { rows::gumbel_max_noise::<V, I, L, $BV>(x, g, s, floor) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn plain_argmax(x: &[f32], g: &[f32]) -> Argmax {
                // SAFETY: forwarded contract.
                unsafe { rows::plain_argmax::<V, $BV>(x, g) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn gumbel_max_fused<I: Input, L: Element>(
                x: &[L], st: &LaneState, s: f32, floor: f32,
            ) -> Argmax {
                // SAFETY: forwarded contract.
                unsafe { rows::gumbel_max_fused::<V, I, L, $BV, $G>(x, st, s, floor) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn gumbel_max_fused_pruned<I: Input, L: Element>(
                x: &[L], st: &LaneState, s: f32, floor: f32,
                sc: &mut $crate::simd::prune::FusedScratch,
            ) -> Argmax {
                // SAFETY: forwarded contract.
                unsafe { rows::gumbel_max_fused_pruned::<V, I, L, $BV, $G>(x, st, s, floor, sc) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn gumbel_max_ring_pruned<I: Input, L: Element>(
                x: &[L], g: &[f32], gmax: &[f32], s: f32, floor: f32, bm: &mut [f32],
            ) -> Argmax {
                // SAFETY: forwarded contract.
                unsafe { rows::gumbel_max_ring_pruned::<V, I, L, $BV>(x, g, gmax, s, floor, bm) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn block_maxima(x: &[f32], bm: &mut [f32]) {
                // SAFETY: forwarded contract.
                unsafe { rows::block_maxima::<V, $BV>(x, bm) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn roulette<I: Input, L: Element>(
                x: &[L], u: f64, s: f32, floor: f32, maxima: &mut [f32], sums: &mut [f64],
            ) -> Pick {
                // SAFETY: forwarded contract.
                unsafe { rows::roulette::<V, I, L, $BV>(x, u, s, floor, maxima, sums) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn collect_top<L: Element>(
                x: &[L], floor: f32, keep: usize, ties: $crate::simd::select::Ties,
                buf: &mut Vec<(f32, u32)>,
            ) -> $crate::simd::select::Top {
                // SAFETY: forwarded contract.
                unsafe { rows::collect_top::<V, L, $BV>(x, floor, keep, ties, buf) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn mass_pass<L: Element>(
                x: &[L], floor: f32, m: f32, s: f32,
                pivots: &[f32; $crate::simd::select::PIVOTS], w: &mut [f32],
            ) -> (f64, [f64; $crate::simd::select::PIVOTS]) {
                // SAFETY: forwarded contract.
                unsafe { rows::mass_pass::<V, L, $BV>(x, floor, m, s, pivots, w) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn band_stats<L: Element>(
                x: &[L], w: &[f32], pivots: &[f32; $crate::simd::select::PIVOTS],
            ) -> ([f64; $crate::simd::select::PIVOTS], [u64; $crate::simd::select::PIVOTS]) {
                // SAFETY: forwarded contract.
                unsafe { rows::band_stats::<V, L>(x, w, pivots) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn collect_band<L: Element>(
                x: &[L], w: &[f32], lo: f32, hi: f32, out: &mut Vec<(f32, f32)>,
            ) -> f64 {
                // SAFETY: forwarded contract.
                unsafe { rows::collect_band::<V, L, $BV>(x, w, lo, hi, out) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn exp_sum_count<I: Input, L: Element>(
                x: &[L], floor: f32, m: f32, s: f32, v: f32,
            ) -> (f64, u64) {
                // SAFETY: forwarded contract.
                unsafe { rows::exp_sum_count::<V, I, L, $BV>(x, floor, m, s, v) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn max<I: Input, L: Element>(x: &[L]) -> (f32, bool) {
                // SAFETY: forwarded contract.
                unsafe { rows::max::<V, I, L, $BV>(x) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn exp_weights<L: Element>(x: &[L], m: f32, s: f32, w: &mut [f32]) -> f64 {
                // SAFETY: forwarded contract.
                unsafe { rows::exp_weights::<V, L, $BV>(x, m, s, w) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn softmax_write(x: &[f32], g: Option<&[f32]>, m: f32, s: f32, y: &mut [f32]) {
                // SAFETY: forwarded contract.
                unsafe { rows::softmax_write::<V, $BV>(x, g, m, s, y) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn log_softmax_write(x: &[f32], m: f32, y: &mut [f32]) {
                // SAFETY: forwarded contract.
                unsafe { rows::log_softmax_write::<V, $BV>(x, m, y) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn dot(a: &[f32], b: &[f32]) -> f64 {
                // SAFETY: forwarded contract.
                unsafe { rows::dot::<V, $BV>(a, b) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn vjp(y: &[f32], gy: &[f32], d: f32, s: f32, out: &mut [f32]) {
                // SAFETY: forwarded contract.
                unsafe { rows::vjp::<V>(y, gy, d, s, out) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn ln(x: &[f32], y: &mut [f32]) {
                // SAFETY: forwarded contract.
                unsafe { rows::ln::<V>(x, y) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn exp(x: &[f32], y: &mut [f32]) {
                // SAFETY: forwarded contract.
                unsafe { rows::exp::<V>(x, y) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn gumbel_map(bits: &[u32], out: &mut [f32]) {
                // SAFETY: forwarded contract.
                unsafe { rows::gumbel_map::<V>(bits, out) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn fill_gumbel<const STREAM: bool>(st: &mut LaneState, out: &mut [f32]) {
                // SAFETY: forwarded contract.
                unsafe { rows::fill_gumbel::<V, $G, STREAM>(st, out) }
            }
            $(#[target_feature(enable = $feat)])*
            pub(crate) unsafe fn fill_bits(st: &mut LaneState, out: &mut [u32]) {
                // SAFETY: forwarded contract.
                unsafe { rows::fill_bits::<V, $G>(st, out) }
            }
        }
    };
}
pub(crate) use entries;

/// Call operation `$op` of `$b`'s ISA. The arguments must meet the operation's length
/// contract (the methods below check it first).
macro_rules! dispatch {
    ($b:expr, $op:ident $(::<$($g:tt),+>)? ($($a:expr),*)) => {
        match $b.isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => {
                // SAFETY: a `Backend` exists only for an ISA the CPU has
                // (`Backend::new`); lengths were checked by the calling method.
                unsafe { super::x86::avx512::entry::$op $(::<$($g),+>)? ($($a),*) }
            }
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => {
                // SAFETY: as above.
                unsafe { super::x86::avx2::entry::$op $(::<$($g),+>)? ($($a),*) }
            }
            #[cfg(not(target_arch = "x86_64"))]
            Isa::Avx512 | Isa::Avx2 => unreachable!("Backend::new refuses x86 ISAs elsewhere"),
            Isa::Portable => {
                // SAFETY: the portable path runs on every CPU; lengths checked.
                unsafe { super::portable::entry::$op $(::<$($g),+>)? ($($a),*) }
            }
            Isa::Scalar => {
                // SAFETY: the scalar path runs on every CPU; lengths checked.
                unsafe { super::scalar::entry::$op $(::<$($g),+>)? ($($a),*) }
            }
        }
    };
}

/// The kernels of one instruction set, as a value: what a [`Sampler`](crate::Sampler)
/// and a [`NoiseRing`](crate::noise::NoiseRing) hold, so their results never depend on
/// which thread (or which [`with_isa`](super::with_isa) scope) later uses them.
///
/// Obtained for a given ISA only if the CPU has it (memchr-style `Option`
/// constructors), so holding one proves the instructions are there.
///
/// ```
/// use gumbel::simd::{Backend, Isa};
///
/// assert_eq!(Backend::scalar().isa(), Isa::Scalar);
/// for isa in Isa::ALL {
///     assert_eq!(Backend::new(isa).is_some(), isa.is_available());
/// }
/// let b = Backend::active(); // honours GUMBEL_ISA and with_isa
/// let mut sampler = gumbel::Sampler::new(1).backend(b);
/// assert!(sampler.sample(&[0.0f32, 1.0]).unwrap() < 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Backend {
    isa: Isa,
}

impl Backend {
    /// The backend for `isa`, if this CPU can run it.
    ///
    /// ```
    /// assert!(gumbel::simd::Backend::new(gumbel::simd::Isa::Portable).is_some());
    /// ```
    pub fn new(isa: Isa) -> Option<Backend> {
        isa.is_available().then_some(Backend { isa })
    }

    /// The backend of [`Isa::active`]: `with_isa` on this thread, else `GUMBEL_ISA`,
    /// else the best available.
    ///
    /// # Panics
    /// If `GUMBEL_ISA` names an unknown ISA or one this CPU lacks.
    ///
    /// ```
    /// use gumbel::simd::{with_isa, Backend, Isa};
    /// assert_eq!(with_isa(Isa::Scalar, Backend::active).unwrap().isa(), Isa::Scalar);
    /// ```
    pub fn active() -> Backend {
        Backend { isa: Isa::active() }
    }

    /// AVX-512F, if this CPU has it.
    ///
    /// ```
    /// let b = gumbel::simd::Backend::avx512();
    /// assert_eq!(b.is_some(), gumbel::simd::Isa::Avx512.is_available());
    /// ```
    pub fn avx512() -> Option<Backend> {
        Backend::new(Isa::Avx512)
    }

    /// AVX2 + FMA + F16C, if this CPU has them.
    ///
    /// ```
    /// let b = gumbel::simd::Backend::avx2();
    /// assert_eq!(b.is_some(), gumbel::simd::Isa::Avx2.is_available());
    /// ```
    pub fn avx2() -> Option<Backend> {
        Backend::new(Isa::Avx2)
    }

    /// The portable `wide` path (every CPU).
    ///
    /// ```
    /// assert_eq!(gumbel::simd::Backend::portable().isa(), gumbel::simd::Isa::Portable);
    /// ```
    pub fn portable() -> Backend {
        Backend { isa: Isa::Portable }
    }

    /// The scalar reference path (every CPU).
    ///
    /// ```
    /// assert_eq!(gumbel::simd::Backend::scalar().isa(), gumbel::simd::Isa::Scalar);
    /// ```
    pub fn scalar() -> Backend {
        Backend { isa: Isa::Scalar }
    }

    /// The instruction set.
    ///
    /// ```
    /// let b = gumbel::simd::Backend::active();
    /// assert!(b.isa().is_available());
    /// ```
    pub fn isa(self) -> Isa {
        self.isa
    }

    /// Greedy argmax (temperature 0), flagging invalid entries.
    pub(crate) fn greedy<I: Input, L: Element>(self, x: &[L]) -> Argmax {
        dispatch!(self, greedy::<I, L>(x))
    }

    /// Gumbel-max with noise `g` (`g.len() >= x.len()`) at inverse temperature `s`.
    pub(crate) fn gumbel_max_noise<I: Input, L: Element>(
        self,
        x: &[L],
        g: &[f32],
        s: f32,
        floor: f32,
    ) -> Argmax {
        assert!(g.len() >= x.len(), "noise shorter than the row");
        dispatch!(self, gumbel_max_noise::<I, L>(x, g, s, floor))
    }

    /// Argmax of the plain `x + g` (Gumbel-softmax's hard sample).
    pub(crate) fn plain_argmax(self, x: &[f32], g: &[f32]) -> Argmax {
        assert!(g.len() >= x.len(), "noise shorter than the row");
        dispatch!(self, plain_argmax(x, g))
    }

    /// Gumbel-max with noise generated from `st`, every value evaluated.
    pub(crate) fn gumbel_max_fused<I: Input, L: Element>(
        self,
        x: &[L],
        st: &LaneState,
        s: f32,
        floor: f32,
    ) -> Argmax {
        dispatch!(self, gumbel_max_fused::<I, L>(x, st, s, floor))
    }

    /// [`gumbel_max_fused`](Self::gumbel_max_fused) with exact pruning (identical
    /// result); `sc` is scratch, reused across rows.
    pub(crate) fn gumbel_max_fused_pruned<I: Input, L: Element>(
        self,
        x: &[L],
        st: &LaneState,
        s: f32,
        floor: f32,
        sc: &mut crate::simd::prune::FusedScratch,
    ) -> Argmax {
        sc.prepare(x.len(), st);
        dispatch!(self, gumbel_max_fused_pruned::<I, L>(x, st, s, floor, sc))
    }

    /// Ring-fed Gumbel-max with exact pruning: `g` the row's noise (at least as long),
    /// `gmax` the maxima of its 64-blocks, `bm` scratch (both `x.len().div_ceil(64)`).
    pub(crate) fn gumbel_max_ring_pruned<I: Input, L: Element>(
        self,
        x: &[L],
        g: &[f32],
        gmax: &[f32],
        s: f32,
        floor: f32,
        bm: &mut [f32],
    ) -> Argmax {
        let blocks = x.len().div_ceil(crate::simd::vector::BLOCK);
        assert!(g.len() >= x.len(), "noise shorter than the row");
        assert!(gmax.len() == blocks && bm.len() == blocks);
        dispatch!(
            self,
            gumbel_max_ring_pruned::<I, L>(x, g, gmax, s, floor, bm)
        )
    }

    /// The maximum of every 64-value block of `x` into `bm` (`x.len().div_ceil(64)`).
    pub(crate) fn block_maxima(self, x: &[f32], bm: &mut [f32]) {
        assert_eq!(bm.len(), x.len().div_ceil(crate::simd::vector::BLOCK));
        dispatch!(self, block_maxima(x, bm))
    }

    /// Softmax + roulette draw for uniform `u` with inverse temperature `s`, one pass
    /// over the exponentials; `maxima` and `sums` are scratch of one value per
    /// 256-value group.
    pub(crate) fn roulette<I: Input, L: Element>(
        self,
        x: &[L],
        u: f64,
        s: f32,
        floor: f32,
        maxima: &mut [f32],
        sums: &mut [f64],
    ) -> Pick {
        let groups = x.len().div_ceil(crate::simd::roulette::GROUP);
        assert!(maxima.len() == groups && sums.len() == groups);
        dispatch!(self, roulette::<I, L>(x, u, s, floor, maxima, sums))
    }

    /// The row's largest entries above `floor` into `buf` (see
    /// [`collect_top`](super::select::collect_top)); `keep >= 1`.
    pub(crate) fn collect_top<L: Element>(
        self,
        x: &[L],
        floor: f32,
        keep: usize,
        ties: super::select::Ties,
        buf: &mut Vec<(f32, u32)>,
    ) -> super::select::Top {
        assert!(keep >= 1 && u32::try_from(x.len()).is_ok());
        dispatch!(self, collect_top::<L>(x, floor, keep, ties, buf))
    }

    /// `w = exp((x − m)·s)` over the entries `>= floor` (0 elsewhere), `Σ w` and the
    /// mass above each pivot.
    pub(crate) fn mass_pass<L: Element>(
        self,
        x: &[L],
        floor: f32,
        m: f32,
        s: f32,
        pivots: &[f32; super::select::PIVOTS],
        w: &mut [f32],
    ) -> (f64, [f64; super::select::PIVOTS]) {
        assert_eq!(x.len(), w.len());
        dispatch!(self, mass_pass::<L>(x, floor, m, s, pivots, w))
    }

    /// Masses (a guide) of the entries at or above each pivot, and their counts
    /// (exact) at the first and the last pivot.
    pub(crate) fn band_stats<L: Element>(
        self,
        x: &[L],
        w: &[f32],
        pivots: &[f32; super::select::PIVOTS],
    ) -> ([f64; super::select::PIVOTS], [u64; super::select::PIVOTS]) {
        assert_eq!(x.len(), w.len());
        dispatch!(self, band_stats::<L>(x, w, pivots))
    }

    /// Append the `(x_i, w_i)` with `lo <= x_i < hi` to `out`; returns the mass at or
    /// above `hi`.
    pub(crate) fn collect_band<L: Element>(
        self,
        x: &[L],
        w: &[f32],
        lo: f32,
        hi: f32,
        out: &mut Vec<(f32, f32)>,
    ) -> f64 {
        assert!(x.len() == w.len() && u32::try_from(x.len()).is_ok());
        dispatch!(self, collect_band::<L>(x, w, lo, hi, out))
    }

    /// `Σ exp((x − m)·s)` over the entries `>= floor` and the count of entries `> v`.
    pub(crate) fn exp_sum_count<L: Element>(
        self,
        x: &[L],
        floor: f32,
        m: f32,
        s: f32,
        v: f32,
    ) -> (f64, u64) {
        use super::source::Logits;
        type Kept = super::source::Floored<Logits>;
        if floor == f32::NEG_INFINITY {
            dispatch!(self, exp_sum_count::<Logits, L>(x, floor, m, s, v))
        } else {
            dispatch!(self, exp_sum_count::<Kept, L>(x, floor, m, s, v))
        }
    }

    /// Maximum and whether any entry is invalid.
    pub(crate) fn max<I: Input, L: Element>(self, x: &[L]) -> (f32, bool) {
        dispatch!(self, max::<I, L>(x))
    }

    /// `w = exp((x − m)·s)`, returning `Σ w` (f64).
    pub(crate) fn exp_weights<L: Element>(self, x: &[L], m: f32, s: f32, w: &mut [f32]) -> f64 {
        assert_eq!(x.len(), w.len());
        dispatch!(self, exp_weights::<L>(x, m, s, w))
    }

    /// `y = softmax(((x [+ g]) − m)·s)` for the validated maximum `m`.
    pub(crate) fn softmax_write(self, x: &[f32], g: Option<&[f32]>, m: f32, s: f32, y: &mut [f32]) {
        assert_eq!(x.len(), y.len());
        assert!(g.is_none_or(|g| g.len() == x.len()));
        dispatch!(self, softmax_write(x, g, m, s, y))
    }

    /// `y = x − (m + ln Σ e^{x − m})` for the validated maximum `m`.
    pub(crate) fn log_softmax_write(self, x: &[f32], m: f32, y: &mut [f32]) {
        assert_eq!(x.len(), y.len());
        dispatch!(self, log_softmax_write(x, m, y))
    }

    /// `⟨a, b⟩` in f64.
    pub(crate) fn dot(self, a: &[f32], b: &[f32]) -> f64 {
        assert_eq!(a.len(), b.len());
        dispatch!(self, dot(a, b))
    }

    /// `out = y ⊙ (gy − d)·s`.
    pub(crate) fn vjp(self, y: &[f32], gy: &[f32], d: f32, s: f32, out: &mut [f32]) {
        assert!(y.len() == gy.len() && y.len() == out.len());
        dispatch!(self, vjp(y, gy, d, s, out))
    }

    /// `y = ln x`.
    pub(crate) fn ln(self, x: &[f32], y: &mut [f32]) {
        assert_eq!(x.len(), y.len());
        dispatch!(self, ln(x, y))
    }

    /// `y = exp x`.
    pub(crate) fn exp(self, x: &[f32], y: &mut [f32]) {
        assert_eq!(x.len(), y.len());
        dispatch!(self, exp(x, y))
    }

    /// `out = G(bits)` element-wise.
    pub(crate) fn gumbel_map(self, bits: &[u32], out: &mut [f32]) {
        assert_eq!(bits.len(), out.len());
        dispatch!(self, gumbel_map(bits, out))
    }

    /// The stream's next `out.len()` standard Gumbel values.
    pub(crate) fn fill_gumbel(self, st: &mut LaneState, out: &mut [f32]) {
        dispatch!(self, fill_gumbel::<false>(st, out))
    }

    /// [`fill_gumbel`](Self::fill_gumbel) with non-temporal stores where the ISA has
    /// them (same values): only when `out` is 64-byte aligned and a multiple of 16
    /// long, plain stores otherwise.
    pub(crate) fn fill_gumbel_stream(self, st: &mut LaneState, out: &mut [f32]) {
        if out.as_ptr().align_offset(64) == 0 && out.len().is_multiple_of(16) {
            dispatch!(self, fill_gumbel::<true>(st, out))
        } else {
            self.fill_gumbel(st, out)
        }
    }

    /// The stream's next `out.len()` raw outputs.
    pub(crate) fn fill_bits(self, st: &mut LaneState, out: &mut [u32]) {
        dispatch!(self, fill_bits(st, out))
    }
}
