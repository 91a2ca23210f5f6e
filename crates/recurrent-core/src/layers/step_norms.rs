//! Per-step gradient norms of a recurrent stack: how much of the loss's gradient reaches each
//! step's state, the quantity behind "vanishing and exploding gradients".
//!
//! A backward records them only when asked (`RecurrentStack::record_step_norms`); otherwise
//! the step loops test one `Option` per step and nothing else.
//!
//! Conventions: rows l·D + d (layer l, forward d = 0 before reverse d = 1, as h0/h_n), columns
//! t in time order (for the reverse direction too). Entry (row, t) is the norm over the whole
//! batch, sqrt(Σ_b Σ_j (dL/dh_t[b, j])²), of the total gradient of that direction's state
//! after it read step t: through the output at t, the next step, and the layer above. Only
//! rows with t < len[b] count (a padded step has no state of its own). For the LSTM, `c`
//! holds the same for the cell state c_t (including the path through h_t = o ⊙ tanh(c_t));
//! a projected LSTM (proj_size) records h only.

/// Norms recorded by the last backward: `h` and (LSTM) `c`, each [rows = L·D, steps = T].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepNorms {
    pub rows: usize,
    pub steps: usize,
    pub h: Vec<f32>,
    /// Empty for cells without a cell state.
    pub c: Vec<f32>,
}

/// Sums of squares of one direction during a backward: h [T] and c [T] (empty without a cell
/// state), in f64 so that a long sequence's small terms are not lost.
pub struct DirSums<'a> {
    pub h: &'a mut [f64],
    pub c: &'a mut [f64],
}

impl DirSums<'_> {
    /// Adds Σ over active rows of ||dh[b]||² at time `tt`; dh [B, S] is the total gradient of h_t.
    pub fn add_h(&mut self, tt: usize, dh: &[f32], h: usize, lengths: &[usize]) {
        self.h[tt] += active_sum(tt, dh, h, lengths, |row, _| sq(row));
    }

    /// LSTM: adds Σ over active rows of ||dL/dc_t[b]||² at time `tt`, where the total gradient
    /// is dc_carry + dh ⊙ o ⊙ (1 − tanh²(c_t)). dh, dc_carry [B, H]; cache [B, 5H] is the
    /// step's LSTM cache, per row [i, f, g, o, tanh(c_t)] (cells/lstm.rs).
    pub fn add_c_lstm(&mut self, tt: usize, dh: &[f32], dc_carry: &[f32], cache: &[f32], h: usize, lengths: &[usize]) {
        self.c[tt] += active_sum(tt, dh, h, lengths, |dh_row, bb| {
            let dc_row = &dc_carry[bb * h..(bb + 1) * h];
            let (o, tc) = (&cache[bb * 5 * h + 3 * h..bb * 5 * h + 4 * h], &cache[bb * 5 * h + 4 * h..(bb + 1) * 5 * h]);
            (0..h).map(|j| f64::from(dc_row[j] + dh_row[j] * o[j] * (1.0 - tc[j] * tc[j])).powi(2)).sum()
        });
    }
}

fn sq(v: &[f32]) -> f64 {
    v.iter().map(|&x| f64::from(x) * f64::from(x)).sum()
}

/// Σ of `f(row of x, b)` over the rows b active at time `tt` (tt < lengths[b]).
fn active_sum(tt: usize, x: &[f32], h: usize, lengths: &[usize], f: impl Fn(&[f32], usize) -> f64) -> f64 {
    lengths.iter().enumerate().filter(|&(_, &len)| tt < len).map(|(bb, _)| f(&x[bb * h..(bb + 1) * h], bb)).sum()
}

impl StepNorms {
    /// Whether c norms are recorded for `cell`: the LSTM's (a projected LSTM records h only).
    pub fn records_c(cell: crate::cells::CellKind) -> bool {
        use crate::cells::CellKind;
        matches!(cell, CellKind::Lstm | CellKind::LstmHardSigmoid)
    }

    /// Zeroed sums for `rows` × `steps` (h, and c when `has_c`), reusing `sums`.
    pub fn start(sums: &mut Vec<f64>, rows: usize, steps: usize, has_c: bool) {
        sums.clear();
        sums.resize(rows * steps * if has_c { 2 } else { 1 }, 0.0);
    }

    /// Direction `i`'s slices of the sums laid out by `start`.
    pub fn dir(sums: &mut [f64], i: usize, rows: usize, steps: usize) -> DirSums<'_> {
        let (hs, cs) = sums.split_at_mut(rows * steps);
        let c: &mut [f64] = if cs.is_empty() { &mut [] } else { &mut cs[i * steps..(i + 1) * steps] };
        DirSums { h: &mut hs[i * steps..(i + 1) * steps], c }
    }

    /// The norms (square roots) of sums laid out by `start`.
    pub fn finish(sums: &[f64], rows: usize, steps: usize) -> StepNorms {
        let n = rows * steps;
        let root = |v: &[f64]| v.iter().map(|&s| s.sqrt() as f32).collect::<Vec<f32>>();
        StepNorms { rows, steps, h: root(&sums[..n]), c: root(&sums[n..]) }
    }
}
