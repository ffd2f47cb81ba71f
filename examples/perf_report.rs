//! Runs the criterion benches and turns their saved estimates into
//! `docs/performance.md` and the SVG plots in `docs/figures/`.
//!
//! ```text
//! cargo run --release --example perf_report              # run every bench, then write the report
//! cargo run --release --example perf_report -- --no-run  # rewrite it from target/criterion
//! ```
//!
//! Every figure in the report is read from criterion's `new/estimates.json` (the median)
//! of the run; ratios are taken between benches of the same run.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use plotters::prelude::*;

const BENCHES: [&str; 4] = ["math", "sampling", "relaxed", "many"];

/// One benchmark's median time.
#[derive(Clone, Debug)]
struct Est {
    /// `group/function[/value]`
    id: String,
    elements: u64,
    median_ns: f64,
}

impl Est {
    fn ns_per_elt(&self) -> f64 {
        self.median_ns / self.elements.max(1) as f64
    }
}

fn field<'a>(json: &'a str, key: &str) -> Option<&'a str> {
    let k = format!("\"{key}\":");
    let start = json.find(&k)? + k.len();
    let rest = &json[start..];
    if let Some(stripped) = rest.strip_prefix('"') {
        stripped.find('"').map(|e| &stripped[..e])
    } else {
        let end = rest.find([',', '}']).unwrap_or(rest.len());
        Some(rest[..end].trim())
    }
}

fn load(root: &Path) -> BTreeMap<String, Est> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n == "new") {
                    if let Some(est) = read_one(&p) {
                        out.insert(est.id.clone(), est);
                    }
                } else {
                    stack.push(p);
                }
            }
        }
    }
    out
}

fn read_one(new_dir: &Path) -> Option<Est> {
    let b = std::fs::read_to_string(new_dir.join("benchmark.json")).ok()?;
    let e = std::fs::read_to_string(new_dir.join("estimates.json")).ok()?;
    let id = field(&b, "full_id")?.to_string();
    let elements = b.find("\"Elements\":").and_then(|i| {
        let rest = &b[i + 11..];
        rest[..rest.find('}')?].trim().parse().ok()
    })?;
    let med = &e[e.find("\"median\":")?..];
    let median_ns = field(med, "point_estimate")?.parse().ok()?;
    Some(Est {
        id,
        elements,
        median_ns,
    })
}

fn cmd_out(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

struct Report {
    est: BTreeMap<String, Est>,
    md: String,
}

impl Report {
    fn get(&self, id: &str) -> Option<&Est> {
        self.est.get(id)
    }
    fn ns(&self, id: &str) -> Option<f64> {
        self.get(id).map(Est::ns_per_elt)
    }
    /// `a / b` of per-element times.
    fn ratio(&self, a: &str, b: &str) -> Option<f64> {
        Some(self.ns(a)? / self.ns(b)?)
    }
    fn line(&mut self, s: impl AsRef<str>) {
        self.md.push_str(s.as_ref());
        self.md.push('\n');
    }
}

fn fmt(v: Option<f64>, digits: usize) -> String {
    v.map(|x| format!("{x:.digits$}"))
        .unwrap_or_else(|| "–".into())
}

fn verdict(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "**met**",
        Some(false) => "**missed**",
        None => "not measured",
    }
}

