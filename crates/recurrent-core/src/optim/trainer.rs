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
    /// The tables whose rows `TrainerConfig::lazy_rows` updates only when they have a gradient
    /// (embeddings): (offset in the arena, rows, values per row), by offset. None by default.
    fn row_tables(&self) -> Vec<(usize, usize, usize)> {
        Vec::new()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TrainerConfig {
    pub optimizer: OptimizerConfig,
    /// Clip by global L2 norm (torch.nn.utils.clip_grad_norm_).
    pub clip_norm: Option<f32>,
    /// Clip every gradient to [−v, v] (torch.nn.utils.clip_grad_value_).
    pub clip_value: Option<f32>,
    pub schedule: Schedule,
    /// Lazy rows (Adam and AdamW only; torch.optim.SparseAdam's rule for embeddings): a row of a
    /// `Trainable::row_tables` table whose gradient is zero in a step keeps its weights and
    /// optimizer state, where the dense rule would still move it by its momentum. A step then
    /// costs in proportion to the rows it used, not to the vocabulary.
    pub lazy_rows: bool,
}

impl TrainerConfig {
    /// `optimizer` with no clipping and a constant learning rate.
    pub fn new(optimizer: OptimizerConfig) -> Self {
        TrainerConfig { optimizer, clip_norm: None, clip_value: None, schedule: Schedule::Constant, lazy_rows: false }
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
        if self.lazy_rows && !matches!(self.optimizer, OptimizerConfig::Adam { .. } | OptimizerConfig::AdamW { .. }) {
            return Err(Error::option(format!("optimizer.lazy is for adam and adamw, not {}", self.optimizer.name())));
        }
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
    /// The parameters and optimizer state before the update in progress, over `ranges`
    /// (restored when the update produces NaN or infinity).
    backup: Vec<f32>,
    /// The [lo, hi) ranges of the arena the update in progress changes (all of it unless lazy).
    ranges: Vec<(usize, usize)>,
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
        Ok(Trainer { config, opt, schedule_steps: 0, backup, ranges: Vec::new() })
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
        let tables = if self.config.lazy_rows { model.row_tables() } else { Vec::new() };
        let arena = model.arena_mut();
        let grad_norm = match self.config.clip_norm {
            Some(c) => clip_by_norm(&mut arena.grads, c),
            None => global_norm(&arena.grads),
        };
        if let Some(v) = self.config.clip_value {
            clip_by_value(&mut arena.grads, v);
        }
        let lr = self.lr();
        changed_ranges(&arena.grads, &tables, &mut self.ranges);
        self.save_backup(&arena.params);
        self.opt.update_ranges(&mut arena.params, &arena.grads, lr, &self.ranges);
        let finite = self.ranges.iter().all(|&(lo, hi)| all_finite(&arena.params[lo..hi])) && self.opt.state_is_finite_in(&self.ranges);
        if !finite {
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

    /// backup = params ‖ the optimizer slots in use, each over `self.ranges` (restored by
    /// `restore_backup`).
    fn save_backup(&mut self, params: &[f32]) {
        let used = self.opt.slots_used();
        let o = &self.opt;
        self.backup.clear();
        for s in std::iter::once(params).chain([&o.s1, &o.s2, &o.s3].into_iter().zip(used).filter(|(_, u)| *u).map(|(s, _)| s.as_slice())) {
            for &(lo, hi) in &self.ranges {
                self.backup.extend_from_slice(&s[lo..hi]);
            }
        }
    }

    fn restore_backup(&mut self, params: &mut [f32]) {
        let used = self.opt.slots_used();
        let o = &mut self.opt;
        let mut off = 0;
        let slots = [&mut o.s1, &mut o.s2, &mut o.s3].into_iter().zip(used).filter(|(_, u)| *u).map(|(s, _)| s.as_mut_slice());
        for s in std::iter::once(params).chain(slots) {
            for &(lo, hi) in &self.ranges {
                s[lo..hi].copy_from_slice(&self.backup[off..off + hi - lo]);
                off += hi - lo;
            }
        }
        o.step -= 1;
    }
}

/// The [lo, hi) ranges of an arena of `grads.len()` values that an update changes: all of it,
/// except the rows of `tables` ((offset, rows, per row), by offset) whose gradient is zero;
/// adjacent ranges are merged.
pub fn changed_ranges(grads: &[f32], tables: &[(usize, usize, usize)], out: &mut Vec<(usize, usize)>) {
    out.clear();
    let mut push = |lo: usize, hi: usize| {
        if lo >= hi {
            return;
        }
        if let Some(last) = out.last_mut()
            && last.1 == lo
        {
            last.1 = hi;
            return;
        }
        out.push((lo, hi));
    };
    let mut at = 0;
    for &(off, rows, dim) in tables {
        push(at, off);
        for r in 0..rows {
            let lo = off + r * dim;
            // a row counts when any value is non-zero (−0.0 is zero)
            if grads[lo..lo + dim].iter().any(|g| g.to_bits() << 1 != 0) {
                push(lo, lo + dim);
            }
        }
        at = off + rows * dim;
    }
    push(at, grads.len());
}
