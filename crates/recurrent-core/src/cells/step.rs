//! The `Cell` trait: what one cell brings to the recurrent layer (its parameter shapes and
//! one batched step forward and backward), and `Rows`, the step of every cell whose maths is
//! per row around the one product with W_hh (RNN, LSTM, GRU).
//!
//! The layer (`layers::recurrent`) owns everything else: the stack of layers, both
//! directions, the input projection xp = W_ih·x + b_ih of every step as one GEMM, the states
//! over time, the gradients of W_ih, b_ih, b_hh and x, and masking. A step is called for the
//! whole batch with `active[b]` (t < len[b]); for an inactive row the layer zeroes the cache
//! row before the forward step and afterwards carries h and c through, and before the
//! backward step zeroes the row's dxp and dhp and sets its dh_prev = dh. A cell therefore
//! skips inactive rows in its row loops; its GEMMs may run over every row.
//!
//! Widths: G stacked gates, H hidden units, S = `state_width(H)` (the width of h, of the
//! outputs and of W_hh's columns: H, or the projection P), `cache_width(H)` floats per row.

use crate::kernels::{self, Mat, PackedB};

/// One cell's maths over a batch. Implementations are stateless (sizes come from the step).
pub trait Cell {
    /// Stacked gates G: W_ih is [G·H, I], W_hh [G·H, S], b_ih and b_hh [G·H].
    fn gates(&self) -> usize;
    /// Width S of h, of the outputs and of W_hh's columns.
    fn state_width(&self, h: usize) -> usize {
        h
    }
    /// Whether the cell carries a cell state c [H] (LSTM).
    fn has_c(&self) -> bool {
        false
    }
    /// Floats of step cache per row, kept from the forward for the backward.
    fn cache_width(&self, h: usize) -> usize;
    /// Parameters of each direction after W_ih, W_hh, b_ih, b_hh: (PyTorch stem, shape);
    /// registered back to back as `{stem}_l{k}[_reverse]` and given to the steps as one
    /// slice (`DirWeights::extra`, `WeightGrads::g_extra`) in this order.
    fn extra_params(&self, _h: usize) -> Vec<(&'static str, Vec<usize>)> {
        Vec::new()
    }
    /// Packs what the steps of one direction multiply by, once per sweep (`backward` picks
    /// the backward's operands); called with the batch size B.
    fn pack(&self, w: &DirWeights, packs: &mut Packs, b: usize, h: usize, backward: bool);
    /// One step forward: h (and c, cache) of the active rows from xp, h_prev (and c_prev).
    fn forward(&self, s: FwdStep);
    /// One step backward: dxp, dhp of the active rows and dh_prev (+)= their gradient.
    fn backward(&self, s: BwdStep);
    /// After the backward sweep, adds the gradients of W_hh and of the extra parameters over
    /// all steps. Default: dW_hh += Σ_t dhpᵀ · h_prev.
    fn weight_grads(&self, g: WeightGrads) {
        let (gh, sw) = (self.gates() * g.h, self.state_width(g.h));
        let tb = g.t * g.b;
        kernels::gemm(gh, sw, tb, Mat::t(g.dhp, gh), Mat::n(&g.hs[..tb * sw], sw), true, g.g_hh, sw);
    }
}

/// One direction's recurrent weights: W_hh [G·H, S], b_hh [G·H], and the extra parameters
/// back to back (see `Cell::extra_params`).
pub struct DirWeights<'a> {
    pub w_hh: &'a [f32],
    pub b_hh: &'a [f32],
    pub extra: &'a [f32],
}

/// Packed operands of one direction (a cell uses what it packed in `Cell::pack`); packing
/// pays off above `kernels::SMALL_M` rows.
#[derive(Default)]
pub struct Packs {
    pub a: PackedB,
    pub b: PackedB,
}

impl Packs {
    /// Whether a batch of B rows multiplies packed operands.
    pub fn used(b: usize) -> bool {
        b > kernels::SMALL_M
    }
}

