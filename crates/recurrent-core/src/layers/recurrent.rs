//! A recurrent stack: `layers` × {forward, reverse} runs of one cell kind, with per-row
//! lengths (packed-sequence semantics) and inverted dropout between layers. The cell's maths
//! (its step forward and backward, its parameter shapes) is a `cells::Cell`; this file is
//! the same for every cell.
//!
//! Shapes (batch-first, row-major): x [B, T, I]; out [B, T, D·S]; h0/h_n [L·D, B, S] and
//! c0/c_n [L·D, B, H], ordered layer by layer with forward before reverse (PyTorch). S is the
//! cell's state width (H, or an LSTM's projection P).
//!
//! Per direction, the work is:
//! - forward: xproj[B·T, G·H] = X · W_ihᵀ + b_ih as one GEMM; then per step the cell's step
//!   (for most cells one GEMM hp[B, G·H] = h_prev · W_hhᵀ + b_hh and the row maths);
//! - backward: per step the cell's step (row maths, dh_prev = dh_direct + dhp · W_hh); after
//!   the sweep the cell's recurrent weight gradients, then dW_ih, biases and dX as single
//!   GEMMs over all steps.
//!
//! Internal buffers are indexed by iteration step s (t = s forward, t = T−1−s reverse):
//! hs [(T+1)·B, S] and cs [(T+1)·B, H] (hs[0] = h0), cache and dhp [T·B, ·]. xproj and dxp
//! follow x's batch-major row order (row b·T + t).
//!
//! Masks: a row b is active at time t when t < len[b]. An inactive step leaves the state as
//! it was, outputs zero, and passes gradients straight through (done here, around the
//! cell's step; see `cells::step`). Reverse runs therefore start at each row's last valid
//! step.

use super::step_norms::{DirSums, StepNorms};
use super::{ParamTable, Slot};
use crate::cells::{BwdStep, CellKind, DirWeights, FwdStep, Packs, WeightGrads};
use crate::error::{Error, Result, check_finite, check_len};
use crate::kernels::{self, Mat, col_sum_acc};
use crate::limits::{MAX_BATCH, MAX_BATCH_ELEMENTS, MAX_DIM, MAX_LAYERS, MAX_STEPS, MAX_UNITS, check_between, product};
use crate::rng::Rng;

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
    /// Width S of h and of each direction's outputs: H, or the LSTM's projection P.
    pub fn state_width(&self) -> usize {
        self.cell.state_width(self.hidden)
    }
    /// Width of the outputs, D·S.
    pub fn out_dim(&self) -> usize {
        self.dirs() * self.state_width()
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
        let p = self.cell.proj_size();
        if p > 0 && p >= self.hidden {
            return Err(Error::range(format!("{what}.projSize = {p} must be below {what}.hidden = {}", self.hidden)));
        }
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
        self.check_state(&[("h0", h0, self.state_width()), ("c0", c0, self.hidden)], b)
    }
    /// Checks the upstream gradients of a backward over B × T: d_out [B, T, D·H] and
    /// d_hn / d_cn [L·D, B, H], all finite; d_cn only for LSTM cells.
    pub fn check_backward(&self, b: usize, t: usize, d_out: &[f32], d_hn: Option<&[f32]>, d_cn: Option<&[f32]>) -> Result<()> {
        check_len("d_out", d_out, b * t * self.out_dim(), "[B, T, D·H]")?;
        check_finite("d_out", d_out)?;
        if d_cn.is_some() && !self.cell.has_c() {
            return Err(Error::option("d_cn is only for LSTM cells"));
        }
        self.check_state(&[("d_hn", d_hn, self.state_width()), ("d_cn", d_cn, self.hidden)], b)
    }
    /// Checks states [L·D, B, width] (h-like: S wide; c-like: H wide).
    fn check_state(&self, states: &[(&str, Option<&[f32]>, usize)], b: usize) -> Result<()> {
        for &(what, s, width) in states {
            if let Some(s) = s {
                let shape = format!("[L·D={}, B={b}, {}={width}]", self.state_rows(), if width == self.hidden { "H" } else { "P" });
                check_len(what, s, self.state_rows() * b * width, &shape)?;
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
        let per_dir = (3 * g * h).saturating_add(2 * self.state_width()).saturating_add(cw);
        (0..self.layers).fold(0usize, |acc, l| {
            acc.saturating_add(self.dirs().saturating_mul(per_dir))
                .saturating_add(self.out_dim())
                .saturating_add(self.layer_input(l).saturating_mul(2))
        })
    }
}

/// One direction's parameter slots; `extra` spans the cell's extra parameters (back to back,
/// empty for most cells).
#[derive(Clone, Copy, Debug)]
struct DirParams {
    w_ih: Slot,
    w_hh: Slot,
    b_ih: Slot,
    b_hh: Slot,
    extra: Slot,
}

impl DirParams {
    fn weights<'a>(&self, params: &'a [f32]) -> DirWeights<'a> {
        DirWeights { w_hh: self.w_hh.of(params), b_hh: self.b_hh.of(params), extra: self.extra.of(params) }
    }
}

