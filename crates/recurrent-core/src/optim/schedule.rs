//! Learning-rate schedules as closed forms of the epoch (or step) counter, matching
//! torch.optim.lr_scheduler's StepLR, ExponentialLR and CosineAnnealingLR.

#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    Constant,
    /// lr · γ^⌊n / step_size⌋
    Step {
        step_size: u32,
        gamma: f32,
    },
    /// lr · γ^n
    Exponential {
        gamma: f32,
    },
    /// η_min + (lr − η_min)(1 + cos(π·n/T_max))/2
    Cosine {
        t_max: u32,
        eta_min: f32,
    },
}

impl Schedule {
    /// Learning rate after `n` scheduler steps.
    pub fn lr(&self, base: f32, n: u32) -> f32 {
        match *self {
            Schedule::Constant => base,
            Schedule::Step { step_size, gamma } => base * gamma.powi((n / step_size.max(1)) as i32),
            Schedule::Exponential { gamma } => base * gamma.powi(n as i32),
            Schedule::Cosine { t_max, eta_min } => {
                let x = std::f64::consts::PI * n as f64 / t_max.max(1) as f64;
                (eta_min as f64 + (base - eta_min) as f64 * (1.0 + x.cos()) / 2.0) as f32
            }
        }
    }
}

impl Schedule {
    /// StepLR's defaults: γ = 0.1 every `step_size` steps.
    pub fn step(step_size: u32) -> Self {
        Schedule::Step { step_size, gamma: 0.1 }
    }
    /// CosineAnnealingLR's defaults: η_min = 0 over `t_max` steps.
    pub fn cosine(t_max: u32) -> Self {
        Schedule::Cosine { t_max, eta_min: 0.0 }
    }

    /// Checks the schedule's hyperparameters (step_size, t_max ≥ 1; gamma, eta_min finite ≥ 0).
    pub fn validate(&self) -> crate::Result<()> {
        let nonneg = |k: &str, v: f32| {
            if v >= 0.0 && v.is_finite() {
                Ok(())
            } else {
                Err(crate::Error::range(format!("schedule.{k} = {v} must be a finite number ≥ 0")))
            }
        };
        match *self {
            Schedule::Constant => Ok(()),
            Schedule::Step { step_size, gamma } => {
                if step_size == 0 {
                    return Err(crate::Error::range("schedule.step_size must be at least 1"));
                }
                nonneg("gamma", gamma)
            }
            Schedule::Exponential { gamma } => nonneg("gamma", gamma),
            Schedule::Cosine { t_max, eta_min } => {
                if t_max == 0 {
                    return Err(crate::Error::range("schedule.t_max must be at least 1"));
                }
                nonneg("eta_min", eta_min)
            }
        }
    }
}
