//! `RecurrentLayer`: a bare recurrent stack (no embedding or head), PyTorch-named parameters.

use crate::errors::{IntoJs, JsResult, option_err, size};
use crate::options::Opts;
use recurrent_core::layers::ParamTable;
use recurrent_core::layers::recurrent::{RecurrentConfig, RecurrentStack, SeqInput, StatePair};
use recurrent_core::params::ParamArena;
use recurrent_core::rng::Rng;
use recurrent_core::{CellKind, Error};
use wasm_bindgen::prelude::*;

/// A batch's size and steps as JS numbers (checked by the call that takes them):
/// `new BatchDims(batch, steps)`; a call taking it takes ownership (the JS object is spent).
#[wasm_bindgen]
#[derive(Clone, Copy)]
pub struct BatchDims {
    batch: f64,
    steps: f64,
}

#[wasm_bindgen]
impl BatchDims {
    #[wasm_bindgen(constructor)]
    pub fn new(batch: f64, steps: f64) -> Self {
        BatchDims { batch, steps }
    }
}

#[wasm_bindgen]
pub struct RecurrentLayer {
    stack: RecurrentStack,
    arena: ParamArena,
    x: Vec<f32>,
    dx: Vec<f32>,
    rng: Rng,
    forward_shape: Option<(usize, usize)>,
    backward_done: bool,
}

/// A size from JS as an integer (the core checks its limits).
fn count(what: &str, x: f64) -> JsResult<usize> {
    size(what, x, usize::MAX)
}

/// The core's names for the config's fields and gradients → the JS argument names.
fn js_layer_names(e: Error) -> JsValue {
    let mut e = e;
    let names = [
        ("layer.input", "inputSize"),
        ("layer.hidden", "hiddenSize"),
        ("layer.layers", "numLayers"),
        ("layer.dropout", "dropout"),
        ("d_out", "gradOut"),
        ("d_hn", "gradHN"),
        ("d_cn", "gradCN"),
    ];
    for (core, js) in names {
        e.message = e.message.replace(core, js);
    }
    crate::errors::to_js(e)
}

