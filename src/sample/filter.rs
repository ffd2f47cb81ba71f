//! Per-row sampling parameters and the filters: min-p, top-k and top-p as one floor on
//! the logits, found in O(V) passes without sorting the row; and the log-probabilities
//! of a sampled token.
//!
//! Every filter keeps a set of the form `{i : x_i >= floor}` (ties at a threshold are
//! all kept), so the sample is any method's sample of the row with the entries below
//! the floor masked — the kernels read the floor as they load the logits.

use std::cell::RefCell;

use crate::error::Error;
use crate::simd::Backend;
use crate::simd::element::Element;
use crate::simd::select::{PIVOTS, Ties};
use crate::simd::source::Logits;

use super::{Temperature, inverse_temperature, row_max};

/// The sampling parameters of one row: temperature, then the filters min-p → top-k →
/// top-p (vLLM's order), every tie at a threshold kept.
///
/// With `z = x / T`:
/// 1. **min-p** keeps `z_i >= z_max + ln(min_p)`, i.e. `p_i >= min_p · p_max`
///    (`0` = off);
/// 2. **top-k** keeps every kept token whose `z` is `>=` the `k`-th largest kept `z`
///    (ties at the `k`-th value all kept, so more than `k` can remain; `0` = off);
/// 3. **top-p** renormalises over the kept tokens and keeps the smallest set of largest
///    ones whose probability reaches `top_p`, plus every token tied with the last one
///    (`1` = off);
/// 4. the token is drawn from the softmax of the kept `z`, with the sampler's method.
///
/// `temperature = 0` is greedy argmax, which no filter changes. The kept set depends
/// only on the row's values and these parameters — never on token order, other rows
/// or the method. See `docs/math.md` §6 for why the tie policy matters.
///
/// ```
/// use gumbel::SamplingParams;
///
/// let p = SamplingParams::default().temperature(0.7).top_k(50).top_p(0.9).min_p(0.05);
/// assert_eq!((p.temperature, p.top_k, p.top_p, p.min_p), (0.7, 50, 0.9, 0.05));
/// let d = SamplingParams::default(); // 1.0, off, off, off
/// assert_eq!((d.temperature, d.top_k, d.top_p, d.min_p), (1.0, 0, 1.0, 0.0));
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SamplingParams {
    /// Softmax temperature `T`: finite and `>= 0` (`0` = greedy).
    pub temperature: f32,
    /// Keep the `k` largest (and their ties); `0` = off.
    pub top_k: usize,
    /// Nucleus mass in `(0, 1]`; `1` = off.
    pub top_p: f32,
    /// Minimum probability relative to the most likely token, in `[0, 1]`; `0` = off.
    pub min_p: f32,
}

impl Default for SamplingParams {
    fn default() -> Self {
        SamplingParams {
            temperature: 1.0,
            top_k: 0,
            top_p: 1.0,
            min_p: 0.0,
        }
    }
}

impl SamplingParams {
    /// Set the temperature.
    ///
    /// ```
    /// assert_eq!(gumbel::SamplingParams::default().temperature(0.0).temperature, 0.0);
    /// ```
    pub fn temperature(mut self, t: f32) -> Self {
        self.temperature = t;
        self
    }

    /// Set top-k (`0` = off).
    ///
    /// ```
    /// assert_eq!(gumbel::SamplingParams::default().top_k(40).top_k, 40);
    /// ```
    pub fn top_k(mut self, k: usize) -> Self {
        self.top_k = k;
        self
    }

    /// Set top-p (`1` = off).
    ///
    /// ```
    /// assert_eq!(gumbel::SamplingParams::default().top_p(0.95).top_p, 0.95);
    /// ```
    pub fn top_p(mut self, p: f32) -> Self {
        self.top_p = p;
        self
    }

    /// Set min-p (`0` = off).
    ///
    /// ```
    /// assert_eq!(gumbel::SamplingParams::default().min_p(0.1).min_p, 0.1);
    /// ```
    pub fn min_p(mut self, p: f32) -> Self {
        self.min_p = p;
        self
    }
}

/// The validated parameters of one row.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Filter {
    pub t: Temperature,
    pub top_k: usize,
    pub top_p: f64,
    pub min_p: f64,
}

