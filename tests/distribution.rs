//! Tests for [`gumbel::Gumbel`], layered as in `rand_distr`:
//!
//! 1. construction and misuse (`construction_*`);
//! 2. fixed value vectors against independent high-precision references (`values_*`);
//! 3. sampling: extreme generators and value stability under a fixed seed (`sampling_*`);
//! 4. statistical checks over 10^6 samples with fixed seeds (`statistical_*`).
//!
//! Everything is deterministic. Run with `--release` (or the crate's `[profile.test]`
//! with `opt-level = 3`); the statistical layer then takes well under a second.

// The reference values below are printed with 17 significant digits (`"%.16e"`), which
// identifies each f64 exactly; clippy would rather see the shortest round-trip form.
#![allow(clippy::excessive_precision)]

mod common;

use common::stats::{ks_critical, ks_statistic};

use gumbel::{Gumbel, GumbelError};
use rand::distr::Distribution;
use rand::{Rng, SeedableRng, TryRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::convert::Infallible;

// ---------------------------------------------------------------------------------------
// 1. construction and misuse
// ---------------------------------------------------------------------------------------

#[test]
fn construction_accepts_valid_parameters() {
    let g = Gumbel::new(2.5, 0.3).unwrap();
    assert_eq!(g.loc(), 2.5);
    assert_eq!(g.scale(), 0.3);
    // Extreme but finite values are accepted, including a subnormal scale.
    assert!(Gumbel::new(f64::MAX, f64::MAX).is_ok());
    assert!(Gumbel::new(-f64::MAX, 5e-324).is_ok());
    assert!(Gumbel::new(-0.0, 1.0).is_ok());
}

#[test]
fn construction_standard_equals_new_0_1() {
    assert_eq!(Gumbel::STANDARD, Gumbel::new(0.0, 1.0).unwrap());
    assert_eq!(Gumbel::STANDARD.loc(), 0.0);
    assert_eq!(Gumbel::STANDARD.scale(), 1.0);
}

#[test]
fn construction_rejects_bad_loc() {
    for loc in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert_eq!(Gumbel::new(loc, 1.0), Err(GumbelError::LocationNotFinite));
    }
}

#[test]
fn construction_rejects_bad_scale() {
    for scale in [0.0, -0.0, -1.0, -5e-324, -f64::MAX] {
        assert_eq!(Gumbel::new(0.0, scale), Err(GumbelError::ScaleNotPositive));
    }
    for scale in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert_eq!(Gumbel::new(0.0, scale), Err(GumbelError::ScaleNotFinite));
    }
}

#[test]
fn construction_reports_loc_first_and_displays() {
    assert_eq!(
        Gumbel::new(f64::NAN, -1.0),
        Err(GumbelError::LocationNotFinite)
    );
    let msg = Gumbel::new(0.0, -2.0).unwrap_err().to_string();
    assert_eq!(msg, "Gumbel scale is not positive");
    let err: Box<dyn std::error::Error> = Box::new(GumbelError::ScaleNotFinite);
    assert_eq!(err.to_string(), "Gumbel scale is not finite");
}

// ---------------------------------------------------------------------------------------
// 2. value vectors
// ---------------------------------------------------------------------------------------
//
// References computed with Python mpmath 1.3 at 60 significant digits, from the exact
// f64 values of the inputs (`mpf(float)` is exact), printed with "%.16e". The one-liners,
// with z = (mpf(x) - loc) / scale and e = exp(-z):
//
//   pdf = e*exp(-e)/scale      ln_pdf = -(z + e) - log(scale)
//   cdf = exp(-e)              sf = -expm1(-e)
//   quantile = loc - scale*log(-log(mpf(p)))
//   mean = loc + scale*euler   variance = pi**2/6*scale**2   std_dev = scale*pi/sqrt(6)
//   median = loc - scale*log(log(2))                         entropy = log(scale) + euler + 1
//
// A reference of 0.0 means the true value underflows f64 (below 2^-1074 / 2); the
// implementation must then return exactly 0.0.

