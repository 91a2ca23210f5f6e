//! `Seq2Seq`: the attention encoder-decoder of `recurrent_core::model::seq2seq` with its
//! optimizer. Sequences cross as ragged batches: all sources (targets) concatenated in one
//! Uint32Array plus a Uint32Array of lengths. Results that are lists of lists come back
//! flattened (layouts documented on each method); the SDK (ts/tasks/seq2seq.ts) unpacks them.

use crate::errors::{IntoJs, JsResult, option_err, range_err, to_js};
use recurrent_core::Error;
use recurrent_core::error::{check_finite, check_len};
use recurrent_core::model::seq2seq::{Pairs, Seq2Seq, Seq2SeqConfig, Seq2SeqTrainer};
use recurrent_core::optim::OptimizerConfig;
use recurrent_core::optim::schedule::Schedule;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(js_name = Seq2Seq)]
pub struct WasmSeq2Seq {
    m: Seq2Seq,
    trainer: Option<Seq2SeqTrainer>,
    grads_ready: bool,
}

fn lens(l: &[u32]) -> Vec<usize> {
    l.iter().map(|&x| x as usize).collect()
}

#[wasm_bindgen(js_class = Seq2Seq)]
impl WasmSeq2Seq {
    /// Builds the model and initialises its parameters from `seed`.
    #[wasm_bindgen(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        src_vocab: u32,
        tgt_vocab: u32,
        embed: u32,
        enc_hidden: u32,
        enc_layers: u32,
        enc_bidirectional: bool,
        dec_hidden: u32,
        dec_layers: u32,
        attention: u32,
        dropout: f32,
        bos: u32,
        eos: u32,
        seed: u32,
    ) -> JsResult<WasmSeq2Seq> {
        let cfg = Seq2SeqConfig {
            src_vocab: src_vocab as usize,
            tgt_vocab: tgt_vocab as usize,
            embed: embed as usize,
            enc_hidden: enc_hidden as usize,
            enc_layers: enc_layers as usize,
            enc_bidirectional,
            dec_hidden: dec_hidden as usize,
            dec_layers: dec_layers as usize,
            attention: attention as usize,
            dropout,
            bos,
            eos,
        };
        Ok(WasmSeq2Seq { m: Seq2Seq::new(cfg, seed as u64).js()?, trainer: None, grads_ready: false })
    }

    #[wasm_bindgen(js_name = paramNames)]
    pub fn param_names(&self) -> Vec<String> {
        crate::params::names(&self.m.table)
    }
    #[wasm_bindgen(js_name = paramShape)]
    pub fn param_shape(&self, name: &str) -> JsResult<Vec<u32>> {
        crate::params::shape(&self.m.table, name)
    }
    #[wasm_bindgen(js_name = paramCount)]
    pub fn param_count(&self) -> u32 {
        self.m.params.len() as u32
    }
    #[wasm_bindgen(js_name = getParam)]
    pub fn get_param(&self, name: &str) -> JsResult<Vec<f32>> {
        self.m.param(name).map(|p| p.to_vec()).ok_or_else(|| option_err(format!("no parameter named '{name}'")))
    }
    #[wasm_bindgen(js_name = setParam)]
    pub fn set_param(&mut self, name: &str, data: &[f32]) -> JsResult<()> {
        self.m.set_param(name, data).js()
    }
    #[wasm_bindgen(js_name = getParams)]
    pub fn get_params(&self) -> Vec<f32> {
        self.m.params.clone()
    }
    #[wasm_bindgen(js_name = setParams)]
    pub fn set_params(&mut self, data: &[f32]) -> JsResult<()> {
        check_len("params", data, self.m.params.len(), "[paramCount]").js()?;
        check_finite("params", data).js()?;
        self.m.params.copy_from_slice(data);
        Ok(())
    }
    #[wasm_bindgen(js_name = getGrad)]
    pub fn get_grad(&self, name: &str) -> JsResult<Vec<f32>> {
        if !self.grads_ready {
            return Err(to_js(Error::state("getGrad() needs a training step first")));
        }
        self.m.grad(name).map(|p| p.to_vec()).ok_or_else(|| option_err(format!("no parameter named '{name}'")))
    }

    /// Sets the optimizer: "sgd" (momentum), "adam" or "adamw" with PyTorch's meanings;
    /// `clip_norm` 0 turns clipping off.
    #[allow(clippy::too_many_arguments)]
    pub fn compile(
        &mut self,
        optimizer: &str,
        lr: f32,
        beta1: f32,
        beta2: f32,
        eps: f32,
        weight_decay: f32,
        momentum: f32,
        clip_norm: f32,
    ) -> JsResult<()> {
        for (k, v) in [("lr", lr), ("eps", eps), ("weightDecay", weight_decay), ("momentum", momentum), ("clipNorm", clip_norm)] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(range_err(format!("optimizer {k} = {v} must be a non-negative number")));
            }
        }
        for (k, v) in [("beta1", beta1), ("beta2", beta2)] {
            if !(0.0..1.0).contains(&v) {
                return Err(range_err(format!("optimizer {k} = {v} must be in [0, 1)")));
            }
        }
        let cfg = match optimizer {
            "sgd" => OptimizerConfig::Sgd { lr, momentum, dampening: 0.0, weight_decay, nesterov: false },
            "adam" => OptimizerConfig::Adam { lr, beta1, beta2, eps, weight_decay },
            "adamw" => OptimizerConfig::AdamW { lr, beta1, beta2, eps, weight_decay },
            _ => return Err(option_err(format!("optimizer '{optimizer}' is not one of sgd, adam, adamw"))),
        };
        let clip = if clip_norm > 0.0 { Some(clip_norm) } else { None };
        self.trainer = Some(Seq2SeqTrainer::new(cfg, clip, Schedule::Constant, &self.m).js()?);
        Ok(())
    }

    /// One update on a batch of pairs. Returns [loss, gradNormBeforeClip, targetTokens, lr].
    #[wasm_bindgen(js_name = trainStep)]
    pub fn train_step(&mut self, src: &[u32], src_lengths: &[u32], tgt: &[u32], tgt_lengths: &[u32]) -> JsResult<Vec<f32>> {
        let t = self.trainer.as_mut().ok_or_else(|| to_js(Error::state("call compile() before trainStep()")))?;
        let (sl, tl) = (lens(src_lengths), lens(tgt_lengths));
        let s = t.step(&mut self.m, &Pairs { src, src_lengths: &sl, tgt, tgt_lengths: &tl }).js()?;
        self.grads_ready = true;
        Ok(vec![s.loss, s.grad_norm, s.count as f32, s.lr])
    }

    /// Sets the learning rate of the compiled optimizer (schedules are driven by the SDK).
    #[wasm_bindgen(js_name = setLearningRate)]
    pub fn set_learning_rate(&mut self, lr: f32) -> JsResult<()> {
        let t = self.trainer.as_mut().ok_or_else(|| to_js(Error::state("call compile() before setLearningRate()")))?;
        if !(lr >= 0.0 && lr.is_finite()) {
            return Err(range_err(format!("lr = {lr} must be a non-negative number")));
        }
        match &mut t.opt.config {
            OptimizerConfig::Sgd { lr: l, .. }
            | OptimizerConfig::Adam { lr: l, .. }
            | OptimizerConfig::AdamW { lr: l, .. }
            | OptimizerConfig::RmsProp { lr: l, .. }
            | OptimizerConfig::Adagrad { lr: l, .. } => *l = lr,
        }
        Ok(())
    }

    /// Teacher-forced evaluation (no dropout, no update): [mean loss per token, tokens].
    pub fn loss(&mut self, src: &[u32], src_lengths: &[u32], tgt: &[u32], tgt_lengths: &[u32]) -> JsResult<Vec<f64>> {
        let (sl, tl) = (lens(src_lengths), lens(tgt_lengths));
        let (l, c) = self.m.forward(&Pairs { src, src_lengths: &sl, tgt, tgt_lengths: &tl }, false).js()?;
        Ok(vec![l, c as f64])
    }

    /// log p(target + EOS | source) of each pair.
    pub fn scores(&mut self, src: &[u32], src_lengths: &[u32], tgt: &[u32], tgt_lengths: &[u32]) -> JsResult<Vec<f64>> {
        let (sl, tl) = (lens(src_lengths), lens(tgt_lengths));
        self.m.score(&Pairs { src, src_lengths: &sl, tgt, tgt_lengths: &tl }).js()
    }

    /// Attention weights of a teacher-forced pass: [B, Ty, Tx, then B·Ty·Tx weights]
    /// (Ty = longest target + 1 for EOS; zero on padded source steps).
    pub fn attention(&mut self, src: &[u32], src_lengths: &[u32], tgt: &[u32], tgt_lengths: &[u32]) -> JsResult<Vec<f32>> {
        let (sl, tl) = (lens(src_lengths), lens(tgt_lengths));
        self.m.forward(&Pairs { src, src_lengths: &sl, tgt, tgt_lengths: &tl }, false).js()?;
        let (w, b, ty, tx) = self.m.attention_weights();
        let mut out = Vec::with_capacity(3 + w.len());
        out.extend([b as f32, ty as f32, tx as f32]);
        out.extend_from_slice(&w[..b * ty * tx]);
        Ok(out)
    }

    /// Beam search (beam 1 = greedy). Returns, per source in order: [count, then per
    /// hypothesis: score, ended (1 = emitted EOS, 0 = stopped at maxLength), length, ids…].
    pub fn decode(&mut self, src: &[u32], src_lengths: &[u32], beam: u32, max_length: u32, n_best: u32) -> JsResult<Vec<f64>> {
        let sl = lens(src_lengths);
        let res = self.m.decode(src, &sl, beam as usize, max_length as usize, n_best as usize).js()?;
        let mut out = Vec::new();
        for hyps in res {
            out.push(hyps.len() as f64);
            for h in hyps {
                out.extend([h.score, if h.ended { 1.0 } else { 0.0 }, h.tokens.len() as f64]);
                out.extend(h.tokens.iter().map(|&t| t as f64));
            }
        }
        Ok(out)
    }
}
