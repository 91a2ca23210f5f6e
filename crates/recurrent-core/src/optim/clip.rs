//! Gradient clipping over the whole gradient arena.

/// Global L2 norm of `grads`, accumulated in f64.
pub fn global_norm(grads: &[f32]) -> f32 {
    grads.iter().map(|&g| (g as f64) * (g as f64)).sum::<f64>().sqrt() as f32
}

/// torch.nn.utils.clip_grad_norm_: scales by max_norm/(norm + 1e-6) when that is < 1.
/// Returns the norm before clipping.
pub fn clip_by_norm(grads: &mut [f32], max_norm: f32) -> f32 {
    let norm = global_norm(grads);
    let coef = max_norm as f64 / (norm as f64 + 1e-6);
    if coef < 1.0 {
        let c = coef as f32;
        grads.iter_mut().for_each(|g| *g *= c);
    }
    norm
}

/// torch.nn.utils.clip_grad_value_: clamps every gradient to [−v, v].
pub fn clip_by_value(grads: &mut [f32], v: f32) {
    grads.iter_mut().for_each(|g| *g = g.clamp(-v, v));
}