/// Relative error, or the absolute error when the reference is 0.
fn rel_err(got: f64, want: f64) -> f64 {
    if want == 0.0 || got == want {
        (got - want).abs()
    } else {
        ((got - want) / want).abs()
    }
}

/// Max relative error over the table rows, asserting each against `tol`.
fn check(what: &str, rows: impl IntoIterator<Item = (String, f64, f64, f64)>) -> f64 {
    let mut max = 0.0f64;
    for (case, got, want, tol) in rows {
        if want == 0.0 {
            assert_eq!(
                got, 0.0,
                "{what}{case}: expected underflow to 0, got {got:e}"
            );
            continue;
        }
        let err = rel_err(got, want);
        assert!(
            err <= tol,
            "{what}{case}: got {got:e}, want {want:e}, rel err {err:e} > {tol:e}"
        );
        max = max.max(err);
    }
    println!("{what}: max relative error {max:.2e}");
    max
}

/// (loc, scale, x, pdf, ln_pdf, cdf, sf)
#[rustfmt::skip]
const DENSITY: [(f64, f64, f64, f64, f64, f64, f64); 30] = [
    (0.0, 1.0, -709.0, 0.0, -8.2184074615549724e+307, 0.0, 1.0000000000000000e+00),
    (0.0, 1.0, -700.0, 0.0, -1.0142320547350045e+304, 0.0, 1.0000000000000000e+00),
    (0.0, 1.0, -7.0, 0.0, -1.0896331584284585e+03, 0.0, 1.0000000000000000e+00),
    (0.0, 1.0, -5.0, 5.2054271084956242e-63, -1.4341315910257660e+02, 3.5073891964646230e-65, 1.0000000000000000e+00),
    (0.0, 1.0, -3.0, 3.8005425040443575e-08, -1.7085536923187668e+01, 1.8921786948382924e-09, 9.9999999810782125e-01),
    (0.0, 1.0, -1.0, 1.7937407873401717e-01, -1.7182818284590453e+00, 6.5988035845312543e-02, 9.3401196415468746e-01),
    (0.0, 1.0, 0.0, 3.6787944117144233e-01, -1.0000000000000000e+00, 3.6787944117144233e-01, 6.3212055882855767e-01),
    (0.0, 1.0, 0.5, 3.3070429889041808e-01, -1.1065306597126334e+00, 5.4523921189260505e-01, 4.5476078810739495e-01),
    (0.0, 1.0, 1.0, 2.5464638004358248e-01, -1.3678794411714423e+00, 6.9220062755534639e-01, 3.0779937244465366e-01),
    (0.0, 1.0, 2.5, 7.5616179917426515e-02, -2.5820849986238987e+00, 9.2119365517551577e-01, 7.8806344824484176e-02),
    (0.0, 1.0, 10.0, 4.5397868655649817e-05, -1.0000045399929762e+01, 9.9995460110079870e-01, 4.5398899201269496e-05),
    (0.0, 1.0, 30.0, 9.3576229688392989e-14, -3.0000000000000092e+01, 9.9999999999990641e-01, 9.3576229688397368e-14),
    (0.0, 1.0, 50.0, 1.9287498479639178e-22, -5.0000000000000000e+01, 1.0000000000000000e+00, 1.9287498479639178e-22),
    (0.0, 1.0, 100.0, 3.7200759760208361e-44, -1.0000000000000000e+02, 1.0000000000000000e+00, 3.7200759760208361e-44),
    (0.0, 1.0, 700.0, 9.8596765437597708e-305, -7.0000000000000000e+02, 1.0000000000000000e+00, 9.8596765437597708e-305),
    (0.0, 1.0, 800.0, 0.0, -8.0000000000000000e+02, 1.0000000000000000e+00, 0.0),
    (2.5, 0.3, 1.0, 1.7351423694984941e-62, -1.4220918629825070e+02, 3.5073891964645268e-65, 1.0000000000000000e+00),
    (2.5, 0.3, 2.0, 8.8579876077522185e-02, -2.4238505794774268e+00, 5.0191732480255576e-03, 9.9498082675197441e-01),
    (2.5, 0.3, 2.5, 1.2262648039048079e+00, 2.0397280432593604e-01, 3.6787944117144233e-01, 6.3212055882855767e-01),
    (2.5, 0.3, 3.0, 5.2122708671372664e-01, -6.5156946517829251e-01, 8.2788948739239154e-01, 1.7211051260760843e-01),
    (2.5, 0.3, 5.0, 8.0103901959245182e-04, -7.1296008984838171e+00, 9.9975965941000855e-01, 2.4034058999143526e-04),
    (2.5, 0.3, 12.0, 5.8914222645542330e-14, -3.0462693862340750e+01, 9.9999999999998235e-01, 1.7674266793662854e-14),
    (-10.0, 4.0, -20.0, 1.5591442969154979e-05, -1.1068788321823364e+01, 5.1192942986707321e-06, 9.9999488070570131e-01),
    (-10.0, 4.0, -10.0, 9.1969860292860584e-02, -2.3862943611198908e+00, 3.6787944117144233e-01, 6.3212055882855767e-01),
    (-10.0, 4.0, 0.0, 1.8904044979356629e-02, -3.9683793597437895e+00, 9.2119365517551577e-01, 7.8806344824484176e-02),
    (-10.0, 4.0, 50.0, 7.6475556731402607e-08, -1.6386294667022209e+01, 9.9999969409772627e-01, 3.0590227371371572e-07),
    (-10.0, 4.0, 200.0, 3.9580357153990803e-24, -5.3886294361119887e+01, 1.0000000000000000e+00, 1.5832142861596321e-23),
    (1000.0, 0.01, 999.97, 3.8005425042422738e-06, -1.2480366737147500e+01, 1.8921786949419924e-09, 9.9999999810782125e-01),
    (1000.0, 0.01, 1000.0, 3.6787944117144228e+01, 3.6051701859880914e+00, 3.6787944117144233e-01, 6.3212055882855767e-01),
    (1000.0, 0.01, 1000.2, 2.0611536181808314e-07, -1.5394829816077609e+01, 9.9999999793884642e-01, 2.0611536203050084e-09),
];

