//! The sort-based f64 reference of the filters (min-p → top-k → top-p, every tie at a
//! threshold kept; `docs/math.md` §6, `DESIGN.md` "Filter semantics"), written from
//! the definitions and nothing else: sort the unmasked tokens by value, then walk.
//!
//! With `z_i = (x_i − m)/T` in f64 (`m` the row maximum):
//! * `T = 0`: the kept set is the row's maximal entries (greedy; filters ignored);
//! * min-p keeps `z_i >= ln(min_p)`;
//! * top-k (`k > 0`) keeps every kept token with value `>=` the `k`-th largest kept value
//!   (`k >=` kept count: no-op);
//! * top-p (`< 1`) keeps `{x >= v}` for the largest value `v` with
//!   `Σ_{kept, x >= v} exp(z) >= top_p · Σ_{kept} exp(z)`.
//!
//! The implementation sums f32 exponentials (≈1e-7 relative), so where the top-p target
//! lies within [`TOP_P_MARGIN`] (relative to the kept mass) of a cumulative mass at a
//! value boundary, the two may legitimately cut at a neighbouring boundary. Such a row
//! is flagged `ambiguous`, and [`RefCut::accepts`] then admits exactly the cuts a
//! mass error of at most that margin could produce (and nothing else): the prefix
//! ending at value group `j` is admissible iff `cum_j >= target − δ` and
//! `cum_{j−1} < target + δ`, `δ = TOP_P_MARGIN · kept mass`.

use gumbel::SamplingParams;

/// Relative distance (to the kept mass) below which a top-p boundary is ambiguous.
pub const TOP_P_MARGIN: f64 = 1e-5;

/// The reference kept set of one row.
#[derive(Clone, Debug)]
pub struct RefCut {
    /// `kept[i]`: token `i` survives the filters.
    pub kept: Vec<bool>,
    /// The top-p target lies within `TOP_P_MARGIN` of a cumulative mass boundary:
    /// more than one cut is admissible.
    pub ambiguous: bool,
    /// The row maximum.
    pub m: f32,
    /// The unmasked indices by value descending (ties by index): every kept set is a
    /// prefix of this order.
    pub order: Vec<usize>,
    /// The admissible kept sets, as prefix lengths of `order` (the exact one included).
    pub admissible: Vec<usize>,
}

impl RefCut {
    pub fn count(&self) -> usize {
        self.kept.iter().filter(|&&k| k).count()
    }

    /// Whether `got` is an admissible kept set: the exact one, or (for an ambiguous
    /// top-p cut) one a mass error within the margin could produce.
    pub fn accepts(&self, got: &[bool]) -> bool {
        if got == self.kept {
            return true;
        }
        let c = got.iter().filter(|&&k| k).count();
        self.admissible.contains(&c) && self.order[..c].iter().all(|&i| got[i])
    }

    /// The exact filtered distribution: the f64 softmax of `(x − m)/T` over the kept
    /// tokens (`T > 0`), zero elsewhere.
    pub fn probs(&self, x: &[f32], t: f32) -> Vec<f64> {
        assert!(t > 0.0);
        let w: Vec<f64> = x
            .iter()
            .zip(&self.kept)
            .map(|(&v, &k)| {
                if k {
                    ((v as f64 - self.m as f64) / t as f64).exp()
                } else {
                    0.0
                }
            })
            .collect();
        let s: f64 = w.iter().sum();
        w.iter().map(|v| v / s).collect()
    }

    /// `ln Σ_kept exp((x − m)/T)` in f64.
    pub fn ln_mass(&self, x: &[f32], t: f32) -> f64 {
        x.iter()
            .zip(&self.kept)
            .filter(|e| *e.1)
            .map(|(&v, _)| ((v as f64 - self.m as f64) / t as f64).exp())
            .sum::<f64>()
            .ln()
    }
}

/// The unmasked (`> -inf`) indices of `x`, by value descending (ties by index).
pub fn sorted_desc(x: &[f32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..x.len()).filter(|&i| x[i] > f32::NEG_INFINITY).collect();
    order.sort_by(|&a, &b| x[b].total_cmp(&x[a]).then(a.cmp(&b)));
    order
}

/// The reference kept set (see the module docs). `x` must be finite or `-inf`, with
/// at least one finite entry.
pub fn reference_cut(x: &[f32], p: &SamplingParams) -> RefCut {
    reference_cut_sorted(x, &sorted_desc(x), p)
}

/// `reference_cut` with the row's `sorted_desc` order already computed.
pub fn reference_cut_sorted(x: &[f32], order: &[usize], p: &SamplingParams) -> RefCut {
    assert!(!order.is_empty(), "a row with no unmasked token");
    assert!(x.iter().all(|v| !v.is_nan() && *v != f32::INFINITY));
    let m = x[order[0]];
    let finish = |n: usize, admissible: Vec<usize>| {
        let mut kept = vec![false; x.len()];
        for &i in &order[..n] {
            kept[i] = true;
        }
        RefCut {
            kept,
            ambiguous: admissible.len() > 1,
            m,
            order: order.to_vec(),
            admissible,
        }
    };
    if p.temperature == 0.0 {
        let n = order.iter().take_while(|&&i| x[i] == m).count();
        return finish(n, vec![n]);
    }
    let t = p.temperature as f64;
    let z = |i: usize| (x[i] as f64 - m as f64) / t;
    // kept = order[..n], a prefix because every filter keeps a set {x >= v}
    let mut n = order.len();
    if p.min_p > 0.0 {
        let ln_min_p = (p.min_p as f64).ln();
        n = order.iter().take_while(|&&i| z(i) >= ln_min_p).count();
    }
    if p.top_k > 0 && p.top_k < n {
        let v = x[order[p.top_k - 1]];
        n = order[..n].iter().take_while(|&&i| x[i] >= v).count();
    }
    let mut admissible = Vec::new();
    if p.top_p < 1.0 {
        let total: f64 = order[..n].iter().map(|&i| z(i).exp()).sum();
        let target = p.top_p as f64 * total;
        let delta = TOP_P_MARGIN * total;
        let (mut cum, mut prev) = (0.0f64, 0.0f64);
        let mut j = 0;
        let mut cut = None;
        while j < n && prev < target + delta {
            let v = x[order[j]];
            while j < n && x[order[j]] == v {
                cum += z(order[j]).exp();
                j += 1;
            }
            if cut.is_none() && cum >= target {
                cut = Some(j);
            }
            if cum >= target - delta {
                admissible.push(j);
            }
            prev = cum;
        }
        // rounding may leave the target unreached by the f64 sum of every group
        n = cut.unwrap_or(n);
        if !admissible.contains(&n) {
            admissible.push(n);
        }
    } else {
        admissible.push(n);
    }
    finish(n, admissible)
}

/// The reference kept set as a bool vector.
pub fn reference_kept(x: &[f32], p: &SamplingParams) -> Vec<bool> {
    reference_cut(x, p).kept
}

/// The implementation's kept set from a floor: `x_i >= floor` and unmasked.
pub fn kept_from_floor(x: &[f32], floor: f32) -> Vec<bool> {
    x.iter()
        .map(|&v| v >= floor && v > f32::NEG_INFINITY)
        .collect()
}
