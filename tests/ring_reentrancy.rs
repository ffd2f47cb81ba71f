//! Issue 12: a `BackgroundRing` runs no user closure under its mutex. A claim's closure
//! works on the lent buffer without the lock, so calls on the same ring from inside it
//! — a nested claim, statistics, `Debug` — and from other threads go on, with exactly
//! the values their positions hold; calls that would wait for a loan held by their own
//! thread panic instead of deadlocking, and leave the ring usable. Every test runs under
//! a watchdog, so a deadlock fails with a message instead of hanging the test binary.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use gumbel::noise::{BackgroundRing, MAX_BLOCK, NoiseRing, RING_BLOCK, fill_gumbel};

const WATCHDOG: Duration = Duration::from_secs(60);

/// Run `f` on a detached thread and wait at most `WATCHDOG` for it.
fn watched<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(catch_unwind(AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(WATCHDOG) {
        Ok(Ok(v)) => v,
        Ok(Err(p)) => std::panic::resume_unwind(p),
        Err(_) => panic!("{what}: deadlock — no return after {WATCHDOG:?}"),
    }
}

/// What positions `start .. start + n` of a ring seeded with `seed` hold.
fn reference(seed: u64, start: u64, n: usize) -> Vec<f32> {
    let b = RING_BLOCK as u64;
    let mut out = Vec::with_capacity(n);
    let mut block = vec![0.0f32; RING_BLOCK];
    let mut p = start;
    while out.len() < n {
        fill_gumbel(seed, p / b, &mut block);
        let off = (p % b) as usize;
        let take = (RING_BLOCK - off).min(n - out.len());
        out.extend_from_slice(&block[off..off + take]);
        p += take as u64;
    }
    out
}

fn block_max(g: &[f32]) -> Vec<f32> {
    g.chunks(MAX_BLOCK)
        .map(|c| c.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)))
        .collect()
}

/// Inside a claim's closure: statistics, `Debug`, a nested claim, a nested block
/// claim and a claim nested two deep all return, with their positions' values, and
/// the positions handed out are contiguous and never repeated.
#[test]
fn calls_inside_a_claim_closure_do_not_deadlock() {
    watched("nested calls", || {
        let seed = 77;
        // 16 blocks: these claims never wrap, so each starts where the last ended
        let ring = NoiseRing::new(seed, 16 * RING_BLOCK).into_background();
        for round in 0..200u64 {
            let start = ring.position();
            let n = 100 + (round as usize * 37) % 3000;
            let (outer, inner, deep, blocks, pos) = ring
                .claim_with(n, |g| {
                    assert!(ring.ready() <= ring.capacity());
                    let _ = ring.generated_on_claim();
                    let dbg = format!("{ring:?}");
                    assert!(dbg.contains("buffer_lent: true"), "{dbg}");
                    let (inner, deep) = ring
                        .claim_with(50, |h| {
                            let deep = ring.claim_with(7, |d| d.to_vec()).unwrap();
                            (h.to_vec(), deep)
                        })
                        .unwrap();
                    let blocks = ring
                        .claim_blocks_with(2 * MAX_BLOCK, |b, m| (b.to_vec(), m.to_vec()))
                        .unwrap();
                    (g.to_vec(), inner, deep, blocks, ring.position())
                })
                .unwrap();
            let ctx = format!("round {round}, claim of {n} at {start}");
            assert_eq!(outer, reference(seed, start, n), "{ctx}: outer");
            let p = start + n as u64;
            assert_eq!(inner, reference(seed, p, 50), "{ctx}: nested");
            assert_eq!(deep, reference(seed, p + 50, 7), "{ctx}: nested twice");
            let q = (p + 57).next_multiple_of(MAX_BLOCK as u64);
            assert_eq!(blocks.0, reference(seed, q, 2 * MAX_BLOCK), "{ctx}: blocks");
            assert_eq!(blocks.1, block_max(&blocks.0), "{ctx}: block maxima");
            assert_eq!(pos, q + 2 * MAX_BLOCK as u64, "{ctx}: position");
            if round % 8 == 0 {
                ring.wait_full();
            }
            if ring.position() > 12 * RING_BLOCK as u64 {
                // start over well before a claim could wrap
                let end = ring.position();
                let fresh = ring.with_ring(|r| {
                    r.skip_to(end.next_multiple_of(16 * RING_BLOCK as u64));
                    r.position()
                });
                assert_eq!(ring.position(), fresh);
            }
        }
    });
}

