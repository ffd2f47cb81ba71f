//! [`Sampler`]: seeded, batched sampling, rayon across rows.

use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::error::{Error, check_len};
use crate::noise::lanes::lane_state;
use crate::noise::seed::{
    DOMAIN_FUSED, DOMAIN_KEYED, DOMAIN_KEYED_UNIFORM, DOMAIN_RING, DOMAIN_UNIFORM, domain_seed,
    uniform_at,
};
use crate::noise::{BackgroundRing, MAX_BLOCK, NoiseRing, RING_BLOCK};
use crate::sample::filter::{
    self, Filter, MAX_TOP_LOGPROBS, SamplingParams, TokenLogprob, TopLogprob,
};
use crate::sample::many::{self, Draws};
use crate::sample::par::{DEFAULT_PARALLEL_THRESHOLD, batch_rows, par_rows, rows_each};
use crate::sample::{NO_FLOOR, Temperature, gumbel_max, relaxed, roulette, row_max};
use crate::simd::Backend;
use crate::simd::element::Element;
use crate::simd::source::{Input, InputKind, Logits, Probs};

/// How a [`Sampler`] draws.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Method {
    /// Gumbel-max with noise from the sampler's [`NoiseRing`]: with the ring full, the
    /// sampling step reads the logits (for their row and block maxima) and the ring's
    /// small table of block noise maxima, and reads noise only for the few blocks that
    /// can win (exact pruning, see [`Sampler::pruning`]).
    #[default]
    GumbelMax,
    /// Gumbel-max with the noise generated in registers: no table, no memory traffic
    /// for noise. The generator steps through every position, but `−ln(−ln U)` is
    /// evaluated only for the lanes that can win (exact pruning), so a long row costs
    /// about a read of its logits plus the generator's integer steps.
    GumbelMaxFused,
    /// Softmax + roulette wheel: max, exp-sum and scan passes, one uniform per row.
    SoftmaxRoulette,
}

/// Where [`Sampler::sample_batch_logprobs`] writes log-probabilities: one
/// [`TokenLogprob`] per row, and `top_n` [`TopLogprob`]s per row (`top.len() ==
/// rows · top_n`, row-major; `top_n <= 20`, `0` for none).
///
/// ```
/// use gumbel::{Logprobs, TokenLogprob, TopLogprob};
/// let (mut t, mut top) = ([TokenLogprob::default(); 4], [TopLogprob::default(); 4 * 5]);
/// let lp = Logprobs { tokens: &mut t, top: &mut top, top_n: 5 };
/// assert_eq!(lp.top.len(), 20);
/// ```
#[derive(Debug)]
pub struct Logprobs<'a> {
    /// The sampled tokens' log-probabilities, one per row.
    pub tokens: &'a mut [TokenLogprob],
    /// The rows' top-n raw log-probabilities, `top_n` per row.
    pub top: &'a mut [TopLogprob],
    /// How many top log-probabilities per row.
    pub top_n: usize,
}

/// Default ring capacity: 2²² values (16 MiB of noise) — the capacity a [`Sampler`]'s
/// ring starts with, and the least it sizes itself to (see
/// [Ring size](Sampler#ring-size)).
pub const DEFAULT_RING_CAPACITY: usize = 1 << 22;

/// The capacity an automatically sized ring needs for claims of `n` values: the
/// smallest power of two that holds [`DEFAULT_RING_CAPACITY`] and `2n` plus one block
/// and one 64-value run. With that much, a ring refilled after a claim of `n` holds the
/// next claim of `n` however the claim falls: it may skip up to `n − 1` positions to
/// the end of the buffer, start up to 63 later for its 64-alignment, and the refill
/// stops at a block boundary up to a block short of a whole capacity ahead.
/// Powers of two bound the regrowths as batches grow (to about log₂ of the growth)
/// at the price of at most twice the memory.
fn auto_capacity(n: usize) -> usize {
    n.saturating_mul(2)
        .saturating_add(RING_BLOCK + MAX_BLOCK)
        .max(DEFAULT_RING_CAPACITY)
        .checked_next_power_of_two()
        .unwrap_or(usize::MAX)
}

/// A sampler's noise ring, and whether it sizes itself from the batches.
struct Ring {
    kind: RingKind,
    /// No capacity was set: grow to [`auto_capacity`] of every claim.
    auto: bool,
}

enum RingKind {
    Local(NoiseRing),
    Background(BackgroundRing),
}

impl Ring {
    fn with<R>(&mut self, f: impl FnOnce(&mut NoiseRing) -> R) -> R {
        match &mut self.kind {
            RingKind::Local(r) => f(r),
            RingKind::Background(b) => b.locked(f),
        }
    }

    /// Before a claim of `n` values: an automatically sized ring grows to hold it
    /// twice over ([`auto_capacity`]); a ring of a set capacity stays as it is.
    fn fit(&mut self, n: usize) -> Result<(), Error> {
        if self.auto {
            let capacity = auto_capacity(n);
            self.with(|r| r.grow(capacity))?;
        }
        Ok(())
    }

    fn capacity(&mut self) -> usize {
        self.with(|r| r.capacity())
    }

    fn allocated(&mut self) -> bool {
        self.with(|r| r.heap_bytes() > 0)
    }
}

