//! The passes behind the filters and log-probabilities: streaming top candidates,
//! exp-mass above a few pivots, candidates with their weights, and a masked exp-sum
//! with a count. Each is one pass over the row, vectorised through [`Values`]; the
//! rare lanes that pass a test are handled one by one.
//!
//! What the passes compute is exact given the f32 exponentials they form (the
//! thresholds themselves are found from these results by scalar code in
//! `sample::filter`).

use super::element::Element;
use super::math;
use super::source::{Floored, Logits, Src, Values, load_block};
use super::vector::{BLOCK, Vector};

/// How [`collect_top`] compacts its buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ties {
    /// Keep the `keep` largest values as a multiset and count the entries equal to
    /// the cut (the value of the `keep`-th largest is what matters: top-k).
    Count,
    /// Keep the `keep` first entries by (value descending, index ascending): the ids
    /// of the top-n log-probabilities.
    ByIndex,
}

/// The state a [`collect_top`] pass ends in: every entry it saw with a value above
/// `tau` is in the buffer; `eq` entries equal `tau` (with [`Ties::Count`], and only
/// when `tau > -inf`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Top {
    /// The cut: no entry at or below it is in the buffer.
    pub tau: f32,
    /// Entries equal to `tau` (counted, not stored).
    pub eq: usize,
}

/// The buffer size at which [`collect_top`] compacts.
fn capacity(keep: usize) -> usize {
    (2 * keep).max(keep + 256)
}

