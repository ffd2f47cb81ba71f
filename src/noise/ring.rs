//! [`NoiseRing`]: Gumbel noise generated before the logits exist, handed out once.

use rayon::prelude::*;

use crate::simd::Backend;
use crate::sync::thread::{self, JoinHandle};
use crate::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::lanes::lane_state;

/// Positions per generation block. Block `b` of a ring seeded with `seed` holds
/// `fill_gumbel(seed, b, ..)` (block `b` is stream `b`), so the content of every
/// position is fixed by `(seed, position)` and blocks can be made in any order.
pub const RING_BLOCK: usize = 8192;

/// Refills that make at least this many values (4 MiB) write them with non-temporal
/// stores where the ISA has them: noise made that far ahead of its use would leave
/// cache anyway, and writing it around the cache spares the memory traffic of reading
/// each line before writing it and of writing the dirty lines back later, in the
/// middle of a sampling step. Smaller refills stay in cache for the claims after them.
pub const STREAM_REFILL_MIN: usize = 1 << 20;

/// Values per entry of the ring's block-maximum table (the kernels' 64-element block):
/// the ring keeps the maximum of every aligned run of this many values beside them.
pub const MAX_BLOCK: usize = crate::simd::vector::BLOCK;

/// Fill `out` with ring positions `start .. start + out.len()` of `seed` (any alignment),
/// in parallel by block. Returns the number of values generated.
pub(crate) fn fill_positions(k: Backend, seed: u64, start: u64, out: &mut [f32]) -> u64 {
    let n = out.len() as u64;
    if n == 0 {
        return 0;
    }
    let first_block = start / RING_BLOCK as u64;
    let lead = (start % RING_BLOCK as u64) as usize;
    // Split `out` at block boundaries of the position space.
    let mut pieces: Vec<(u64, usize, &mut [f32])> = Vec::new();
    let mut rest = out;
    let mut block = first_block;
    let mut offset = lead;
    while !rest.is_empty() {
        let take = (RING_BLOCK - offset).min(rest.len());
        let (head, tail) = rest.split_at_mut(take);
        pieces.push((block, offset, head));
        rest = tail;
        block += 1;
        offset = 0;
    }
    let generated: u64 = pieces
        .into_par_iter()
        .map(|(block, offset, dst)| {
            let mut st = lane_state(seed, block);
            if offset == 0 && dst.len() == RING_BLOCK {
                k.fill_gumbel(&mut st, dst);
                RING_BLOCK as u64
            } else {
                let mut tmp = vec![0.0f32; offset + dst.len()];
                k.fill_gumbel(&mut st, &mut tmp);
                dst.copy_from_slice(&tmp[offset..]);
                tmp.len() as u64
            }
        })
        .sum();
    generated
}

/// A ring buffer of pre-generated standard Gumbel noise.
///
/// Noise is made *before* the logits exist — [`refill`](Self::refill) can run while an
/// inference engine computes its forward pass — so that a sampling step only has to
/// add and argmax. The contract:
///
/// * **Fixed content.** Position `p` always holds the same value for a given seed
///   (block `p / RING_BLOCK` is `fill_gumbel(seed, block)`), so refills can run in
///   parallel, in any order, early or late, and every claim sees the same numbers.
/// * **Never reused.** [`claim`](Self::claim) hands out each position at most once.
///   A claim that does not fit before the end of the buffer skips the tail (those
///   positions are discarded, never handed out); a claim larger than what is ready is
///   generated on the spot; a claim larger than the capacity is served by
///   [`claim_into`](Self::claim_into) or by a sampler's scratch buffer.
/// * **Pinned kernels.** The ring generates with the [`Backend`] it was created with
///   ([`Backend::active`] for [`new`](Self::new)), so its content never depends on which
///   thread, or which [`with_isa`](crate::simd::with_isa) scope, refills or claims.
/// * **Observable cost.** [`generated_on_claim`](Self::generated_on_claim) counts noise
///   made on the critical path (zero when the ring was full enough).
/// * **Fallible memory.** The buffer is allocated at the first refill or claim, never
///   by [`new`](Self::new), and fallibly: a capacity that cannot be had makes the calls
///   that need the buffer return
///   [`Error::RingAllocation`](crate::Error::RingAllocation) (see
///   [`allocate`](Self::allocate)), never abort the process.
///
/// ```
/// use gumbel::noise::NoiseRing;
///
/// let mut ring = NoiseRing::new(42, 1 << 16);
/// ring.refill();                       // e.g. during the model's forward pass
/// assert_eq!(ring.ready(), ring.capacity());
/// let logits = vec![0.0f32; 1000];
/// let noise = ring.claim(logits.len()).unwrap();
/// let token = gumbel::gumbel_max(&logits, noise, 1.0).unwrap();
/// assert!(token < 1000);
/// assert_eq!(ring.generated_on_claim(), 0); // nothing was generated while sampling
/// ```
pub struct NoiseRing {
    seed: u64,
    backend: Backend,
    /// The ring's values are `store[off .. off + cap]`: `off` puts them on a 64-byte
    /// boundary, so every block can be written with aligned (non-temporal) stores.
    store: Vec<f32>,
    off: usize,
    cap: usize,
    /// `gmax[j]` is the maximum of ring slots `64·j .. 64·j + 64` (when generated).
    gmax: Vec<f32>,
    /// Next position to hand out.
    head: u64,
    /// Positions `< filled` have been generated (those `>= head` are ready).
    filled: u64,
    on_claim: u64,
    in_refill: u64,
    /// The last attempt to allocate the buffer failed (cleared when one succeeds).
    alloc_failed: bool,
}

