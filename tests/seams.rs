//! The API seams of issue 12 §3: zero-row batches, the ring's size, allocations the
//! caller sizes, and what `Error`'s equality means.

mod common;

use common::METHODS;
use common::rng::{Draws, Rng, splitmix};

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use gumbel::noise::{MAX_BLOCK, NoiseRing, RING_BLOCK};
use gumbel::{Error, Method, Sampler, gumbel_softmax_backward_batch};

/// `rows × cols` logits in [-4, 4], a few masked, from a SplitMix64 stream.
fn logits(rows: usize, cols: usize, seed: u64) -> Vec<f32> {
    let mut r = splitmix(seed);
    (0..rows * cols)
        .map(|_| {
            if r.below(17) == 0 {
                f32::NEG_INFINITY
            } else {
                (r.uniform() * 8.0 - 4.0) as f32
            }
        })
        .collect()
}

/// Every output of one non-empty call of each batch entry point, in order; with
/// `zero_rows`, every entry point is also called with zero rows before and after each
/// of them.
fn trace(mut s: Sampler, zero_rows: bool) -> Vec<u32> {
    const COLS: usize = 77; // not a multiple of 64: ring calls leave the head unaligned
    let x = logits(3, COLS, 1);
    let p: Vec<f32> = x.iter().map(|&v| v.exp()).collect();
    let keys = [5u64, 6, 7];
    let mut got = Vec::new();
    let zero = |s: &mut Sampler| {
        if !zero_rows {
            return;
        }
        let ctx = format!("{s:?}");
        let (e, mut none): (&[f32], _) = (&[], [0u32; 0]);
        assert_eq!(s.sample_batch::<f32>(e, COLS, &mut none), Ok(()), "{ctx}");
        let half: &[gumbel::half::bf16] = &[];
        assert_eq!(s.sample_batch(half, COLS, &mut none), Ok(()), "{ctx}");
        assert_eq!(s.sample_batch_probs(e, COLS, &mut none), Ok(()), "{ctx}");
        assert_eq!(
            s.sample_batch_keyed::<f32>(e, COLS, &[], &mut none),
            Ok(()),
            "{ctx}"
        );
        let mut y = [0.0f32; 0];
        assert_eq!(
            s.gumbel_softmax_batch(e, COLS, 0.5, &mut y, &mut none),
            Ok(()),
            "{ctx}"
        );
        assert_eq!(
            s.gumbel_softmax_batch_keyed(e, COLS, 0.5, &[], &mut y, &mut none),
            Ok(()),
            "{ctx}"
        );
    };
    let mut out = [0u32; 3];
    let mut y = vec![0.0f32; x.len()];
    // two ring reads in a row that start unaligned: a zero-row Gumbel-max call in
    // between that aligned the ring's head would shift the second one
    for _ in 0..2 {
        zero(&mut s);
        s.gumbel_softmax_batch(&x, COLS, 0.7, &mut y, &mut out)
            .unwrap();
        got.extend(out);
        got.extend(y.iter().map(|v| v.to_bits()));
    }
    zero(&mut s);
    s.sample_batch(&x, COLS, &mut out).unwrap();
    got.extend(out);
    zero(&mut s);
    s.sample_batch_probs(&p, COLS, &mut out).unwrap();
    got.extend(out);
    zero(&mut s);
    s.sample_batch_keyed(&x, COLS, &keys, &mut out).unwrap();
    got.extend(out);
    zero(&mut s);
    s.gumbel_softmax_batch_keyed(&x, COLS, 0.7, &keys, &mut y, &mut out)
        .unwrap();
    got.extend(out);
    got.extend(y.iter().map(|v| v.to_bits()));
    zero(&mut s);
    s.sample_batch(&x, COLS, &mut out).unwrap();
    got.extend(out);
    got.push(s.rows_sampled() as u32);
    got
}