/// While one thread's claim closure holds the buffer, another thread's claims and
/// statistics go on (served from a buffer of their own), and its `with_ring` waits for
/// the closure to end — then everything is handed out exactly once.
#[test]
fn other_threads_proceed_during_a_claim_closure() {
    watched("claims from other threads", || {
        let seed = 78;
        let ring = NoiseRing::new(seed, 8 * RING_BLOCK).into_background();
        ring.wait_full();
        let (outer, theirs) = ring
            .claim_with(1000, |g| {
                let theirs = thread::scope(|s| {
                    s.spawn(|| {
                        let _ = ring.ready();
                        ring.claim_with(300, |h| h.to_vec()).unwrap()
                    })
                    .join()
                    .unwrap()
                });
                (g.to_vec(), theirs)
            })
            .unwrap();
        assert_eq!(outer, reference(seed, 0, 1000));
        assert_eq!(theirs, reference(seed, 1000, 300));
        // a with_ring from another thread waits for the closure, then runs
        let (got, waited) = thread::scope(|s| {
            let (got, h) = ring
                .claim_with(10, |g| {
                    let h = s.spawn(|| ring.with_ring(|r| r.claim(5).unwrap().to_vec()));
                    // give it time to try: it must wait, as we hold the buffer
                    thread::sleep(Duration::from_millis(20));
                    assert!(!h.is_finished(), "with_ring ran during a claim's closure");
                    (g.to_vec(), h)
                })
                .unwrap();
            (got, h.join().unwrap())
        });
        assert_eq!(got, reference(seed, 1300, 10));
        assert_eq!(waited, reference(seed, 1310, 5));
        assert_eq!(ring.position(), 1315);
    });
}

/// The message a call that would wait for its own thread's loan panics with.
fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// `with_ring` and `wait_full` from inside a claim's closure, and any call from inside
/// a `with_ring` closure, would wait for their own thread: they panic with a message
/// instead of deadlocking, the loan is given back on the unwind, and the ring goes on
/// handing out the right noise.
#[test]
fn waiting_for_ones_own_loan_panics_and_the_ring_recovers() {
    watched("own-loan panics", || {
        let seed = 79;
        let ring = NoiseRing::new(seed, 4 * RING_BLOCK).into_background();
        type Call<'a> = (&'static str, Box<dyn Fn() + 'a>);
        let calls: Vec<Call> = vec![
            (
                "with_ring inside claim_with",
                Box::new(|| {
                    ring.claim_with(10, |_| ring.with_ring(|r| r.position()))
                        .unwrap();
                }),
            ),
            (
                "wait_full inside claim_blocks_with",
                Box::new(|| {
                    ring.claim_blocks_with(64, |_, _| ring.wait_full()).unwrap();
                }),
            ),
            (
                "claim_with inside with_ring",
                Box::new(|| {
                    ring.with_ring(|_| ring.claim_with(10, |_| ()).unwrap());
                }),
            ),
            (
                "ready inside with_ring",
                Box::new(|| {
                    ring.with_ring(|_| ring.ready());
                }),
            ),
            (
                "with_ring inside with_ring",
                Box::new(|| ring.with_ring(|_| ring.with_ring(|_| ()))),
            ),
        ];
        for (what, call) in &calls {
            let before = ring.position();
            let p = catch_unwind(AssertUnwindSafe(call)).expect_err(what);
            let msg = panic_message(p);
            assert!(msg.contains("from inside"), "{what}: {msg}");
            // the loan came back: the ring works, from the next position on
            ring.wait_full();
            let start = ring.position();
            assert!(start >= before, "{what}");
            let got = ring.claim_with(100, |g| g.to_vec()).unwrap();
            assert_eq!(got, reference(seed, start, 100), "{what}: after the panic");
        }
        drop(calls);
        drop(ring);
    });
}

/// A closure that panics gives the buffer back: the refiller goes on filling, and the
/// drop joins it.
#[test]
fn a_panicking_claim_closure_gives_the_buffer_back() {
    watched("panicking closure", || {
        let ring: BackgroundRing = NoiseRing::new(80, 2 * RING_BLOCK).into_background();
        for _ in 0..50 {
            let r = catch_unwind(AssertUnwindSafe(|| {
                ring.claim_with(RING_BLOCK, |_| panic!("user code panics"))
                    .unwrap()
            }));
            assert!(r.is_err());
            ring.wait_full();
            let into_block = (ring.position() % RING_BLOCK as u64) as usize;
            assert_eq!(ring.ready(), 2 * RING_BLOCK - into_block, "not refilled");
        }
        drop(ring);
    });
}