impl NoiseRing {
    /// A ring of `capacity` values (rounded up to a multiple of [`RING_BLOCK`], at least
    /// one block), seeded with `seed`. Starts empty: call [`refill`](Self::refill).
    ///
    /// Allocates nothing: the buffer is allocated when it is first needed (or by
    /// [`allocate`](Self::allocate)), fallibly. A capacity within a block of
    /// `usize::MAX`, where rounding up would wrap, is rounded *down* to the last whole
    /// block instead — a size no allocator provides, so it fails like any other
    /// capacity that cannot be had: with
    /// [`Error::RingAllocation`](crate::Error::RingAllocation) from the first call that
    /// needs the buffer.
    ///
    /// ```
    /// use gumbel::noise::{NoiseRing, RING_BLOCK};
    /// let ring = NoiseRing::new(1, 100);
    /// assert_eq!(ring.capacity(), RING_BLOCK);
    /// assert_eq!(ring.ready(), 0);
    /// assert_eq!(NoiseRing::new(1, usize::MAX).capacity(), usize::MAX / RING_BLOCK * RING_BLOCK);
    /// ```
    pub fn new(seed: u64, capacity: usize) -> NoiseRing {
        NoiseRing::with_backend(seed, capacity, Backend::active())
    }

    /// [`new`](Self::new) on a chosen instruction set.
    ///
    /// ```
    /// use gumbel::simd::{Backend, Isa};
    /// let ring = gumbel::noise::NoiseRing::with_backend(1, 100, Backend::scalar());
    /// assert_eq!(ring.isa(), Isa::Scalar);
    /// ```
    pub fn with_backend(seed: u64, capacity: usize, backend: Backend) -> NoiseRing {
        let cap = whole_blocks(capacity);
        NoiseRing {
            seed,
            backend,
            // allocated when the first block is generated (see `storage`)
            store: Vec::new(),
            off: 0,
            cap,
            gmax: Vec::new(),
            head: 0,
            filled: 0,
            on_claim: 0,
            in_refill: 0,
            alloc_failed: false,
        }
    }

    /// The instruction set the ring generates with.
    ///
    /// ```
    /// let ring = gumbel::noise::NoiseRing::new(0, 1);
    /// assert_eq!(ring.isa(), gumbel::simd::Isa::active());
    /// ```
    pub fn isa(&self) -> crate::simd::Isa {
        self.backend.isa()
    }

    /// Capacity in values.
    ///
    /// ```
    /// assert_eq!(gumbel::noise::NoiseRing::new(0, 1 << 20).capacity(), 1 << 20);
    /// ```
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Allocate the buffer and the block-max table now, instead of at the first refill
    /// or claim (which do it themselves). Does nothing if they are allocated.
    ///
    /// # Errors
    /// [`Error::RingAllocation`](crate::Error::RingAllocation) if the memory cannot be
    /// had (the ring stays unallocated; later calls try again).
    ///
    /// ```
    /// use gumbel::{Error, noise::NoiseRing};
    /// let mut ring = NoiseRing::new(1, 1 << 16);
    /// assert_eq!(ring.heap_bytes(), 0);
    /// ring.allocate().unwrap();
    /// assert!(ring.heap_bytes() >= 4 << 16);
    /// let mut huge = NoiseRing::new(1, 1 << 62); // 16 EiB
    /// assert_eq!(huge.allocate(), Err(Error::RingAllocation { requested: 1 << 62 }));
    /// assert_eq!(huge.heap_bytes(), 0);
    /// ```
    pub fn allocate(&mut self) -> Result<(), crate::Error> {
        let res = self.storage();
        self.alloc_failed = res.is_err();
        res
    }