/// (loc, scale, p, quantile). The p near 1 are the f64 values of 1 - 1e-10, 1 - 2^-53
/// and 1 - 1e-12; the reference is computed from that exact f64, so `p - 1` is exact
/// and the expected accuracy is the usual few ulps.
#[rustfmt::skip]
const QUANTILE: [(f64, f64, f64, f64); 15] = [
    (0.0, 1.0, 1e-300, -6.5378149199041564e+00),
    (0.0, 1.0, 1e-10, -3.1366175382420014e+00),
    (0.0, 1.0, 0.1, -8.3403244524795572e-01),
    (0.0, 1.0, 0.25, -3.2663425997828099e-01),
    (0.0, 1.0, 0.5, 3.6651292058166435e-01),
    (0.0, 1.0, 0.9, 2.2503673273124454e+00),
    (0.0, 1.0, 0.99, 4.6001492267765789e+00),
    (0.0, 1.0, 0.9999999999, 2.3025850847150089e+01),
    (0.0, 1.0, 0.9999999999999999, 3.6736800569677101e+01),
    (2.5, 0.3, 1e-05, 1.7669588926953832e+00),
    (2.5, 0.3, 0.3, 2.4443119723412905e+00),
    (2.5, 0.3, 0.7, 2.8092791299476167e+00),
    (2.5, 0.3, 0.999999999999, 1.0789312971367858e+01),
    (-10.0, 4.0, 0.5, -8.5339483176733424e+00),
    (-10.0, 4.0, 0.999, 1.7629020282094864e+01),
];