/// A batch of zero rows (`logits` empty, `cols > 0`) is `Ok(())` for every batch entry
/// point, and spends no randomness: a sampler that also makes zero-row calls before and
/// after each real one gives exactly the same outputs as one that does not — on every
/// method, with the ring refilled in the background or not.
#[test]
fn zero_row_batches_are_no_ops_for_every_entry_point() {
    for m in METHODS {
        for background in [false, true] {
            for t in [1.0f32, 0.0, 0.6] {
                let make = || {
                    Sampler::new(11)
                        .method(m)
                        .temperature(t)
                        .ring_capacity(1 << 16)
                        .background_refill(background)
                };
                let want = trace(make(), false);
                let got = trace(make(), true);
                let first_diff =
                    (0..want.len().max(got.len())).find(|&i| got.get(i) != want.get(i));
                assert_eq!(
                    first_diff, None,
                    "{m:?} T={t} background {background}: outputs differ"
                );
            }
        }
    }
    // the backward pass too
    assert_eq!(
        gumbel_softmax_backward_batch(&[], &[], 5, 1.0, &mut []),
        Ok(())
    );
}

/// Zero rows keeps every other check: `cols == 0` is still `EmptyRow`, outputs and keys
/// must still match the (zero) rows, and a bad temperature or τ is still an error.
#[test]
fn zero_row_batches_still_check_their_arguments() {
    let mismatch = |what, found| Error::LengthMismatch {
        what,
        expected: 0,
        found,
    };
    for m in METHODS {
        let ctx = format!("{m:?}");
        let mut s = Sampler::new(3).method(m);
        let e: &[f32] = &[];
        let mut one = [7u32; 1];
        let mut y1 = [0.5f32; 1];
        assert_eq!(s.sample_batch(e, 0, &mut []), Err(Error::EmptyRow), "{ctx}");
        assert_eq!(s.sample_batch_probs(e, 0, &mut []), Err(Error::EmptyRow));
        assert_eq!(
            s.sample_batch_keyed(e, 0, &[], &mut []),
            Err(Error::EmptyRow)
        );
        assert_eq!(
            s.gumbel_softmax_batch(e, 0, 1.0, &mut [], &mut []),
            Err(Error::EmptyRow)
        );
        assert_eq!(
            s.sample_batch(e, 4, &mut one),
            Err(mismatch("out", 1)),
            "{ctx}"
        );
        assert_eq!(one, [7], "{ctx}: out written");
        assert_eq!(
            s.sample_batch_keyed(e, 4, &[1], &mut []),
            Err(mismatch("keys", 1)),
            "{ctx}"
        );
        assert_eq!(
            s.gumbel_softmax_batch(e, 4, 1.0, &mut [], &mut one),
            Err(mismatch("hard", 1)),
            "{ctx}"
        );
        assert_eq!(
            s.gumbel_softmax_batch(e, 4, 1.0, &mut y1, &mut []),
            Err(mismatch("y", 1)),
            "{ctx}"
        );
        assert_eq!(
            s.gumbel_softmax_batch_keyed(e, 4, 1.0, &[1], &mut [], &mut []),
            Err(mismatch("keys", 1)),
            "{ctx}"
        );
        assert_eq!(
            s.gumbel_softmax_batch(e, 4, 0.0, &mut [], &mut []),
            Err(Error::InvalidTau(0.0)),
            "{ctx}"
        );
        let mut bad = Sampler::new(3).method(m).temperature(-1.0);
        assert_eq!(
            bad.sample_batch(e, 4, &mut []),
            Err(Error::InvalidTemperature(-1.0)),
            "{ctx}"
        );
        assert_eq!(s.rows_sampled(), 0, "{ctx}");
    }
    assert_eq!(
        gumbel_softmax_backward_batch(&[], &[], 0, 1.0, &mut []),
        Err(Error::EmptyRow)
    );
    assert_eq!(
        gumbel_softmax_backward_batch(&[], &[], 5, -1.0, &mut []),
        Err(Error::InvalidTau(-1.0))
    );
    assert_eq!(
        gumbel_softmax_backward_batch(&[], &[1.0], 5, 1.0, &mut []),
        Err(Error::LengthMismatch {
            what: "grad_y",
            expected: 0,
            found: 1
        })
    );
}