const SHAPES: [&str; 5] = ["1x32000", "1x128256", "64x32000", "64x128256", "1024x1024"];
const METHODS: [(&str, &str); 9] = [
    ("ring_hot", "Gumbel-max, ring full (critical path)"),
    ("ring_hot_unpruned", "the same, every noise value read"),
    ("ring_hot_bf16", "the same, bf16 logits"),
    ("ring_hot_f16", "the same, f16 logits"),
    ("ring_total", "Gumbel-max, ring incl. refill (total cost)"),
    ("fused", "Gumbel-max, noise in registers"),
    ("fused_unpruned", "the same, every noise value evaluated"),
    ("keyed", "Gumbel-max, keyed rows (fused)"),
    ("roulette", "softmax + roulette wheel"),
];
const REFS: [(&str, &str); 6] = [
    ("stream_max", "streaming max (memory limit)"),
    ("exp_map", "one `exp` per logit (roulette's floor)"),
    ("bucketed", "vLLM CPU bucketed rejection"),
    (
        "rand_distr_gumbel_argmax",
        "`rand_distr::Gumbel` + scalar argmax",
    ),
    ("weighted_index", "softmax + `WeightedIndex` per row"),
    ("linear_scan", "softmax + scalar linear scan"),
];

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let run = !std::env::args().any(|a| a == "--no-run");
    if run {
        // Start from nothing, so every figure below comes from this run.
        let _ = std::fs::remove_dir_all(root.join("target/criterion"));
        for b in BENCHES {
            eprintln!("running cargo bench --bench {b} ...");
            let st = Command::new(env!("CARGO"))
                .args(["bench", "--bench", b])
                .current_dir(&root)
                .status()
                .expect("run cargo bench");
            assert!(st.success(), "cargo bench --bench {b} failed");
        }
        // the filters' figures are its paired ratios (its criterion timings are for
        // inspection): run only those
        eprintln!("running cargo bench --bench filters (paired ratios) ...");
        let st = Command::new(env!("CARGO"))
            .args(["bench", "--bench", "filters"])
            .env("FILTERS_PAIRED_ONLY", "1")
            .current_dir(&root)
            .status()
            .expect("run cargo bench");
        assert!(st.success(), "cargo bench --bench filters failed");
    }
    let est = load(&root.join("target/criterion"));
    assert!(
        !est.is_empty(),
        "no criterion results under target/criterion: run without --no-run first"
    );
    let mut r = Report {
        est,
        md: String::new(),
    };
    let date = cmd_out("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
    let rustc = cmd_out("rustc", &["--version"]);
    let isa = gumbel::simd::Isa::best();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);

    r.line("# Performance");
    r.line("");
    r.line(
        "Generated by `cargo run --release --example perf_report` from criterion's saved estimates",
    );
    r.line(
        "(median of each bench). Every comparison is a **ratio between benches of the same run**:",
    );
    r.line("absolute times on shared machines drift from run to run, ratios hold. Nothing here is");
    r.line("asserted by a test.");
    r.line("");
    r.line(format!(
        "- **Machine:** {} ({cores} logical cores), ISA selected at run time: `{isa}`",
        cpu_model()
    ));
    r.line(format!(
        "- **Toolchain:** {rustc}; default release build (no `RUSTFLAGS`, no `-C target-cpu`)"
    ));
    r.line(format!("- **Date:** {date}"));
    r.line("- **Reproduce:** `cargo run --release --example perf_report` (runs `cargo bench` for `math`, `sampling`, `relaxed`, `many`, and the paired part of `filters`, about 13 minutes on 2 cores, then rewrites this file and `docs/figures/perf_*.svg`); `-- --no-run` re-renders from `target/criterion`.");
    r.line("- Unless a table says otherwise every figure is **one thread** (the benches install a one-thread rayon pool).");
    r.line("");

    let pairs = load_pairs(&root.join("target/criterion/paired.txt"));
    headline(&mut r, &pairs);
    targets(&mut r, &pairs);
    foundation(&mut r);
    sampling(&mut r);
    threads(&mut r);
    relaxed(&mut r);
    many(&mut r);
    filters(&mut r, &root.join("target/criterion/filters_paired.txt"));
    analysis(&mut r);

    let figs = root.join("docs/figures");
    std::fs::create_dir_all(&figs).unwrap();
    plot_vocab(&r, &figs.join("perf_vocab.svg"));
    plot_critical(&r, &figs.join("perf_critical_path.svg"));
    plot_threads(&r, &figs.join("perf_threads.svg"));
    std::fs::write(root.join("docs/performance.md"), &r.md).unwrap();
    eprintln!("wrote docs/performance.md and docs/figures/perf_*.svg");
}