/// (loc, scale, mean, variance, std_dev, median, entropy)
#[rustfmt::skip]
const MOMENTS: [(f64, f64, f64, f64, f64, f64, f64); 4] = [
    (0.0, 1.0, 5.7721566490153287e-01, 1.6449340668482264e+00, 1.2825498301618641e+00, 3.6651292058166435e-01, 1.5772156649015328e+00),
    (2.5, 0.3, 2.6731646994704596e+00, 1.4804406601634038e-01, 3.8476494904855923e-01, 2.6099538761744991e+00, 3.7324286057559686e-01),
    (-10.0, 4.0, -7.6911373403938690e+00, 2.6318945069571622e+01, 5.1301993206474563e+00, -8.5339483176733424e+00, 2.9635100260214235e+00),
    (1000.0, 0.01, 1.0000057721566490e+03, 1.6449340668482266e-04, 1.2825498301618641e-02, 1.0000036651292058e+03, -3.0279545210865586e+00),
];

const TOL: f64 = 1e-13;

fn density_rows(
    f: impl Fn(&Gumbel, f64) -> f64,
    pick: impl Fn(&(f64, f64, f64, f64, f64, f64, f64)) -> f64,
) -> Vec<(String, f64, f64, f64)> {
    DENSITY
        .iter()
        .map(|row| {
            let g = Gumbel::new(row.0, row.1).unwrap();
            let case = format!("(loc {}, scale {}, x {})", row.0, row.1, row.2);
            (case, f(&g, row.2), pick(row), TOL)
        })
        .collect()
}

#[test]
fn values_pdf() {
    check("pdf", density_rows(Gumbel::pdf, |r| r.3));
}

#[test]
fn values_ln_pdf() {
    check("ln_pdf", density_rows(Gumbel::ln_pdf, |r| r.4));
}

#[test]
fn values_cdf() {
    check("cdf", density_rows(Gumbel::cdf, |r| r.5));
}

#[test]
fn values_sf() {
    check("sf", density_rows(Gumbel::sf, |r| r.6));
}

#[test]
fn values_quantile() {
    let rows = QUANTILE.iter().map(|&(loc, scale, p, q)| {
        let g = Gumbel::new(loc, scale).unwrap();
        (
            format!("(loc {loc}, scale {scale}, p {p:e})"),
            g.quantile(p),
            q,
            TOL,
        )
    });
    check("quantile", rows);
}

#[test]
fn values_moments() {
    let mut rows = Vec::new();
    for &(loc, scale, mean, var, sd, med, ent) in &MOMENTS {
        let g = Gumbel::new(loc, scale).unwrap();
        let case = |name: &str| format!(" {name} (loc {loc}, scale {scale})");
        rows.push((case("mean"), g.mean(), mean, TOL));
        rows.push((case("variance"), g.variance(), var, TOL));
        rows.push((case("std_dev"), g.std_dev(), sd, TOL));
        rows.push((case("median"), g.median(), med, TOL));
        rows.push((case("entropy"), g.entropy(), ent, TOL));
        assert_eq!(g.mode(), loc);
    }
    check("moments", rows);
}

#[test]
fn values_ln_pdf_finite_where_pdf_underflows() {
    let g = Gumbel::STANDARD;
    // Lower tail: pdf(-7) = exp(-1089.6) underflows; ln_pdf stays finite down to
    // z = -709 (≈ -8.2e307) and is -inf only once e^{-z} overflows (z < -709.78).
    for x in [-7.0, -100.0, -700.0, -709.0] {
        assert_eq!(g.pdf(x), 0.0, "pdf({x})");
        assert!(g.ln_pdf(x).is_finite(), "ln_pdf({x}) = {}", g.ln_pdf(x));
    }
    assert_eq!(g.ln_pdf(-710.0), f64::NEG_INFINITY);
    // Upper tail: pdf(800) = e^-800 underflows, ln_pdf(800) = -800 - e^-800.
    assert_eq!(g.pdf(800.0), 0.0);
    assert_eq!(g.ln_pdf(800.0), -800.0);
    assert_eq!(g.ln_pdf(1e300), -1e300);
    // Scale enters as -ln(scale): a narrow distribution has a large finite log-density.
    let narrow = Gumbel::new(0.0, 1e-300).unwrap();
    assert!((narrow.ln_pdf(0.0) - (-1.0 + 300.0 * std::f64::consts::LN_10)).abs() < 1e-12);
}