/// Seeded, batched categorical sampling: rows × cols logits in, one token per row out,
/// rayon across rows.
///
/// ```
/// use gumbel::{Method, Sampler};
///
/// let (rows, cols) = (4, 1000);
/// let logits: Vec<f32> = (0..rows * cols).map(|i| ((i % cols) as f32 * 0.01).sin()).collect();
/// let mut out = vec![0u32; rows];
///
/// let mut sampler = Sampler::new(42).method(Method::GumbelMax).temperature(0.8);
/// sampler.refill(); // make noise ahead of time, e.g. during the forward pass
/// sampler.sample_batch(&logits, cols, &mut out).unwrap();
/// assert!(out.iter().all(|&t| (t as usize) < cols));
///
/// // the same seed and the same calls give the same tokens
/// let mut again = vec![0u32; rows];
/// Sampler::new(42).temperature(0.8).sample_batch(&logits, cols, &mut again).unwrap();
/// assert_eq!(out, again);
/// ```
///
/// # Determinism
///
/// The output is a function of the seed, the method, the temperature and the sequence
/// of calls — never of the rayon thread count, the ISA-independent chunking, or when
/// the ring was refilled:
///
/// * `GumbelMax` reads ring positions in order: a call starts at the ring's next
///   position rounded up to a multiple of 64 (the positions skipped are never handed
///   out), and row `r` gets the `cols` values at `start + r·stride`, with `stride` =
///   `cols` rounded up to a multiple of 64 (the rest of each stride is consumed
///   unused); ring content is fixed by `(seed, position)`. The 64-value alignment lets
///   the ring's block-maximum table prune the noise reads exactly.
/// * `GumbelMaxFused` gives the `n`-th row this sampler ever samples the noise stream
///   `n` of a seed derived from the sampler's seed.
/// * `SoftmaxRoulette` gives the `n`-th row uniform number `n` of a SplitMix64
///   sequence derived from the seed.
/// * Keyed rows ([`sample_batch_keyed`](Self::sample_batch_keyed)) depend only on
///   `(seed, key)`.
///
/// Results can differ between ISA paths only where two scores are within a rounding
/// error of each other (FMA vs. separate multiply and add at temperatures other than 1).
///
/// # Ring size
///
/// Unless [`ring_capacity`](Self::ring_capacity) sets it, the ring sizes itself from
/// the batches: before each call that reads it (a `GumbelMax` batch at `T > 0` claims
/// `rows × stride` values, a [`gumbel_softmax_batch`](Self::gumbel_softmax_batch)
/// `rows × cols`), it grows, if it must, to the smallest power of two that holds
/// [`DEFAULT_RING_CAPACITY`] and twice the claim plus one
/// [`RING_BLOCK`](crate::noise::RING_BLOCK) and 64 values — enough that after a
/// [`refill`](Self::refill), the next batch of the same shape finds all its noise
/// ready ([`noise_generated_while_sampling`](Self::noise_generated_while_sampling)
/// stays put) wherever it falls in the ring. One 64 × 128256 batch makes it 2²⁴
/// values (64 MiB). It never shrinks. Growing keeps the ring's position and the noise
/// it has ready, so the capacity — which decides where claims wrap — is a function of
/// the batch shapes only, never of when (or whether) the ring was refilled: refill
/// timing cannot change a token.
///
/// A `refill` before the first batch fills [`DEFAULT_RING_CAPACITY`]; the first larger
/// batch grows the ring, keeps that noise, and makes the rest of its own on the spot.
/// Nothing is allocated for a sampler whose calls read no ring
/// (`GumbelMaxFused`, `SoftmaxRoulette`, `T = 0`, keyed calls): its `refill` does
/// nothing until a call has used the ring.
///
/// # Errors and state
///
/// Shapes and the temperature are checked before any randomness is used. A row with a
/// NaN / `+inf` logit or with every entry masked fails the whole call with an error
/// naming the (first such) row and column; `out` is left untouched, but the call's
/// randomness is spent (the next call draws fresh noise).
///
/// A batch of **zero rows** (`logits` empty, `cols > 0`, and `out`, `keys`, `y`,
/// `hard` empty to match) is a no-op: every batch call returns `Ok(())` after the same
/// argument checks as for any other batch (so a bad temperature or τ is still an
/// error), writes nothing and spends no randomness — an engine step with no requests
/// leaves the sampler exactly as it was. `cols == 0` is [`Error::EmptyRow`].
pub struct Sampler {
    seed: u64,
    backend: Backend,
    method: Method,
    temperature: f32,
    ring: Ring,
    ring_capacity: usize,
    rows: u64,
    parallel_threshold: usize,
    pruning: bool,
    evaluated: u64,
    results: Vec<Result<RowOut, Error>>,
    noise: Vec<f32>,
    noise_max: Vec<f32>,
}

impl std::fmt::Debug for Sampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sampler")
            .field("seed", &self.seed)
            .field("isa", &self.backend.isa())
            .field("method", &self.method)
            .field("temperature", &self.temperature)
            .field("ring_capacity", &self.ring_capacity)
            .field("ring_sized_by_batches", &self.ring.auto)
            .field("rows_sampled", &self.rows)
            .finish_non_exhaustive()
    }
}

impl Sampler {
    /// A sampler with `Method::GumbelMax`, temperature 1, a ring that starts at
    /// [`DEFAULT_RING_CAPACITY`] values and sizes itself from the batches (see
    /// [Ring size](Self#ring-size); nothing is allocated until it is used), rayon
    /// parallelism above [`DEFAULT_PARALLEL_THRESHOLD`] elements per call, and the
    /// kernels of [`Backend::active`] (kept for the sampler's lifetime; see
    /// [`backend`](Self::backend)).
    ///
    /// ```
    /// let s = gumbel::Sampler::new(7);
    /// assert_eq!(s.rows_sampled(), 0);
    /// ```
    pub fn new(seed: u64) -> Sampler {
        let backend = Backend::active();
        Sampler {
            seed,
            backend,
            method: Method::GumbelMax,
            temperature: 1.0,
            ring: Ring {
                kind: RingKind::Local(NoiseRing::with_backend(
                    domain_seed(seed, DOMAIN_RING),
                    DEFAULT_RING_CAPACITY,
                    backend,
                )),
                auto: true,
            },
            ring_capacity: DEFAULT_RING_CAPACITY,
            rows: 0,
            parallel_threshold: DEFAULT_PARALLEL_THRESHOLD,
            pruning: true,
            evaluated: 0,
            results: Vec::new(),
            noise: Vec::new(),
            noise_max: Vec::new(),
        }
    }

    /// Run on `backend`'s instruction set (replacing the one chosen at creation; the
    /// ring is rebuilt on it, continuing at a fresh position so no noise is reused).
    ///
    /// ```
    /// use gumbel::simd::Backend;
    /// let mut s = gumbel::Sampler::new(7).backend(Backend::scalar());
    /// assert_eq!(s.isa(), gumbel::simd::Isa::Scalar);
    /// assert!(s.sample(&[0.0f32, 1.0]).unwrap() < 2);
    /// ```
    pub fn backend(mut self, backend: Backend) -> Sampler {
        self.backend = backend;
        // a ring that sized itself keeps its size (and so where its claims wrap)
        let capacity = match self.ring.auto {
            true => self.ring.capacity(),
            false => self.ring_capacity,
        };
        let auto = self.ring.auto;
        let mut s = self.rebuild_ring(capacity);
        s.ring.auto = auto;
        s
    }

    /// The instruction set this sampler runs on.
    ///
    /// ```
    /// let s = gumbel::Sampler::new(7);
    /// assert_eq!(s.isa(), gumbel::simd::Isa::active());
    /// ```
    pub fn isa(&self) -> crate::simd::Isa {
        self.backend.isa()
    }

    /// Choose the sampling method.
    ///
    /// ```
    /// let s = gumbel::Sampler::new(7).method(gumbel::Method::SoftmaxRoulette);
    /// ```
    pub fn method(mut self, method: Method) -> Sampler {
        self.method = method;
        self
    }

    /// Set the temperature: finite and `> 0`, or `0` for greedy argmax. Checked when
    /// sampling ([`Error::InvalidTemperature`]).
    ///
    /// ```
    /// let mut s = gumbel::Sampler::new(7).temperature(-1.0);
    /// assert!(s.sample(&[0.0, 1.0]).is_err());
    /// ```
    pub fn temperature(mut self, t: f32) -> Sampler {
        self.temperature = t;
        self
    }

