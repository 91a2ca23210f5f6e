//! LSTM with a projection (PyTorch `proj_size` = P < H): the LSTM of `lstm` on the
//! projected state, h = W_hr · (o ⊙ tanh(c)):
//!   pre = xp + W_hh·h_prev + b_hh   (W_hh [4·H, P], h_prev [P])
//!   c = f ⊙ c_prev + i ⊙ g,  m = o ⊙ tanh(c) [H],  h = m · W_hrᵀ [P]   (W_hr [P, H])
//! Step cache per row: [i | f | g | o | tanh(c) | m], 6·H floats. σ gates only (PyTorch).
//! Backward: dm = dh · W_hr for the batch, the LSTM rows from dm, then dh_prev = dhp · W_hh;
//! after the sweep dW_hr = Σ dhᵀ · m, with every step's dh [B, P] kept in the scratch.

use super::lstm;
use super::step::{BwdStep, Cell, DirWeights, FwdStep, Packs, WeightGrads};
use crate::kernels::{self, Mat};

/// The projected LSTM with P = `proj` outputs.
pub struct LstmProj {
    pub proj: usize,
}

impl Cell for LstmProj {
    fn gates(&self) -> usize {
        4
    }
    fn state_width(&self, _h: usize) -> usize {
        self.proj
    }
    fn has_c(&self) -> bool {
        true
    }
    fn cache_width(&self, h: usize) -> usize {
        6 * h
    }
    fn extra_params(&self, h: usize) -> Vec<(&'static str, Vec<usize>)> {
        vec![("weight_hr", vec![self.proj, h])]
    }
    /// Forward: W_hhᵀ in `a`, W_hrᵀ in `b`; backward: W_hh in `a`, W_hr in `b`.
    fn pack(&self, w: &DirWeights, packs: &mut Packs, b: usize, h: usize, backward: bool) {
        if !Packs::used(b) {
            return;
        }
        let (p, gh) = (self.proj, 4 * h);
        if backward {
            packs.a.pack(gh, p, Mat::n(w.w_hh, p));
            packs.b.pack(p, h, Mat::n(w.extra, h));
        } else {
            packs.a.pack(p, gh, Mat::t(w.w_hh, p));
            packs.b.pack(h, p, Mat::t(w.extra, h));
        }
    }
    fn forward(&self, s: FwdStep) {
        let (b, h, p) = (s.b, s.h, self.proj);
        let (gh, cw) = (4 * h, 6 * h);
        let packed = Packs::used(b);
        // hp[B, 4H] = h_prev · W_hhᵀ + b_hh
        if packed {
            kernels::gemm_packed(b, Mat::n(s.h_prev, p), &s.packs.a, false, s.hp, gh);
        } else {
            kernels::gemm(b, gh, p, Mat::n(s.h_prev, p), Mat::t(s.w.w_hh, p), false, s.hp, gh);
        }
        for row in s.hp.chunks_exact_mut(gh) {
            for (v, bias) in row.iter_mut().zip(s.w.b_hh) {
                *v += bias;
            }
        }
        for (bb, &on) in s.active.iter().enumerate() {
            if on {
                let hr = bb * h..(bb + 1) * h;
                let (cache, m) = s.cache[bb * cw..(bb + 1) * cw].split_at_mut(5 * h);
                let xp = &s.xp[bb * s.xp_ld..bb * s.xp_ld + gh];
                lstm::forward_row::<false>(xp, &mut s.hp[bb * gh..(bb + 1) * gh], &s.c_prev[hr.clone()], m, &mut s.c_next[hr], cache);
            }
        }
        // h[B, P] = m · W_hrᵀ (inactive rows read a zero cache; the layer restores their h)
        let m = Mat::n(&s.cache[5 * h..], cw);
        if packed {
            kernels::gemm_packed(b, m, &s.packs.b, false, s.h_next, p);
        } else {
            kernels::gemm(b, p, h, m, Mat::t(s.w.extra, h), false, s.h_next, p);
        }
    }
    fn backward(&self, s: BwdStep) {
        let (b, h, p) = (s.b, s.h, self.proj);
        let (gh, cw) = (4 * h, 6 * h);
        let packed = Packs::used(b);
        // scratch: [dh of every step, T·B·P | dm of this step, B·H]
        let (tbp, bh) = (s.t * b * p, b * h);
        s.scratch.resize(tbp + bh, 0.0);
        let (dhs, dm) = s.scratch.split_at_mut(tbp);
        let dh_s = &mut dhs[s.s * b * p..(s.s + 1) * b * p];
        for (bb, &on) in s.active.iter().enumerate() {
            let row = bb * p..(bb + 1) * p;
            if on { dh_s[row.clone()].copy_from_slice(&s.dh[row]) } else { dh_s[row].fill(0.0) }
        }
        // dm[B, H] = dh · W_hr
        if packed {
            kernels::gemm_packed(b, Mat::n(dh_s, p), &s.packs.b, false, dm, h);
        } else {
            kernels::gemm(b, h, p, Mat::n(dh_s, p), Mat::n(s.w.extra, h), false, dm, h);
        }
        for (bb, &on) in s.active.iter().enumerate() {
            if on {
                let hr = bb * h..(bb + 1) * h;
                lstm::backward_row::<false>(
                    &dm[hr.clone()],
                    &mut s.dc[hr.clone()],
                    &s.cache[bb * cw..bb * cw + 5 * h],
                    &s.c_prev[hr],
                    &mut s.dxp[bb * s.xp_ld..bb * s.xp_ld + gh],
                    &mut s.dhp[bb * gh..(bb + 1) * gh],
                    &mut s.dh_prev[bb * p..(bb + 1) * p],
                );
            }
        }
        // dh_prev = dhp · W_hh (nothing bypasses W_hh)
        if packed {
            kernels::gemm_packed(b, Mat::n(s.dhp, gh), &s.packs.a, true, s.dh_prev, p);
        } else {
            kernels::gemm(b, p, gh, Mat::n(s.dhp, gh), Mat::n(s.w.w_hh, p), true, s.dh_prev, p);
        }
    }
    /// dW_hh = Σ dhpᵀ · h_prev [4·H, P]; dW_hr = Σ dhᵀ · m [P, H].
    fn weight_grads(&self, g: WeightGrads) {
        let (h, p, tb) = (g.h, self.proj, g.t * g.b);
        let (gh, cw) = (4 * h, 6 * h);
        kernels::gemm(gh, p, tb, Mat::t(g.dhp, gh), Mat::n(&g.hs[..tb * p], p), true, g.g_hh, p);
        kernels::gemm(p, h, tb, Mat::t(&g.scratch[..tb * p], p), Mat::n(&g.cache[5 * h..], cw), true, g.g_extra, h);
    }
}