/// One direction's buffers, kept between calls (see the module doc for their indexing).
#[derive(Default)]
struct DirBufs {
    xproj: Vec<f32>,
    hs: Vec<f32>,
    cs: Vec<f32>,
    cache: Vec<f32>,
    dxp: Vec<f32>,
    dhp: Vec<f32>,
    /// [B, G·H] scratch of one forward step.
    hp: Vec<f32>,
    /// [B]: which rows run the current step.
    active: Vec<bool>,
    packs: Packs,
    /// The cell's own backward buffer.
    scratch: Vec<f32>,
}

/// The shape of one direction's run over one layer: B rows, T steps, H units (S wide state),
/// `in_dim` inputs; its outputs are columns out_off.. of rows `out_ld` wide.
struct DirRun<'a> {
    cell: CellKind,
    b: usize,
    t: usize,
    h: usize,
    in_dim: usize,
    lengths: &'a [usize],
    reverse: bool,
    out_ld: usize,
    out_off: usize,
}

impl DirRun<'_> {
    /// The time index of iteration step s.
    fn time(&self, s: usize) -> usize {
        if self.reverse { self.t - 1 - s } else { s }
    }
}

/// What one direction's forward reads and writes: x [B, T, in_dim], h0 [B, S], c0 [B, H]
/// (default zeros), the layer output, h_n [B, S] and c_n [B, H] (cells with c, else empty).
struct FwdIo<'a> {
    x: &'a [f32],
    h0: Option<&'a [f32]>,
    c0: Option<&'a [f32]>,
    out: &'a mut [f32],
    h_n: &'a mut [f32],
    c_n: &'a mut [f32],
}

/// A batch of sequences for `RecurrentStack::forward`: x [B, T, I] and the rows' lengths
/// (each ≤ T; None: all T).
#[derive(Clone, Copy, Debug)]
pub struct SeqInput<'a> {
    pub x: &'a [f32],
    pub b: usize,
    pub t: usize,
    pub lengths: Option<&'a [usize]>,
}

/// A state of the whole stack, or its gradient: h [L·D, B, S] and c [L·D, B, H] (LSTM only);
/// None stands for zeros. `forward` starts from one (h0, c0); `backward` takes dL/dh_n and
/// dL/dc_n as one.
#[derive(Clone, Copy, Debug, Default)]
pub struct StatePair<'a> {
    pub h: Option<&'a [f32]>,
    pub c: Option<&'a [f32]>,
}

/// What one direction's backward reads and writes: x, the layer's output gradient, d_hn
/// [B, S] and d_cn [B, H], dx (+)= [B, T, in_dim] when wanted, and the sums of its per-step
/// gradient norms when recorded (`layers::step_norms`).
struct BwdIo<'a> {
    x: &'a [f32],
    d_out: &'a [f32],
    d_hn: Option<&'a [f32]>,
    d_cn: Option<&'a [f32]>,
    dx: Option<&'a mut [f32]>,
    norms: Option<DirSums<'a>>,
}