impl Filter {
    /// Validate `p` for row `row`: the error names the row and the parameter.
    pub(crate) fn new(p: &SamplingParams, row: usize) -> Result<Filter, Error> {
        let bad = |name: &'static str, value: f32| Error::InvalidSamplingParam {
            row,
            name,
            value: value as f64,
        };
        let t = Temperature::new(p.temperature).map_err(|_| bad("temperature", p.temperature))?;
        if !(p.top_p > 0.0 && p.top_p <= 1.0) {
            return Err(bad("top_p", p.top_p));
        }
        if !(p.min_p >= 0.0 && p.min_p <= 1.0) {
            return Err(bad("min_p", p.min_p));
        }
        Ok(Filter {
            t,
            top_k: p.top_k,
            top_p: p.top_p as f64,
            min_p: p.min_p as f64,
        })
    }

    /// Temperature `t`, no filter.
    pub(crate) fn plain(t: Temperature) -> Filter {
        Filter {
            t,
            top_k: 0,
            top_p: 1.0,
            min_p: 0.0,
        }
    }

    /// Whether any filter is on.
    pub(crate) fn active(&self) -> bool {
        self.top_k > 0 || self.top_p < 1.0 || self.min_p > 0.0
    }
}

/// The kept set of a row, `{i : x_i >= floor}`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Cut {
    /// The floor (`-inf`: nothing filtered).
    pub floor: f32,
    /// The row maximum.
    pub m: f32,
    /// `Σ_{kept} exp((x_i − m)/T)` when a filter computed it on the way.
    pub mass: Option<f64>,
}

#[derive(Default)]
struct Scratch {
    top: Vec<(f32, u32)>,
    w: Vec<f32>,
    cand: Vec<(f32, f32)>,
}