/// One error of every variant, several with NaN payloads.
fn one_of_each() -> Vec<Error> {
    let nan = f32::NAN;
    vec![
        Error::InvalidParameter {
            name: "scale",
            value: f64::NAN,
        },
        Error::InvalidLogit {
            row: 1,
            col: 2,
            value: nan,
        },
        Error::InvalidProbability {
            row: 1,
            col: 2,
            value: nan,
        },
        Error::InvalidNoise {
            index: 3,
            value: nan,
        },
        Error::NonFinite {
            what: "y",
            index: 3,
            value: nan,
        },
        Error::ScoreOverflow { row: 4 },
        Error::AllMasked { row: 4 },
        Error::EmptyRow,
        Error::NotMultipleOfCols { len: 5, cols: 2 },
        Error::LengthMismatch {
            what: "out",
            expected: 1,
            found: 2,
        },
        Error::ClaimTooLarge {
            requested: 9,
            capacity: 8,
        },
        Error::InvalidTemperature(nan),
        Error::InvalidTau(nan),
        Error::InvalidUniform(f64::NAN),
        Error::IsaUnavailable(gumbel::simd::Isa::Scalar),
    ]
}

/// `Error`'s equality: same variant and fields, floats by bit pattern — so every
/// error, NaN payloads included, equals itself and its clone and nothing else of the
/// list; `==` is an equivalence (`Error: Eq`).
#[test]
fn errors_equal_themselves_nan_payloads_included() {
    fn is_eq<T: Eq>() {}
    is_eq::<Error>();
    let all = one_of_each();
    for (i, a) in all.iter().enumerate() {
        assert_eq!(a, a, "{a:?} != itself");
        assert_eq!(*a, a.clone(), "{a:?} != its clone");
        for (j, b) in all.iter().enumerate() {
            assert_eq!(a == b, i == j, "{a:?} vs {b:?}");
            assert_eq!(a == b, b == a, "{a:?} vs {b:?}: not symmetric");
        }
    }
    // floats are compared by bits: signed zeros and NaN payloads are told apart
    let quiet = f32::NAN;
    let other_nan = f32::from_bits(quiet.to_bits() | 1);
    assert!(other_nan.is_nan());
    assert_ne!(
        Error::InvalidTemperature(0.0),
        Error::InvalidTemperature(-0.0)
    );
    assert_ne!(
        Error::InvalidTau(quiet),
        Error::InvalidTau(other_nan),
        "different NaN payloads"
    );
    assert_ne!(Error::InvalidUniform(0.0), Error::InvalidUniform(-0.0));
    assert_eq!(Error::InvalidTau(1.5), Error::InvalidTau(1.5));
    // fields other than the value count too
    let logit = |row, col, value| Error::InvalidLogit { row, col, value };
    assert_ne!(logit(0, 1, quiet), logit(1, 1, quiet));
    assert_ne!(logit(0, 1, quiet), logit(0, 2, quiet));
    assert_ne!(
        logit(0, 1, quiet),
        Error::InvalidProbability {
            row: 0,
            col: 1,
            value: quiet
        }
    );
    assert_ne!(
        Error::NonFinite {
            what: "y",
            index: 0,
            value: 1.0
        },
        Error::NonFinite {
            what: "grad_y",
            index: 0,
            value: 1.0
        }
    );
}

/// The errors the API returns for NaN input compare equal to the expected value, so
/// `assert_eq!` works on them.
#[test]
fn nan_errors_from_the_api_compare_equal() {
    let nan = f32::NAN;
    assert_eq!(
        gumbel::gumbel_max(&[0.0, nan], &[0.0, 0.0], 1.0),
        Err(Error::InvalidLogit {
            row: 0,
            col: 1,
            value: nan
        })
    );
    assert_eq!(
        gumbel::gumbel_max_probs(&[nan], &[0.0], 1.0),
        Err(Error::InvalidProbability {
            row: 0,
            col: 0,
            value: nan
        })
    );
    assert_eq!(
        Sampler::new(1).temperature(nan).sample(&[0.0f32, 1.0]),
        Err(Error::InvalidTemperature(nan))
    );
    assert_eq!(
        gumbel::softmax_roulette(&[0.0f32, 1.0], f64::NAN, 1.0),
        Err(Error::InvalidUniform(f64::NAN))
    );
}

