//! Issue 9: dropping a `Sampler` (or a `BackgroundRing`) with a background refiller
//! must never hang — also (issue 12) while the refiller is busy making a large ring's
//! blocks, or waiting for a claim's closure to give the buffer back, or right after a
//! claim that had to wait for another thread's `with_ring`.
//!
//! The refiller sleeps on the ring's condvar once the ring is full. A drop that set
//! the stop signal and notified between the refiller's last look at it and its sleep
//! used to be lost, and the drop then waited in `join` forever. These tests churn
//! through many short-lived background rings from several threads — the drops land
//! right after claims and right after a wait for a full ring, when the refiller is on
//! its way to sleep — and fail with a message, instead of hanging, if a drop gets stuck.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use gumbel::Sampler;
use gumbel::noise::NoiseRing;
use rayon::prelude::*;

const THREADS: usize = 4;
/// Far above the few seconds each test takes in release on a loaded machine.
const WATCHDOG: Duration = Duration::from_secs(60);

/// Run `work(thread, drops)` on `THREADS` detached threads and wait for all of them
/// at most `WATCHDOG`; `work` counts each drop in `drops`. Panics on a hang (reporting
/// how many of `total` drops finished) or if a worker panicked.
fn watched(what: &str, total: usize, work: impl Fn(u64, &AtomicUsize) + Send + Sync + 'static) {
    let work = Arc::new(work);
    let drops = Arc::new(AtomicUsize::new(0));
    let (done, finished) = mpsc::channel();
    let start = Instant::now();
    for t in 0..THREADS {
        let (work, drops, done) = (Arc::clone(&work), Arc::clone(&drops), done.clone());
        // detached: a hung worker must not keep the test from reporting
        thread::spawn(move || {
            let ok = catch_unwind(AssertUnwindSafe(|| work(t as u64, &drops))).is_ok();
            let _ = done.send(ok);
        });
    }
    for _ in 0..THREADS {
        match finished.recv_timeout(WATCHDOG.saturating_sub(start.elapsed())) {
            Ok(true) => {}
            Ok(false) => panic!("{what}: a worker thread panicked"),
            Err(_) => panic!(
                "{what}: hang — after {:?} only {} of {total} drops have returned; a drop \
                 is stuck joining its refill thread (issue 9)",
                start.elapsed(),
                drops.load(Ordering::Relaxed),
            ),
        }
    }
    assert_eq!(drops.load(Ordering::Relaxed), total);
    eprintln!("{what}: {total} drops in {:?}", start.elapsed());
}

/// The scenario of the issue: per thread, 300 samplers with a background refiller,
/// each sampling 0–4 batches of 8 × 5000 logits, every third waiting for a full ring,
/// then dropped. Repeated a few rounds.
#[test]
fn dropping_background_samplers_never_hangs() {
    const SAMPLERS: usize = 300;
    const ROUNDS: usize = 3;
    const ROWS: usize = 8;
    const COLS: usize = 5000;
    let logits: Vec<f32> = (0..ROWS * COLS)
        .map(|i| ((i % COLS) as f32 * 0.013).sin())
        .collect();
    watched("samplers", ROUNDS * THREADS * SAMPLERS, move |t, drops| {
        let mut out = vec![0u32; ROWS];
        for i in 0..ROUNDS * SAMPLERS {
            let mut s = Sampler::new(t << 32 | i as u64)
                .ring_capacity(1 << 16)
                .background_refill(true);
            // 0-4 batches; with the wait on every third, every (batches, wait)
            // pair comes up in each run of 15 samplers
            for _ in 0..(7 * i + 3 * t as usize) % 5 {
                s.sample_batch(&logits, COLS, &mut out)
                    .expect("valid batch");
                assert!(out.iter().all(|&tok| (tok as usize) < COLS));
            }
            if i % 3 == 0 {
                s.wait_for_noise();
            }
            drop(s);
            drops.fetch_add(1, Ordering::Relaxed);
        }
    });
}

/// The narrowest form of the race: a one-block ring is full as soon as the refiller
/// installs its block and goes to sleep; drop it right then (after a wait for the full
/// ring, after a claim that frees the block, or at once).
#[test]
fn dropping_a_background_ring_as_it_falls_asleep_never_hangs() {
    const RINGS: usize = 10_000;
    watched("one-block rings", THREADS * RINGS, |t, drops| {
        for i in 0..RINGS {
            let ring = NoiseRing::new(t << 32 | i as u64, 1).into_background();
            ring.wait_full();
            // claims that free no block, each woken on by a parallel pass over its
            // noise (rayon workers spinning keep the refiller's core contended)
            for _ in 0..i % 4 {
                let sum: f32 = ring
                    .claim_with(1000, |g| {
                        g.par_chunks(100).map(|c| c.iter().sum::<f32>()).sum()
                    })
                    .expect("fits");
                assert!(sum.is_finite());
            }
            drop(ring);
            drops.fetch_add(1, Ordering::Relaxed);
        }
    });
}

/// Drops that land while the refiller is busy: making the first of a large ring's 256
/// blocks (a drop right after creation), waiting for a claim's closure to give the
/// buffer back (a claim whose closure dawdles, then the drop), or after a claim that
/// waited for another thread's `with_ring`. Each drop joins the thread; none may hang.
#[test]
fn dropping_while_the_refiller_is_busy_never_hangs() {
    const RINGS: usize = 40;
    watched("busy refillers", THREADS * RINGS, |t, drops| {
        let mut slowest = Duration::ZERO;
        for i in 0..RINGS {
            // 2^21 values: 256 blocks, far from made when the drop comes
            let ring = NoiseRing::new(t << 32 | i as u64, 1 << 21).into_background();
            match i % 3 {
                0 => {}
                1 => {
                    let g0 = ring
                        .claim_with(1000, |g| {
                            thread::sleep(Duration::from_millis(2));
                            g[0]
                        })
                        .expect("fits");
                    assert!(g0.is_finite());
                }
                _ => thread::scope(|s| {
                    let lender = s.spawn(|| {
                        ring.with_ring(|r| {
                            thread::sleep(Duration::from_millis(2));
                            r.claim(10).expect("fits").len()
                        })
                    });
                    let waiter = s.spawn(|| ring.claim_with(10, |g| g.len()).expect("fits"));
                    assert_eq!((lender.join().unwrap(), waiter.join().unwrap()), (10, 10));
                }),
            }
            let start = Instant::now();
            drop(ring);
            slowest = slowest.max(start.elapsed());
            drops.fetch_add(1, Ordering::Relaxed);
        }
        eprintln!("thread {t}: slowest drop {slowest:?}");
    });
}