thread_local! {
    /// The filters' buffers, reused across rows: no allocation after warm-up.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Pivots of the top-p mass pass, in units of `T` below the maximum.
const PIVOT_GAPS: [f32; PIVOTS] = [0.0, 1.0, 2.0, 3.0, 4.5, 6.5, 9.5, 14.0];

/// The smallest f32 `x` with `(x − m)/T >= ln_min_p` evaluated in f64 (so the min-p
/// kept set is exact for f32 logits).
fn min_p_floor(m: f32, t: f32, ln_min_p: f64) -> f32 {
    let keep = |x: f32| (x as f64 - m as f64) / t as f64 >= ln_min_p;
    let guess = (m as f64 + t as f64 * ln_min_p) as f32;
    let mut f = if guess.is_finite() { guess } else { f32::MIN };
    while !keep(f) {
        f = f.next_up();
    }
    while f > f32::MIN && keep(f.next_down()) {
        f = f.next_down();
    }
    if f == f32::MIN { f32::NEG_INFINITY } else { f }
}

/// The largest value `v` of `c` with `Σ_{c_i >= v} w_i >= target` (f64 sums) and that
/// sum: the top-p cut of the candidates, by a three-way quickselect on the values
/// (expected O(len)). If rounding leaves the target unreached, everything is kept.
fn top_p_cut(c: &mut [(f32, f32)], target: f64) -> (f32, f64) {
    let (mut lo, mut hi) = (0, c.len());
    let (mut need, mut above) = (target, 0.0f64);
    let mut last = f32::NEG_INFINITY;
    loop {
        let part = &mut c[lo..hi];
        if part.len() <= 32 {
            part.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
            let mut i = 0;
            while i < part.len() {
                let v = part[i].0;
                let mut g = 0.0f64;
                while i < part.len() && part[i].0 == v {
                    g += part[i].1 as f64;
                    i += 1;
                }
                above += g;
                need -= g;
                last = v;
                if need <= 0.0 {
                    return (v, above);
                }
            }
            return (last, above);
        }
        let (a, b, d) = (part[0].0, part[part.len() / 2].0, part[part.len() - 1].0);
        let pivot = a.max(b.min(d)).min(b.max(d)); // median of three
        // three-way partition: [> pivot | == pivot | < pivot]
        let (mut gt, mut i, mut lt) = (0, 0, part.len());
        while i < lt {
            if part[i].0 > pivot {
                part.swap(gt, i);
                gt += 1;
                i += 1;
            } else if part[i].0 < pivot {
                lt -= 1;
                part.swap(i, lt);
            } else {
                i += 1;
            }
        }
        let mass = |s: &[(f32, f32)]| s.iter().map(|e| e.1 as f64).sum::<f64>();
        let (m_gt, m_eq) = (mass(&part[..gt]), mass(&part[gt..lt]));
        if m_gt >= need {
            hi = lo + gt;
        } else if m_gt + m_eq >= need {
            return (pivot, above + m_gt + m_eq);
        } else {
            need -= m_gt + m_eq;
            above += m_gt + m_eq;
            last = pivot;
            lo += lt;
        }
    }
}

/// Top-p without top-k: narrow the band `[lo, hi)` that holds the cut from the pivot
/// masses (a guide), refining it with passes over the stored weights `w` while it holds
/// more than 4096 entries, then collect it exactly. Returns the exact mass at or above
/// the band and the mass still needed inside it; `cand` holds the band's entries.
#[allow(clippy::too_many_arguments)]
fn top_p_band<L: Element>(
    b: Backend,
    x: &[L],
    w: &mut [f32],
    cand: &mut Vec<(f32, f32)>,
    pivots: &[f32; PIVOTS],
    masses: &[f64; PIVOTS],
    m: f32,
    t: f32,
    floor: f32,
    target: f64,
) -> (f64, f64) {
    let (mut lo, mut hi) = match masses.iter().position(|&v| v >= target) {
        Some(j) => (pivots[j], pivots[j - 1]), // j > 0: the caller handled the maximum
        None => (floor, pivots[PIVOTS - 1]),
    };
    for _ in 0..3 {
        // below m − 104·T every weight is 0: no need to split that range
        let base = if lo.is_finite() {
            lo
        } else {
            (m - 104.0 * t).max(f32::MIN)
        };
        let sub: [f32; PIVOTS] = core::array::from_fn(|i| match i {
            0 => hi,
            i if i == PIVOTS - 1 => lo,
            i => hi - (hi - base) * i as f32 / (PIVOTS - 1) as f32,
        });
        let (ms, cs) = b.band_stats(x, w, &sub);
        if cs[PIVOTS - 1] - cs[0] <= 4096 {
            break;
        }
        match ms.iter().position(|&v| v >= target) {
            Some(j) if j > 0 => (lo, hi) = (sub[j], sub[j - 1]),
            _ => break, // the guide disagrees with itself: let the exact check decide
        }
    }
    loop {
        cand.clear();
        let above = b.collect_band(x, w, lo, hi, cand);
        let band: f64 = cand.iter().map(|e| e.1 as f64).sum();
        let whole = lo == floor && hi == f32::INFINITY;
        if whole || (above < target && above + band >= target) {
            return (above, target - above);
        }
        // a rounded guide chose a band without the cut: take every kept entry
        (lo, hi) = (floor, f32::INFINITY);
    }
}

/// The kept set of one validated row at temperature `t > 0` under `f` (which has a
/// filter on), from O(V) passes: the row maximum; min-p's floor directly; top-k by a
/// streaming selection of the `k` largest (one compare per vector but for the rare
/// candidates); top-p from one pass of exponentials with the mass above eight pivots,
/// then an exact cut of the candidates above the chosen pivot (f64 sums of the f32
/// weights).
pub(crate) fn cut<L: Element>(
    b: Backend,
    x: &[L],
    f: &Filter,
    t: f32,
    row: usize,
) -> Result<Cut, Error> {
    // top-k alone needs no maximum first (the kernels validate the row as they sample;
    // the maximum is the largest candidate)
    let top_k_only = f.min_p == 0.0 && f.top_p >= 1.0;
    let mut m = if top_k_only {
        f32::NEG_INFINITY
    } else {
        row_max::<Logits, L>(b, x, row)?
    };
    let s = inverse_temperature(t);
    let mut floor = f32::NEG_INFINITY;
    if f.min_p > 0.0 {
        floor = min_p_floor(m, t, f.min_p.ln());
    }
    SCRATCH.with(|sc| {
        let sc = &mut *sc.borrow_mut();
        // exact weights of the kept set, when top-k leaves it in the buffer
        let mut known: Option<usize> = None;
        if f.top_k > 0 {
            let k = f.top_k.min(x.len());
            let top = b.collect_top(x, floor, k, Ties::Count, &mut sc.top);
            let kth = if sc.top.len() >= k {
                let desc = |a: &(f32, u32), b: &(f32, u32)| b.0.total_cmp(&a.0);
                sc.top.select_nth_unstable_by(k - 1, desc);
                Some(sc.top[k - 1].0)
            } else if top.tau > f32::NEG_INFINITY && sc.top.len() + top.eq >= k {
                Some(top.tau)
            } else {
                None // fewer than k kept: top-k keeps them all
            };
            if let Some(v) = kth {
                floor = floor.max(v);
            }
            if top_k_only {
                let best = sc.top.iter().map(|e| e.0).fold(f32::NEG_INFINITY, f32::max);
                m = if top.eq > 0 { best.max(top.tau) } else { best };
                if m == f32::NEG_INFINITY {
                    // nothing unmasked (or only NaN): the sampling kernel reports it
                    return Ok(Cut {
                        floor,
                        m,
                        mass: None,
                    });
                }
            }
            let ties = if top.tau == floor && floor > f32::NEG_INFINITY {
                top.eq
            } else {
                0
            };
            known = Some(ties);
        }
        let mut mass = None;
        if f.top_p < 1.0 {
            sc.cand.clear();
            let mut total_above = 0.0f64;
            let need = match known {
                Some(ties) => {
                    // every kept entry is in the buffer, or equal to the cut and counted
                    let w = |v: f32| ((v - m) * s).exp();
                    sc.cand.extend(
                        sc.top
                            .iter()
                            .filter(|e| e.0 >= floor)
                            .map(|e| (e.0, w(e.0))),
                    );
                    if ties > 0 {
                        sc.cand.push((floor, ties as f32 * w(floor)));
                    }
                    f.top_p * sc.cand.iter().map(|e| e.1 as f64).sum::<f64>()
                }
                None => {
                    sc.w.resize(x.len(), 0.0);
                    let pivots = PIVOT_GAPS.map(|d| (m - d * t).max(floor));
                    let (total, masses) = b.mass_pass(x, floor, m, s, &pivots, &mut sc.w);
                    let target = f.top_p * total;
                    if masses[0] >= target {
                        // the maximum's ties carry the mass (their weights are exactly
                        // 1, so `masses[0]` is their exact count)
                        return Ok(Cut {
                            floor: m,
                            m,
                            mass: Some(masses[0]),
                        });
                    }
                    let (above, need) = top_p_band(
                        b,
                        x,
                        &mut sc.w,
                        &mut sc.cand,
                        &pivots,
                        &masses,
                        m,
                        t,
                        floor,
                        target,
                    );
                    total_above = above;
                    need
                }
            };
            let (v, kept) = top_p_cut(&mut sc.cand, need);
            floor = floor.max(v);
            mass = Some(total_above + kept);
        } else if let Some(ties) = known
            && f.top_k > 0
        {
            let w = |v: f32| (((v - m) * s).exp()) as f64;
            let inside: f64 = sc.top.iter().filter(|e| e.0 >= floor).map(|e| w(e.0)).sum();
            mass = Some(inside + ties as f64 * w(floor));
        }
        Ok(Cut { floor, m, mass })
    })
}

/// The kept set of one row of logits under `params`: the returned floor `θ` keeps
/// exactly the tokens with `x_i >= θ` (`-inf`: every unmasked token). This is the set
/// every sampling call draws from; at temperature 0 it is the row's maximal entries
/// (greedy, which no filter changes).
///
/// # Errors
/// [`Error::EmptyRow`], [`Error::InvalidSamplingParam`] (row 0),
/// [`Error::InvalidLogit`], [`Error::AllMasked`].
///
/// ```
/// use gumbel::{kept_floor, SamplingParams};
///
/// let x = [1.0f32, 4.0, 3.0, 3.0, f32::NEG_INFINITY, 0.0];
/// // top-2 keeps 4 and both 3s: ties at the k-th value are kept
/// assert_eq!(kept_floor(&x, &SamplingParams::default().top_k(2)).unwrap(), 3.0);
/// assert_eq!(kept_floor(&x, &SamplingParams::default()).unwrap(), f32::NEG_INFINITY);
/// ```
pub fn kept_floor<L: Element>(logits: &[L], params: &SamplingParams) -> Result<f32, Error> {
    if logits.is_empty() {
        return Err(Error::EmptyRow);
    }
    let f = Filter::new(params, 0)?;
    let b = Backend::active();
    match f.t {
        Temperature::Greedy => row_max::<Logits, L>(b, logits, 0),
        Temperature::Positive(t) if f.active() => cut(b, logits, &f, t, 0).map(|c| c.floor),
        Temperature::Positive(_) => row_max::<Logits, L>(b, logits, 0).map(|_| f32::NEG_INFINITY),
    }
}

/// The log-probabilities of a sampled token.
///
/// ```
/// let t = gumbel::TokenLogprob::default();
/// assert_eq!((t.logprob, t.raw_logprob, t.rank), (0.0, 0.0, 0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TokenLogprob {
    /// `ln p` under the processed distribution: the softmax at the row's temperature
    /// over the tokens its filters keep (`0` at temperature 0: greedy is certain).
    pub logprob: f32,
    /// `ln p` under the raw logits: `log_softmax(x)` at temperature 1, no filter
    /// (vLLM's default `raw_logprobs`).
    pub raw_logprob: f32,
    /// `1 +` the number of tokens with a strictly larger raw logit: tied tokens share
    /// the best rank (vLLM counts `>=`, so its rank of a tied token is larger).
    pub rank: u32,
}

