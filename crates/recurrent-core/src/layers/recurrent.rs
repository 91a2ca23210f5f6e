//! A recurrent stack: `layers` × {forward, reverse} runs of one cell kind, with per-row
//! lengths (packed-sequence semantics) and inverted dropout between layers.
//!
//! Shapes (batch-first, row-major): x [B, T, I]; out [B, T, D·H]; h0/c0/h_n/c_n [L·D, B, H],
//! ordered layer by layer with forward before reverse (PyTorch).
//!
//! Per direction, the work is:
//! - forward: xproj[B·T, G·H] = X · W_ihᵀ + b_ih as one GEMM; then per step one GEMM
//!   hp[B, G·H] = h_prev · W_hhᵀ + b_hh (W_hhᵀ packed once) and the cell's row maths;
//! - backward: per step the cell's row maths and one GEMM dh_prev = dhp · W_hh; after the
//!   sweep, dW_hh, dW_ih, biases and dX as single GEMMs over all steps.
//!
//! Internal buffers are indexed by iteration step s (t = s forward, t = T−1−s reverse):
//! hs/cs [(T+1)·B, H] (hs[0] = h0), cache and dhp [T·B, ·]. xproj and dxp follow x's
//! batch-major row order (row b·T + t).
//!
//! The reset-before GRU (`CellKind::resets_before`) needs r before its n-gate product, so its
//! steps run in `reset_before`: per step a GEMM over the r, z rows of W_hh, the gates, a
//! GEMM of (r ⊙ h_prev) over the n rows, then n and h (backward mirrors it); the other cells'
//! step loops are untouched.
//!
//! Masks: a row b is active at time t when t < len[b]. An inactive step leaves the state as
//! it was, outputs zero, and passes gradients straight through. Reverse runs therefore start
//! at each row's last valid step.

use super::step_norms::{DirSums, StepNorms};
use super::{ParamTable, Slot};
use crate::cells::CellKind;
use crate::error::{Error, Result, check_finite, check_len};
use crate::kernels::{self, Mat, PackedB, col_sum_acc};
use crate::limits::{MAX_BATCH, MAX_BATCH_ELEMENTS, MAX_DIM, MAX_LAYERS, MAX_STEPS, MAX_UNITS, check_between, product};
use crate::rng::Rng;

mod reset_before;

#[derive(Clone, Debug, PartialEq)]
pub struct RecurrentConfig {
    pub cell: CellKind,
    pub input: usize,
    pub hidden: usize,
    pub layers: usize,
    pub bidirectional: bool,
    /// Inverted dropout on the outputs of every layer but the last (PyTorch's `dropout`).
    pub dropout: f32,
}

