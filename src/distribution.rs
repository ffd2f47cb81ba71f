//! The Gumbel distribution: density, distribution function, quantiles, moments and
//! sampling through [`rand`] (or from raw bits, with any generator).
//!
//! # Notation
//!
//! The Gumbel (type I extreme value, "maximum") distribution with location `μ` (`loc`)
//! and scale `β > 0` (`scale`) has, with the standardized variable `z = (x − μ) / β`,
//!
//! ```text
//! density       f(x) = (1/β) · exp(−(z + e^{−z}))
//! log-density   ln f(x) = −(z + e^{−z}) − ln β
//! CDF           F(x) = exp(−e^{−z})
//! survival      S(x) = 1 − F(x) = −expm1(−e^{−z})
//! quantile      F⁻¹(p) = μ − β · ln(−ln p)
//! mean          μ + β·γ            (γ = 0.5772156649015329…, Euler–Mascheroni)
//! variance      (π²/6) · β²
//! median        μ − β · ln(ln 2)
//! mode          μ
//! entropy       ln β + γ + 1
//! ```
//!
//! The standard distribution ([`Gumbel::STANDARD`], `μ = 0`, `β = 1`) is the noise of
//! the Gumbel-max trick: if `Gᵢ` are i.i.d. standard Gumbel, `argmaxᵢ (xᵢ + Gᵢ)` is
//! distributed as `softmax(x)`.
//!
//! # Example
//!
//! ```
//! use gumbel::Gumbel;
//! use rand::distr::Distribution;
//! use rand::rngs::StdRng;
//! use rand::SeedableRng;
//!
//! let g = Gumbel::new(2.0, 0.5)?;
//! assert_eq!(g.mode(), 2.0);
//! assert!((g.cdf(g.quantile(0.25)) - 0.25).abs() < 1e-15);
//!
//! let mut rng = StdRng::seed_from_u64(7);
//! let x = g.sample(&mut rng); // f64: the one `Distribution` impl
//! assert!(x.is_finite());
//! let y = g.sample_f32(&mut rng); // f32
//! assert!(y.is_finite());
//! # Ok::<(), gumbel::GumbelError>(())
//! ```
//!
//! See [`Gumbel`] for how samples are drawn and why the construction differs from
//! `rand_distr::Gumbel`.

use std::fmt;

use rand::Rng;
use rand::distr::Distribution;

/// Euler–Mascheroni constant γ.
const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;
/// π² / 6 (= ζ(2)).
const PI_SQUARED_OVER_6: f64 = 1.644_934_066_848_226_4;
/// π / √6.
const PI_OVER_SQRT_6: f64 = 1.282_549_830_161_864;
/// −ln(ln 2).
const NEG_LN_LN_2: f64 = 0.366_512_920_581_664_33;
/// 2⁻⁶⁴.
const TWO_POW_NEG_64: f64 = 1.0 / 18_446_744_073_709_551_616.0;

/// Why [`Gumbel::new`] rejected its parameters (the distribution's own error type, as in
/// `rand_distr`).
///
/// ```
/// use gumbel::{Gumbel, GumbelError};
///
/// assert_eq!(Gumbel::new(f64::NAN, 1.0), Err(GumbelError::LocationNotFinite));
/// assert_eq!(Gumbel::new(0.0, 0.0), Err(GumbelError::ScaleNotPositive));
/// assert_eq!(Gumbel::new(0.0, f64::INFINITY), Err(GumbelError::ScaleNotFinite));
/// assert_eq!(GumbelError::ScaleNotPositive.to_string(), "Gumbel scale is not positive");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GumbelError {
    /// `loc` is NaN or infinite.
    LocationNotFinite,
    /// `scale` is zero or negative (`-0.0` included).
    ScaleNotPositive,
    /// `scale` is NaN or infinite.
    ScaleNotFinite,
}

impl fmt::Display for GumbelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GumbelError::LocationNotFinite => "Gumbel location is not finite",
            GumbelError::ScaleNotPositive => "Gumbel scale is not positive",
            GumbelError::ScaleNotFinite => "Gumbel scale is not finite",
        })
    }
}

impl std::error::Error for GumbelError {}