    /// Allocate the buffer and the block-max table on first use, so a ring that is
    /// never claimed from (a sampler on another method) costs no memory. Fallible:
    /// user-sized memory must not abort the process.
    fn storage(&mut self) -> Result<(), crate::Error> {
        if !self.store.is_empty() {
            return Ok(());
        }
        let failed = crate::Error::RingAllocation {
            requested: self.cap,
        };
        // at most 15 f32 to the next 64-byte boundary; zeroed lazily by the allocator
        // (calloc), so untouched pages cost nothing until a block is written
        let len = self.cap.checked_add(15).ok_or(failed.clone())?;
        let store: Vec<f32> =
            bytemuck::allocation::try_zeroed_vec(len).map_err(|()| failed.clone())?;
        // an entry is written with its block
        let gmax: Vec<f32> =
            bytemuck::allocation::try_zeroed_vec(self.cap / MAX_BLOCK).map_err(|()| failed)?;
        // if the platform says the boundary cannot be reached, stores stay plain: the
        // kernel checks alignment itself
        self.off = store.as_ptr().align_offset(64).min(15);
        self.store = store;
        self.gmax = gmax;
        Ok(())
    }

    /// Heap memory the ring holds, in bytes: 0 until the buffer is allocated (at the
    /// first refill or claim, or by [`allocate`](Self::allocate)).
    ///
    /// ```
    /// let mut ring = gumbel::noise::NoiseRing::new(1, 1 << 16);
    /// assert_eq!(ring.heap_bytes(), 0);
    /// ring.refill();
    /// assert!(ring.heap_bytes() >= 4 << 16);
    /// ```
    pub fn heap_bytes(&self) -> usize {
        (self.store.capacity() + self.gmax.capacity()) * size_of::<f32>()
    }

    fn buf(&self) -> &[f32] {
        &self.store[self.off..self.off + self.cap]
    }

    fn buf_mut(&mut self) -> &mut [f32] {
        &mut self.store[self.off..self.off + self.cap]
    }

    /// The seed.
    ///
    /// ```
    /// assert_eq!(gumbel::noise::NoiseRing::new(9, 1).seed(), 9);
    /// ```
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Values generated and not yet handed out.
    ///
    /// ```
    /// let mut ring = gumbel::noise::NoiseRing::new(0, 1 << 14);
    /// ring.refill();
    /// ring.claim(10).unwrap();
    /// assert_eq!(ring.ready(), (1 << 14) - 10);
    /// ```
    pub fn ready(&self) -> usize {
        (self.filled.saturating_sub(self.head)) as usize
    }

    /// The next position [`claim`](Self::claim) would hand out (if it does not wrap).
    ///
    /// ```
    /// let mut ring = gumbel::noise::NoiseRing::new(0, 1 << 14);
    /// ring.claim(5).unwrap();
    /// assert_eq!(ring.position(), 5);
    /// ```
    pub fn position(&self) -> u64 {
        self.head
    }

    /// Total values generated inside [`claim`](Self::claim) because not enough were
    /// ready: noise made on the critical path.
    ///
    /// ```
    /// let mut ring = gumbel::noise::NoiseRing::new(0, 1 << 14);
    /// ring.claim(10).unwrap(); // ring was empty: one block made on the spot
    /// assert_eq!(ring.generated_on_claim(), gumbel::noise::RING_BLOCK as u64);
    /// ```
    pub fn generated_on_claim(&self) -> u64 {
        self.on_claim
    }

    /// Total values generated by [`refill`](Self::refill) (and a background refiller).
    ///
    /// ```
    /// let mut ring = gumbel::noise::NoiseRing::new(0, 1 << 14);
    /// ring.refill();
    /// assert_eq!(ring.generated_in_refill(), 1 << 14);
    /// ```
    pub fn generated_in_refill(&self) -> u64 {
        self.in_refill
    }

    fn nblocks(&self) -> u64 {
        (self.cap / RING_BLOCK) as u64
    }