fn headline(r: &mut Report, pairs: &[Pair]) {
    let s = "sample/64x128256";
    let paired = |a: &str, b: &str| {
        pairs
            .iter()
            .find(|p| p.group == s && p.a == a && p.b == b)
            .map(|p| p.median)
    };
    // the paired (rep by rep) ratio where there is one: criterion times the two benches
    // minutes apart, with the logits in a different cache state
    let hot = paired("ring_hot", "stream_max")
        .or_else(|| r.ratio(&format!("{s}/ring_hot"), &format!("{s}/stream_max")));
    let fused_sm = paired("fused", "stream_max");
    let fused_roul = paired("fused", "roulette");
    let roul_exp = paired("roulette", "exp_map");
    let fused = r.ratio(&format!("{s}/linear_scan"), &format!("{s}/fused"));
    let roul = r.ratio(&format!("{s}/linear_scan"), &format!("{s}/roulette"));
    let wi = r.ratio(&format!("{s}/weighted_index"), &format!("{s}/ring_hot"));
    let fill = r.ratio("fill_gumbel/rand_distr_gumbel_f32", "fill_gumbel/avx512");
    let bf16 = r.ratio(&format!("{s}/ring_hot_bf16"), &format!("{s}/ring_hot"));
    let f16 = r.ratio(&format!("{s}/ring_hot_f16"), &format!("{s}/ring_hot"));
    r.line("## Headline (64 rows × 128 256 vocabulary, one thread)");
    r.line("");
    r.line("| figure | value | target | |");
    r.line("|---|---|---|---|");
    r.line(format!("| Gumbel-max critical path (ring full) vs streaming max of the logits (paired) | {}× the time | ≤ 1.3× | {} |", fmt(hot, 2), verdict(hot.map(|v| v <= 1.3))));
    r.line(format!("| fused Gumbel-max (noise included) vs streaming max of the logits (paired) | {}× the time | ≤ 2.5× | {} |", fmt(fused_sm, 2), verdict(fused_sm.map(|v| v <= 2.5))));
    r.line(format!(
        "| fused Gumbel-max vs softmax-roulette (paired) | {}× the time | < 1 | {} |",
        fmt(fused_roul, 2),
        verdict(fused_roul.map(|v| v < 1.0))
    ));
    r.line(format!(
        "| softmax-roulette vs one `exp` per logit (paired) | {}× the time | ≤ 1.4× | {} |",
        fmt(roul_exp, 2),
        verdict(roul_exp.map(|v| v <= 1.4))
    ));
    r.line(format!(
        "| fused Gumbel-max vs softmax + scalar linear scan | {}× faster | ≥ 3× | {} |",
        fmt(fused, 1),
        verdict(fused.map(|v| v >= 3.0))
    ));
    r.line(format!(
        "| softmax-roulette vs softmax + scalar linear scan | {}× faster | ≥ 6× | {} |",
        fmt(roul, 1),
        verdict(roul.map(|v| v >= 6.0))
    ));
    r.line(format!(
        "| Gumbel-max critical path vs softmax + `WeightedIndex` | {}× faster | – | |",
        fmt(wi, 0)
    ));
    for (name, v) in [("bf16", bf16), ("f16", f16)] {
        r.line(format!(
            "| critical path with {name} logits vs f32 logits | {}× the time | ≤ 0.8× | {} |",
            fmt(v, 2),
            verdict(v.map(|v| v <= 0.8))
        ));
    }
    r.line(format!(
        "| `fill_gumbel` (AVX-512) vs `rand_distr::Gumbel<f32>` | {}× faster | ≥ 15× | {} |",
        fmt(fill, 1),
        verdict(fill.map(|v| v >= 15.0))
    ));
    r.line("");
}

fn foundation(r: &mut Report) {
    r.line("## Foundation: `ln`, `exp`, noise (`benches/math.rs`)");
    r.line("");
    r.line("65 536 f32 per call (fits L2). × ref = reference time / this time, same run.");
    r.line("");
    for (g, refname, target) in [
        ("ln", "std_f32_ln", 6.0),
        ("exp", "std_f32_exp", 6.0),
        ("fill_gumbel", "rand_distr_gumbel_f32", 15.0),
    ] {
        r.line(format!(
            "**`{g}`** (reference `{refname}`, target on AVX-512: ≥ {target}×)"
        ));
        r.line("");
        r.line("| path | ns / element | × ref |");
        r.line("|---|---|---|");
        for p in ["avx512", "avx2", "portable", "scalar", refname] {
            let id = format!("{g}/{p}");
            if let Some(ns) = r.ns(&id) {
                let x = r.ratio(&format!("{g}/{refname}"), &id);
                r.line(format!("| `{p}` | {ns:.3} | {} |", fmt(x, 2)));
            }
        }
        let x = r.ratio(&format!("{g}/{refname}"), &format!("{g}/avx512"));
        r.line("");
        r.line(format!(
            "Target {}: AVX-512 is {}× the reference.",
            verdict(x.map(|v| v >= target)),
            fmt(x, 2)
        ));
        r.line("");
    }
}

fn sampling(r: &mut Report) {
    r.line("## Sampling one token per row (`benches/sampling.rs`, one thread)");
    r.line("");
    r.line(
        "ns per logit (rows × cols logits per call). The last columns are ratios in the same run:",
    );
    r.line("time ÷ streaming max (≥ 1: the memory limit is 1), and speed-ups over the scalar linear scan");
    r.line("and over `WeightedIndex`.");
    r.line("");
    let groups = SHAPES
        .iter()
        .map(|s| (format!("sample/{s}"), format!("{s}, N(0, 3) logits")))
        .chain([
            (
                "sample_llm/64x128256".to_string(),
                "64x128256, LLM-shaped logits".to_string(),
            ),
            (
                "sample_flat/64x128256".to_string(),
                "64x128256, flat logits".to_string(),
            ),
        ]);
    for (g, title) in groups {
        if r.get(&format!("{g}/stream_max")).is_none() {
            continue;
        }
        r.line(format!("**{title}**"));
        r.line("");
        r.line("| method | ns / logit | ÷ stream max | × faster than linear scan | × faster than WeightedIndex |");
        r.line("|---|---|---|---|---|");
        for (id, name) in METHODS.iter().chain(REFS.iter()) {
            let full = format!("{g}/{id}");
            if let Some(ns) = r.ns(&full) {
                let sm = r.ratio(&full, &format!("{g}/stream_max"));
                let ls = r.ratio(&format!("{g}/linear_scan"), &full);
                let wi = r.ratio(&format!("{g}/weighted_index"), &full);
                r.line(format!(
                    "| {name} | {ns:.4} | {} | {} | {} |",
                    fmt(sm, 2),
                    fmt(ls, 1),
                    fmt(wi, 1)
                ));
            }
        }
        r.line("");
    }
    r.line("![ns per logit against vocabulary](figures/perf_vocab.svg)");
    r.line("");
    r.line("![critical path against total cost](figures/perf_critical_path.svg)");
    r.line("");
}

