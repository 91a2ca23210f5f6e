//! Sampling from a token model, with the whole token loop inside the core (one call from JS).

use super::{Batch, InputKind, Model};
use crate::error::{Error, Result};
use crate::limits::MAX_GENERATE_TOKENS;
use crate::rng::Rng;

#[derive(Clone, Debug, PartialEq)]
pub struct SampleConfig {
    /// Tokens to produce (at most `limits::MAX_GENERATE_TOKENS`).
    pub max_tokens: usize,
    /// 0 = greedy (argmax).
    pub temperature: f32,
    /// Keep the k most likely tokens (0 = all).
    pub top_k: usize,
    /// Keep the smallest set whose probability reaches p (1 = all).
    pub top_p: f32,
    pub seed: u64,
}

impl SampleConfig {
    /// `max_tokens` tokens at temperature 1, no top-k or top-p cut, seed 0.
    pub fn new(max_tokens: usize) -> Self {
        SampleConfig { max_tokens, temperature: 1.0, top_k: 0, top_p: 1.0, seed: 0 }
    }
}

/// Samples one id from `logits` [V]; `probs` and `order` are reused scratch buffers.
pub fn sample(logits: &[f32], cfg: &SampleConfig, rng: &mut Rng, probs: &mut Vec<f32>, order: &mut Vec<u32>) -> u32 {
    let v = logits.len();
    if cfg.temperature <= 0.0 {
        let mut best = 0;
        for i in 1..v {
            if logits[i] > logits[best] {
                best = i;
            }
        }
        return best as u32;
    }
    let max = logits.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x));
    probs.clear();
    probs.extend(logits.iter().map(|&x| ((x - max) / cfg.temperature).exp()));
    order.clear();
    order.extend(0..v as u32);
    order.sort_by(|&a, &b| probs[b as usize].total_cmp(&probs[a as usize]).then(a.cmp(&b)));
    let mut keep = if cfg.top_k > 0 { cfg.top_k.min(v) } else { v };
    let total: f32 = order[..keep].iter().map(|&i| probs[i as usize]).sum();
    if cfg.top_p < 1.0 {
        let mut acc = 0.0;
        for (n, &i) in order[..keep].iter().enumerate() {
            acc += probs[i as usize] / total;
            if acc >= cfg.top_p {
                keep = n + 1;
                break;
            }
        }
    }
    let total: f32 = order[..keep].iter().map(|&i| probs[i as usize]).sum();
    let mut u = rng.next_f32() * total;
    for &i in &order[..keep] {
        u -= probs[i as usize];
        if u < 0.0 {
            return i;
        }
    }
    order[keep - 1]
}

impl Model {
    /// Feeds `prompt` (≥ 1 id), then samples `max_tokens` ids one at a time, each fed back.
    /// Starts from a zero state and leaves the carried state reset. Needs token input and a
    /// per-step output over the vocabulary.
    pub fn generate(&mut self, prompt: &[u32], cfg: &SampleConfig) -> Result<Vec<u32>> {
        let vocab = match self.spec.input {
            InputKind::Tokens { vocab, slots: 1 } => vocab,
            InputKind::Tokens { .. } => return Err(Error::option("generate needs one token id per step (input.slots = 1)")),
            InputKind::Features { .. } => return Err(Error::option("generate needs a token model (input.vocab)")),
        };
        if !self.output_is_sequence() || self.output_dim() != vocab {
            return Err(Error::option("generate needs a per-step output over the vocabulary (last layer dense with units = vocab)"));
        }
        if prompt.is_empty() {
            return Err(Error::range("the prompt must hold at least one token"));
        }
        if let Some(i) = prompt.iter().position(|&x| x as usize >= vocab) {
            return Err(Error::range(format!("prompt[{i}] = {} is out of range for a vocabulary of {vocab}", prompt[i])));
        }
        if !(cfg.temperature >= 0.0 && cfg.temperature.is_finite()) {
            return Err(Error::range(format!("temperature = {} must be ≥ 0", cfg.temperature)));
        }
        if !(cfg.top_p > 0.0 && cfg.top_p <= 1.0) {
            return Err(Error::range(format!("top_p = {} must be in (0, 1]", cfg.top_p)));
        }
        if cfg.max_tokens > MAX_GENERATE_TOKENS {
            return Err(Error::range(format!("max_tokens = {} is above the limit of {MAX_GENERATE_TOKENS}", cfg.max_tokens)));
        }
        let mut out = Vec::new();
        out.try_reserve_exact(cfg.max_tokens).map_err(|_| Error::range(format!("max_tokens = {}: not enough memory", cfg.max_tokens)))?;
        let prev = self.carry_state;
        self.carry_state = true;
        self.reset_state();
        let mut rng = Rng::new(cfg.seed);
        let (mut probs, mut order) = (Vec::with_capacity(vocab), Vec::with_capacity(vocab));
        let res = (|| -> Result<()> {
            let logits = self.forward(&Batch { b: 1, t: prompt.len(), ids: Some(prompt), features: None, lengths: None }, false)?;
            let mut next = sample(&logits[(prompt.len() - 1) * vocab..], cfg, &mut rng, &mut probs, &mut order);
            for n in 0..cfg.max_tokens {
                out.push(next);
                if n + 1 == cfg.max_tokens {
                    break;
                }
                let logits = self.forward(&Batch { b: 1, t: 1, ids: Some(&[next]), features: None, lengths: None }, false)?;
                next = sample(logits, cfg, &mut rng, &mut probs, &mut order);
            }
            Ok(())
        })();
        self.carry_state = prev;
        self.reset_state();
        res.map(|_| out)
    }
}
