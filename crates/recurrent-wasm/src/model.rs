//! `ModelSpec` (a builder of the architecture) and `Model` (parameters, forward, loss,
//! backward, stateful stepping and generation).

use crate::errors::{IntoJs, JsResult, js_named, option_err, range_err, to_js};
use crate::options::Opts;
use recurrent_core::limits;
use recurrent_core::loss::ctc::{CtcConfig, CtcReduction};
use recurrent_core::model::generate::SampleConfig;
use recurrent_core::model::{Batch, InputKind, LayerSpec, LossKind, Model, ModelSpec, Targets};
use recurrent_core::rng::Rng;
use recurrent_core::{CellKind, Error};
use wasm_bindgen::prelude::*;

/// A layer's name: E_OPTION unless a string.
fn layer_name(kind: &str, name: JsValue) -> JsResult<String> {
    name.as_string().ok_or_else(|| option_err(format!("{kind}.name must be a string")))
}

/// A size from JS as an integer (E_RANGE for fractions, negatives and anything that would
/// not fit in usize); the core checks its limits.
fn count(what: &str, x: f64) -> JsResult<usize> {
    crate::errors::size(what, x, usize::MAX)
}

#[wasm_bindgen(js_name = ModelSpec)]
pub struct WasmModelSpec {
    pub(crate) spec: ModelSpec,
}

#[wasm_bindgen(js_class = ModelSpec)]
impl WasmModelSpec {
    /// A model over token ids in [0, vocab), `slots` of them per step (default 1).
    pub fn tokens(vocab: f64, slots: Option<f64>) -> JsResult<WasmModelSpec> {
        let vocab = count("vocab", vocab)?;
        let slots = count("slots", slots.unwrap_or(1.0))?;
        Ok(WasmModelSpec { spec: ModelSpec { input: InputKind::Tokens { vocab, slots }, layers: Vec::new() } })
    }
    /// A model over `dim` continuous features per step.
    pub fn features(dim: f64) -> JsResult<WasmModelSpec> {
        let dim = count("features", dim)?;
        Ok(WasmModelSpec { spec: ModelSpec { input: InputKind::Features { dim }, layers: Vec::new() } })
    }
    #[wasm_bindgen(js_name = addEmbedding)]
    pub fn add_embedding(&mut self, name: JsValue, dim: f64) -> JsResult<()> {
        self.spec.layers.push(LayerSpec::Embedding { name: layer_name("embedding", name)?, dim: count("embedding.dim", dim)? });
        Ok(())
    }
    /// A recurrent layer from its spec `{ type?: "recurrent", name, cell, units, layers,
    /// bidirectional, dropout, returnSequences }` (every key but `type` required).
    #[wasm_bindgen(js_name = addRecurrent)]
    pub fn add_recurrent(&mut self, layer: JsValue) -> JsResult<()> {
        // The last three keys, recurrentActivation ("sigmoid" | "hardSigmoid"), resetAfter
        // (GRU: false applies the reset gate before the recurrent product) and projSize (LSTM:
        // PyTorch's proj_size), are optional (ts/cells.ts lists which cell takes which).
        let keys = [
            "type",
            "name",
            "cell",
            "units",
            "layers",
            "bidirectional",
            "dropout",
            "returnSequences",
            "recurrentActivation",
            "resetAfter",
            "projSize",
        ];
        let o = Opts::new(layer, "recurrent", &keys)?;
        if let Some(k) = keys[1..keys.len() - 3].iter().find(|k| o.get(k).is_undefined()) {
            return Err(option_err(format!("recurrent.{k} is required")));
        }
        if let Some(t) = o.string("type")?
            && t != "recurrent"
        {
            return Err(option_err(format!("recurrent.type is '{t}', not 'recurrent'")));
        }
        let cell = o.string("cell")?.unwrap_or_default();
        let cell =
            CellKind::parse(&cell).ok_or_else(|| option_err(format!("cell '{cell}' is not one of lstm, gru, rnn_tanh, rnn_relu")))?;
        let cell = match o.string("recurrentActivation")? {
            None => cell,
            Some(a) => cell.with_gate_activation(&a).ok_or_else(|| {
                option_err(format!(
                    "recurrent.recurrentActivation '{a}' is not one of sigmoid, hardSigmoid (hardSigmoid: lstm and gru only)"
                ))
            })?,
        };
        let mut reset_after = true;
        o.set_flag("resetAfter", &mut reset_after)?;
        let cell = cell
            .with_reset_after(reset_after)
            .ok_or_else(|| option_err("recurrent.resetAfter false is only for gru cells (the reset gate before the recurrent product)"))?;
        let cell = match o.count("projSize", usize::MAX)? {
            None => cell,
            Some(p) => cell
                .with_proj(p)
                .ok_or_else(|| option_err("recurrent.projSize is only for lstm cells with sigmoid gates (PyTorch's proj_size)"))?,
        };
        let (mut bidirectional, mut return_sequences) = (false, false);
        o.set_flag("bidirectional", &mut bidirectional)?;
        o.set_flag("returnSequences", &mut return_sequences)?;
        self.spec.layers.push(LayerSpec::Recurrent {
            name: layer_name("recurrent", o.get("name"))?,
            cell,
            units: o.count("units", usize::MAX)?.unwrap_or_default(),
            layers: o.count("layers", usize::MAX)?.unwrap_or_default(),
            bidirectional,
            dropout: o.f32("dropout")?.unwrap_or_default(),
            return_sequences,
        });
        Ok(())
    }
    #[wasm_bindgen(js_name = addDropout)]
    pub fn add_dropout(&mut self, rate: f32) {
        self.spec.layers.push(LayerSpec::Dropout { rate });
    }
    #[wasm_bindgen(js_name = addDense)]
    pub fn add_dense(&mut self, name: JsValue, units: f64) -> JsResult<()> {
        self.spec.layers.push(LayerSpec::Dense { name: layer_name("dense", name)?, units: count("dense.units", units)? });
        Ok(())
    }
    /// Scalars in the parameters of this architecture, without allocating them (loaders check
    /// a file's size against it first). Validates the spec (E_RANGE / E_OPTION).
    #[wasm_bindgen(js_name = paramCount)]
    pub fn param_count(&self) -> JsResult<f64> {
        Ok(js_named(Model::param_count(&self.spec))? as f64)
    }
    /// Linear-chain CRF head over the previous layer's per-step scores (the last layer).
    #[wasm_bindgen(js_name = addCrf)]
    pub fn add_crf(&mut self, name: JsValue) -> JsResult<()> {
        self.spec.layers.push(LayerSpec::Crf { name: layer_name("crf", name)? });
        Ok(())
    }
}