    /// One past the last position that may be generated now without overwriting
    /// unconsumed noise (saturating: a ring too large to allocate must not wrap here).
    fn limit(&self) -> u64 {
        (self.head / RING_BLOCK as u64)
            .saturating_add(self.nblocks())
            .saturating_mul(RING_BLOCK as u64)
    }

    /// Generate whole blocks covering positions `[filled, upto)` (`upto <= limit`),
    /// with non-temporal stores if `stream`. The buffer must be allocated.
    fn generate(&mut self, upto: u64, stream: bool) -> u64 {
        debug_assert!(!self.store.is_empty(), "generate into an unallocated ring");
        let k = self.backend;
        let bl = RING_BLOCK as u64;
        let first = self.filled / bl;
        let end = upto.div_ceil(bl);
        if end <= first {
            return 0;
        }
        let nb = self.nblocks();
        let seed = self.seed;
        let fill = |st: &mut _, dst: &mut [f32]| {
            if stream {
                k.fill_gumbel_stream(st, dst)
            } else {
                k.fill_gumbel(st, dst)
            }
        };
        let make = |(slot, (dst, gm)): (usize, (&mut [f32], &mut [f32]))| {
            // the block in [first, end) that lives in this slot, if any
            let slot = slot as u64;
            let b = first + (slot + nb - first % nb) % nb;
            if b < end {
                let mut st = lane_state(seed, b);
                fill(&mut st, dst);
                k.block_maxima(dst, gm);
            }
        };
        let (off, cap) = (self.off, self.cap);
        let (store, gmax) = (&mut self.store[off..off + cap], &mut self.gmax);
        // Under loom the ring is model-checked from loom's threads, which must not
        // block on rayon's pool (whose std primitives loom cannot see): same blocks,
        // made one after the other.
        const PER_BLOCK: usize = RING_BLOCK / MAX_BLOCK;
        #[cfg(not(loom))]
        store
            .par_chunks_mut(RING_BLOCK)
            .zip(gmax.par_chunks_mut(PER_BLOCK))
            .enumerate()
            .for_each(make);
        #[cfg(loom)]
        store
            .chunks_mut(RING_BLOCK)
            .zip(gmax.chunks_mut(PER_BLOCK))
            .enumerate()
            .for_each(make);
        let made = (end - first) * bl;
        self.filled = end * bl;
        made
    }

    /// Top up every consumed position: afterwards [`ready`](Self::ready) is the whole
    /// capacity (less the part of the current block already handed out). Parallel
    /// across blocks on the rayon pool. Call it off the critical path. A refill of at
    /// least [`STREAM_REFILL_MIN`] values writes around the cache (same values).
    ///
    /// Allocates the buffer on first use; if that fails, the refill does nothing (the
    /// claims that need the buffer report the error; [`try_refill`](Self::try_refill)
    /// reports it here).
    ///
    /// ```
    /// let mut ring = gumbel::noise::NoiseRing::new(3, 1 << 15);
    /// ring.refill();
    /// assert_eq!(ring.ready(), 1 << 15);
    /// ```
    pub fn refill(&mut self) {
        let _ = self.try_refill();
    }

    /// [`refill`](Self::refill), reporting whether the buffer could be allocated.
    ///
    /// # Errors
    /// [`Error::RingAllocation`](crate::Error::RingAllocation) if the buffer cannot be
    /// allocated; nothing is generated then.
    ///
    /// ```
    /// let mut ring = gumbel::noise::NoiseRing::new(3, 1 << 62);
    /// assert!(ring.try_refill().is_err()); // 16 EiB: an error, not an abort
    /// ```
    pub fn try_refill(&mut self) -> Result<(), crate::Error> {
        self.allocate()?;
        let limit = self.limit();
        let stream = limit.saturating_sub(self.filled) >= STREAM_REFILL_MIN as u64;
        self.in_refill += self.generate(limit, stream);
        Ok(())
    }

    /// Hand out the next `n` values, contiguous and never handed out before.
    ///
    /// If the request would run past the end of the buffer, the positions up to the end
    /// are skipped (discarded) and the claim starts at the beginning. Whatever is not
    /// ready is generated now (counted by [`generated_on_claim`](Self::generated_on_claim)).
    ///
    /// # Errors
    /// [`Error::ClaimTooLarge`](crate::Error::ClaimTooLarge) if `n > capacity()`:
    /// use [`claim_into`](Self::claim_into) for that;
    /// [`Error::RingAllocation`](crate::Error::RingAllocation) if the buffer cannot be
    /// allocated (nothing is handed out then).
    ///
    /// ```
    /// let mut ring = gumbel::noise::NoiseRing::new(7, 1 << 14);
    /// let a = ring.claim(100).unwrap().to_vec();
    /// let b = ring.claim(100).unwrap().to_vec();
    /// assert_ne!(a, b);
    /// assert!(ring.claim(1 << 20).is_err());
    /// ```
    pub fn claim(&mut self, n: usize) -> Result<&[f32], crate::Error> {
        let slot = self.take(n)?;
        Ok(&self.buf()[slot..slot + n])
    }

