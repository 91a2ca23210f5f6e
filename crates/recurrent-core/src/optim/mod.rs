//! Optimizers over the flat parameter arena, in PyTorch's exact update rules
//! (torch.optim, `foreach=False` semantics, defaults as in PyTorch), plus gradient clipping,
//! learning-rate schedules and the one `Trainer` that combines them for every model kind.

pub mod clip;
pub mod schedule;
pub mod trainer;

use crate::error::{Error, Result};

#[derive(Clone, Debug, PartialEq)]
pub enum OptimizerConfig {
    /// torch.optim.SGD(lr, momentum=0, dampening=0, weight_decay=0, nesterov=False)
    Sgd { lr: f32, momentum: f32, dampening: f32, weight_decay: f32, nesterov: bool },
    /// torch.optim.Adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0) — L2 added to g
    Adam { lr: f32, beta1: f32, beta2: f32, eps: f32, weight_decay: f32 },
    /// torch.optim.AdamW(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2) — decoupled
    AdamW { lr: f32, beta1: f32, beta2: f32, eps: f32, weight_decay: f32 },
    /// torch.optim.RMSprop(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False)
    RmsProp { lr: f32, alpha: f32, eps: f32, weight_decay: f32, momentum: f32, centered: bool },
    /// torch.optim.Adagrad(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10)
    Adagrad { lr: f32, lr_decay: f32, weight_decay: f32, initial_accumulator_value: f32, eps: f32 },
}

impl OptimizerConfig {
    /// torch.optim.SGD's defaults with learning rate `lr` (required: no default here).
    pub fn sgd(lr: f32) -> Self {
        OptimizerConfig::Sgd { lr, momentum: 0.0, dampening: 0.0, weight_decay: 0.0, nesterov: false }
    }
    /// torch.optim.Adam's defaults.
    pub fn adam() -> Self {
        OptimizerConfig::Adam { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 }
    }
    /// torch.optim.AdamW's defaults.
    pub fn adamw() -> Self {
        OptimizerConfig::AdamW { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 1e-2 }
    }
    /// torch.optim.RMSprop's defaults.
    pub fn rmsprop() -> Self {
        OptimizerConfig::RmsProp { lr: 1e-2, alpha: 0.99, eps: 1e-8, weight_decay: 0.0, momentum: 0.0, centered: false }
    }
    /// torch.optim.Adagrad's defaults.
    pub fn adagrad() -> Self {
        OptimizerConfig::Adagrad { lr: 1e-2, lr_decay: 0.0, weight_decay: 0.0, initial_accumulator_value: 0.0, eps: 1e-10 }
    }
    /// The optimizer `name` (sgd, adam, adamw, rmsprop, adagrad) with PyTorch's defaults and
    /// `lr` when given (SGD needs one).
    pub fn named(name: &str, lr: Option<f32>) -> Result<Self> {
        let mut c = match name {
            "sgd" => OptimizerConfig::sgd(lr.ok_or_else(|| Error::option("optimizer 'sgd' needs a learning rate (lr)"))?),
            "adam" => OptimizerConfig::adam(),
            "adamw" => OptimizerConfig::adamw(),
            "rmsprop" => OptimizerConfig::rmsprop(),
            "adagrad" => OptimizerConfig::adagrad(),
            _ => return Err(Error::option(format!("optimizer '{name}' is not one of sgd, adam, adamw, rmsprop, adagrad"))),
        };
        if let Some(lr) = lr {
            *c.lr_mut() = lr;
        }
        Ok(c)
    }

    /// Checks every hyperparameter's range (messages use these field names).
    pub fn validate(&self) -> Result<()> {
        let nonneg = |k: &str, v: f32| {
            if v >= 0.0 && v.is_finite() { Ok(()) } else { Err(Error::range(format!("optimizer.{k} = {v} must be a finite number ≥ 0"))) }
        };
        let unit = |k: &str, v: f32| {
            if (0.0..1.0).contains(&v) { Ok(()) } else { Err(Error::range(format!("optimizer.{k} = {v} must be in [0, 1)"))) }
        };
        nonneg("lr", self.lr())?;
        match *self {
            OptimizerConfig::Sgd { momentum, dampening, weight_decay, nesterov, .. } => {
                nonneg("momentum", momentum)?;
                unit("dampening", dampening)?;
                nonneg("weight_decay", weight_decay)?;
                if nesterov && (momentum <= 0.0 || dampening != 0.0) {
                    return Err(Error::option("optimizer.nesterov needs momentum > 0 and dampening = 0"));
                }
            }
            OptimizerConfig::Adam { beta1, beta2, eps, weight_decay, .. }
            | OptimizerConfig::AdamW { beta1, beta2, eps, weight_decay, .. } => {
                unit("beta1", beta1)?;
                unit("beta2", beta2)?;
                nonneg("eps", eps)?;
                nonneg("weight_decay", weight_decay)?;
            }
            OptimizerConfig::RmsProp { alpha, eps, weight_decay, momentum, .. } => {
                unit("alpha", alpha)?;
                nonneg("eps", eps)?;
                nonneg("weight_decay", weight_decay)?;
                nonneg("momentum", momentum)?;
            }
            OptimizerConfig::Adagrad { lr_decay, weight_decay, initial_accumulator_value, eps, .. } => {
                nonneg("lr_decay", lr_decay)?;
                nonneg("weight_decay", weight_decay)?;
                nonneg("initial_accumulator_value", initial_accumulator_value)?;
                nonneg("eps", eps)?;
            }
        }
        Ok(())
    }

