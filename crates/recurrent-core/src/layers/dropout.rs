//! Inverted dropout: y = x ⊙ m, m ∈ {0, 1/(1−p)} drawn from the model's seeded Rng.

use crate::rng::Rng;

/// Draws a mask for `n` values and applies it in place. p = 0 or !train: identity.
pub fn forward(x: &mut [f32], mask: &mut Vec<f32>, p: f32, train: bool, rng: &mut Rng) {
    mask.clear();
    if !train || p <= 0.0 {
        return;
    }
    let keep = 1.0 - p;
    mask.resize(x.len(), 0.0);
    for (v, m) in x.iter_mut().zip(mask.iter_mut()) {
        *m = if rng.next_f32() < keep { 1.0 / keep } else { 0.0 };
        *v *= *m;
    }
}

/// dx = dy ⊙ m, in place (no-op when the forward drew no mask).
pub fn backward(dy: &mut [f32], mask: &[f32]) {
    if mask.is_empty() {
        return;
    }
    for (g, m) in dy.iter_mut().zip(mask) {
        *g *= m;
    }
}