/// One line of `paired.txt`: `group a b median q1 q3 reps`.
struct Pair {
    group: String,
    a: String,
    b: String,
    median: f64,
    q1: f64,
    q3: f64,
    reps: usize,
}

fn load_pairs(path: &Path) -> Vec<Pair> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() == 7).then(|| Pair {
                group: f[0].into(),
                a: f[1].into(),
                b: f[2].into(),
                median: f[3].parse().unwrap_or(f64::NAN),
                q1: f[4].parse().unwrap_or(f64::NAN),
                q3: f[5].parse().unwrap_or(f64::NAN),
                reps: f[6].parse().unwrap_or(0),
            })
        })
        .collect()
}

/// The targets of the pruning issue, from the rep-by-rep paired ratios.
fn targets(r: &mut Report, pairs: &[Pair]) {
    if pairs.is_empty() {
        return;
    }
    r.line("## Targets at 64 × 128 256, paired rep by rep (one thread)");
    r.line("");
    r.line("Each ratio is the median over reps of (method time ÷ reference time), the two timed");
    r.line("back to back within every rep (order alternating), so a drift of the shared machine");
    r.line("hits both; the interquartile range of the per-rep ratios is in brackets.");
    r.line("");
    r.line("| logits | ratio | median [q1, q3] | target | |");
    r.line("|---|---|---|---|---|");
    let goal = |a: &str, b: &str| -> Option<(&'static str, f64)> {
        Some(match (a, b) {
            ("ring_hot", "stream_max") => ("≤ 1.3×", 1.3),
            ("ring_total", "fused") => ("≤ 1.2×", 1.2),
            ("fused", "stream_max") | ("keyed", "stream_max") => ("≤ 2.5×", 2.5),
            ("fused", "roulette") | ("fused", "bucketed") => ("< 1 (faster)", 1.0),
            ("roulette", "exp_map") => ("≤ 1.4×", 1.4),
            ("fused", "fused_unpruned") => ("≤ 1 on flat logits", 1.0),
            _ => return None,
        })
    };
    for p in pairs {
        let kind = p.group.split('/').next().unwrap_or("");
        let name = match kind {
            "sample" => "N(0, 3)",
            "sample_llm" => "LLM-shaped",
            "sample_flat" => "flat",
            _ => kind,
        };
        let g = goal(&p.a, &p.b);
        let applies = !(p.a == "fused" && p.b == "fused_unpruned") || kind == "sample_flat";
        let (text, v) = match g {
            Some((t, lim)) if applies => {
                let ok = if lim == 1.0 && p.b != "fused_unpruned" {
                    p.median < 1.0
                } else {
                    p.median <= lim
                };
                (t.to_string(), verdict(Some(ok)))
            }
            _ => ("–".to_string(), ""),
        };
        r.line(format!(
            "| {name} | `{}` ÷ `{}` | {:.2} [{:.2}, {:.2}] ({} reps) | {text} | {v} |",
            p.a, p.b, p.median, p.q1, p.q3, p.reps
        ));
    }
    r.line("");
}

