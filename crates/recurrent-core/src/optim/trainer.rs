//! The one `Trainer`: optimizer, clipping (global norm, value), learning-rate schedule and
//! their state, over any model kind that implements `Trainable`.

use super::all_finite;
use super::clip::{clip_by_norm, clip_by_value, global_norm};
use super::schedule::Schedule;
use super::{Optimizer, OptimizerConfig, OptimizerState};
use crate::error::{Error, Result};
use crate::params::ParamArena;

/// A model that can be trained: one forward, loss and backward over a batch.
pub trait Trainable {
    /// What one step consumes (inputs, targets and whatever else the loss needs).
    type Batch<'a>;
    /// Runs forward in training mode, the loss, and backward, accumulating into the arena's
    /// gradients (the caller zeroes them first). Returns (mean loss, rows counted in it).
    /// A non-finite loss may be returned without a backward; the trainer then stops.
    fn forward_backward(&mut self, batch: &Self::Batch<'_>) -> Result<(f64, usize)>;
    fn arena(&self) -> &ParamArena;
    fn arena_mut(&mut self) -> &mut ParamArena;
}

#[derive(Clone, Debug, PartialEq)]
pub struct TrainerConfig {
    pub optimizer: OptimizerConfig,
    /// Clip by global L2 norm (torch.nn.utils.clip_grad_norm_).
    pub clip_norm: Option<f32>,
    /// Clip every gradient to [−v, v] (torch.nn.utils.clip_grad_value_).
    pub clip_value: Option<f32>,
    pub schedule: Schedule,
}

impl TrainerConfig {
    /// `optimizer` with no clipping and a constant learning rate.
    pub fn new(optimizer: OptimizerConfig) -> Self {
        TrainerConfig { optimizer, clip_norm: None, clip_value: None, schedule: Schedule::Constant }
    }

    pub fn validate(&self) -> Result<()> {
        for (k, c) in [("clip_norm", self.clip_norm), ("clip_value", self.clip_value)] {
            if let Some(c) = c
                && !(c > 0.0 && c.is_finite())
            {
                return Err(Error::range(format!("{k} = {c} must be a positive number")));
            }
        }
        self.optimizer.validate()?;
        self.schedule.validate()
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StepStats {
    pub loss: f32,
    /// Global gradient norm before clipping.
    pub grad_norm: f32,
    /// Rows (or target tokens) that counted in the loss.
    pub count: usize,
    pub lr: f32,
}

/// Everything a checkpoint needs to resume the trainer bit-exactly.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainerState {
    pub optimizer: OptimizerState,
    /// Scheduler steps taken.
    pub schedule_steps: u32,
}

pub struct Trainer {
    pub config: TrainerConfig,
    opt: Optimizer,
    /// Scheduler steps taken (advanced by `schedule_step`, typically once per epoch).
    schedule_steps: u32,
    /// The parameters and optimizer state before the update in progress (restored when the
    /// update produces NaN or infinity).
    backup: Vec<f32>,
}

impl Trainer {
    /// A trainer for a model whose arena holds `n_params` scalars.
    pub fn new(config: TrainerConfig, n_params: usize) -> Result<Self> {
        config.validate()?;
        let opt = Optimizer::new(config.optimizer.clone(), n_params)?;
        // the rollback copy: the parameters and every optimizer slot in use
        let used = opt.slots_used().iter().filter(|&&u| u).count();
        let mut backup = Vec::new();
        backup
            .try_reserve_exact(n_params.saturating_mul(1 + used))
            .map_err(|_| Error::range(format!("not enough memory to train {n_params} parameters")))?;
        Ok(Trainer { config, opt, schedule_steps: 0, backup })
    }

    /// The learning rate of the next update (the schedule applied to the base rate).
    pub fn lr(&self) -> f32 {
        self.config.schedule.lr(self.opt.config.lr(), self.schedule_steps)
    }

    /// Sets the base learning rate (a finite number ≥ 0).
    pub fn set_learning_rate(&mut self, lr: f32) -> Result<()> {
        if !(lr >= 0.0 && lr.is_finite()) {
            return Err(Error::range(format!("lr = {lr} must be a finite number ≥ 0")));
        }
        *self.opt.config.lr_mut() = lr;
        *self.config.optimizer.lr_mut() = lr;
        Ok(())
    }

    pub fn schedule_step(&mut self) {
        self.schedule_steps = self.schedule_steps.saturating_add(1);
    }