    pub fn lr_mut(&mut self) -> &mut f32 {
        match self {
            OptimizerConfig::Sgd { lr, .. }
            | OptimizerConfig::Adam { lr, .. }
            | OptimizerConfig::AdamW { lr, .. }
            | OptimizerConfig::RmsProp { lr, .. }
            | OptimizerConfig::Adagrad { lr, .. } => lr,
        }
    }

    pub fn lr(&self) -> f32 {
        match *self {
            OptimizerConfig::Sgd { lr, .. }
            | OptimizerConfig::Adam { lr, .. }
            | OptimizerConfig::AdamW { lr, .. }
            | OptimizerConfig::RmsProp { lr, .. }
            | OptimizerConfig::Adagrad { lr, .. } => lr,
        }
    }
    pub fn name(&self) -> &'static str {
        match self {
            OptimizerConfig::Sgd { .. } => "sgd",
            OptimizerConfig::Adam { .. } => "adam",
            OptimizerConfig::AdamW { .. } => "adamw",
            OptimizerConfig::RmsProp { .. } => "rmsprop",
            OptimizerConfig::Adagrad { .. } => "adagrad",
        }
    }
}

/// Optimizer with its state (three slots of the arena's size).
#[derive(Clone, Debug)]
pub struct Optimizer {
    pub config: OptimizerConfig,
    /// Number of steps taken.
    pub step: u64,
    /// State slots: SGD momentum buffer; Adam m, v; RMSprop square avg, momentum buffer
    /// (and grad avg when centered, in `s3`); Adagrad sum.
    pub s1: Vec<f32>,
    pub s2: Vec<f32>,
    pub s3: Vec<f32>,
}

/// An optimizer's state for checkpoints: its step count and its three slots.
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizerState {
    pub step: u64,
    pub slots: [Vec<f32>; 3],
}

impl Optimizer {
    /// An optimizer over `n` parameters (E_RANGE when its state does not fit in memory).
    pub fn new(config: OptimizerConfig, n: usize) -> Result<Self> {
        let init = match config {
            OptimizerConfig::Adagrad { initial_accumulator_value, .. } => initial_accumulator_value,
            _ => 0.0,
        };
        let mut s1 = crate::limits::zeros("optimizer state", n)?;
        s1.fill(init);
        let (s2, s3) = (crate::limits::zeros("optimizer state", n)?, crate::limits::zeros("optimizer state", n)?);
        Ok(Optimizer { config, step: 0, s1, s2, s3 })
    }

    pub fn state(&self) -> OptimizerState {
        OptimizerState { step: self.step, slots: [self.s1.clone(), self.s2.clone(), self.s3.clone()] }
    }

    /// Restores a state taken from an optimizer over the same arena size (E_SHAPE otherwise,
    /// E_NONFINITE for NaN or infinity); nothing changes on error.
    pub fn set_state(&mut self, st: &OptimizerState) -> Result<()> {
        let n = self.s1.len();
        for (k, s) in st.slots.iter().enumerate() {
            crate::error::check_len(&format!("optimizer state slot {k}"), s, n, "[params]")?;
            crate::error::check_finite(&format!("optimizer state slot {k}"), s)?;
        }
        self.step = st.step;
        self.s1.copy_from_slice(&st.slots[0]);
        self.s2.copy_from_slice(&st.slots[1]);
        self.s3.copy_from_slice(&st.slots[2]);
        Ok(())
    }

    /// Which of s1, s2, s3 this optimizer's update reads and writes.
    pub fn slots_used(&self) -> [bool; 3] {
        match self.config {
            OptimizerConfig::Sgd { momentum, .. } => [momentum != 0.0, false, false],
            OptimizerConfig::Adam { .. } | OptimizerConfig::AdamW { .. } => [true, true, false],
            OptimizerConfig::RmsProp { momentum, centered, .. } => [true, momentum > 0.0, centered],
            OptimizerConfig::Adagrad { .. } => [true, false, false],
        }
    }

