//! A sequential model: input (token ids or continuous features) → layers → output, with its
//! parameters and gradients in one `ParamArena` (views by offset, see `layers::ParamTable`).
//! `train` makes it `Trainable` by the one `optim::trainer::Trainer`; `seq2seq` is the
//! encoder-decoder, the other model kind. Model-level tests live in `tests/`.
//!
//! Activations flow as batch-first rows: a sequence is [B, T, F] (row b·T + t), a pooled
//! vector [B, F]. A recurrent layer with `return_sequences: false` pools each row to its
//! final states (the top layer's h_n, forward then reverse): for the forward direction that
//! is the output at the row's last valid step.

pub mod generate;
pub mod seq2seq;
pub mod spec;
pub mod train;

pub use spec::{InputKind, LayerSpec, LossKind, ModelSpec};

use crate::error::{Error, Result, check_finite, check_len};
use crate::layers::ParamTable;
use crate::layers::crf::Crf;
use crate::layers::dense::Dense;
use crate::layers::dropout;
use crate::layers::embedding::Embedding;
use crate::layers::recurrent::{RecurrentConfig, RecurrentStack, SeqInput, StatePair};
use crate::layers::step_norms::StepNorms;
use crate::limits;
use crate::loss::ctc::{CtcBatch, CtcConfig, CtcWork, ctc_loss};
use crate::loss::{self, IGNORE_INDEX};
use crate::params::ParamArena;
use crate::rng::Rng;

/// One batch of inputs. Exactly one of `ids` ([B·T], for token input) and `features`
/// ([B·T·F]) is set. `lengths` [B] (each ≤ T) marks the valid prefix of each row.
#[derive(Clone, Copy, Debug)]
pub struct Batch<'a> {
    pub b: usize,
    pub t: usize,
    pub ids: Option<&'a [u32]>,
    pub features: Option<&'a [f32]>,
    pub lengths: Option<&'a [usize]>,
}

