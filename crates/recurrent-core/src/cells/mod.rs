//! Recurrent cells: the per-step, per-row maths of forward and backward, side by side.
//!
//! Conventions (PyTorch): gates are stacked along one [G·H] axis in the order
//! LSTM i,f,g,o (G=4), GRU r,z,n (G=3, reset applied after the recurrent product), RNN (G=1).
//! The `GruResetBefore*` kinds (Keras `reset_after=False`, TF.js's GRU) apply the reset gate
//! before the product, n = tanh(xp_n + W_hn·(r ⊙ h_prev) + b_hn); their steps run in two
//! phases around a second GEMM in the layer (`gru_reset_before`), not through `forward_row`.
//! `xp` = W_ih·x + b_ih and `hp` = W_hh·h_prev + b_hh are the two pre-activation projections
//! of one row (each [G·H]); the layer computes them with GEMMs and calls the cell per row.
//!
//! Each cell keeps a per-row step cache of `cache_width(H)` floats for its backward.
//!
//! Gate activation (LSTM i,f,o; GRU r,z): σ by default, or TF.js/Keras's hard sigmoid
//! clip(0.2·x + 0.5, 0, 1) in the `*HardSigmoid` kinds. The choice is a kind (one match per
//! row, outside the element loops), so the σ cells compile to exactly the loops they had.

use crate::kernels;

pub mod gru;
pub mod gru_reset_before;
pub mod lstm;
pub mod rnn;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    RnnTanh,
    RnnRelu,
    Lstm,
    Gru,
    /// LSTM with hard-sigmoid gates (TF.js and Keras 2's default `recurrent_activation`).
    LstmHardSigmoid,
    /// GRU (reset after the product) with hard-sigmoid gates.
    GruHardSigmoid,
    /// GRU with the reset gate applied before the recurrent product (Keras `reset_after=False`).
    GruResetBefore,
    /// `GruResetBefore` with hard-sigmoid gates (TF.js's default GRU).
    GruResetBeforeHardSigmoid,
}

/// Gate activation: σ(x), or (`HARD`) TF.js's hardSigmoid clip(0.2·x + 0.5, 0, 1)
/// computed as TF.js does (`add(0.5, mul(0.2, x))` in f32, then clip).
#[inline]
pub(crate) fn gate<const HARD: bool>(x: &mut [f32]) {
    if HARD {
        for v in x.iter_mut() {
            *v = (0.2 * *v + 0.5).clamp(0.0, 1.0);
        }
    } else {
        kernels::sigmoid(x);
    }
}

/// `d` times the gate's derivative, from the gate's output y: σ' = y(1 − y) (multiplied in
/// the order the σ cells always used); hard sigmoid: 0.2 strictly inside (0, 1), else 0.
#[inline(always)]
pub(crate) fn dgate<const HARD: bool>(d: f32, y: f32) -> f32 {
    if HARD { if y > 0.0 && y < 1.0 { d * 0.2 } else { 0.0 } } else { d * y * (1.0 - y) }
}