    /// Where a claim of `n <= capacity` values starts: at the head, or at the next
    /// multiple of the capacity if it would run past the end of the buffer.
    fn claim_start(&self, n: usize) -> u64 {
        let slot = (self.head % self.cap as u64) as usize;
        if n > self.cap - slot {
            self.head + (self.cap - slot) as u64
        } else {
            self.head
        }
    }

    /// Hand out `n` positions (a claim's bookkeeping): the slot they start at.
    fn take(&mut self, n: usize) -> Result<usize, crate::Error> {
        let cap = self.cap;
        if n > cap {
            return Err(crate::Error::ClaimTooLarge {
                requested: n,
                capacity: cap,
            });
        }
        self.allocate()?;
        let start = self.claim_start(n);
        self.skip_to(start);
        let end = start + n as u64;
        if self.filled < end {
            self.on_claim += self.generate(end, false);
        }
        self.head = end;
        Ok((start % cap as u64) as usize)
    }

    /// A claim of `n` values (`n` a multiple of [`MAX_BLOCK`]) that starts at a
    /// multiple of [`MAX_BLOCK`] — the positions up to it are skipped, never handed out —
    /// with the maxima of its 64-value runs: `(noise, maxima)`, `maxima[j]` the maximum
    /// of `noise[64·j .. 64·j + 64]`. What Gumbel-max's ring path reads: the maxima for
    /// every block of a row, the noise only where a block can win.
    ///
    /// # Errors
    /// [`Error::ClaimTooLarge`](crate::Error::ClaimTooLarge) if `n > capacity()`;
    /// [`Error::LengthMismatch`](crate::Error::LengthMismatch) if `n` is not a multiple
    /// of [`MAX_BLOCK`]; [`Error::RingAllocation`](crate::Error::RingAllocation) if the
    /// buffer cannot be allocated (nothing is handed out or skipped then).
    ///
    /// ```
    /// use gumbel::noise::{MAX_BLOCK, NoiseRing};
    /// let mut ring = NoiseRing::new(7, 1 << 14);
    /// ring.claim(5).unwrap();
    /// let (g, m) = ring.claim_blocks(2 * MAX_BLOCK).unwrap();
    /// assert_eq!(m.len(), 2);
    /// assert_eq!(m[1], g[64..].iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)));
    /// assert_eq!(ring.position(), 64 + 128); // positions 5..64 were skipped
    /// ```
    pub fn claim_blocks(&mut self, n: usize) -> Result<(&[f32], &[f32]), crate::Error> {
        if !n.is_multiple_of(MAX_BLOCK) {
            return Err(crate::Error::LengthMismatch {
                what: "block claim (a multiple of MAX_BLOCK)",
                expected: n.next_multiple_of(MAX_BLOCK),
                found: n,
            });
        }
        if n > self.cap {
            return Err(crate::Error::ClaimTooLarge {
                requested: n,
                capacity: self.cap,
            });
        }
        self.allocate()?;
        self.skip_to(self.head.next_multiple_of(MAX_BLOCK as u64));
        let slot = self.take(n)?;
        let j = slot / MAX_BLOCK;
        Ok((
            &self.buf()[slot..slot + n],
            &self.gmax[j..j + n / MAX_BLOCK],
        ))
    }