    /// Set the ring's capacity in values (rounded up to a whole number of
    /// [`RING_BLOCK`](crate::noise::RING_BLOCK)s), instead of letting it size itself
    /// from the batches ([Ring size](Self#ring-size)). For a full ring at every step,
    /// use at least twice `rows × cols` of your batches (plus a block); a batch larger
    /// than the ring is served from a scratch copy, its noise made on the spot.
    /// Replaces the ring (its noise is discarded; positions are never reused).
    ///
    /// The builder allocates nothing, so it cannot fail: a capacity that cannot be had
    /// (more memory than the allocator gives, or a size near `usize::MAX`) is
    /// [`Error::RingAllocation`] from the first call that needs the ring — a
    /// `GumbelMax` sample at `T > 0`, a [`gumbel_softmax_batch`](Self::gumbel_softmax_batch),
    /// or [`try_refill`](Self::try_refill), which reports it at once — never an abort.
    /// Methods that read no ring are unaffected.
    ///
    /// ```
    /// use gumbel::{Error, Method, Sampler};
    /// let s = Sampler::new(7).ring_capacity(1 << 20);
    ///
    /// let mut huge = Sampler::new(7).ring_capacity(1 << 62); // 16 EiB of noise
    /// assert_eq!(huge.try_refill(), Err(Error::RingAllocation { requested: 1 << 62 }));
    /// assert!(matches!(huge.sample(&[0.0f32, 1.0]), Err(Error::RingAllocation { .. })));
    /// let mut fused = Sampler::new(7).ring_capacity(1 << 62).method(Method::GumbelMaxFused);
    /// assert!(fused.sample(&[0.0f32, 1.0]).is_ok());
    /// ```
    pub fn ring_capacity(self, capacity: usize) -> Sampler {
        let mut s = self.rebuild_ring(capacity);
        s.ring.auto = false;
        s
    }

    fn rebuild_ring(mut self, capacity: usize) -> Sampler {
        self.ring_capacity = capacity;
        let next = self.ring.with(|r| r.position());
        // continue at a fresh block so no position is ever handed out twice
        let seed = domain_seed(self.seed, DOMAIN_RING);
        let mut ring = NoiseRing::with_backend(seed, capacity, self.backend);
        ring.skip_to(next);
        // keep the refill mode: a background ring is replaced by a background ring
        self.ring.kind = match self.ring.kind {
            RingKind::Local(_) => RingKind::Local(ring),
            RingKind::Background(_) => RingKind::Background(ring.into_background()),
        };
        self
    }

    /// Keep the ring full from a background thread ([`BackgroundRing`], a thread named
    /// [`gumbel-refill`](crate::noise::REFILL_THREAD_NAME)); `false` brings it back to
    /// the caller's thread. The noise handed out is identical either way. The sampling
    /// calls run no code under the ring's lock but the crate's own bookkeeping: the
    /// rows are sampled on the claimed noise, lent to them.
    ///
    /// Dropping the sampler (or switching back with `false`, or replacing the ring with
    /// [`ring_capacity`](Self::ring_capacity)) stops the thread and joins it: it has
    /// exited when the drop returns, and no noise is lost or handed out twice (see
    /// [`BackgroundRing`'s drop guarantees](BackgroundRing#drop)).
    ///
    /// ```
    /// let mut s = gumbel::Sampler::new(7).ring_capacity(1 << 16).background_refill(true);
    /// s.wait_for_noise();
    /// let logits = vec![0.0f32; 1000];
    /// s.sample(&logits).unwrap();
    /// ```
    pub fn background_refill(mut self, on: bool) -> Sampler {
        let placeholder = RingKind::Local(NoiseRing::new(0, 1));
        let ring = match std::mem::replace(&mut self.ring.kind, placeholder) {
            RingKind::Local(r) => r,
            RingKind::Background(b) => b.into_inner(),
        };
        self.ring.kind = if on {
            RingKind::Background(ring.into_background())
        } else {
            RingKind::Local(ring)
        };
        self
    }

    /// Batches with fewer than `elements` (rows × cols) run on the calling thread.
    ///
    /// ```
    /// let s = gumbel::Sampler::new(7).parallel_threshold(usize::MAX); // never parallel
    /// ```
    pub fn parallel_threshold(mut self, elements: usize) -> Sampler {
        self.parallel_threshold = elements;
        self
    }

    /// Exact pruning of the Gumbel-max noise (on by default): the fused and keyed paths
    /// evaluate `−ln(−ln U)` only for positions that can still win, and return the
    /// same tokens as with every noise value evaluated (see `docs/math.md`, §5). `false`
    /// evaluates everything — the reference the tests and benchmarks compare against.
    ///
    /// ```
    /// use gumbel::{Method, Sampler};
    /// let logits: Vec<f32> = (0..100_000).map(|i| ((i * 7919) % 1000) as f32 * 0.01).collect();
    /// let mut a = Sampler::new(1).method(Method::GumbelMaxFused);
    /// let mut b = Sampler::new(1).method(Method::GumbelMaxFused).pruning(false);
    /// assert_eq!(a.sample(&logits)?, b.sample(&logits)?);
    /// assert!(a.noise_evaluated() < b.noise_evaluated() / 10);
    /// # Ok::<(), gumbel::Error>(())
    /// ```
    pub fn pruning(mut self, on: bool) -> Sampler {
        self.pruning = on;
        self
    }

    /// Positions whose Gumbel noise the Gumbel-max calls of this sampler have evaluated
    /// (computed in full, or read from the ring) so far: every position without
    /// pruning, a small fraction with it. Greedy rows (`T = 0`) evaluate none.
    ///
    /// ```
    /// let mut s = gumbel::Sampler::new(3).method(gumbel::Method::GumbelMaxFused);
    /// s.sample(&[0.0f32; 10]).unwrap();
    /// assert!(s.noise_evaluated() >= 1);
    /// ```
    pub fn noise_evaluated(&self) -> u64 {
        self.evaluated
    }

    /// Rows sampled so far by the non-keyed calls.
    ///
    /// ```
    /// let mut s = gumbel::Sampler::new(7);
    /// s.sample(&[1.0, 2.0]).unwrap();
    /// assert_eq!(s.rows_sampled(), 1);
    /// ```
    pub fn rows_sampled(&self) -> u64 {
        self.rows
    }

    /// Top up the noise ring now (parallel across blocks). Call it off the critical
    /// path, e.g. while the model computes the next logits. A ring whose capacity
    /// cannot be allocated is left alone ([`try_refill`](Self::try_refill) reports it).
    ///
    /// Before the first batch this fills [`DEFAULT_RING_CAPACITY`] values (or the set
    /// [`ring_capacity`](Self::ring_capacity)); a larger first batch grows the ring,
    /// keeping them (see [Ring size](Self#ring-size)). On a sampler whose calls read no
    /// ring (`GumbelMaxFused`, `SoftmaxRoulette`, temperature 0), it does nothing until
    /// a call has used the ring (a [`gumbel_softmax_batch`](Self::gumbel_softmax_batch)):
    /// no memory for noise nobody reads.
    ///
    /// ```
    /// let mut s = gumbel::Sampler::new(7).ring_capacity(1 << 16);
    /// s.refill();
    /// assert_eq!(s.noise_ready(), 1 << 16);
    ///
    /// let mut fused = gumbel::Sampler::new(7).method(gumbel::Method::GumbelMaxFused);
    /// fused.refill();
    /// assert_eq!(fused.noise_heap_bytes(), 0);
    /// ```
    pub fn refill(&mut self) {
        if self.wants_ring() {
            self.ring.with(|r| r.refill())
        }
    }

    /// Whether a refill would fill noise that this sampler's calls read: its method
    /// reads the ring, or a call has used it already.
    fn wants_ring(&mut self) -> bool {
        (self.method == Method::GumbelMax && self.temperature != 0.0) || self.ring.allocated()
    }