impl CellKind {
    /// Number of stacked gates G.
    pub fn gates(self) -> usize {
        match self {
            CellKind::RnnTanh | CellKind::RnnRelu => 1,
            CellKind::Lstm | CellKind::LstmHardSigmoid => 4,
            CellKind::Gru | CellKind::GruHardSigmoid | CellKind::GruResetBefore | CellKind::GruResetBeforeHardSigmoid => 3,
        }
    }
    /// Whether the cell carries a cell state c (LSTM).
    pub fn has_c(self) -> bool {
        matches!(self, CellKind::Lstm | CellKind::LstmHardSigmoid)
    }
    /// Floats of step cache per row.
    pub fn cache_width(self, h: usize) -> usize {
        match self {
            CellKind::RnnTanh | CellKind::RnnRelu => 0,
            CellKind::Lstm | CellKind::LstmHardSigmoid => 5 * h,
            CellKind::Gru | CellKind::GruHardSigmoid | CellKind::GruResetBefore | CellKind::GruResetBeforeHardSigmoid => 4 * h,
        }
    }
    /// Whether the reset gate is applied before the recurrent product (the two-phase step).
    pub fn resets_before(self) -> bool {
        matches!(self, CellKind::GruResetBefore | CellKind::GruResetBeforeHardSigmoid)
    }
    /// The PyTorch-style name: "rnn_tanh", "rnn_relu", "lstm", "gru" (the reset-before GRU
    /// is "gru_reset_before"; the hard-sigmoid kinds add "_hard_sigmoid").
    pub fn name(self) -> &'static str {
        match self {
            CellKind::RnnTanh => "rnn_tanh",
            CellKind::RnnRelu => "rnn_relu",
            CellKind::Lstm => "lstm",
            CellKind::Gru => "gru",
            CellKind::LstmHardSigmoid => "lstm_hard_sigmoid",
            CellKind::GruHardSigmoid => "gru_hard_sigmoid",
            CellKind::GruResetBefore => "gru_reset_before",
            CellKind::GruResetBeforeHardSigmoid => "gru_reset_before_hard_sigmoid",
        }
    }
    /// This kind with the named gate activation ("sigmoid" or "hardSigmoid"); `None` when
    /// the name is unknown or the cell has no sigmoid gates (RNN) but hardSigmoid was asked.
    pub fn with_gate_activation(self, act: &str) -> Option<Self> {
        let base = match self {
            CellKind::LstmHardSigmoid => CellKind::Lstm,
            CellKind::GruHardSigmoid => CellKind::Gru,
            CellKind::GruResetBeforeHardSigmoid => CellKind::GruResetBefore,
            k => k,
        };
        match (base, act) {
            (k, "sigmoid") => Some(k),
            (CellKind::Lstm, "hardSigmoid") => Some(CellKind::LstmHardSigmoid),
            (CellKind::Gru, "hardSigmoid") => Some(CellKind::GruHardSigmoid),
            (CellKind::GruResetBefore, "hardSigmoid") => Some(CellKind::GruResetBeforeHardSigmoid),
            _ => None,
        }
    }
    /// This GRU kind with the reset gate after (`true`, PyTorch) or before (`false`, Keras
    /// `reset_after=False`) the recurrent product, keeping its gate activation; `None` for a
    /// non-GRU cell asked for `false`.
    pub fn with_reset_after(self, after: bool) -> Option<Self> {
        Some(match (self, after) {
            (CellKind::Gru | CellKind::GruResetBefore, true) => CellKind::Gru,
            (CellKind::GruHardSigmoid | CellKind::GruResetBeforeHardSigmoid, true) => CellKind::GruHardSigmoid,
            (CellKind::Gru | CellKind::GruResetBefore, false) => CellKind::GruResetBefore,
            (CellKind::GruHardSigmoid | CellKind::GruResetBeforeHardSigmoid, false) => CellKind::GruResetBeforeHardSigmoid,
            (k, true) => k,
            (_, false) => return None,
        })
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "rnn_tanh" | "rnn" | "tanh" => CellKind::RnnTanh,
            "rnn_relu" | "relu" => CellKind::RnnRelu,
            "lstm" => CellKind::Lstm,
            "gru" => CellKind::Gru,
            "lstm_hard_sigmoid" => CellKind::LstmHardSigmoid,
            "gru_hard_sigmoid" => CellKind::GruHardSigmoid,
            "gru_reset_before" => CellKind::GruResetBefore,
            "gru_reset_before_hard_sigmoid" => CellKind::GruResetBeforeHardSigmoid,
            _ => return None,
        })
    }

    /// One row of one step forward. `hp` is scratch (may be overwritten). Not for the
    /// reset-before GRU (`resets_before`), whose step the layer runs in two phases.
    /// Shapes: xp, hp [G·H]; h_prev, h [H]; c_prev, c [H] (LSTM, else empty); cache [cache_width].
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn forward_row(self, xp: &[f32], hp: &mut [f32], h_prev: &[f32], c_prev: &[f32], h: &mut [f32], c: &mut [f32], cache: &mut [f32]) {
        match self {
            CellKind::RnnTanh => rnn::forward_row(false, xp, hp, h),
            CellKind::RnnRelu => rnn::forward_row(true, xp, hp, h),
            CellKind::Lstm => lstm::forward_row::<false>(xp, hp, c_prev, h, c, cache),
            CellKind::Gru => gru::forward_row::<false>(xp, hp, h_prev, h, cache),
            CellKind::LstmHardSigmoid => lstm::forward_row::<true>(xp, hp, c_prev, h, c, cache),
            CellKind::GruHardSigmoid => gru::forward_row::<true>(xp, hp, h_prev, h, cache),
            CellKind::GruResetBefore | CellKind::GruResetBeforeHardSigmoid => unreachable!("the reset-before GRU steps in two phases"),
        }
    }

    /// One row of one step backward.
    /// In: dh [H] (total gradient of this step's h), dc [H] (LSTM: gradient of this step's c,
    /// replaced by the gradient of c_prev). Out: dxp, dhp [G·H] (gradients of the two
    /// projections) and dh_direct [H] (the part of dL/dh_prev that bypasses W_hh).
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn backward_row(
        self,
        dh: &[f32],
        dc: &mut [f32],
        cache: &[f32],
        h_prev: &[f32],
        c_prev: &[f32],
        h: &[f32],
        dxp: &mut [f32],
        dhp: &mut [f32],
        dh_direct: &mut [f32],
    ) {
        match self {
            CellKind::RnnTanh => rnn::backward_row(false, dh, h, dxp, dhp, dh_direct),
            CellKind::RnnRelu => rnn::backward_row(true, dh, h, dxp, dhp, dh_direct),
            CellKind::Lstm => lstm::backward_row::<false>(dh, dc, cache, c_prev, dxp, dhp, dh_direct),
            CellKind::Gru => gru::backward_row::<false>(dh, cache, h_prev, dxp, dhp, dh_direct),
            CellKind::LstmHardSigmoid => lstm::backward_row::<true>(dh, dc, cache, c_prev, dxp, dhp, dh_direct),
            CellKind::GruHardSigmoid => gru::backward_row::<true>(dh, cache, h_prev, dxp, dhp, dh_direct),
            CellKind::GruResetBefore | CellKind::GruResetBeforeHardSigmoid => unreachable!("the reset-before GRU steps in two phases"),
        }
    }

    /// Reset-before GRU, forward phase 1 of one row (see `gru_reset_before::forward_gates`).
    #[inline]
    pub fn rb_forward_gates(self, xp: &[f32], hp: &[f32], h_prev: &[f32], cache: &mut [f32]) {
        match self {
            CellKind::GruResetBeforeHardSigmoid => gru_reset_before::forward_gates::<true>(xp, hp, h_prev, cache),
            _ => gru_reset_before::forward_gates::<false>(xp, hp, h_prev, cache),
        }
    }

    /// Reset-before GRU, backward phase 1 of one row (see `gru_reset_before::backward_out`).
    #[inline]
    pub fn rb_backward_out(self, dh: &[f32], cache: &[f32], h_prev: &[f32], dxp: &mut [f32], dhp: &mut [f32], dh_direct: &mut [f32]) {
        match self {
            CellKind::GruResetBeforeHardSigmoid => gru_reset_before::backward_out::<true>(dh, cache, h_prev, dxp, dhp, dh_direct),
            _ => gru_reset_before::backward_out::<false>(dh, cache, h_prev, dxp, dhp, dh_direct),
        }
    }

    /// Reset-before GRU, backward phase 2 of one row (see `gru_reset_before::backward_reset`).
    #[inline]
    pub fn rb_backward_reset(self, d_rh: &[f32], cache: &[f32], h_prev: &[f32], dxp: &mut [f32], dhp: &mut [f32], dh_direct: &mut [f32]) {
        match self {
            CellKind::GruResetBeforeHardSigmoid => gru_reset_before::backward_reset::<true>(d_rh, cache, h_prev, dxp, dhp, dh_direct),
            _ => gru_reset_before::backward_reset::<false>(d_rh, cache, h_prev, dxp, dhp, dh_direct),
        }
    }
}
