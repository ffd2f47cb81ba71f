//! The 16-lane xoshiro128++ generator: its state ([`LaneState`]) and its vector step
//! ([`Lanes`]). Seeding — which state a `(seed, stream)` starts from — is the noise
//! layer's (`noise::lanes`); this module only steps the lanes.

use super::vector::{NOISE_LANES, Vector};

/// The state of the 16 lanes of one stream, word-major: `s[w][lane]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LaneState {
    pub(crate) s: [[u32; NOISE_LANES]; 4],
}

impl LaneState {
    /// Scalar reference: the next 16 outputs (one per lane), advancing the state.
    #[cfg(test)]
    pub(crate) fn next_scalar(&mut self) -> [u32; NOISE_LANES] {
        let mut out = [0u32; NOISE_LANES];
        for (lane, o) in out.iter_mut().enumerate() {
            let (s0, s1, s2, s3) = (
                self.s[0][lane],
                self.s[1][lane],
                self.s[2][lane],
                self.s[3][lane],
            );
            *o = s0.wrapping_add(s3).rotate_left(7).wrapping_add(s0);
            let t = s1 << 9;
            let s2 = s2 ^ s0;
            let s3 = s3 ^ s1;
            let s1 = s1 ^ s2;
            let s0 = s0 ^ s3;
            let s2 = s2 ^ t;
            let s3 = s3.rotate_left(11);
            self.s[0][lane] = s0;
            self.s[1][lane] = s1;
            self.s[2][lane] = s2;
            self.s[3][lane] = s3;
        }
        out
    }
}

/// The 16 noise lanes held in registers: `G` vectors of `V::LANES` lanes each.
pub(crate) struct Lanes<V: Vector, const G: usize> {
    s: [[V::Bits; 4]; G],
}

impl<V: Vector, const G: usize> Lanes<V, G> {
    /// # Safety
    /// `V`'s ISA is available and `G * V::LANES == 16`.
    #[inline(always)]
    pub(crate) unsafe fn load(st: &LaneState) -> Self {
        const { assert!(G * V::LANES == NOISE_LANES) };
        // SAFETY: each row of `st.s` has 16 words; group `g` reads `LANES` of them
        // starting at `g * LANES < 16`.
        // (explicit loops, not `array::from_fn`: closures from core are compiled without
        // the entry function's target features and would turn intrinsics into calls)
        unsafe {
            let mut s = [[V::bits_splat(0); 4]; G];
            for (g, sg) in s.iter_mut().enumerate() {
                for (w, sw) in sg.iter_mut().enumerate() {
                    *sw = V::bits_load(st.s[w].as_ptr().add(g * V::LANES));
                }
            }
            Lanes { s }
        }
    }
    /// # Safety
    /// `V`'s ISA is available and `G * V::LANES == 16`.
    #[inline(always)]
    pub(crate) unsafe fn store(&self, st: &mut LaneState) {
        for g in 0..G {
            for w in 0..4 {
                // SAFETY: as in `load`, in bounds writes of `LANES` words.
                unsafe { V::bits_store(self.s[g][w], st.s[w].as_mut_ptr().add(g * V::LANES)) }
            }
        }
    }
    /// One xoshiro128++ step of every lane: 16 outputs as `G` vectors.
    ///
    /// # Safety
    /// `V`'s ISA is available.
    #[inline(always)]
    pub(crate) unsafe fn next(&mut self) -> [V::Bits; G] {
        // SAFETY: caller contract (ISA available); integer arithmetic only.
        unsafe {
            let mut out = [V::bits_splat(0); G];
            for (o, sg) in out.iter_mut().zip(self.s.iter_mut()) {
                let [s0, s1, s2, s3] = *sg;
                *o = V::bits_add(V::bits_rotl::<7>(V::bits_add(s0, s3)), s0);
                let t = V::bits_shl::<9>(s1);
                let s2 = V::bits_xor(s2, s0);
                let s3 = V::bits_xor(s3, s1);
                let s1 = V::bits_xor(s1, s2);
                let s0 = V::bits_xor(s0, s3);
                let s2 = V::bits_xor(s2, t);
                let s3 = V::bits_rotl::<11>(s3);
                *sg = [s0, s1, s2, s3];
            }
            out
        }
    }
}