fn threads(r: &mut Report) {
    r.line("## Rayon across rows (`threads/…`)");
    r.line("");
    r.line(
        "Same batch on pools of 1 and 2 threads (the hand-off to the pool is inside both timings).",
    );
    r.line("Target: two threads ≥ 1.8× one thread for 64-row batches (fused, roulette). Two references");
    r.line(
        "show what the memory system allows: `stream_max` reads the logits; `stream_logits_noise`",
    );
    r.line("reads the logits and a full noise buffer (what reading every noise value would cost;");
    r.line("the pruned `ring_hot` reads the logits, a table and a few noise blocks).");
    r.line("");
    r.line("| shape | method | 1 thread ns/logit | 2 threads ns/logit | speed-up |");
    r.line("|---|---|---|---|---|");
    for shape in ["64x32000", "64x128256"] {
        for m in THREAD_SERIES {
            let a = format!("threads/{shape}/{m}/1");
            let b = format!("threads/{shape}/{m}/2");
            if let (Some(x), Some(y)) = (r.ns(&a), r.ns(&b)) {
                let reference = m.starts_with("stream");
                r.line(format!(
                    "| {shape} | {} | {x:.4} | {y:.4} | {:.2}× {} |",
                    if reference {
                        format!("*{m}* (reference)")
                    } else {
                        m.to_string()
                    },
                    x / y,
                    if reference || m == "ring_hot" || x / y >= 1.8 {
                        ""
                    } else {
                        "(below 1.8×)"
                    }
                ));
            }
        }
    }
    r.line("");
    for shape in ["64x32000", "64x128256"] {
        let get = |m: &str, t: u32| r.ns(&format!("threads/{shape}/{m}/{t}"));
        if let (Some(h1), Some(h2), Some(s1), Some(s2)) = (
            get("ring_hot", 1),
            get("ring_hot", 2),
            get("stream_logits_noise", 1),
            get("stream_logits_noise", 2),
        ) {
            r.line(format!(
                "- {shape}: `ring_hot` takes {:.2}× the time of reading the logits and every noise \
                 value on one thread and {:.2}× on two; that plain read itself speeds up {:.2}× with \
                 a second thread.",
                h1 / s1,
                h2 / s2,
                s1 / s2
            ));
        }
    }
    r.line("");
    r.line("![rayon scaling](figures/perf_threads.svg)");
    r.line("");
}

fn relaxed(r: &mut Report) {
    r.line("## Gumbel-softmax (`benches/relaxed.rs`, one thread, τ = 0.5)");
    r.line("");
    r.line("Targets: forward (noise included) ≤ 2× fused Gumbel-max; backward ≤ 3× a plain pass that reads");
    r.line("`y` and `grad_y` and writes one output.");
    r.line("");
    r.line("| shape | forward ns/logit | ÷ fused Gumbel-max | × faster than scalar forward | backward ns/logit | ÷ plain pass | × faster than scalar backward |");
    r.line("|---|---|---|---|---|---|---|");
    for shape in ["64x32000", "64x128256"] {
        let g = format!("relaxed/{shape}");
        let f = format!("{g}/forward");
        let b = format!("{g}/backward");
        if r.get(&f).is_none() {
            continue;
        }
        let ff = r.ratio(&f, &format!("{g}/fused_gumbel_max"));
        let fs = r.ratio(&format!("{g}/forward_scalar"), &f);
        let bp = r.ratio(&b, &format!("{g}/plain_pass"));
        let bs = r.ratio(&format!("{g}/backward_scalar"), &b);
        r.line(format!(
            "| {shape} | {} | {} {} | {} | {} | {} {} | {} |",
            fmt(r.ns(&f), 4),
            fmt(ff, 2),
            verdict(ff.map(|v| v <= 2.0)),
            fmt(fs, 1),
            fmt(r.ns(&b), 4),
            fmt(bp, 2),
            verdict(bp.map(|v| v <= 3.0)),
            fmt(bs, 1)
        ));
    }
    r.line("");
}

fn many(r: &mut Report) {
    r.line("## Many draws from one distribution (`benches/many.rs`, one thread)");
    r.line("");
    r.line(
        "ns per draw: Gumbel-max per draw (one fused pass over the row each) against a cumulative",
    );
    r.line("table built once plus a binary search per draw (`Sampler::sample_n`).");
    r.line("");
    r.line("| vocabulary | draws | Gumbel-max per draw | table + binary search | table is |");
    r.line("|---|---|---|---|---|");
    for v in [1000, 32000, 128256] {
        for n in [1, 2, 4, 16, 256, 4096] {
            let a = r.ns(&format!("many/{v}/gumbel_max_per_draw/{n}"));
            let b = r.ns(&format!("many/{v}/cdf_table/{n}"));
            if a.is_none() && b.is_none() {
                continue;
            }
            let cmp = match (a, b) {
                (Some(a), Some(b)) => format!("{:.1}× faster", a / b),
                _ => "–".into(),
            };
            r.line(format!(
                "| {v} | {n} | {} | {} | {cmp} |",
                fmt(a, 0),
                fmt(b, 0)
            ));
        }
    }
    r.line("");
    let mut cross = String::new();
    for v in [1000, 32000, 128256] {
        let one = r.ns(&format!("many/{v}/gumbel_max_per_draw/1"));
        let two_t = r.get(&format!("many/{v}/cdf_table/2")).map(|e| e.median_ns);
        let two_g = r
            .get(&format!("many/{v}/gumbel_max_per_draw/2"))
            .map(|e| e.median_ns);
        if let (Some(o), Some(t), Some(g)) = (one, two_t, two_g) {
            let _ = write!(
                cross,
                "V = {v}: one Gumbel-max draw {o:.0} ns, two draws {g:.0} ns vs table {t:.0} ns. "
            );
        }
    }
    r.line(format!(
        "Crossover: {cross}So `sample_n` uses the table from `SAMPLE_N_TABLE_MIN` = {} draws on.",
        gumbel::SAMPLE_N_TABLE_MIN
    ));
    r.line("");
}