    /// Whether every state value in use within `ranges` is finite.
    pub fn state_is_finite_in(&self, ranges: &[(usize, usize)]) -> bool {
        let used = self.slots_used();
        [&self.s1, &self.s2, &self.s3].iter().zip(used).all(|(s, u)| !u || ranges.iter().all(|&(lo, hi)| all_finite(&s[lo..hi])))
    }

    /// One update of `params` from `grads` with learning rate `lr` (the schedule's value).
    pub fn update(&mut self, params: &mut [f32], grads: &[f32], lr: f32) {
        let n = params.len();
        self.update_ranges(params, grads, lr, &[(0, n)]);
    }

    /// One update in which only the parameters of `ranges` (disjoint [lo, hi) pairs) change; the
    /// others keep their values and optimizer state (lazy rows: `TrainerConfig::lazy_rows`). The
    /// step count advances once either way (Adam's bias correction is the step's).
    pub fn update_ranges(&mut self, params: &mut [f32], grads: &[f32], lr: f32, ranges: &[(usize, usize)]) {
        self.step += 1;
        for &(lo, hi) in ranges {
            self.update_slice(&mut params[lo..hi], &grads[lo..hi], lr, lo);
        }
    }

    /// The update rule over params[lo..lo + len] (`params` and `grads` are those slices).
    fn update_slice(&mut self, params: &mut [f32], grads: &[f32], lr: f32, lo: usize) {
        let step = self.step;
        let hi = lo + params.len();
        let (s1, s2, s3) = (&mut self.s1[lo..hi], &mut self.s2[lo..hi], &mut self.s3[lo..hi]);
        match self.config {
            OptimizerConfig::Sgd { momentum, dampening, weight_decay, nesterov, .. } => {
                for i in 0..params.len() {
                    let mut d = grads[i] + weight_decay * params[i];
                    if momentum != 0.0 {
                        let buf = if step == 1 { d } else { momentum * s1[i] + (1.0 - dampening) * d };
                        s1[i] = buf;
                        d = if nesterov { d + momentum * buf } else { buf };
                    }
                    params[i] -= lr * d;
                }
            }
            OptimizerConfig::Adam { beta1, beta2, eps, weight_decay, .. }
            | OptimizerConfig::AdamW { beta1, beta2, eps, weight_decay, .. } => {
                let decoupled = matches!(self.config, OptimizerConfig::AdamW { .. });
                let bc1 = 1.0 - (beta1 as f64).powi(step as i32);
                let bc2 = 1.0 - (beta2 as f64).powi(step as i32);
                let step_size = (lr as f64 / bc1) as f32;
                let bc2_sqrt = bc2.sqrt() as f32;
                for i in 0..params.len() {
                    let mut g = grads[i];
                    if decoupled {
                        params[i] *= 1.0 - lr * weight_decay;
                    } else {
                        g += weight_decay * params[i];
                    }
                    let m = beta1 * s1[i] + (1.0 - beta1) * g;
                    let v = beta2 * s2[i] + (1.0 - beta2) * g * g;
                    s1[i] = m;
                    s2[i] = v;
                    let denom = v.sqrt() / bc2_sqrt + eps;
                    params[i] -= step_size * m / denom;
                }
            }
            OptimizerConfig::RmsProp { alpha, eps, weight_decay, momentum, centered, .. } => {
                for i in 0..params.len() {
                    let g = grads[i] + weight_decay * params[i];
                    let sq = alpha * s1[i] + (1.0 - alpha) * g * g;
                    s1[i] = sq;
                    let avg = if centered {
                        let ga = alpha * s3[i] + (1.0 - alpha) * g;
                        s3[i] = ga;
                        (sq - ga * ga).sqrt() + eps
                    } else {
                        sq.sqrt() + eps
                    };
                    if momentum > 0.0 {
                        let buf = momentum * s2[i] + g / avg;
                        s2[i] = buf;
                        params[i] -= lr * buf;
                    } else {
                        params[i] -= lr * g / avg;
                    }
                }
            }
            OptimizerConfig::Adagrad { lr_decay, weight_decay, eps, .. } => {
                let clr = lr / (1.0 + (step - 1) as f32 * lr_decay);
                for i in 0..params.len() {
                    let g = grads[i] + weight_decay * params[i];
                    let s = s1[i] + g * g;
                    s1[i] = s;
                    params[i] -= clr * g / (s.sqrt() + eps);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;

/// Whether every value is finite: an OR over "exponent bits all ones" (NaN or ±infinity),
/// branch-free so that it vectorises (the trainer checks every update with it).
pub fn all_finite(xs: &[f32]) -> bool {
    const EXP: u32 = 0x7f80_0000;
    xs.iter().fold(0u32, |acc, x| acc | u32::from(x.to_bits() & EXP == EXP)) == 0
}
