//! `include/gumbel.h` is what cbindgen generates from `src/lib.rs`: CI fails when the
//! committed header and the Rust declarations drift apart.
//!
//! Regenerate the header with
//! `GUMBEL_UPDATE_HEADER=1 cargo test -p gumbel-capi --test header`.

use std::path::Path;

fn generate() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml"))
        .expect("capi/cbindgen.toml is readable and valid");
    let mut bytes = Vec::new();
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen parses capi/src/lib.rs")
        .write(&mut bytes);
    String::from_utf8(bytes).expect("cbindgen writes UTF-8")
}

#[test]
fn committed_header_matches_the_rust_declarations() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/gumbel.h");
    let generated = generate();
    if std::env::var_os("GUMBEL_UPDATE_HEADER").is_some() {
        std::fs::write(&path, &generated).expect("write capi/include/gumbel.h");
        return;
    }
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .replace("\r\n", "\n");
    if committed != generated {
        let first = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(committed.lines().count().min(generated.lines().count()));
        panic!(
            "capi/include/gumbel.h is out of date with capi/src/lib.rs (first difference at \
             line {}).\nRegenerate it with:\n    GUMBEL_UPDATE_HEADER=1 cargo test -p \
             gumbel-capi --test header\nand commit the result.",
            first + 1
        );
    }
}

/// The header declares every function the library exports (a function without
/// `#[unsafe(no_mangle)]` or with a typo would be missing from one of them).
#[test]
fn header_declares_the_documented_functions() {
    let header = generate();
    for f in [
        "gumbel_sampler_new",
        "gumbel_sampler_free",
        "gumbel_sampler_set_method",
        "gumbel_sampler_refill",
        "gumbel_params_default",
        "gumbel_sampler_sample_batch",
        "gumbel_sampler_sample_batch_bf16",
        "gumbel_sampler_sample_batch_f16",
        "gumbel_sampler_sample_batch_keyed",
        "gumbel_sampler_sample_batch_keyed_bf16",
        "gumbel_sampler_sample_batch_keyed_f16",
        "gumbel_sampler_sample_batch_logprobs",
        "gumbel_sampler_sample_batch_logprobs_bf16",
        "gumbel_sampler_sample_batch_logprobs_f16",
        "gumbel_sampler_sample_batch_partial",
        "gumbel_sampler_sample_batch_partial_bf16",
        "gumbel_sampler_sample_batch_partial_f16",
        "gumbel_last_error",
        "gumbel_status_string",
    ] {
        assert!(
            header.contains(&format!("{f}(")),
            "{f} missing from the header"
        );
    }
    for ty in [
        "gumbel_params",
        "gumbel_token_logprob",
        "gumbel_top_logprob",
    ] {
        assert!(header.contains(&format!("typedef struct {ty} {{")), "{ty}");
    }
    assert!(header.contains("typedef struct GumbelSampler GumbelSampler;"));
}