    /// [`refill`](Self::refill), reporting whether the ring's buffer could be
    /// allocated (`refill` skips a ring it cannot allocate; the sampling calls that
    /// need it then return the error).
    ///
    /// # Errors
    /// [`Error::RingAllocation`] if the ring's capacity cannot be allocated.
    ///
    /// ```
    /// let mut s = gumbel::Sampler::new(7).ring_capacity(1 << 16);
    /// s.try_refill().unwrap();
    /// assert_eq!(s.noise_ready(), 1 << 16);
    /// ```
    pub fn try_refill(&mut self) -> Result<(), Error> {
        if !self.wants_ring() {
            return Ok(());
        }
        self.ring.with(|r| r.try_refill())
    }

    /// The ring's capacity now, in values: [`DEFAULT_RING_CAPACITY`] or the set
    /// [`ring_capacity`](Self::ring_capacity) to start with, grown by the batches
    /// unless set (see [Ring size](Self#ring-size)).
    ///
    /// ```
    /// let (rows, cols) = (4, 600_000);
    /// let logits = vec![0.0f32; rows * cols];
    /// let mut s = gumbel::Sampler::new(7);
    /// assert_eq!(s.noise_capacity(), gumbel::DEFAULT_RING_CAPACITY);
    /// s.sample_batch(&logits, cols, &mut [0u32; 4]).unwrap();
    /// assert!(s.noise_capacity() >= 2 * rows * cols.next_multiple_of(64));
    /// ```
    pub fn noise_capacity(&mut self) -> usize {
        self.ring.capacity()
    }

    /// Heap memory the ring holds, in bytes: 0 until a call or refill needs it.
    ///
    /// ```
    /// let mut s = gumbel::Sampler::new(7).method(gumbel::Method::SoftmaxRoulette);
    /// s.sample(&[0.0f32, 1.0]).unwrap();
    /// assert_eq!(s.noise_heap_bytes(), 0);
    /// ```
    pub fn noise_heap_bytes(&mut self) -> usize {
        self.ring.with(|r| r.heap_bytes())
    }

    /// Noise values ready in the ring.
    ///
    /// ```
    /// assert_eq!(gumbel::Sampler::new(7).noise_ready(), 0);
    /// ```
    pub fn noise_ready(&mut self) -> usize {
        self.ring.with(|r| r.ready())
    }

    /// Noise values generated while sampling because the ring was not ready (zero when
    /// every call found its noise ready).
    ///
    /// ```
    /// let mut s = gumbel::Sampler::new(7).ring_capacity(1 << 16);
    /// s.refill();
    /// s.sample(&vec![0.0; 1000]).unwrap();
    /// assert_eq!(s.noise_generated_while_sampling(), 0);
    /// ```
    pub fn noise_generated_while_sampling(&mut self) -> u64 {
        self.ring.with(|r| r.generated_on_claim())
    }

    /// With a background refiller, block until the ring is full; otherwise
    /// [`refill`](Self::refill) now.
    ///
    /// ```
    /// let mut s = gumbel::Sampler::new(7).ring_capacity(1 << 16);
    /// s.wait_for_noise();
    /// assert_eq!(s.noise_ready(), 1 << 16);
    /// ```
    pub fn wait_for_noise(&mut self) {
        match &mut self.ring.kind {
            RingKind::Local(_) => self.refill(),
            RingKind::Background(b) => b.wait_full(),
        }
    }

    /// Sample one row of logits.
    ///
    /// # Errors
    /// As [`sample_batch`](Self::sample_batch) for a single row.
    ///
    /// ```
    /// let mut s = gumbel::Sampler::new(1);
    /// let t = s.sample(&[0.0, 5.0, f32::NEG_INFINITY]).unwrap();
    /// assert!(t < 2);
    /// ```
    pub fn sample<L: Element>(&mut self, logits: &[L]) -> Result<usize, Error> {
        let mut out = [0u32];
        let t = Params::Sampler(self.temperature);
        self.run::<Logits, L>(logits, logits.len(), &mut out, None, t, None, false)?;
        Ok(out[0] as usize)
    }

    /// Sample one row of unnormalised probabilities (zero masks; negative, NaN, `+inf`
    /// are errors).
    ///
    /// # Errors
    /// As [`sample_batch_probs`](Self::sample_batch_probs) for a single row.
    ///
    /// ```
    /// let mut s = gumbel::Sampler::new(1);
    /// assert_eq!(s.sample_probs(&[0.0, 1.0, 0.0]).unwrap(), 1);
    /// ```
    pub fn sample_probs(&mut self, probs: &[f32]) -> Result<usize, Error> {
        let mut out = [0u32];
        let t = Params::Sampler(self.temperature);
        self.run::<Probs, f32>(probs, probs.len(), &mut out, None, t, None, false)?;
        Ok(out[0] as usize)
    }

    /// Sample one token per row of a row-major `rows × cols` batch into `out`
    /// (`out.len() == rows`), in parallel across rows for large batches.
    ///
    /// Zero rows (empty `logits` and `out`, `cols > 0`) is a no-op `Ok(())` that spends
    /// no randomness (see [Errors and state](Self#errors-and-state)).
    ///
    /// # Errors
    /// [`Error::EmptyRow`] (`cols == 0`), [`Error::NotMultipleOfCols`],
    /// [`Error::LengthMismatch`] (`out`), [`Error::InvalidTemperature`],
    /// [`Error::InvalidLogit`] and [`Error::AllMasked`] with the row and column.
    /// On error `out` is untouched.
    ///
    /// ```
    /// let logits = [0.0f32, 9.0, 9.0, 0.0];
    /// let mut out = [0u32; 2];
    /// let mut s = gumbel::Sampler::new(3).temperature(0.0);
    /// s.sample_batch(&logits, 2, &mut out).unwrap();
    /// assert_eq!(out, [1, 0]);
    /// // an engine step with no requests
    /// s.sample_batch::<f32>(&[], 2, &mut []).unwrap();
    /// assert_eq!(s.rows_sampled(), 2);
    /// ```
    pub fn sample_batch<L: Element>(
        &mut self,
        logits: &[L],
        cols: usize,
        out: &mut [u32],
    ) -> Result<(), Error> {
        let t = Params::Sampler(self.temperature);
        self.run::<Logits, L>(logits, cols, out, None, t, None, false)
            .map(drop)
    }

    /// [`sample_batch`](Self::sample_batch) for unnormalised probabilities.
    ///
    /// # Errors
    /// As `sample_batch`, with [`Error::InvalidProbability`] for bad weights.
    ///
    /// ```
    /// let probs = [0.0f32, 1.0, 1.0, 0.0];
    /// let mut out = [0u32; 2];
    /// gumbel::Sampler::new(3).sample_batch_probs(&probs, 2, &mut out).unwrap();
    /// assert_eq!(out, [1, 0]);
    /// ```
    pub fn sample_batch_probs(
        &mut self,
        probs: &[f32],
        cols: usize,
        out: &mut [u32],
    ) -> Result<(), Error> {
        let t = Params::Sampler(self.temperature);
        self.run::<Probs, f32>(probs, cols, out, None, t, None, false)
            .map(drop)
    }

