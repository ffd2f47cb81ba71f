//! Draws the figures of `docs/math.md` with the crate itself and writes them as SVG
//! into `docs/figures/`.
//!
//! ```text
//! cargo run --release --example figures
//! ```
//!
//! Every figure is deterministic: fixed seeds, and the noise statistics are merged in a
//! fixed order whatever the number of threads. About 2^30 noise values are generated
//! for the tail figures; the whole run takes a few seconds on a machine with AVX-512.
//!
//! * `noise_histogram.svg` — histogram of `noise::fill_gumbel` against the exact density,
//!   linear (10^7 values) and log scale (2^30 values, showing the upper tail).
//! * `tail_resolution.svg` — how far the upper tail of the noise reaches: the exact
//!   discrete survival function of this crate's two-sided 32-bit construction and of a
//!   textbook 24-bit uniform, and what that means for a token `Delta` below the top.
//! * `frequencies.svg` — empirical frequencies of the three `Sampler` methods over 10^6
//!   draws against the exact softmax.
//! * `gumbel_softmax_tau.svg` — one Gumbel-softmax sample at several temperatures.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Instant;

use gumbel::noise::{fill_gumbel, gumbel_from_bits};
use gumbel::{Gumbel, Method, Sampler, gumbel_softmax, softmax};
use plotters::prelude::*;

type Res<T = ()> = Result<T, Box<dyn Error>>;

const FONT: &str = "sans-serif";

/// A chart on `area` with the layout every panel here shares.
fn frame<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, plotters::coord::Shift>,
    title: &'b str,
) -> ChartBuilder<'a, 'b, DB> {
    let mut b = ChartBuilder::on(area);
    b.caption(title, (FONT, 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55);
    b
}

/// The series legend, in the style every panel here shares.
fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    size: u32,
) -> Res
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, size))
        .draw()?;
    Ok(())
}
const C_BLUE: RGBColor = RGBColor(31, 119, 180);
const C_ORANGE: RGBColor = RGBColor(255, 127, 14);
const C_GREEN: RGBColor = RGBColor(44, 160, 44);
const C_RED: RGBColor = RGBColor(214, 39, 40);
const C_GREY: RGBColor = RGBColor(150, 150, 150);

const TWO_32: f64 = 4_294_967_296.0;
const TWO_24: f64 = 16_777_216.0;

/// Largest standard Gumbel value of a 24-bit uniform `u = k·2^-24`, `0 < k < 2^24`.
fn g24_max() -> f64 {
    g24(1.0)
}

/// The `m`-th largest value (`m = 1, 2, ...`) of `-ln(-ln u)` for the 24-bit uniform
/// grid `u = k·2^-24`, `0 < k < 2^24`: `u = 1 - m·2^-24`, evaluated accurately in f64.
fn g24(m: f64) -> f64 {
    -(-(-m / TWO_24).ln_1p()).ln()
}

/// The `m`-th largest value (`m = 1 ..= 2^32`) this crate produces from 32 random bits:
/// the bits are `2^32 - m` (the map is increasing in the bits).
fn g32_values(ms: &[f64]) -> Vec<f64> {
    let bits: Vec<u32> = ms.iter().map(|&m| (TWO_32 - m.round()) as u32).collect();
    let mut out = vec![0.0f32; bits.len()];
    gumbel_from_bits(&bits, &mut out).unwrap();
    out.into_iter().map(f64::from).collect()
}

/// Largest and smallest values of the crate's noise (bits `u32::MAX` and `0`).
fn g32_extremes() -> (f64, f64) {
    let mut g = [0.0f32; 2];
    gumbel_from_bits(&[u32::MAX, 0], &mut g).unwrap();
    (f64::from(g[0]), f64::from(g[1]))
}

// ---------------------------------------------------------------------------------------
// noise statistics

const HIST_LO: f32 = -4.0;
const HIST_BINS_PER_UNIT: f32 = 20.0; // bins of width 0.05
const HIST_BINS: usize = 28 * 20; // [-4, 24)

