//! `Trainer`: the core's one trainer (optimizer, clipping, schedule and their state) over a
//! `Model` (`new Trainer(model, config)`, `step`, `stepTbptt`) or a `Seq2Seq`
//! (`Trainer.forSeq2Seq(model, config)`, `stepPairs`); data-parallel training splits each
//! update into `gradStep` / `gradPairs` and `applyGrads` / `applyPairsGrads`. This file only
//! converts options.
//!
//! Config: { loss: "crossEntropy" | "mse" | "crf" | "ctc"   (Model only),
//!           ctc?: { blank, reduction, zeroInfinity }   (loss "ctc" only),
//!           optimizer: { name: "sgd" | "adam" | "adamw" | "rmsprop" | "adagrad", lr, ... },
//!           clipNorm?, clipValue?,
//!           schedule?: { name: "constant" | "step" | "exponential" | "cosine", ... } }

use crate::errors::{IntoJs, JsResult, js_named, option_err, range_err, to_js};
use crate::model::{WasmModel, batch, lengths, parse_loss, targets};
use crate::options::Opts;
use crate::seq2seq::{WasmSeq2Seq, pairs_lengths};
use recurrent_core::model::LossKind;
use recurrent_core::model::seq2seq::Pairs;
use recurrent_core::model::train::{Supervised, TokenSequences, step_tbptt};
use recurrent_core::optim::schedule::Schedule;
use recurrent_core::optim::trainer::{StepStats, Trainable, Trainer, TrainerConfig, TrainerState};
use recurrent_core::optim::{OptimizerConfig, OptimizerState};
use wasm_bindgen::prelude::*;

const OPTIMIZER_KEYS: &[&str] = &[
    "name",
    "lr",
    "momentum",
    "dampening",
    "weightDecay",
    "nesterov",
    "betas",
    "eps",
    "alpha",
    "centered",
    "lrDecay",
    "initialAccumulatorValue",
    "lazy",
];

/// `{ name, lr?, ... }` → the named optimizer with PyTorch's defaults, then the keys given.
fn parse_optimizer(v: JsValue) -> JsResult<(OptimizerConfig, bool)> {
    let name =
        Opts::new(v.clone(), "optimizer", OPTIMIZER_KEYS)?.string("name")?.ok_or_else(|| option_err("optimizer.name is required"))?;
    let allowed: &[&str] = match name.as_str() {
        "sgd" => &["name", "lr", "momentum", "dampening", "weightDecay", "nesterov"],
        "adam" | "adamw" => &["name", "lr", "betas", "eps", "weightDecay", "lazy"],
        "rmsprop" => &["name", "lr", "alpha", "eps", "weightDecay", "momentum", "centered"],
        "adagrad" => &["name", "lr", "lrDecay", "weightDecay", "initialAccumulatorValue", "eps"],
        _ => &["name"],
    };
    let o = Opts::new(v, "optimizer", allowed)?;
    let mut cfg = OptimizerConfig::named(&name, o.f32("lr")?).js()?;
    let mut lazy = false;
    match &mut cfg {
        OptimizerConfig::Sgd { momentum, dampening, weight_decay, nesterov, .. } => {
            o.set_f32("momentum", momentum)?;
            o.set_f32("dampening", dampening)?;
            o.set_f32("weightDecay", weight_decay)?;
            o.set_flag("nesterov", nesterov)?;
        }
        OptimizerConfig::Adam { beta1, beta2, eps, weight_decay, .. } | OptimizerConfig::AdamW { beta1, beta2, eps, weight_decay, .. } => {
            if let Some((b1, b2)) = o.pair("betas")? {
                (*beta1, *beta2) = (b1, b2);
            }
            o.set_f32("eps", eps)?;
            o.set_f32("weightDecay", weight_decay)?;
            o.set_flag("lazy", &mut lazy)?;
        }
        OptimizerConfig::RmsProp { alpha, eps, weight_decay, momentum, centered, .. } => {
            o.set_f32("alpha", alpha)?;
            o.set_f32("eps", eps)?;
            o.set_f32("weightDecay", weight_decay)?;
            o.set_f32("momentum", momentum)?;
            o.set_flag("centered", centered)?;
        }
        OptimizerConfig::Adagrad { lr_decay, weight_decay, initial_accumulator_value, eps, .. } => {
            o.set_f32("lrDecay", lr_decay)?;
            o.set_f32("weightDecay", weight_decay)?;
            o.set_f32("initialAccumulatorValue", initial_accumulator_value)?;
            o.set_f32("eps", eps)?;
        }
    }
    Ok((cfg, lazy))
}