fn analysis(r: &mut Report) {
    let mut out: Vec<String> = Vec::new();
    let g = |s: &str, m: &str| r.ns(&format!("sample/{s}/{m}"));
    // Speed relative to roulette per shape; every claim below is read off these
    // figures, so it stays true of this run.
    let mut hot = Vec::new();
    let mut total = Vec::new();
    let mut fused = Vec::new();
    let mut rows = String::new();
    for sh in SHAPES {
        if let (Some(h), Some(t), Some(f), Some(o)) = (
            g(sh, "ring_hot"),
            g(sh, "ring_total"),
            g(sh, "fused"),
            g(sh, "roulette"),
        ) {
            hot.push((sh, o / h));
            total.push((sh, o / t));
            fused.push((sh, o / f));
            let _ = writeln!(
                rows,
                "| {sh} | {:.2}× | {:.2}× | {:.2}× |",
                o / h,
                o / t,
                o / f
            );
        }
    }
    out.push("## When is Gumbel-max faster than softmax-roulette?".to_string());
    out.push("".to_string());
    out.push("Speed of each Gumbel-max variant relative to softmax-roulette (> 1: Gumbel-max is faster):".to_string());
    out.push("".to_string());
    out.push("| shape | ring full (critical path) | ring incl. refill | fused |".to_string());
    out.push("|---|---|---|---|".to_string());
    out.push(rows.trim_end().to_string());
    out.push("".to_string());
    if hot.is_empty() {
        out.into_iter().for_each(|l| r.line(l));
        return;
    }
    // where Gumbel-max is faster and where it is not, read off this run's figures
    let verdict_of = |v: &[(&str, f64)]| -> String {
        let lo = v.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let hi = v.iter().map(|p| p.1).fold(0.0, f64::max);
        let slower: Vec<&str> = v.iter().filter(|p| p.1 <= 1.0).map(|p| p.0).collect();
        if slower.is_empty() {
            format!("faster than roulette at every shape measured ({lo:.2}–{hi:.2}× its speed)")
        } else if slower.len() == v.len() {
            format!("slower than roulette at every shape measured ({lo:.2}–{hi:.2}× its speed)")
        } else {
            format!(
                "faster than roulette except at {} ({lo:.2}–{hi:.2}× its speed)",
                slower.join(", ")
            )
        }
    };
    let fused_everywhere = fused.iter().all(|p| p.1 > 1.0);
    out.push(format!(
        "- **Critical path, noise made ahead of time (`ring_hot`):** {}. The step reads the \
         logits (their row and block maxima), the ring's table of block noise maxima and \
         the noise of the few blocks that can win; roulette exponentiates every logit.",
        verdict_of(&hot)
    ));
    out.push(format!(
        "- **Counting the noise.** Refill plus sampling (`ring_total`) is {}; the refill \
         still evaluates two logarithms per value. Fused Gumbel-max, which steps the \
         generator through every position but evaluates `−ln(−ln U)` only where a token \
         can win, is {}.",
        verdict_of(&total),
        verdict_of(&fused)
    ));
    let t = |m: &str, k: u32| r.ns(&format!("threads/64x128256/{m}/{k}"));
    if let (Some(h1), Some(h2), Some(o1), Some(o2), Some(f1), Some(f2), Some(s1), Some(s2)) = (
        t("ring_hot", 1),
        t("ring_hot", 2),
        t("roulette", 1),
        t("roulette", 2),
        t("fused", 1),
        t("fused", 2),
        t("stream_max", 1),
        t("stream_max", 2),
    ) {
        out.push(format!(
            "- **Threads (64×128256).** A second thread speeds up fused {:.2}×, roulette \
             {:.2}×, ring-fed {:.2}×; the plain read of the logits itself {:.2}×.",
            f1 / f2,
            o1 / o2,
            h1 / h2,
            s1 / s2
        ));
    }
    out.push(if fused_everywhere {
        "- **What an inference engine should pick:** fused (or keyed) Gumbel-max: faster than \
         roulette at every shape here with no noise memory and no refill, and keyed rows \
         depend only on their key. Ring-fed Gumbel-max shortens the critical path further \
         when the refill can be hidden behind the forward pass."
            .to_string()
    } else {
        "- **What an inference engine should pick:** ring-fed Gumbel-max if the refill can be \
         hidden behind the forward pass (the critical path above); otherwise the method with \
         the lower total cost at its shape in the table."
            .to_string()
    });
    let mut cross = Vec::new();
    for v in [1000, 32000, 128256] {
        let first = [2, 4, 16, 256].into_iter().find(|n| {
            matches!(
                (
                    r.ns(&format!("many/{v}/gumbel_max_per_draw/{n}")),
                    r.ns(&format!("many/{v}/cdf_table/{n}"))
                ),
                (Some(a), Some(b)) if b < a
            )
        });
        if let Some(n) = first {
            cross.push(format!("{n} draws at V = {v}"));
        }
    }
    if !cross.is_empty() {
        out.push(format!(
            "- **Many draws from one distribution:** the cumulative table is faster from {} \
             (previous section).",
            cross.join(", ")
        ));
    }
    out.push("".to_string());
    for l in out {
        r.line(l);
    }
}

