//! The step loops of the reset-before GRU (`CellKind::resets_before`; maths and cache layout
//! in `cells::gru_reset_before`), over one direction of one layer.
//!
//! W_hh [3·H, H] splits into its r, z rows W_rz [2·H, H] and its n rows W_hn [H, H]
//! (contiguous, PyTorch order r, z, n); b_hh likewise, b_hn added after the product:
//!   forward step:  hp[:, 0:2H] = h_prev · W_rzᵀ + b_rz;  r, z, r ⊙ h_prev (rows);
//!                  hp[:, 2H:3H] = (r ⊙ h_prev) · W_hnᵀ + b_hn;  n, h (rows)
//!   backward step: n, z parts (rows); d(r ⊙ h_prev) = dhp_n · W_hn;  r part (rows);
//!                  dh_prev = dh_direct + dhp[:, 0:2H] · W_rz
//!   after the sweep: dW_rz = dhp_rzᵀ · hs, dW_hn = dhp_nᵀ · (r ⊙ h_prev) as two GEMMs.
//! Buffers and masks as in the parent module; a padded step leaves r ⊙ h_prev at 0 in the
//! cache (its dhp row is 0, so it adds nothing to dW_hn).

use super::DirBufs;
use crate::cells::{CellKind, gru_reset_before};
use crate::kernels::{self, Mat};
use crate::layers::step_norms::DirSums;

/// The forward step loop: fills hs[1..], cache and `out` (rows of width `out_ld`, this
/// direction at column `out_off`). `st.xproj` and hs[0] are ready; `hp` is [B, 3·H] scratch.
#[allow(clippy::too_many_arguments)]
#[allow(clippy::needless_range_loop)] // bb indexes lengths and several row ranges together
pub(super) fn forward_steps(
    cell: CellKind,
    w_hh: &[f32],
    b_hh: &[f32],
    st: &mut DirBufs,
    hp: &mut [f32],
    b: usize,
    t: usize,
    h: usize,
    lengths: &[usize],
    reverse: bool,
    out: &mut [f32],
    out_ld: usize,
    out_off: usize,
) {
    let (gh, cw) = (3 * h, 4 * h);
    let (w_rz, w_n) = w_hh.split_at(2 * h * h);
    let (b_rz, b_n) = b_hh.split_at(2 * h);
    // packed once for all steps above SMALL_M rows, as the other cells' W_hhᵀ
    let packed = b > kernels::SMALL_M;
    if packed {
        st.w_hh_t.pack(h, 2 * h, Mat::t(w_rz, h));
        st.w_n.pack(h, h, Mat::t(w_n, h));
    }
    for s in 0..t {
        let tt = if reverse { t - 1 - s } else { s };
        let (hs_prev, hs_next) = st.hs[s * b * h..(s + 2) * b * h].split_at_mut(b * h);
        let cache = &mut st.cache[s * b * cw..(s + 1) * b * cw];
        // hp[:, 0:2H] = h_prev · W_rzᵀ + b_rz
        if packed {
            kernels::gemm_packed(b, Mat::n(hs_prev, h), &st.w_hh_t, false, hp, gh);
        } else {
            kernels::gemm(b, 2 * h, h, Mat::n(hs_prev, h), Mat::t(w_rz, h), false, hp, gh);
        }
        for row in hp.chunks_exact_mut(gh) {
            for (v, bias) in row[..2 * h].iter_mut().zip(b_rz) {
                *v += bias;
            }
        }
        for bb in 0..b {
            let c = &mut cache[bb * cw..(bb + 1) * cw];
            if tt < lengths[bb] {
                let xp = &st.xproj[(bb * t + tt) * gh..(bb * t + tt + 1) * gh];
                cell.rb_forward_gates(xp, &hp[bb * gh..(bb + 1) * gh], &hs_prev[bb * h..(bb + 1) * h], c);
            } else {
                c[3 * h..].fill(0.0);
            }
        }
        // hp[:, 2H:3H] = (r ⊙ h_prev) · W_hnᵀ + b_hn, r ⊙ h_prev read from the cache rows
        let rh = Mat::n(&cache[3 * h..], cw);
        if packed {
            kernels::gemm_packed(b, rh, &st.w_n, false, &mut hp[2 * h..], gh);
        } else {
            kernels::gemm(b, h, h, rh, Mat::t(w_n, h), false, &mut hp[2 * h..], gh);
        }
        for row in hp.chunks_exact_mut(gh) {
            for (v, bias) in row[2 * h..].iter_mut().zip(b_n) {
                *v += bias;
            }
        }
        for bb in 0..b {
            let hr = bb * h..(bb + 1) * h;
            let orow = (bb * t + tt) * out_ld + out_off;
            if tt < lengths[bb] {
                let xp = &st.xproj[(bb * t + tt) * gh..(bb * t + tt + 1) * gh];
                let c = &mut cache[bb * cw..(bb + 1) * cw];
                gru_reset_before::forward_out(xp, &hp[bb * gh..(bb + 1) * gh], &hs_prev[hr.clone()], &mut hs_next[hr.clone()], c);
                out[orow..orow + h].copy_from_slice(&hs_next[hr]);
            } else {
                hs_next[hr.clone()].copy_from_slice(&hs_prev[hr]);
                out[orow..orow + h].fill(0.0);
            }
        }
    }
}