    /// Like [`sample_batch`](Self::sample_batch), but row `r`'s randomness depends only
    /// on `(seed, keys[r])`: an inference engine passes e.g. `request_id << 32 | step`,
    /// so a request's token does not depend on which other requests share the batch.
    ///
    /// Gumbel-max methods generate the row's noise in registers from stream `keys[r]`
    /// (of a keyed domain of the seed); `SoftmaxRoulette` uses uniform `keys[r]`. Keyed
    /// calls neither read the ring nor advance [`rows_sampled`](Self::rows_sampled).
    /// Reusing a key reuses its randomness — keys must be unique per draw.
    ///
    /// # Errors
    /// As `sample_batch`, plus [`Error::LengthMismatch`] if `keys.len() != rows`.
    ///
    /// ```
    /// let cols = 100;
    /// let logits: Vec<f32> = (0..3 * cols).map(|i| (i % 7) as f32).collect();
    /// let mut s = gumbel::Sampler::new(5);
    /// let mut all = [0u32; 3];
    /// s.sample_batch_keyed(&logits, cols, &[10, 11, 12], &mut all).unwrap();
    /// // request 11 alone gets the same token as inside the batch
    /// let mut one = [0u32; 1];
    /// s.sample_batch_keyed(&logits[cols..2 * cols], cols, &[11], &mut one).unwrap();
    /// assert_eq!(one[0], all[1]);
    /// ```
    pub fn sample_batch_keyed<L: Element>(
        &mut self,
        logits: &[L],
        cols: usize,
        keys: &[u64],
        out: &mut [u32],
    ) -> Result<(), Error> {
        let t = Params::Sampler(self.temperature);
        self.run::<Logits, L>(logits, cols, out, Some(keys), t, None, false)
            .map(drop)
    }

    /// [`sample_batch`](Self::sample_batch) with per-row [`SamplingParams`]:
    /// `params` holds one entry for every row or one per row. Each row's temperature
    /// and filters (min-p → top-k → top-p, ties kept; see [`SamplingParams`]) apply,
    /// with any [`Method`]; the sampler's own [`temperature`](Self::temperature) is not
    /// used. The randomness is that of `sample_batch` (the same ring positions, streams
    /// or uniforms), so a row with default parameters gets `sample_batch`'s token.
    ///
    /// # Errors
    /// As `sample_batch`, plus [`Error::LengthMismatch`] for `params` and
    /// [`Error::InvalidSamplingParam`] naming the first row with a bad parameter —
    /// checked before any randomness is used. `out` is untouched on error.
    ///
    /// ```
    /// use gumbel::{Sampler, SamplingParams};
    ///
    /// let cols = 6;
    /// let logits = [0.0f32, 3.0, 2.9, -1.0, 1.0, 2.0, /* row 1 */ 5.0, 0.0, 0.0, 0.0, 0.0, 4.9];
    /// let params = [
    ///     SamplingParams::default().top_k(2),          // row 0: tokens 1 or 2 only
    ///     SamplingParams::default().temperature(0.0),  // row 1: greedy
    /// ];
    /// let mut out = [0u32; 2];
    /// let mut s = Sampler::new(9);
    /// for _ in 0..100 {
    ///     s.sample_batch_with(&logits, cols, &params, &mut out).unwrap();
    ///     assert!(out[0] == 1 || out[0] == 2);
    ///     assert_eq!(out[1], 0);
    /// }
    /// ```
    pub fn sample_batch_with<L: Element>(
        &mut self,
        logits: &[L],
        cols: usize,
        params: &[SamplingParams],
        out: &mut [u32],
    ) -> Result<(), Error> {
        let p = Params::Rows(params);
        self.run::<Logits, L>(logits, cols, out, None, p, None, false)
            .map(drop)
    }

    /// [`sample_batch_keyed`](Self::sample_batch_keyed) with per-row
    /// [`SamplingParams`]: a row's token depends only on `(seed, key, its logits, its
    /// parameters)` — never on the other rows of the batch.
    ///
    /// # Errors
    /// As [`sample_batch_with`](Self::sample_batch_with), plus
    /// [`Error::LengthMismatch`] for `keys`.
    ///
    /// ```
    /// use gumbel::{Sampler, SamplingParams};
    ///
    /// let cols = 1000;
    /// let logits: Vec<f32> = (0..2 * cols).map(|i| ((i % cols) as f32 * 0.37).sin() * 4.0).collect();
    /// let p = [SamplingParams::default().top_p(0.9), SamplingParams::default().min_p(0.2)];
    /// let mut s = Sampler::new(5);
    /// let mut both = [0u32; 2];
    /// s.sample_batch_keyed_with(&logits, cols, &[7, 8], &p, &mut both).unwrap();
    /// let mut alone = [0u32; 1];
    /// s.sample_batch_keyed_with(&logits[cols..], cols, &[8], &p[1..], &mut alone).unwrap();
    /// assert_eq!(alone[0], both[1]);
    /// ```
    pub fn sample_batch_keyed_with<L: Element>(
        &mut self,
        logits: &[L],
        cols: usize,
        keys: &[u64],
        params: &[SamplingParams],
        out: &mut [u32],
    ) -> Result<(), Error> {
        let p = Params::Rows(params);
        self.run::<Logits, L>(logits, cols, out, Some(keys), p, None, false)
            .map(drop)
    }

    /// [`sample_batch_with`](Self::sample_batch_with) (or its keyed form, with
    /// `keys`) that also returns each sampled token's [`TokenLogprob`] (processed and
    /// raw log-probability, rank) and the row's `logprobs.top_n` highest raw
    /// log-probabilities with their ids ([`TopLogprob`], descending, ties by lower
    /// index; `top_n <= 20`).
    ///
    /// Cost: one more pass over the row (its exponentials, the rank's count) plus, at a
    /// temperature other than 1 without a filter that summed the kept mass, a second
    /// exp-sum; the top-n is a streaming selection (one compare per vector).
    ///
    /// # Errors
    /// As `sample_batch_with`, plus [`Error::LengthMismatch`] for `logprobs.tokens`
    /// (`rows`) and `logprobs.top` (`rows · top_n`), and
    /// [`Error::InvalidSamplingParam`] (`"top_n"`) beyond 20. Nothing is written on
    /// error.
    ///
    /// ```
    /// use gumbel::{Logprobs, Sampler, SamplingParams, TokenLogprob, TopLogprob};
    ///
    /// let logits = [1.0f32, 2.0, 3.0, f32::NEG_INFINITY];
    /// let params = [SamplingParams::default().temperature(0.0)];
    /// let (mut out, mut lp, mut top) = ([0u32], [TokenLogprob::default()], [TopLogprob::default(); 2]);
    /// Sampler::new(1)
    ///     .sample_batch_logprobs(&logits, 4, None, &params, &mut out,
    ///         Logprobs { tokens: &mut lp, top: &mut top, top_n: 2 })
    ///     .unwrap();
    /// assert_eq!(out[0], 2); // greedy
    /// let ln_z = (1f64.exp() + 2f64.exp() + 3f64.exp()).ln();
    /// assert!((lp[0].raw_logprob as f64 - (3.0 - ln_z)).abs() < 1e-6);
    /// assert_eq!((lp[0].logprob, lp[0].rank), (0.0, 1)); // greedy is certain
    /// assert_eq!((top[0].token, top[1].token), (2, 1));
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn sample_batch_logprobs<L: Element>(
        &mut self,
        logits: &[L],
        cols: usize,
        keys: Option<&[u64]>,
        params: &[SamplingParams],
        out: &mut [u32],
        logprobs: Logprobs<'_>,
    ) -> Result<(), Error> {
        let p = Params::Rows(params);
        self.run::<Logits, L>(logits, cols, out, keys, p, Some(logprobs), false)
            .map(drop)
    }