/// The Gumbel distribution `Gumbel(μ, β)` with location `μ` (`loc`) and scale `β`
/// (`scale`).
///
/// Density, with `z = (x − μ) / β`:
///
/// ```text
/// f(x) = (1/β) · exp(−(z + e^{−z})),        F(x) = exp(−e^{−z})
/// ```
///
/// All functions work in `f64`.
///
/// # Sampling: one `Distribution`, an explicit `f32` method, raw bits
///
/// `Gumbel` implements [`Distribution<f64>`] and nothing else, so
/// `let x = g.sample(&mut rng)` infers `f64` without annotations (a second
/// `Distribution<f32>` impl would make it ambiguous, E0283). `f32` samples have their
/// own methods:
///
/// | draw | `f64` | `f32` |
/// |---|---|---|
/// | from a `rand` 0.10 generator | [`Distribution::sample`] | [`sample_f32`](Self::sample_f32) |
/// | from one uniform `u64` | [`sample_from_bits`](Self::sample_from_bits) | [`sample_f32_from_bits`](Self::sample_f32_from_bits) |
///
/// The `*_from_bits` methods take the generator's output directly, so a generator of
/// any `rand` version, or none (a counter-based hash, a 32-bit generator's
/// `(hi as u64) << 32 | lo as u64`), draws exactly what `sample` would with it.
///
/// Why not generic over the float type, like `rand_distr::Gumbel<F>`: with
/// `Gumbel::new(0.0, 1.0)` the type `F` would stay an unresolved float literal type
/// until the end of the function, so e.g. `g.sample(&mut rng).is_finite()` or
/// `g.cdf(x).abs()` would not compile (E0689) without annotations. With `f64`
/// parameters every call infers; `f32` is a property of the draw, not of the
/// distribution.
///
/// A sample is **never** `±inf` or NaN, and the upper tail keeps the full resolution
/// of a 64-bit draw. Each sample consumes exactly one `u64` `b` from the generator
/// (`next_u64`), mapped as:
///
/// ```text
/// c = b           if the top bit of b is 0      (lower half: U = t)
/// c = !b          if the top bit of b is 1      (upper half: U = 1 − t)
/// t = (c + 0.5) · 2⁻⁶⁴                          (c has 63 useful bits; t ∈ (0, 1/2])
/// E = −ln(t)          in the lower half         (= −ln U)
/// E = −ln_1p(−t)      in the upper half         (= −ln U, with U = 1 − t exact in reals)
/// G = −ln(E)                                    standard Gumbel
/// sample = μ + β·G
/// ```
///
/// In real arithmetic `U = (b + ½) · 2⁻⁶⁴` in both halves: the midpoint of cell `b`
/// of 2⁶⁴ equal cells, strictly inside `(0, 1)`. `U` itself is never rounded to `f64`;
/// only `t = min(U, 1 − U)` is (to 53 significant bits), so `E = −ln U` keeps full
/// relative accuracy near `U = 1` as well as near `U = 0`. The standard sample lies in
/// `[−ln(65 ln 2), 65 ln 2] ≈ [−3.808, 45.05]`; both ends are reached (at
/// `b = 0` and `b = u64::MAX`).
///
/// Why not the textbook `−ln(−ln u)` with an ordinary uniform: `rand_distr::Gumbel`
/// draws `u` from `(0, 1]` and returns `+inf` when `u = 1`; and a uniform with 24
/// (or 53) bits of resolution cannot come closer to 1 than 2⁻²⁴ (2⁻⁵³), which cuts the
/// upper tail at about 16.6 (36.7). In the Gumbel-max trick that truncation makes
/// every category more than that far below the top logit unreachable.
///
/// If `μ + β·G` lies outside the finite `f64` range (only possible when `|μ|` or `β`
/// is within a factor of about 45 of `f64::MAX`) the `f64` sample is clamped to
/// `±f64::MAX`. The `f32` sample is the `f64` sample rounded to `f32`, clamped to
/// `±f32::MAX` when it lies outside the `f32` range, so it is never infinite either.
///
/// # Example
///
/// ```
/// use gumbel::Gumbel;
/// use rand::distr::Distribution;
/// use rand::rngs::StdRng;
/// use rand::{Rng, SeedableRng};
///
/// let g = Gumbel::new(0.0, 1.0)?;
/// let mut rng = StdRng::seed_from_u64(42);
/// let x = g.sample(&mut rng);
/// let y = g.sample_f32(&mut rng);
/// assert!(x.is_finite() && y.is_finite());
/// assert!((-3.81..=45.06).contains(&x));
///
/// // the same draws from raw bits, for a generator that is not rand 0.10's
/// let mut rng = StdRng::seed_from_u64(42);
/// let mut raw = StdRng::seed_from_u64(42);
/// assert_eq!(g.sample(&mut rng), g.sample_from_bits(raw.next_u64()));
/// assert_eq!(g.sample_f32(&mut rng), g.sample_f32_from_bits(raw.next_u64()));
/// # Ok::<(), gumbel::GumbelError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gumbel {
    loc: f64,
    scale: f64,
}

