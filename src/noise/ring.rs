//! [`NoiseRing`]: Gumbel noise generated before the logits exist, handed out once.

#[cfg(not(loom))]
use rayon::prelude::*;

use crate::simd::Backend;
use crate::sync::thread::{self, JoinHandle, ThreadId};
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
    // under loom, no rayon (see `generate`): the same pieces one after the other
    #[cfg(not(loom))]
    let pieces = pieces.into_par_iter();
    #[cfg(loom)]
    let pieces = pieces.into_iter();
    let generated: u64 = pieces
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
    /// The buffer is out, lent to a [`BackgroundRing`] claim's closure.
    lent: bool,
}

/// A ring's buffer and block-max table, out of the ring while lent to a claim's closure
/// (see [`BackgroundRing`]).
struct Buffer {
    store: Vec<f32>,
    gmax: Vec<f32>,
    off: usize,
    cap: usize,
}

impl Buffer {
    /// The ring's slots.
    fn values(&self) -> &[f32] {
        &self.store[self.off..self.off + self.cap]
    }
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
            lent: false,
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
        debug_assert!(
            !self.lent,
            "the buffer is lent out: nothing may allocate another"
        );
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

    /// Grow the ring to at least `capacity` values (whole blocks; it never shrinks),
    /// keeping its place in the sequence: the head and every ready value stay as they
    /// are (the ready blocks are copied to their slots in the larger buffer), so the
    /// claims from here on hand out exactly what a ring created with the larger
    /// capacity and brought to this position would. Allocation is fallible, and on an
    /// error the ring is unchanged.
    pub(crate) fn grow(&mut self, capacity: usize) -> Result<(), crate::Error> {
        let cap = whole_blocks(capacity);
        if cap <= self.cap {
            return Ok(());
        }
        debug_assert!(!self.lent, "grow while the buffer is lent out");
        if self.store.is_empty() {
            // nothing made yet: the buffer is allocated at the new size on first use
            self.cap = cap;
            self.alloc_failed = false;
            return Ok(());
        }
        let failed = crate::Error::RingAllocation { requested: cap };
        let len = cap.checked_add(15).ok_or(failed.clone())?;
        let mut store: Vec<f32> =
            bytemuck::allocation::try_zeroed_vec(len).map_err(|()| failed.clone())?;
        let mut gmax: Vec<f32> =
            bytemuck::allocation::try_zeroed_vec(cap / MAX_BLOCK).map_err(|()| failed)?;
        let off = store.as_ptr().align_offset(64).min(15);
        let (bl, per) = (RING_BLOCK as u64, RING_BLOCK / MAX_BLOCK);
        let (old_nb, new_nb) = (self.nblocks(), (cap / RING_BLOCK) as u64);
        // the blocks holding positions head .. filled: at most the old ring's worth,
        // each in its own old slot
        for b in self.head / bl..self.filled.div_ceil(bl) {
            let from = (b % old_nb) as usize * RING_BLOCK;
            let to = (b % new_nb) as usize * RING_BLOCK;
            store[off + to..off + to + RING_BLOCK]
                .copy_from_slice(&self.buf()[from..from + RING_BLOCK]);
            let (fm, tm) = (from / MAX_BLOCK, to / MAX_BLOCK);
            gmax[tm..tm + per].copy_from_slice(&self.gmax[fm..fm + per]);
        }
        self.store = store;
        self.gmax = gmax;
        self.off = off;
        self.cap = cap;
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

    /// A claim's bookkeeping while the buffer is lent out: hand out the positions
    /// [`take`](Self::take) would, without touching the buffer (the caller makes their
    /// values elsewhere). Positions before the new head count as made: none of them is
    /// ever read from the buffer, and the next block made starts at the head's block.
    fn take_elsewhere(&mut self, n: usize) -> Result<u64, crate::Error> {
        if n > self.cap {
            return Err(crate::Error::ClaimTooLarge {
                requested: n,
                capacity: self.cap,
            });
        }
        let start = self.claim_start(n);
        self.head = start + n as u64;
        self.filled = self.filled.max(self.head);
        Ok(start)
    }

    /// Take the buffer and the block-max table out of the ring, to lend them to a
    /// claim's closure; [`give_back`](Self::give_back) puts them back.
    fn lend(&mut self) -> Buffer {
        debug_assert!(!self.lent && !self.store.is_empty());
        self.lent = true;
        Buffer {
            store: std::mem::take(&mut self.store),
            gmax: std::mem::take(&mut self.gmax),
            off: self.off,
            cap: self.cap,
        }
    }

    fn give_back(&mut self, buffer: Buffer) {
        debug_assert!(self.lent && buffer.cap == self.cap);
        self.store = buffer.store;
        self.gmax = buffer.gmax;
        self.lent = false;
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
        let slot = self.take_blocks(n)?;
        let j = slot / MAX_BLOCK;
        Ok((
            &self.buf()[slot..slot + n],
            &self.gmax[j..j + n / MAX_BLOCK],
        ))
    }

    /// A block claim's bookkeeping: the slot it starts at.
    fn take_blocks(&mut self, n: usize) -> Result<usize, crate::Error> {
        self.check_blocks(n)?;
        self.allocate()?;
        self.skip_to(self.head.next_multiple_of(MAX_BLOCK as u64));
        self.take(n)
    }

    /// [`take_blocks`](Self::take_blocks) while the buffer is lent out (see
    /// [`take_elsewhere`](Self::take_elsewhere)): the position it starts at.
    fn take_blocks_elsewhere(&mut self, n: usize) -> Result<u64, crate::Error> {
        self.check_blocks(n)?;
        self.skip_to(self.head.next_multiple_of(MAX_BLOCK as u64));
        self.take_elsewhere(n)
    }

    /// A block claim's length: a multiple of [`MAX_BLOCK`] within the capacity.
    fn check_blocks(&self, n: usize) -> Result<(), crate::Error> {
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
        Ok(())
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
/// `changed` looks at (the ring's counters, the loans, `stop`) is made while holding
/// `state`'s mutex, and `changed` is notified after it. A waiter checks its condition
/// and goes to sleep without letting go of the mutex in between (`Condvar::wait`
/// releases it atomically), so a change either comes before the check or wakes the
/// sleeper.
///
/// The mutex is held only by the crate's own code, for bookkeeping, block installs and
/// the noise a claim makes on the spot; a user closure never runs under it. What a
/// closure works on is *lent*: a claim's closure gets the ring's buffer (taken out of
/// the ring, so nobody writes to it meanwhile), a [`BackgroundRing::with_ring`]
/// closure the whole ring.
struct Shared {
    state: Mutex<State>,
    /// Notified after a claim, a returned loan, an installed block, a synchronous
    /// refill, a failed allocation, and `stop`.
    changed: Condvar,
}

/// The part of [`Shared`] under its mutex.
struct State {
    /// The ring; `None` while it is lent to a [`BackgroundRing::with_ring`] closure.
    ring: Option<NoiseRing>,
    /// The thread running a `with_ring` closure, while it runs.
    ring_lent_to: Option<ThreadId>,
    /// The thread running a claim's closure on the ring's buffer, while it runs (the
    /// buffer is out of the ring meanwhile: no block is installed, no claim made in it).
    buffer_lent_to: Option<ThreadId>,
    /// Set once, by [`BackgroundRing::stop`]; the refill thread exits when it sees it.
    /// A plain `bool` under the mutex, not an atomic beside it: set without the lock,
    /// it could land between the refiller's look at it and its sleep, and that
    /// notification was lost (issue 9: `drop` then waited in `join` forever).
    stop: bool,
}

impl State {
    /// The ring, if it and its buffer are home (neither is lent out).
    fn home(&mut self) -> Option<&mut NoiseRing> {
        match self.buffer_lent_to {
            Some(_) => None,
            None => self.ring.as_mut(),
        }
    }

    /// The ring, present whenever the buffer is lent (only a ring at home lends it).
    fn ring(&mut self) -> &mut NoiseRing {
        self.ring.as_mut().expect("the ring is home")
    }
}

/// The thread asking, to tell a re-entrant call (which must not wait for itself) from
/// another thread's (which waits for the loan to end).
fn me() -> ThreadId {
    thread::current().id()
}

/// A [`NoiseRing`] kept full by a background thread, named `gumbel-refill`.
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
/// # Lock scope and re-entrancy
///
/// The ring's mutex is the crate's own: it is held for bookkeeping and block copies,
/// never while a closure of yours runs. A closure works on a *loan*:
///
/// * [`claim_with`](Self::claim_with) and [`claim_blocks_with`](Self::claim_blocks_with)
///   hand out the positions under the lock, take the ring's buffer out of the ring,
///   and run the closure on the claimed part of it without the lock. Meanwhile the
///   refiller installs nothing (it waits for the buffer to come back, so it never
///   overwrites noise a closure is reading), and every other call still works, from
///   any thread, **including from inside the closure**: [`ready`](Self::ready),
///   [`position`](Self::position) and the other statistics read the counters, and
///   another claim is served from a buffer of its own — the same values its positions
///   always hold (counted by [`generated_on_claim`](Self::generated_on_claim)), never
///   a position handed out twice. The buffer goes back when the closure returns or
///   panics.
/// * [`with_ring`](Self::with_ring) lends the closure the whole ring (`&mut`), so
///   calls from other threads wait until it returns.
///
/// A call that would have to wait for a loan its own thread holds — any call on this
/// ring from inside a `with_ring` closure (use the `&mut NoiseRing` it is given), or
/// `with_ring` or [`wait_full`](Self::wait_full) from inside a claim's closure —
/// panics with a message saying so, as `RefCell` does for a second `borrow_mut`,
/// instead of waiting for itself forever.
///
/// ```
/// let ring = gumbel::noise::NoiseRing::new(5, 1 << 14).into_background();
/// let (outer, inner) = ring
///     .claim_with(100, |g| {
///         // the ring is not locked here: the same ring serves a nested claim
///         let inner = ring.claim_with(100, |h| h.to_vec()).unwrap();
///         (g.to_vec(), inner)
///     })
///     .unwrap();
/// let mut both = vec![0.0f32; 200];
/// gumbel::noise::NoiseRing::new(5, 1 << 14).claim_into(&mut both);
/// assert_eq!([outer, inner].concat(), both);
/// ```
///
/// # Drop
///
/// Dropping a `BackgroundRing`, or taking its ring back with
/// [`into_inner`](Self::into_inner), stops the refill thread and joins it: **when
/// `drop` returns, the thread has exited**, whatever it was doing (asleep on a full
/// ring, making a block, waiting for a lent buffer, installing a block). **No noise is
/// lost or reused**: positions handed out are never handed out again (by this ring or
/// by the [`NoiseRing`] that `into_inner` returns, which continues after them), and a
/// block the refiller made but did not install is simply discarded — if its positions
/// are ever needed, identical content is regenerated from the seed.
///
/// The stop request is made under the ring's mutex, the one the refiller sleeps with,
/// so it cannot slip in between the refiller's last look and its sleep; this
/// handshake (claims and their loans, nested claims, refills, waits for a full ring,
/// the stop) is model-checked under every interleaving with
/// [loom](https://docs.rs/loom) (`tests/loom_ring.rs`).
///
/// If the operating system refuses to start the thread, the ring still works: claims
/// make their noise on the spot and [`wait_full`](Self::wait_full) refills in place.
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

/// The name of a [`BackgroundRing`]'s refill thread (short enough for Linux's 15-byte
/// thread names, so `top`, `ps -L` and debuggers show it whole).
pub const REFILL_THREAD_NAME: &str = "gumbel-refill";

impl std::fmt::Debug for BackgroundRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        let mut d = f.debug_struct("BackgroundRing");
        match &state.ring {
            Some(ring) => d.field("ring", ring),
            None => d.field("ring", &"lent to a with_ring closure"),
        };
        d.field("buffer_lent", &state.buffer_lent_to.is_some())
            .finish()
    }
}

/// A claim's loan of the ring's buffer: given back under the lock (waking the
/// waiters) when dropped, so also when the claim's closure panics.
struct BufferLoan<'a> {
    shared: &'a Shared,
    buffer: Option<Buffer>,
}

