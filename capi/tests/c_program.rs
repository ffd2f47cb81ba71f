//! Compile `tests/c/test_gumbel.c` with the system C compiler against
//! `include/gumbel.h` and the built library (static, then shared), and run it.
//!
//! This test writes `expected.h` first: the logits (as bits) and the tokens the Rust API
//! gives for them with the same seeds, so the C program checks the C ABI against the
//! Rust API. The C compiler is `$CC` or `cc`, with `-Wall -Wextra -Werror -std=c11`.
//!
//! The library is the one cargo built for this test (`libgumbel_capi.a` / `.so` in the
//! test binary's `deps/` folder), so the test needs no separate build step.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use gumbel::half::{bf16, f16};
use gumbel::{Logprobs, Method, Sampler, SamplingParams, TokenLogprob, TopLogprob};

const ROWS: usize = 6;
const COLS: usize = 1000;
const SEED: u64 = 0x5eed_cab1;
const TEMP_FUSED: f32 = 0.7;
const TEMP_ROULETTE: f32 = 1.3;

fn logits() -> Vec<f32> {
    let mut x = vec![0.0f32; ROWS * COLS];
    gumbel::noise::fill_gumbel(11, 0, &mut x);
    for (i, v) in x.iter_mut().enumerate() {
        *v = if i % 97 == 5 {
            f32::NEG_INFINITY
        } else {
            0.5 * *v
        };
    }
    x
}

fn keys() -> Vec<u64> {
    (0..ROWS as u64).map(|r| (r + 1) << 32 | 7).collect()
}

/// One parameter set per row: defaults, each filter alone, greedy, all of them.
fn params() -> Vec<SamplingParams> {
    let d = SamplingParams::default();
    vec![
        d,
        d.temperature(0.5).top_k(5),
        d.top_p(0.9),
        d.min_p(0.1),
        d.temperature(0.0),
        d.temperature(1.5).top_k(50).top_p(0.95).min_p(0.05),
    ]
}

/// The tokens, log-probabilities and top-n of one logprobs call.
struct WithLogprobs {
    tokens: Vec<u32>,
    logprobs: Vec<TokenLogprob>,
    top: Vec<TopLogprob>,
}

fn with_logprobs<L: gumbel::Element>(
    sampler: &mut Sampler,
    x: &[L],
    keys: Option<&[u64]>,
    params: &[SamplingParams],
    top_n: usize,
) -> WithLogprobs {
    let mut r = WithLogprobs {
        tokens: vec![0; ROWS],
        logprobs: vec![TokenLogprob::default(); ROWS],
        top: vec![TopLogprob::default(); ROWS * top_n],
    };
    let lp = Logprobs {
        tokens: &mut r.logprobs,
        top: &mut r.top,
        top_n,
    };
    sampler
        .sample_batch_logprobs(x, COLS, keys, params, &mut r.tokens, lp)
        .expect("the Rust API samples the test batch with log-probabilities");
    r
}

/// The partial calls' batch: row 1 has a NaN, row 3 is all masked; with `params()`,
/// row 4's parameters are made bad (`top_p = 0`).
fn bad_logits() -> Vec<f32> {
    let mut x = logits();
    x[COLS + 3] = f32::NAN;
    x[3 * COLS..4 * COLS].fill(f32::NEG_INFINITY);
    x
}

const SENTINEL: u32 = 0xDEAD_BEEF;

fn tokens(f: impl FnOnce(&mut [u32]) -> Result<(), gumbel::Error>) -> Vec<u32> {
    let mut out = vec![0u32; ROWS];
    f(&mut out).expect("the Rust API samples the test batch");
    out
}

/// A C array definition: `static const ty name[len] = {values};`.
fn array(h: &mut String, ty: &str, name: &str, len: &str, values: Vec<String>) {
    writeln!(
        h,
        "static const {ty} {name}[{len}] = {{{}}};",
        values.join(",")
    )
    .unwrap();
}