    /// The engine's call: sample every row whose logits and parameters are valid and
    /// return the errors of the others, one per bad row in row order (each naming its
    /// row: [`Error::InvalidLogit`] with the column, [`Error::AllMasked`],
    /// [`Error::InvalidSamplingParam`], …). Bad rows' `out` (and log-probability) slots
    /// are left as they were; one request's NaN logits never take the batch down.
    ///
    /// Randomness is consumed exactly as by a call that succeeds: every row of the call
    /// — good or bad — takes its ring positions, stream or uniform (row `r` of a
    /// non-keyed call is the sampler's row `rows_sampled() + r`), so the good rows'
    /// tokens are those a clean batch would give, and retrying a fixed row with a key
    /// (or in a fresh call) draws fresh, reproducible randomness.
    ///
    /// # Errors
    /// Only for the call itself: shapes ([`Error::EmptyRow`],
    /// [`Error::NotMultipleOfCols`], [`Error::LengthMismatch`]) and `top_n`; then
    /// nothing is written and no randomness is used.
    ///
    /// ```
    /// use gumbel::{Error, Sampler, SamplingParams};
    ///
    /// let logits = [0.0f32, 1.0, f32::NAN, 1.0, 2.0, 0.5];
    /// let mut out = [u32::MAX; 3];
    /// let errs = Sampler::new(3)
    ///     .sample_batch_partial(&logits, 2, None, &[SamplingParams::default()], &mut out, None)
    ///     .unwrap();
    /// assert_eq!(errs.len(), 1);
    /// assert!(matches!(errs[0], Error::InvalidLogit { row: 1, col: 0, .. }));
    /// assert_eq!(out[1], u32::MAX); // untouched
    /// assert!(out[0] < 2 && out[2] < 2);
    /// ```
    pub fn sample_batch_partial<L: Element>(
        &mut self,
        logits: &[L],
        cols: usize,
        keys: Option<&[u64]>,
        params: &[SamplingParams],
        out: &mut [u32],
        logprobs: Option<Logprobs<'_>>,
    ) -> Result<Vec<Error>, Error> {
        let p = Params::Rows(params);
        self.run::<Logits, L>(logits, cols, out, keys, p, logprobs, true)
    }

    /// Draw `out.len()` independent tokens from the *same* row of logits — the job of a
    /// sampling library that wants many samples of one distribution.
    ///
    /// Below [`SAMPLE_N_TABLE_MIN`](crate::SAMPLE_N_TABLE_MIN) draws each token is a fused Gumbel-max pass over the
    /// row (`O(V)` per draw); from there on, one pass builds the cumulative table of
    /// `softmax(x/T)` (f64 prefix sums) and every draw is a binary search for
    /// `u·Σ` (`O(log V)` per draw, in parallel for many draws). The crossover is
    /// measured in `benches/many.rs` and recorded in `docs/performance.md`. Draw `i`
    /// of a call uses the sampler's next row index, so the result is deterministic and
    /// independent of the thread count.
    ///
    /// # Errors
    /// [`Error::EmptyRow`], [`Error::InvalidTemperature`], [`Error::InvalidLogit`],
    /// [`Error::AllMasked`]; `out` is untouched on error.
    ///
    /// ```
    /// let mut s = gumbel::Sampler::new(3);
    /// let mut out = vec![0u32; 10_000];
    /// s.sample_n(&[0.0, 1.0, f32::NEG_INFINITY, 2.0], &mut out).unwrap();
    /// let share_3 = out.iter().filter(|&&t| t == 3).count() as f64 / 10_000.0;
    /// assert!((share_3 - 0.665).abs() < 0.02); // e^2 / (1 + e + e^2)
    /// assert!(out.iter().all(|&t| t != 2));
    /// ```
    pub fn sample_n<L: Element>(&mut self, logits: &[L], out: &mut [u32]) -> Result<(), Error> {
        if logits.is_empty() {
            return Err(Error::EmptyRow);
        }
        let t = Temperature::new(self.temperature)?;
        let draws = Draws {
            fused_seed: domain_seed(self.seed, DOMAIN_FUSED),
            uniform_seed: domain_seed(self.seed, DOMAIN_UNIFORM),
            base: self.rows,
        };
        many::sample_n(self.backend, logits, t, &draws, &mut self.noise, out)?;
        self.rows += out.len() as u64;
        Ok(())
    }

    /// Batched Gumbel-softmax: for each row of the row-major `rows × cols` `logits`,
    /// write `y = softmax((x + g)/τ)` into the matching row of `y` and the hard sample
    /// `argmax(x + g)` into `hard[row]`. The noise comes from the sampler's ring (the
    /// same positions a `GumbelMax` call would use; the method setting is ignored).
    /// Rayon across rows, deterministic whatever the thread count.
    ///
    /// For the straight-through estimator use `hard` forward and
    /// [`gumbel_softmax_backward_batch`](crate::gumbel_softmax_backward_batch) on `y` backward.
    ///
    /// Zero rows (empty `logits`, `y` and `hard`, `cols > 0`) is a no-op `Ok(())`.
    ///
    /// # Errors
    /// [`Error::EmptyRow`] (`cols == 0`), [`Error::NotMultipleOfCols`],
    /// [`Error::LengthMismatch`] (`y`, `hard`), [`Error::InvalidTau`],
    /// [`Error::InvalidLogit`], [`Error::AllMasked`]; `y` and `hard` are untouched on
    /// error.
    ///
    /// ```
    /// let (rows, cols) = (2, 5);
    /// let logits: Vec<f32> = (0..rows * cols).map(|i| i as f32 * 0.1).collect();
    /// let (mut y, mut hard) = (vec![0.0f32; rows * cols], vec![0u32; rows]);
    /// gumbel::Sampler::new(1).gumbel_softmax_batch(&logits, cols, 0.5, &mut y, &mut hard).unwrap();
    /// for r in 0..rows {
    ///     let row = &y[r * cols..(r + 1) * cols];
    ///     assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    ///     assert!(row.iter().all(|&v| v <= row[hard[r] as usize]));
    /// }
    /// ```
    pub fn gumbel_softmax_batch(
        &mut self,
        logits: &[f32],
        cols: usize,
        tau: f32,
        y: &mut [f32],
        hard: &mut [u32],
    ) -> Result<(), Error> {
        self.relaxed(logits, cols, tau, None, y, hard)
    }