impl Gumbel {
    /// The standard Gumbel distribution: `loc = 0`, `scale = 1`.
    ///
    /// ```
    /// use gumbel::Gumbel;
    ///
    /// assert_eq!(Gumbel::STANDARD, Gumbel::new(0.0, 1.0).unwrap());
    /// assert_eq!(Gumbel::STANDARD.cdf(0.0), (-1.0f64).exp());
    /// ```
    pub const STANDARD: Gumbel = Gumbel {
        loc: 0.0,
        scale: 1.0,
    };

    /// Creates `Gumbel(loc, scale)`.
    ///
    /// # Errors
    ///
    /// [`GumbelError::LocationNotFinite`] if `loc` is NaN or infinite; else
    /// [`GumbelError::ScaleNotFinite`] if `scale` is NaN or infinite, and
    /// [`GumbelError::ScaleNotPositive`] if it is zero or negative. `loc` is checked
    /// first.
    ///
    /// ```
    /// use gumbel::{Gumbel, GumbelError};
    ///
    /// let g = Gumbel::new(1.5, 2.0)?;
    /// assert_eq!((g.loc(), g.scale()), (1.5, 2.0));
    ///
    /// assert_eq!(Gumbel::new(0.0, -1.0), Err(GumbelError::ScaleNotPositive));
    /// assert_eq!(Gumbel::new(f64::NAN, 1.0), Err(GumbelError::LocationNotFinite));
    /// assert_eq!(Gumbel::new(f64::NAN, -1.0), Err(GumbelError::LocationNotFinite));
    /// # Ok::<(), GumbelError>(())
    /// ```
    pub fn new(loc: f64, scale: f64) -> Result<Gumbel, GumbelError> {
        if !loc.is_finite() {
            return Err(GumbelError::LocationNotFinite);
        }
        if !scale.is_finite() {
            return Err(GumbelError::ScaleNotFinite);
        }
        // finite, so not NaN: `<= 0` is "not positive"
        if scale <= 0.0 {
            return Err(GumbelError::ScaleNotPositive);
        }
        Ok(Gumbel { loc, scale })
    }

    /// The location `μ`.
    ///
    /// ```
    /// use gumbel::Gumbel;
    ///
    /// assert_eq!(Gumbel::new(-3.0, 2.0)?.loc(), -3.0);
    /// # Ok::<(), gumbel::GumbelError>(())
    /// ```
    pub fn loc(&self) -> f64 {
        self.loc
    }

    /// The scale `β`.
    ///
    /// ```
    /// use gumbel::Gumbel;
    ///
    /// assert_eq!(Gumbel::new(-3.0, 2.0)?.scale(), 2.0);
    /// # Ok::<(), gumbel::GumbelError>(())
    /// ```
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The standardized variable `z = (x − μ) / β`.
    ///
    /// If `x − μ` overflows although the quotient is representable (both near
    /// `±f64::MAX` with opposite signs, `β > 1`), it is computed as `x/β − μ/β`.
    #[inline]
    fn z(&self, x: f64) -> f64 {
        let d = x - self.loc;
        if d.is_infinite() && x.is_finite() {
            x / self.scale - self.loc / self.scale
        } else {
            d / self.scale
        }
    }