/// `expected.h`: inputs and the Rust API's tokens for each case the C program runs.
fn expected_header() -> String {
    let x = logits();
    let xb: Vec<bf16> = x.iter().map(|&v| bf16::from_f32(v)).collect();
    let xh: Vec<f16> = x.iter().map(|&v| f16::from_f32(v)).collect();
    let keys = keys();
    let sampler = |m: Method| Sampler::new(SEED).method(m);

    let mut ring = sampler(Method::GumbelMax);
    ring.refill();
    let ring_1 = tokens(|o| ring.sample_batch(&x, COLS, o));
    let ring_2 = tokens(|o| ring.sample_batch(&x, COLS, o));
    let fused = tokens(|o| {
        sampler(Method::GumbelMaxFused)
            .temperature(TEMP_FUSED)
            .sample_batch(&x, COLS, o)
    });
    let roulette = tokens(|o| {
        sampler(Method::SoftmaxRoulette)
            .temperature(TEMP_ROULETTE)
            .sample_batch(&x, COLS, o)
    });
    let mut keyed_sampler = sampler(Method::GumbelMaxFused);
    let keyed = tokens(|o| keyed_sampler.sample_batch_keyed(&x, COLS, &keys, o));
    let keyed_bf16 = tokens(|o| keyed_sampler.sample_batch_keyed(&xb, COLS, &keys, o));
    let keyed_f16 = tokens(|o| keyed_sampler.sample_batch_keyed(&xh, COLS, &keys, o));
    let bf16_tokens = tokens(|o| sampler(Method::GumbelMax).sample_batch(&xb, COLS, o));
    let f16_tokens = tokens(|o| sampler(Method::SoftmaxRoulette).sample_batch(&xh, COLS, o));
    let params = params();
    let mut ring = sampler(Method::GumbelMax);
    ring.refill();
    let per_row = tokens(|o| ring.sample_batch_with(&x, COLS, &params, o));
    let keyed_per_row = tokens(|o| {
        sampler(Method::SoftmaxRoulette).sample_batch_keyed_with(&x, COLS, &keys, &params, o)
    });
    let lp_keyed = with_logprobs(
        &mut sampler(Method::SoftmaxRoulette),
        &x,
        Some(&keys),
        &params,
        3,
    );
    let default = [SamplingParams::default()];
    let bad = bad_logits();
    let bad_h: Vec<f16> = bad.iter().map(|&v| f16::from_f32(v)).collect();
    let mut bad_params = params.clone();
    bad_params[4] = bad_params[4].top_p(0.0);
    let mut ring = sampler(Method::GumbelMax);
    ring.refill();
    let mut partial = WithLogprobs {
        tokens: vec![SENTINEL; ROWS],
        logprobs: vec![TokenLogprob::default(); ROWS],
        top: vec![TopLogprob::default(); ROWS * 2],
    };
    let lp = Logprobs {
        tokens: &mut partial.logprobs,
        top: &mut partial.top,
        top_n: 2,
    };
    let errors = ring
        .sample_batch_partial(&bad, COLS, None, &bad_params, &mut partial.tokens, Some(lp))
        .unwrap();
    assert_eq!(errors.len(), 3, "{errors:?}");
    let mut partial_f16 = vec![SENTINEL; ROWS];
    let errors = sampler(Method::GumbelMaxFused)
        .sample_batch_partial(&bad_h, COLS, None, &default, &mut partial_f16, None)
        .unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    let lp_bf16 = with_logprobs(&mut sampler(Method::GumbelMax), &xb, None, &default, 0);
    let lp_f16 = with_logprobs(
        &mut sampler(Method::GumbelMaxFused),
        &xh,
        Some(&keys),
        &params[1..2],
        gumbel::MAX_TOP_LOGPROBS,
    );

    let mut h = String::new();
    writeln!(h, "/* written by capi/tests/c_program.rs */").unwrap();
    writeln!(h, "#define ROWS {ROWS}").unwrap();
    writeln!(h, "#define COLS {COLS}").unwrap();
    writeln!(h, "#define SEED UINT64_C({SEED})").unwrap();
    writeln!(h, "#define TEMP_FUSED {TEMP_FUSED:?}f").unwrap();
    writeln!(h, "#define TEMP_ROULETTE {TEMP_ROULETTE:?}f").unwrap();
    let hex = |v: Vec<u32>| -> Vec<String> { v.iter().map(|b| format!("0x{b:08x}u")).collect() };
    let decimal = |v: &[u32]| -> Vec<String> { v.iter().map(|t| format!("{t}u")).collect() };
    array(
        &mut h,
        "uint32_t",
        "LOGIT_BITS",
        "ROWS * COLS",
        hex(x.iter().map(|v| v.to_bits()).collect()),
    );
    array(
        &mut h,
        "uint16_t",
        "BF16_BITS",
        "ROWS * COLS",
        xb.iter()
            .map(|v| format!("0x{:04x}u", v.to_bits()))
            .collect(),
    );
    array(
        &mut h,
        "uint16_t",
        "F16_BITS",
        "ROWS * COLS",
        xh.iter()
            .map(|v| format!("0x{:04x}u", v.to_bits()))
            .collect(),
    );
    array(
        &mut h,
        "uint64_t",
        "KEYS",
        "ROWS",
        keys.iter().map(|k| format!("UINT64_C({k})")).collect(),
    );
    for (name, t) in [
        ("EXPECT_RING_1", ring_1),
        ("EXPECT_RING_2", ring_2),
        ("EXPECT_FUSED", fused),
        ("EXPECT_ROULETTE", roulette),
        ("EXPECT_KEYED", keyed),
        ("EXPECT_KEYED_BF16", keyed_bf16),
        ("EXPECT_KEYED_F16", keyed_f16),
        ("EXPECT_BF16", bf16_tokens),
        ("EXPECT_F16", f16_tokens),
    ] {
        array(&mut h, "uint32_t", name, "ROWS", decimal(&t));
    }
    array(
        &mut h,
        "uint32_t",
        "EXPECT_PER_ROW",
        "ROWS",
        decimal(&per_row),
    );
    array(
        &mut h,
        "uint32_t",
        "EXPECT_PARTIAL_F16",
        "ROWS",
        decimal(&partial_f16),
    );
    array(
        &mut h,
        "uint32_t",
        "EXPECT_KEYED_PER_ROW",
        "ROWS",
        decimal(&keyed_per_row),
    );
    let c_params = params
        .iter()
        .map(|p| {
            let (t, k, tp, mp) = (p.temperature, p.top_k, p.top_p, p.min_p);
            format!("{{{t:?}f, {k}u, {tp:?}f, {mp:?}f}}")
        })
        .collect();
    array(&mut h, "gumbel_params", "PARAMS", "ROWS", c_params);
    for (name, r, top_n) in [
        ("LP_KEYED", &lp_keyed, 3),
        ("LP_BF16", &lp_bf16, 0),
        ("LP_F16", &lp_f16, gumbel::MAX_TOP_LOGPROBS),
        ("LP_PARTIAL", &partial, 2),
    ] {
        writeln!(h, "#define {name}_TOP_N {top_n}").unwrap();
        array(
            &mut h,
            "uint32_t",
            &format!("{name}_TOKENS"),
            "ROWS",
            decimal(&r.tokens),
        );
        let lp = &r.logprobs;
        let bits = |f: fn(&TokenLogprob) -> f32| hex(lp.iter().map(|t| f(t).to_bits()).collect());
        array(
            &mut h,
            "uint32_t",
            &format!("{name}_LOGPROB_BITS"),
            "ROWS",
            bits(|t| t.logprob),
        );
        array(
            &mut h,
            "uint32_t",
            &format!("{name}_RAW_BITS"),
            "ROWS",
            bits(|t| t.raw_logprob),
        );
        let ranks: Vec<u32> = lp.iter().map(|t| t.rank).collect();
        array(
            &mut h,
            "uint32_t",
            &format!("{name}_RANKS"),
            "ROWS",
            decimal(&ranks),
        );
        if top_n > 0 {
            let len = format!("ROWS * {top_n}");
            let ids: Vec<u32> = r.top.iter().map(|t| t.token).collect();
            array(
                &mut h,
                "uint32_t",
                &format!("{name}_TOP_TOKENS"),
                &len,
                decimal(&ids),
            );
            let bits = r.top.iter().map(|t| t.logprob.to_bits()).collect();
            array(
                &mut h,
                "uint32_t",
                &format!("{name}_TOP_BITS"),
                &len,
                hex(bits),
            );
        }
    }
    h
}