    /// Copy the next `out.len()` values into `out`, any length. Up to the capacity this
    /// is a [`claim`](Self::claim) and a copy; beyond it every value is generated straight
    /// into `out` from its positions (in parallel by block; counted by
    /// [`generated_on_claim`](Self::generated_on_claim)), and the ring restarts after
    /// them. Handed-out positions are never reused. Infallible: if the buffer cannot be
    /// allocated, the claim's positions (the same ones) are generated straight into `out`.
    ///
    /// ```
    /// let mut ring = gumbel::noise::NoiseRing::new(7, 1 << 14);
    /// let mut big = vec![0.0f32; 1 << 16];
    /// ring.claim_into(&mut big);
    /// assert!(big.iter().all(|g| g.is_finite()));
    /// assert_eq!(ring.position(), 1 << 16);
    /// ```
    pub fn claim_into(&mut self, out: &mut [f32]) {
        let n = out.len();
        if n <= self.cap && self.allocate().is_ok() {
            let src = self.claim(n).expect("fits the capacity, allocated");
            out.copy_from_slice(src);
            return;
        }
        let start = if n <= self.cap {
            self.claim_start(n)
        } else {
            self.head
        };
        self.on_claim += fill_positions(self.backend, self.seed, start, out);
        self.head = start + n as u64;
        // everything before the new head is spent; the ring restarts filling there
        self.filled = self.filled.max(self.head);
    }

    /// Continue handing out at `position` (if it is ahead): positions before it are
    /// skipped, never handed out. Used to continue a sequence in a new ring without
    /// reusing noise.
    ///
    /// ```
    /// let mut ring = gumbel::noise::NoiseRing::new(7, 1 << 14);
    /// ring.skip_to(1000);
    /// assert_eq!(ring.position(), 1000);
    /// assert_eq!(ring.ready(), 0);
    /// ```
    pub fn skip_to(&mut self, position: u64) {
        if position > self.head {
            self.head = position;
            self.filled = self.filled.max(position);
        }
    }

    /// Move the ring to a background thread that keeps it full; see [`BackgroundRing`].
    ///
    /// ```
    /// let ring = gumbel::noise::NoiseRing::new(1, 1 << 15).into_background();
    /// ring.wait_full();
    /// assert_eq!(ring.ready(), 1 << 15);
    /// ```
    pub fn into_background(self) -> BackgroundRing {
        BackgroundRing::new(self)
    }
}

/// `capacity` in whole blocks: rounded up (at least one block), or down to the last
/// whole block where rounding up would wrap (a size that cannot be allocated anyway).
fn whole_blocks(capacity: usize) -> usize {
    capacity
        .max(1)
        .checked_next_multiple_of(RING_BLOCK)
        .unwrap_or(usize::MAX / RING_BLOCK * RING_BLOCK)
}

/// The ring's state, not its millions of values.
impl std::fmt::Debug for NoiseRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoiseRing")
            .field("seed", &self.seed)
            .field("isa", &self.backend.isa())
            .field("capacity", &self.cap)
            .field("position", &self.head)
            .field("ready", &self.ready())
            .field("generated_on_claim", &self.on_claim)
            .field("generated_in_refill", &self.in_refill)
            .finish()
    }
}

/// What a [`BackgroundRing`] and its refill thread share.
///
/// The rule that keeps the handshake free of lost wakeups: every change a waiter on
/// `changed` looks at (the ring's counters, `stop`) is made while holding `state`'s
/// mutex, and `changed` is notified after it. A waiter checks its condition and goes
/// to sleep without letting go of the mutex in between (`Condvar::wait` releases it
/// atomically), so a change either comes before the check or wakes the sleeper.
struct Shared {
    state: Mutex<State>,
    /// Notified after a claim, an installed block, a synchronous refill, and `stop`.
    changed: Condvar,
}

/// The part of [`Shared`] under its mutex.
struct State {
    ring: NoiseRing,
    /// Set once, by [`BackgroundRing::stop`]; the refill thread exits when it sees it.
    /// A plain `bool` under the mutex, not an atomic beside it: set without the lock,
    /// it could land between the refiller's look at it and its sleep, and that
    /// notification was lost (issue 9: `drop` then waited in `join` forever).
    stop: bool,
}