/// Training targets: class ids per output row (−100 = ignore) or values per output element.
#[derive(Clone, Copy, Debug)]
pub enum Targets<'a> {
    Classes(&'a [i32]),
    Values(&'a [f32]),
}

// One Layer per spec entry, built once: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
enum Layer {
    Embedding(Embedding),
    Recurrent {
        stack: RecurrentStack,
        return_sequences: bool,
        state_h: Vec<f32>,
        state_c: Vec<f32>,
    },
    Dropout {
        rate: f32,
        mask: Vec<f32>,
    },
    Dense(Dense),
    /// Identity in forward (its output is the emissions); holds the CRF parameters.
    Crf(Crf),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// [B, T, f]
    Seq(usize),
    /// [B, f]
    Flat(usize),
}

impl Shape {
    fn dim(self) -> usize {
        match self {
            Shape::Seq(f) | Shape::Flat(f) => f,
        }
    }
}

pub struct Model {
    pub spec: ModelSpec,
    /// Parameters and gradients (PyTorch names).
    pub arena: ParamArena,
    layers: Vec<Layer>,
    /// shapes[i] is the shape of the input of layer i; shapes[n] of the output.
    shapes: Vec<Shape>,
    /// Floats of activations and their gradients held per (row, step) by a forward and
    /// backward (for the batch size limit).
    row_width: usize,
    /// Dropout randomness (seeded from the model seed).
    pub rng: Rng,
    /// When set, each recurrent layer starts from the final state of its previous forward
    /// (detached: no gradient flows into it). Used by truncated BPTT and stepwise prediction.
    pub carry_state: bool,
    acts: Vec<Vec<f32>>,
    ids: Vec<u32>,
    lengths: Vec<usize>,
    b: usize,
    t: usize,
    forward_done: bool,
    targets_buf: Vec<i32>,
    row_mask: Vec<f32>,
    d_a: Vec<f32>,
    d_b: Vec<f32>,
    d_state: Vec<f32>,
    ctc: CtcScratch,
}

/// Buffers of the CTC loss, reused across batches.
#[derive(Default)]
struct CtcScratch {
    work: CtcWork,
    labels: Vec<u32>,
    label_lengths: Vec<usize>,
}

impl Model {
    /// Builds the model and initialises its parameters from `seed` (PyTorch's init rules).
    pub fn new(spec: ModelSpec, seed: u64) -> Result<Self> {
        let (layers, shapes, table) = Model::plan(&spec)?;
        // every layer's output, the two gradient buffers of the widest, and the recurrent
        // stacks' own buffers (token input enters as ids, one per step, not vocab-wide rows)
        let skip = usize::from(matches!(spec.input, InputKind::Tokens { .. }));
        let widest = shapes[skip..].iter().map(|s| s.dim()).max().unwrap_or(1);
        let mut row_width = shapes[skip..].iter().fold(widest.saturating_mul(2), |acc, s| acc.saturating_add(s.dim()));
        for l in &layers {
            if let Layer::Recurrent { stack, .. } = l {
                row_width = row_width.saturating_add(stack.cfg.activation_width());
            }
        }
        let mut rng = Rng::new(seed);
        let arena = ParamArena::new(table, &mut rng)?;
        let n = layers.len();
        Ok(Model {
            spec,
            arena,
            layers,
            shapes,
            row_width,
            rng,
            carry_state: false,
            acts: vec![Vec::new(); n + 1],
            ids: Vec::new(),
            lengths: Vec::new(),
            b: 0,
            t: 0,
            forward_done: false,
            targets_buf: Vec::new(),
            row_mask: Vec::new(),
            d_a: Vec::new(),
            d_b: Vec::new(),
            d_state: Vec::new(),
            ctc: CtcScratch::default(),
        })
    }

    /// Scalars in the parameters of the model `spec` describes, without allocating them
    /// (a loader can check a file's size against it first). Validates the spec, and is
    /// E_RANGE above `limits::MAX_PARAMS`.
    pub fn param_count(spec: &ModelSpec) -> Result<usize> {
        Ok(Model::plan(spec)?.2.total)
    }

    /// Validates the spec and lays out its layers, their input shapes and the parameter
    /// table (nothing sized by the parameters or a batch is allocated).
    fn plan(spec: &ModelSpec) -> Result<(Vec<Layer>, Vec<Shape>, ParamTable)> {
        spec.validate()?;
        let mut table = ParamTable::default();
        let mut layers = Vec::new();
        let (mut shape, slots) = match spec.input {
            InputKind::Tokens { vocab, slots } => (Shape::Seq(vocab), slots),
            InputKind::Features { dim } => (Shape::Seq(dim), 1),
        };
        let mut shapes = vec![shape];
        for ls in &spec.layers {
            let (layer, next) = match ls {
                LayerSpec::Embedding { name, dim } => {
                    (Layer::Embedding(Embedding::new(shape.dim(), *dim, &mut table, name)), Shape::Seq(*dim * slots))
                }
                LayerSpec::Recurrent { name, cell, units, layers: nl, bidirectional, dropout, return_sequences } => {
                    let cfg = RecurrentConfig {
                        cell: *cell,
                        input: shape.dim(),
                        hidden: *units,
                        layers: *nl,
                        bidirectional: *bidirectional,
                        dropout: *dropout,
                    };
                    let out = cfg.out_dim();
                    let stack = RecurrentStack::new(cfg, &mut table, &format!("{name}."));
                    let next = if *return_sequences { Shape::Seq(out) } else { Shape::Flat(out) };
                    (Layer::Recurrent { stack, return_sequences: *return_sequences, state_h: Vec::new(), state_c: Vec::new() }, next)
                }
                LayerSpec::Dropout { rate } => (Layer::Dropout { rate: *rate, mask: Vec::new() }, shape),
                LayerSpec::Dense { name, units } => {
                    let next = match shape {
                        Shape::Seq(_) => Shape::Seq(*units),
                        Shape::Flat(_) => Shape::Flat(*units),
                    };
                    (Layer::Dense(Dense::new(shape.dim(), *units, &mut table, name)), next)
                }
                LayerSpec::Crf { name } => (Layer::Crf(Crf::new(shape.dim(), &mut table, name)), shape),
            };
            layers.push(layer);
            shape = next;
            shapes.push(shape);
        }
        if table.total > limits::MAX_PARAMS {
            return Err(Error::range(format!(
                "the model would have {} parameters, above the limit of {}",
                table.total,
                limits::MAX_PARAMS
            )));
        }
        Ok((layers, shapes, table))
    }

    /// Output width (classes for cross-entropy, values per row for MSE).
    pub fn output_dim(&self) -> usize {
        self.shapes[self.layers.len()].dim()
    }

    /// Whether the output has one row per time step (else one per sequence).
    pub fn output_is_sequence(&self) -> bool {
        matches!(self.shapes[self.layers.len()], Shape::Seq(_))
    }

    /// Number of output rows for a batch of B×T: B·T for sequence outputs, B otherwise.
    pub fn output_rows(&self, b: usize, t: usize) -> usize {
        if self.output_is_sequence() { b * t } else { b }
    }

    /// The largest B·T one forward (and backward) may take: MAX_BATCH_ELEMENTS over the
    /// floats the model keeps per row and step. Callers split larger batches by rows.
    pub fn max_batch_steps(&self) -> usize {
        limits::MAX_BATCH_ELEMENTS / self.row_width.max(1)
    }

    /// Forgets the carried recurrent state.
    pub fn reset_state(&mut self) {
        for l in &mut self.layers {
            if let Layer::Recurrent { state_h, state_c, .. } = l {
                state_h.clear();
                state_c.clear();
            }
        }
    }

    /// Checks a batch against the model's input, naming what is wrong.
    pub fn check_batch(&self, batch: &Batch) -> Result<()> {
        let (b, t) = (batch.b, batch.t);
        if b == 0 {
            return Err(Error::range("batch size B must be at least 1"));
        }
        if t == 0 {
            return Err(Error::range("sequence length T must be at least 1"));
        }
        if b > limits::MAX_BATCH {
            return Err(Error::range(format!("batch size B = {b} is above the limit of {}", limits::MAX_BATCH)));
        }
        if t > limits::MAX_STEPS {
            return Err(Error::range(format!("sequence length T = {t} is above the limit of {}", limits::MAX_STEPS)));
        }
        limits::product("B × T × activations per step", &[b, t, self.row_width], limits::MAX_BATCH_ELEMENTS)?;
        match self.spec.input {
            InputKind::Tokens { vocab, slots } => {
                let ids = batch.ids.ok_or_else(|| Error::option("this model takes token ids (input.vocab), not features"))?;
                if slots == 1 {
                    check_len("ids", ids, b * t, "[B, T]")?;
                } else {
                    check_len("ids", ids, b * t * slots, &format!("[B={b}, T={t}, slots={slots}]"))?;
                }
                if let Some(i) = ids.iter().position(|&x| x as usize >= vocab) {
                    return Err(Error::range(format!("ids[{i}] = {} is out of range for a vocabulary of {vocab}", ids[i] as i64)));
                }
            }
            InputKind::Features { dim } => {
                let x = batch.features.ok_or_else(|| Error::option("this model takes features (input.features), not token ids"))?;
                check_len("features", x, b * t * dim, &format!("[B={b}, T={t}, F={dim}]"))?;
                check_finite("features", x)?;
            }
        }
        if let Some(ls) = batch.lengths {
            check_len("lengths", ls, b, "[B]")?;
            if let Some(i) = ls.iter().position(|&l| l > t) {
                return Err(Error::range(format!("lengths[{i}] = {} exceeds the sequence length T = {t}", ls[i])));
            }
        }
        if self.carry_state {
            for l in &self.layers {
                if let Layer::Recurrent { stack, state_h, .. } = l {
                    let want = stack.cfg.state_rows() * b * stack.cfg.state_width();
                    if !state_h.is_empty() && state_h.len() != want {
                        return Err(Error::shape(format!(
                            "the carried state was made for another batch size; reset the state before changing B (now {b})"
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// Runs the model; returns the output [rows, output_dim] (see `output_rows`).
    pub fn forward(&mut self, batch: &Batch, train: bool) -> Result<&[f32]> {
        self.check_batch(batch)?;
        let (b, t) = (batch.b, batch.t);
        self.b = b;
        self.t = t;
        self.lengths.clear();
        match batch.lengths {
            Some(ls) => self.lengths.extend_from_slice(ls),
            None => self.lengths.resize(b, t),
        }
        self.ids.clear();
        if let Some(ids) = batch.ids {
            self.ids.extend_from_slice(ids);
        }
        self.acts[0].clear();
        if let Some(x) = batch.features {
            self.acts[0].extend_from_slice(x);
        }
        let carry = self.carry_state;
        for i in 0..self.layers.len() {
            let (inp, rest) = self.acts.split_at_mut(i + 1);
            let (inp, out) = (&inp[i], &mut rest[0]);
            match &mut self.layers[i] {
                Layer::Embedding(e) => e.forward(&self.arena.params, &self.ids, out),
                Layer::Recurrent { stack, return_sequences, state_h, state_c } => {
                    let h0 = if carry && !state_h.is_empty() { Some(&state_h[..]) } else { None };
                    let c0 = if carry && !state_c.is_empty() { Some(&state_c[..]) } else { None };
                    stack.forward(
                        &self.arena.params,
                        SeqInput { x: inp, b, t, lengths: Some(&self.lengths) },
                        StatePair { h: h0, c: c0 },
                        train,
                        &mut self.rng,
                    );
                    if *return_sequences {
                        out.clear();
                        out.extend_from_slice(stack.output());
                    } else {
                        pool_final_states(stack, b, out);
                    }
                    if carry {
                        state_h.clear();
                        state_h.extend_from_slice(&stack.h_n);
                        state_c.clear();
                        state_c.extend_from_slice(&stack.c_n);
                    }
                }
                Layer::Dropout { rate, mask } => {
                    out.clear();
                    out.extend_from_slice(inp);
                    dropout::forward(out, mask, *rate, train, &mut self.rng);
                }
                Layer::Dense(d) => {
                    let rows = match self.shapes[i] {
                        Shape::Seq(_) => b * t,
                        Shape::Flat(_) => b,
                    };
                    d.forward(&self.arena.params, inp, rows, out);
                }
                Layer::Crf(_) => {
                    out.clear();
                    out.extend_from_slice(inp);
                }
            }
        }
        self.forward_done = true;
        Ok(&self.acts[self.layers.len()])
    }

    /// The output of the last forward.
    pub fn output(&self) -> &[f32] {
        &self.acts[self.layers.len()]
    }

    /// Loss of the last forward's output against `targets` (mean over valid rows; padded
    /// steps past each row's length are excluded). With `backward`, also accumulates
    /// gradients into `self.arena.grads`. Returns (loss, counted rows).
    pub fn loss(&mut self, targets: Targets, kind: LossKind, backward: bool) -> Result<(f32, usize)> {
        if !self.forward_done {
            return Err(Error::state("loss() needs a forward() first"));
        }
        let (b, t) = (self.b, self.t);
        let rows = self.output_rows(b, t);
        let v = self.output_dim();
        let seq = self.output_is_sequence();
        let out = &self.acts[self.layers.len()];
        self.d_a.resize(rows * v, 0.0);
        let res = match (kind, targets) {
            (LossKind::CrossEntropy, Targets::Classes(tg)) => {
                check_len("targets", tg, rows, if seq { "[B, T]" } else { "[B]" })?;
                if let Some(i) = tg.iter().position(|&c| c != IGNORE_INDEX && (c < 0 || c as usize >= v)) {
                    return Err(Error::range(format!(
                        "targets[{i}] = {} is out of range for {v} classes (use -100 to ignore a step)",
                        tg[i]
                    )));
                }
                self.targets_buf.clear();
                self.targets_buf.extend_from_slice(tg);
                if seq {
                    for bb in 0..b {
                        for tt in self.lengths[bb]..t {
                            self.targets_buf[bb * t + tt] = IGNORE_INDEX;
                        }
                    }
                }
                loss::softmax_cross_entropy(out, v, &self.targets_buf, IGNORE_INDEX, if backward { Some(&mut self.d_a) } else { None })
            }
            (LossKind::Mse, Targets::Values(tg)) => {
                check_len("targets", tg, rows * v, if seq { "[B, T, F]" } else { "[B, F]" })?;
                check_finite("targets", tg)?;
                self.row_mask.clear();
                self.row_mask.resize(rows, 1.0);
                if seq {
                    for bb in 0..b {
                        for tt in self.lengths[bb]..t {
                            self.row_mask[bb * t + tt] = 0.0;
                        }
                    }
                }
                loss::mse(out, tg, v, Some(&self.row_mask), if backward { Some(&mut self.d_a) } else { None })
            }
            (LossKind::Crf, Targets::Classes(tg)) => {
                let Some(Layer::Crf(crf)) = self.layers.last() else {
                    return Err(Error::option("the crf loss needs a model whose last layer is crf"));
                };
                check_len("targets", tg, rows, "[B, T]")?;
                for bb in 0..b {
                    for tt in 0..self.lengths[bb] {
                        let c = tg[bb * t + tt];
                        if c < 0 || c as usize >= v {
                            return Err(Error::range(format!(
                                "targets[{}] = {c} is out of range for {v} tags (a CRF needs a tag at every valid step; padded steps are ignored)",
                                bb * t + tt
                            )));
                        }
                    }
                }
                let count: usize = self.lengths.iter().sum();
                let scale = if count > 0 { 1.0 / count as f64 } else { 0.0 };
                let p = crf.params(&self.arena.params);
                let total = if backward {
                    let mut g = crf.grads(&mut self.arena.grads);
                    p.nll(out, t, &self.lengths, tg, Some((&mut self.d_a, &mut g, scale)))
                } else {
                    p.nll(out, t, &self.lengths, tg, None)
                };
                ((total * scale) as f32, count)
            }
            (LossKind::Ctc(cfg), Targets::Classes(tg)) => {
                if !seq {
                    return Err(Error::option(
                        "the ctc loss needs one output per step (returnSequences: true on the last recurrent layer)",
                    ));
                }
                let s = ctc_label_rows(tg, b, &mut self.ctc.labels, &mut self.ctc.label_lengths)?;
                let batch = CtcBatch {
                    b,
                    t,
                    c: v,
                    logits: out,
                    input_lengths: &self.lengths,
                    targets: &self.ctc.labels,
                    s,
                    target_lengths: &self.ctc.label_lengths,
                };
                ctc_model_loss(&batch, &cfg, &mut self.ctc.work, if backward { Some(&mut self.d_a) } else { None })?
            }
            (LossKind::CrossEntropy | LossKind::Crf | LossKind::Ctc(_), _) => {
                let what = match kind {
                    LossKind::Crf => "the crf loss",
                    LossKind::Ctc(_) => "the ctc loss",
                    _ => "cross-entropy",
                };
                return Err(Error::option(format!("{what} needs class targets")));
            }
            (LossKind::Mse, _) => return Err(Error::option("mse needs value targets")),
        };
        if backward {
            self.backward_from_output();
        }
        Ok(res)
    }

    /// Backpropagates `self.d_a` (dL/d output) through every layer into `self.arena.grads`.
    fn backward_from_output(&mut self) {
        let (b, t) = (self.b, self.t);
        for i in (0..self.layers.len()).rev() {
            let inp = &self.acts[i];
            let need_dx = i > 0;
            let in_len = inp.len();
            match &mut self.layers[i] {
                Layer::Embedding(e) => e.backward(&mut self.arena.grads, &self.ids, &self.d_a),
                Layer::Dropout { mask, .. } => dropout::backward(&mut self.d_a, mask),
                // the emissions' gradient is d_a itself (the CRF parameters got theirs in loss)
                Layer::Crf(_) => {}
                Layer::Dense(d) => {
                    let rows = match self.shapes[i] {
                        Shape::Seq(_) => b * t,
                        Shape::Flat(_) => b,
                    };
                    self.d_b.resize(in_len, 0.0);
                    d.backward(
                        &self.arena.params,
                        &mut self.arena.grads,
                        inp,
                        &self.d_a,
                        rows,
                        if need_dx { Some(&mut self.d_b) } else { None },
                    );
                    std::mem::swap(&mut self.d_a, &mut self.d_b);
                }
                Layer::Recurrent { stack, return_sequences, .. } => {
                    let d_hn = if *return_sequences {
                        None
                    } else {
                        // pooled grad [B, D·S] → the top layer's rows of d_hn [L·D, B, S]
                        let cfg = &stack.cfg;
                        let (h, dn) = (cfg.state_width(), cfg.dirs());
                        self.d_state.clear();
                        self.d_state.resize(cfg.state_rows() * b * h, 0.0);
                        for d in 0..dn {
                            let r = (cfg.layers - 1) * dn + d;
                            for bb in 0..b {
                                let dst = (r * b + bb) * h;
                                let src = bb * dn * h + d * h;
                                self.d_state[dst..dst + h].copy_from_slice(&self.d_a[src..src + h]);
                            }
                        }
                        self.d_a.clear();
                        self.d_a.resize(b * t * dn * h, 0.0);
                        Some(&self.d_state[..])
                    };
                    self.d_b.clear();
                    self.d_b.resize(in_len, 0.0);
                    stack.backward(
                        &self.arena.params,
                        &mut self.arena.grads,
                        inp,
                        &self.d_a,
                        StatePair { h: d_hn, c: None },
                        if need_dx { Some(&mut self.d_b) } else { None },
                    );
                    std::mem::swap(&mut self.d_a, &mut self.d_b);
                }
            }
        }
    }

    /// Turns the recording of per-step gradient norms on or off in every recurrent layer (off
    /// by default; see `layers::step_norms`). Each backward while on records them.
    pub fn record_step_norms(&mut self, on: bool) {
        for l in &mut self.layers {
            if let Layer::Recurrent { stack, .. } = l {
                stack.record_step_norms(on);
            }
        }
    }

    /// The per-step gradient norms of the last backward, one entry per recurrent layer with
    /// its name, in layer order. E_STATE when recording is off, no backward has run since it
    /// was turned on, or the model has no recurrent layer.
    pub fn step_norms(&self) -> Result<Vec<(&str, &StepNorms)>> {
        let mut out = Vec::new();
        for (l, ls) in self.layers.iter().zip(&self.spec.layers) {
            if let (Layer::Recurrent { stack, .. }, LayerSpec::Recurrent { name, .. }) = (l, ls) {
                let n = stack.step_norms().ok_or_else(|| {
                    Error::state(
                        "no per-step gradient norms: turn recording on, then run a backward (loss with backward, or a training step)",
                    )
                })?;
                out.push((name.as_str(), n));
            }
        }
        if out.is_empty() {
            return Err(Error::state("per-step gradient norms need a recurrent layer; this model has none"));
        }
        Ok(out)
    }

    /// Viterbi decoding of the last forward's emissions under the model's CRF head: the best
    /// tag path of each row, [B, T], −1 on steps past a row's length.
    pub fn crf_decode(&self) -> Result<Vec<i32>> {
        if !self.forward_done {
            return Err(Error::state("decode needs a forward() first"));
        }
        let Some(Layer::Crf(crf)) = self.layers.last() else {
            return Err(Error::option("decode needs a model whose last layer is crf"));
        };
        let mut out = vec![0i32; self.b * self.t];
        crf.params(&self.arena.params).viterbi(self.output(), self.t, &self.lengths, &mut out);
        Ok(out)
    }
}

/// Splits class targets [B, S] (labels, then −100 padding) into labels [B, S] (padding as 0)
/// and per-row label counts. Returns S. E_SHAPE unless the length is a multiple of B;
/// E_RANGE for a negative label or a label after padding.
fn ctc_label_rows(tg: &[i32], b: usize, labels: &mut Vec<u32>, counts: &mut Vec<usize>) -> Result<usize> {
    if tg.is_empty() || !tg.len().is_multiple_of(b) {
        return Err(Error::shape(format!(
            "ctc targets have {} values; expected [B={b}, S] (each row's labels, then -100 padding)",
            tg.len()
        )));
    }
    let s = tg.len() / b;
    labels.clear();
    counts.clear();
    for r in 0..b {
        let row = &tg[r * s..(r + 1) * s];
        let n = row.iter().position(|&x| x == IGNORE_INDEX).unwrap_or(s);
        if let Some(j) = row.iter().enumerate().position(|(j, &x)| if j < n { x < 0 } else { x != IGNORE_INDEX }) {
            return Err(Error::range(format!(
                "ctc targets[{r}][{j}] = {} must be a label ≥ 0, or -100 padding after the row's labels",
                row[j]
            )));
        }
        labels.extend(row.iter().map(|&x| if x < 0 { 0 } else { x as u32 }));
        counts.push(n);
    }
    Ok(s)
}

/// The model's CTC loss: (reduced loss, rows) with the gradient into `d` [B, T, C].
fn ctc_model_loss(batch: &CtcBatch, cfg: &CtcConfig, work: &mut CtcWork, d: Option<&mut Vec<f32>>) -> Result<(f32, usize)> {
    let (loss, _) = ctc_loss(batch, cfg, work, d.map(|d| d.as_mut_slice()))?;
    Ok((loss as f32, batch.b))
}

/// out [B, D·S] = the top layer's final state of each direction.
fn pool_final_states(stack: &RecurrentStack, b: usize, out: &mut Vec<f32>) {
    let cfg = &stack.cfg;
    let (h, dn) = (cfg.state_width(), cfg.dirs());
    out.clear();
    out.resize(b * dn * h, 0.0);
    for d in 0..dn {
        let r = (cfg.layers - 1) * dn + d;
        for bb in 0..b {
            let src = (r * b + bb) * h;
            let dst = bb * dn * h + d * h;
            out[dst..dst + h].copy_from_slice(&stack.h_n[src..src + h]);
        }
    }
}
