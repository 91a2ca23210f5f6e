//! GRU with the reset gate applied BEFORE the recurrent product (Keras `reset_after=False`,
//! the only GRU TF.js has; ONNX `linear_before_reset=0`). PyTorch gate order r, z, n:
//!   r = σ(xp_r + hp_r), z = σ(xp_z + hp_z)             with hp_{r,z} = W_h{r,z}·h_prev + b_h{r,z}
//!   n = tanh(xp_n + hp_n)                               with hp_n = W_hn·(r ⊙ h_prev) + b_hn
//!   h = (1 − z) ⊙ n + z ⊙ h_prev
//! (TF.js writes h = z ⊙ h_prev + (1 − z) ⊙ n with the same z: the same value.)
//!
//! hp_n needs r first, so a step runs in two phases around a second GEMM (`GruResetBefore`'s
//! `Cell::forward`): `forward_gates` (r, z and r ⊙ h_prev), then hp_n = (r ⊙ h_prev)·W_hnᵀ +
//! b_hn for the batch, then `forward_out`. Backward mirrors it: `backward_out` (n and z),
//! d(r ⊙ h_prev) = dhp_n·W_hn for the batch, then `backward_reset`.
//! Step cache per row: [r | z | n | r ⊙ h_prev], 4·H floats (the last block is the input of
//! W_hn's gradient). `HARD` swaps σ for TF.js/Keras's hard sigmoid on r and z.
//!
//! W_hh [3·H, H] splits into its r, z rows W_rz [2·H, H] and its n rows W_hn [H, H]
//! (contiguous, PyTorch order r, z, n); b_hh likewise, b_hn added after the product:
//!   forward step:  hp[:, 0:2H] = h_prev · W_rzᵀ + b_rz;  r, z, r ⊙ h_prev (rows);
//!                  hp[:, 2H:3H] = (r ⊙ h_prev) · W_hnᵀ + b_hn;  n, h (rows)
//!   backward step: n, z parts (rows); d(r ⊙ h_prev) = dhp_n · W_hn;  r part (rows);
//!                  dh_prev = dh_direct + dhp[:, 0:2H] · W_rz
//!   after the sweep: dW_rz = dhp_rzᵀ · hs, dW_hn = dhp_nᵀ · (r ⊙ h_prev) as two GEMMs.
//! A padded step's cache row is 0 (the layer zeroes it), so r ⊙ h_prev adds nothing to dW_hn.

use super::step::{BwdStep, Cell, DirWeights, FwdStep, Packs, WeightGrads};
use super::{dgate, gate};
use crate::kernels::{self, Mat};

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

/// The reset-before GRU cell; `HARD` for hard-sigmoid gates.
pub struct GruResetBefore<const HARD: bool>;

