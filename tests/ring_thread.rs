//! The background refiller is a named thread (`gumbel-refill`, see
//! `REFILL_THREAD_NAME`) whose life ends with its ring: it is there while a
//! `BackgroundRing` (or a `Sampler` with `background_refill(true)`) lives, and gone
//! once that is dropped or switched back. Linux only: the thread names are read from
//! `/proc/self/task/*/comm`. One test in its own binary, so no other test's refill
//! threads are counted.

#[cfg(target_os = "linux")]
#[test]
fn the_refill_thread_is_named_and_ends_with_its_ring() {
    use std::time::{Duration, Instant};

    use gumbel::Sampler;
    use gumbel::noise::{NoiseRing, REFILL_THREAD_NAME};

    /// Threads of this process named `REFILL_THREAD_NAME`.
    fn refill_threads() -> usize {
        std::fs::read_dir("/proc/self/task")
            .expect("/proc/self/task")
            .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
            .filter(|name| name.trim_end() == REFILL_THREAD_NAME)
            .count()
    }

    /// Wait (a little: an exited thread leaves `/proc` just after its join) until
    /// there are `n` refill threads.
    #[track_caller]
    fn expect_threads(n: usize, when: &str) {
        let start = Instant::now();
        while refill_threads() != n && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(refill_threads(), n, "{when}");
    }

    assert!(
        REFILL_THREAD_NAME.len() <= 15,
        "Linux truncates thread names to 15 bytes"
    );
    expect_threads(0, "before any background ring");
    let a = NoiseRing::new(1, 1 << 14).into_background();
    let b = NoiseRing::new(2, 1 << 14).into_background();
    expect_threads(2, "two background rings");
    drop(a);
    expect_threads(1, "after dropping one");
    let ring = b.into_inner();
    expect_threads(0, "after into_inner");
    assert_eq!(ring.seed(), 2);

    let s = Sampler::new(3)
        .ring_capacity(1 << 14)
        .background_refill(true);
    expect_threads(1, "a sampler with background refill");
    let s = s.background_refill(false);
    expect_threads(0, "after background_refill(false)");
    let s = s.background_refill(true).ring_capacity(1 << 15);
    expect_threads(1, "after replacing the ring");
    drop(s);
    expect_threads(0, "after dropping the sampler");
}