#[test]
fn values_pdf_upper_tail_with_tiny_scale() {
    // z = 740: e^{-z} is subnormal, but pdf = e^{-z}/scale = exp(-740 + 690.78) is not.
    let g = Gumbel::new(0.0, 1e-300).unwrap();
    let x = 740.0 * 1e-300;
    let z = x / 1e-300;
    let want = (-(z + 1e-300f64.ln())).exp();
    assert!(rel_err(g.pdf(x), want) < 1e-12, "{} vs {want}", g.pdf(x));
    assert!(rel_err(g.pdf(x).ln(), g.ln_pdf(x)) < 1e-14);
}

#[test]
fn values_sf_upper_tail() {
    // sf(x) = e^{-x} (1 - e^{-x}/2 + ...) for the standard distribution; 1 - cdf is 0.
    let g = Gumbel::STANDARD;
    for x in [30.0f64, 40.0, 50.0, 200.0, 700.0] {
        let want = (-x).exp() * (1.0 - 0.5 * (-x).exp());
        assert!(rel_err(g.sf(x), want) < 1e-15, "sf({x})");
        if x >= 40.0 {
            assert_eq!(1.0 - g.cdf(x), 0.0);
        }
    }
}

#[test]
fn values_special_inputs() {
    let g = Gumbel::new(2.5, 0.3).unwrap();
    assert_eq!(g.pdf(f64::INFINITY), 0.0);
    assert_eq!(g.pdf(f64::NEG_INFINITY), 0.0);
    assert_eq!(g.ln_pdf(f64::INFINITY), f64::NEG_INFINITY);
    assert_eq!(g.ln_pdf(f64::NEG_INFINITY), f64::NEG_INFINITY);
    assert_eq!(g.cdf(f64::INFINITY), 1.0);
    assert_eq!(g.cdf(f64::NEG_INFINITY), 0.0);
    assert_eq!(g.sf(f64::INFINITY), 0.0);
    assert_eq!(g.sf(f64::NEG_INFINITY), 1.0);
    for f in [
        Gumbel::pdf,
        Gumbel::ln_pdf,
        Gumbel::cdf,
        Gumbel::sf,
        Gumbel::quantile,
    ] {
        assert!(f(&g, f64::NAN).is_nan());
    }
    // x - loc overflows although z is representable: z = 2e307.
    let wide = Gumbel::new(-1e308, 10.0).unwrap();
    assert_eq!(wide.ln_pdf(1e308), -2e307);
    assert_eq!(wide.cdf(1e308), 1.0);
    assert_eq!(wide.sf(1e308), 0.0);
    assert_eq!(wide.ln_pdf(-1e308), -(0.0 + 1.0) - 10f64.ln());
}

#[test]
fn values_quantile_endpoints_and_domain() {
    let g = Gumbel::new(-1.0, 2.0).unwrap();
    assert_eq!(g.quantile(0.0), f64::NEG_INFINITY);
    assert_eq!(g.quantile(-0.0), f64::NEG_INFINITY);
    assert_eq!(g.quantile(1.0), f64::INFINITY);
    for p in [
        f64::NAN,
        -1e-300,
        -1.0,
        1.0 + f64::EPSILON,
        2.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ] {
        assert!(g.quantile(p).is_nan(), "quantile({p})");
    }
    // Smallest positive p and largest p below 1 give finite quantiles.
    assert!(g.quantile(5e-324).is_finite());
    assert!(g.quantile(1.0 - f64::EPSILON / 2.0).is_finite());
}

#[test]
fn values_quantile_inverts_cdf() {
    let g = Gumbel::new(2.5, 0.3).unwrap();
    for i in 1..200 {
        let p = i as f64 / 200.0;
        let back = g.cdf(g.quantile(p));
        assert!(rel_err(back, p) < 1e-14, "cdf(quantile({p})) = {back}");
    }
    // Upper tail through sf: sf(quantile(1 - s)) = s for tiny s.
    for s in [1e-6, 1e-10, 1e-14] {
        let p = 1.0 - s;
        let s_exact = 1.0 - p; // exact (Sterbenz)
        assert!(rel_err(g.sf(g.quantile(p)), s_exact) < 1e-13, "s = {s}");
    }
}

