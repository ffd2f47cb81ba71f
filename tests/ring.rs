//! The noise ring's contract: fixed content (position `p` of a ring seeded with `s`
//! holds `fill_gumbel(s, p / RING_BLOCK)[p % RING_BLOCK]`), never hands a position out
//! twice, generates on the claim only what is not ready, and a background refiller
//! produces the same noise. Also the `Sampler`'s use of the ring.

mod common;

use common::rng::{Draws, Rng, splitmix};

use std::collections::BTreeMap;

use gumbel::noise::{NoiseRing, RING_BLOCK, fill_gumbel};
use gumbel::simd::with_isa;
use gumbel::{Method, Sampler};

const B: usize = RING_BLOCK;

/// The noise a ring seeded with `seed` must hold, block by block.
struct Reference {
    seed: u64,
    blocks: BTreeMap<u64, Vec<f32>>,
}

impl Reference {
    fn new(seed: u64) -> Reference {
        Reference {
            seed,
            blocks: BTreeMap::new(),
        }
    }

    fn block(&mut self, b: u64) -> &[f32] {
        let seed = self.seed;
        self.blocks.entry(b).or_insert_with(|| {
            let mut v = vec![0.0f32; B];
            fill_gumbel(seed, b, &mut v);
            v
        })
    }

    /// Assert that `got` holds positions `start .. start + got.len()`, bit for bit.
    #[track_caller]
    fn check(&mut self, start: u64, got: &[f32], ctx: &str) {
        // positions only increase: forget blocks before this claim
        self.blocks = self.blocks.split_off(&(start / B as u64));
        let mut p = start;
        let mut rest = got;
        while !rest.is_empty() {
            let off = (p % B as u64) as usize;
            let take = (B - off).min(rest.len());
            let want = &self.block(p / B as u64)[off..off + take];
            if let Some(k) = (0..take).find(|&k| rest[k].to_bits() != want[k].to_bits()) {
                panic!(
                    "{ctx}: position {} holds {} but the reference noise is {} (claim of {} at {start})",
                    p + k as u64,
                    rest[k],
                    want[k],
                    got.len()
                );
            }
            p += take as u64;
            rest = &rest[take..];
        }
    }
}

/// Where a claim of `n` made at position `before` must start in a ring of capacity
/// `cap`: at `before`, or at the next multiple of `cap` if it would run past the end of
/// the buffer (the tail is skipped).
fn expected_start(before: u64, n: usize, cap: usize) -> u64 {
    let slot = before % cap as u64;
    if slot + n as u64 > cap as u64 {
        before - slot + cap as u64
    } else {
        before
    }
}

/// Handed-out ranges: contiguous or skipping forward, never overlapping.
#[derive(Default)]
struct Ranges {
    end: u64,
    list: Vec<(u64, u64)>,
    skipped: u64,
}

impl Ranges {
    #[track_caller]
    fn push(&mut self, start: u64, n: usize, ctx: &str) {
        assert!(
            start >= self.end,
            "{ctx}: claim at {start} overlaps positions handed out up to {}",
            self.end
        );
        self.skipped += start - self.end;
        self.end = start + n as u64;
        self.list.push((start, self.end));
    }

    fn assert_disjoint_increasing(&self) {
        for w in self.list.windows(2) {
            assert!(
                w[0].1 <= w[1].0 && w[0].0 < w[0].1,
                "ranges {:?} then {:?}",
                w[0],
                w[1]
            );
        }
    }
}

