//! Vanilla RNN (Elman): h = act(W_ih·x + b_ih + W_hh·h_prev + b_hh), act = tanh or ReLU.
//! No step cache: backward reads h itself.

use super::step::{BwdRow, FwdRow, RowCell};
use crate::kernels;

/// xp, hp [H]; h [H] out.
#[inline]
pub fn forward_row(relu: bool, xp: &[f32], hp: &mut [f32], h: &mut [f32]) {
    for ((o, a), b) in h.iter_mut().zip(xp).zip(hp.iter()) {
        *o = a + b;
    }
    if relu {
        for v in h.iter_mut() {
            *v = v.max(0.0);
        }
    } else {
        kernels::tanh(h);
    }
}

/// dpre = dh·act'(pre), written to both dxp and dhp; nothing bypasses W_hh.
#[inline]
pub fn backward_row(relu: bool, dh: &[f32], h: &[f32], dxp: &mut [f32], dhp: &mut [f32], dh_direct: &mut [f32]) {
    for j in 0..h.len() {
        let d = if relu { if h[j] > 0.0 { dh[j] } else { 0.0 } } else { dh[j] * (1.0 - h[j] * h[j]) };
        dxp[j] = d;
        dhp[j] = d;
    }
    dh_direct.fill(0.0);
}

/// The vanilla RNN cell: tanh, or ReLU with `RELU`.
pub struct Rnn<const RELU: bool>;

impl<const RELU: bool> RowCell for Rnn<RELU> {
    const GATES: usize = 1;
    fn cache_width(_h: usize) -> usize {
        0
    }
    #[inline]
    fn forward_row(r: FwdRow) {
        forward_row(RELU, r.xp, r.hp, r.h)
    }
    #[inline]
    fn backward_row(r: BwdRow) {
        backward_row(RELU, r.dh, r.h, r.dxp, r.dhp, r.dh_direct)
    }
}
