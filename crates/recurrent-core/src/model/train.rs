//! One optimisation step, and truncated BPTT over long sequences.

use super::{Batch, LossKind, Model, Targets};
use crate::error::{Error, Result};
use crate::optim::clip::{clip_by_norm, clip_by_value, global_norm};
use crate::optim::schedule::Schedule;
use crate::optim::{Optimizer, OptimizerConfig};

#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    pub loss: LossKind,
    pub optimizer: OptimizerConfig,
    /// Clip by global L2 norm (torch.nn.utils.clip_grad_norm_).
    pub clip_norm: Option<f32>,
    /// Clip every gradient to [−v, v] (torch.nn.utils.clip_grad_value_).
    pub clip_value: Option<f32>,
    pub schedule: Schedule,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StepStats {
    pub loss: f32,
    /// Global gradient norm before clipping.
    pub grad_norm: f32,
    /// Rows that counted in the loss.
    pub count: usize,
    pub lr: f32,
}

pub struct Trainer {
    pub config: TrainConfig,
    pub opt: Optimizer,
    /// Scheduler steps taken (advanced by `schedule_step`, typically once per epoch).
    pub schedule_steps: u32,
}

impl Trainer {
    pub fn new(config: TrainConfig, model: &Model) -> Result<Self> {
        if let Some(c) = config.clip_norm {
            if !(c > 0.0 && c.is_finite()) {
                return Err(Error::range(format!("clipNorm = {c} must be a positive number")));
            }
        }
        if let Some(c) = config.clip_value {
            if !(c > 0.0 && c.is_finite()) {
                return Err(Error::range(format!("clipValue = {c} must be a positive number")));
            }
        }
        let lr = config.optimizer.lr();
        if !(lr >= 0.0 && lr.is_finite()) {
            return Err(Error::range(format!("lr = {lr} must be a non-negative number")));
        }
        let opt = Optimizer::new(config.optimizer.clone(), model.params.len());
        Ok(Trainer { config, opt, schedule_steps: 0 })
    }

    pub fn lr(&self) -> f32 {
        self.config.schedule.lr(self.config.optimizer.lr(), self.schedule_steps)
    }

    pub fn schedule_step(&mut self) {
        self.schedule_steps += 1;
    }

    /// Forward, loss, backward, clipping and one optimizer update.
    pub fn step(&mut self, model: &mut Model, batch: &Batch, targets: Targets) -> Result<StepStats> {
        model.zero_grads();
        model.forward(batch, true)?;
        let (loss, count) = model.loss(targets, self.config.loss, true)?;
        if !loss.is_finite() {
            return Err(Error::non_finite(format!(
                "the loss became {loss}; lower the learning rate or clip gradients (the weights were not updated)"
            )));
        }
        let grad_norm = match self.config.clip_norm {
            Some(c) => clip_by_norm(&mut model.grads, c),
            None => global_norm(&model.grads),
        };
        if let Some(v) = self.config.clip_value {
            clip_by_value(&mut model.grads, v);
        }
        let lr = self.lr();
        self.opt.update(&mut model.params, &model.grads, lr);
        Ok(StepStats { loss, grad_norm, count, lr })
    }

    /// Truncated BPTT over token sequences ids [B, T] with targets [B, T]: windows of
    /// `window` steps, state carried across windows and detached, one update per window.
    /// The state starts from zeros. Returns each window's stats.
    pub fn step_tbptt(
        &mut self,
        model: &mut Model,
        b: usize,
        t: usize,
        ids: &[u32],
        targets: &[i32],
        window: usize,
    ) -> Result<Vec<StepStats>> {
        if window == 0 {
            return Err(Error::range("tbptt window must be at least 1"));
        }
        if ids.len() != b * t || targets.len() != b * t {
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
            let batch = Batch { b, t: k, ids: Some(&wi), features: None, lengths: None };
            match self.step(model, &batch, Targets::Classes(&wt)) {
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
}
