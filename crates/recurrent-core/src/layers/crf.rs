//! Linear-chain conditional random field over per-step emission scores (the head of a
//! BiLSTM-CRF tagger).
//!
//! Parameters (pytorch-crf's names and init, U(−0.1, 0.1)):
//!   `{name}.transitions` [K, K]: score of tag i followed by tag j at `i·K + j`
//!   `{name}.start_transitions` [K], `{name}.end_transitions` [K]
//!
//! For one row with emissions e [L, K] and tags y [L] (L ≥ 1):
//!   score(y) = start[y₀] + Σₜ e[t, yₜ] + Σₜ₌₁ trans[yₜ₋₁, yₜ] + end[y_{L−1}]
//!   NLL(y)   = log Z − score(y),  log Z = log Σ_y' exp score(y')  (forward algorithm)
//! The gradient comes from forward–backward marginals:
//!   ∂NLL/∂e[t, j]       = p(yₜ = j) − [yₜ = j]
//!   ∂NLL/∂trans[i, j]   = Σₜ p(yₜ₋₁ = i, yₜ = j) − #{t: yₜ₋₁ = i, yₜ = j}
//!   ∂NLL/∂start[j]      = p(y₀ = j) − [y₀ = j],  ∂NLL/∂end[j] = p(y_{L−1} = j) − [y_{L−1} = j]
//! Rows of length 0 contribute nothing; steps past a row's length are never read (a padded
//! step cannot change a loss, a gradient or a path).
//!
//! Implementations:
//! - [`scaled`]: the batch's rows together, in probability space with per-row scale factors
//!   kept in log space, one [n, K]·[K, K] GEMM per step (the training path);
//! - [`viterbi`]: max-plus in f64 over a transposed-free [K, K] sweep (the same sums and tie
//!   rule as the reference, so the same paths);
//! - [`logspace`]: the row-at-a-time f64 log-space reference, used when the parameters'
//!   spread could underflow the f32 recursion (see `scaled::MAX_SPREAD`).

use super::{Init, ParamTable, Slot};

pub mod logspace;
pub mod scaled;
#[cfg(test)]
mod tests;
pub mod viterbi;

/// The CRF head's parameter slots in the arena.
#[derive(Clone, Debug)]
pub struct Crf {
    pub tags: usize,
    pub transitions: Slot,
    pub start: Slot,
    pub end: Slot,
}

/// Borrowed CRF parameters (from the arena, or plain slices in tests).
#[derive(Clone, Copy, Debug)]
pub struct CrfParams<'a> {
    pub k: usize,
    /// [K, K], from i (row) to j (column).
    pub transitions: &'a [f32],
    pub start: &'a [f32],
    pub end: &'a [f32],
}

/// Gradients of the CRF parameters, accumulated (+=).
pub struct CrfGrads<'a> {
    pub transitions: &'a mut [f32],
    pub start: &'a mut [f32],
    pub end: &'a mut [f32],
}

impl Crf {
    pub fn new(tags: usize, table: &mut ParamTable, name: &str) -> Self {
        let transitions = table.add(&format!("{name}.transitions"), &[tags, tags], Init::Uniform(0.1));
        let start = table.add(&format!("{name}.start_transitions"), &[tags], Init::Uniform(0.1));
        let end = table.add(&format!("{name}.end_transitions"), &[tags], Init::Uniform(0.1));
        Crf { tags, transitions, start, end }
    }

    pub fn params<'a>(&self, arena: &'a [f32]) -> CrfParams<'a> {
        CrfParams { k: self.tags, transitions: self.transitions.of(arena), start: self.start.of(arena), end: self.end.of(arena) }
    }

    /// Mutable views of the three gradient blocks (they are registered back to back).
    pub fn grads<'a>(&self, arena: &'a mut [f32]) -> CrfGrads<'a> {
        debug_assert!(self.start.off == self.transitions.off + self.transitions.len && self.end.off == self.start.off + self.start.len);
        let all = &mut arena[self.transitions.off..self.end.off + self.end.len];
        let (transitions, rest) = all.split_at_mut(self.transitions.len);
        let (start, end) = rest.split_at_mut(self.start.len);
        CrfGrads { transitions, start, end }
    }
}

impl CrfParams<'_> {
    /// Total NLL over a batch: e [B, T, K], tags [B, T], lengths [B] (each ≤ T). With
    /// `grad` = (d_e [B, T, K], grads, scale), d_e is overwritten (zero on padded steps) and
    /// `scale`·∂/∂params accumulated. Tags on valid steps must be in [0, K) (checked by the
    /// caller); tags on padded steps are never read.
    pub fn nll(&self, e: &[f32], t: usize, lengths: &[usize], tags: &[i32], mut grad: Option<(&mut [f32], &mut CrfGrads, f64)>) -> f64 {
        if scaled::usable(self) {
            let g = grad.as_mut().map(|(d, g, s)| (&mut **d, &mut **g, *s));
            if let Some(total) = scaled::nll(self, e, t, lengths, tags, g) {
                return total;
            }
        }
        self.nll_logspace(e, t, lengths, tags, grad)
    }

    /// Viterbi paths for a batch: e [B, T, K] → out [B, T], −1 on padded steps.
    pub fn viterbi(&self, e: &[f32], t: usize, lengths: &[usize], out: &mut [i32]) {
        viterbi::batch(self, e, t, lengths, out)
    }
}