fn parse_schedule(v: JsValue) -> JsResult<Schedule> {
    if v.is_undefined() || v.is_null() {
        return Ok(Schedule::Constant);
    }
    let name = Opts::new(v.clone(), "schedule", &["name", "stepSize", "gamma", "tMax", "etaMin"])?
        .string("name")?
        .unwrap_or_else(|| "constant".into());
    let period = |o: &Opts, k: &str| -> JsResult<u32> {
        Ok(o.count(k, u32::MAX as usize)?.ok_or_else(|| option_err(format!("schedule.{k} is required")))? as u32)
    };
    Ok(match name.as_str() {
        "constant" => {
            Opts::new(v, "schedule", &["name"])?;
            Schedule::Constant
        }
        "step" => {
            let o = Opts::new(v, "schedule", &["name", "stepSize", "gamma"])?;
            let mut s = Schedule::step(period(&o, "stepSize")?);
            if let Schedule::Step { gamma, .. } = &mut s {
                o.set_f32("gamma", gamma)?;
            }
            s
        }
        "exponential" => {
            let o = Opts::new(v, "schedule", &["name", "gamma"])?;
            Schedule::Exponential { gamma: o.f32("gamma")?.ok_or_else(|| option_err("schedule.gamma is required"))? }
        }
        "cosine" => {
            let o = Opts::new(v, "schedule", &["name", "tMax", "etaMin"])?;
            let mut s = Schedule::cosine(period(&o, "tMax")?);
            if let Schedule::Cosine { eta_min, .. } = &mut s {
                o.set_f32("etaMin", eta_min)?;
            }
            s
        }
        _ => return Err(option_err(format!("schedule.name '{name}' is not one of constant, step, exponential, cosine"))),
    })
}

/// Reads `config` (with `loss` only when `with_loss`) into the core's trainer config.
fn parse_config(config: JsValue, with_loss: bool) -> JsResult<(TrainerConfig, Option<LossKind>)> {
    let keys: &[&str] = if with_loss {
        &["loss", "ctc", "optimizer", "clipNorm", "clipValue", "schedule"]
    } else {
        &["optimizer", "clipNorm", "clipValue", "schedule"]
    };
    let o = Opts::new(config, "compile", keys)?;
    let loss = if with_loss { Some(parse_loss(&o.string("loss")?.unwrap_or_else(|| "crossEntropy".into()), o.get("ctc"))?) } else { None };
    let (optimizer, lazy_rows) = parse_optimizer(o.get("optimizer"))?;
    let cfg = TrainerConfig {
        optimizer,
        clip_norm: o.f32("clipNorm")?,
        clip_value: o.f32("clipValue")?,
        schedule: parse_schedule(o.get("schedule"))?,
        lazy_rows,
    };
    Ok((cfg, loss))
}

/// Sets `model`'s gradients to `grads` (the whole arena, a JS Float32Array, e.g. a view of
/// shared memory, read straight into the model's gradients: one copy, where a `&[f32]`
/// argument costs two and an allocation) and applies one update through `t`:
/// [gradNormBeforeClip, lr].
fn apply_to<M: Trainable>(t: &mut Trainer, model: &mut M, grads: &js_sys::Float32Array) -> JsResult<Vec<f32>> {
    let n = model.arena().len();
    if grads.length() as usize != n {
        return Err(to_js(recurrent_core::Error::shape(format!("grads has {} values; this model has {n} parameters", grads.length()))));
    }
    grads.copy_to(&mut model.arena_mut().grads);
    let (g, lr) = t.apply(model).js()?;
    Ok(vec![g, lr])
}

/// One supervised batch for `step` and `gradStep`, as JS gives it: ids or features [B·T·…]
/// (the other empty), the batch size and steps as JS numbers (checked by the call that takes
/// the batch), row lengths or empty, class targets or value targets (the other empty).
/// `new SupervisedBatch(ids, features, batchSize, steps, lengths, classes, values)`; a call
/// taking it takes ownership (the JS object is spent).
#[wasm_bindgen]
pub struct SupervisedBatch {
    ids: Vec<u32>,
    features: Vec<f32>,
    batch_size: f64,
    steps: f64,
    lengths: Vec<u32>,
    classes: Vec<i32>,
    values: Vec<f32>,
}

#[wasm_bindgen]
impl SupervisedBatch {
    #[wasm_bindgen(constructor)]
    pub fn new(
        ids: Vec<u32>,
        features: Vec<f32>,
        batch_size: f64,
        steps: f64,
        lengths: Vec<u32>,
        classes: Vec<i32>,
        values: Vec<f32>,
    ) -> Self {
        SupervisedBatch { ids, features, batch_size, steps, lengths, classes, values }
    }
}