// ---------------------------------------------------------------------------------------
// 3. sampling
// ---------------------------------------------------------------------------------------

/// A generator that returns the same bits forever.
struct ConstRng(u64);

/// (rand 0.10: an infallible generator implements `TryRng<Error = Infallible>`, and
/// gets `Rng` from it.)
impl TryRng for ConstRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.0 as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for (d, s) in dst.iter_mut().zip(self.0.to_le_bytes().iter().cycle()) {
            *d = *s;
        }
        Ok(())
    }
}

/// The construction documented on `Gumbel`, written out again independently.
fn reference_standard(b: u64) -> f64 {
    const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;
    if b < 1 << 63 {
        let u = (b as f64 + 0.5) / TWO_POW_64;
        -(-u.ln()).ln()
    } else {
        let one_minus_u = ((u64::MAX - b) as f64 + 0.5) / TWO_POW_64;
        -(-(-one_minus_u).ln_1p()).ln()
    }
}

/// Extreme generator outputs and the standard sample they must give.
/// mpmath: -log(-log(mpf(2)**-65)), -log(-log1p(-mpf(2)**-65)), -log(log(2)).
const EXTREMES: [(u64, f64); 4] = [
    (0, -3.8078743493139728e+00),            // t = 2^-65, lower half
    (u64::MAX, 4.5054566736396445e+01),      // t = 2^-65, upper half
    (1 << 63, 3.6651292058166435e-01),       // t = 1/2 (c = 2^63 - 1 rounds to 2^63)
    ((1 << 63) - 1, 3.6651292058166435e-01), // t = 1/2
];

#[test]
fn sampling_extreme_generators_are_finite_and_exact() {
    for (bits, want) in EXTREMES {
        let x: f64 = Gumbel::STANDARD.sample(&mut ConstRng(bits));
        assert!(x.is_finite());
        assert!(
            rel_err(x, want) <= 2.0 * f64::EPSILON,
            "bits {bits:#x}: {x} vs {want}"
        );
        let y = Gumbel::STANDARD.sample_f32(&mut ConstRng(bits));
        assert!(y.is_finite());
        assert_eq!(y, x as f32);
        // the same draws without a generator
        assert_eq!(Gumbel::STANDARD.sample_from_bits(bits), x);
        assert_eq!(Gumbel::STANDARD.sample_f32_from_bits(bits), y);
    }
    // The analytic range of the standard sample: [-ln(65 ln 2), 65 ln 2].
    let ln2 = std::f64::consts::LN_2;
    assert!(
        rel_err(
            Gumbel::STANDARD.sample(&mut ConstRng(0)),
            -(65.0 * ln2).ln()
        ) < 1e-15
    );
    assert!(rel_err(Gumbel::STANDARD.sample(&mut ConstRng(u64::MAX)), 65.0 * ln2) < 1e-15);
}

#[test]
fn sampling_never_infinite_or_nan() {
    let params = [
        (0.0, 1.0),
        (2.5, 0.3),
        (-1e3, 1e-3),
        (1e300, 1e300),
        (-f64::MAX, f64::MAX),
    ];
    let bits = [
        0,
        1,
        2,
        (1 << 63) - 1,
        1 << 63,
        (1 << 63) + 1,
        u64::MAX - 1,
        u64::MAX,
    ];
    for (loc, scale) in params {
        let g = Gumbel::new(loc, scale).unwrap();
        for b in bits {
            let x: f64 = g.sample(&mut ConstRng(b));
            let y = g.sample_f32(&mut ConstRng(b));
            assert!(
                x.is_finite() && y.is_finite(),
                "{loc} {scale} {b:#x}: {x} {y}"
            );
        }
    }
}