    /// The probability density `f(x) = (1/β) · exp(−(z + e^{−z}))`, `z = (x − μ) / β`.
    ///
    /// Computed as `e^{−z} · exp(−e^{−z}) / β` (as `exp(−z − ln β)` once `e^{−z}` is
    /// subnormal). The relative error is a small multiple of `(1 + |z|) · (1 + e^{−z})`
    /// ulps: it grows in the far lower tail, where the rounding of `z` and of `e^{−z}`
    /// is amplified by the density's steepness (e.g. about 1e-14 at `z = −5`).
    /// It underflows in the far lower tail (to 0 for `z` below about −6.62 when
    /// `β = 1`) and far in the upper tail (`z` above about 745); use
    /// [`ln_pdf`](Self::ln_pdf) there. `pdf(±inf) = 0`, `pdf(NaN)` is NaN.
    ///
    /// ```
    /// use gumbel::Gumbel;
    ///
    /// let g = Gumbel::STANDARD;
    /// assert!((g.pdf(0.0) - (-1.0f64).exp()).abs() < 1e-16); // the mode: 1/e
    /// assert_eq!(g.pdf(-10.0), 0.0); // exp(-22016) underflows
    /// # Ok::<(), gumbel::GumbelError>(())
    /// ```
    pub fn pdf(&self, x: f64) -> f64 {
        let z = self.z(x);
        let e = (-z).exp();
        if e.is_infinite() {
            // e^{-z} overflows: f(x) < exp(-f64::MAX) = 0.
            return 0.0;
        }
        if e < f64::MIN_POSITIVE {
            // Far upper tail, e^{-z} subnormal or zero: exp(-e) = 1 and f = e^{-z-ln β};
            // computing it in one exp keeps precision when β is small.
            return (-(z + self.scale.ln())).exp();
        }
        e * (-e).exp() / self.scale
    }

    /// The natural logarithm of the density, `ln f(x) = −(z + e^{−z}) − ln β`,
    /// computed directly (not as `ln(pdf(x))`).
    ///
    /// It is finite far into both tails, where [`pdf`](Self::pdf) underflows: e.g.
    /// `ln_pdf(800) ≈ −800` and `ln_pdf(−700) ≈ −1.0e304` for the standard
    /// distribution. It is `−inf` only when the true value is below `−f64::MAX`
    /// (`e^{−z}` overflows, `z < −709.78`), at `x = ±inf`, and NaN for NaN.
    ///
    /// ```
    /// use gumbel::Gumbel;
    ///
    /// let g = Gumbel::STANDARD;
    /// assert_eq!(g.pdf(800.0), 0.0);
    /// assert_eq!(g.ln_pdf(800.0), -800.0);
    /// assert!((g.ln_pdf(1.0) - g.pdf(1.0).ln()).abs() < 1e-15);
    /// ```
    pub fn ln_pdf(&self, x: f64) -> f64 {
        let z = self.z(x);
        let e = (-z).exp();
        if e.is_infinite() {
            return f64::NEG_INFINITY;
        }
        -(z + e) - self.scale.ln()
    }

    /// The cumulative distribution function `F(x) = P(X ≤ x) = exp(−e^{−z})`.
    ///
    /// Relative error a small multiple of `(1 + |z|) · e^{−z}` ulps (the rounding of `z`
    /// and `e^{−z}`, amplified in the far lower tail; it underflows to 0 for `z` below
    /// about −6.6). In the upper tail, where `F(x)` rounds to 1, use [`sf`](Self::sf).
    /// `cdf(−inf) = 0`, `cdf(+inf) = 1`.
    ///
    /// ```
    /// use gumbel::Gumbel;
    ///
    /// let g = Gumbel::new(1.0, 2.0)?;
    /// assert_eq!(g.cdf(1.0), (-1.0f64).exp()); // F(μ) = 1/e
    /// assert!((g.cdf(g.median()) - 0.5).abs() < 1e-15);
    /// # Ok::<(), gumbel::GumbelError>(())
    /// ```
    pub fn cdf(&self, x: f64) -> f64 {
        (-(-self.z(x)).exp()).exp()
    }

    /// The survival function `S(x) = P(X > x) = 1 − F(x)`, computed as
    /// `−expm1(−e^{−z})` so it keeps full relative accuracy in the upper tail
    /// (`S(x) ≈ e^{−z}` for large `z`), where `1 − cdf(x)` would be 0 or all rounding.
    ///
    /// ```
    /// use gumbel::Gumbel;
    ///
    /// let g = Gumbel::STANDARD;
    /// assert_eq!(1.0 - g.cdf(40.0), 0.0);
    /// let s = g.sf(40.0); // ≈ e^-40 = 4.248354255291589e-18
    /// assert!((s / 4.248354255291589e-18 - 1.0).abs() < 1e-15);
    /// ```
    pub fn sf(&self, x: f64) -> f64 {
        -(-(-self.z(x)).exp()).exp_m1()
    }