fn series_style(i: usize) -> RGBColor {
    [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(90, 90, 90),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ][i % 10]
}

/// One labelled series: a line through `p` with a dot at every point.
fn line_with_points<'a, DB: DrawingBackend + 'a, CT: CoordTranslate<From = (f64, f64)>>(
    chart: &mut ChartContext<'a, DB, CT>,
    name: &str,
    p: &[(f64, f64)],
    c: RGBColor,
) {
    chart
        .draw_series(LineSeries::new(p.to_vec(), c.stroke_width(2)))
        .unwrap()
        .label(name)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
    chart
        .draw_series(p.iter().map(|&pt| Circle::new(pt, 3, c.filled())))
        .unwrap();
}

fn plot_vocab(r: &Report, path: &Path) {
    // batched rows, one thread: 1024x1024, 64x32000, 64x128256
    let shapes = [
        ("1024x1024", 1024.0),
        ("64x32000", 32000.0),
        ("64x128256", 128256.0),
    ];
    let ids: Vec<(&str, &str)> = METHODS.iter().chain(REFS.iter()).copied().collect();
    let pts: Vec<Vec<(f64, f64)>> = ids
        .iter()
        .map(|(id, _)| {
            shapes
                .iter()
                .filter_map(|(s, v)| r.ns(&format!("sample/{s}/{id}")).map(|ns| (*v, ns)))
                .collect()
        })
        .collect();
    let all: Vec<f64> = pts.iter().flatten().map(|p| p.1).collect();
    if all.is_empty() {
        return;
    }
    let (lo, hi) = all
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).unwrap();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "ns per logit vs vocabulary (batched rows, one thread)",
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(
            (700.0..200_000.0).log_scale(),
            (lo * 0.7..hi * 1.4).log_scale(),
        )
        .unwrap();
    chart
        .configure_mesh()
        .x_desc("vocabulary (cols)")
        .y_desc("ns per logit")
        .draw()
        .unwrap();
    for (i, ((_, name), p)) in ids.iter().zip(&pts).enumerate() {
        line_with_points(&mut chart, &name.replace('`', ""), p, series_style(i));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .unwrap();
    root.present().unwrap();
}

fn plot_critical(r: &Report, path: &Path) {
    let ids = [
        ("stream_max", "streaming max"),
        ("ring_hot", "ring full (critical path)"),
        ("ring_total", "ring incl. refill"),
        ("fused", "fused"),
        ("roulette", "roulette"),
    ];
    let shapes: Vec<&str> = SHAPES
        .iter()
        .copied()
        .filter(|s| r.ns(&format!("sample/{s}/stream_max")).is_some())
        .collect();
    if shapes.is_empty() {
        return;
    }
    let hi = shapes
        .iter()
        .flat_map(|s| {
            ids.iter()
                .filter_map(move |(id, _)| r.ns(&format!("sample/{s}/{id}")))
        })
        .fold(0.0f64, f64::max);
    let root = SVGBackend::new(path, (900, 520)).into_drawing_area();
    root.fill(&WHITE).unwrap();
    let n = shapes.len();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "critical path (noise ready) vs total cost, one thread",
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..n as f64, 0.0..hi * 1.15)
        .unwrap();
    let labels = shapes.clone();
    chart
        .configure_mesh()
        .x_labels(n * 2 + 1)
        .x_label_formatter(&|x| {
            let i = (*x - 0.5).round();
            if (x - 0.5 - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
                labels[i as usize].to_string()
            } else {
                String::new()
            }
        })
        .y_desc("ns per logit")
        .disable_x_mesh()
        .draw()
        .unwrap();
    let w = 0.8 / ids.len() as f64;
    for (k, (id, name)) in ids.iter().enumerate() {
        let c = series_style(k);
        let bars: Vec<_> = shapes
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let v = r.ns(&format!("sample/{s}/{id}"))?;
                let x0 = i as f64 + 0.1 + k as f64 * w;
                Some(Rectangle::new([(x0, 0.0), (x0 + w * 0.9, v)], c.filled()))
            })
            .collect();
        chart
            .draw_series(bars)
            .unwrap()
            .label(*name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .unwrap();
    root.present().unwrap();
}

