//! Optimizers over the flat parameter arena, in PyTorch's exact update rules
//! (torch.optim, `foreach=False` semantics, defaults as in PyTorch), plus gradient clipping
//! and learning-rate schedules.

pub mod clip;
pub mod schedule;

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

/// Optimizer with its state (two slots of the arena's size at most).
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

impl Optimizer {
    pub fn new(config: OptimizerConfig, n: usize) -> Self {
        let init = match config {
            OptimizerConfig::Adagrad { initial_accumulator_value, .. } => initial_accumulator_value,
            _ => 0.0,
        };
        Optimizer { config, step: 0, s1: vec![init; n], s2: vec![0.0; n], s3: vec![0.0; n] }
    }

    /// One update of `params` from `grads` with learning rate `lr` (the schedule's value).
    pub fn update(&mut self, params: &mut [f32], grads: &[f32], lr: f32) {
        self.step += 1;
        let step = self.step;
        match self.config {
            OptimizerConfig::Sgd { momentum, dampening, weight_decay, nesterov, .. } => {
                for i in 0..params.len() {
                    let mut d = grads[i] + weight_decay * params[i];
                    if momentum != 0.0 {
                        let buf = if step == 1 { d } else { momentum * self.s1[i] + (1.0 - dampening) * d };
                        self.s1[i] = buf;
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
                    let m = beta1 * self.s1[i] + (1.0 - beta1) * g;
                    let v = beta2 * self.s2[i] + (1.0 - beta2) * g * g;
                    self.s1[i] = m;
                    self.s2[i] = v;
                    let denom = v.sqrt() / bc2_sqrt + eps;
                    params[i] -= step_size * m / denom;
                }
            }
            OptimizerConfig::RmsProp { alpha, eps, weight_decay, momentum, centered, .. } => {
                for i in 0..params.len() {
                    let g = grads[i] + weight_decay * params[i];
                    let sq = alpha * self.s1[i] + (1.0 - alpha) * g * g;
                    self.s1[i] = sq;
                    let avg = if centered {
                        let ga = alpha * self.s3[i] + (1.0 - alpha) * g;
                        self.s3[i] = ga;
                        (sq - ga * ga).sqrt() + eps
                    } else {
                        sq.sqrt() + eps
                    };
                    if momentum > 0.0 {
                        let buf = momentum * self.s2[i] + g / avg;
                        self.s2[i] = buf;
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
                    let s = self.s1[i] + g * g;
                    self.s1[i] = s;
                    params[i] -= clr * g / (s.sqrt() + eps);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