/// Drive a ring with claims of random sizes (some forcing the wrap-skip), `claim_into`
/// of any size, and interleaved refills; check every claim's positions and content and
/// what it generated.
fn hammer(seed: u64, capacity: usize, steps: usize) {
    let mut ring = NoiseRing::new(seed, capacity);
    let cap = ring.capacity();
    assert_eq!(cap % B, 0);
    assert!(cap >= capacity);
    assert_eq!(ring.seed(), seed);
    let mut reference = Reference::new(seed);
    let mut ranges = Ranges::default();
    let mut rng = splitmix(seed ^ 0xabcd);
    let mut buf = Vec::new();
    let (mut skips, mut big, mut refills) = (0, 0, 0);
    for step in 0..steps {
        let before = ring.position();
        assert_eq!(
            before, ranges.end,
            "step {step}: the position moved by itself"
        );
        let ready = ring.ready();
        let filled = before + ready as u64;
        let gen0 = ring.generated_on_claim();
        let slot = (before % cap as u64) as usize;
        let ctx = format!("cap {cap} step {step} at {before} (ready {ready})");
        match rng.next_u64() % 16 {
            0 | 1 => {
                ring.refill();
                refills += 1;
                assert_eq!(ring.position(), before, "{ctx}: refill moved the position");
                let limit = (before / B as u64) * B as u64 + cap as u64;
                assert_eq!(
                    before + ring.ready() as u64,
                    limit,
                    "{ctx}: refill did not fill the ring"
                );
                assert_eq!(
                    ring.generated_on_claim(),
                    gen0,
                    "{ctx}: refill counted as claim"
                );
            }
            2 => {
                // claim_into larger than the capacity: never skips
                let n = rng.between(cap + 1, 3 * cap);
                buf.resize(n, f32::NAN);
                ring.claim_into(&mut buf);
                big += 1;
                assert_eq!(ring.position(), before + n as u64, "{ctx}: claim_into({n})");
                ranges.push(before, n, &ctx);
                reference.check(before, &buf, &format!("{ctx}: claim_into({n})"));
                assert!(
                    ring.generated_on_claim() > gen0,
                    "{ctx}: claim_into({n}) generated nothing"
                );
            }
            3 => {
                // claim_into within the capacity: as claim
                let n = rng.between(1, cap);
                buf.resize(n, f32::NAN);
                ring.claim_into(&mut buf);
                let start = ring.position() - n as u64;
                assert_eq!(
                    start,
                    expected_start(before, n, cap),
                    "{ctx}: claim_into({n})"
                );
                skips += (start != before) as usize;
                ranges.push(start, n, &ctx);
                reference.check(start, &buf, &format!("{ctx}: claim_into({n})"));
            }
            k => {
                let n = match k {
                    4 | 5 => cap,
                    // just past the end of the buffer: forces the wrap-skip
                    6..=8 if slot > 0 => rng.between(cap - slot + 1, cap),
                    9 => 1,
                    _ => rng.between(1, B),
                };
                let got = ring.claim(n).unwrap().to_vec();
                let after = ring.position();
                let start = after - n as u64;
                let ctx = format!("{ctx}: claim({n})");
                assert_eq!(start, expected_start(before, n, cap), "{ctx}");
                skips += (start != before) as usize;
                ranges.push(start, n, &ctx);
                reference.check(start, &got, &ctx);
                let end = after;
                let generated = ring.generated_on_claim() - gen0;
                if end <= filled {
                    assert_eq!(generated, 0, "{ctx}: generated noise although it was ready");
                } else {
                    // whole blocks, covering what was missing and no more
                    let missing = end - filled.max(start);
                    assert!(
                        generated >= missing && generated < missing + 2 * B as u64,
                        "{ctx}: generated {generated} for {missing} missing"
                    );
                }
                assert!(ring.ready() <= cap, "{ctx}");
            }
        }
        // claims beyond the capacity are rejected without side effects
        if step % 97 == 0 {
            let pos = ring.position();
            let ready = ring.ready();
            assert!(ring.claim(cap + 1).is_err(), "{ctx}");
            assert_eq!(
                (ring.position(), ring.ready()),
                (pos, ready),
                "{ctx}: a rejected claim changed the ring"
            );
        }
    }
    ranges.assert_disjoint_increasing();
    assert!(
        skips > steps / 20,
        "cap {cap}: only {skips} wrap-skips in {steps} steps"
    );
    assert!(big > 0 && refills > 0);
}

