//! Many draws from one row: the cumulative table of `softmax(x/T)` and a binary search
//! per draw ([`Sampler::sample_n`](crate::Sampler::sample_n) from
//! [`SAMPLE_N_TABLE_MIN`] draws on).

use rayon::prelude::*;

use crate::error::Error;
use crate::noise::seed::uniform_at;
use crate::simd::Backend;
use crate::simd::element::Element;
use crate::simd::source::Logits;

use super::{NO_FLOOR, Temperature, greedy, gumbel_max, inverse_temperature, row_max};

/// From this many draws on, [`Sampler::sample_n`](crate::Sampler::sample_n) builds a
/// cumulative table and binary searches it instead of running one Gumbel-max pass per
/// draw (measured crossover: see `docs/performance.md`).
pub const SAMPLE_N_TABLE_MIN: usize = 2;

/// Where the draws of one `sample_n` call take their randomness: fused noise stream
/// `base + i` of `fused_seed` below the table threshold, uniform `base + i` of
/// `uniform_seed` from it on.
pub(crate) struct Draws {
    pub fused_seed: u64,
    pub uniform_seed: u64,
    pub base: u64,
}

/// `out.len()` draws from the row `x` (validated here; `out` untouched on error).
/// `weights` is scratch space, reused across calls.
pub(crate) fn sample_n<L: Element>(
    b: Backend,
    x: &[L],
    t: Temperature,
    draws: &Draws,
    weights: &mut Vec<f32>,
    out: &mut [u32],
) -> Result<(), Error> {
    let m = row_max::<Logits, L>(b, x, 0)?;
    let t = match t {
        Temperature::Greedy => {
            let i = greedy::<Logits, L>(b, x, 0)?;
            out.fill(i as u32);
            return Ok(());
        }
        Temperature::Positive(t) => t,
    };
    let n = out.len();
    if n < SAMPLE_N_TABLE_MIN {
        for (i, o) in out.iter_mut().enumerate() {
            let stream = draws.base + i as u64;
            let tp = Temperature::Positive(t);
            let (i, _) = gumbel_max::row_fused::<Logits, L>(
                b,
                x,
                draws.fused_seed,
                stream,
                tp,
                NO_FLOOR,
                0,
                true,
            )?;
            *o = i as u32;
        }
        return Ok(());
    }
    // cumulative table of exp((x - m)/T), prefix sums in f64
    weights.resize(x.len(), 0.0);
    b.exp_weights::<L>(x, m, inverse_temperature(t), weights);
    let mut acc = 0.0f64;
    let cdf: Vec<f64> = weights
        .iter()
        .map(|&v| {
            acc += v as f64;
            acc
        })
        .collect();
    let total = acc;
    let draw = |(i, o): (usize, &mut u32)| {
        let target = uniform_at(draws.uniform_seed, draws.base + i as u64) * total;
        // first entry whose running sum reaches the target: never a zero-weight entry
        *o = cdf.partition_point(|&c| c < target).min(x.len() - 1) as u32;
    };
    if n >= 4096 {
        out.par_iter_mut()
            .enumerate()
            .with_min_len(1024)
            .for_each(draw);
    } else {
        out.iter_mut().enumerate().for_each(draw);
    }
    Ok(())
}