/// Methods and references of the `threads/…` groups.
const THREAD_SERIES: [&str; 5] = [
    "ring_hot",
    "fused",
    "roulette",
    "stream_max",
    "stream_logits_noise",
];

fn plot_threads(r: &Report, path: &Path) {
    let mut series = Vec::new();
    for shape in ["64x32000", "64x128256"] {
        for m in THREAD_SERIES {
            let p: Vec<(f64, f64)> = (1..=2)
                .filter_map(|t| {
                    let one = r.ns(&format!("threads/{shape}/{m}/1"))?;
                    let this = r.ns(&format!("threads/{shape}/{m}/{t}"))?;
                    Some((t as f64, one / this))
                })
                .collect();
            if !p.is_empty() {
                series.push((format!("{m} {shape}"), p));
            }
        }
    }
    if series.is_empty() {
        return;
    }
    let root = SVGBackend::new(path, (760, 480)).into_drawing_area();
    root.fill(&WHITE).unwrap();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "rayon across rows: speed-up over one thread",
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.8..2.2, 0.0..2.6)
        .unwrap();
    chart
        .configure_mesh()
        .x_desc("threads")
        .y_desc("speed-up")
        .x_labels(3)
        .draw()
        .unwrap();
    chart
        .draw_series(LineSeries::new(
            vec![(1.0, 1.0), (2.0, 2.0)],
            BLACK.mix(0.4).stroke_width(1),
        ))
        .unwrap()
        .label("ideal")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLACK.mix(0.4)));
    for (i, (name, p)) in series.iter().enumerate() {
        line_with_points(&mut chart, name, p, series_style(i));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .unwrap();
    root.present().unwrap();
}

/// Filtered sampling and log-probabilities (`benches/filters.rs`, paired ratios).
fn filters(r: &mut Report, path: &std::path::Path) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    r.line("## Filters and log-probabilities (`benches/filters.rs`, 64 × 128 256, one thread)");
    r.line("");
    if let Ok(t) = std::fs::metadata(path).and_then(|m| m.modified()) {
        let secs = t
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        r.line(format!(
            "From `target/criterion/filters_paired.txt`, written {} min before this report was rendered (a `--no-run` render can combine it with older criterion data of the sections above).",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
                .saturating_sub(secs)
                / 60
        ));
        r.line("");
    }
    r.line("Paired rep by rep (15 reps; the sort references 3 reps). `filtered ÷ plain`: the same method and sampler with the filter vs without (target ≤ 2); `full sort ÷ filtered`: sorting each row, softmax, cumulative sum, cut, draw (vLLM's torch path) vs the crate's filtered call (target ≥ 20); `select_nth ÷ filtered`: `select_nth_unstable` of the k largest, sort of the k, cut, draw (candle; top-k only). Median [quartiles].");
    r.line("");
    r.line("| logits | method | filter | filtered ÷ plain | full sort ÷ filtered | select_nth ÷ filtered |");
    r.line("|---|---|---|---|---|---|");
    let mut lp = Vec::new();
    for l in text.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() == 8 && f[2] != "logprobs" {
            r.line(format!(
                "| {} | {} | {} | {} [{}, {}] | {} | {} |",
                f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]
            ));
        } else if f.len() == 9 && f[2] == "logprobs" {
            lp.push(f);
        }
    }
    r.line("");
    r.line("Log-probabilities (processed + raw log-probability and rank, no top-n, T = 1, no filter) — `with ÷ without` the same call, and the extra time `÷ exp map` (one SIMD exp per logit into a row buffer; target ≤ 1):");
    r.line("");
    r.line("| logits | method | with ÷ without | extra ÷ exp map |");
    r.line("|---|---|---|---|");
    for f in lp {
        r.line(format!(
            "| {} | {} | {} [{}, {}] | {} [{}, {}] |",
            f[0], f[1], f[3], f[4], f[5], f[6], f[7], f[8]
        ));
    }
    r.line("");
}
