//! Helpers shared by the integration tests.
#![allow(dead_code)]

use gumbel::simd::Isa;

/// The ISA paths to test on this machine.
///
/// Every available path is tested. Set `GUMBEL_REQUIRE_ISAS=avx512,avx2,portable,scalar`
/// (as `.ci/run` does) to make a missing path a failure instead of a silent skip.
pub fn isas() -> Vec<Isa> {
    if let Ok(req) = std::env::var("GUMBEL_REQUIRE_ISAS") {
        for name in req.split(',').filter(|s| !s.trim().is_empty()) {
            let isa: Isa = name.parse().unwrap();
            assert!(
                isa.is_available(),
                "GUMBEL_REQUIRE_ISAS names {isa}, which this CPU lacks"
            );
        }
    }
    Isa::available().collect()
}

/// Distance from `y` to the f64 reference `r`, in units of the f32 ulp at `r`.
/// Both infinite with the same sign, or both NaN, is 0; any other mismatch of kind is
/// infinite.
pub fn ulp_error(y: f32, r: f64) -> f64 {
    if r.is_nan() || y.is_nan() {
        return if r.is_nan() && y.is_nan() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    let rf = r as f32; // reference rounded to f32 (may overflow to inf)
    if r.is_infinite() || rf.is_infinite() {
        return if y == rf {
            0.0
        } else if y.is_infinite() {
            f64::INFINITY
        } else {
            ((y as f64) - r).abs() / ulp_at(f32::MAX as f64)
        };
    }
    if y.is_infinite() {
        return f64::INFINITY;
    }
    ((y as f64) - r).abs() / ulp_at(r)
}

/// The f32 ulp at magnitude `|r|` (subnormal spacing below the normal range), read
/// off the f64 exponent bits (no transcendental calls: the exhaustive sweeps call this
/// billions of times).
pub fn ulp_at(r: f64) -> f64 {
    let e = ((r.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    f64::from_bits(((e.max(-126) - 23 + 1023) as u64) << 52)
}

// ---------------------------------------------------------------------------------
// Special functions and the chi-square distribution (f64), for the statistical tests
// ---------------------------------------------------------------------------------

/// `ln Γ(x)` for `x ≥ 0.5` (Lanczos, g = 7, 9 terms: ~1e-15 relative).
pub fn ln_gamma(x: f64) -> f64 {
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    assert!(
        x >= 0.5,
        "ln_gamma is only needed (and implemented) for x >= 0.5"
    );
    let x = x - 1.0;
    let mut a = C[0];
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    let t = x + 7.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Regularized upper incomplete gamma `Q(a, x) = Γ(a, x) / Γ(a)`.
pub fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let ln_prefix = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        // series for P(a, x)
        let mut ap = a;
        let mut del = 1.0 / a;
        let mut sum = del;
        for _ in 0..100_000 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        1.0 - sum * ln_prefix.exp()
    } else {
        // continued fraction for Q(a, x), modified Lentz
        const TINY: f64 = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..100_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        ln_prefix.exp() * h
    }
}

/// Survival function of the chi-square distribution with `dof` degrees of freedom,
/// `P(χ²_dof > x) = Q(dof/2, x/2)`.
pub fn chi2_sf(x: f64, dof: f64) -> f64 {
    gamma_q(dof / 2.0, x / 2.0)
}

/// The `x` with `P(χ²_dof > x) = alpha`, by bisection on `chi2_sf` (decreasing in `x`).
pub fn chi2_critical(dof: f64, alpha: f64) -> f64 {
    assert!(dof >= 1.0);
    let mut lo = 0.0f64;
    let mut hi = dof + 10.0;
    while chi2_sf(hi, dof) > alpha {
        lo = hi;
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if chi2_sf(mid, dof) > alpha {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-12 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}
