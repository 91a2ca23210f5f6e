//! LSTM (PyTorch gate order i, f, g, o):
//!   i = σ(pre_i), f = σ(pre_f), g = tanh(pre_g), o = σ(pre_o), pre = xp + hp
//!   c = f ⊙ c_prev + i ⊙ g,  h = o ⊙ tanh(c)
//! Step cache per row: [i | f | g | o | tanh(c)], 5·H floats.

use crate::kernels;

#[inline]
pub fn forward_row(xp: &[f32], hp: &mut [f32], c_prev: &[f32], h: &mut [f32], c: &mut [f32], cache: &mut [f32]) {
    let n = h.len();
    let (gates, tc) = cache.split_at_mut(4 * n);
    for ((g, a), b) in gates.iter_mut().zip(xp).zip(hp.iter()) {
        *g = a + b;
    }
    kernels::sigmoid(&mut gates[..2 * n]);
    kernels::tanh(&mut gates[2 * n..3 * n]);
    kernels::sigmoid(&mut gates[3 * n..]);
    let (i, rest) = gates.split_at(n);
    let (f, rest) = rest.split_at(n);
    let (g, _o) = rest.split_at(n);
    for j in 0..n {
        c[j] = f[j] * c_prev[j] + i[j] * g[j];
    }
    tc.copy_from_slice(c);
    kernels::tanh(tc);
    let o = &gates[3 * n..];
    for j in 0..n {
        h[j] = o[j] * tc[j];
    }
}

#[inline]
pub fn backward_row(dh: &[f32], dc: &mut [f32], cache: &[f32], c_prev: &[f32], dxp: &mut [f32], dhp: &mut [f32], dh_direct: &mut [f32]) {
    let n = dh.len();
    let (i, f, g, o, tc) = (&cache[..n], &cache[n..2 * n], &cache[2 * n..3 * n], &cache[3 * n..4 * n], &cache[4 * n..5 * n]);
    for j in 0..n {
        let d_o = dh[j] * tc[j];
        let dcj = dc[j] + dh[j] * o[j] * (1.0 - tc[j] * tc[j]);
        let di = dcj * g[j];
        let dg = dcj * i[j];
        let df = dcj * c_prev[j];
        dc[j] = dcj * f[j];
        dxp[j] = di * i[j] * (1.0 - i[j]);
        dxp[n + j] = df * f[j] * (1.0 - f[j]);
        dxp[2 * n + j] = dg * (1.0 - g[j] * g[j]);
        dxp[3 * n + j] = d_o * o[j] * (1.0 - o[j]);
    }
    dhp.copy_from_slice(dxp);
    dh_direct.fill(0.0);
}