/// Histogram and moments of a run of noise values.
struct NoiseStats {
    counts: Vec<u64>,
    n: u64,
    min: f32,
    max: f32,
    mean: f64,
    var: f64,
}

impl NoiseStats {
    fn bin_width() -> f64 {
        1.0 / f64::from(HIST_BINS_PER_UNIT)
    }
    fn edge(i: usize) -> f64 {
        f64::from(HIST_LO) + i as f64 * Self::bin_width()
    }
    /// `(left edge, right edge, density)` for bins merged `factor` at a time.
    fn density(&self, factor: usize) -> Vec<(f64, f64, f64)> {
        let w = Self::bin_width() * factor as f64;
        self.counts
            .chunks(factor)
            .enumerate()
            .map(|(j, c)| {
                let lo = Self::edge(j * factor);
                (
                    lo,
                    lo + w,
                    c.iter().sum::<u64>() as f64 / (self.n as f64 * w),
                )
            })
            .collect()
    }
    /// Empirical `P(G > edge)` at every bin edge (merged `factor` at a time).
    fn survival(&self, factor: usize) -> Vec<(f64, f64)> {
        let mut above = 0u64;
        let mut out = Vec::new();
        for i in (0..self.counts.len()).rev() {
            above += self.counts[i];
            if i % factor == 0 {
                out.push((Self::edge(i), above as f64 / self.n as f64));
            }
        }
        out.reverse();
        out
    }
}

/// `fill_gumbel(seed, s, ..)` for streams `s = 0..streams`, `per_stream` values each,
/// binned in parallel. Counts are integers and the moments are merged in stream order,
/// so the result does not depend on the number of threads.
fn noise_stats(seed: u64, streams: u64, per_stream: usize) -> NoiseStats {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(16) as u64;
    type Part = (Vec<u64>, Vec<(u64, f64, f64)>, f32, f32);
    let parts: Vec<Part> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let mut counts = vec![0u64; HIST_BINS];
                    let mut sums = Vec::new();
                    let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
                    let mut buf = vec![0.0f32; per_stream];
                    for s in (t..streams).step_by(threads as usize) {
                        fill_gumbel(seed, s, &mut buf);
                        let (mut s1, mut s2) = (0.0f64, 0.0f64);
                        for &g in &buf {
                            counts[((g - HIST_LO) * HIST_BINS_PER_UNIT) as usize] += 1;
                            lo = lo.min(g);
                            hi = hi.max(g);
                            let g = f64::from(g);
                            s1 += g;
                            s2 += g * g;
                        }
                        sums.push((s, s1, s2));
                    }
                    (counts, sums, lo, hi)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("noise thread"))
            .collect()
    });
    let mut counts = vec![0u64; HIST_BINS];
    let mut sums = Vec::new();
    let (mut min, mut max) = (f32::INFINITY, f32::NEG_INFINITY);
    for (c, s, lo, hi) in parts {
        for (a, b) in counts.iter_mut().zip(c) {
            *a += b;
        }
        sums.extend(s);
        min = min.min(lo);
        max = max.max(hi);
    }
    sums.sort_by_key(|s| s.0);
    let n = streams * per_stream as u64;
    let (s1, s2) = sums.iter().fold((0.0, 0.0), |(a, b), s| (a + s.1, b + s.2));
    let mean = s1 / n as f64;
    NoiseStats {
        counts,
        n,
        min,
        max,
        mean,
        var: s2 / n as f64 - mean * mean,
    }
}

// ---------------------------------------------------------------------------------------
// plotting helpers

fn legend_line(c: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    legend_path(c.stroke_width(2))
}

fn legend_path(style: ShapeStyle) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style)
}

fn legend_box(style: ShapeStyle) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x + 4, y - 5), (x + 16, y + 5)], style)
}

fn legend_dot(c: RGBColor) -> impl Fn((i32, i32)) -> Circle<(i32, i32), i32> {
    move |(x, y)| Circle::new((x + 10, y), 3, c.filled())
}

/// `1e-10` style labels for a log axis.
fn pow10_label(v: &f64) -> String {
    let e = v.log10();
    if (e - e.round()).abs() < 1e-9 {
        format!("1e{}", e.round() as i32)
    } else {
        String::new()
    }
}