impl Drop for BufferLoan<'_> {
    fn drop(&mut self) {
        if let Some(buffer) = self.buffer.take() {
            let mut state = lock(self.shared);
            state.ring().give_back(buffer);
            state.buffer_lent_to = None;
            drop(state);
            self.shared.changed.notify_all();
        }
    }
}

/// A `with_ring` closure's loan of the whole ring, given back like [`BufferLoan`].
struct RingLoan<'a> {
    shared: &'a Shared,
    ring: Option<NoiseRing>,
}

impl Drop for RingLoan<'_> {
    fn drop(&mut self) {
        if let Some(ring) = self.ring.take() {
            let mut state = lock(self.shared);
            state.ring = Some(ring);
            state.ring_lent_to = None;
            drop(state);
            self.shared.changed.notify_all();
        }
    }
}

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.state.lock().unwrap_or_else(|e| e.into_inner())
}

fn wait<'a>(shared: &'a Shared, state: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
    shared
        .changed
        .wait(state)
        .unwrap_or_else(|e| e.into_inner())
}

impl BackgroundRing {
    fn new(ring: NoiseRing) -> BackgroundRing {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                ring: Some(ring),
                ring_lent_to: None,
                buffer_lent_to: None,
                stop: false,
            }),
            changed: Condvar::new(),
        });
        let worker = Arc::clone(&shared);
        // if no thread can be had, claims make their noise on the spot and
        // `wait_full` refills in place: slower, never wrong
        let thread = thread::Builder::new()
            .name(REFILL_THREAD_NAME.into())
            .spawn(move || refill_loop(&worker))
            .ok();
        BackgroundRing { shared, thread }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.shared)
    }

    /// Lock, waiting while the ring is lent to another thread's `with_ring` closure
    /// (and, with `buffer`, while its buffer is lent to another thread's claim).
    ///
    /// # Panics
    /// If what it would wait for is lent to this thread: `what` was called from inside
    /// a closure of this ring, and the loan cannot end before the call does.
    fn lock_home(&self, what: &str, buffer: bool) -> MutexGuard<'_, State> {
        let mut state = self.lock();
        loop {
            let lent = match (state.ring_lent_to, state.buffer_lent_to) {
                (Some(t), _) => Some((t, "a with_ring closure")),
                (None, Some(t)) if buffer => Some((t, "a claim's closure")),
                _ => None,
            };
            match lent {
                None => return state,
                Some((t, holder)) if t == me() => {
                    drop(state);
                    panic!(
                        "BackgroundRing::{what} called from inside {holder} on the same \
                         ring: it would wait for that closure to return, which waits for \
                         it (see BackgroundRing's \"Lock scope and re-entrancy\")"
                    );
                }
                Some(_) => state = wait(&self.shared, state),
            }
        }
    }

    /// Run `f` on the ring under the lock, when it and its buffer are home: for the
    /// crate's own short operations (a [`Sampler`](crate::Sampler)'s synchronous
    /// refill, `claim_into`, statistics). Never with a user closure.
    pub(crate) fn locked<R>(&self, f: impl FnOnce(&mut NoiseRing) -> R) -> R {
        let mut state = self.lock_home("locked", true);
        let r = f(state.ring());
        drop(state);
        self.shared.changed.notify_all();
        r
    }

    /// Claim `n` values and pass them to `f`, which runs without the ring's lock on
    /// the claimed part of the ring's buffer, lent to it (see
    /// [Lock scope and re-entrancy](Self#lock-scope-and-re-entrancy)); wakes the
    /// refiller afterwards. A claim made while another claim's closure holds the buffer
    /// is served from a buffer of its own, with the same values.
    ///
    /// # Errors
    /// As [`NoiseRing::claim`].
    ///
    /// # Panics
    /// If called from inside a [`with_ring`](Self::with_ring) closure on this ring.
    ///
    /// ```
    /// let ring = gumbel::noise::NoiseRing::new(5, 1 << 14).into_background();
    /// let sum: f32 = ring.claim_with(16, |g| g.iter().sum()).unwrap();
    /// assert!(sum.is_finite());
    /// ```
    pub fn claim_with<R>(&self, n: usize, f: impl FnOnce(&[f32]) -> R) -> Result<R, crate::Error> {
        let mut state = self.lock_home("claim_with", false);
        if state.buffer_lent_to.is_some() {
            let start = state.ring().take_elsewhere(n)?;
            let mut g = vec![0.0f32; n];
            self.make_elsewhere(state, start, &mut g);
            return Ok(f(&g));
        }
        let slot = state.ring().take(n)?;
        let loan = self.lend(state);
        let buffer = loan.buffer.as_ref().expect("lent");
        Ok(f(&buffer.values()[slot..slot + n]))
    }

    /// [`NoiseRing::claim_blocks`] with a loan, like [`claim_with`](Self::claim_with):
    /// `f` gets the noise and its maxima, without the ring's lock.
    ///
    /// # Errors
    /// As [`NoiseRing::claim_blocks`].
    ///
    /// # Panics
    /// If called from inside a [`with_ring`](Self::with_ring) closure on this ring.
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
        let mut state = self.lock_home("claim_blocks_with", false);
        if state.buffer_lent_to.is_some() {
            let start = state.ring().take_blocks_elsewhere(n)?;
            let k = state.ring().backend;
            let mut g = vec![0.0f32; n];
            self.make_elsewhere(state, start, &mut g);
            let mut m = vec![0.0f32; n / MAX_BLOCK];
            k.block_maxima(&g, &mut m);
            return Ok(f(&g, &m));
        }
        let slot = state.ring().take_blocks(n)?;
        let loan = self.lend(state);
        let buffer = loan.buffer.as_ref().expect("lent");
        let j = slot / MAX_BLOCK;
        Ok(f(
            &buffer.values()[slot..slot + n],
            &buffer.gmax[j..j + n / MAX_BLOCK],
        ))
    }

    /// Take the buffer out of the ring for a claim's closure on this thread; the
    /// returned loan gives it back when dropped.
    fn lend<'a>(&'a self, mut state: MutexGuard<'a, State>) -> BufferLoan<'a> {
        let buffer = state.ring().lend();
        state.buffer_lent_to = Some(me());
        drop(state);
        BufferLoan {
            shared: &self.shared,
            buffer: Some(buffer),
        }
    }

    /// Generate positions `start ..` into `out`, without the lock (a claim served
    /// while the buffer is lent), and count them as made on the claim.
    fn make_elsewhere(&self, mut state: MutexGuard<'_, State>, start: u64, out: &mut [f32]) {
        let (seed, k) = (state.ring().seed, state.ring().backend);
        drop(state);
        self.shared.changed.notify_all();
        let made = fill_positions(k, seed, start, out);
        // (another thread's `with_ring` may have the ring by now: wait for it)
        self.lock_home("claim_with", false).ring().on_claim += made;
    }

    /// Run `f` on the ring, lent to it whole: without the ring's lock, while calls from
    /// other threads wait (for `claim_into`, statistics, a synchronous refill).
    ///
    /// # Panics
    /// If called from inside a closure of this ring (a claim's, or another
    /// `with_ring`'s) — `f` is given the ring itself; use that.
    ///
    /// ```
    /// let ring = gumbel::noise::NoiseRing::new(5, 1 << 14).into_background();
    /// let cap = ring.with_ring(|r| r.capacity());
    /// assert_eq!(cap, 1 << 14);
    /// ```
    pub fn with_ring<R>(&self, f: impl FnOnce(&mut NoiseRing) -> R) -> R {
        let mut state = self.lock_home("with_ring", true);
        let ring = state.ring.take();
        state.ring_lent_to = Some(me());
        drop(state);
        let mut loan = RingLoan {
            shared: &self.shared,
            ring,
        };
        f(loan.ring.as_mut().expect("lent"))
    }

    /// Values ready now.
    ///
    /// ```
    /// let ring = gumbel::noise::NoiseRing::new(5, 1 << 14).into_background();
    /// ring.wait_full();
    /// assert_eq!(ring.ready(), 1 << 14);
    /// ```
    pub fn ready(&self) -> usize {
        self.lock_home("ready", false).ring().ready()
    }

    /// The ring's capacity ([`NoiseRing::capacity`]).
    ///
    /// ```
    /// let ring = gumbel::noise::NoiseRing::new(5, 100).into_background();
    /// assert_eq!(ring.capacity(), gumbel::noise::RING_BLOCK);
    /// ```
    pub fn capacity(&self) -> usize {
        self.lock_home("capacity", false).ring().capacity()
    }

    /// The next position a claim would hand out ([`NoiseRing::position`]).
    ///
    /// ```
    /// let ring = gumbel::noise::NoiseRing::new(5, 1 << 14).into_background();
    /// ring.claim_with(10, |_| ()).unwrap();
    /// assert_eq!(ring.position(), 10);
    /// ```
    pub fn position(&self) -> u64 {
        self.lock_home("position", false).ring().position()
    }

    /// Values generated on the claiming thread because the refiller was behind (or a
    /// claim was served while another claim's closure held the buffer).
    ///
    /// ```
    /// let ring = gumbel::noise::NoiseRing::new(5, 1 << 14).into_background();
    /// ring.wait_full();
    /// assert_eq!(ring.generated_on_claim(), 0);
    /// ```
    pub fn generated_on_claim(&self) -> u64 {
        self.lock_home("generated_on_claim", false)
            .ring()
            .generated_on_claim()
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
                // loans borrow `self`: none can outlive it
                state.ring.expect("no loan outlives the ring")
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

    /// Block until the ring is full (every consumed block regenerated), or its buffer
    /// turned out not to be allocatable (the claims then report
    /// [`Error::RingAllocation`](crate::Error::RingAllocation)).
    ///
    /// # Panics
    /// If called from inside a closure of this ring: while it holds a loan, the ring
    /// cannot fill.
    ///
    /// ```
    /// let ring = gumbel::noise::NoiseRing::new(5, 1 << 14).into_background();
    /// ring.wait_full();
    /// assert_eq!(ring.ready(), ring.capacity());
    /// ```
    pub fn wait_full(&self) {
        loop {
            let mut state = self.lock_home("wait_full", true);
            let ring = state.ring();
            // a ring whose buffer cannot be allocated never fills
            if ring.filled >= ring.limit() || ring.alloc_failed {
                return;
            }
            if self.thread.is_none() {
                ring.refill();
                return;
            }
            // checked and asleep without letting go of the lock; woken by any change
            drop(wait(&self.shared, state));
        }
    }
}

