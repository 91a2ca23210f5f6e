//! CTC loss and decoding over raw scores [B, T, C] (batch-first), for the SDK's `ctcLoss` and
//! `ctcDecode` and the conformance runner. Sizes arrive checked by the SDK; the core checks
//! shapes, lengths and labels again and answers with typed errors.

use crate::errors::{IntoJs, JsResult};
use recurrent_core::decode::ctc::{greedy, prefix_beam};
use recurrent_core::loss::ctc::{CtcBatch, CtcConfig, CtcReduction, CtcWork, ctc_loss};
use recurrent_core::{Error, Result};
use wasm_bindgen::prelude::*;

/// The loss, the per-row losses and (when asked for) the gradient [B, T, C].
#[wasm_bindgen]
pub struct CtcOutput {
    loss: f64,
    rows: Vec<f64>,
    grad: Vec<f32>,
}

#[wasm_bindgen]
impl CtcOutput {
    #[wasm_bindgen(getter)]
    pub fn loss(&self) -> f64 {
        self.loss
    }
    #[wasm_bindgen(getter)]
    pub fn rows(&self) -> Vec<f64> {
        self.rows.clone()
    }
    #[wasm_bindgen(getter)]
    pub fn grad(&self) -> Vec<f32> {
        self.grad.clone()
    }
}

fn lens(x: &[u32]) -> Vec<usize> {
    x.iter().map(|&v| v as usize).collect()
}

/// Checks that `lengths` has one entry per row, each ≤ T.
fn check_lengths(lengths: &[usize], b: usize, t: usize) -> Result<()> {
    if lengths.len() != b {
        return Err(Error::shape(format!("lengths has {} entries; expected B = {b}", lengths.len())));
    }
    match lengths.iter().position(|&l| l > t) {
        Some(i) => Err(Error::range(format!("lengths[{i}] = {} exceeds T = {t}", lengths[i]))),
        None => Ok(()),
    }
}

fn check_scores(logits: &[f32], b: usize, t: usize, c: usize) -> Result<()> {
    if b.checked_mul(t).and_then(|x| x.checked_mul(c)) != Some(logits.len()) || c == 0 {
        return Err(Error::shape(format!("scores have {} values; expected [B={b}, T={t}, C={c}]", logits.len())));
    }
    Ok(())
}

/// The shape of raw scores [B, T, C]: `new ScoreDims(b, t, c)`; a call taking it takes
/// ownership (the JS object is spent).
#[wasm_bindgen]
#[derive(Clone, Copy)]
pub struct ScoreDims {
    b: u32,
    t: u32,
    c: u32,
}

#[wasm_bindgen]
impl ScoreDims {
    #[wasm_bindgen(constructor)]
    pub fn new(b: u32, t: u32, c: u32) -> Self {
        ScoreDims { b, t, c }
    }
}

/// `ctcLoss`'s settings: `new CtcLossOptions(blank, reduction, zeroInfinity, wantGrad)`
/// (reduction "none" | "mean" | "sum", checked by `ctcLoss`); a call taking it takes
/// ownership (the JS object is spent).
#[wasm_bindgen]
pub struct CtcLossOptions {
    blank: u32,
    reduction: String,
    zero_infinity: bool,
    want_grad: bool,
}

#[wasm_bindgen]
impl CtcLossOptions {
    #[wasm_bindgen(constructor)]
    pub fn new(blank: u32, reduction: String, zero_infinity: bool, want_grad: bool) -> Self {
        CtcLossOptions { blank, reduction, zero_infinity, want_grad }
    }
}

/// CTC loss of raw scores [B, T, C] against padded targets [B, S].
#[wasm_bindgen(js_name = ctcLoss)]
pub fn ctc_loss_js(
    logits: &[f32],
    dims: ScoreDims,
    input_lengths: &[u32],
    targets: &[u32],
    s: u32,
    target_lengths: &[u32],
    opts: CtcLossOptions,
) -> JsResult<CtcOutput> {
    let ScoreDims { b, t, c } = dims;
    let CtcLossOptions { blank, reduction, zero_infinity, want_grad } = opts;
    let (b, t, c, s) = (b as usize, t as usize, c as usize, s as usize);
    let cfg = CtcConfig { blank: blank as usize, reduction: CtcReduction::parse(&reduction).js()?, zero_infinity };
    let (il, tl) = (lens(input_lengths), lens(target_lengths));
    let batch = CtcBatch { b, t, c, logits, input_lengths: &il, targets, s, target_lengths: &tl };
    batch.check(&cfg).js()?;
    let mut grad = if want_grad { vec![0.0f32; logits.len()] } else { Vec::new() };
    let (loss, rows) = ctc_loss(&batch, &cfg, &mut CtcWork::default(), want_grad.then_some(grad.as_mut_slice())).js()?;
    Ok(CtcOutput { loss, rows, grad })
}

/// Decodes raw scores [B, T, C] row by row (each over its first `lengths[b]` frames).
/// Greedy when `beam` ≤ 1, else prefix beam search keeping `n_best` hypotheses per row.
/// Returns, per row, `count` then per hypothesis `[n_labels, log_prob, labels...]`, as f64.
#[wasm_bindgen(js_name = ctcDecode)]
pub fn ctc_decode_js(logits: &[f32], dims: ScoreDims, lengths: &[u32], blank: u32, beam: u32, n_best: u32) -> JsResult<Vec<f64>> {
    let (b, t, c) = (dims.b as usize, dims.t as usize, dims.c as usize);
    check_scores(logits, b, t, c).js()?;
    let ls = lens(lengths);
    check_lengths(&ls, b, t).js()?;
    if blank as usize >= c {
        return Err(Error::range(format!("blank = {blank} is out of range for {c} classes"))).js();
    }
    if let Some(i) = logits.iter().position(|x| !x.is_finite()) {
        return Err(Error::non_finite(format!("scores[{i}] is {}", logits[i]))).js();
    }
    let mut out = Vec::new();
    for (r, &len) in ls.iter().enumerate() {
        let x = &logits[r * t * c..(r * t + len) * c];
        let hyps =
            if beam <= 1 { vec![greedy(x, c, blank as usize)] } else { prefix_beam(x, c, blank as usize, beam as usize, n_best as usize) };
        out.push(hyps.len() as f64);
        for h in hyps {
            out.push(h.labels.len() as f64);
            out.push(h.log_prob);
            out.extend(h.labels.iter().map(|&l| l as f64));
        }
    }
    Ok(out)
}