#[wasm_bindgen(js_name = Model)]
pub struct WasmModel {
    pub(crate) m: Model,
    /// Whether a backward (loss with backward, or a training step) has filled the gradients.
    pub(crate) grads_ready: bool,
}

/// The loss named `kind`; `ctc` ({ blank?, reduction?, zeroInfinity? }, PyTorch's defaults)
/// is read only for "ctc" and must be absent otherwise.
pub(crate) fn parse_loss(kind: &str, ctc: JsValue) -> JsResult<LossKind> {
    let absent = ctc.is_undefined() || ctc.is_null();
    if kind != "ctc" && !absent {
        return Err(option_err(format!("ctc options are only for loss 'ctc', not '{kind}'")));
    }
    match kind {
        "crossEntropy" => Ok(LossKind::CrossEntropy),
        "mse" => Ok(LossKind::Mse),
        "crf" => Ok(LossKind::Crf),
        "ctc" => {
            let mut cfg = CtcConfig::default();
            if !absent {
                let o = Opts::new(ctc, "ctc", &["blank", "reduction", "zeroInfinity"])?;
                if let Some(b) = o.count("blank", limits::MAX_DIM)? {
                    cfg.blank = b;
                }
                if let Some(r) = o.string("reduction")? {
                    cfg.reduction = CtcReduction::parse(&r).js()?;
                }
                o.set_flag("zeroInfinity", &mut cfg.zero_infinity)?;
            }
            Ok(LossKind::Ctc(cfg))
        }
        _ => Err(option_err(format!("loss '{kind}' is not one of crossEntropy, mse, crf, ctc"))),
    }
}

/// Borrowed view of a JS batch: empty arrays mean "absent".
pub(crate) fn batch<'a>(ids: &'a [u32], features: &'a [f32], b: usize, t: usize, lengths: &'a [usize]) -> Batch<'a> {
    Batch {
        b,
        t,
        ids: (!ids.is_empty()).then_some(ids),
        features: (!features.is_empty()).then_some(features),
        lengths: (!lengths.is_empty()).then_some(lengths),
    }
}

/// Batch size and steps from JS numbers (E_RANGE unless whole numbers within the limits).
pub(crate) fn batch_dims(batch: f64, steps: f64) -> JsResult<(usize, usize)> {
    Ok((crate::errors::size("batch", batch, limits::MAX_BATCH)?, crate::errors::size("steps", steps, limits::MAX_STEPS)?))
}