#[test]
fn sampling_clamps_out_of_range_values() {
    // loc + scale*G beyond f64::MAX is clamped to ±f64::MAX ...
    let huge = Gumbel::new(f64::MAX, f64::MAX).unwrap();
    let x: f64 = huge.sample(&mut ConstRng(u64::MAX));
    assert_eq!(x, f64::MAX);
    let x: f64 = huge.sample(&mut ConstRng(0)); // MAX - 3.8 MAX < -MAX
    assert_eq!(x, -f64::MAX);
    // ... and beyond the f32 range the f32 sample is clamped to ±f32::MAX.
    let y = Gumbel::new(1e39, 1.0).unwrap().sample_f32(&mut ConstRng(0));
    assert_eq!(y, f32::MAX);
    let y = Gumbel::new(-1e39, 1.0)
        .unwrap()
        .sample_f32(&mut ConstRng(u64::MAX));
    assert_eq!(y, -f32::MAX);
    // In range, f32 samples are the rounded f64 samples.
    let g = Gumbel::new(1e3, 7.0).unwrap();
    let x: f64 = g.sample(&mut ConstRng(12345));
    let y = g.sample_f32(&mut ConstRng(12345));
    assert_eq!(y, x as f32);
}

#[test]
fn sampling_matches_construction_bit_for_bit() {
    // One u64 per sample, transformed exactly as documented.
    let g = Gumbel::new(2.5, 0.3).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let mut raw = rng.clone();
    for _ in 0..10_000 {
        let x: f64 = g.sample(&mut rng);
        let want = 2.5 + 0.3 * reference_standard(raw.next_u64());
        assert_eq!(x.to_bits(), want.to_bits());
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
    let mut raw = rng.clone();
    for _ in 0..10_000 {
        let y = g.sample_f32(&mut rng);
        let want = (2.5 + 0.3 * reference_standard(raw.next_u64())) as f32;
        assert_eq!(y.to_bits(), want.to_bits());
    }
}

#[test]
fn sampling_infers_f64_and_works_with_rand_0_10() {
    // No annotations anywhere: one `Distribution` impl, so `x` is f64.
    let g = Gumbel::new(1.0, 2.0).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let x = g.sample(&mut rng);
    assert!(x.is_finite());
    // rand's own entry points: `RngExt::sample` and `sample_iter`
    let y = rand::RngExt::sample(&mut rng, g);
    assert!(y.is_finite());
    let v: Vec<_> = g.sample_iter(&mut rng).take(100).collect();
    assert!(v.iter().all(|x| x.is_finite()));
    // `sample` is `sample_from_bits` of one `next_u64`, for any generator
    let mut a = Xoshiro256PlusPlus::seed_from_u64(9);
    let mut b = a.clone();
    for _ in 0..100 {
        assert_eq!(g.sample(&mut a), g.sample_from_bits(b.next_u64()));
        assert_eq!(g.sample_f32(&mut a), g.sample_f32_from_bits(b.next_u64()));
    }
}

/// Value stability: the first outputs of `Xoshiro256PlusPlus::seed_from_u64(42)` and the
/// standard samples they give. The G column is from mpmath, evaluating the documented
/// construction in 60-digit arithmetic on the f64 value of t:
/// `-log(-log1p(-mpf(t)))` (upper half) or `-log(-log(mpf(t)))` (lower half).
const SEED_42: [(u64, f64); 8] = [
    (15021278609987233951, 1.5826980696898205e+00),
    (5881210131331364753, -1.3376603458378913e-01),
    (18149643915985481100, 4.1204663622912800e+00),
    (12933668939759105464, 1.0354854577717894e+00),
    (14637574242682825331, 1.4640566534893900e+00),
    (10848501901068131965, 6.3325527864749509e-01),
    (2312344417745909078, -7.3074444808779093e-01),
    (11162538943635311430, 6.8850905938136220e-01),
];

#[test]
fn sampling_value_stability_seed_42() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let mut raw = rng.clone();
    for (i, (bits, g_ref)) in SEED_42.into_iter().enumerate() {
        assert_eq!(raw.next_u64(), bits, "rand_xoshiro output {i} changed");
        let x: f64 = Gumbel::STANDARD.sample(&mut rng);
        assert_eq!(x, reference_standard(bits), "sample {i}");
        assert!(rel_err(x, g_ref) < 1e-14, "sample {i}: {x} vs {g_ref}");
    }
}