/// Run `f` on a detached thread and wait for it at most a minute: a hang fails the
/// test with a message instead of blocking the test binary.
fn watchdog<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(v)) => v,
        Ok(Err(p)) => std::panic::resume_unwind(p),
        Err(_) => panic!("{what}: hung for a minute"),
    }
}

/// Capacities no allocator provides: 4 TiB (the abort), 256 TiB, sizes whose
/// byte count overflows `isize`, and sizes within a block of `usize::MAX`, where
/// rounding up to whole blocks used to wrap.
///
/// The first two fail on any machine that does not overcommit without limit; where
/// the allocator would hand them out (`vm.overcommit_memory = 1`) a refill would then
/// touch them all, so they are left out there. The others fail everywhere.
fn impossible_capacities() -> Vec<usize> {
    let always = [
        1 << 62,
        usize::MAX / 2,
        usize::MAX - RING_BLOCK,
        usize::MAX - 1,
        usize::MAX,
    ];
    let mut caps = Vec::new();
    for cap in [1 << 40, 1 << 46] {
        if NoiseRing::new(0, cap).allocate().is_err() {
            caps.push(cap);
        } else {
            eprintln!("this allocator hands out a ring of {cap} values: not testing it");
        }
    }
    for cap in always {
        assert!(NoiseRing::new(0, cap).allocate().is_err(), "capacity {cap}");
    }
    caps.extend(always);
    caps
}

/// A `NoiseRing` whose buffer cannot be allocated: never wraps its capacity, reports
/// `RingAllocation` from every call that needs the buffer (handing nothing out), and
/// still serves `claim_into` with the right positions.
#[test]
fn noise_ring_of_impossible_capacity_is_an_error() {
    for cap in impossible_capacities() {
        let ctx = format!("capacity {cap}");
        let mut ring = NoiseRing::new(3, cap);
        let c = ring.capacity();
        assert!(c > 0 && c.is_multiple_of(RING_BLOCK), "{ctx}: capacity {c}");
        assert!(
            c >= cap.min(usize::MAX / RING_BLOCK * RING_BLOCK),
            "{ctx}: wrapped to {c}"
        );
        let want = Err(Error::RingAllocation { requested: c });
        assert_eq!(ring.allocate(), want, "{ctx}");
        assert_eq!(ring.try_refill(), want, "{ctx}");
        ring.refill(); // does nothing
        assert_eq!(ring.claim(10).map(|g| g.len()), want.map(|()| 0), "{ctx}");
        assert_eq!(
            ring.claim_blocks(MAX_BLOCK).map(|g| g.0.len()),
            Err(Error::RingAllocation { requested: c }),
            "{ctx}"
        );
        assert_eq!(
            (ring.position(), ring.ready(), ring.heap_bytes()),
            (0, 0, 0),
            "{ctx}"
        );
        // claim_into generates the same positions straight into the output
        let mut got = vec![0.0f32; 1000];
        ring.claim_into(&mut got);
        let mut want = vec![0.0f32; 1000];
        NoiseRing::new(3, 1 << 14).claim_into(&mut want);
        assert_eq!(got, want, "{ctx}: claim_into");
        assert_eq!(ring.position(), 1000, "{ctx}");
        let msg = Error::RingAllocation { requested: c }.to_string();
        assert!(msg.contains(&c.to_string()), "{ctx}: {msg}");
    }
    let msg = Error::RingAllocation {
        requested: usize::MAX,
    }
    .to_string();
    assert!(msg.contains("more than usize::MAX bytes"), "{msg}");
}

