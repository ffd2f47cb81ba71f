//! The kept set of `kept_floor` equals a sort-based f64 reference (min-p → top-k → top-p,
//! ties kept) on rows of many sizes: continuous values, few distinct values (ties), masks,
//! all equal — on the active ISA (`tests/filters.rs` checks every ISA path in one process).
use gumbel::{SamplingParams, kept_floor};
fn reference(x: &[f32], p: &SamplingParams) -> f32 {
    let t = p.temperature as f64;
    let m = x.iter().cloned().fold(f32::NEG_INFINITY, f32::max) as f64;
    let mut v: Vec<f32> = x
        .iter()
        .cloned()
        .filter(|v| *v > f32::NEG_INFINITY)
        .collect();
    v.sort_by(|a, b| b.total_cmp(a));
    if p.min_p > 0.0 {
        let l = (p.min_p as f64).ln();
        v.retain(|&a| (a as f64 - m) / t >= l);
    }
    if p.top_k > 0 && p.top_k < v.len() {
        let k = v[p.top_k - 1];
        v.retain(|&a| a >= k);
    }
    if p.top_p < 1.0 {
        let w: Vec<f64> = v.iter().map(|&a| ((a as f64 - m) / t).exp()).collect();
        let tot: f64 = w.iter().sum();
        let target = p.top_p as f64 * tot;
        let mut c = 0.0;
        let mut cut = v[v.len() - 1];
        for (i, wi) in w.iter().enumerate() {
            c += wi;
            if c >= target {
                cut = v[i];
                break;
            }
        }
        v.retain(|&a| a >= cut);
    }
    if v.len() == x.iter().filter(|v| **v > f32::NEG_INFINITY).count() {
        f32::NEG_INFINITY
    } else {
        *v.last().unwrap()
    }
}
#[test]
fn kept_set_equals_the_sort_based_reference() {
    let mut s = 88172645463325252u64;
    let mut r = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut bad = 0;
    let mut total = 0;
    for &n in &[1usize, 2, 3, 10, 64, 65, 300, 1000, 5000, 32000, 128256] {
        for trial in 0..20 {
            let x: Vec<f32> = (0..n)
                .map(|_| match trial % 4 {
                    0 => ((r() % 1000) as f32 / 100.0) * 3.0,
                    1 => (r() % 5) as f32,
                    2 => {
                        if r() % 7 == 0 {
                            f32::NEG_INFINITY
                        } else {
                            ((r() % 100000) as f32 / 10000.0).sin() * 4.0
                        }
                    }
                    _ => 0.0,
                })
                .collect();
            if x.iter().all(|v| *v == f32::NEG_INFINITY) {
                continue;
            }
            for p in [
                SamplingParams::default().top_k(50),
                SamplingParams::default().top_p(0.9),
                SamplingParams::default().min_p(0.05),
                SamplingParams::default().top_k(50).top_p(0.9),
                SamplingParams::default().top_k(1),
                SamplingParams::default().top_p(1e-6),
                SamplingParams::default().min_p(1.0),
                SamplingParams::default()
                    .temperature(0.5)
                    .top_p(0.5)
                    .min_p(0.01)
                    .top_k(300),
                SamplingParams::default().temperature(2.0).top_p(0.99),
            ] {
                total += 1;
                let got = kept_floor(&x, &p).unwrap();
                let want = reference(&x, &p);
                let ki: Vec<bool> = x
                    .iter()
                    .map(|&v| v >= got && v > f32::NEG_INFINITY)
                    .collect();
                let kr: Vec<bool> = x
                    .iter()
                    .map(|&v| v >= want && v > f32::NEG_INFINITY)
                    .collect();
                if ki != kr {
                    bad += 1;
                    if bad < 10 {
                        eprintln!("n={n} trial={trial} p={p:?} got={got} want={want}");
                    }
                }
            }
        }
    }
    eprintln!("{bad} of {total} differ");
    assert_eq!(bad, 0);
}