#[test]
fn one_block_ring_never_hands_a_position_out_twice() {
    for &isa in &common::isas() {
        with_isa(isa, || hammer(0x5eed_0001, B, 1500)).unwrap();
    }
}

#[test]
fn multi_block_rings_never_hand_a_position_out_twice() {
    for (seed, capacity) in [(2u64, 2 * B), (3, 3 * B + 1), (4, 8 * B)] {
        hammer(seed, capacity, 1500);
    }
}

#[test]
fn claims_past_what_is_ready_are_generated_on_the_spot() {
    let seed = 41;
    let cap = 4 * B;
    let mut ring = NoiseRing::new(seed, cap);
    let mut reference = Reference::new(seed);
    assert_eq!((ring.ready(), ring.generated_on_claim()), (0, 0));

    // a claim of nothing hands out nothing
    assert!(ring.claim(0).unwrap().is_empty());
    ring.claim_into(&mut []);
    assert_eq!((ring.position(), ring.generated_on_claim()), (0, 0));

    // empty ring: one block made on the claim
    let got = ring.claim(100).unwrap().to_vec();
    reference.check(0, &got, "first claim");
    assert_eq!(ring.generated_on_claim(), B as u64);
    assert_eq!(ring.ready(), B - 100);

    // more than is ready, within the capacity
    let got = ring.claim(2 * B).unwrap().to_vec();
    reference.check(100, &got, "claim past the ready block");
    assert_eq!(ring.generated_on_claim(), 3 * B as u64);

    // refill tops up to a whole capacity ahead of the current block (blocks 3, 4, 5)
    ring.refill();
    assert_eq!(ring.generated_in_refill(), 3 * B as u64);
    assert_eq!(ring.ready(), cap - 100);
    ring.refill(); // already full: nothing to do
    assert_eq!(ring.generated_in_refill(), 3 * B as u64);
    let generated = ring.generated_on_claim();

    // after refill: claims of up to half the capacity generate nothing, wrap or not
    let mut rng = splitmix(99);
    let mut end = ring.position();
    for i in 0..400 {
        let n = rng.between(1, cap / 2);
        let before = ring.position();
        let got = ring.claim(n).unwrap().to_vec();
        let start = ring.position() - n as u64;
        assert_eq!(start, expected_start(before, n, cap));
        assert!(start >= end);
        end = start + n as u64;
        reference.check(start, &got, &format!("claim {i} of {n} after refill"));
        assert_eq!(
            ring.generated_on_claim(),
            generated,
            "claim {i} of {n} at {before} after refill generated noise"
        );
        ring.refill();
    }

    // claim_into longer than the capacity: served from the same positions
    let before = ring.position();
    let mut big = vec![0.0f32; 3 * cap + 123];
    ring.claim_into(&mut big);
    reference.check(before, &big, "claim_into past the capacity");
    assert_eq!(ring.position(), before + big.len() as u64);
    assert_eq!(ring.ready(), 0);
    // and the ring goes on from there
    let got = ring.claim(B).unwrap().to_vec();
    let start = ring.position() - B as u64;
    assert!(start >= before + big.len() as u64);
    reference.check(start, &got, "claim after a long claim_into");

    // skip_to: positions before are never handed out
    let to = ring.position() + 12_345;
    ring.skip_to(to);
    assert_eq!((ring.position(), ring.ready()), (to, 0));
    ring.skip_to(to - 1); // backwards: ignored
    assert_eq!(ring.position(), to);
    let got = ring.claim(777).unwrap().to_vec();
    let start = ring.position() - 777;
    assert_eq!(start, expected_start(to, 777, cap));
    reference.check(start, &got, "claim after skip_to");
}