pub(crate) fn lengths(l: &[u32]) -> Vec<usize> {
    l.iter().map(|&x| x as usize).collect()
}

pub(crate) fn targets<'a>(classes: &'a [i32], values: &'a [f32]) -> JsResult<Targets<'a>> {
    match (classes.is_empty(), values.is_empty()) {
        (false, true) => Ok(Targets::Classes(classes)),
        (true, false) => Ok(Targets::Values(values)),
        _ => Err(option_err("give exactly one of class targets (Int32Array) and value targets (Float32Array)")),
    }
}

#[wasm_bindgen(js_class = Model)]
impl WasmModel {
    /// Validates the spec, allocates the parameter arena and initialises it from `seed`.
    #[wasm_bindgen(constructor)]
    pub fn new(spec: &WasmModelSpec, seed: u32) -> JsResult<WasmModel> {
        Ok(WasmModel { m: js_named(Model::new(spec.spec.clone(), seed as u64))?, grads_ready: false })
    }

    #[wasm_bindgen(js_name = paramNames)]
    pub fn param_names(&self) -> Vec<String> {
        crate::params::names(&self.m.arena.table)
    }
    #[wasm_bindgen(js_name = paramShape)]
    pub fn param_shape(&self, name: &str) -> JsResult<Vec<u32>> {
        crate::params::shape(&self.m.arena.table, name)
    }
    #[wasm_bindgen(js_name = paramCount)]
    pub fn param_count(&self) -> u32 {
        self.m.arena.len() as u32
    }
    #[wasm_bindgen(js_name = setParam)]
    pub fn set_param(&mut self, name: &str, data: &[f32]) -> JsResult<()> {
        self.m.arena.set_param(name, data).js()
    }
    #[wasm_bindgen(js_name = getParam)]
    pub fn get_param(&self, name: &str) -> JsResult<Vec<f32>> {
        Ok(self.m.arena.spec(name).js()?.slot.of(&self.m.arena.params).to_vec())
    }
    #[wasm_bindgen(js_name = getGrad)]
    pub fn get_grad(&self, name: &str) -> JsResult<Vec<f32>> {
        if !self.grads_ready {
            return Err(to_js(Error::state("getGrad() needs a backward first (loss with backward: true, or a training step)")));
        }
        Ok(self.m.arena.spec(name).js()?.slot.of(&self.m.arena.grads).to_vec())
    }
    /// Every gradient of the arena, in `paramNames` order (after a backward or a step).
    #[wasm_bindgen(js_name = getGrads)]
    pub fn get_grads(&self) -> JsResult<Vec<f32>> {
        if !self.grads_ready {
            return Err(to_js(Error::state("getGrads() needs a backward first (a gradient or training step)")));
        }
        Ok(self.m.arena.grads.clone())
    }
    /// Copies every gradient (in `paramNames` order) into `out`, a Float32Array of `paramCount`
    /// values (e.g. a view of shared memory), with no copy in between.
    #[wasm_bindgen(js_name = copyGradsTo)]
    pub fn copy_grads_to(&self, out: &js_sys::Float32Array) -> JsResult<()> {
        crate::params::copy_grads_to(&self.m.arena.grads, self.grads_ready, out)
    }
    /// The whole parameter arena, in `paramNames` order.
    #[wasm_bindgen(js_name = getParams)]
    pub fn get_params(&self) -> Vec<f32> {
        self.m.arena.params.clone()
    }
    #[wasm_bindgen(js_name = setParams)]
    pub fn set_params(&mut self, data: &[f32]) -> JsResult<()> {
        self.m.arena.set_params(data).js()
    }
    #[wasm_bindgen(js_name = outputDim)]
    pub fn output_dim(&self) -> u32 {
        self.m.output_dim() as u32
    }
    /// The largest B·T one call may take (the core's activation limit over the floats kept
    /// per row and step).
    #[wasm_bindgen(js_name = maxBatchSteps)]
    pub fn max_batch_steps(&self) -> f64 {
        self.m.max_batch_steps() as f64
    }
    #[wasm_bindgen(js_name = outputIsSequence)]
    pub fn output_is_sequence(&self) -> bool {
        self.m.output_is_sequence()
    }