impl RecurrentConfig {
    pub fn dirs(&self) -> usize {
        if self.bidirectional { 2 } else { 1 }
    }
    pub fn out_dim(&self) -> usize {
        self.dirs() * self.hidden
    }
    pub fn layer_input(&self, l: usize) -> usize {
        if l == 0 { self.input } else { self.out_dim() }
    }
    /// Rows of h0/h_n: L·D.
    pub fn state_rows(&self) -> usize {
        self.layers * self.dirs()
    }
    /// Checks the sizes against `limits` (input ≤ MAX_DIM, hidden ≤ MAX_UNITS, layers ≤
    /// MAX_LAYERS) and dropout ∈ [0, 1), naming each as `{what}.field`.
    pub fn validate(&self, what: &str) -> Result<()> {
        check_between(&format!("{what}.input"), self.input, MAX_DIM)?;
        check_between(&format!("{what}.hidden"), self.hidden, MAX_UNITS)?;
        check_between(&format!("{what}.layers"), self.layers, MAX_LAYERS)?;
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(Error::range(format!("{what}.dropout = {} must be in [0, 1)", self.dropout)));
        }
        Ok(())
    }
    /// Checks a batch of B rows × T steps against `limits` (B ≤ MAX_BATCH, T ≤ MAX_STEPS,
    /// B·T·(activation_width + 2·input for x and dx) ≤ MAX_BATCH_ELEMENTS) before anything
    /// is allocated.
    pub fn check_batch(&self, b: usize, t: usize) -> Result<()> {
        check_between("batch", b, MAX_BATCH)?;
        check_between("steps", t, MAX_STEPS)?;
        let width = self.activation_width().saturating_add(2 * self.input);
        product("batch × steps × activations per step", &[b, t, width], MAX_BATCH_ELEMENTS).map(|_| ())
    }
    /// Checks the inputs of a forward over B × T (sizes first, then x [B, T, I],
    /// lengths [B] each ≤ T, h0/c0 [L·D, B, H], all finite; c0 only for LSTM cells).
    pub fn check_forward(
        &self,
        x: &[f32],
        b: usize,
        t: usize,
        lengths: Option<&[usize]>,
        h0: Option<&[f32]>,
        c0: Option<&[f32]>,
    ) -> Result<()> {
        self.check_batch(b, t)?;
        check_len("x", x, b * t * self.input, &format!("[B={b}, T={t}, I={}]", self.input))?;
        check_finite("x", x)?;
        if let Some(ls) = lengths {
            check_len("lengths", ls, b, "[B]")?;
            if let Some(i) = ls.iter().position(|&l| l > t) {
                return Err(Error::range(format!("lengths[{i}] = {} exceeds steps = {t}", ls[i])));
            }
        }
        if c0.is_some() && !self.cell.has_c() {
            return Err(Error::option("c0 is only for LSTM cells"));
        }
        self.check_state(&[("h0", h0), ("c0", c0)], b)
    }
    /// Checks the upstream gradients of a backward over B × T: d_out [B, T, D·H] and
    /// d_hn / d_cn [L·D, B, H], all finite; d_cn only for LSTM cells.
    pub fn check_backward(&self, b: usize, t: usize, d_out: &[f32], d_hn: Option<&[f32]>, d_cn: Option<&[f32]>) -> Result<()> {
        check_len("d_out", d_out, b * t * self.out_dim(), "[B, T, D·H]")?;
        check_finite("d_out", d_out)?;
        if d_cn.is_some() && !self.cell.has_c() {
            return Err(Error::option("d_cn is only for LSTM cells"));
        }
        self.check_state(&[("d_hn", d_hn), ("d_cn", d_cn)], b)
    }
    fn check_state(&self, states: &[(&str, Option<&[f32]>)], b: usize) -> Result<()> {
        let shape = format!("[L·D={}, B={b}, H={}]", self.state_rows(), self.hidden);
        for &(what, s) in states {
            if let Some(s) = s {
                check_len(what, s, self.state_rows() * b * self.hidden, &shape)?;
                check_finite(what, s)?;
            }
        }
        Ok(())
    }
    /// Floats a forward and backward hold per (row, step), over every layer and direction:
    /// input projections, step caches, states and their gradients, layer outputs, dropout
    /// copies and masks (saturating; the sizes are bounded by `validate`).
    pub fn activation_width(&self) -> usize {
        let (g, h, cw) = (self.cell.gates(), self.hidden, self.cell.cache_width(self.hidden));
        let per_dir = (3 * g * h).saturating_add(2 * h).saturating_add(cw);
        (0..self.layers).fold(0usize, |acc, l| {
            acc.saturating_add(self.dirs().saturating_mul(per_dir))
                .saturating_add(self.out_dim())
                .saturating_add(self.layer_input(l).saturating_mul(2))
        })
    }
}

#[derive(Clone, Copy, Debug)]
struct DirParams {
    w_ih: Slot,
    w_hh: Slot,
    b_ih: Slot,
    b_hh: Slot,
}

#[derive(Default)]
struct DirBufs {
    xproj: Vec<f32>,
    hs: Vec<f32>,
    cs: Vec<f32>,
    cache: Vec<f32>,
    dxp: Vec<f32>,
    dhp: Vec<f32>,
    w_hh_t: PackedB,
    w_hh: PackedB,
    /// Reset-before GRU only: the n rows of W_hh packed (W_hnᵀ forward, W_hn backward; the
    /// r, z rows go in `w_hh_t` / `w_hh`), and d(r ⊙ h_prev) [B, H] of one backward step.
    w_n: PackedB,
    d_rh: Vec<f32>,
}