#[test]
fn background_refiller_makes_the_same_noise() {
    for &isa in &common::isas() {
        with_isa(isa, || {
            let seed = 0xb6_0001;
            let cap = 4 * B;
            let bg = NoiseRing::new(seed, cap).into_background();
            let mut reference = Reference::new(seed);
            let mut ranges = Ranges::default();
            let mut rng = splitmix(5);
            let mut waited_claims = 0;
            for i in 0..600 {
                let wait = i % 3 != 2;
                if wait {
                    bg.wait_full();
                    let pos = bg.with_ring(|r| r.position());
                    assert_eq!(
                        pos + bg.ready() as u64,
                        (pos / B as u64) * B as u64 + cap as u64,
                        "{isa} claim {i}: wait_full returned before the ring was full"
                    );
                }
                let gen0 = bg.generated_on_claim();
                let before = bg.with_ring(|r| r.position());
                let n = if i % 5 == 0 {
                    rng.between(1, cap)
                } else {
                    rng.between(1, cap / 2)
                };
                let ctx = format!("{isa} claim {i} of {n} at {before} (waited: {wait})");
                let got = if i % 7 == 3 {
                    // a claim_into through the lock, sometimes longer than the capacity
                    let mut v = vec![f32::NAN; n * 2];
                    bg.with_ring(|r| r.claim_into(&mut v));
                    v
                } else {
                    bg.claim_with(n, |g| g.to_vec()).unwrap()
                };
                let after = bg.with_ring(|r| r.position());
                let start = after - got.len() as u64;
                if got.len() <= cap {
                    assert_eq!(start, expected_start(before, got.len(), cap), "{ctx}");
                } else {
                    assert_eq!(start, before, "{ctx}");
                }
                ranges.push(start, got.len(), &ctx);
                reference.check(start, &got, &ctx);
                if wait && got.len() <= cap / 2 {
                    waited_claims += 1;
                    assert_eq!(
                        bg.generated_on_claim(),
                        gen0,
                        "{ctx}: a claim on a full ring generated noise"
                    );
                }
            }
            assert!(waited_claims > 100);
            ranges.assert_disjoint_increasing();
            assert!(bg.claim_with(cap + 1, |_| ()).is_err());

            let mut ring = bg.into_inner();
            assert_eq!(
                ring.position(),
                ranges.end,
                "{isa}: into_inner lost the position"
            );
            assert_eq!(ring.seed(), seed);
            for i in 0..20 {
                let before = ring.position();
                let got = ring.claim(3000).unwrap().to_vec();
                let start = ring.position() - 3000;
                assert_eq!(start, expected_start(before, 3000, cap));
                ranges.push(start, 3000, "after into_inner");
                reference.check(start, &got, &format!("{isa} claim {i} after into_inner"));
            }
        })
        .unwrap();
    }
}

#[test]
fn background_ring_doc_example_and_drop() {
    // claims racing the refiller from the start, then dropping it mid-refill
    for seed in 0..8u64 {
        let bg = NoiseRing::new(seed, 16 * B).into_background();
        let mut reference = Reference::new(seed);
        let mut pos = 0;
        for n in [1, B, 3 * B + 5, 16 * B, 7] {
            let got = bg.claim_with(n, |g| g.to_vec()).unwrap();
            let after = bg.with_ring(|r| r.position());
            let start = after - n as u64;
            assert!(start >= pos);
            pos = after;
            reference.check(start, &got, &format!("seed {seed} claim {n}"));
        }
        drop(bg);
    }
}

/// `n` fixed logits spread over `[0, 10)` (`(7919·i mod 1000)/100`), for the `Sampler`
/// ring tests, where only the noise matters.
fn spread_logits(n: usize) -> Vec<f32> {
    (0..n).map(|i| ((i * 7919) % 1000) as f32 * 0.01).collect()
}

