//! Recurrent cells: the maths of one step forward and backward, side by side, behind the
//! `Cell` trait (`step`); the layer (`layers::recurrent`) runs them over time, layers,
//! directions and masks.
//!
//! Conventions (PyTorch): gates are stacked along one [G·H] axis in the order
//! LSTM i,f,g,o (G=4), GRU r,z,n (G=3, reset applied after the recurrent product), RNN (G=1).
//! The `GruResetBefore*` kinds (Keras `reset_after=False`, TF.js's GRU) apply the reset gate
//! before the product, n = tanh(xp_n + W_hn·(r ⊙ h_prev) + b_hn); their steps run in two
//! phases around a second GEMM (`gru_reset_before`). `LstmProj` is PyTorch's LSTM with
//! `proj_size` (`lstm_proj`). `xp` = W_ih·x + b_ih and `hp` = W_hh·h_prev + b_hh are the two
//! pre-activation projections of one row (each [G·H]).
//!
//! Each cell keeps a per-row step cache of `cache_width(H)` floats for its backward.
//!
//! Adding a cell: its maths in a file here, as a `RowCell` (per-row maths around the one
//! product with W_hh) or a `Cell` (its own batched step); a `CellKind` variant with its name
//! in `name`/`parse` and its `Cell` in `with`. Nothing in `layers` changes.
//!
//! Gate activation (LSTM i,f,o; GRU r,z): σ by default, or TF.js/Keras's hard sigmoid
//! clip(0.2·x + 0.5, 0, 1) in the `*HardSigmoid` kinds. The choice is a kind (one match per
//! row, outside the element loops), so the σ cells compile to exactly the loops they had.

use crate::kernels;
use step::Rows;

pub mod gru;
pub mod gru_reset_before;
pub mod lstm;
pub mod lstm_proj;
pub mod rnn;
pub mod step;

pub use step::{BwdStep, Cell, DirWeights, FwdStep, Packs, WeightGrads};

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
    /// LSTM with a projection of h to `proj` < hidden units (PyTorch `proj_size`).
    LstmProj(usize),
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
    /// Runs `f` with this kind's `Cell` (the one place a kind becomes its maths).
    #[inline]
    pub fn with<R>(self, f: impl FnOnce(&dyn Cell) -> R) -> R {
        match self {
            CellKind::RnnTanh => f(&Rows(rnn::Rnn::<false>)),
            CellKind::RnnRelu => f(&Rows(rnn::Rnn::<true>)),
            CellKind::Lstm => f(&Rows(lstm::Lstm::<false>)),
            CellKind::LstmHardSigmoid => f(&Rows(lstm::Lstm::<true>)),
            CellKind::Gru => f(&Rows(gru::Gru::<false>)),
            CellKind::GruHardSigmoid => f(&Rows(gru::Gru::<true>)),
            CellKind::GruResetBefore => f(&gru_reset_before::GruResetBefore::<false>),
            CellKind::GruResetBeforeHardSigmoid => f(&gru_reset_before::GruResetBefore::<true>),
            CellKind::LstmProj(proj) => f(&lstm_proj::LstmProj { proj }),
        }
    }
    /// Number of stacked gates G.
    pub fn gates(self) -> usize {
        self.with(|c| c.gates())
    }
    /// Whether the cell carries a cell state c (LSTM).
    pub fn has_c(self) -> bool {
        self.with(|c| c.has_c())
    }
    /// Floats of step cache per row.
    pub fn cache_width(self, h: usize) -> usize {
        self.with(|c| c.cache_width(h))
    }
    /// Width of h and of the outputs for H hidden units (H, or the projection).
    pub fn state_width(self, h: usize) -> usize {
        self.with(|c| c.state_width(h))
    }
    /// The projection size P of `LstmProj`, else 0 (PyTorch's `proj_size`).
    pub fn proj_size(self) -> usize {
        if let CellKind::LstmProj(p) = self { p } else { 0 }
    }
    /// This LSTM kind with a projection to `proj` units (0: none); `None` when another cell
    /// (or hard-sigmoid gates) is asked for a projection.
    pub fn with_proj(self, proj: usize) -> Option<Self> {
        match (self, proj) {
            (CellKind::LstmProj(_), 0) => Some(CellKind::Lstm),
            (k, 0) => Some(k),
            (CellKind::Lstm | CellKind::LstmProj(_), p) => Some(CellKind::LstmProj(p)),
            _ => None,
        }
    }
    /// The PyTorch-style name: "rnn_tanh", "rnn_relu", "lstm", "gru" (the reset-before GRU
    /// is "gru_reset_before"; the hard-sigmoid kinds add "_hard_sigmoid"; the projected LSTM
    /// is "lstm", its size in `proj_size`).
    pub fn name(self) -> &'static str {
        match self {
            CellKind::RnnTanh => "rnn_tanh",
            CellKind::RnnRelu => "rnn_relu",
            CellKind::Lstm | CellKind::LstmProj(_) => "lstm",
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
}