/// Reduce `buf` to its top `keep` entries (see [`Ties`]); returns the new cut and the
/// count of entries equal to it that were dropped.
fn compact(buf: &mut Vec<(f32, u32)>, keep: usize, ties: Ties) -> Top {
    let desc = |a: &(f32, u32), b: &(f32, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    buf.select_nth_unstable_by(keep - 1, desc);
    let v = buf[keep - 1].0;
    match ties {
        Ties::ByIndex => {
            buf.truncate(keep);
            Top { tau: v, eq: 0 }
        }
        Ties::Count => {
            let eq = buf.iter().filter(|e| e.0 == v).count();
            buf.retain(|e| e.0 > v);
            Top { tau: v, eq }
        }
    }
}

/// One pass collecting the row's largest entries above `floor` into `buf` (cleared
/// first): afterwards `buf` holds every entry greater than the returned cut, and,
/// among the entries `>= floor`, the `keep` largest (by value, then by lower index)
/// are those of `buf` plus, with [`Ties::Count`], `eq` entries equal to the cut.
/// A vector costs one compare (two with `Ties::Count`) unless a lane passes; the
/// buffer is compacted whenever it reaches `max(2·keep, keep + 256)`.
///
/// # Safety
/// `V`'s ISA is available; `BV * V::LANES == BLOCK`; `keep >= 1`; `x.len() < 2^32`.
#[inline(always)]
pub(crate) unsafe fn collect_top<V: Vector, L: Element, const BV: usize>(
    x: &[L],
    floor: f32,
    keep: usize,
    ties: Ties,
    buf: &mut Vec<(f32, u32)>,
) -> Top {
    let n = x.len();
    let mut src = Src::<Logits, L>::new(x.as_ptr());
    let cap = capacity(keep);
    buf.clear();
    let mut top = Top { tau: floor, eq: 0 };
    let count_eq = ties == Ties::Count;
    let mut lanes = [0.0f32; 16];
    let mut i = 0;
    // SAFETY: caller contract; `full` reads inside `[0, n)`, `partial` gets
    // `i < n < i + LANES`; `lanes` holds LANES <= 16 values.
    unsafe {
        while i < n {
            let v = if i + V::LANES <= n {
                Values::<V>::full(&mut src, i).0
            } else {
                Values::<V>::partial(&mut src, i, n).0
            };
            let tau = V::splat(top.tau);
            let gt = v.gt(tau);
            if count_eq && top.tau > f32::NEG_INFINITY {
                let eq = v.eq(tau);
                if V::mask_any(eq) {
                    top.eq += V::mask_bits(eq).count_ones() as usize;
                }
            }
            if V::mask_any(gt) {
                v.store(lanes.as_mut_ptr());
                let mut bits = V::mask_bits(gt);
                while bits != 0 {
                    let j = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    buf.push((lanes[j], (i + j) as u32));
                }
                if buf.len() >= cap {
                    top = compact(buf, keep, ties);
                }
            }
            i += V::LANES;
        }
    }
    top
}

/// The number of pivots of [`mass_pass`].
pub(crate) const PIVOTS: usize = 8;

/// One pass over the kept entries (`>= floor`): `w_i = exp((x_i − m)·s)` written to `w`
/// (0 for the others), `Σ w` in f64, and for each pivot `p_j` the mass
/// `Σ_{x_i >= p_j} w_i` (f32 within 1024-value stretches, f64 across: a guide for
/// choosing candidates, re-summed exactly by the caller).
///
/// # Safety
/// `V`'s ISA is available; `BV * V::LANES == BLOCK`; `w.len() == x.len()`.
#[inline(always)]
pub(crate) unsafe fn mass_pass<V: Vector, L: Element, const BV: usize>(
    x: &[L],
    floor: f32,
    m: f32,
    s: f32,
    pivots: &[f32; PIVOTS],
    w: &mut [f32],
) -> (f64, [f64; PIVOTS]) {
    let n = x.len();
    let mut src = Src::<Floored<Logits>, L>::floored(x.as_ptr(), floor);
    let out = w.as_mut_ptr();
    let mut total = 0.0f64;
    let mut masses = [0.0f64; PIVOTS];
    let mut buf = [0.0f32; BLOCK];
    // SAFETY: caller contract; loads stay inside `[0, n)`, full blocks store inside
    // `[0, n)`, the last partial block goes through `buf`.
    unsafe {
        let (mv, sv) = (V::splat(m), V::splat(s));
        let piv = pivots.map(|p| V::splat(p));
        let mut acc = [V::splat(0.0); PIVOTS];
        let mut block = 0usize;
        let mut i = 0;
        while i < n {
            let mut es = [V::splat(0.0); BV];
            let (xs, _) = load_block::<V, _, BV>(&mut src, i / BLOCK, n);
            for (ej, &xv) in es.iter_mut().zip(&xs) {
                let ev = math::exp(xv.sub(mv).mul(sv));
                *ej = ev;
                for (a, p) in acc.iter_mut().zip(&piv) {
                    *a = a.add(V::select(xv.not_lt(*p), ev, V::splat(0.0)));
                }
            }
            total += super::reduce::tree_sum(es).reduce_sum_f64();
            if i + BLOCK <= n {
                for (j, e) in es.iter().enumerate() {
                    e.store(out.add(i + j * V::LANES));
                }
            } else {
                for (j, e) in es.iter().enumerate() {
                    e.store(buf.as_mut_ptr().add(j * V::LANES));
                }
                core::ptr::copy_nonoverlapping(buf.as_ptr(), out.add(i), n - i);
            }
            block += 1;
            i += BLOCK;
            if block.is_multiple_of(16) || i >= n {
                for (a, mass) in acc.iter_mut().zip(masses.iter_mut()) {
                    *mass += a.reduce_sum_f64();
                    *a = V::splat(0.0);
                }
            }
        }
    }
    (total, masses)
}

/// For each pivot `p_j`, the mass `Σ_{x_i >= p_j} w_i` (f32 within 1024-value
/// stretches, f64 across: a guide), and for the first and the last pivot the count of
/// those entries (exact; the others are 0): how the top-p search narrows its band,
/// reading the row and its stored weights.
///
/// # Safety
/// `V`'s ISA is available; `w.len() == x.len()`.
#[inline(always)]
pub(crate) unsafe fn band_stats<V: Vector, L: Element>(
    x: &[L],
    w: &[f32],
    pivots: &[f32; PIVOTS],
) -> ([f64; PIVOTS], [u64; PIVOTS]) {
    let n = x.len();
    let mut src = Src::<Logits, L>::new(x.as_ptr());
    let mut masses = [0.0f64; PIVOTS];
    let mut counts = [0u64; PIVOTS];
    // SAFETY: caller contract; loads inside `[0, n)`, padded past it (`-inf` values,
    // zero weights).
    unsafe {
        let piv = pivots.map(|p| V::splat(p));
        let mut acc = [V::splat(0.0); PIVOTS];
        let mut i = 0;
        let mut k = 0usize;
        while i < n {
            let (xv, wv) = if i + V::LANES <= n {
                (Values::<V>::full(&mut src, i).0, V::load(w.as_ptr().add(i)))
            } else {
                (
                    Values::<V>::partial(&mut src, i, n).0,
                    super::element::load_partial::<V, f32>(w.as_ptr(), i, n, 0.0),
                )
            };
            for (a, p) in acc.iter_mut().zip(&piv) {
                *a = a.add(V::select(xv.not_lt(*p), wv, V::splat(0.0)));
            }
            for j in [0, PIVOTS - 1] {
                counts[j] += V::mask_bits(xv.not_lt(piv[j])).count_ones() as u64;
            }
            i += V::LANES;
            k += 1;
            if k.is_multiple_of(1024 / V::LANES) || i >= n {
                for (a, mass) in acc.iter_mut().zip(masses.iter_mut()) {
                    *mass += a.reduce_sum_f64();
                    *a = V::splat(0.0);
                }
            }
        }
    }
    (masses, counts)
}

/// The entries with `lo <= x_i < hi` appended to `out` as `(x_i, w_i)`; returns the
/// mass `Σ_{x_i >= hi} w_i` (f32 within a 64-block, f64 across).
///
/// # Safety
/// `V`'s ISA is available; `BV * V::LANES == BLOCK`; `w.len() == x.len()`;
/// `x.len() < 2^32`.
#[inline(always)]
pub(crate) unsafe fn collect_band<V: Vector, L: Element, const BV: usize>(
    x: &[L],
    w: &[f32],
    lo: f32,
    hi: f32,
    out: &mut Vec<(f32, f32)>,
) -> f64 {
    let n = x.len();
    let mut src = Src::<Logits, L>::new(x.as_ptr());
    let mut lanes = [0.0f32; 16];
    let mut above = 0.0f64;
    // SAFETY: caller contract; loads inside `[0, n)` (padded past it with `-inf` values
    // and zero weights); `lanes` holds LANES <= 16 values.
    unsafe {
        let (lov, hiv) = (V::splat(lo), V::splat(hi));
        let mut i = 0;
        while i < n {
            let mut acc = [V::splat(0.0); BV];
            for a in acc.iter_mut() {
                if i >= n {
                    break;
                }
                let (xv, wv) = if i + V::LANES <= n {
                    (Values::<V>::full(&mut src, i).0, V::load(w.as_ptr().add(i)))
                } else {
                    (
                        Values::<V>::partial(&mut src, i, n).0,
                        super::element::load_partial::<V, f32>(w.as_ptr(), i, n, 0.0),
                    )
                };
                // the row was validated: no NaN, so `not_lt` is `>=`
                let top = xv.not_lt(hiv);
                *a = V::select(top, wv, V::splat(0.0));
                let band = V::mask_and(xv.not_lt(lov), xv.lt(hiv));
                if V::mask_any(band) {
                    xv.store(lanes.as_mut_ptr());
                    let mut bits = V::mask_bits(band);
                    while bits != 0 {
                        let j = bits.trailing_zeros() as usize;
                        bits &= bits - 1;
                        if i + j < n {
                            out.push((lanes[j], w[i + j]));
                        }
                    }
                }
                i += V::LANES;
            }
            above += super::reduce::tree_sum(acc).reduce_sum_f64();
        }
    }
    above
}

/// `Σ exp((x_i − m)·s)` over the values of `src` (f64 across 64-blocks) and the
/// number of them greater than `v`.
///
/// # Safety
/// `V`'s ISA is available; `BV * V::LANES == BLOCK`; `src` valid for `n` elements.
#[inline(always)]
pub(crate) unsafe fn exp_sum_count<V: Vector, S: Values<V>, const BV: usize>(
    n: usize,
    mut src: S,
    m: f32,
    s: f32,
    v: f32,
) -> (f64, u64) {
    let mut total = 0.0f64;
    let mut count = 0u64;
    // SAFETY: caller contract; loads inside `[0, n)`, padded past it with `-inf`.
    unsafe {
        let (mv, sv, vv) = (V::splat(m), V::splat(s), V::splat(v));
        let mut i = 0;
        while i < n {
            let mut es = [V::splat(0.0); BV];
            let (xs, _) = load_block::<V, _, BV>(&mut src, i / BLOCK, n);
            for (ej, &xv) in es.iter_mut().zip(&xs) {
                count += V::mask_bits(xv.gt(vv)).count_ones() as u64;
                *ej = math::exp(xv.sub(mv).mul(sv));
            }
            total += super::reduce::tree_sum(es).reduce_sum_f64();
            i += BLOCK;
        }
    }
    (total, count)
}