/// The state gradients carried between backward steps: dh [B, S] (left holding dL/dh0),
/// the next step's dh_prev [B, S] and dc [B, H] (left holding dL/dc0).
#[derive(Default)]
struct Carry {
    dh: Vec<f32>,
    dh_next: Vec<f32>,
    dc: Vec<f32>,
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
    carry: Carry,
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
        let (h, sw, bound) = (cfg.hidden, cfg.state_width(), init_bound(cfg.hidden));
        let extra = cfg.cell.with(|c| c.extra_params(h));
        let mut dirs = Vec::new();
        for l in 0..cfg.layers {
            for d in 0..cfg.dirs() {
                let sfx = if d == 1 { "_reverse" } else { "" };
                let inp = cfg.layer_input(l);
                let w_ih = table.add_uniform(&format!("{prefix}weight_ih_l{l}{sfx}"), &[g * h, inp], bound);
                let w_hh = table.add_uniform(&format!("{prefix}weight_hh_l{l}{sfx}"), &[g * h, sw], bound);
                let b_ih = table.add_uniform(&format!("{prefix}bias_ih_l{l}{sfx}"), &[g * h], bound);
                let b_hh = table.add_uniform(&format!("{prefix}bias_hh_l{l}{sfx}"), &[g * h], bound);
                let off = table.total;
                for (stem, shape) in &extra {
                    table.add_uniform(&format!("{prefix}{stem}_l{l}{sfx}"), shape, bound);
                }
                let extra = Slot { off, len: table.total - off };
                dirs.push(DirParams { w_ih, w_hh, b_ih, b_hh, extra });
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
            carry: Carry::default(),
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

    /// Forward over `input` x [B, T, I] from `init` (h0/c0 [L·D, B, H]; None: zeros). With `train` and dropout > 0, dropout masks are drawn from `rng`.
    pub fn forward(&mut self, params: &[f32], input: SeqInput, init: StatePair, train: bool, rng: &mut Rng) {
        let (SeqInput { x, b, t, lengths }, StatePair { h: h0, c: c0 }) = (input, init);
        let cfg = self.cfg.clone();
        let (h, sw, dn, has_c) = (cfg.hidden, cfg.state_width(), cfg.dirs(), cfg.cell.has_c());
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
        self.h_n.resize(cfg.state_rows() * b * sw, 0.0);
        if has_c {
            self.c_n.resize(cfg.state_rows() * b * h, 0.0);
        }
        self.dropout_used = train && cfg.dropout > 0.0 && cfg.layers > 1;
        for l in 0..cfg.layers {
            let in_dim = cfg.layer_input(l);
            let (prev, rest) = self.outs.split_at_mut(l);
            let out = &mut rest[0];
            out.resize(b * t * dn * sw, 0.0);
            let input: &[f32] = if l == 0 {
                x
            } else if self.dropout_used {
                &self.dropped[l]
            } else {
                &prev[l - 1]
            };
            for d in 0..dn {
                let i = l * dn + d;
                let (so, sc) = (i * b * sw..(i + 1) * b * sw, i * b * h..(i + 1) * b * h);
                let run =
                    DirRun { cell: cfg.cell, b, t, h, in_dim, lengths: &self.lengths, reverse: d == 1, out_ld: dn * sw, out_off: d * sw };
                let io = FwdIo {
                    x: input,
                    h0: h0.map(|s| &s[so.clone()]),
                    c0: c0.map(|s| &s[sc.clone()]),
                    out,
                    h_n: &mut self.h_n[so.clone()],
                    c_n: if has_c { &mut self.c_n[sc] } else { &mut [] },
                };
                dir_forward(self.dirs[i], params, &mut self.bufs[i], &run, io);
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
    /// given, dL/dx into `dx` [B, T, I]. d_out [B, T, D·H]; `d_state` = dL/dh_n, dL/dc_n [L·D, B, H].
    /// Leaves dL/dh0 and dL/dc0 in `self.dh0` / `self.dc0`.
    pub fn backward(
        &mut self,
        params: &[f32],
        grads: &mut [f32],
        x: &[f32],
        d_out: &[f32],
        d_state: StatePair,
        mut dx: Option<&mut [f32]>,
    ) {
        let StatePair { h: d_hn, c: d_cn } = d_state;
        let cfg = self.cfg.clone();
        let (b, t, h, dn) = (self.b, self.t, cfg.hidden, cfg.dirs());
        let (sw, has_c) = (cfg.state_width(), cfg.cell.has_c());
        assert_eq!(d_out.len(), b * t * dn * sw, "recurrent backward: d_out must be [B, T, D·S]");
        self.dh0.resize(cfg.state_rows() * b * sw, 0.0);
        if has_c {
            self.dc0.resize(cfg.state_rows() * b * h, 0.0);
        }
        self.dgrad_a.clear();
        self.dgrad_a.extend_from_slice(d_out);
        let rows = cfg.state_rows();
        if self.record_norms {
            StepNorms::start(&mut self.norm_sums, rows, t, StepNorms::records_c(cfg.cell));
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
                let (so, sc) = (i * b * sw..(i + 1) * b * sw, i * b * h..(i + 1) * b * h);
                let dxi: Option<&mut [f32]> = if l > 0 { Some(&mut self.dgrad_b) } else { dx.as_deref_mut() };
                let run =
                    DirRun { cell: cfg.cell, b, t, h, in_dim, lengths: &self.lengths, reverse: d == 1, out_ld: dn * sw, out_off: d * sw };
                let io = BwdIo {
                    x: input,
                    d_out: &self.dgrad_a,
                    d_hn: d_hn.map(|s| &s[so.clone()]),
                    d_cn: d_cn.map(|s| &s[sc.clone()]),
                    dx: dxi,
                    norms: self.record_norms.then(|| StepNorms::dir(&mut self.norm_sums, i, rows, t)),
                };
                dir_backward(self.dirs[i], params, grads, &mut self.bufs[i], &run, io, &mut self.carry);
                self.dh0[so].copy_from_slice(&self.carry.dh);
                if has_c {
                    self.dc0[sc].copy_from_slice(&self.carry.dc);
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

/// One direction of one layer forward: xp for every step as one GEMM, then the cell's step
/// per time step, with masking (see `cells::step`).
fn dir_forward(p: DirParams, params: &[f32], st: &mut DirBufs, run: &DirRun, io: FwdIo) {
    let (b, t, h, in_dim) = (run.b, run.t, run.h, run.in_dim);
    run.cell.with(|cell| {
        let (gh, sw, cw, has_c) = (cell.gates() * h, cell.state_width(h), cell.cache_width(h), cell.has_c());
        let (w_ih, b_ih) = (p.w_ih.of(params), p.b_ih.of(params));
        let w = p.weights(params);

        // input projection of every step at once: xproj[B·T, GH] = X · W_ihᵀ + b_ih
        st.xproj.resize(b * t * gh, 0.0);
        kernels::gemm(b * t, gh, in_dim, Mat::n(io.x, in_dim), Mat::t(w_ih, in_dim), false, &mut st.xproj, gh);
        for row in st.xproj.chunks_exact_mut(gh) {
            for (v, bias) in row.iter_mut().zip(b_ih) {
                *v += bias;
            }
        }
        st.hs.resize((t + 1) * b * sw, 0.0);
        st.cs.resize(if has_c { (t + 1) * b * h } else { 0 }, 0.0);
        st.cache.resize(t * b * cw, 0.0);
        st.hp.resize(b * gh, 0.0);
        st.active.resize(b, false);
        match io.h0 {
            Some(s) => st.hs[..b * sw].copy_from_slice(s),
            None => st.hs[..b * sw].fill(0.0),
        }
        if has_c {
            match io.c0 {
                Some(s) => st.cs[..b * h].copy_from_slice(s),
                None => st.cs[..b * h].fill(0.0),
            }
        }
        cell.pack(&w, &mut st.packs, b, h, false);
        for s in 0..t {
            let tt = run.time(s);
            for (a, &len) in st.active.iter_mut().zip(run.lengths) {
                *a = tt < len;
            }
            let (hs_prev, hs_next) = st.hs[s * b * sw..(s + 2) * b * sw].split_at_mut(b * sw);
            let (cs_prev, cs_next): (&[f32], &mut [f32]) = if has_c {
                let (a, c) = st.cs[s * b * h..(s + 2) * b * h].split_at_mut(b * h);
                (a, c)
            } else {
                (&[], &mut [])
            };
            let cache = &mut st.cache[s * b * cw..(s + 1) * b * cw];
            for (bb, _) in st.active.iter().enumerate().filter(|(_, a)| !**a) {
                cache[bb * cw..(bb + 1) * cw].fill(0.0);
            }
            cell.forward(FwdStep {
                b,
                h,
                active: &st.active,
                xp: &st.xproj[tt * gh..],
                xp_ld: t * gh,
                h_prev: hs_prev,
                h_next: hs_next,
                c_prev: cs_prev,
                c_next: cs_next,
                cache,
                hp: &mut st.hp,
                w: &w,
                packs: &st.packs,
            });
            // outputs of the active rows; an inactive row keeps its state and outputs zero
            for (bb, &on) in st.active.iter().enumerate() {
                let (sr, orow) = (bb * sw..(bb + 1) * sw, (bb * t + tt) * run.out_ld + run.out_off);
                if on {
                    io.out[orow..orow + sw].copy_from_slice(&hs_next[sr]);
                } else {
                    hs_next[sr.clone()].copy_from_slice(&hs_prev[sr]);
                    if has_c {
                        cs_next[bb * h..(bb + 1) * h].copy_from_slice(&cs_prev[bb * h..(bb + 1) * h]);
                    }
                    io.out[orow..orow + sw].fill(0.0);
                }
            }
        }
        io.h_n.copy_from_slice(&st.hs[t * b * sw..(t + 1) * b * sw]);
        if has_c {
            io.c_n.copy_from_slice(&st.cs[t * b * h..(t + 1) * b * h]);
        }
    })
}

/// One direction of one layer backward: the cell's step per time step (masked), then the
/// cell's recurrent weight gradients, and dW_ih, db_ih, db_hh and dx as GEMMs over all steps.
/// With `io.norms`, records the per-step gradient norms of this direction (`layers::step_norms`).
fn dir_backward(p: DirParams, params: &[f32], grads: &mut [f32], st: &mut DirBufs, run: &DirRun, mut io: BwdIo, carry: &mut Carry) {
    let mut norms = io.norms.take();
    let (b, t, h, in_dim) = (run.b, run.t, run.h, run.in_dim);
    run.cell.with(|cell| {
        let (gh, sw, cw, has_c) = (cell.gates() * h, cell.state_width(h), cell.cache_width(h), cell.has_c());
        let w_ih = p.w_ih.of(params);
        let w = p.weights(params);
        st.dxp.resize(b * t * gh, 0.0);
        st.dhp.resize(t * b * gh, 0.0);
        carry.dh.resize(b * sw, 0.0);
        carry.dh_next.resize(b * sw, 0.0);
        match io.d_hn {
            Some(s) => carry.dh.copy_from_slice(s),
            None => carry.dh.fill(0.0),
        }
        carry.dc.resize(if has_c { b * h } else { 0 }, 0.0);
        if has_c {
            match io.d_cn {
                Some(s) => carry.dc.copy_from_slice(s),
                None => carry.dc.fill(0.0),
            }
        }
        cell.pack(&w, &mut st.packs, b, h, true);
        for s in (0..t).rev() {
            let tt = run.time(s);
            for (a, &len) in st.active.iter_mut().zip(run.lengths) {
                *a = tt < len;
            }
            // carry.dh becomes the total gradient of h at this step; an inactive row passes
            // it straight through to dh_prev, with zero projection gradients
            for (bb, &on) in st.active.iter().enumerate() {
                let sr = bb * sw..(bb + 1) * sw;
                if on {
                    let orow = (bb * t + tt) * run.out_ld + run.out_off;
                    for (d, g) in carry.dh[sr].iter_mut().zip(&io.d_out[orow..orow + sw]) {
                        *d += g;
                    }
                } else {
                    st.dxp[(bb * t + tt) * gh..(bb * t + tt + 1) * gh].fill(0.0);
                    st.dhp[(s * b + bb) * gh..(s * b + bb + 1) * gh].fill(0.0);
                    carry.dh_next[sr.clone()].copy_from_slice(&carry.dh[sr]);
                }
            }
            if let Some(n) = norms.as_mut() {
                n.add_h(tt, &carry.dh, sw, run.lengths);
                if !n.c.is_empty() {
                    n.add_c_lstm(tt, &carry.dh, &carry.dc, &st.cache[s * b * cw..(s + 1) * b * cw], h, run.lengths);
                }
            }
            let c_prev: &[f32] = if has_c { &st.cs[s * b * h..(s + 1) * b * h] } else { &[] };
            cell.backward(BwdStep {
                b,
                h,
                s,
                t,
                active: &st.active,
                dh: &carry.dh,
                dc: &mut carry.dc,
                h_prev: &st.hs[s * b * sw..(s + 1) * b * sw],
                h_cur: &st.hs[(s + 1) * b * sw..(s + 2) * b * sw],
                c_prev,
                cache: &st.cache[s * b * cw..(s + 1) * b * cw],
                dxp: &mut st.dxp[tt * gh..],
                xp_ld: t * gh,
                dhp: &mut st.dhp[s * b * gh..(s + 1) * b * gh],
                dh_prev: &mut carry.dh_next,
                scratch: &mut st.scratch,
                w: &w,
                packs: &st.packs,
            });
            std::mem::swap(&mut carry.dh, &mut carry.dh_next);
        }
        // the recurrent weights' gradients (the cell's), then the others over all steps at once
        let (lo, hi) = grads.split_at_mut(p.extra.off);
        cell.weight_grads(WeightGrads {
            b,
            t,
            h,
            hs: &st.hs,
            cache: &st.cache,
            dhp: &st.dhp,
            scratch: &st.scratch,
            g_hh: p.w_hh.of_mut(lo),
            g_extra: &mut hi[..p.extra.len],
        });
        col_sum_acc(&st.dhp, t * b, gh, gh, p.b_hh.of_mut(grads));
        kernels::gemm(gh, in_dim, b * t, Mat::t(&st.dxp, gh), Mat::n(io.x, in_dim), true, p.w_ih.of_mut(grads), in_dim);
        col_sum_acc(&st.dxp, b * t, gh, gh, p.b_ih.of_mut(grads));
        if let Some(dx) = io.dx {
            kernels::gemm(b * t, in_dim, gh, Mat::n(&st.dxp, gh), Mat::n(w_ih, in_dim), true, dx, in_dim);
        }
    })
}