pub struct RecurrentStack {
    pub cfg: RecurrentConfig,
    dirs: Vec<DirParams>,
    bufs: Vec<DirBufs>,
    /// Output of each layer [B, T, D·H].
    outs: Vec<Vec<f32>>,
    /// Input of layer l>0 after dropout, and its mask (scaled by 1/(1−p)); empty when unused.
    dropped: Vec<Vec<f32>>,
    masks: Vec<Vec<f32>>,
    pub h_n: Vec<f32>,
    pub c_n: Vec<f32>,
    pub dh0: Vec<f32>,
    pub dc0: Vec<f32>,
    // scratch
    hp: Vec<f32>,
    dh_carry: Vec<f32>,
    dh_next: Vec<f32>,
    dc_carry: Vec<f32>,
    dgrad_a: Vec<f32>,
    dgrad_b: Vec<f32>,
    lengths: Vec<usize>,
    b: usize,
    t: usize,
    dropout_used: bool,
    /// Per-step gradient norms (`step_norms`): whether backward records them, its sums, and
    /// the last backward's norms (None after a forward until the backward records).
    record_norms: bool,
    norm_sums: Vec<f64>,
    norms: Option<StepNorms>,
}

/// Initialisation bound of PyTorch's RNN modules: U(−1/√H, 1/√H) for every parameter.
fn init_bound(hidden: usize) -> f32 {
    1.0 / (hidden as f32).sqrt()
}

impl RecurrentStack {
    /// Registers the parameters `{prefix}weight_ih_l{k}[_reverse]` etc. in `table`.
    pub fn new(cfg: RecurrentConfig, table: &mut ParamTable, prefix: &str) -> Self {
        let g = cfg.cell.gates();
        let (h, bound) = (cfg.hidden, init_bound(cfg.hidden));
        let mut dirs = Vec::new();
        for l in 0..cfg.layers {
            for d in 0..cfg.dirs() {
                let sfx = if d == 1 { "_reverse" } else { "" };
                let inp = cfg.layer_input(l);
                dirs.push(DirParams {
                    w_ih: table.add_uniform(&format!("{prefix}weight_ih_l{l}{sfx}"), &[g * h, inp], bound),
                    w_hh: table.add_uniform(&format!("{prefix}weight_hh_l{l}{sfx}"), &[g * h, h], bound),
                    b_ih: table.add_uniform(&format!("{prefix}bias_ih_l{l}{sfx}"), &[g * h], bound),
                    b_hh: table.add_uniform(&format!("{prefix}bias_hh_l{l}{sfx}"), &[g * h], bound),
                });
            }
        }
        let n = dirs.len();
        RecurrentStack {
            bufs: (0..n).map(|_| DirBufs::default()).collect(),
            outs: vec![Vec::new(); cfg.layers],
            dropped: vec![Vec::new(); cfg.layers],
            masks: vec![Vec::new(); cfg.layers],
            cfg,
            dirs,
            h_n: Vec::new(),
            c_n: Vec::new(),
            dh0: Vec::new(),
            dc0: Vec::new(),
            hp: Vec::new(),
            dh_carry: Vec::new(),
            dh_next: Vec::new(),
            dc_carry: Vec::new(),
            dgrad_a: Vec::new(),
            dgrad_b: Vec::new(),
            lengths: Vec::new(),
            b: 0,
            t: 0,
            dropout_used: false,
            record_norms: false,
            norm_sums: Vec::new(),
            norms: None,
        }
    }

    /// The last forward's output [B, T, D·H].
    pub fn output(&self) -> &[f32] {
        &self.outs[self.cfg.layers - 1]
    }

    /// Turns the recording of per-step gradient norms by `backward` on or off (off by default).
    pub fn record_step_norms(&mut self, on: bool) {
        self.record_norms = on;
        if !on {
            self.norms = None;
        }
    }

    /// The per-step gradient norms of the last backward (see `layers::step_norms`), if it
    /// recorded them.
    pub fn step_norms(&self) -> Option<&StepNorms> {
        self.norms.as_ref()
    }

    /// Per-row lengths of the last forward.
    pub fn lengths(&self) -> &[usize] {
        &self.lengths
    }