/// The same ring kept by a background refiller: the refiller neither spins nor
/// aborts, `wait_full` returns, claims are errors, and the drop joins the thread.
#[test]
fn background_ring_of_impossible_capacity_is_an_error() {
    for cap in impossible_capacities() {
        watchdog("background ring", move || {
            let ctx = format!("capacity {cap}");
            let bg = NoiseRing::new(3, cap).into_background();
            bg.wait_full();
            let c = bg.with_ring(|r| r.capacity());
            let want = Err(Error::RingAllocation { requested: c });
            assert_eq!(
                bg.claim_with(10, |g| g.len()),
                want.clone().map(|()| 0),
                "{ctx}"
            );
            assert_eq!(
                bg.claim_blocks_with(MAX_BLOCK, |g, _| g.len()),
                want.map(|()| 0),
                "{ctx}"
            );
            assert_eq!(bg.ready(), 0, "{ctx}");
            let mut v = vec![0.0f32; 100];
            bg.with_ring(|r| r.claim_into(&mut v));
            assert!(v.iter().all(|g| g.is_finite()), "{ctx}");
            drop(bg);
        });
    }
}

/// `Sampler::ring_capacity` with a capacity that cannot be had: the builder stays
/// infallible, and the first call that needs the ring returns `RingAllocation` with
/// `out` untouched — on the caller's thread or with a background refiller. Methods and
/// calls that read no ring are unaffected.
#[test]
fn sampler_ring_of_impossible_capacity_is_an_error() {
    let cols = 300;
    let x = logits(2, cols, 4);
    for cap in impossible_capacities() {
        for background in [false, true] {
            let x = x.clone();
            watchdog("sampler", move || {
                let ctx = format!("capacity {cap} background {background}");
                let make = |m| {
                    Sampler::new(5)
                        .ring_capacity(cap)
                        .method(m)
                        .background_refill(background)
                };
                let mut s = make(Method::GumbelMax);
                s.wait_for_noise(); // returns: the ring cannot fill
                s.refill(); // does nothing
                let is_alloc =
                    |r: Result<(), Error>| matches!(r, Err(Error::RingAllocation { .. }));
                assert!(is_alloc(s.try_refill()), "{ctx}");
                let mut out = [u32::MAX; 2];
                assert!(is_alloc(s.sample_batch(&x, cols, &mut out)), "{ctx}");
                assert_eq!(out, [u32::MAX; 2], "{ctx}: out written");
                assert!(matches!(
                    s.sample(&x[..cols]),
                    Err(Error::RingAllocation { .. })
                ));
                let mut y = vec![0.0f32; x.len()];
                assert!(is_alloc(
                    s.gumbel_softmax_batch(&x, cols, 1.0, &mut y, &mut out)
                ));
                assert_eq!(out, [u32::MAX; 2], "{ctx}: hard written");
                // no ring needed: greedy, keyed, fused, roulette
                s.sample_batch_keyed(&x, cols, &[1, 2], &mut out).unwrap();
                let mut greedy = make(Method::GumbelMax).temperature(0.0);
                greedy.sample_batch(&x, cols, &mut out).unwrap();
                for m in [Method::GumbelMaxFused, Method::SoftmaxRoulette] {
                    let mut s = make(m);
                    s.sample_batch(&x, cols, &mut out).unwrap();
                    s.sample_batch(&x, cols, &mut out).unwrap();
                }
            });
        }
    }
}

/// `rows × cols` logits, cheap to make for large batches: a SplitMix64 value per row
/// mixed with the column, in [-3, 3].
fn big_logits(rows: usize, cols: usize, seed: u64) -> Vec<f32> {
    let mut r = splitmix(seed);
    let mut x = Vec::with_capacity(rows * cols);
    for _ in 0..rows {
        let (a, b) = (r.uniform() as f32, r.next_u64());
        x.extend((0..cols).map(|c| {
            let h = (c as u64 ^ b).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40;
            (h as f32 * (1.0 / (1u64 << 24) as f32) - 0.5) * 6.0 + a
        }));
    }
    x
}