#[test]
fn sampler_on_a_full_ring_generates_no_noise_while_sampling() {
    let (rows, cols) = (8, 1000);
    let logits = spread_logits(rows * cols);
    for background in [false, true] {
        for t in [1.0, 0.5] {
            let mut s = Sampler::new(12)
                .temperature(t)
                .ring_capacity(1 << 16)
                .background_refill(background)
                .parallel_threshold(0);
            let mut out = vec![0u32; rows];
            for i in 0..50 {
                s.wait_for_noise();
                // full, less the part of the current block already handed out
                assert!(
                    s.noise_ready() > (1 << 16) - B,
                    "background {background} call {i}: not full"
                );
                s.sample_batch(&logits, cols, &mut out).unwrap();
                assert_eq!(
                    s.noise_generated_while_sampling(),
                    0,
                    "background {background} T={t} call {i}: noise generated while sampling"
                );
                assert!(out.iter().all(|&o| (o as usize) < cols));
            }
            assert_eq!(s.rows_sampled(), 50 * rows as u64);
        }
    }
    // and an empty ring does generate on the call
    let mut s = Sampler::new(12).ring_capacity(1 << 16);
    s.sample(&logits[..cols]).unwrap();
    assert!(s.noise_generated_while_sampling() > 0);
}

/// `Sampler::background_refill(true)` followed by `ring_capacity(..)` must keep the
/// background refiller: the ring refills itself after a call.
#[test]
fn background_refill_survives_a_later_ring_capacity() {
    let (rows, cols) = (8, 1000);
    let logits = spread_logits(rows * cols);
    for background_first in [false, true] {
        let mut s = if background_first {
            Sampler::new(12)
                .background_refill(true)
                .ring_capacity(1 << 16)
        } else {
            Sampler::new(12)
                .ring_capacity(1 << 16)
                .background_refill(true)
        };
        s.wait_for_noise();
        for _ in 0..3 {
            s.sample_batch(&logits, cols, &mut vec![0u32; rows])
                .unwrap();
        }
        let t0 = std::time::Instant::now();
        while s.noise_ready() < (1 << 16) - B && t0.elapsed().as_secs() < 5 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert!(
            s.noise_ready() >= (1 << 16) - B,
            "background_refill(true) {} ring_capacity(1 << 16): no background refill after a call \
             (noise_ready {} after 5 s)",
            if background_first { "before" } else { "after" },
            s.noise_ready()
        );
    }
}

/// The ring's seed is private to the `Sampler`, so its tokens cannot be recomputed from
/// reference noise through the public API. Instead: ring content depends only on
/// `(seed, position)`, so samplers with the same seed and different ring capacities
/// give the same tokens as long as no claim wraps (capacity ≥ everything drawn), and
/// batches larger than the ring (served by `claim_into`) read the same positions.
#[test]
fn sampler_tokens_do_not_depend_on_the_ring_capacity_without_wraps() {
    let (rows, cols) = (16, 4096);
    let batches: Vec<Vec<f32>> = (0..6u64)
        .map(|k| {
            let mut st = splitmix(k);
            (0..rows * cols)
                .map(|_| (st.next_u64() >> 40) as f32 * 1e-6 - 8.0)
                .collect()
        })
        .collect();
    // 6 × 65536 = 393216 values drawn in all
    let run = |capacity: usize, background: bool, t: f32| -> Vec<u32> {
        let mut s = Sampler::new(31)
            .method(Method::GumbelMax)
            .temperature(t)
            .ring_capacity(capacity)
            .background_refill(background);
        let mut tokens = Vec::new();
        for x in &batches {
            let mut out = vec![0u32; rows];
            s.sample_batch(x, cols, &mut out).unwrap();
            tokens.extend(out);
        }
        tokens
    };
    for t in [1.0, 0.8] {
        let reference = run(gumbel::DEFAULT_RING_CAPACITY, false, t);
        for capacity in [1 << 19, 1 << 20, 3 << 19] {
            assert_eq!(
                run(capacity, false, t),
                reference,
                "T={t} capacity {capacity}"
            );
            assert_eq!(
                run(capacity, true, t),
                reference,
                "T={t} capacity {capacity}, background"
            );
        }
        // batches of 65536 through a ring of one block or of 4 blocks: claim_into
        for capacity in [B, 4 * B, 8 * B - 1] {
            assert_eq!(
                run(capacity, false, t),
                reference,
                "T={t} capacity {capacity} (claim_into or exact fit)"
            );
            assert_eq!(
                run(capacity, true, t),
                reference,
                "T={t} capacity {capacity} (claim_into or exact fit), background"
            );
        }
    }

    // changing the capacity mid-way continues at the same position (no reuse, no gap)
    let x = &batches[0];
    let mut a = Sampler::new(31).ring_capacity(1 << 20);
    let mut b = Sampler::new(31);
    let mut oa = vec![0u32; rows];
    let mut ob = vec![0u32; rows];
    for i in 0..4 {
        a.sample_batch(x, cols, &mut oa).unwrap();
        b.sample_batch(x, cols, &mut ob).unwrap();
        assert_eq!(oa, ob, "call {i} after changing the ring capacity");
        a = a.ring_capacity((1 << 19) + i * B);
    }
}