/// One of a row's top-n raw log-probabilities.
///
/// ```
/// let t = gumbel::TopLogprob::default();
/// assert_eq!(t.token, u32::MAX); // an empty slot
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TopLogprob {
    /// The token id (`u32::MAX` for a slot beyond the row's unmasked tokens).
    pub token: u32,
    /// Its raw log-probability (`-inf` for an empty slot).
    pub logprob: f32,
}

impl Default for TopLogprob {
    fn default() -> Self {
        TopLogprob {
            token: u32::MAX,
            logprob: f32::NEG_INFINITY,
        }
    }
}

/// The most top-n log-probabilities a row can ask for.
pub const MAX_TOP_LOGPROBS: usize = 20;

/// The log-probabilities of token `tok` of a validated row with maximum `m`, and the
/// row's `top.len()` highest raw log-probabilities (descending, ties by lower index).
/// `mass` is the processed `Σ_kept exp((x − m)/T)` if known; `floor` the kept set's.
#[allow(clippy::too_many_arguments)]
pub(crate) fn logprobs<L: Element>(
    b: Backend,
    x: &[L],
    tok: usize,
    m: f32,
    t: Temperature,
    floor: f32,
    mass: Option<f64>,
    top: &mut [TopLogprob],
) -> TokenLogprob {
    let xt = x[tok].to_f32();
    let (raw_sum, greater) = b.exp_sum_count(x, f32::NEG_INFINITY, m, 1.0, xt);
    let ln_raw = raw_sum.ln();
    let raw = (xt as f64 - m as f64) - ln_raw;
    let logprob = match t {
        Temperature::Greedy => 0.0,
        Temperature::Positive(t) => {
            let mass = match mass {
                Some(v) => v,
                None if t == 1.0 && floor == f32::NEG_INFINITY => raw_sum,
                None => {
                    b.exp_sum_count(x, floor, m, inverse_temperature(t), f32::INFINITY)
                        .0
                }
            };
            (xt as f64 - m as f64) / t as f64 - mass.ln()
        }
    };
    if !top.is_empty() {
        SCRATCH.with(|sc| {
            let buf = &mut sc.borrow_mut().top;
            b.collect_top(x, f32::NEG_INFINITY, top.len(), Ties::ByIndex, buf);
            buf.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            for (slot, e) in top
                .iter_mut()
                .zip(buf.iter().chain(std::iter::repeat(&(0.0, u32::MAX))))
            {
                *slot = if e.1 == u32::MAX {
                    TopLogprob::default()
                } else {
                    TopLogprob {
                        token: e.1,
                        logprob: ((e.0 as f64 - m as f64) - ln_raw) as f32,
                    }
                };
            }
        });
    }
    TokenLogprob {
        logprob: logprob as f32,
        raw_logprob: raw as f32,
        rank: (greater + 1).min(u32::MAX as u64) as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_p_floor_is_the_exact_f64_boundary() {
        for (m, t, p) in [
            (3.0f32, 1.0f32, 0.1f64),
            (0.0, 0.5, 0.05),
            (-7.25, 2.0, 0.999),
            (1e30, 1e-3, 0.5),
        ] {
            let f = min_p_floor(m, t, p.ln());
            let keep = |x: f32| (x as f64 - m as f64) / t as f64 >= p.ln();
            assert!(keep(f) && !keep(f.next_down()), "m={m} t={t} p={p} f={f}");
        }
        assert_eq!(min_p_floor(2.0, 1.0, 0.0), 2.0); // min_p = 1 keeps the maximum
    }

    #[test]
    fn top_p_cut_matches_a_sort() {
        let mut s = 12345u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for n in [1usize, 2, 5, 33, 100, 1000] {
            for _ in 0..50 {
                let c: Vec<(f32, f32)> = (0..n)
                    .map(|_| {
                        (
                            (next() % 17) as f32 * 0.5,
                            (next() % 1000) as f32 / 999.0 + 1e-3,
                        )
                    })
                    .collect();
                let total: f64 = c.iter().map(|e| e.1 as f64).sum();
                let target = total * ((next() % 1000) as f64 / 1000.0);
                let mut sorted = c.clone();
                sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
                let want = sorted
                    .iter()
                    .map(|e| e.0)
                    .find(|&v| {
                        sorted
                            .iter()
                            .filter(|e| e.0 >= v)
                            .map(|e| e.1 as f64)
                            .sum::<f64>()
                            >= target
                    })
                    .unwrap();
                let mut cc = c.clone();
                assert_eq!(top_p_cut(&mut cc, target).0, want, "n={n}");
            }
        }
    }
}