    /// Optimizer steps taken.
    pub fn step_count(&self) -> u64 {
        self.opt.step
    }

    pub fn state(&self) -> TrainerState {
        TrainerState { optimizer: self.opt.state(), schedule_steps: self.schedule_steps }
    }

    /// Restores a state from `state()` of a trainer over the same arena size; nothing
    /// changes on error.
    pub fn set_state(&mut self, st: &TrainerState) -> Result<()> {
        self.opt.set_state(&st.optimizer)?;
        self.schedule_steps = st.schedule_steps;
        Ok(())
    }

    /// Zeroes the gradients, runs forward, loss and backward, clips, and applies one update
    /// (`grad` then `apply`). When the loss or the updated weights or optimizer state would be
    /// NaN or infinite, returns E_NONFINITE and leaves the weights and the optimizer as they were.
    pub fn step<M: Trainable>(&mut self, model: &mut M, batch: &M::Batch<'_>) -> Result<StepStats> {
        let (loss, count) = self.grad(model, batch)?;
        let (grad_norm, lr) = self.apply(model)?;
        Ok(StepStats { loss: loss as f32, grad_norm, count, lr })
    }

    /// The first half of `step`: zeroes the gradients and runs forward, loss and backward, so
    /// the arena holds the gradient of the batch's mean loss. Returns (mean loss, counted
    /// rows); E_NONFINITE for a NaN or infinite loss. Data-parallel training combines several
    /// replicas' gradients (weighted by their counts) before `apply`.
    pub fn grad<M: Trainable>(&self, model: &mut M, batch: &M::Batch<'_>) -> Result<(f64, usize)> {
        self.check_size(model)?;
        model.arena_mut().zero_grads();
        let (loss, count) = model.forward_backward(batch)?;
        if !(loss as f32).is_finite() {
            return Err(Error::non_finite(format!(
                "the loss became {loss}; lower the learning rate or clip gradients (the weights were not updated)"
            )));
        }
        Ok((loss, count))
    }

    /// The second half of `step`: clips the arena's gradients and applies one update.
    /// Returns (gradient norm before clipping, learning rate); on a NaN or infinite result
    /// the weights and the optimizer stay as they were (E_NONFINITE).
    pub fn apply<M: Trainable>(&mut self, model: &mut M) -> Result<(f32, f32)> {
        self.check_size(model)?;
        let arena = model.arena_mut();
        let grad_norm = match self.config.clip_norm {
            Some(c) => clip_by_norm(&mut arena.grads, c),
            None => global_norm(&arena.grads),
        };
        if let Some(v) = self.config.clip_value {
            clip_by_value(&mut arena.grads, v);
        }
        let lr = self.lr();
        self.save_backup(&arena.params);
        self.opt.update(&mut arena.params, &arena.grads, lr);
        if !all_finite(&arena.params) || !self.opt.state_is_finite() {
            self.restore_backup(&mut arena.params);
            return Err(Error::non_finite(format!(
                "the update at lr = {lr} made a weight or optimizer state NaN or infinite; lower the learning rate or clip gradients (the weights were not updated)"
            )));
        }
        Ok((grad_norm, lr))
    }

    fn check_size<M: Trainable>(&self, model: &M) -> Result<()> {
        if model.arena().len() != self.opt.s1.len() {
            return Err(Error::shape(format!("this trainer was made for {} parameters, not {}", self.opt.s1.len(), model.arena().len())));
        }
        Ok(())
    }

    /// backup = params ‖ the optimizer slots in use (restored by `restore_backup`).
    fn save_backup(&mut self, params: &[f32]) {
        let used = self.opt.slots_used();
        let o = &self.opt;
        self.backup.clear();
        self.backup.extend_from_slice(params);
        for (k, s) in [&o.s1, &o.s2, &o.s3].into_iter().enumerate() {
            if used[k] {
                self.backup.extend_from_slice(s);
            }
        }
    }

    fn restore_backup(&mut self, params: &mut [f32]) {
        let (n, used) = (params.len(), self.opt.slots_used());
        params.copy_from_slice(&self.backup[..n]);
        let mut off = n;
        let o = &mut self.opt;
        for (k, s) in [&mut o.s1, &mut o.s2, &mut o.s3].into_iter().enumerate() {
            if used[k] {
                s.copy_from_slice(&self.backup[off..off + n]);
                off += n;
            }
        }
        o.step -= 1;
    }
}