fn refill_loop(shared: &Shared) {
    let mut tmp = vec![0.0f32; RING_BLOCK];
    let mut tmp_max = vec![0.0f32; RING_BLOCK / MAX_BLOCK];
    loop {
        // find the next block to make, or sleep until a claim frees space
        let (seed, block, k) = {
            let mut state = lock(shared);
            // `stop`, the loans and the ring are checked under the lock that `wait`
            // releases atomically: no change can slip in between the check and the sleep
            loop {
                if state.stop {
                    return;
                }
                if let Some(ring) = state.home()
                    && ring.filled < ring.limit()
                {
                    if ring.allocate().is_ok() {
                        break;
                    }
                    // the buffer cannot be had: tell `wait_full`, and sleep until the
                    // next change instead of spinning (a claim retries and reports it)
                    shared.changed.notify_all();
                }
                state = wait(shared, state);
            }
            let ring = state.ring();
            (ring.seed, ring.filled / RING_BLOCK as u64, ring.backend)
        };
        let mut st = lane_state(seed, block);
        k.fill_gumbel(&mut st, &mut tmp);
        k.block_maxima(&tmp, &mut tmp_max);
        let mut state = lock(shared);
        // a closure may hold the buffer (or the whole ring): wait for it to come home
        // before writing, so noise a closure reads is never overwritten
        while state.home().is_none() {
            if state.stop {
                return;
            }
            state = wait(shared, state);
        }
        if state.stop {
            return;
        }
        let ring = state.ring();
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What positions `start .. start + n` of a ring seeded with `seed` hold.
    fn reference(seed: u64, start: u64, n: usize) -> Vec<f32> {
        let mut out = vec![0.0f32; n];
        fill_positions(Backend::active(), seed, start, &mut out);
        out
    }

    /// The first index where `a` and `b` differ (bit for bit, or in length).
    fn first_diff(a: &[f32], b: &[f32]) -> Option<usize> {
        (0..a.len().max(b.len()))
            .find(|&i| a.get(i).map(|v| v.to_bits()) != b.get(i).map(|v| v.to_bits()))
    }

    /// Growing keeps the head and the ready noise (copied to the new slots), and the
    /// ring then hands out exactly what a ring created at the larger capacity and
    /// brought to the same position would — after wraps, partial blocks, skips.
    #[test]
    fn grow_keeps_position_and_content() {
        let b = RING_BLOCK;
        for (small, large) in [(1, 2), (2, 3), (3, 8), (4, 4), (5, 16)] {
            for pre in [0usize, 1, 5 * b / 2, 3 * b + 100, 7 * b - 64] {
                let ctx = format!("{small} -> {large} blocks after {pre} values");
                let mut ring = NoiseRing::new(4, small * b);
                let mut twin = NoiseRing::new(4, large * b);
                // bring the ring to a state with wraps, ready noise and a partial block
                let mut left = pre;
                while left > 0 {
                    let n = left.min(small * b / 2 + 1).min(small * b);
                    ring.claim(n).unwrap();
                    ring.refill();
                    left -= n;
                }
                let (head, ready) = (ring.position(), ring.ready());
                ring.grow(large * b).unwrap();
                assert_eq!(ring.capacity(), large.max(small) * b, "{ctx}");
                assert_eq!((ring.position(), ring.ready()), (head, ready), "{ctx}");
                twin.skip_to(head);
                let made = ring.generated_on_claim();
                // the ready noise was kept: claiming it (as far as it goes before the
                // end of the larger buffer) makes nothing on the spot
                let cap = ring.capacity();
                let fit = ready.min(cap - (head % cap as u64) as usize);
                let kept = ring.claim(fit).unwrap().to_vec();
                assert_eq!(ring.generated_on_claim(), made, "{ctx}: ready noise lost");
                let moved = first_diff(&kept, &reference(4, head, fit));
                assert_eq!(moved, None, "{ctx}: ready noise moved");
                twin.claim(fit).unwrap();
                for n in [100, b, large * b / 2 + 3, large * b, 17] {
                    ring.refill();
                    let got = ring.claim(n).unwrap().to_vec();
                    let start = ring.position() - n as u64;
                    let want = twin.claim(n).unwrap().to_vec();
                    assert_eq!(start, twin.position() - n as u64, "{ctx}: claim of {n}");
                    assert_eq!(first_diff(&got, &want), None, "{ctx}: claim of {n}");
                    let off = first_diff(&got, &reference(4, start, n));
                    assert_eq!(off, None, "{ctx}: claim of {n}");
                    let (g, m) = ring.claim_blocks(2 * MAX_BLOCK).unwrap();
                    let maxima: Vec<f32> = g
                        .chunks(MAX_BLOCK)
                        .map(|c| c.iter().fold(f32::NEG_INFINITY, |a, &v| a.max(v)))
                        .collect();
                    assert_eq!(m, &maxima[..], "{ctx}: block maxima after {n}");
                    twin.claim_blocks(2 * MAX_BLOCK).unwrap();
                }
            }
        }
    }

    /// A ring not yet allocated just takes the new capacity; a growth that cannot be
    /// allocated is an error and leaves the ring as it was.
    #[test]
    fn grow_before_use_and_grow_that_fails() {
        let mut ring = NoiseRing::new(1, RING_BLOCK);
        ring.grow(5 * RING_BLOCK).unwrap();
        assert_eq!((ring.capacity(), ring.heap_bytes()), (5 * RING_BLOCK, 0));
        ring.refill();
        ring.claim(100).unwrap();
        let (cap, pos, ready) = (ring.capacity(), ring.position(), ring.ready());
        assert!(matches!(
            ring.grow(usize::MAX),
            Err(crate::Error::RingAllocation { .. })
        ));
        assert_eq!(
            (ring.capacity(), ring.position(), ring.ready()),
            (cap, pos, ready)
        );
        let made = ring.generated_on_claim();
        let got = ring.claim(ready).unwrap().to_vec();
        assert_eq!(first_diff(&got, &reference(1, pos, ready)), None);
        assert_eq!(ring.generated_on_claim(), made);
        ring.grow(RING_BLOCK).unwrap(); // never shrinks
        assert_eq!(ring.capacity(), cap);
    }
}