    /// [`gumbel_softmax_batch`](Self::gumbel_softmax_batch) with each row's noise fixed by
    /// `(seed, keys[row])` — the same noise a keyed Gumbel-max draw uses, so at
    /// temperature 1 `hard` is [`sample_batch_keyed`](Self::sample_batch_keyed)'s token
    /// for the same key, except where two scores lie within a rounding error of each
    /// other (Gumbel-softmax scores `x + g`, Gumbel-max the max-first `(x − m) + g`).
    ///
    /// # Errors
    /// As `gumbel_softmax_batch`, plus [`Error::LengthMismatch`] for `keys`.
    ///
    /// ```
    /// let cols = 50;
    /// let logits: Vec<f32> = (0..2 * cols).map(|i| (i % 9) as f32 * 0.3).collect();
    /// let mut s = gumbel::Sampler::new(4);
    /// let (mut y, mut hard) = (vec![0.0f32; 2 * cols], [0u32; 2]);
    /// s.gumbel_softmax_batch_keyed(&logits, cols, 1.0, &[5, 6], &mut y, &mut hard).unwrap();
    /// let mut tokens = [0u32; 2];
    /// s.sample_batch_keyed(&logits, cols, &[5, 6], &mut tokens).unwrap();
    /// assert_eq!(hard, tokens);
    /// ```
    pub fn gumbel_softmax_batch_keyed(
        &mut self,
        logits: &[f32],
        cols: usize,
        tau: f32,
        keys: &[u64],
        y: &mut [f32],
        hard: &mut [u32],
    ) -> Result<(), Error> {
        self.relaxed(logits, cols, tau, Some(keys), y, hard)
    }

    fn relaxed(
        &mut self,
        x: &[f32],
        cols: usize,
        tau: f32,
        keys: Option<&[u64]>,
        y: &mut [f32],
        hard: &mut [u32],
    ) -> Result<(), Error> {
        let rows = batch_rows(x.len(), cols, &[("hard", hard.len())])?;
        check_len("y", x.len(), y.len())?;
        if let Some(keys) = keys {
            check_len("keys", rows, keys.len())?;
        }
        let s = relaxed::check_tau(tau)?;
        if rows == 0 {
            return Ok(()); // zero rows: nothing to draw, no randomness spent
        }
        let b = self.backend;
        let parallel = par_rows(rows, cols, self.parallel_threshold);
        let mut maxes = vec![(0u32, 0.0f32); rows];
        let mut body = |g: &[f32]| -> Result<(), Error> {
            // pass 1 over every row: validate, argmax and max; nothing written yet
            rows_each(&mut maxes, parallel, |r| {
                let span = r * cols..(r + 1) * cols;
                relaxed::relaxed_max(b, &x[span.clone()], &g[span], r).map(|(i, m)| (i as u32, m))
            })?;
            let write = |(r, yr): (usize, &mut [f32])| {
                let span = r * cols..(r + 1) * cols;
                b.softmax_write(&x[span.clone()], Some(&g[span]), maxes[r].1, s, yr)
            };
            match parallel {
                Some(min) => y
                    .par_chunks_mut(cols)
                    .enumerate()
                    .with_min_len(min)
                    .for_each(write),
                None => y.chunks_mut(cols).enumerate().for_each(write),
            }
            for (h, m) in hard.iter_mut().zip(&maxes) {
                *h = m.0;
            }
            Ok(())
        };
        match keys {
            None => {
                self.rows += rows as u64;
                with_ring_noise(&mut self.ring, &mut self.noise, x.len(), body)
            }
            Some(keys) => {
                let kseed = domain_seed(self.seed, DOMAIN_KEYED);
                let mut noise = std::mem::take(&mut self.noise);
                noise.resize(x.len(), 0.0);
                let fill =
                    |(r, g): (usize, &mut [f32])| b.fill_gumbel(&mut lane_state(kseed, keys[r]), g);
                match parallel {
                    Some(min) => noise
                        .par_chunks_mut(cols)
                        .enumerate()
                        .with_min_len(min)
                        .for_each(fill),
                    None => noise.chunks_mut(cols).enumerate().for_each(fill),
                }
                let res = body(&noise);
                self.noise = noise;
                res
            }
        }
    }