    /// The quantile function (inverse CDF) `F⁻¹(p) = μ − β · ln(−ln p)`.
    ///
    /// `quantile(0) = −inf`, `quantile(1) = +inf`; NaN for `p` outside `[0, 1]` or NaN.
    /// For `p > 0.5` the inner logarithm is computed as `ln_1p(p − 1)` (and `p − 1` is
    /// exact there), so quantiles near `p = 1`, e.g. `p = 1 − 2⁻⁵³`, are accurate to a
    /// few ulps for the `f64` value of `p` given.
    ///
    /// ```
    /// use gumbel::Gumbel;
    ///
    /// let g = Gumbel::STANDARD;
    /// assert_eq!(g.quantile(0.5), g.median());
    /// let top = g.quantile(1.0 - f64::EPSILON / 2.0); // largest p below 1
    /// assert!((top - 36.7368005696771).abs() < 1e-13);
    /// assert_eq!(g.quantile(1.0), f64::INFINITY);
    /// assert!(g.quantile(1.5).is_nan());
    /// ```
    pub fn quantile(&self, p: f64) -> f64 {
        if !(0.0..=1.0).contains(&p) {
            return f64::NAN;
        }
        // y = -ln p > 0 (0 at p = 1, +inf at p = 0).
        let y = if p > 0.5 { -(p - 1.0).ln_1p() } else { -p.ln() };
        self.loc - self.scale * y.ln()
    }

    /// The mean `μ + β·γ`, with `γ ≈ 0.5772156649015329` the Euler–Mascheroni constant.
    ///
    /// ```
    /// use gumbel::Gumbel;
    ///
    /// assert_eq!(Gumbel::STANDARD.mean(), 0.5772156649015329);
    /// assert_eq!(Gumbel::new(1.0, 2.0)?.mean(), 1.0 + 2.0 * 0.5772156649015329);
    /// # Ok::<(), gumbel::GumbelError>(())
    /// ```
    pub fn mean(&self) -> f64 {
        self.loc + self.scale * EULER_GAMMA
    }

    /// The variance `(π²/6) · β²`. Overflows to `+inf` when the true value exceeds
    /// `f64::MAX` (`β > 1.05e154`).
    ///
    /// ```
    /// use gumbel::Gumbel;
    ///
    /// let v = Gumbel::STANDARD.variance();
    /// assert!((v - std::f64::consts::PI.powi(2) / 6.0).abs() < 1e-15);
    /// ```
    pub fn variance(&self) -> f64 {
        PI_SQUARED_OVER_6 * self.scale * self.scale
    }

    /// The standard deviation `β · π/√6` (computed directly, so it does not overflow
    /// where [`variance`](Self::variance) does).
    ///
    /// ```
    /// use gumbel::Gumbel;
    ///
    /// let g = Gumbel::new(0.0, 3.0)?;
    /// assert!((g.std_dev() - g.variance().sqrt()).abs() < 1e-15);
    /// # Ok::<(), gumbel::GumbelError>(())
    /// ```
    pub fn std_dev(&self) -> f64 {
        PI_OVER_SQRT_6 * self.scale
    }

    /// The median `μ − β · ln(ln 2)`.
    ///
    /// ```
    /// use gumbel::Gumbel;
    ///
    /// let m = Gumbel::STANDARD.median();
    /// assert!((m - 0.36651292058166435).abs() < 1e-16);
    /// assert!((Gumbel::STANDARD.cdf(m) - 0.5).abs() < 1e-16);
    /// ```
    pub fn median(&self) -> f64 {
        self.loc + self.scale * NEG_LN_LN_2
    }

    /// The mode `μ`.
    ///
    /// ```
    /// use gumbel::Gumbel;
    ///
    /// assert_eq!(Gumbel::new(4.0, 0.1)?.mode(), 4.0);
    /// # Ok::<(), gumbel::GumbelError>(())
    /// ```
    pub fn mode(&self) -> f64 {
        self.loc
    }