/// A [`NoiseRing`] kept full by a background thread.
///
/// The refiller generates one block at a time *outside* the lock and then installs it,
/// so a claim never waits for more than a block copy. If a claim needs noise the
/// refiller has not installed yet, the claim generates it itself (identical content:
/// positions are fixed by the seed), and the refiller drops its copy.
///
/// ```
/// let ring = gumbel::noise::NoiseRing::new(5, 1 << 15).into_background();
/// ring.wait_full();
/// let before = ring.generated_on_claim();
/// let token = ring.claim_with(1000, |noise| gumbel::gumbel_max(&vec![0.0; 1000], noise, 1.0)).unwrap().unwrap();
/// assert!(token < 1000);
/// assert_eq!(ring.generated_on_claim(), before);
/// ```
///
/// # Drop
///
/// Dropping a `BackgroundRing`, or taking its ring back with
/// [`into_inner`](Self::into_inner), stops the refill thread and joins it: **when
/// `drop` returns, the thread has exited**, whatever it was doing (asleep on a full
/// ring, making a block, installing one). **No noise is lost or reused**: positions
/// handed out are never handed out again (by this ring or by the [`NoiseRing`] that
/// `into_inner` returns, which continues after them), and a block the refiller made
/// but did not install is simply discarded — if its positions are ever needed,
/// identical content is regenerated from the seed.
///
/// The stop request is made under the ring's mutex, the one the refiller sleeps with,
/// so it cannot slip in between the refiller's last look and its sleep; this
/// handshake (claims, refills, waits for a full ring, the stop) is model-checked under
/// every interleaving with [loom](https://docs.rs/loom) (`tests/loom_ring.rs`).
///
/// ```
/// use gumbel::noise::NoiseRing;
///
/// let ring = NoiseRing::new(5, 1 << 14).into_background();
/// let first = ring.claim_with(100, |g| g.to_vec()).unwrap();
/// let mut ring = ring.into_inner(); // the refill thread has exited
/// assert_eq!(ring.position(), 100);
/// let next = ring.claim(100).unwrap().to_vec(); // continues, never repeats
/// let mut both = vec![0.0f32; 200];
/// NoiseRing::new(5, 1 << 14).claim_into(&mut both);
/// assert_eq!([first, next].concat(), both);
/// ```
pub struct BackgroundRing {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for BackgroundRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackgroundRing")
            .field("ring", &self.lock().ring)
            .finish()
    }
}