impl<const HARD: bool> Cell for GruResetBefore<HARD> {
    fn gates(&self) -> usize {
        3
    }
    fn cache_width(&self, h: usize) -> usize {
        4 * h
    }
    /// Forward: W_rzᵀ in `a`, W_hnᵀ in `b`; backward: W_rz in `a`, W_hn in `b`.
    fn pack(&self, w: &DirWeights, packs: &mut Packs, b: usize, h: usize, backward: bool) {
        if !Packs::used(b) {
            return;
        }
        let (w_rz, w_n) = w.w_hh.split_at(2 * h * h);
        if backward {
            packs.a.pack(2 * h, h, Mat::n(w_rz, h));
            packs.b.pack(h, h, Mat::n(w_n, h));
        } else {
            packs.a.pack(h, 2 * h, Mat::t(w_rz, h));
            packs.b.pack(h, h, Mat::t(w_n, h));
        }
    }
    #[allow(clippy::needless_range_loop)] // bb indexes active and several row ranges together
    fn forward(&self, s: FwdStep) {
        let (b, h) = (s.b, s.h);
        let (gh, cw) = (3 * h, 4 * h);
        let (w_rz, w_n) = s.w.w_hh.split_at(2 * h * h);
        let (b_rz, b_n) = s.w.b_hh.split_at(2 * h);
        let packed = Packs::used(b);
        // hp[:, 0:2H] = h_prev · W_rzᵀ + b_rz
        if packed {
            kernels::gemm_packed(b, Mat::n(s.h_prev, h), &s.packs.a, false, s.hp, gh);
        } else {
            kernels::gemm(b, 2 * h, h, Mat::n(s.h_prev, h), Mat::t(w_rz, h), false, s.hp, gh);
        }
        for row in s.hp.chunks_exact_mut(gh) {
            for (v, bias) in row[..2 * h].iter_mut().zip(b_rz) {
                *v += bias;
            }
        }
        for bb in 0..b {
            if s.active[bb] {
                let xp = &s.xp[bb * s.xp_ld..bb * s.xp_ld + gh];
                forward_gates::<HARD>(
                    xp,
                    &s.hp[bb * gh..(bb + 1) * gh],
                    &s.h_prev[bb * h..(bb + 1) * h],
                    &mut s.cache[bb * cw..(bb + 1) * cw],
                );
            }
        }
        // hp[:, 2H:3H] = (r ⊙ h_prev) · W_hnᵀ + b_hn, r ⊙ h_prev read from the cache rows
        let rh = Mat::n(&s.cache[3 * h..], cw);
        if packed {
            kernels::gemm_packed(b, rh, &s.packs.b, false, &mut s.hp[2 * h..], gh);
        } else {
            kernels::gemm(b, h, h, rh, Mat::t(w_n, h), false, &mut s.hp[2 * h..], gh);
        }
        for row in s.hp.chunks_exact_mut(gh) {
            for (v, bias) in row[2 * h..].iter_mut().zip(b_n) {
                *v += bias;
            }
        }
        for bb in 0..b {
            if s.active[bb] {
                let hr = bb * h..(bb + 1) * h;
                let xp = &s.xp[bb * s.xp_ld..bb * s.xp_ld + gh];
                let c = &mut s.cache[bb * cw..(bb + 1) * cw];
                forward_out(xp, &s.hp[bb * gh..(bb + 1) * gh], &s.h_prev[hr.clone()], &mut s.h_next[hr], c);
            }
        }
    }
    #[allow(clippy::needless_range_loop)] // bb indexes active and several row ranges together
    fn backward(&self, s: BwdStep) {
        let (b, h) = (s.b, s.h);
        let (gh, cw) = (3 * h, 4 * h);
        let (w_rz, w_n) = s.w.w_hh.split_at(2 * h * h);
        let packed = Packs::used(b);
        for bb in 0..b {
            if s.active[bb] {
                let hr = bb * h..(bb + 1) * h;
                backward_out::<HARD>(
                    &s.dh[hr.clone()],
                    &s.cache[bb * cw..(bb + 1) * cw],
                    &s.h_prev[hr.clone()],
                    &mut s.dxp[bb * s.xp_ld..bb * s.xp_ld + gh],
                    &mut s.dhp[bb * gh..(bb + 1) * gh],
                    &mut s.dh_prev[hr],
                );
            }
        }
        // d(r ⊙ h_prev)[B, H] = dhp_n · W_hn, in the scratch
        let d_rh = s.scratch;
        d_rh.resize(b * h, 0.0);
        let dhp_n = Mat::n(&s.dhp[2 * h..], gh);
        if packed {
            kernels::gemm_packed(b, dhp_n, &s.packs.b, false, d_rh, h);
        } else {
            kernels::gemm(b, h, h, dhp_n, Mat::n(w_n, h), false, d_rh, h);
        }
        for bb in 0..b {
            if s.active[bb] {
                let hr = bb * h..(bb + 1) * h;
                backward_reset::<HARD>(
                    &d_rh[hr.clone()],
                    &s.cache[bb * cw..(bb + 1) * cw],
                    &s.h_prev[hr.clone()],
                    &mut s.dxp[bb * s.xp_ld..bb * s.xp_ld + gh],
                    &mut s.dhp[bb * gh..(bb + 1) * gh],
                    &mut s.dh_prev[hr],
                );
            }
        }
        // dh_prev = dh_direct + dhp[:, 0:2H] · W_rz
        let dhp_rz = Mat::n(s.dhp, gh);
        if packed {
            kernels::gemm_packed(b, dhp_rz, &s.packs.a, true, s.dh_prev, h);
        } else {
            kernels::gemm(b, h, 2 * h, dhp_rz, Mat::n(w_rz, h), true, s.dh_prev, h);
        }
    }
    /// dW_rz = Σ dhp[:, 0:2H]ᵀ · h_prev, dW_hn = Σ dhp[:, 2H:3H]ᵀ · (r ⊙ h_prev).
    fn weight_grads(&self, g: WeightGrads) {
        let (h, tb) = (g.h, g.t * g.b);
        let (gh, cw) = (3 * h, 4 * h);
        let (g_rz, g_n) = g.g_hh.split_at_mut(2 * h * h);
        kernels::gemm(2 * h, h, tb, Mat::t(g.dhp, gh), Mat::n(&g.hs[..tb * h], h), true, g_rz, h);
        kernels::gemm(h, h, tb, Mat::t(&g.dhp[2 * h..], gh), Mat::n(&g.cache[3 * h..], cw), true, g_n, h);
    }
}
