//! Model check of the background refiller's handshake: claim (with its loan of the
//! buffer to the closure, and claims nested in it or racing it from another thread),
//! refill, wait for a full ring, lend the whole ring, stop. Built only with `--cfg loom`, where the crate's `sync` shim puts loom's
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

/// A claim nested in a claim's closure: the outer closure runs without the lock on the
/// lent buffer, the nested claim is served from a buffer of its own, and both get
/// exactly their positions' values — whether the refiller made block 0 first, or the
/// outer claim did, or the refiller is waiting for the lent buffer to install.
#[test]
fn claim_nested_in_a_claim_closure() {
    let b0 = block(0);
    loom::model(move || {
        let ring = one_block_ring();
        let (outer, inner, pos) = ring
            .claim_with(16, |g| {
                let inner = ring.claim_with(16, |h| h.to_vec()).unwrap();
                (g.to_vec(), inner, ring.position())
            })
            .unwrap();
        assert_eq!(outer, b0[..16]);
        assert_eq!(inner, b0[16..32]);
        assert_eq!(pos, 32);
        let next = ring.claim_with(16, |g| g.to_vec()).unwrap();
        assert_eq!(next, b0[32..48]);
        drop(ring);
    });
}

/// The drop comes right after a claim whose closure held the buffer while the refiller
/// had the next block made and waited to install it: the refiller is waiting for the
/// buffer, installing, or asleep — the drop joins it in every case.
#[test]
fn drop_after_the_refiller_waited_for_a_lent_buffer() {
    let b0 = block(0);
    loom::model(move || {
        let ring = one_block_ring();
        let got = ring.claim_with(RING_BLOCK, |g| g.to_vec()).unwrap();
        assert_eq!(got, b0);
        drop(ring);
    });
}

/// `with_ring` lends the whole ring to its closure (no lock held while it runs); the
/// refiller waits for it, and the claims after it continue where it left off.
#[test]
fn with_ring_lends_the_whole_ring() {
    let b0 = block(0);
    loom::model(move || {
        let ring = one_block_ring();
        let got = ring.with_ring(|r| r.claim(16).unwrap().to_vec());
        assert_eq!(got, b0[..16]);
        let next = ring
            .claim_blocks_with(64, |g, m| (g.to_vec(), m[0]))
            .unwrap();
        assert_eq!(next.0, b0[64..128]);
        assert_eq!(
            next.1,
            b0[64..128].iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b))
        );
        drop(ring);
    });
}

/// Two threads claim at once while the refiller runs: one claim may be served in place
/// and the other from a buffer of its own while the first closure holds the ring's;
/// between them they get positions 0..16 and 16..32, each exactly once. The last
/// handle drops the ring. (Three threads: the preemptions are bounded to keep the
/// model small.)
#[test]
fn claims_from_two_threads_while_the_refiller_runs() {
    use loom::sync::Arc;
    let b0 = block(0);
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(2);
    model.check(move || {
        let ring = Arc::new(one_block_ring());
        let other = Arc::clone(&ring);
        let t = loom::thread::spawn(move || other.claim_with(16, |g| g.to_vec()).unwrap());
        let mine = ring.claim_with(16, |g| g.to_vec()).unwrap();
        let theirs = t.join().unwrap();
        let (first, second) = (&b0[..16], &b0[16..32]);
        assert!(
            (mine == first && theirs == second) || (mine == second && theirs == first),
            "claims overlap or hold the wrong values"
        );
        assert_eq!(ring.position(), 32);
        drop(ring);
    });
}