    /// The differential entropy in nats, `ln β + γ + 1`.
    ///
    /// ```
    /// use gumbel::Gumbel;
    ///
    /// assert!((Gumbel::STANDARD.entropy() - 1.5772156649015329).abs() < 1e-15);
    /// assert!(Gumbel::new(0.0, 0.01)?.entropy() < 0.0);
    /// # Ok::<(), gumbel::GumbelError>(())
    /// ```
    pub fn entropy(&self) -> f64 {
        self.scale.ln() + (EULER_GAMMA + 1.0)
    }

    /// One `f64` sample from one uniform `u64` `bits`: `μ + β·G(bits)` with the
    /// construction documented on [`Gumbel`], clamped to `±f64::MAX`. Never `±inf` or
    /// NaN. [`Distribution::sample`] is this applied to `rng.next_u64()`.
    ///
    /// ```
    /// use gumbel::Gumbel;
    ///
    /// let g = Gumbel::STANDARD;
    /// let ln2 = std::f64::consts::LN_2;
    /// assert!((g.sample_from_bits(0) + (65.0 * ln2).ln()).abs() < 1e-14); // U = 2^-65
    /// assert!((g.sample_from_bits(u64::MAX) - 65.0 * ln2).abs() < 1e-13); // U = 1 - 2^-65
    /// assert_eq!(Gumbel::new(1.0, 2.0)?.sample_from_bits(7), 1.0 + 2.0 * g.sample_from_bits(7));
    /// # Ok::<(), gumbel::GumbelError>(())
    /// ```
    #[inline]
    pub fn sample_from_bits(&self, bits: u64) -> f64 {
        (self.loc + self.scale * standard_from_bits(bits)).clamp(-f64::MAX, f64::MAX)
    }

    /// One `f32` sample from one uniform `u64` `bits`: the `f64` sample
    /// [`sample_from_bits`](Self::sample_from_bits)`(bits)` clamped to `±f32::MAX`, then
    /// rounded to `f32`. Never `±inf` or NaN.
    ///
    /// ```
    /// use gumbel::Gumbel;
    ///
    /// let g = Gumbel::new(1e3, 7.0)?;
    /// assert_eq!(g.sample_f32_from_bits(12345), g.sample_from_bits(12345) as f32);
    /// // beyond the f32 range: clamped, not infinite
    /// assert_eq!(Gumbel::new(1e39, 1.0)?.sample_f32_from_bits(0), f32::MAX);
    /// # Ok::<(), gumbel::GumbelError>(())
    /// ```
    #[inline]
    pub fn sample_f32_from_bits(&self, bits: u64) -> f32 {
        let x = self.sample_from_bits(bits);
        x.clamp(-f64::from(f32::MAX), f64::from(f32::MAX)) as f32
    }

    /// One `f32` sample from `rng`: [`sample_f32_from_bits`](Self::sample_f32_from_bits)
    /// of one `next_u64`. Never `±inf` or NaN. (The `f64` sample is
    /// [`Distribution::sample`].)
    ///
    /// ```
    /// use gumbel::Gumbel;
    /// use rand::rngs::StdRng;
    /// use rand::SeedableRng;
    ///
    /// let mut rng = StdRng::seed_from_u64(3);
    /// let y = Gumbel::new(0.5, 2.0)?.sample_f32(&mut rng);
    /// assert!(y.is_finite());
    /// # Ok::<(), gumbel::GumbelError>(())
    /// ```
    #[inline]
    pub fn sample_f32<R: Rng + ?Sized>(&self, rng: &mut R) -> f32 {
        self.sample_f32_from_bits(rng.next_u64())
    }
}

/// A standard Gumbel variate from one uniform `u64` (the construction documented on
/// [`Gumbel`]). Always finite, in `[−ln(65 ln 2), 65 ln 2]`.
#[inline]
fn standard_from_bits(b: u64) -> f64 {
    let upper = b >> 63 != 0;
    let c = if upper { !b } else { b };
    // c < 2^63; t ∈ [2^-65, 1/2].
    let t = (c as f64 + 0.5) * TWO_POW_NEG_64;
    let e = if upper { -(-t).ln_1p() } else { -t.ln() };
    -e.ln()
}

impl Distribution<f64> for Gumbel {
    /// Draws one sample from one `next_u64`:
    /// [`sample_from_bits`](Gumbel::sample_from_bits). Never `±inf` or NaN. For `f32`
    /// samples use [`Gumbel::sample_f32`].
    #[inline]
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.sample_from_bits(rng.next_u64())
    }
}