fn svg_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

// ---------------------------------------------------------------------------------------
// figure 1: histogram of the noise

fn noise_histogram(dir: &Path, small: &NoiseStats, big: &NoiseStats) -> Res {
    let g = Gumbel::STANDARD;
    let (gmax, gmin) = g32_extremes();
    let path = svg_path(dir, "noise_histogram.svg");
    let root = SVGBackend::new(&path, (1150, 470)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(560);

    // linear: 10^7 values, bins of 0.1
    let mut chart = frame(&left, "fill_gumbel: 10^7 values vs exact density")
        .build_cartesian_2d(-4.0f64..10.0, 0.0f64..0.42)?;
    chart
        .configure_mesh()
        .x_desc("g")
        .y_desc("density")
        .light_line_style(WHITE)
        .draw()?;
    let bins = small.density(2);
    let bar = C_BLUE.mix(0.35).filled();
    chart
        .draw_series(
            bins.iter()
                .filter(|b| b.1 <= 10.0)
                .map(|&(lo, hi, d)| Rectangle::new([(lo, 0.0), (hi, d)], bar)),
        )?
        .label(format!(
            "histogram (mean {:.4}, var {:.4})",
            small.mean, small.var
        ))
        .legend(legend_box(bar));
    chart
        .draw_series(LineSeries::new(
            (0..=700).map(|i| {
                let x = -4.0 + i as f64 * 0.02;
                (x, g.pdf(x))
            }),
            BLACK.stroke_width(2),
        ))?
        .label(format!(
            "exact pdf exp(-(x + e^-x)) (mean {:.4}, var {:.4})",
            g.mean(),
            g.variance()
        ))
        .legend(legend_line(BLACK));
    legend(&mut chart, SeriesLabelPosition::UpperRight, 13)?;

    // log scale: 2^30 values, bins of 0.25
    let mut chart = frame(&right, "log scale: 2^30 values, the upper tail")
        .build_cartesian_2d(-4.0f64..24.0, (1e-10f64..1e2).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("g")
        .y_desc("density")
        .y_label_formatter(&pow10_label)
        .light_line_style(WHITE)
        .draw()?;
    let dens: Vec<(f64, f64, f64)> = big.density(5).into_iter().filter(|b| b.2 > 0.0).collect();
    // +-1 standard deviation of a Poisson count: the tail points are a handful of counts
    let per_count = 1.0 / (big.n as f64 * 0.25);
    chart.draw_series(dens.iter().map(|&(lo, hi, d)| {
        let c = d / per_count;
        let x = 0.5 * (lo + hi);
        PathElement::new(
            vec![
                (x, ((c - c.sqrt()) * per_count).max(1e-10)),
                (x, (c + c.sqrt()) * per_count),
            ],
            C_BLUE.mix(0.6).stroke_width(1),
        )
    }))?;
    chart
        .draw_series(
            dens.iter()
                .map(|&(lo, hi, d)| Circle::new((0.5 * (lo + hi), d), 3, C_BLUE.filled())),
        )?
        .label(format!(
            "fill_gumbel, 2^30 values, bins of 0.25, +-1 sd (max seen {:.2})",
            big.max
        ))
        .legend(legend_dot(C_BLUE));
    chart
        .draw_series(DashedLineSeries::new(
            [(-4.0, per_count), (24.0, per_count)],
            3,
            3,
            C_BLUE.mix(0.5).stroke_width(1),
        ))?
        .label("one count per bin")
        .legend(legend_path(C_BLUE.mix(0.5).stroke_width(1)));
    chart
        .draw_series(LineSeries::new(
            (0..=1400).map(|i| {
                let x = -4.0 + i as f64 * 0.02;
                (x, g.pdf(x))
            }),
            BLACK.stroke_width(2),
        ))?
        .label("exact pdf")
        .legend(legend_line(BLACK));
    for (x, what, dx, y) in [(gmin, "min", 0.3, 12.0), (gmax, "max", -3.7, 1e-5)] {
        chart.draw_series(DashedLineSeries::new(
            [(x, 1e-10), (x, 1e2)],
            6,
            4,
            C_GREY.stroke_width(1),
        ))?;
        chart.draw_series(std::iter::once(Text::new(
            format!("{what} {x:.2}"),
            (x + dx, y),
            (FONT, 13).into_font().color(&C_GREY),
        )))?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight, 13)?;
    root.present()?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// figure 2: tail resolution

/// Sorted distances from the top, `1 ..= n`: every one up to 256, then geometric.
fn top_ranks(n: f64) -> Vec<f64> {
    let mut ms: Vec<f64> = (1..=256).map(f64::from).collect();
    let mut m = 256.0f64;
    while m < n {
        m = (m * 1.03).ceil().min(n);
        ms.push(m);
    }
    ms
}

/// The survival function `P(G > t)` of a discrete noise whose `m`-th largest value is
/// `values[k]` for `m = ms[k]` (out of `atoms`), as a staircase, clipped to `t >= 0`
/// and ending with a drop to `floor` at the largest value.
fn staircase(ms: &[f64], values: &[f64], atoms: f64, floor: f64) -> Vec<(f64, f64)> {
    let mut pts = Vec::new();
    for k in (1..ms.len()).rev() {
        let p = ms[k - 1] / atoms;
        pts.push((values[k], p));
        pts.push((values[k - 1], p));
    }
    pts.push((values[0], floor));
    pts.retain(|p| p.0 >= 0.0);
    pts
}

/// Sample points per octave of ranks beyond the 2^16 largest atoms.
const GROUP: usize = 1024;

/// A discrete noise distribution, for the chance that a token `Delta` below the top wins
/// a two-token Gumbel-max draw: summed atom by atom over the 2^16 largest values (where
/// the tail is decided), by a fine quadrature over the rest (relative error ~1e-7
/// against `1/(1 + e^Delta)` where the noise is resolved).
struct Discrete {
    atoms: f64,
    /// `(weight in atoms, value)` over all atoms: the 2^16 largest one by one, the rest
    /// in geometric groups of `GROUP` sample points each.
    atoms_by_rank: Vec<(f64, f64)>,
    /// Number of atoms strictly below `y`.
    below: fn(f64) -> f64,
}

impl Discrete {
    fn new(atoms: f64, value: impl Fn(&[f64]) -> Vec<f64>, below: fn(f64) -> f64) -> Discrete {
        let mut ranks: Vec<(f64, f64)> = (1..=1u32 << 16).map(|m| (1.0, f64::from(m))).collect();
        let mut k = 16;
        while 2f64.powi(k) < atoms {
            let lo = 2f64.powi(k);
            let width = (2f64.powi(k + 1)).min(atoms) - lo;
            for j in 0..GROUP {
                let g = GROUP as f64;
                ranks.push((width / g, lo + (j as f64 + 0.5) * width / g));
            }
            k += 1;
        }
        let ms: Vec<f64> = ranks.iter().map(|r| r.1).collect();
        let vals = value(&ms);
        Discrete {
            atoms,
            atoms_by_rank: ranks.iter().zip(vals).map(|(r, v)| (r.0, v)).collect(),
            below,
        }
    }

    /// `P(G1 - G2 > delta)` for independent `G1`, `G2` of this distribution: the chance
    /// that a token with logit `x - delta` beats one with logit `x`.
    fn win(&self, delta: f64) -> f64 {
        let s: f64 = self
            .atoms_by_rank
            .iter()
            .map(|&(w, v)| w * (self.below)(v - delta))
            .sum();
        s / (self.atoms * self.atoms)
    }
}

/// Atoms of the crate's noise strictly below `y`: `U = (j + 1/2)·2^-32 < exp(-e^-y)` (the
/// construction in exact arithmetic; the f32 values differ by less than 2e-6).
fn below32(y: f64) -> f64 {
    let q = (-(-y).exp()).exp();
    (q * TWO_32 - 0.5).ceil().clamp(0.0, TWO_32)
}

/// Atoms of the 24-bit noise strictly below `y`: `U = j·2^-24 < exp(-e^-y)`, `0 < j`
/// (`u = 0` excluded, as by an open-interval generator; it would give `-inf`).
fn below24(y: f64) -> f64 {
    let q = (-(-y).exp()).exp();
    ((q * TWO_24).ceil() - 1.0).clamp(0.0, TWO_24 - 1.0)
}

fn tail_resolution(dir: &Path, big: &NoiseStats) -> Res {
    let g = Gumbel::STANDARD;
    let (gmax, gmin) = g32_extremes();
    let g24max = g24_max();
    let g24min = -(-(1.0 / TWO_24).ln()).ln();
    let floor = 1e-12;

    let path = svg_path(dir, "tail_resolution.svg");
    let root = SVGBackend::new(&path, (1150, 470)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(575);

    // left: survival functions
    let mut chart = frame(&left, "upper tail of the noise: P(G > t)")
        .build_cartesian_2d(0.0f64..25.0, (floor..1.0).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("t")
        .y_desc("P(G > t)")
        .y_label_formatter(&pow10_label)
        .light_line_style(WHITE)
        .draw()?;
    chart
        .draw_series(LineSeries::new(
            (0..=500).map(|i| {
                let t = i as f64 * 0.05;
                (t, g.sf(t))
            }),
            BLACK.stroke_width(2),
        ))?
        .label("exact: 1 - exp(-e^-t)")
        .legend(legend_line(BLACK));

    let ms32 = top_ranks(TWO_32);
    let v32 = g32_values(&ms32);
    chart
        .draw_series(LineSeries::new(
            staircase(&ms32, &v32, TWO_32, floor),
            C_BLUE.stroke_width(2),
        ))?
        .label(format!(
            "this crate, 32-bit two-sided (exact discrete tail): max {gmax:.2}"
        ))
        .legend(legend_line(C_BLUE));
    let ms24 = top_ranks(TWO_24 - 1.0);
    let v24: Vec<f64> = ms24.iter().map(|&m| g24(m)).collect();
    chart
        .draw_series(LineSeries::new(
            staircase(&ms24, &v24, TWO_24 - 1.0, floor),
            C_RED.stroke_width(2),
        ))?
        .label(format!("-ln(-ln u), u on a 24-bit grid: max {g24max:.2}"))
        .legend(legend_line(C_RED));
    let emp: Vec<(f64, f64)> = big
        .survival(10)
        .into_iter()
        .filter(|p| p.0 >= 0.0 && p.1 > 0.0)
        .collect();
    let n = big.n as f64;
    chart.draw_series(emp.iter().map(|&(t, p)| {
        let c = p * n;
        PathElement::new(
            vec![
                (t, ((c - c.sqrt()) / n).max(floor)),
                (t, (c + c.sqrt()) / n),
            ],
            C_BLUE.mix(0.6).stroke_width(1),
        )
    }))?;
    chart
        .draw_series(
            emp.iter()
                .map(|&p| Circle::new(p, 3, C_BLUE.stroke_width(1))),
        )?
        .label("fill_gumbel, 2^30 samples, +-1 sd")
        .legend(move |(x, y)| Circle::new((x + 10, y), 3, C_BLUE.stroke_width(1)));
    legend(&mut chart, SeriesLabelPosition::LowerLeft, 12)?;

    // right: the chance that a token Delta below the top wins (two tokens)
    let d32 = Discrete::new(TWO_32, g32_values, below32);
    let d24 = Discrete::new(
        TWO_24 - 1.0,
        |ms| ms.iter().map(|&m| g24(m)).collect(),
        below24,
    );
    let exact = |d: f64| 1.0 / (1.0 + d.exp());
    let deltas: Vec<f64> = (0..=600).map(|i| i as f64 * 0.05).collect();
    let curve = |d: &Discrete| -> Vec<(f64, f64)> {
        let mut pts: Vec<(f64, f64)> = deltas
            .iter()
            .map(|&x| (x, d.win(x)))
            .take_while(|p| p.1 > 0.0)
            .collect();
        let last = pts.last().map_or(0.0, |p| p.0);
        pts.push((last, 1e-16));
        pts
    };
    let c32 = curve(&d32);
    let c24 = curve(&d24);
    // relative deviation from the exact 1/(1 + e^Delta): the quadrature is accurate to
    // ~1e-7 where the noise is resolved, so what remains is the construction's own error
    for (name, d) in [("32-bit", &d32), ("24-bit", &d24)] {
        let dev: Vec<String> = [4.0, 8.0, 12.0, 16.0, 18.0]
            .iter()
            .map(|&x| format!("{x}: {:+.1e}", d.win(x) / exact(x) - 1.0))
            .collect();
        println!("  {name} P(win)/exact - 1 at Delta {}", dev.join(", "));
    }
    println!(
        "  reachable Delta: 32-bit {:.2} (= {gmax:.2} + {:.2}), 24-bit {:.2} (= {g24max:.2} + {:.2})",
        gmax - gmin,
        -gmin,
        g24max - g24min,
        -g24min
    );

    let mut chart = frame(&right, "P(token Delta below the top wins), 2 tokens")
        .build_cartesian_2d(0.0f64..30.0, (1e-16f64..1.0).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("Delta = x_top - x_token")
        .y_desc("P(win)")
        .y_label_formatter(&pow10_label)
        .light_line_style(WHITE)
        .draw()?;
    chart
        .draw_series(LineSeries::new(
            deltas.iter().map(|&x| (x, exact(x))),
            BLACK.stroke_width(2),
        ))?
        .label("exact: 1 / (1 + e^Delta)")
        .legend(legend_line(BLACK));
    chart
        .draw_series(LineSeries::new(c32, C_BLUE.stroke_width(2)))?
        .label(format!("this crate: unreachable beyond {:.2}", gmax - gmin))
        .legend(legend_line(C_BLUE));
    chart
        .draw_series(LineSeries::new(c24, C_RED.stroke_width(2)))?
        .label(format!(
            "24-bit uniform: unreachable beyond {:.2}",
            g24max - g24min
        ))
        .legend(legend_line(C_RED));
    legend(&mut chart, SeriesLabelPosition::UpperRight, 12)?;
    root.present()?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// figure 3: frequencies of the three samplers

fn frequencies(dir: &Path) -> Res {
    let logits = [1.5f32, 0.2, 2.3, -1.0, 0.9, f32::NEG_INFINITY, -0.4, -2.5];
    let k = logits.len();
    let draws = 1_000_000usize;
    let mut p = vec![0.0f32; k];
    softmax(&logits, &mut p)?;
    // exact probabilities in f64
    let m = logits
        .iter()
        .fold(f64::NEG_INFINITY, |a, &b| a.max(f64::from(b)));
    let e: Vec<f64> = logits.iter().map(|&x| (f64::from(x) - m).exp()).collect();
    let z: f64 = e.iter().sum();
    let p: Vec<f64> = e.iter().map(|v| v / z).collect();

    let batch: Vec<f32> = logits.iter().copied().cycle().take(k * draws).collect();
    let methods = [
        (Method::GumbelMax, "Gumbel-max (noise ring)", C_BLUE),
        (Method::GumbelMaxFused, "Gumbel-max (fused)", C_ORANGE),
        (Method::SoftmaxRoulette, "softmax + roulette", C_GREEN),
    ];
    let mut results = Vec::new();
    for (i, &(method, name, color)) in methods.iter().enumerate() {
        let mut sampler = Sampler::new(20_240 + i as u64).method(method);
        sampler.refill();
        let mut out = vec![0u32; draws];
        sampler.sample_batch(&batch, k, &mut out)?;
        let mut counts = vec![0u64; k];
        for &t in &out {
            counts[t as usize] += 1;
        }
        let n = draws as f64;
        let chi2: f64 = (0..k)
            .filter(|&j| p[j] > 0.0)
            .map(|j| (counts[j] as f64 - n * p[j]).powi(2) / (n * p[j]))
            .sum();
        println!("  {name}: counts {counts:?}, chi2 = {chi2:.2} (6 dof)");
        results.push((name, color, counts, chi2));
    }

    let path = svg_path(dir, "frequencies.svg");
    let root = SVGBackend::new(&path, (950, 720)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, bottom) = root.split_vertically(430);
    let label = |v: &f64| {
        let i = v.round();
        if (v - i).abs() < 1e-6 && (0.0..k as f64).contains(&i) {
            format!("{} ({})", i as usize, logits[i as usize])
        } else {
            String::new()
        }
    };

    let mut chart = ChartBuilder::on(&top)
        .caption(
            "10^6 draws per method vs the exact softmax (logits in brackets)",
            (FONT, 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(-0.6f64..7.6, 0.0f64..0.6)?;
    chart
        .configure_mesh()
        .x_labels(9)
        .x_label_formatter(&label)
        .x_desc("token (logit)")
        .y_desc("probability")
        .disable_x_mesh()
        .light_line_style(WHITE)
        .draw()?;
    let w = 0.19;
    let exact_style = BLACK.mix(0.55).filled();
    chart
        .draw_series((0..k).map(|j| {
            let x = j as f64 - 1.5 * w;
            Rectangle::new([(x - w / 2.0, 0.0), (x + w / 2.0, p[j])], exact_style)
        }))?
        .label("exact softmax(x)")
        .legend(legend_box(exact_style));
    for (i, (name, color, counts, chi2)) in results.iter().enumerate() {
        let style = color.filled();
        chart
            .draw_series((0..k).map(|j| {
                let x = j as f64 + (i as f64 - 0.5) * w;
                let f = counts[j] as f64 / draws as f64;
                Rectangle::new([(x - w / 2.0, 0.0), (x + w / 2.0, f)], style)
            }))?
            .label(format!("{name}: chi2 = {chi2:.1}, 6 dof"))
            .legend(legend_box(style));
    }
    chart.draw_series(std::iter::once(Text::new(
        "masked: 0 draws",
        (4.62, 0.03),
        (FONT, 13).into_font(),
    )))?;
    legend(&mut chart, SeriesLabelPosition::UpperRight, 13)?;

    // bottom: standardised deviations
    let mut chart = ChartBuilder::on(&bottom)
        .caption(
            "(frequency - p) / sqrt(p(1 - p)/n): within +-2 about 95% of the time",
            (FONT, 16),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(-0.6f64..7.6, -4.0f64..4.0)?;
    chart
        .configure_mesh()
        .x_labels(9)
        .x_label_formatter(&label)
        .x_desc("token (logit)")
        .y_desc("z-score")
        .disable_x_mesh()
        .light_line_style(WHITE)
        .draw()?;
    for y in [-2.0, 2.0] {
        chart.draw_series(DashedLineSeries::new(
            [(-0.6, y), (7.6, y)],
            6,
            4,
            C_GREY.stroke_width(1),
        ))?;
    }
    chart.draw_series(LineSeries::new([(-0.6, 0.0), (7.6, 0.0)], BLACK.mix(0.5)))?;
    for (i, (_, color, counts, _)) in results.iter().enumerate() {
        chart.draw_series((0..k).filter(|&j| p[j] > 0.0).map(|j| {
            let n = draws as f64;
            let zs = (counts[j] as f64 / n - p[j]) / (p[j] * (1.0 - p[j]) / n).sqrt();
            Circle::new((j as f64 + (i as f64 - 1.0) * w, zs), 4, color.filled())
        }))?;
    }
    root.present()?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// figure 4: Gumbel-softmax at several temperatures

fn gumbel_softmax_tau(dir: &Path) -> Res {
    let logits = [1.0f32, 2.2, 0.3, -0.5, 1.8, 0.0, -1.2, 0.7, 1.1, -0.3];
    let k = logits.len();
    let mode = (0..k).fold(0, |b, i| if logits[i] > logits[b] { i } else { b });
    // A sample is not the mode: use the first noise stream (of seed 5) whose hard sample
    // argmax(x + g) differs from argmax(x), so that the figure shows the difference.
    let mut noise = vec![0.0f32; k];
    let mut y = vec![0.0f32; k];
    let stream = (0u64..)
        .find(|&s| {
            fill_gumbel(5, s, &mut noise);
            gumbel_softmax(&logits, &noise, 1.0, &mut y).is_ok_and(|hard| hard != mode)
        })
        .expect("some stream");

    let mut panels: Vec<(String, Vec<f32>, usize)> = Vec::new();
    let mut p = vec![0.0f32; k];
    softmax(&logits, &mut p)?;
    let entropy = |y: &[f32]| -> f64 {
        y.iter()
            .filter(|&&v| v > 0.0)
            .map(|&v| -f64::from(v) * f64::from(v).ln())
            .sum()
    };
    panels.push((
        format!("softmax(x), no noise: H = {:.2}", entropy(&p)),
        p.clone(),
        mode,
    ));
    for tau in [0.1f32, 0.5, 1.0, 5.0, 50.0] {
        let mut y = vec![0.0f32; k];
        let hard = gumbel_softmax(&logits, &noise, tau, &mut y)?;
        panels.push((format!("tau = {tau}: H = {:.2}", entropy(&y)), y, hard));
    }
    println!(
        "  noise stream {stream}; mode of x: {mode}; hard sample argmax(x + g): {}; max entropy ln 10 = {:.2}",
        panels[1].2,
        10f64.ln()
    );

    let path = svg_path(dir, "gumbel_softmax_tau.svg");
    let root = SVGBackend::new(&path, (1150, 640)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        "y = softmax((x + g) / tau) for one noise draw g; orange: argmax(x + g), green: mode argmax(x); H in nats",
        (FONT, 18),
    )?;
    for (i, (area, (title, y, hi))) in root.split_evenly((2, 3)).iter().zip(&panels).enumerate() {
        let mut chart = ChartBuilder::on(area)
            .caption(title, (FONT, 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d(-0.6f64..9.6, 0.0f64..1.05)?;
        let fmt = |v: &f64| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && (0.0..10.0).contains(&i) {
                format!("{}", i as usize)
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .x_labels(11)
            .x_label_formatter(&fmt)
            .disable_x_mesh()
            .light_line_style(WHITE)
            .draw()?;
        chart.draw_series((0..k).map(|j| {
            let style = if j == *hi {
                if i == 0 { C_GREEN } else { C_ORANGE }.filled()
            } else {
                C_BLUE.mix(0.6).filled()
            };
            let x = j as f64;
            Rectangle::new([(x - 0.35, 0.0), (x + 0.35, f64::from(y[j]))], style)
        }))?;
        chart.draw_series(DashedLineSeries::new(
            [(-0.6, 0.1), (9.6, 0.1)],
            6,
            4,
            C_GREY.stroke_width(1),
        ))?;
    }
    root.present()?;
    Ok(())
}

fn main() -> Res {
    let start = Instant::now();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join("figures");
    std::fs::create_dir_all(&dir)?;

    let t = Instant::now();
    let small = noise_stats(1, 10, 1_000_000);
    let big = noise_stats(2, 1 << 10, 1 << 20);
    println!(
        "noise: 10^7 + 2^30 values in {:.2} s; 2^30 run: min {}, max {}, mean {:.5}, var {:.5}",
        t.elapsed().as_secs_f64(),
        big.min,
        big.max,
        big.mean,
        big.var
    );

    let steps: [(&str, &dyn Fn() -> Res); 4] = [
        ("noise_histogram.svg", &|| {
            noise_histogram(&dir, &small, &big)
        }),
        ("tail_resolution.svg", &|| tail_resolution(&dir, &big)),
        ("frequencies.svg", &|| frequencies(&dir)),
        ("gumbel_softmax_tau.svg", &|| gumbel_softmax_tau(&dir)),
    ];
    for (name, f) in steps {
        let t = Instant::now();
        println!("{name}:");
        f()?;
        let bytes = std::fs::metadata(dir.join(name))?.len();
        println!(
            "  wrote {} ({bytes} bytes) in {:.2} s",
            dir.join(name).display(),
            t.elapsed().as_secs_f64()
        );
    }
    println!("total {:.2} s", start.elapsed().as_secs_f64());
    Ok(())
}
