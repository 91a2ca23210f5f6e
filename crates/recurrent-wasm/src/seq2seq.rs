//! `Seq2Seq`: the attention encoder-decoder of `recurrent_core::model::seq2seq` (trained by
//! `Trainer.forSeq2Seq`). Sequences cross as ragged batches: all sources (targets) concatenated in one
//! Uint32Array plus a Uint32Array of lengths. Results that are lists of lists come back
//! flattened (layouts documented on each method); the SDK (ts/tasks/seq2seq.ts) unpacks them.

use crate::errors::{IntoJs, JsResult, js_named, option_err, range_err, size, to_js};
use crate::options::Opts;
use recurrent_core::Error;
use recurrent_core::model::seq2seq::{Pairs, Seq2Seq, Seq2SeqConfig};
use recurrent_core::rng::Rng;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(js_name = Seq2Seq)]
pub struct WasmSeq2Seq {
    pub(crate) m: Seq2Seq,
    /// Whether a training step has filled the gradients.
    pub(crate) grads_ready: bool,
}

fn lens(l: &[u32]) -> Vec<usize> {
    l.iter().map(|&x| x as usize).collect()
}

/// Source and target lengths of a ragged batch of pairs.
pub(crate) fn pairs_lengths(src: &[u32], tgt: &[u32]) -> (Vec<usize>, Vec<usize>) {
    (lens(src), lens(tgt))
}

const CONFIG_KEYS: &[&str] = &[
    "sourceVocab",
    "targetVocab",
    "embed",
    "encoderUnits",
    "encoderLayers",
    "bidirectional",
    "decoderUnits",
    "decoderLayers",
    "attention",
    "dropout",
    "bos",
    "eos",
];

/// `{ sourceVocab, ... }` → the core's config (every key required, sizes as integers).
fn read_config(config: JsValue) -> JsResult<Seq2SeqConfig> {
    let o = Opts::new(config, "seq2seq", CONFIG_KEYS)?;
    if let Some(k) = CONFIG_KEYS.iter().find(|k| o.get(k).is_undefined()) {
        return Err(option_err(format!("seq2seq.{k} is required")));
    }
    let size = |k: &str| -> JsResult<usize> { o.count(k, usize::MAX)?.ok_or_else(|| option_err(format!("seq2seq.{k} is required"))) };
    let id = |k: &str| -> JsResult<u32> {
        Ok(o.count(k, u32::MAX as usize)?.ok_or_else(|| option_err(format!("seq2seq.{k} is required")))? as u32)
    };
    let mut enc_bidirectional = false;
    o.set_flag("bidirectional", &mut enc_bidirectional)?;
    Ok(Seq2SeqConfig {
        src_vocab: size("sourceVocab")?,
        tgt_vocab: size("targetVocab")?,
        embed: size("embed")?,
        enc_hidden: size("encoderUnits")?,
        enc_layers: size("encoderLayers")?,
        enc_bidirectional,
        dec_hidden: size("decoderUnits")?,
        dec_layers: size("decoderLayers")?,
        attention: size("attention")?,
        dropout: o.f32("dropout")?.ok_or_else(|| option_err("seq2seq.dropout is required"))?,
        bos: id("bos")?,
        eos: id("eos")?,
    })
}

#[wasm_bindgen(js_class = Seq2Seq)]
impl WasmSeq2Seq {
    /// Builds the model from `{ sourceVocab, targetVocab, embed, encoderUnits, encoderLayers,
    /// bidirectional, decoderUnits, decoderLayers, attention, dropout, bos, eos }` (every key
    /// required; the SDK resolves the defaults) and initialises its parameters from `seed`.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue, seed: u32) -> JsResult<WasmSeq2Seq> {
        let cfg = read_config(config)?;
        Ok(WasmSeq2Seq { m: js_named(Seq2Seq::new(cfg, seed as u64))?, grads_ready: false })
    }

    /// Scalars in the parameters of the model `config` describes, without allocating them
    /// (loaders check a file's size against it first).
    #[wasm_bindgen(js_name = paramCountOf)]
    pub fn param_count_of(config: JsValue) -> JsResult<f64> {
        Ok(js_named(Seq2Seq::param_count(&read_config(config)?))? as f64)
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
    #[wasm_bindgen(js_name = getParam)]
    pub fn get_param(&self, name: &str) -> JsResult<Vec<f32>> {
        Ok(self.m.arena.spec(name).js()?.slot.of(&self.m.arena.params).to_vec())
    }
    #[wasm_bindgen(js_name = setParam)]
    pub fn set_param(&mut self, name: &str, data: &[f32]) -> JsResult<()> {
        self.m.arena.set_param(name, data).js()
    }
    #[wasm_bindgen(js_name = getParams)]
    pub fn get_params(&self) -> Vec<f32> {
        self.m.arena.params.clone()
    }
    #[wasm_bindgen(js_name = setParams)]
    pub fn set_params(&mut self, data: &[f32]) -> JsResult<()> {
        self.m.arena.set_params(data).js()
    }
    #[wasm_bindgen(js_name = getGrad)]
    pub fn get_grad(&self, name: &str) -> JsResult<Vec<f32>> {
        if !self.grads_ready {
            return Err(to_js(Error::state("getGrad() needs a training step first")));
        }
        Ok(self.m.arena.spec(name).js()?.slot.of(&self.m.arena.grads).to_vec())
    }
    /// Every gradient of the arena, in `paramNames` order (after a training or gradient step).
    #[wasm_bindgen(js_name = getGrads)]
    pub fn get_grads(&self) -> JsResult<Vec<f32>> {
        if !self.grads_ready {
            return Err(to_js(Error::state("getGrads() needs a training or gradient step first")));
        }
        Ok(self.m.arena.grads.clone())
    }

    /// Copies every gradient (in `paramNames` order) into `out`, a Float32Array of
    /// `paramCount` values, with no copy in between.
    #[wasm_bindgen(js_name = copyGradsTo)]
    pub fn copy_grads_to(&self, out: &js_sys::Float32Array) -> JsResult<()> {
        crate::params::copy_grads_to(&self.m.arena.grads, self.grads_ready, out)
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
    pub fn decode(&mut self, src: &[u32], src_lengths: &[u32], beam: f64, max_length: f64, n_best: f64) -> JsResult<Vec<f64>> {
        let sl = lens(src_lengths);
        let (beam, max_length, n_best) =
            (size("beam", beam, usize::MAX)?, size("maxLength", max_length, usize::MAX)?, size("nBest", n_best, usize::MAX)?);
        let res = js_named(self.m.decode(src, &sl, beam, max_length, n_best))?;
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