/// Refills of at least `STREAM_REFILL_MIN` values are written with non-temporal stores
/// (AVX-512 / AVX2): the values must be the very same, on every ISA, for whole-ring
/// refills and for the partial refills that follow claims (wrapped slots included).
#[test]
fn large_refills_with_streaming_stores_make_the_same_noise() {
    use gumbel::noise::STREAM_REFILL_MIN;
    let cap = STREAM_REFILL_MIN + 3 * B;
    for isa in common::isas() {
        with_isa(isa, || {
            let mut ring = NoiseRing::new(77, cap);
            let mut reference = Reference::new(77);
            ring.refill(); // whole ring: streamed
            assert_eq!(ring.ready(), cap);
            let a = ring.claim(cap - 5 * B).unwrap().to_vec();
            reference.check(0, &a, &format!("{isa} first"));
            ring.refill(); // below the threshold: plain stores
            let b = ring.claim(4 * B).unwrap().to_vec();
            reference.check((cap - 5 * B) as u64, &b, &format!("{isa} second"));
            let before = ring.position();
            let c = ring.claim(cap / 2).unwrap().to_vec(); // generated on the spot
            reference.check(
                expected_start(before, cap / 2, cap),
                &c,
                &format!("{isa} on claim"),
            );
            ring.refill(); // ≥ threshold again, into wrapped slots
            let before = ring.position();
            let d = ring.claim(cap - B).unwrap().to_vec();
            reference.check(
                expected_start(before, cap - B, cap),
                &d,
                &format!("{isa} wrapped"),
            );
            assert!(
                ring.generated_on_claim() > 0,
                "{isa}: the third claim was not generated on the spot"
            );
        })
        .unwrap();
    }
}

/// A claim beyond the capacity is its own error, saying what is wrong; nothing is
/// consumed, and `claim_into` serves the same length.
#[test]
fn oversized_claim_is_a_claim_too_large_error() {
    let mut ring = NoiseRing::new(5, B);
    let cap = ring.capacity();
    let e = ring.claim(cap + 1).unwrap_err();
    assert_eq!(
        e,
        gumbel::Error::ClaimTooLarge {
            requested: cap + 1,
            capacity: cap
        }
    );
    let msg = e.to_string();
    assert!(
        msg.contains("exceeds the ring's capacity") && msg.contains("claim_into"),
        "{msg}"
    );
    assert_eq!(ring.position(), 0, "a refused claim consumes nothing");
    let mut big = vec![0.0f32; cap + 1];
    ring.claim_into(&mut big);
    assert_eq!(ring.position(), (cap + 1) as u64);
}
