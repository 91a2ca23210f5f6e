//! GRU with the reset gate applied BEFORE the recurrent product (Keras `reset_after=False`,
//! the only GRU TF.js has; ONNX `linear_before_reset=0`). PyTorch gate order r, z, n:
//!   r = σ(xp_r + hp_r), z = σ(xp_z + hp_z)             with hp_{r,z} = W_h{r,z}·h_prev + b_h{r,z}
//!   n = tanh(xp_n + hp_n)                               with hp_n = W_hn·(r ⊙ h_prev) + b_hn
//!   h = (1 − z) ⊙ n + z ⊙ h_prev
//! (TF.js writes h = z ⊙ h_prev + (1 − z) ⊙ n with the same z: the same value.)
//!
//! hp_n needs r first, so a step runs in two phases around a second GEMM, which the layer
//! does (`layers::recurrent`): `forward_gates` (r, z and r ⊙ h_prev), then
//! hp_n = (r ⊙ h_prev)·W_hnᵀ + b_hn for the batch, then `forward_out`. Backward mirrors it:
//! `backward_out` (n and z), d(r ⊙ h_prev) = dhp_n·W_hn for the batch, then `backward_reset`.
//! Step cache per row: [r | z | n | r ⊙ h_prev], 4·H floats (the last block is the input of
//! W_hn's gradient). `HARD` swaps σ for TF.js/Keras's hard sigmoid on r and z.

use super::{dgate, gate};
use crate::kernels;

/// Phase 1 of a step: r, z from xp, hp [≥ 2·H] (only the r, z blocks are read), and
/// r ⊙ h_prev, into cache [4·H].
#[inline]
pub fn forward_gates<const HARD: bool>(xp: &[f32], hp: &[f32], h_prev: &[f32], cache: &mut [f32]) {
    let n = h_prev.len();
    let (xp, hp, cache) = (&xp[..2 * n], &hp[..2 * n], &mut cache[..4 * n]);
    for j in 0..2 * n {
        cache[j] = xp[j] + hp[j];
    }
    gate::<HARD>(&mut cache[..2 * n]);
    let (r, rest) = cache.split_at_mut(n);
    let rh = &mut rest[2 * n..3 * n];
    for j in 0..n {
        rh[j] = r[j] * h_prev[j];
    }
}

/// Phase 2 of a step: n = tanh(xp_n + hp_n) and h [H], with xp, hp [3·H] (hp_n complete).
#[inline]
pub fn forward_out(xp: &[f32], hp: &[f32], h_prev: &[f32], h: &mut [f32], cache: &mut [f32]) {
    let n = h.len();
    let (xn, hn, h_prev, cache) = (&xp[2 * n..3 * n], &hp[2 * n..3 * n], &h_prev[..n], &mut cache[..4 * n]);
    let (zr, rest) = cache.split_at_mut(2 * n);
    let z = &zr[n..2 * n];
    let nn = &mut rest[..n];
    for j in 0..n {
        nn[j] = xn[j] + hn[j];
    }
    kernels::tanh(nn);
    for j in 0..n {
        h[j] = (1.0 - z[j]) * nn[j] + z[j] * h_prev[j];
    }
}

/// Backward phase 1, from dh [H] (total gradient of this step's h): the n and z blocks of
/// dxp, dhp [3·H] (dhp_n is the gradient of hp_n), and dh_direct [H] = dh ⊙ z (the part of
/// dL/dh_prev that bypasses the weights; `backward_reset` adds the path through r ⊙ h_prev).
#[inline]
pub fn backward_out<const HARD: bool>(dh: &[f32], cache: &[f32], h_prev: &[f32], dxp: &mut [f32], dhp: &mut [f32], dh_direct: &mut [f32]) {
    let n = dh.len();
    let (z, nn) = (&cache[n..2 * n], &cache[2 * n..3 * n]);
    let (h_prev, dh_direct) = (&h_prev[..n], &mut dh_direct[..n]);
    let (dxz, dxn) = dxp[n..3 * n].split_at_mut(n);
    let (dhz, dhn) = dhp[n..3 * n].split_at_mut(n);
    for j in 0..n {
        let dn = dh[j] * (1.0 - z[j]);
        let dz = dh[j] * (h_prev[j] - nn[j]);
        dh_direct[j] = dh[j] * z[j];
        let dnp = dn * (1.0 - nn[j] * nn[j]);
        let dzp = dgate::<HARD>(dz, z[j]);
        dxz[j] = dzp;
        dhz[j] = dzp;
        dxn[j] = dnp;
        dhn[j] = dnp;
    }
}

/// Backward phase 2, from d_rh [H] = dL/d(r ⊙ h_prev): the r blocks of dxp, dhp, and
/// d_rh ⊙ r added to dh_direct [H].
#[inline]
pub fn backward_reset<const HARD: bool>(
    d_rh: &[f32],
    cache: &[f32],
    h_prev: &[f32],
    dxp: &mut [f32],
    dhp: &mut [f32],
    dh_direct: &mut [f32],
) {
    let n = d_rh.len();
    let r = &cache[..n];
    let (h_prev, dh_direct, dxr, dhr) = (&h_prev[..n], &mut dh_direct[..n], &mut dxp[..n], &mut dhp[..n]);
    for j in 0..n {
        let drp = dgate::<HARD>(d_rh[j] * h_prev[j], r[j]);
        dxr[j] = drp;
        dhr[j] = drp;
        dh_direct[j] += d_rh[j] * r[j];
    }
}