impl BackgroundRing {
    fn new(ring: NoiseRing) -> BackgroundRing {
        let shared = Arc::new(Shared {
            state: Mutex::new(State { ring, stop: false }),
            changed: Condvar::new(),
        });
        let worker = Arc::clone(&shared);
        let thread = thread::Builder::new()
            .name("gumbel-noise-refill".into())
            .spawn(move || refill_loop(&worker))
            .expect("spawn the noise refill thread");
        BackgroundRing {
            shared,
            thread: Some(thread),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Claim `n` values and pass them to `f` while the ring is locked (the refiller
    /// waits meanwhile); wakes the refiller afterwards.
    ///
    /// # Errors
    /// As [`NoiseRing::claim`].
    ///
    /// ```
    /// let ring = gumbel::noise::NoiseRing::new(5, 1 << 14).into_background();
    /// let sum: f32 = ring.claim_with(16, |g| g.iter().sum()).unwrap();
    /// assert!(sum.is_finite());
    /// ```
    pub fn claim_with<R>(&self, n: usize, f: impl FnOnce(&[f32]) -> R) -> Result<R, crate::Error> {
        let r = {
            let mut state = self.lock();
            let noise = state.ring.claim(n)?;
            f(noise)
        };
        self.shared.changed.notify_all();
        Ok(r)
    }

    /// [`NoiseRing::claim_blocks`] under the lock: `f` gets the noise and its maxima.
    ///
    /// # Errors
    /// As [`NoiseRing::claim_blocks`].
    ///
    /// ```
    /// let ring = gumbel::noise::NoiseRing::new(5, 1 << 14).into_background();
    /// let n = ring.claim_blocks_with(128, |g, m| (g.len(), m.len())).unwrap();
    /// assert_eq!(n, (128, 2));
    /// ```
    pub fn claim_blocks_with<R>(
        &self,
        n: usize,
        f: impl FnOnce(&[f32], &[f32]) -> R,
    ) -> Result<R, crate::Error> {
        let r = {
            let mut state = self.lock();
            let (noise, maxima) = state.ring.claim_blocks(n)?;
            f(noise, maxima)
        };
        self.shared.changed.notify_all();
        Ok(r)
    }

    /// Run `f` on the locked ring (for `claim_into`, statistics, a synchronous refill).
    ///
    /// ```
    /// let ring = gumbel::noise::NoiseRing::new(5, 1 << 14).into_background();
    /// let cap = ring.with_ring(|r| r.capacity());
    /// assert_eq!(cap, 1 << 14);
    /// ```
    pub fn with_ring<R>(&self, f: impl FnOnce(&mut NoiseRing) -> R) -> R {
        let r = f(&mut self.lock().ring);
        self.shared.changed.notify_all();
        r
    }

    /// Values ready now.
    ///
    /// ```
    /// let ring = gumbel::noise::NoiseRing::new(5, 1 << 14).into_background();
    /// ring.wait_full();
    /// assert_eq!(ring.ready(), 1 << 14);
    /// ```
    pub fn ready(&self) -> usize {
        self.lock().ring.ready()
    }

    /// Values generated on the claiming thread because the refiller was behind.
    ///
    /// ```
    /// let ring = gumbel::noise::NoiseRing::new(5, 1 << 14).into_background();
    /// ring.wait_full();
    /// assert_eq!(ring.generated_on_claim(), 0);
    /// ```
    pub fn generated_on_claim(&self) -> u64 {
        self.lock().ring.generated_on_claim()
    }

    /// Stop the refiller and take the ring back: the thread has exited when this
    /// returns, and the ring continues after the positions handed out (see
    /// [Drop](Self#drop)).
    ///
    /// ```
    /// let ring = gumbel::noise::NoiseRing::new(5, 1 << 14).into_background();
    /// ring.wait_full();
    /// let ring = ring.into_inner();
    /// assert_eq!(ring.ready(), 1 << 14);
    /// ```
    pub fn into_inner(mut self) -> NoiseRing {
        self.stop();
        let shared = Arc::clone(&self.shared);
        drop(self);
        match Arc::try_unwrap(shared) {
            Ok(s) => {
                let state = s.state.into_inner().unwrap_or_else(|e| e.into_inner());
                state.ring
            }
            Err(_) => unreachable!("the refill thread has been joined"),
        }
    }

    /// Tell the refill thread to exit and join it. `stop` is set under the mutex (see
    /// [`Shared`]): the refiller either sees it at its next look or is asleep in
    /// `wait` and is woken by the notification.
    fn stop(&mut self) {
        self.lock().stop = true;
        self.shared.changed.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Block until the ring is full (every consumed block regenerated).
    ///
    /// ```
    /// let ring = gumbel::noise::NoiseRing::new(5, 1 << 14).into_background();
    /// ring.wait_full();
    /// assert_eq!(ring.ready(), ring.with_ring(|r| r.capacity()));
    /// ```
    pub fn wait_full(&self) {
        let mut state = self.lock();
        // a ring whose buffer cannot be allocated never fills: its claims report it
        while state.ring.filled < state.ring.limit() && !state.ring.alloc_failed {
            state = self
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
        }
    }
}

fn refill_loop(shared: &Shared) {
    let mut tmp = vec![0.0f32; RING_BLOCK];
    let mut tmp_max = vec![0.0f32; RING_BLOCK / MAX_BLOCK];
    loop {
        // find the next block to make, or sleep until a claim frees space
        let (seed, block, k) = {
            let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            // `stop` and the ring are checked under the lock that `wait` releases
            // atomically: no change can slip in between the check and the sleep
            loop {
                if state.stop {
                    return;
                }
                if state.ring.filled < state.ring.limit() {
                    if state.ring.allocate().is_ok() {
                        break;
                    }
                    // the buffer cannot be had: tell `wait_full`, and sleep until the
                    // next change instead of spinning (a claim retries and reports it)
                    shared.changed.notify_all();
                }
                state = shared
                    .changed
                    .wait(state)
                    .unwrap_or_else(|e| e.into_inner());
            }
            (
                state.ring.seed,
                state.ring.filled / RING_BLOCK as u64,
                state.ring.backend,
            )
        };
        let mut st = lane_state(seed, block);
        k.fill_gumbel(&mut st, &mut tmp);
        k.block_maxima(&tmp, &mut tmp_max);
        let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
        let ring = &mut state.ring;
        // install only if nobody made this block meanwhile and it still fits;
        // otherwise the copy is discarded (a claim made the same values itself)
        let start = block * RING_BLOCK as u64;
        if ring.filled / RING_BLOCK as u64 == block
            && start < ring.limit()
            && ring.allocate().is_ok()
        {
            let slot = (block % ring.nblocks()) as usize * RING_BLOCK;
            ring.buf_mut()[slot..slot + RING_BLOCK].copy_from_slice(&tmp);
            let j = slot / MAX_BLOCK;
            ring.gmax[j..j + tmp_max.len()].copy_from_slice(&tmp_max);
            ring.filled = start + RING_BLOCK as u64;
            ring.in_refill += RING_BLOCK as u64;
            drop(state);
            shared.changed.notify_all();
        }
    }
}

impl Drop for BackgroundRing {
    fn drop(&mut self) {
        self.stop();
    }
}