/// The backward step loop: fills dxp and dhp, and leaves dL/dh0 in `dh_carry` (which holds
/// dL/dh_n on entry). `dh_next` is [B, H] scratch.
#[allow(clippy::too_many_arguments)]
#[allow(clippy::needless_range_loop)] // bb indexes lengths and several row ranges together
pub(super) fn backward_steps(
    cell: CellKind,
    w_hh: &[f32],
    st: &mut DirBufs,
    b: usize,
    t: usize,
    h: usize,
    lengths: &[usize],
    reverse: bool,
    d_out: &[f32],
    out_ld: usize,
    out_off: usize,
    dh_carry: &mut Vec<f32>,
    dh_next: &mut Vec<f32>,
    mut norms: Option<DirSums>,
) {
    let (gh, cw) = (3 * h, 4 * h);
    let (w_rz, w_n) = w_hh.split_at(2 * h * h);
    let packed = b > kernels::SMALL_M;
    if packed {
        st.w_hh.pack(2 * h, h, Mat::n(w_rz, h));
        st.w_n.pack(h, h, Mat::n(w_n, h));
    }
    st.d_rh.resize(b * h, 0.0);
    for s in (0..t).rev() {
        let tt = if reverse { t - 1 - s } else { s };
        // dh_carry becomes the total gradient of h at this step
        for bb in 0..b {
            if tt < lengths[bb] {
                let orow = (bb * t + tt) * out_ld + out_off;
                for (d, g) in dh_carry[bb * h..(bb + 1) * h].iter_mut().zip(&d_out[orow..orow + h]) {
                    *d += g;
                }
            }
        }
        if let Some(n) = norms.as_mut() {
            n.add_h(tt, dh_carry, h, lengths);
        }
        let hs_prev = &st.hs[s * b * h..(s + 1) * b * h];
        let cache = &st.cache[s * b * cw..(s + 1) * b * cw];
        for bb in 0..b {
            let hr = bb * h..(bb + 1) * h;
            let xrow = (bb * t + tt) * gh..(bb * t + tt + 1) * gh;
            let hrow = (s * b + bb) * gh..(s * b + bb + 1) * gh;
            if tt < lengths[bb] {
                let c = &cache[bb * cw..(bb + 1) * cw];
                cell.rb_backward_out(
                    &dh_carry[hr.clone()],
                    c,
                    &hs_prev[hr.clone()],
                    &mut st.dxp[xrow],
                    &mut st.dhp[hrow],
                    &mut dh_next[hr],
                );
            } else {
                st.dxp[xrow].fill(0.0);
                st.dhp[hrow].fill(0.0);
                dh_next[hr.clone()].copy_from_slice(&dh_carry[hr]);
            }
        }
        // d(r ⊙ h_prev)[B, H] = dhp_n · W_hn
        let dhp_n = Mat::n(&st.dhp[s * b * gh + 2 * h..(s + 1) * b * gh], gh);
        if packed {
            kernels::gemm_packed(b, dhp_n, &st.w_n, false, &mut st.d_rh, h);
        } else {
            kernels::gemm(b, h, h, dhp_n, Mat::n(w_n, h), false, &mut st.d_rh, h);
        }
        for bb in 0..b {
            if tt < lengths[bb] {
                let hr = bb * h..(bb + 1) * h;
                let xrow = (bb * t + tt) * gh..(bb * t + tt + 1) * gh;
                let hrow = (s * b + bb) * gh..(s * b + bb + 1) * gh;
                let c = &cache[bb * cw..(bb + 1) * cw];
                cell.rb_backward_reset(
                    &st.d_rh[hr.clone()],
                    c,
                    &hs_prev[hr.clone()],
                    &mut st.dxp[xrow],
                    &mut st.dhp[hrow],
                    &mut dh_next[hr],
                );
            }
        }
        // dh_prev = dh_direct + dhp[:, 0:2H] · W_rz
        let dhp_rz = Mat::n(&st.dhp[s * b * gh..(s + 1) * b * gh], gh);
        if packed {
            kernels::gemm_packed(b, dhp_rz, &st.w_hh, true, dh_next, h);
        } else {
            kernels::gemm(b, h, 2 * h, dhp_rz, Mat::n(w_rz, h), true, dh_next, h);
        }
        std::mem::swap(dh_carry, dh_next);
    }
}

/// dW_hh [3·H, H] += over all steps: dW_rz = dhp[:, 0:2H]ᵀ · h_prev, dW_hn = dhp[:, 2H:3H]ᵀ ·
/// (r ⊙ h_prev), after `backward_steps`.
pub(super) fn weight_grads(g_hh: &mut [f32], st: &DirBufs, b: usize, t: usize, h: usize) {
    let (gh, cw) = (3 * h, 4 * h);
    let (g_rz, g_n) = g_hh.split_at_mut(2 * h * h);
    kernels::gemm(2 * h, h, t * b, Mat::t(&st.dhp, gh), Mat::n(&st.hs[..t * b * h], h), true, g_rz, h);
    kernels::gemm(h, h, t * b, Mat::t(&st.dhp[2 * h..], gh), Mat::n(&st.cache[3 * h..], cw), true, g_n, h);
}