#[wasm_bindgen]
impl RecurrentLayer {
    /// From `{ cell: "lstm" | "gru" | "rnn_tanh" | "rnn_relu", inputSize, hiddenSize,
    /// numLayers, bidirectional, dropout }` (every key required; the SDK resolves the
    /// defaults). Parameters start from PyTorch's init U(−1/√H, 1/√H) drawn from `seed`.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue, seed: u32) -> JsResult<RecurrentLayer> {
        // every key but the last (projSize: PyTorch's proj_size, LSTM only) is required
        let keys = ["cell", "inputSize", "hiddenSize", "numLayers", "bidirectional", "dropout", "projSize"];
        let o = Opts::new(config, "RecurrentLayer", &keys)?;
        if let Some(k) = keys[..keys.len() - 1].iter().find(|k| o.get(k).is_undefined()) {
            return Err(option_err(format!("RecurrentLayer.{k} is required")));
        }
        let cell = o.string("cell")?.ok_or_else(|| option_err("RecurrentLayer.cell is required"))?;
        let cell =
            CellKind::parse(&cell).ok_or_else(|| option_err(format!("cell '{cell}' is not one of lstm, gru, rnn_tanh, rnn_relu")))?;
        let cell = match o.count("projSize", usize::MAX)? {
            None => cell,
            Some(p) => {
                cell.with_proj(p).ok_or_else(|| option_err("RecurrentLayer.projSize is only for lstm cells (PyTorch's proj_size)"))?
            }
        };
        let size =
            |k: &str| -> JsResult<usize> { o.count(k, usize::MAX)?.ok_or_else(|| option_err(format!("RecurrentLayer.{k} is required"))) };
        let mut bidirectional = false;
        o.set_flag("bidirectional", &mut bidirectional)?;
        let cfg = RecurrentConfig {
            cell,
            input: size("inputSize")?,
            hidden: size("hiddenSize")?,
            layers: size("numLayers")?,
            bidirectional,
            dropout: o.f32("dropout")?.unwrap_or_default(),
        };
        cfg.validate("layer").map_err(js_layer_names)?;
        let mut table = ParamTable::default();
        let stack = RecurrentStack::new(cfg, &mut table, "");
        let mut rng = Rng::new(seed as u64);
        let arena = ParamArena::new(table, &mut rng).js()?;
        Ok(RecurrentLayer { stack, arena, x: Vec::new(), dx: Vec::new(), rng, forward_shape: None, backward_done: false })
    }

    #[wasm_bindgen(js_name = paramNames)]
    pub fn param_names(&self) -> Vec<String> {
        crate::params::names(&self.arena.table)
    }

    #[wasm_bindgen(js_name = paramShape)]
    pub fn param_shape(&self, name: &str) -> JsResult<Vec<u32>> {
        crate::params::shape(&self.arena.table, name)
    }

    #[wasm_bindgen(js_name = setParam)]
    pub fn set_param(&mut self, name: &str, data: &[f32]) -> JsResult<()> {
        self.arena.set_param(name, data).js()
    }

    #[wasm_bindgen(js_name = getParam)]
    pub fn get_param(&self, name: &str) -> JsResult<Vec<f32>> {
        Ok(self.arena.spec(name).js()?.slot.of(&self.arena.params).to_vec())
    }

    /// Gradient of a parameter from the last backward.
    #[wasm_bindgen(js_name = getGrad)]
    pub fn get_grad(&self, name: &str) -> JsResult<Vec<f32>> {
        if !self.backward_done {
            return Err(crate::errors::to_js(Error::state("getGrad() needs a backward() first")));
        }
        Ok(self.arena.spec(name).js()?.slot.of(&self.arena.grads).to_vec())
    }

    /// x [B, T, I] with `dims` = [B, T]; lengths [B] (each ≤ T) or empty; h0/c0 [L·D, B, H]
    /// or empty for zeros. `train` enables inter-layer dropout.
    pub fn forward(&mut self, x: &[f32], dims: BatchDims, lengths: &[u32], h0: &[f32], c0: &[f32], train: bool) -> JsResult<()> {
        let cfg = self.stack.cfg.clone();
        let (b, t) = (count("batch", dims.batch)?, count("steps", dims.steps)?);
        let lens: Option<Vec<usize>> = (!lengths.is_empty()).then(|| lengths.iter().map(|&l| l as usize).collect());
        let (h0, c0) = ((!h0.is_empty()).then_some(h0), (!c0.is_empty()).then_some(c0));
        cfg.check_forward(x, b, t, lens.as_deref(), h0, c0).map_err(js_layer_names)?;
        self.x.clear();
        self.x.extend_from_slice(x);
        self.stack.forward(
            &self.arena.params,
            SeqInput { x: &self.x, b, t, lengths: lens.as_deref() },
            StatePair { h: h0, c: c0 },
            train,
            &mut self.rng,
        );
        self.forward_shape = Some((b, t));
        self.backward_done = false;
        Ok(())
    }

    /// out [B, T, D·H] of the last forward.
    pub fn output(&self) -> Vec<f32> {
        if self.forward_shape.is_some() { self.stack.output().to_vec() } else { Vec::new() }
    }
    #[wasm_bindgen(js_name = hN)]
    pub fn h_n(&self) -> Vec<f32> {
        self.stack.h_n.clone()
    }
    #[wasm_bindgen(js_name = cN)]
    pub fn c_n(&self) -> Vec<f32> {
        self.stack.c_n.clone()
    }

    /// Backward of the last forward with upstream gradients d_out [B, T, D·H] and
    /// optional d_hn / d_cn [L·D, B, H] (empty = zero). Gradients are overwritten, not summed.
    pub fn backward(&mut self, grad_out: &[f32], grad_hn: &[f32], grad_cn: &[f32]) -> JsResult<()> {
        let (b, t) = self.forward_shape.ok_or_else(|| crate::errors::to_js(Error::state("backward() needs a forward() first")))?;
        let cfg = self.stack.cfg.clone();
        let (d_hn, d_cn) = ((!grad_hn.is_empty()).then_some(grad_hn), (!grad_cn.is_empty()).then_some(grad_cn));
        cfg.check_backward(b, t, grad_out, d_hn, d_cn).map_err(js_layer_names)?;
        self.arena.zero_grads();
        self.dx.clear();
        self.dx.resize(self.x.len(), 0.0);
        self.stack.backward(
            &self.arena.params,
            &mut self.arena.grads,
            &self.x,
            grad_out,
            StatePair { h: d_hn, c: d_cn },
            Some(&mut self.dx),
        );
        self.backward_done = true;
        Ok(())
    }

    /// Turns the recording of per-step gradient norms on or off (off by default).
    #[wasm_bindgen(js_name = recordStepNorms)]
    pub fn record_step_norms(&mut self, on: bool) {
        self.stack.record_step_norms(on);
    }

    /// The last backward's per-step gradient norms `[{ name: "", rows, steps, h, c? }]`
    /// (one entry). E_STATE when recording is off or no backward has run since.
    #[wasm_bindgen(js_name = stepNorms)]
    pub fn step_norms(&self) -> JsResult<js_sys::Array> {
        let n = self
            .stack
            .step_norms()
            .ok_or_else(|| crate::errors::to_js(Error::state("no per-step gradient norms: turn recording on, then run a backward")))?;
        crate::step_norms::to_js([("", n)])
    }

    #[wasm_bindgen(js_name = gradInput)]
    pub fn grad_input(&self) -> Vec<f32> {
        self.dx.clone()
    }
    #[wasm_bindgen(js_name = gradH0)]
    pub fn grad_h0(&self) -> Vec<f32> {
        self.stack.dh0.clone()
    }
    #[wasm_bindgen(js_name = gradC0)]
    pub fn grad_c0(&self) -> Vec<f32> {
        self.stack.dc0.clone()
    }
}