    /// Forward over x [B, T, I]. `lengths` (each ≤ T) default to T; h0/c0 [L·D, B, H]
    /// default to zeros. With `train` and dropout > 0, dropout masks are drawn from `rng`.
    #[allow(clippy::too_many_arguments)]
    pub fn forward(
        &mut self,
        params: &[f32],
        x: &[f32],
        b: usize,
        t: usize,
        lengths: Option<&[usize]>,
        h0: Option<&[f32]>,
        c0: Option<&[f32]>,
        train: bool,
        rng: &mut Rng,
    ) {
        let cfg = self.cfg.clone();
        let (h, dn) = (cfg.hidden, cfg.dirs());
        assert_eq!(x.len(), b * t * cfg.input, "recurrent forward: x must be [B, T, I]");
        self.b = b;
        self.t = t;
        self.norms = None;
        self.lengths.clear();
        match lengths {
            Some(ls) => {
                assert_eq!(ls.len(), b);
                assert!(ls.iter().all(|&l| l <= t));
                self.lengths.extend_from_slice(ls)
            }
            None => self.lengths.resize(b, t),
        }
        let state_len = cfg.state_rows() * b * h;
        self.h_n.resize(state_len, 0.0);
        if cfg.cell.has_c() {
            self.c_n.resize(state_len, 0.0);
        }
        self.dropout_used = train && cfg.dropout > 0.0 && cfg.layers > 1;
        for l in 0..cfg.layers {
            let in_dim = cfg.layer_input(l);
            let (prev, rest) = self.outs.split_at_mut(l);
            let out = &mut rest[0];
            out.resize(b * t * dn * h, 0.0);
            let input: &[f32] = if l == 0 {
                x
            } else if self.dropout_used {
                &self.dropped[l]
            } else {
                &prev[l - 1]
            };
            for d in 0..dn {
                let i = l * dn + d;
                let so = i * b * h..(i + 1) * b * h;
                dir_forward(
                    cfg.cell,
                    self.dirs[i],
                    params,
                    &mut self.bufs[i],
                    &mut self.hp,
                    input,
                    in_dim,
                    b,
                    t,
                    h,
                    &self.lengths,
                    d == 1,
                    h0.map(|s| &s[so.clone()]),
                    c0.map(|s| &s[so.clone()]),
                    out,
                    dn * h,
                    d * h,
                    &mut self.h_n[so.clone()],
                    if cfg.cell.has_c() { &mut self.c_n[so.clone()] } else { &mut [] },
                );
            }
            if self.dropout_used && l + 1 < cfg.layers {
                let keep = 1.0 - cfg.dropout;
                let (mask, dropped) = (&mut self.masks[l + 1], &mut self.dropped[l + 1]);
                mask.resize(out.len(), 0.0);
                dropped.resize(out.len(), 0.0);
                for ((m, o), v) in mask.iter_mut().zip(dropped.iter_mut()).zip(out.iter()) {
                    *m = if rng.next_f32() < keep { 1.0 / keep } else { 0.0 };
                    *o = v * *m;
                }
            }
        }
    }

