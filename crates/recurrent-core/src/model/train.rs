//! The sequential model as a `Trainable` (one batch = inputs, targets and the loss kind),
//! and truncated BPTT as a driver over the one `Trainer`.

use super::{Batch, Layer, LossKind, Model, Targets};
use crate::error::{Error, Result};
use crate::optim::trainer::{StepStats, Trainable, Trainer};
use crate::params::ParamArena;

/// One supervised batch for a sequential model.
#[derive(Clone, Copy, Debug)]
pub struct Supervised<'a> {
    pub inputs: Batch<'a>,
    pub targets: Targets<'a>,
    pub loss: LossKind,
}

impl Trainable for Model {
    type Batch<'a> = Supervised<'a>;
    fn forward_backward(&mut self, b: &Supervised<'_>) -> Result<(f64, usize)> {
        self.forward(&b.inputs, true)?;
        let (loss, count) = self.loss(b.targets, b.loss, true)?;
        Ok((loss as f64, count))
    }
    fn arena(&self) -> &ParamArena {
        &self.arena
    }
    fn arena_mut(&mut self) -> &mut ParamArena {
        &mut self.arena
    }
    fn row_tables(&self) -> Vec<(usize, usize, usize)> {
        self.layers.iter().filter_map(|l| if let Layer::Embedding(e) = l { Some((e.weight.off, e.vocab, e.dim)) } else { None }).collect()
    }
}

/// Token sequences ids [B, T] with one class target per step, targets [B, T] (row-major).
#[derive(Clone, Copy, Debug)]
pub struct TokenSequences<'a> {
    pub b: usize,
    pub t: usize,
    pub ids: &'a [u32],
    pub targets: &'a [i32],
}

/// Truncated BPTT over `seqs`: windows of `window` steps, state carried across windows and
/// detached, one `trainer` update per window. The state starts from zeros. Returns each
/// window's stats.
pub fn step_tbptt(
    trainer: &mut Trainer,
    model: &mut Model,
    loss: LossKind,
    seqs: TokenSequences<'_>,
    window: usize,
) -> Result<Vec<StepStats>> {
    let TokenSequences { b, t, ids, targets } = seqs;
    if window == 0 {
        return Err(Error::range("tbptt window must be at least 1"));
    }
    let n = b.checked_mul(t).ok_or_else(|| Error::range(format!("B = {b} × T = {t} is too large")))?;
    if ids.len() != n || targets.len() != n {
        return Err(Error::shape(format!("ids and targets must both be [B={b}, T={t}]")));
    }
    let prev = model.carry_state;
    model.carry_state = true;
    model.reset_state();
    let mut out = Vec::new();
    let mut wi = Vec::new();
    let mut wt = Vec::new();
    let mut start = 0;
    while start < t {
        let k = window.min(t - start);
        wi.clear();
        wt.clear();
        for bb in 0..b {
            wi.extend_from_slice(&ids[bb * t + start..bb * t + start + k]);
            wt.extend_from_slice(&targets[bb * t + start..bb * t + start + k]);
        }
        let inputs = Batch { b, t: k, ids: Some(&wi), features: None, lengths: None };
        match trainer.step(model, &Supervised { inputs, targets: Targets::Classes(&wt), loss }) {
            Ok(s) => out.push(s),
            Err(e) => {
                model.carry_state = prev;
                return Err(e);
            }
        }
        start += k;
    }
    model.carry_state = prev;
    model.reset_state();
    Ok(out)
}
