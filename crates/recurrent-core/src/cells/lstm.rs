//! LSTM (PyTorch gate order i, f, g, o):
//!   i = σ(pre_i), f = σ(pre_f), g = tanh(pre_g), o = σ(pre_o), pre = xp + hp
//!   c = f ⊙ c_prev + i ⊙ g,  h = o ⊙ tanh(c)
//! Step cache per row: [i | f | g | o | tanh(c)], 5·H floats.
//! `HARD` swaps σ for TF.js/Keras's hard sigmoid on the three gates (see `super::gate`).

use super::step::{BwdRow, FwdRow, RowCell};
use super::{dgate, gate};
use crate::kernels;

#[inline]
pub fn forward_row<const HARD: bool>(xp: &[f32], hp: &mut [f32], c_prev: &[f32], h: &mut [f32], c: &mut [f32], cache: &mut [f32]) {
    // Every slice is re-cut to its exact length first, so the loops below carry no bounds
    // checks and vectorise.
    let n = h.len();
    let (gates, tc) = cache[..5 * n].split_at_mut(4 * n);
    let (xp, hp) = (&xp[..4 * n], &hp[..4 * n]);
    for j in 0..4 * n {
        gates[j] = xp[j] + hp[j];
    }
    gate::<HARD>(&mut gates[..2 * n]);
    kernels::tanh(&mut gates[2 * n..3 * n]);
    gate::<HARD>(&mut gates[3 * n..]);
    let (i, rest) = gates.split_at(n);
    let (f, rest) = rest.split_at(n);
    let (g, o) = rest.split_at(n);
    let (c_prev, c, tc) = (&c_prev[..n], &mut c[..n], &mut tc[..n]);
    for j in 0..n {
        let v = f[j] * c_prev[j] + i[j] * g[j];
        c[j] = v;
        tc[j] = v;
    }
    kernels::tanh(tc);
    let (o, tc) = (&o[..n], &tc[..n]);
    for j in 0..n {
        h[j] = o[j] * tc[j];
    }
}

#[inline]
pub fn backward_row<const HARD: bool>(
    dh: &[f32],
    dc: &mut [f32],
    cache: &[f32],
    c_prev: &[f32],
    dxp: &mut [f32],
    dhp: &mut [f32],
    dh_direct: &mut [f32],
) {
    let n = dh.len();
    let (i, f, g, o, tc) = (&cache[..n], &cache[n..2 * n], &cache[2 * n..3 * n], &cache[3 * n..4 * n], &cache[4 * n..5 * n]);
    let (dc, c_prev) = (&mut dc[..n], &c_prev[..n]);
    let (dxi, rest) = dxp[..4 * n].split_at_mut(n);
    let (dxf, rest) = rest.split_at_mut(n);
    let (dxg, dxo) = rest.split_at_mut(n);
    for j in 0..n {
        let d_o = dh[j] * tc[j];
        let dcj = dc[j] + dh[j] * o[j] * (1.0 - tc[j] * tc[j]);
        let di = dcj * g[j];
        let dg = dcj * i[j];
        let df = dcj * c_prev[j];
        dc[j] = dcj * f[j];
        dxi[j] = dgate::<HARD>(di, i[j]);
        dxf[j] = dgate::<HARD>(df, f[j]);
        dxg[j] = dg * (1.0 - g[j] * g[j]);
        dxo[j] = dgate::<HARD>(d_o, o[j]);
    }
    dhp.copy_from_slice(dxp);
    dh_direct.fill(0.0);
}

/// The LSTM cell; `HARD` for hard-sigmoid gates.
pub struct Lstm<const HARD: bool>;

impl<const HARD: bool> RowCell for Lstm<HARD> {
    const GATES: usize = 4;
    const HAS_C: bool = true;
    fn cache_width(h: usize) -> usize {
        5 * h
    }
    #[inline]
    fn forward_row(r: FwdRow) {
        forward_row::<HARD>(r.xp, r.hp, r.c_prev, r.h, r.c, r.cache)
    }
    #[inline]
    fn backward_row(r: BwdRow) {
        backward_row::<HARD>(r.dh, r.dc, r.cache, r.c_prev, r.dxp, r.dhp, r.dh_direct)
    }
}