/// Inputs and outputs of one forward step over B rows.
pub struct FwdStep<'a> {
    pub b: usize,
    pub h: usize,
    /// [B]: whether row b runs this step.
    pub active: &'a [bool],
    /// Input projections: row b at `xp[b·xp_ld..][..G·H]`.
    pub xp: &'a [f32],
    pub xp_ld: usize,
    /// [B, S] in, [B, S] out.
    pub h_prev: &'a [f32],
    pub h_next: &'a mut [f32],
    /// [B, H] in and out (cells with c), else empty.
    pub c_prev: &'a [f32],
    pub c_next: &'a mut [f32],
    /// [B, cache_width].
    pub cache: &'a mut [f32],
    /// [B, G·H] scratch for the recurrent projection.
    pub hp: &'a mut [f32],
    pub w: &'a DirWeights<'a>,
    pub packs: &'a Packs,
}

/// Inputs and outputs of one backward step over B rows (step s of T, for cells that keep
/// something per step in `scratch`).
pub struct BwdStep<'a> {
    pub b: usize,
    pub h: usize,
    pub s: usize,
    pub t: usize,
    pub active: &'a [bool],
    /// [B, S]: the total gradient of this step's h.
    pub dh: &'a [f32],
    /// [B, H] (cells with c): the gradient of this step's c, replaced by that of c_prev.
    pub dc: &'a mut [f32],
    /// The forward's values at this step: h_prev, h [B, S], c_prev [B, H], cache.
    pub h_prev: &'a [f32],
    pub h_cur: &'a [f32],
    pub c_prev: &'a [f32],
    pub cache: &'a [f32],
    /// Gradients of the input projections: row b at `dxp[b·xp_ld..][..G·H]`.
    pub dxp: &'a mut [f32],
    pub xp_ld: usize,
    /// [B, G·H]: gradients of the recurrent projections (kept by the layer for dW_hh, db_hh).
    pub dhp: &'a mut [f32],
    /// [B, S]: dL/dh_prev; inactive rows arrive holding dh.
    pub dh_prev: &'a mut [f32],
    /// The cell's own buffer, kept over the sweep and into `weight_grads`.
    pub scratch: &'a mut Vec<f32>,
    pub w: &'a DirWeights<'a>,
    pub packs: &'a Packs,
}

/// What `Cell::weight_grads` reads (the whole sweep, indexed by iteration step s) and adds to.
pub struct WeightGrads<'a> {
    pub b: usize,
    pub t: usize,
    pub h: usize,
    /// [(T+1)·B, S]: hs[s] is h_prev of step s.
    pub hs: &'a [f32],
    /// [T·B, cache_width].
    pub cache: &'a [f32],
    /// [T·B, G·H].
    pub dhp: &'a [f32],
    pub scratch: &'a [f32],
    /// Gradients of W_hh and of the extra parameters (back to back).
    pub g_hh: &'a mut [f32],
    pub g_extra: &'a mut [f32],
}

/// One row of one forward step. Shapes: xp, hp [G·H] (hp may be overwritten); h_prev, h [H];
/// c_prev, c [H] (cells with c, else empty); cache [cache_width].
pub struct FwdRow<'a> {
    pub xp: &'a [f32],
    pub hp: &'a mut [f32],
    pub h_prev: &'a [f32],
    pub c_prev: &'a [f32],
    pub h: &'a mut [f32],
    pub c: &'a mut [f32],
    pub cache: &'a mut [f32],
}

/// One row of one backward step. In: dh [H] (total gradient of this step's h), dc [H] (cells
/// with c: gradient of this step's c, replaced by the gradient of c_prev). Out: dxp, dhp
/// [G·H] (gradients of the two projections) and dh_direct [H] (the part of dL/dh_prev that
/// bypasses W_hh).
pub struct BwdRow<'a> {
    pub dh: &'a [f32],
    pub dc: &'a mut [f32],
    pub cache: &'a [f32],
    pub h_prev: &'a [f32],
    pub c_prev: &'a [f32],
    pub h: &'a [f32],
    pub dxp: &'a mut [f32],
    pub dhp: &'a mut [f32],
    pub dh_direct: &'a mut [f32],
}