    /// ids [B·T] or features [B·T·F] (the other empty); lengths [B] or empty.
    /// Returns the output [rows, outputDim].
    pub fn forward(
        &mut self,
        ids: &[u32],
        features: &[f32],
        batch_size: f64,
        steps: f64,
        lengths_: &[u32],
        train: bool,
    ) -> JsResult<Vec<f32>> {
        let (b, t) = batch_dims(batch_size, steps)?;
        let ls = lengths(lengths_);
        Ok(self.m.forward(&batch(ids, features, b, t, &ls), train).js()?.to_vec())
    }

    /// Loss of the last forward ("crossEntropy", "crf" or "ctc" (with `ctc` options) with
    /// class targets, "mse" with values);
    /// with `backward`, gradients are zeroed and then filled. Returns [loss, counted rows].
    pub fn loss(&mut self, classes: &[i32], values: &[f32], kind: &str, ctc: JsValue, backward: bool) -> JsResult<Vec<f32>> {
        let kind = parse_loss(kind, ctc)?;
        let tg = targets(classes, values)?;
        if backward {
            self.m.arena.zero_grads();
        }
        let (l, c) = self.m.loss(tg, kind, backward).js()?;
        self.grads_ready |= backward;
        Ok(vec![l, c as f32])
    }

    /// Forward (inference mode) and Viterbi decoding under the model's CRF head: the best
    /// tag path of each row [B·T], −1 on padded steps.
    #[wasm_bindgen(js_name = crfDecode)]
    pub fn crf_decode(&mut self, ids: &[u32], features: &[f32], batch_size: f64, steps: f64, lengths_: &[u32]) -> JsResult<Vec<i32>> {
        let (b, t) = batch_dims(batch_size, steps)?;
        let ls = lengths(lengths_);
        self.m.forward(&batch(ids, features, b, t, &ls), false).js()?;
        self.m.crf_decode().js()
    }

    /// When on, each forward starts from the previous forward's final state (stepwise
    /// prediction, truncated BPTT).
    #[wasm_bindgen(js_name = setCarryState)]
    pub fn set_carry_state(&mut self, on: bool) {
        self.m.carry_state = on;
    }
    #[wasm_bindgen(js_name = resetState)]
    pub fn reset_state(&mut self) {
        self.m.reset_state();
    }

    /// Samples ids after `prompt`, the whole loop inside wasm. `opts`: `{ maxTokens,
    /// temperature?, topK?, topP?, seed? }` (the core's defaults: 1, 0 = all, 1 = all, 0).
    pub fn generate(&mut self, prompt: &[u32], opts: JsValue) -> JsResult<Vec<u32>> {
        let o = Opts::new(opts, "generate", &["maxTokens", "temperature", "topK", "topP", "seed"])?;
        let max_tokens = o.count("maxTokens", usize::MAX)?.ok_or_else(|| option_err("generate.maxTokens is required"))?;
        let mut cfg = SampleConfig::new(max_tokens);
        o.set_f32("temperature", &mut cfg.temperature)?;
        o.set_f32("topP", &mut cfg.top_p)?;
        if let Some(k) = o.count("topK", usize::MAX)? {
            cfg.top_k = k;
        }
        if let Some(s) = o.count("seed", u64::MAX as usize)? {
            cfg.seed = s as u64;
        }
        js_named(self.m.generate(prompt, &cfg))
    }

    /// Turns the recording of per-step gradient norms on or off (off by default): each
    /// backward while on records, per recurrent layer, ||dL/dh_t|| (and ||dL/dc_t|| for the
    /// LSTM) over the batch, [L·D, T] (core `layers::step_norms`).
    #[wasm_bindgen(js_name = recordStepNorms)]
    pub fn record_step_norms(&mut self, on: bool) {
        self.m.record_step_norms(on);
    }

    /// The last backward's per-step gradient norms: `[{ name, rows, steps, h, c? }]`, one per
    /// recurrent layer. E_STATE when recording is off or no backward has run since.
    #[wasm_bindgen(js_name = stepNorms)]
    pub fn step_norms(&self) -> JsResult<js_sys::Array> {
        crate::step_norms::to_js(self.m.step_norms().js()?)
    }

    /// Dropout RNG state (for exact resumption from a checkpoint).
    #[wasm_bindgen(js_name = rngState)]
    pub fn rng_state(&self) -> Vec<u32> {
        self.m.rng.state().to_vec()
    }
    #[wasm_bindgen(js_name = setRngState)]
    pub fn set_rng_state(&mut self, s: &[u32]) -> JsResult<()> {
        if s.len() != 4 || s.iter().all(|&x| x == 0) {
            return Err(range_err("rng state must be 4 words, not all zero"));
        }
        self.m.rng = Rng::from_state([s[0], s[1], s[2], s[3]]);
        Ok(())
    }
}
