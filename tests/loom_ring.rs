//! Model check of the background refiller's handshake: claim, refill, wait for a full
//! ring, stop. Built only with `--cfg loom`, where the crate's `sync` shim puts loom's
//! `Mutex`, `Condvar`, `Arc` and threads under the real `BackgroundRing`, and
//! `loom::model` runs each body under every interleaving of the test thread and the
//! refill thread. A lost wakeup shows up as loom's deadlock report (the refiller asleep
//! in `wait`, the dropping thread in `join`), a wrong hand-out as a failed assertion.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom_ring
//! ```
//!
//! Without `--cfg loom` this file compiles to an empty test binary.
#![cfg(loom)]

use gumbel::noise::{NoiseRing, RING_BLOCK, fill_gumbel};

const SEED: u64 = 9;

/// Block `b` of the ring seeded with `SEED`: what positions `b·RING_BLOCK ..` hold.
fn block(b: u64) -> Vec<f32> {
    let mut v = vec![0.0f32; RING_BLOCK];
    fill_gumbel(SEED, b, &mut v);
    v
}

/// The smallest ring (one block), kept by a refill thread.
fn one_block_ring() -> gumbel::noise::BackgroundRing {
    NoiseRing::new(SEED, 1).into_background()
}

/// Drop while the refiller makes or installs the first block, or is about to sleep.
#[test]
fn drop_at_any_point_of_the_first_refill() {
    loom::model(|| drop(one_block_ring()));
}

/// The drop of issue 9: the ring is full, a claim that frees no block wakes the
/// refiller, which looks and goes back to sleep — and the drop comes in between.
#[test]
fn drop_while_the_refiller_goes_back_to_sleep() {
    let b0 = block(0);
    loom::model(move || {
        let ring = one_block_ring();
        ring.wait_full();
        let got = ring.claim_with(16, |g| g.to_vec()).unwrap();
        assert_eq!(got, b0[..16]);
        drop(ring);
    });
}

/// A claim of the whole block (made by the refiller or on the spot, whichever comes
/// first), a wait for the refiller to make the next block, a claim of it, a drop
/// (while the refiller makes block 2). Every claim gets exactly the values of its
/// positions, and no block is installed twice.
#[test]
fn claim_wait_full_claim_drop() {
    let (b0, b1) = (block(0), block(1));
    loom::model(move || {
        let ring = one_block_ring();
        let first = ring.claim_with(RING_BLOCK, |g| g.to_vec()).unwrap();
        assert_eq!(first, b0);
        ring.wait_full();
        assert_eq!(ring.ready(), RING_BLOCK);
        // blocks 0 and 1, each counted once (a refiller copy made too late is
        // discarded, not counted); block 2 cannot start before the next claim
        let made = ring.with_ring(|r| r.generated_in_refill() + r.generated_on_claim());
        assert_eq!(made, 2 * RING_BLOCK as u64);
        let second = ring.claim_with(RING_BLOCK, |g| g.to_vec()).unwrap();
        assert_eq!(second, b1);
        drop(ring);
    });
}

/// Taking the ring back mid-refill: the thread is joined, nothing handed out is
/// handed out again, and what is ready is the next block's true content.
#[test]
fn into_inner_while_the_refiller_runs() {
    let (b0, b1) = (block(0), block(1));
    loom::model(move || {
        let ring = one_block_ring();
        let first = ring.claim_with(RING_BLOCK, |g| g.to_vec()).unwrap();
        assert_eq!(first, b0);
        let mut ring = ring.into_inner();
        assert_eq!(ring.position(), RING_BLOCK as u64);
        let second = ring.claim(RING_BLOCK).unwrap().to_vec();
        assert_eq!(second, b1);
        // each block installed exactly once: by the refiller or on a claim, and a
        // copy the refiller made too late was discarded, not counted
        let made = ring.generated_in_refill() + ring.generated_on_claim();
        assert_eq!(made, 2 * RING_BLOCK as u64);
    });
}
