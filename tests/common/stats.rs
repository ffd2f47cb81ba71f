//! Statistics for the statistical tests, in f64: special functions, the chi-square and
//! binomial distributions, and the Kolmogorov–Smirnov statistic.

use rayon::prelude::*;

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

/// Wilson–Hilferty approximation of the upper `z`-quantile of `χ²_k`:
/// `k (1 − 2/(9k) + z √(2/(9k)))³`.
pub fn chi2_critical_wilson_hilferty(k: u32, z: f64) -> f64 {
    let k = f64::from(k);
    let v = 2.0 / (9.0 * k);
    k * (1.0 - v + z * v.sqrt()).powi(3)
}

// ---------------------------------------------------------------------------------
// The binomial distribution
// ---------------------------------------------------------------------------------

/// Binomial(n, p), evaluated exactly in f64 (no normal or Poisson approximation).
#[derive(Clone, Copy)]
pub struct Binomial {
    pub n: u64,
    pub p: f64,
}

impl Binomial {
    pub fn mean(self) -> f64 {
        self.n as f64 * self.p
    }

    pub fn sd(self) -> f64 {
        (self.mean() * (1.0 - self.p)).sqrt()
    }

    /// `ln P(X = k)`, as `n ln(1−p) + Σ_{j<k} ln(pmf(j+1)/pmf(j))`: the partial sums
    /// stay small, so the f64 rounding error is ~1e-11 even for k ≈ 50 000.
    pub fn ln_pmf(self, k: u64) -> f64 {
        let q = self.p / (1.0 - self.p);
        let mut s = self.n as f64 * (-self.p).ln_1p();
        for j in 0..k {
            s += ((self.n - j) as f64 * q / (j + 1) as f64).ln();
        }
        s
    }

    /// `P(X ≥ k)` for `k ≥ mean` (the terms decrease from `k` on).
    pub fn upper(self, k: u64) -> f64 {
        assert!(k as f64 >= self.mean());
        if k > self.n {
            return 0.0;
        }
        let q = self.p / (1.0 - self.p);
        let (mut term, mut sum, mut j) = (self.ln_pmf(k).exp(), 0.0, k);
        loop {
            sum += term;
            if j == self.n {
                break sum;
            }
            term *= (self.n - j) as f64 * q / (j + 1) as f64;
            j += 1;
            if term <= sum * 1e-18 {
                break sum;
            }
        }
    }

    /// `P(X ≤ k)` for `k ≤ mean` (the terms decrease from `k` down).
    pub fn lower(self, k: u64) -> f64 {
        assert!(k as f64 <= self.mean());
        let q = self.p / (1.0 - self.p);
        let (mut term, mut sum, mut j) = (self.ln_pmf(k).exp(), 0.0, k);
        loop {
            sum += term;
            if j == 0 {
                break sum;
            }
            term *= j as f64 / ((self.n - j + 1) as f64 * q);
            j -= 1;
            if term <= sum * 1e-18 {
                break sum;
            }
        }
    }

    /// Exact two-sided p-value of an observed count (twice the smaller tail).
    pub fn two_sided_p(self, count: u64) -> f64 {
        let tail = if count as f64 >= self.mean() {
            self.upper(count)
        } else {
            self.lower(count)
        };
        (2.0 * tail).min(1.0)
    }

    /// Exact probability that `|X − mean| > z·sd`.
    pub fn prob_beyond_z(self, z: f64) -> f64 {
        let hi = (self.mean() + z * self.sd()).floor() as u64 + 1;
        let lo = (self.mean() - z * self.sd()).ceil() - 1.0;
        let lower = if lo >= 0.0 {
            self.lower(lo as u64)
        } else {
            0.0
        };
        self.upper(hi) + lower
    }

