//! GRU (PyTorch gate order r, z, n; reset applied after the recurrent product):
//!   r = σ(xp_r + hp_r), z = σ(xp_z + hp_z), n = tanh(xp_n + r ⊙ hp_n)
//!   h = (1 − z) ⊙ n + z ⊙ h_prev
//! Step cache per row: [r | z | n | hp_n], 4·H floats.
//! `HARD` swaps σ for TF.js/Keras's hard sigmoid on r and z (see `super::gate`).

use super::step::{BwdRow, FwdRow, RowCell};
use super::{dgate, gate};
use crate::kernels;

#[inline]
pub fn forward_row<const HARD: bool>(xp: &[f32], hp: &mut [f32], h_prev: &[f32], h: &mut [f32], cache: &mut [f32]) {
    // Slices re-cut to their exact lengths so the loops carry no bounds checks and vectorise.
    let n = h.len();
    let (xp, hp, h_prev, cache) = (&xp[..3 * n], &hp[..3 * n], &h_prev[..n], &mut cache[..4 * n]);
    for j in 0..2 * n {
        cache[j] = xp[j] + hp[j];
    }
    gate::<HARD>(&mut cache[..2 * n]);
    cache[3 * n..4 * n].copy_from_slice(&hp[2 * n..3 * n]);
    let (rz, rest) = cache.split_at_mut(2 * n);
    let (nn, hpn) = rest.split_at_mut(n);
    let (r, z) = rz.split_at(n);
    let xn = &xp[2 * n..3 * n];
    for j in 0..n {
        nn[j] = xn[j] + r[j] * hpn[j];
    }
    kernels::tanh(nn);
    for j in 0..n {
        h[j] = (1.0 - z[j]) * nn[j] + z[j] * h_prev[j];
    }
}

#[inline]
pub fn backward_row<const HARD: bool>(dh: &[f32], cache: &[f32], h_prev: &[f32], dxp: &mut [f32], dhp: &mut [f32], dh_direct: &mut [f32]) {
    let n = dh.len();
    let (r, z, nn, hpn) = (&cache[..n], &cache[n..2 * n], &cache[2 * n..3 * n], &cache[3 * n..4 * n]);
    let (h_prev, dh_direct) = (&h_prev[..n], &mut dh_direct[..n]);
    let (dxr, rest) = dxp[..3 * n].split_at_mut(n);
    let (dxz, dxn) = rest.split_at_mut(n);
    let (dhr, rest) = dhp[..3 * n].split_at_mut(n);
    let (dhz, dhn) = rest.split_at_mut(n);
    for j in 0..n {
        let dn = dh[j] * (1.0 - z[j]);
        let dz = dh[j] * (h_prev[j] - nn[j]);
        dh_direct[j] = dh[j] * z[j];
        let dnp = dn * (1.0 - nn[j] * nn[j]);
        let drp = dgate::<HARD>(dnp * hpn[j], r[j]);
        let dzp = dgate::<HARD>(dz, z[j]);
        dxr[j] = drp;
        dhr[j] = drp;
        dxz[j] = dzp;
        dhz[j] = dzp;
        dxn[j] = dnp;
        dhn[j] = dnp * r[j];
    }
}

/// The GRU cell (reset after the product, PyTorch); `HARD` for hard-sigmoid gates.
pub struct Gru<const HARD: bool>;

impl<const HARD: bool> RowCell for Gru<HARD> {
    const GATES: usize = 3;
    fn cache_width(h: usize) -> usize {
        4 * h
    }
    #[inline]
    fn forward_row(r: FwdRow) {
        forward_row::<HARD>(r.xp, r.hp, r.h_prev, r.h, r.cache)
    }
    #[inline]
    fn backward_row(r: BwdRow) {
        backward_row::<HARD>(r.dh, r.cache, r.h_prev, r.dxp, r.dhp, r.dh_direct)
    }
}