    /// Backward of the last forward. Accumulates parameter gradients into `grads` and, when
    /// given, dL/dx into `dx` [B, T, I]. d_out [B, T, D·H]; d_hn/d_cn [L·D, B, H].
    /// Leaves dL/dh0 and dL/dc0 in `self.dh0` / `self.dc0`.
    #[allow(clippy::too_many_arguments)]
    pub fn backward(
        &mut self,
        params: &[f32],
        grads: &mut [f32],
        x: &[f32],
        d_out: &[f32],
        d_hn: Option<&[f32]>,
        d_cn: Option<&[f32]>,
        mut dx: Option<&mut [f32]>,
    ) {
        let cfg = self.cfg.clone();
        let (b, t, h, dn) = (self.b, self.t, cfg.hidden, cfg.dirs());
        assert_eq!(d_out.len(), b * t * dn * h, "recurrent backward: d_out must be [B, T, D·H]");
        let state_len = cfg.state_rows() * b * h;
        self.dh0.resize(state_len, 0.0);
        if cfg.cell.has_c() {
            self.dc0.resize(state_len, 0.0);
        }
        self.dgrad_a.clear();
        self.dgrad_a.extend_from_slice(d_out);
        let rows = cfg.state_rows();
        if self.record_norms {
            StepNorms::start(&mut self.norm_sums, rows, t, cfg.cell.has_c());
        }
        for l in (0..cfg.layers).rev() {
            let in_dim = cfg.layer_input(l);
            let input: &[f32] = if l == 0 {
                x
            } else if self.dropout_used {
                &self.dropped[l]
            } else {
                &self.outs[l - 1]
            };
            // gradient w.r.t. this layer's input goes to dgrad_b (or the caller's dx)
            self.dgrad_b.clear();
            if l > 0 {
                self.dgrad_b.resize(b * t * in_dim, 0.0);
            }
            for d in 0..dn {
                let i = l * dn + d;
                let so = i * b * h..(i + 1) * b * h;
                let dxi: Option<&mut [f32]> = if l > 0 { Some(&mut self.dgrad_b) } else { dx.as_deref_mut() };
                dir_backward(
                    cfg.cell,
                    self.dirs[i],
                    params,
                    grads,
                    &mut self.bufs[i],
                    input,
                    in_dim,
                    b,
                    t,
                    h,
                    &self.lengths,
                    d == 1,
                    &self.dgrad_a,
                    dn * h,
                    d * h,
                    d_hn.map(|s| &s[so.clone()]),
                    d_cn.map(|s| &s[so.clone()]),
                    dxi,
                    &mut self.dh_carry,
                    &mut self.dh_next,
                    &mut self.dc_carry,
                    self.record_norms.then(|| StepNorms::dir(&mut self.norm_sums, i, rows, t)),
                );
                self.dh0[so.clone()].copy_from_slice(&self.dh_carry);
                if cfg.cell.has_c() {
                    self.dc0[so].copy_from_slice(&self.dc_carry);
                }
            }
            if l > 0 {
                if self.dropout_used {
                    for (g, m) in self.dgrad_b.iter_mut().zip(&self.masks[l]) {
                        *g *= m;
                    }
                }
                std::mem::swap(&mut self.dgrad_a, &mut self.dgrad_b);
            }
        }
        if self.record_norms {
            self.norms = Some(StepNorms::finish(&self.norm_sums, rows, t));
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn dir_forward(
    cell: CellKind,
    p: DirParams,
    params: &[f32],
    st: &mut DirBufs,
    hp: &mut Vec<f32>,
    x: &[f32],
    in_dim: usize,
    b: usize,
    t: usize,
    h: usize,
    lengths: &[usize],
    reverse: bool,
    h0: Option<&[f32]>,
    c0: Option<&[f32]>,
    out: &mut [f32],
    out_ld: usize,
    out_off: usize,
    h_n: &mut [f32],
    c_n: &mut [f32],
) {
    let gh = cell.gates() * h;
    let cw = cell.cache_width(h);
    let has_c = cell.has_c();
    let (w_ih, w_hh, b_ih, b_hh) = (p.w_ih.of(params), p.w_hh.of(params), p.b_ih.of(params), p.b_hh.of(params));

    // input projection of every step at once: xproj[B·T, GH] = X · W_ihᵀ + b_ih
    st.xproj.resize(b * t * gh, 0.0);
    kernels::gemm(b * t, gh, in_dim, Mat::n(x, in_dim), Mat::t(w_ih, in_dim), false, &mut st.xproj, gh);
    for row in st.xproj.chunks_exact_mut(gh) {
        for (v, bias) in row.iter_mut().zip(b_ih) {
            *v += bias;
        }
    }
    st.hs.resize((t + 1) * b * h, 0.0);
    st.cs.resize(if has_c { (t + 1) * b * h } else { 0 }, 0.0);
    st.cache.resize(t * b * cw, 0.0);
    hp.resize(b * gh, 0.0);
    match h0 {
        Some(s) => st.hs[..b * h].copy_from_slice(s),
        None => st.hs[..b * h].fill(0.0),
    }
    if has_c {
        match c0 {
            Some(s) => st.cs[..b * h].copy_from_slice(s),
            None => st.cs[..b * h].fill(0.0),
        }
    }
    if cell.resets_before() {
        reset_before::forward_steps(cell, w_hh, b_hh, st, hp, b, t, h, lengths, reverse, out, out_ld, out_off);
        h_n.copy_from_slice(&st.hs[t * b * h..(t + 1) * b * h]);
        return;
    }
    // W_hhᵀ packed once for all steps; a batch of at most SMALL_M rows multiplies W_hh
    // unpacked (packing would cost more than the product).
    let packed = b > kernels::SMALL_M;
    if packed {
        st.w_hh_t.pack(h, gh, Mat::t(w_hh, h));
    }
    for s in 0..t {
        let tt = if reverse { t - 1 - s } else { s };
        let (hs_prev, hs_next) = st.hs[s * b * h..(s + 2) * b * h].split_at_mut(b * h);
        // hp[B, GH] = h_prev · W_hhᵀ + b_hh
        if packed {
            kernels::gemm_packed(b, Mat::n(hs_prev, h), &st.w_hh_t, false, hp, gh);
        } else {
            kernels::gemm(b, gh, h, Mat::n(hs_prev, h), Mat::t(w_hh, h), false, hp, gh);
        }
        for row in hp.chunks_exact_mut(gh) {
            for (v, bias) in row.iter_mut().zip(b_hh) {
                *v += bias;
            }
        }
        let (cs_prev, cs_next): (&[f32], &mut [f32]) = if has_c {
            let (a, c) = st.cs[s * b * h..(s + 2) * b * h].split_at_mut(b * h);
            (a, c)
        } else {
            (&[], &mut [])
        };
        for bb in 0..b {
            let hr = bb * h..(bb + 1) * h;
            let orow = (bb * t + tt) * out_ld + out_off;
            if tt < lengths[bb] {
                let (cp, cn): (&[f32], &mut [f32]) = if has_c { (&cs_prev[hr.clone()], &mut cs_next[hr.clone()]) } else { (&[], &mut []) };
                cell.forward_row(
                    &st.xproj[(bb * t + tt) * gh..(bb * t + tt + 1) * gh],
                    &mut hp[bb * gh..(bb + 1) * gh],
                    &hs_prev[hr.clone()],
                    cp,
                    &mut hs_next[hr.clone()],
                    cn,
                    &mut st.cache[(s * b + bb) * cw..(s * b + bb + 1) * cw],
                );
                out[orow..orow + h].copy_from_slice(&hs_next[hr]);
            } else {
                hs_next[hr.clone()].copy_from_slice(&hs_prev[hr.clone()]);
                if has_c {
                    cs_next[hr.clone()].copy_from_slice(&cs_prev[hr]);
                }
                out[orow..orow + h].fill(0.0);
            }
        }
    }
    h_n.copy_from_slice(&st.hs[t * b * h..(t + 1) * b * h]);
    if has_c {
        c_n.copy_from_slice(&st.cs[t * b * h..(t + 1) * b * h]);
    }
}

#[allow(clippy::too_many_arguments)]
#[allow(clippy::needless_range_loop)] // bb indexes lengths and several row ranges together
fn dir_backward(
    cell: CellKind,
    p: DirParams,
    params: &[f32],
    grads: &mut [f32],
    st: &mut DirBufs,
    x: &[f32],
    in_dim: usize,
    b: usize,
    t: usize,
    h: usize,
    lengths: &[usize],
    reverse: bool,
    d_out: &[f32],
    out_ld: usize,
    out_off: usize,
    d_hn: Option<&[f32]>,
    d_cn: Option<&[f32]>,
    dx: Option<&mut [f32]>,
    dh_carry: &mut Vec<f32>,
    dh_next: &mut Vec<f32>,
    dc_carry: &mut Vec<f32>,
    norms: Option<DirSums>,
) {
    let gh = cell.gates() * h;
    let has_c = cell.has_c();
    let (w_ih, w_hh) = (p.w_ih.of(params), p.w_hh.of(params));
    st.dxp.resize(b * t * gh, 0.0);
    st.dhp.resize(t * b * gh, 0.0);
    dh_carry.resize(b * h, 0.0);
    dh_next.resize(b * h, 0.0);
    match d_hn {
        Some(s) => dh_carry.copy_from_slice(s),
        None => dh_carry.fill(0.0),
    }
    dc_carry.resize(if has_c { b * h } else { 0 }, 0.0);
    if has_c {
        match d_cn {
            Some(s) => dc_carry.copy_from_slice(s),
            None => dc_carry.fill(0.0),
        }
    }
    if cell.resets_before() {
        reset_before::backward_steps(cell, w_hh, st, b, t, h, lengths, reverse, d_out, out_ld, out_off, dh_carry, dh_next, norms);
        reset_before::weight_grads(p.w_hh.of_mut(grads), st, b, t, h);
    } else {
        step_backward(cell, w_hh, st, b, t, h, lengths, reverse, d_out, out_ld, out_off, dh_carry, dh_next, dc_carry, norms);
        kernels::gemm(gh, h, t * b, Mat::t(&st.dhp, gh), Mat::n(&st.hs[..t * b * h], h), true, p.w_hh.of_mut(grads), h);
    }
    // the other weight gradients over all steps at once
    col_sum_acc(&st.dhp, t * b, gh, gh, p.b_hh.of_mut(grads));
    kernels::gemm(gh, in_dim, b * t, Mat::t(&st.dxp, gh), Mat::n(x, in_dim), true, p.w_ih.of_mut(grads), in_dim);
    col_sum_acc(&st.dxp, b * t, gh, gh, p.b_ih.of_mut(grads));
    if let Some(dx) = dx {
        kernels::gemm(b * t, in_dim, gh, Mat::n(&st.dxp, gh), Mat::n(w_ih, in_dim), true, dx, in_dim);
    }
}

/// The backward step loop of every cell but the reset-before GRU: per step the cell's row
/// maths and dh_prev = dh_direct + dhp · W_hh.
#[allow(clippy::too_many_arguments)]
#[allow(clippy::needless_range_loop)] // bb indexes lengths and several row ranges together
fn step_backward(
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
    dc_carry: &mut [f32],
    mut norms: Option<DirSums>,
) {
    let gh = cell.gates() * h;
    let cw = cell.cache_width(h);
    let has_c = cell.has_c();
    let packed = b > kernels::SMALL_M;
    if packed {
        st.w_hh.pack(gh, h, Mat::n(w_hh, h));
    }
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
            if has_c {
                n.add_c_lstm(tt, dh_carry, dc_carry, &st.cache[s * b * cw..(s + 1) * b * cw], h, lengths);
            }
        }
        for bb in 0..b {
            let hr = bb * h..(bb + 1) * h;
            let xrow = (bb * t + tt) * gh..(bb * t + tt + 1) * gh;
            let hrow = (s * b + bb) * gh..(s * b + bb + 1) * gh;
            if tt < lengths[bb] {
                let hprev = &st.hs[s * b * h + bb * h..s * b * h + (bb + 1) * h];
                let hcur = &st.hs[(s + 1) * b * h + bb * h..(s + 1) * b * h + (bb + 1) * h];
                let cprev: &[f32] = if has_c { &st.cs[s * b * h + bb * h..s * b * h + (bb + 1) * h] } else { &[] };
                let dc: &mut [f32] = if has_c { &mut dc_carry[hr.clone()] } else { &mut [] };
                cell.backward_row(
                    &dh_carry[hr.clone()],
                    dc,
                    &st.cache[(s * b + bb) * cw..(s * b + bb + 1) * cw],
                    hprev,
                    cprev,
                    hcur,
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
        // dh_prev = dh_direct + dhp · W_hh
        let dhp_s = Mat::n(&st.dhp[s * b * gh..(s + 1) * b * gh], gh);
        if packed {
            kernels::gemm_packed(b, dhp_s, &st.w_hh, true, dh_next, h);
        } else {
            kernels::gemm(b, h, gh, dhp_s, Mat::n(w_hh, h), true, dh_next, h);
        }
        std::mem::swap(dh_carry, dh_next);
    }
}