    /// The exact equal-tailed acceptance interval at level `alpha`: the counts `c` with
    /// `P(X ≥ c) > alpha/2` and `P(X ≤ c) > alpha/2`, as `(lo, hi)` inclusive, and the
    /// exact false-alarm probability of that interval.
    pub fn acceptance_interval(self, alpha: f64) -> (u64, u64, f64) {
        let mut hi = self.mean().ceil() as u64;
        while self.upper(hi + 1) > alpha / 2.0 {
            hi += 1;
        }
        let mut lo = self.mean().floor() as u64;
        while lo > 0 && self.lower(lo - 1) > alpha / 2.0 {
            lo -= 1;
        }
        let below = if lo > 0 { self.lower(lo - 1) } else { 0.0 };
        (lo, hi, self.upper(hi + 1) + below)
    }
}

// ---------------------------------------------------------------------------------
// Kolmogorov–Smirnov
// ---------------------------------------------------------------------------------

/// The critical value `t = sqrt(−ln(alpha/2)/2)` of `√n·D`: by the
/// Dvoretzky–Kiefer–Wolfowitz inequality with Massart's constant,
/// `P(√n·D > t) ≤ 2 e^{−2t²} = alpha` for every `n` and a continuous null (the
/// Kolmogorov limit agrees). `alpha = 1e-7` gives ≈ 2.8992.
pub fn ks_critical(alpha: f64) -> f64 {
    (-(alpha / 2.0).ln() / 2.0).sqrt()
}

/// The exact KS distance `D = sup |F_n − F|` of a sample against the CDF `cdf`, from
/// the sorted sample: `max_i max(i/n − F(x_(i)), F(x_(i)) − (i−1)/n)` (exact with ties
/// too). Sorts `x` (total order, in parallel); `D` is a maximum, so it does not depend
/// on how the work is split. Multiply by `√n` for the statistic of [`ks_critical`].
pub fn ks_statistic<T>(x: &mut [T], cdf: impl Fn(f64) -> f64 + Sync) -> f64
where
    T: Copy + Into<f64> + Send + Sync,
{
    // f32 → f64 is exact and monotone, so this is the f32 total order for f32 samples.
    x.par_sort_unstable_by(|a, b| (*a).into().total_cmp(&(*b).into()));
    let n = x.len() as f64;
    const BLOCK: usize = 1 << 16;
    x.par_chunks(BLOCK)
        .enumerate()
        .map(|(c, chunk)| {
            let mut d = 0f64;
            for (j, &v) in chunk.iter().enumerate() {
                let i = (c * BLOCK + j) as f64; // 0-based rank
                let f = cdf(v.into());
                d = d.max((i + 1.0) / n - f).max(f - i / n);
            }
            d
        })
        .reduce(|| 0.0, f64::max)
}

/// The exact softmax of `x / t` in f64 (`-inf` entries get 0).
pub fn softmax_f64(x: &[f32], t: f64) -> Vec<f64> {
    let m = x.iter().fold(f64::NEG_INFINITY, |a, &v| a.max(v as f64));
    let w: Vec<f64> = x.iter().map(|&v| ((v as f64 - m) / t).exp()).collect();
    let s: f64 = w.iter().sum();
    w.iter().map(|v| v / s).collect()
}

/// Pearson's statistic of `counts` against probabilities `p` and its degrees of
/// freedom, for tests whose every expected count is at least 5 by construction
/// (asserted); a zero-probability cell must have a zero count (asserted).
pub fn pearson(counts: &[u64], p: &[f64]) -> (f64, usize) {
    let n: u64 = counts.iter().sum();
    let (mut stat, mut cells) = (0.0, 0usize);
    for (&c, &q) in counts.iter().zip(p) {
        if q == 0.0 {
            assert_eq!(c, 0, "a zero-probability cell was drawn");
            continue;
        }
        let e = n as f64 * q;
        assert!(e >= 5.0, "expected count {e} below 5");
        stat += (c as f64 - e).powi(2) / e;
        cells += 1;
    }
    (stat, cells - 1)
}