    /// The one batch loop behind every sampling call: validate the call, draw every
    /// row (rayon across rows), then write — all of `out` or nothing (`partial` false),
    /// or every good row with the bad rows' errors returned (`partial` true).
    #[allow(clippy::too_many_arguments)]
    fn run<I: Input, L: Element>(
        &mut self,
        x: &[L],
        cols: usize,
        out: &mut [u32],
        keys: Option<&[u64]>,
        params: Params<'_>,
        mut lp: Option<Logprobs<'_>>,
        partial: bool,
    ) -> Result<Vec<Error>, Error> {
        let rows = batch_rows(x.len(), cols, &[("out", out.len())])?;
        if let Some(keys) = keys {
            check_len("keys", rows, keys.len())?;
        }
        let top_n = match &lp {
            Some(l) => {
                check_len("logprobs", rows, l.tokens.len())?;
                if l.top_n > MAX_TOP_LOGPROBS {
                    return Err(Error::InvalidSamplingParam {
                        row: 0,
                        name: "top_n",
                        value: l.top_n as f64,
                    });
                }
                check_len("top logprobs", rows * l.top_n, l.top.len())?;
                Some(l.top_n)
            }
            None => None,
        };
        // every row's parameters, validated before any randomness is used
        let sampler_t = match params {
            Params::Sampler(t) => Some(Temperature::new(t)?),
            Params::Rows(p) => {
                if p.len() != 1 && p.len() != rows {
                    return Err(Error::LengthMismatch {
                        what: "params (1 or one per row)",
                        expected: rows,
                        found: p.len(),
                    });
                }
                if !partial {
                    for (r, q) in p.iter().enumerate() {
                        Filter::new(q, r)?;
                    }
                }
                None
            }
        };
        let filter_of = |r: usize| -> Result<Filter, Error> {
            match (params, sampler_t) {
                (_, Some(t)) => Ok(Filter::plain(t)),
                (Params::Rows(p), None) => Filter::new(&p[if p.len() == 1 { 0 } else { r }], r),
                (Params::Sampler(_), None) => unreachable!("validated above"),
            }
        };
        // A ring-fed call claims ring noise unless every row is (validly) greedy. A row
        // whose parameters are bad (only possible in a partial call) counts as drawing:
        // it takes its ring positions like any other row (`sample_batch_partial`'s
        // contract), so the call consumes what the call with that row fixed (at a
        // positive temperature) consumes, and the sampler's next call draws the same.
        let any_positive =
            (0..rows).any(|r| !filter_of(r).is_ok_and(|f| matches!(f.t, Temperature::Greedy)));

        if rows == 0 {
            return Ok(Vec::new()); // zero rows: nothing to draw, no randomness spent
        }
        let b = self.backend;
        let parallel = par_rows(rows, cols, self.parallel_threshold);
        let base = self.rows;
        let seed = self.seed;
        let prune = self.pruning;
        let method = self.method;
        let evaluated = AtomicU64::new(0);
        let mut results = std::mem::take(&mut self.results);
        results.clear();
        results.resize(rows, Err(Error::EmptyRow));

        let source = match (keys, method) {
            (Some(_), Method::SoftmaxRoulette) => {
                Source::Uniform(domain_seed(seed, DOMAIN_KEYED_UNIFORM))
            }
            (Some(_), _) => Source::Fused(domain_seed(seed, DOMAIN_KEYED)),
            (None, Method::SoftmaxRoulette) => Source::Uniform(domain_seed(seed, DOMAIN_UNIFORM)),
            (None, Method::GumbelMaxFused) => Source::Fused(domain_seed(seed, DOMAIN_FUSED)),
            (None, Method::GumbelMax) if any_positive => Source::Ring,
            (None, Method::GumbelMax) => Source::Fused(domain_seed(seed, DOMAIN_FUSED)),
        };
        // one row: its filter's floor, its draw, its log-probabilities
        let draw = |r: usize, ring: Option<(&[f32], &[f32], usize)>| -> Result<RowOut, Error> {
            let xr = &x[r * cols..(r + 1) * cols];
            let f = filter_of(r)?;
            let cut = match f.t {
                Temperature::Positive(t) if f.active() => {
                    debug_assert!(matches!(I::KIND, InputKind::Logits));
                    Some(filter::cut(b, xr, &f, t, r)?)
                }
                _ => None,
            };
            let floor = cut.map_or(NO_FLOOR, |c| c.floor);
            let stream = keys.map_or(base + r as u64, |k| k[r]);
            let (token, ev) = match (source, ring) {
                (Source::Uniform(useed), _) => (
                    roulette::row::<I, L>(b, xr, uniform_at(useed, stream), f.t, floor, r)?,
                    0,
                ),
                (Source::Fused(fseed), _) => {
                    gumbel_max::row_fused::<I, L>(b, xr, fseed, stream, f.t, floor, r, prune)?
                }
                (Source::Ring, Some((g, gm, stride))) => {
                    let blocks = cols.div_ceil(MAX_BLOCK);
                    let (gr, mr) = (
                        &g[r * stride..][..cols],
                        &gm[r * stride / MAX_BLOCK..][..blocks],
                    );
                    gumbel_max::row_ring::<I, L>(b, xr, gr, mr, f.t, floor, r, prune)?
                }
                (Source::Ring, None) => unreachable!("ring rows get ring noise"),
            };
            evaluated.fetch_add(ev as u64, Ordering::Relaxed);
            let mut row = RowOut {
                token: token as u32,
                lp: TokenLogprob::default(),
                top: [TopLogprob::default(); MAX_TOP_LOGPROBS],
            };
            if let Some(n) = top_n {
                let m = match cut {
                    Some(c) => c.m,
                    None => row_max::<Logits, L>(b, xr, r)?,
                };
                let mass = cut.and_then(|c| c.mass);
                row.lp = filter::logprobs(b, xr, token, m, f.t, floor, mass, &mut row.top[..n]);
            }
            Ok(row)
        };
        let each = |results: &mut [Result<RowOut, Error>],
                    ring: Option<(&[f32], &[f32], usize)>| {
            let step = |(r, o): (usize, &mut Result<RowOut, Error>)| *o = draw(r, ring);
            match parallel {
                Some(min) => results
                    .par_iter_mut()
                    .enumerate()
                    .with_min_len(min)
                    .for_each(step),
                None => results.iter_mut().enumerate().for_each(step),
            }
        };
        match source {
            Source::Ring => {
                // row r reads ring positions start + r·stride .. + cols, `start` and
                // `stride` multiples of 64, so every row's 64-blocks are the ring's
                let stride = cols.next_multiple_of(MAX_BLOCK);
                let spare = (&mut self.noise, &mut self.noise_max);
                let claimed = with_ring_blocks(&mut self.ring, spare, b, rows * stride, |g, gm| {
                    each(&mut results, Some((g, gm, stride)));
                    Ok(())
                });
                if let Err(e) = claimed {
                    // the ring's buffer could not be had: nothing drawn, nothing written
                    self.results = results;
                    return Err(e);
                }
            }
            _ => each(&mut results, None),
        }
        if keys.is_none() {
            self.rows += rows as u64;
        }
        self.evaluated += evaluated.into_inner();

        let mut errors = Vec::new();
        if !partial && let Some(e) = results.iter().find_map(|r| r.as_ref().err()) {
            let e = e.clone();
            self.results = results;
            return Err(e);
        }
        for (r, res) in results.iter().enumerate() {
            match res {
                Ok(row) => {
                    out[r] = row.token;
                    if let (Some(l), Some(n)) = (lp.as_mut(), top_n) {
                        l.tokens[r] = row.lp;
                        l.top[r * n..(r + 1) * n].copy_from_slice(&row.top[..n]);
                    }
                }
                Err(e) => errors.push(e.clone()),
            }
        }
        self.results = results;
        Ok(errors)
    }
}

/// Where a call's per-row parameters come from.
#[derive(Clone, Copy)]
enum Params<'a> {
    /// The sampler's temperature, no filter (the calls without `params`).
    Sampler(f32),
    /// One entry for every row, or one per row.
    Rows(&'a [SamplingParams]),
}

/// Where a call's randomness comes from.
#[derive(Clone, Copy)]
enum Source {
    /// A uniform per row from this seed (roulette).
    Uniform(u64),
    /// Noise generated in registers from this seed (fused Gumbel-max).
    Fused(u64),
    /// The sampler's ring.
    Ring,
}

/// One drawn row before it is written.
#[derive(Clone, Copy, Debug)]
struct RowOut {
    token: u32,
    lp: TokenLogprob,
    top: [TopLogprob; MAX_TOP_LOGPROBS],
}

/// Hand `n` ring values (`n` a multiple of 64, starting at a multiple of 64) and the
/// maxima of their 64-blocks to `f`: claimed in place when they fit the ring (under the
/// background refiller's lock if there is one), copied into `spare` otherwise.
///
/// # Errors
/// [`Error::RingAllocation`] if the ring's buffer cannot be allocated (`f` not run),
/// or `f`'s error.
fn with_ring_blocks<R>(
    ring: &mut Ring,
    spare: (&mut Vec<f32>, &mut Vec<f32>),
    b: Backend,
    n: usize,
    f: impl FnOnce(&[f32], &[f32]) -> Result<R, Error>,
) -> Result<R, Error> {
    ring.fit(n)?;
    match &mut ring.kind {
        RingKind::Local(r) if n <= r.capacity() => {
            let (g, gm) = r.claim_blocks(n)?;
            f(g, gm)
        }
        RingKind::Background(bg) if n <= bg.capacity() => bg.claim_blocks_with(n, f)?,
        _ => {
            let (g, gm) = spare;
            g.resize(n, 0.0);
            gm.resize(n / MAX_BLOCK, 0.0);
            ring.with(|r| {
                r.skip_to(r.position().next_multiple_of(MAX_BLOCK as u64));
                r.claim_into(g)
            });
            b.block_maxima(g, gm);
            f(g, gm)
        }
    }
}

/// Hand `n` ring values to `f`: claimed in place when they fit the ring (under the
/// background refiller's lock if there is one), copied into `spare` otherwise.
///
/// # Errors
/// As [`with_ring_blocks`].
fn with_ring_noise<R>(
    ring: &mut Ring,
    spare: &mut Vec<f32>,
    n: usize,
    f: impl FnOnce(&[f32]) -> Result<R, Error>,
) -> Result<R, Error> {
    ring.fit(n)?;
    match &mut ring.kind {
        RingKind::Local(r) if n <= r.capacity() => f(r.claim(n)?),
        RingKind::Background(b) if n <= b.capacity() => b.claim_with(n, f)?,
        _ => {
            spare.resize(n, 0.0);
            ring.with(|r| r.claim_into(spare));
            f(spare)
        }
    }
}
