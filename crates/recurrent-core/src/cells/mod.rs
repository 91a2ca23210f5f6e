//! Recurrent cells: the per-step, per-row maths of forward and backward, side by side.
//!
//! Conventions (PyTorch): gates are stacked along one [G·H] axis in the order
//! LSTM i,f,g,o (G=4), GRU r,z,n (G=3, reset applied after the recurrent product), RNN (G=1).
//! `xp` = W_ih·x + b_ih and `hp` = W_hh·h_prev + b_hh are the two pre-activation projections
//! of one row (each [G·H]); the layer computes them with GEMMs and calls the cell per row.
//!
//! Each cell keeps a per-row step cache of `cache_width(H)` floats for its backward.

pub mod gru;
pub mod lstm;
pub mod rnn;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    RnnTanh,
    RnnRelu,
    Lstm,
    Gru,
}

impl CellKind {
    /// Number of stacked gates G.
    pub fn gates(self) -> usize {
        match self {
            CellKind::RnnTanh | CellKind::RnnRelu => 1,
            CellKind::Lstm => 4,
            CellKind::Gru => 3,
        }
    }
    /// Whether the cell carries a cell state c (LSTM).
    pub fn has_c(self) -> bool {
        self == CellKind::Lstm
    }
    /// Floats of step cache per row.
    pub fn cache_width(self, h: usize) -> usize {
        match self {
            CellKind::RnnTanh | CellKind::RnnRelu => 0,
            CellKind::Lstm => 5 * h,
            CellKind::Gru => 4 * h,
        }
    }
    /// The PyTorch-style name: "rnn_tanh", "rnn_relu", "lstm", "gru".
    pub fn name(self) -> &'static str {
        match self {
            CellKind::RnnTanh => "rnn_tanh",
            CellKind::RnnRelu => "rnn_relu",
            CellKind::Lstm => "lstm",
            CellKind::Gru => "gru",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "rnn_tanh" | "rnn" | "tanh" => CellKind::RnnTanh,
            "rnn_relu" | "relu" => CellKind::RnnRelu,
            "lstm" => CellKind::Lstm,
            "gru" => CellKind::Gru,
            _ => return None,
        })
    }

    /// One row of one step forward. `hp` is scratch (may be overwritten).
    /// Shapes: xp, hp [G·H]; h_prev, h [H]; c_prev, c [H] (LSTM, else empty); cache [cache_width].
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn forward_row(self, xp: &[f32], hp: &mut [f32], h_prev: &[f32], c_prev: &[f32], h: &mut [f32], c: &mut [f32], cache: &mut [f32]) {
        match self {
            CellKind::RnnTanh => rnn::forward_row(false, xp, hp, h),
            CellKind::RnnRelu => rnn::forward_row(true, xp, hp, h),
            CellKind::Lstm => lstm::forward_row(xp, hp, c_prev, h, c, cache),
            CellKind::Gru => gru::forward_row(xp, hp, h_prev, h, cache),
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
            CellKind::Lstm => lstm::backward_row(dh, dc, cache, c_prev, dxp, dhp, dh_direct),
            CellKind::Gru => gru::backward_row(dh, cache, h_prev, dxp, dhp, dh_direct),
        }
    }
}