/// Where cargo puts this test's build outputs: `target/<profile>/deps`, the folder of
/// the test binary.
fn artifact_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.parent()
        .expect("the test binary lives in target/<profile>/deps")
        .to_path_buf()
}

/// The library cargo built for this test run. `cargo test` writes the staticlib and
/// cdylib outputs of the lib target into `deps/` (under their plain names: cdylib and
/// staticlib file names carry no hash); only `cargo build` also copies them up to
/// `target/<profile>/`, so `deps/` is the copy that is never stale.
fn library(ext: &str) -> PathBuf {
    let name = format!("libgumbel_capi.{ext}");
    let lib = artifact_dir().join(&name);
    assert!(
        lib.exists(),
        "{} is missing: cargo builds it for this test (crate-type staticlib and cdylib)",
        lib.display()
    );
    lib
}

fn compiler() -> String {
    std::env::var("CC").unwrap_or_else(|_| "cc".to_string())
}

fn run(cmd: &mut Command, what: &str) -> String {
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start {cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{cmd:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    stdout
}

/// Compile the C test program into `work` with the given link arguments; run it.
fn compile_and_run(work: &Path, name: &str, link: &[&std::ffi::OsStr]) -> String {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/test_gumbel.c");
    compile_and_run_source(&source, work, name, link)
}

/// Compile `source` into `work` with the given link arguments; run it.
fn compile_and_run_source(
    source: &Path,
    work: &Path,
    name: &str,
    link: &[&std::ffi::OsStr],
) -> String {
    let capi = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exe = work.join(name);
    let mut cc = Command::new(compiler());
    cc.args(["-Wall", "-Wextra", "-Werror", "-std=c11", "-O1"])
        .arg("-I")
        .arg(capi.join("include"))
        .arg("-I")
        .arg(work)
        .arg(source)
        .arg("-o")
        .arg(&exe)
        .args(link)
        .args(["-lpthread", "-ldl", "-lm"]);
    run(&mut cc, &format!("compiling the C test ({name})"));
    run(&mut Command::new(&exe), &format!("the C test ({name})"))
}

fn work_dir(name: &str) -> PathBuf {
    let deps = artifact_dir();
    let dir = deps
        .parent()
        .unwrap_or(&deps)
        .join("capi-c-test")
        .join(name);
    std::fs::create_dir_all(&dir).expect("create the C test's work folder");
    std::fs::write(dir.join("expected.h"), expected_header()).expect("write expected.h");
    dir
}

#[test]
fn c_program_against_the_static_library() {
    let work = work_dir("static");
    let lib = library("a");
    let stdout = compile_and_run(&work, "test_gumbel_static", &[lib.as_os_str()]);
    println!("{stdout}");
    assert!(stdout.contains("checks passed"), "{stdout}");
}

#[cfg(target_os = "linux")]
#[test]
fn c_program_against_the_shared_library() {
    let work = work_dir("shared");
    let lib = library("so");
    let dir = lib.parent().unwrap();
    let l = std::ffi::OsString::from(format!("-L{}", dir.display()));
    let rpath = std::ffi::OsString::from(format!("-Wl,-rpath,{}", dir.display()));
    let stdout = compile_and_run(
        &work,
        "test_gumbel_shared",
        &[l.as_os_str(), "-lgumbel_capi".as_ref(), rpath.as_os_str()],
    );
    println!("{stdout}");
    assert!(stdout.contains("checks passed"), "{stdout}");
}

/// The engine loop of `docs/c-api.md` compiles warning-free and runs.
#[test]
fn engine_loop_example_of_the_docs() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/c-api.md");
    let text = std::fs::read_to_string(&docs).expect("docs/c-api.md");
    let marker = text
        .find("<!-- engine-loop:")
        .expect("docs/c-api.md marks its engine loop with <!-- engine-loop: ... -->");
    let block = &text[marker..];
    let start = block.find("```c\n").expect("a ```c block after the marker") + 5;
    let len = block[start..]
        .find("```")
        .expect("the block's closing fence");
    let work = work_dir("engine-loop");
    let source = work.join("engine_loop.c");
    std::fs::write(&source, &block[start..start + len]).unwrap();
    let lib = library("a");
    let stdout = compile_and_run_source(&source, &work, "engine_loop", &[lib.as_os_str()]);
    println!("{stdout}");
    assert_eq!(
        stdout.lines().count(),
        12,
        "4 steps x 3 requests:\n{stdout}"
    );
    assert!(stdout.contains("request 102 step 3: token"), "{stdout}");
}