/// The batch: 64 rows of a 128256-token vocabulary (8.2 M values) is twice
/// the default ring. The ring sizes itself from the first batch — at least
/// 2 × rows × stride — so after a refill the next batch of that shape makes no noise
/// on the critical path, wherever it falls in the ring. Refilled before the first
/// batch (the default capacity) or not, on the caller's thread or in the background,
/// the tokens are those of a sampler given the grown capacity from the start.
#[test]
fn the_ring_sizes_itself_from_the_first_batch() {
    let (rows, cols): (usize, usize) = (64, 128_256);
    let stride = cols.next_multiple_of(MAX_BLOCK);
    let x = big_logits(rows, cols, 9);
    let run = |mut s: Sampler, refill_first: bool, ctx: &str| -> Vec<u32> {
        if refill_first {
            s.refill();
            assert_eq!(s.noise_capacity(), gumbel::DEFAULT_RING_CAPACITY, "{ctx}");
        }
        let mut tokens = Vec::new();
        let mut out = vec![0u32; rows];
        s.sample_batch(&x, cols, &mut out).unwrap();
        tokens.extend_from_slice(&out);
        let cap = s.noise_capacity();
        assert!(
            cap >= 2 * rows * stride,
            "{ctx}: ring of {cap} after one batch"
        );
        for step in 1..6 {
            s.wait_for_noise();
            assert!(
                s.noise_ready() >= cap - RING_BLOCK,
                "{ctx} step {step}: refilled"
            );
            let before = s.noise_generated_while_sampling();
            s.sample_batch(&x, cols, &mut out).unwrap();
            assert_eq!(
                s.noise_generated_while_sampling(),
                before,
                "{ctx} step {step}: noise made on the critical path"
            );
            assert_eq!(s.noise_capacity(), cap, "{ctx} step {step}: regrown");
            tokens.extend_from_slice(&out);
        }
        tokens
    };
    let grown = {
        let mut s = Sampler::new(21);
        s.sample_batch(&x, cols, &mut vec![0u32; rows]).unwrap();
        s.noise_capacity()
    };
    assert_eq!(
        grown,
        1 << 24,
        "the smallest power of two holding two batches"
    );
    let want = run(Sampler::new(21).ring_capacity(grown), false, "explicit");
    for background in [false, true] {
        for refill_first in [false, true] {
            let ctx = format!("background {background}, refill first {refill_first}");
            let s = Sampler::new(21).background_refill(background);
            let got = run(s, refill_first, &ctx);
            assert_eq!(got, want, "{ctx}: tokens differ from the explicit capacity");
        }
    }
}

/// Batches that grow in steps, with claims that wrap before and after the ring grows:
/// whether and when the ring is refilled (before every batch, now and then, never, in
/// the background) changes no token — the capacity depends on the batch shapes only,
/// and growing keeps the noise ready at its positions. Gumbel-softmax batches, which
/// read the ring too, are mixed in.
#[test]
fn refill_timing_never_changes_a_token_while_the_ring_grows() {
    let cols = 600_000; // a multiple of 64: the stride is cols
    let x = big_logits(8, cols, 10);
    // 3 rows claim 1.8 M (the 4 M default holds them; the third batch wraps), 4 rows
    // 2.4 M (grows to 8 M), 8 rows 4.8 M (grows to 16 M)
    let plan = [3usize, 3, 3, 4, 3, 4, 2, 8, 3, 8, 8];
    let run = |refill: &dyn Fn(usize) -> bool, background: bool| -> (Vec<u32>, Vec<usize>) {
        let mut s = Sampler::new(5).background_refill(background);
        let (mut tokens, mut caps) = (Vec::new(), Vec::new());
        for (i, &rows) in plan.iter().enumerate() {
            if refill(i) {
                s.refill();
            }
            let mut out = vec![0u32; rows];
            if i == 6 {
                let mut y = vec![0.0f32; rows * cols];
                s.gumbel_softmax_batch(&x[..rows * cols], cols, 0.5, &mut y, &mut out)
                    .unwrap();
            } else {
                s.sample_batch(&x[..rows * cols], cols, &mut out).unwrap();
            }
            tokens.extend(out);
            caps.push(s.noise_capacity());
        }
        (tokens, caps)
    };
    let (want, caps) = run(&|_| false, false);
    assert_eq!(
        caps,
        [4, 4, 4, 8, 8, 8, 8, 16, 16, 16, 16].map(|m| m << 20),
        "capacities"
    );
    let every: &dyn Fn(usize) -> bool = &|_| true;
    let some: &dyn Fn(usize) -> bool = &|i| i % 3 == 0;
    let first: &dyn Fn(usize) -> bool = &|i| i == 0;
    for (what, refill, background) in [
        ("refill before every batch", every, false),
        ("refill before every third", some, false),
        ("refill before the first only", first, false),
        ("background refill", first, true),
    ] {
        let (got, got_caps) = run(refill, background);
        assert_eq!(got_caps, caps, "{what}: capacities");
        assert_eq!(got, want, "{what}: tokens");
    }
}