// ---------------------------------------------------------------------------------------
// 4. statistical checks
// ---------------------------------------------------------------------------------------

const N: usize = 1_000_000;

/// False-alarm probability of each KS test: P(sqrt(n) D > c) ≈ 2 exp(-2 c²), so the
/// critical value is c = `ks_critical(KS_ALPHA)` = sqrt(-ln(alpha / 2) / 2) = 2.8992...
/// (n = 10^6 makes the finite-n correction negligible).
const KS_ALPHA: f64 = 1e-7;

/// Kolmogorov–Smirnov statistic sqrt(n) · sup |F_n - F| (`common::stats::ks_statistic`).
fn sqrt_n_ks(mut xs: Vec<f64>, cdf: impl Fn(f64) -> f64 + Sync) -> f64 {
    let n = xs.len() as f64;
    ks_statistic(&mut xs, cdf) * n.sqrt()
}

fn samples_f64(g: &Gumbel, seed: u64) -> Vec<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..N)
        .map(|_| Distribution::<f64>::sample(g, &mut rng))
        .collect()
}

#[test]
fn statistical_ks_standard_f64() {
    let g = Gumbel::STANDARD;
    let ks = sqrt_n_ks(samples_f64(&g, 1), |x| g.cdf(x));
    println!(
        "KS standard f64: sqrt(n) D = {ks:.4} (critical {:.4})",
        ks_critical(KS_ALPHA)
    );
    assert!(ks < ks_critical(KS_ALPHA), "sqrt(n) D = {ks}");
}

#[test]
fn statistical_ks_loc_scale_f64() {
    let g = Gumbel::new(-3.25, 4.5).unwrap();
    let ks = sqrt_n_ks(samples_f64(&g, 2), |x| g.cdf(x));
    println!(
        "KS (-3.25, 4.5) f64: sqrt(n) D = {ks:.4} (critical {:.4})",
        ks_critical(KS_ALPHA)
    );
    assert!(ks < ks_critical(KS_ALPHA), "sqrt(n) D = {ks}");
}

#[test]
fn statistical_ks_f32() {
    // f32 rounding moves F by at most ~1e-7, far below the critical D ≈ 2.9e-3.
    let g = Gumbel::new(0.5, 2.0).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let xs: Vec<f64> = (0..N).map(|_| f64::from(g.sample_f32(&mut rng))).collect();
    let ks = sqrt_n_ks(xs, |x| g.cdf(x));
    println!(
        "KS (0.5, 2) f32: sqrt(n) D = {ks:.4} (critical {:.4})",
        ks_critical(KS_ALPHA)
    );
    assert!(ks < ks_critical(KS_ALPHA), "sqrt(n) D = {ks}");
}

#[test]
fn statistical_mean_and_variance() {
    // Sample mean and variance within 6 standard errors of mean() and variance():
    // two-sided false-alarm probability 2e-9 each under the normal approximation
    // (< 1e-8). SE(mean) = sd / sqrt(n); SE(var) = sd² sqrt((kurtosis - 1) / n) with
    // kurtosis 5.4 (excess 12/5) for the Gumbel distribution.
    for (i, (loc, scale)) in [(0.0, 1.0), (-3.25, 4.5), (100.0, 0.01)]
        .into_iter()
        .enumerate()
    {
        let g = Gumbel::new(loc, scale).unwrap();
        let xs = samples_f64(&g, 10 + i as u64);
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let sd = g.std_dev();
        let z_mean = (mean - g.mean()) / (sd / n.sqrt());
        let z_var = (var - g.variance()) / (sd * sd * (4.4 / n).sqrt());
        println!("moments ({loc}, {scale}): z(mean) = {z_mean:.3}, z(var) = {z_var:.3}");
        assert!(z_mean.abs() < 6.0, "mean {mean} vs {}", g.mean());
        assert!(z_var.abs() < 6.0, "variance {var} vs {}", g.variance());
    }
}