/// A cell whose step is hp = h_prev·W_hhᵀ + b_hh, then maths per row (and backward: maths
/// per row, then dh_prev = dh_direct + dhp·W_hh). `Rows(cell)` is its `Cell`.
pub trait RowCell {
    const GATES: usize;
    const HAS_C: bool = false;
    fn cache_width(h: usize) -> usize;
    fn forward_row(r: FwdRow);
    fn backward_row(r: BwdRow);
}

/// The `Cell` of a `RowCell`.
pub struct Rows<C>(pub C);

impl<C: RowCell> Cell for Rows<C> {
    fn gates(&self) -> usize {
        C::GATES
    }
    fn has_c(&self) -> bool {
        C::HAS_C
    }
    fn cache_width(&self, h: usize) -> usize {
        C::cache_width(h)
    }
    fn pack(&self, w: &DirWeights, packs: &mut Packs, b: usize, h: usize, backward: bool) {
        let gh = C::GATES * h;
        if !Packs::used(b) {
            return;
        }
        if backward {
            packs.b.pack(gh, h, Mat::n(w.w_hh, h));
        } else {
            packs.a.pack(h, gh, Mat::t(w.w_hh, h));
        }
    }
    #[allow(clippy::needless_range_loop)] // bb indexes active and several row ranges together
    fn forward(&self, s: FwdStep) {
        let (b, h) = (s.b, s.h);
        let (gh, cw) = (C::GATES * h, C::cache_width(h));
        // hp[B, GH] = h_prev · W_hhᵀ + b_hh
        if Packs::used(b) {
            kernels::gemm_packed(b, Mat::n(s.h_prev, h), &s.packs.a, false, s.hp, gh);
        } else {
            kernels::gemm(b, gh, h, Mat::n(s.h_prev, h), Mat::t(s.w.w_hh, h), false, s.hp, gh);
        }
        for row in s.hp.chunks_exact_mut(gh) {
            for (v, bias) in row.iter_mut().zip(s.w.b_hh) {
                *v += bias;
            }
        }
        for bb in 0..b {
            if !s.active[bb] {
                continue;
            }
            let hr = bb * h..(bb + 1) * h;
            let (c_prev, c): (&[f32], &mut [f32]) =
                if C::HAS_C { (&s.c_prev[hr.clone()], &mut s.c_next[hr.clone()]) } else { (&[], &mut []) };
            C::forward_row(FwdRow {
                xp: &s.xp[bb * s.xp_ld..bb * s.xp_ld + gh],
                hp: &mut s.hp[bb * gh..(bb + 1) * gh],
                h_prev: &s.h_prev[hr.clone()],
                c_prev,
                h: &mut s.h_next[hr],
                c,
                cache: &mut s.cache[bb * cw..(bb + 1) * cw],
            });
        }
    }
    #[allow(clippy::needless_range_loop)] // bb indexes active and several row ranges together
    fn backward(&self, s: BwdStep) {
        let (b, h) = (s.b, s.h);
        let (gh, cw) = (C::GATES * h, C::cache_width(h));
        for bb in 0..b {
            if !s.active[bb] {
                continue;
            }
            let hr = bb * h..(bb + 1) * h;
            let (c_prev, dc): (&[f32], &mut [f32]) = if C::HAS_C { (&s.c_prev[hr.clone()], &mut s.dc[hr.clone()]) } else { (&[], &mut []) };
            C::backward_row(BwdRow {
                dh: &s.dh[hr.clone()],
                dc,
                cache: &s.cache[bb * cw..(bb + 1) * cw],
                h_prev: &s.h_prev[hr.clone()],
                c_prev,
                h: &s.h_cur[hr.clone()],
                dxp: &mut s.dxp[bb * s.xp_ld..bb * s.xp_ld + gh],
                dhp: &mut s.dhp[bb * gh..(bb + 1) * gh],
                dh_direct: &mut s.dh_prev[hr],
            });
        }
        // dh_prev = dh_direct + dhp · W_hh
        let dhp = Mat::n(s.dhp, gh);
        if Packs::used(b) {
            kernels::gemm_packed(b, dhp, &s.packs.b, true, s.dh_prev, h);
        } else {
            kernels::gemm(b, h, gh, dhp, Mat::n(s.w.w_hh, h), true, s.dh_prev, h);
        }
    }
}