/// A sampler whose calls read no ring allocates none — not when sampling, not when
/// asked to refill — until a call that reads the ring (a Gumbel-softmax batch) has
/// used it; a `GumbelMax` sampler allocates at its first refill or batch.
#[test]
fn no_ring_is_allocated_for_calls_that_read_none() {
    let cols = 1000;
    let x = logits(4, cols, 12);
    let mut out = [0u32; 4];
    let samplers = [
        Sampler::new(1).method(Method::GumbelMaxFused),
        Sampler::new(1).method(Method::SoftmaxRoulette),
        Sampler::new(1).temperature(0.0),
    ];
    for mut s in samplers {
        let ctx = format!("{s:?}");
        s.sample_batch(&x, cols, &mut out).unwrap();
        s.sample_batch_keyed(&x, cols, &[1, 2, 3, 4], &mut out)
            .unwrap();
        s.sample(&x[..cols]).unwrap();
        s.refill();
        s.try_refill().unwrap();
        s.wait_for_noise();
        assert_eq!((s.noise_heap_bytes(), s.noise_ready()), (0, 0), "{ctx}");
        let mut y = vec![0.0f32; x.len()];
        s.gumbel_softmax_batch(&x, cols, 1.0, &mut y, &mut out)
            .unwrap();
        assert!(s.noise_heap_bytes() > 0, "{ctx}: the Gumbel-softmax ring");
        s.refill();
        assert!(s.noise_ready() > 0, "{ctx}: refilled once in use");
    }
    // keyed calls on a GumbelMax sampler read no ring either
    let mut s = Sampler::new(1);
    s.sample_batch_keyed(&x, cols, &[1, 2, 3, 4], &mut out)
        .unwrap();
    assert_eq!(s.noise_heap_bytes(), 0);
    s.refill();
    assert!(s.noise_heap_bytes() >= 4 * gumbel::DEFAULT_RING_CAPACITY);
    let mut s = Sampler::new(1);
    s.sample_batch(&x, cols, &mut out).unwrap();
    assert!(s.noise_heap_bytes() >= 4 * gumbel::DEFAULT_RING_CAPACITY);
}

/// A capacity set with `ring_capacity` is kept: larger batches are served from a
/// scratch copy, not by growing the ring.
#[test]
fn a_set_ring_capacity_does_not_grow() {
    let cols = 50_000;
    let x = logits(4, cols, 13);
    let mut s = Sampler::new(2).ring_capacity(1 << 16);
    let mut out = [0u32; 4];
    s.sample_batch(&x, cols, &mut out).unwrap();
    assert_eq!(s.noise_capacity(), 1 << 16);
    let mut s = Sampler::new(2)
        .ring_capacity(1 << 16)
        .backend(gumbel::simd::Backend::active());
    s.sample_batch(&x, cols, &mut out).unwrap();
    assert_eq!(s.noise_capacity(), 1 << 16, "after backend()");
}