/// Runs `f` on the supervised batch `sb` describes (sizes checked).
fn with_supervised<R>(loss: LossKind, sb: &SupervisedBatch, f: impl FnOnce(&Supervised<'_>) -> JsResult<R>) -> JsResult<R> {
    let (b, t) = crate::model::batch_dims(sb.batch_size, sb.steps)?;
    let ls = lengths(&sb.lengths);
    f(&Supervised { inputs: batch(&sb.ids, &sb.features, b, t, &ls), targets: targets(&sb.classes, &sb.values)?, loss })
}

fn stats(s: StepStats) -> Vec<f32> {
    vec![s.loss, s.grad_norm, s.count as f32, s.lr]
}

#[wasm_bindgen(js_name = Trainer)]
pub struct WasmTrainer {
    t: Trainer,
    /// The loss of a sequential model's trainer; None for an encoder-decoder's.
    loss: Option<LossKind>,
}

#[wasm_bindgen(js_class = Trainer)]
impl WasmTrainer {
    /// A trainer for a sequential `Model`.
    #[wasm_bindgen(constructor)]
    pub fn new(model: &WasmModel, config: JsValue) -> JsResult<WasmTrainer> {
        let (cfg, loss) = parse_config(config, true)?;
        Ok(WasmTrainer { t: js_named(Trainer::new(cfg, model.m.arena.len()))?, loss })
    }

    /// A trainer for a `Seq2Seq` (the same config without `loss`).
    #[wasm_bindgen(js_name = forSeq2Seq)]
    pub fn for_seq2seq(model: &WasmSeq2Seq, config: JsValue) -> JsResult<WasmTrainer> {
        let (cfg, _) = parse_config(config, false)?;
        Ok(WasmTrainer { t: js_named(Trainer::new(cfg, model.m.arena.len()))?, loss: None })
    }

    fn model_loss(&self) -> JsResult<LossKind> {
        self.loss.ok_or_else(|| option_err("this trainer was made for a Seq2Seq (Trainer.forSeq2Seq); use stepPairs"))
    }

    /// One update of a `Model`. Returns [loss, gradNormBeforeClip, countedRows, lr].
    pub fn step(&mut self, model: &mut WasmModel, batch: SupervisedBatch) -> JsResult<Vec<f32>> {
        let loss = self.model_loss()?;
        let s = with_supervised(loss, &batch, |batch| self.t.step(&mut model.m, batch).js())?;
        model.grads_ready = true;
        Ok(stats(s))
    }

    /// The first half of `step` (data-parallel training): forward, loss and backward on a
    /// batch, leaving the gradient of its mean loss in the model (`getGrads`); no update.
    /// Returns [loss, countedRows].
    #[wasm_bindgen(js_name = gradStep)]
    pub fn grad_step(&mut self, model: &mut WasmModel, batch: SupervisedBatch) -> JsResult<Vec<f64>> {
        let loss = self.model_loss()?;
        let (l, c) = with_supervised(loss, &batch, |batch| self.t.grad(&mut model.m, batch).js())?;
        model.grads_ready = true;
        Ok(vec![l, c as f64])
    }

    /// The second half of `step`: sets the model's gradients to `grads` (the whole arena, in
    /// `paramNames` order: e.g. several replicas' gradients combined), clips them and applies
    /// one update. Returns [gradNormBeforeClip, lr].
    #[wasm_bindgen(js_name = applyGrads)]
    pub fn apply_grads(&mut self, model: &mut WasmModel, grads: &js_sys::Float32Array) -> JsResult<Vec<f32>> {
        self.model_loss()?;
        let r = apply_to(&mut self.t, &mut model.m, grads)?;
        model.grads_ready = true;
        Ok(r)
    }

    fn seq2seq_only(&self) -> JsResult<()> {
        if self.loss.is_some() {
            return Err(option_err("this trainer was made for a Model; use Trainer.forSeq2Seq for a Seq2Seq"));
        }
        Ok(())
    }

    /// One update of a `Seq2Seq` on a batch of pairs (ragged: all sources concatenated
    /// with their lengths, the same for targets). Returns [loss, gradNormBeforeClip,
    /// targetTokens, lr].
    #[wasm_bindgen(js_name = stepPairs)]
    pub fn step_pairs(
        &mut self,
        model: &mut WasmSeq2Seq,
        src: &[u32],
        src_lengths: &[u32],
        tgt: &[u32],
        tgt_lengths: &[u32],
    ) -> JsResult<Vec<f32>> {
        self.seq2seq_only()?;
        let (sl, tl) = pairs_lengths(src_lengths, tgt_lengths);
        let s = self.t.step(&mut model.m, &Pairs { src, src_lengths: &sl, tgt, tgt_lengths: &tl }).js()?;
        model.grads_ready = true;
        Ok(stats(s))
    }

    /// The first half of `stepPairs` (data-parallel training): forward, loss and backward on
    /// a batch of pairs, leaving the gradient of its mean loss per target token in the model
    /// (`getGrads`); no update. Returns [loss, targetTokens].
    #[wasm_bindgen(js_name = gradPairs)]
    pub fn grad_pairs(
        &mut self,
        model: &mut WasmSeq2Seq,
        src: &[u32],
        src_lengths: &[u32],
        tgt: &[u32],
        tgt_lengths: &[u32],
    ) -> JsResult<Vec<f64>> {
        self.seq2seq_only()?;
        let (sl, tl) = pairs_lengths(src_lengths, tgt_lengths);
        let (l, c) = self.t.grad(&mut model.m, &Pairs { src, src_lengths: &sl, tgt, tgt_lengths: &tl }).js()?;
        model.grads_ready = true;
        Ok(vec![l, c as f64])
    }

    /// The second half of `stepPairs`: `applyGrads` for a `Seq2Seq`. Returns
    /// [gradNormBeforeClip, lr].
    #[wasm_bindgen(js_name = applyPairsGrads)]
    pub fn apply_pairs_grads(&mut self, model: &mut WasmSeq2Seq, grads: &js_sys::Float32Array) -> JsResult<Vec<f32>> {
        self.seq2seq_only()?;
        let r = apply_to(&mut self.t, &mut model.m, grads)?;
        model.grads_ready = true;
        Ok(r)
    }

    /// Truncated BPTT over ids/targets [B, T] in windows of `window` steps (state carried,
    /// detached, one update per window). Returns [loss, gradNorm] per window, flattened.
    #[wasm_bindgen(js_name = stepTbptt)]
    pub fn step_tbptt(
        &mut self,
        model: &mut WasmModel,
        ids: &[u32],
        classes: &[i32],
        batch_size: f64,
        steps: f64,
        window: f64,
    ) -> JsResult<Vec<f32>> {
        let loss = self.model_loss()?;
        let (b, t) = crate::model::batch_dims(batch_size, steps)?;
        let window = crate::errors::size("window", window, recurrent_core::limits::MAX_STEPS)?;
        let stats = step_tbptt(&mut self.t, &mut model.m, loss, TokenSequences { b, t, ids, targets: classes }, window).js()?;
        model.grads_ready |= !stats.is_empty();
        Ok(stats.iter().flat_map(|s| [s.loss, s.grad_norm]).collect())
    }

    /// Advances the learning-rate schedule by one (call once per epoch).
    #[wasm_bindgen(js_name = scheduleStep)]
    pub fn schedule_step(&mut self) {
        self.t.schedule_step();
    }
    /// The learning rate of the next update.
    pub fn lr(&self) -> f32 {
        self.t.lr()
    }
    /// Sets the base learning rate (the schedule then applies to it).
    #[wasm_bindgen(js_name = setLearningRate)]
    pub fn set_learning_rate(&mut self, lr: f64) -> JsResult<()> {
        self.t.set_learning_rate(lr as f32).js()
    }
    /// Optimizer steps taken.
    #[wasm_bindgen(js_name = stepCount)]
    pub fn step_count(&self) -> f64 {
        self.t.step_count() as f64
    }

    /// Optimizer state for checkpoints: [step, scheduleSteps, s1…, s2…, s3…] with each count
    /// split into two f32 words of 24 bits (high, low).
    #[wasm_bindgen(js_name = getState)]
    pub fn get_state(&self) -> Vec<f32> {
        let st = self.t.state();
        let split = |x: u64| [(x >> 24) as f32, (x & 0xFF_FFFF) as f32];
        let mut v = Vec::with_capacity(4 + st.optimizer.slots.iter().map(Vec::len).sum::<usize>());
        v.extend(split(st.optimizer.step));
        v.extend(split(st.schedule_steps as u64));
        for s in &st.optimizer.slots {
            v.extend_from_slice(s);
        }
        v
    }
    #[wasm_bindgen(js_name = setState)]
    pub fn set_state(&mut self, v: &[f32]) -> JsResult<()> {
        let n = self.t.state().optimizer.slots[0].len();
        if v.len() != 4 + 3 * n {
            return Err(range_err(format!("optimizer state has {} values; expected {} for this model", v.len(), 4 + 3 * n)));
        }
        if v[..4].iter().any(|x| !(x.is_finite() && *x >= 0.0 && x.fract() == 0.0 && *x < (1 << 24) as f32)) {
            return Err(range_err("optimizer state counters must be whole numbers below 2^24"));
        }
        let join = |a: f32, b: f32| ((a as u64) << 24) | b as u64;
        let slots = [v[4..4 + n].to_vec(), v[4 + n..4 + 2 * n].to_vec(), v[4 + 2 * n..].to_vec()];
        let schedule_steps = u32::try_from(join(v[2], v[3])).map_err(|_| range_err("optimizer state: scheduleSteps is too large"))?;
        let st = TrainerState { optimizer: OptimizerState { step: join(v[0], v[1]), slots }, schedule_steps };
        self.t.set_state(&st).map_err(|e| range_err(e.message))
    }
}
