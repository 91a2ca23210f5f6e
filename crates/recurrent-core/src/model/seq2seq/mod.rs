//! A sequence-to-sequence model: bidirectional LSTM encoder, LSTM decoder with additive
//! (Bahdanau) attention over the encoder outputs, trained with teacher forcing, decoded
//! greedily or by beam search.
//!
//! Architecture (Luong et al. 2015's "attentional hidden state" with an additive score):
//!   encoder   xe = E_src[x];  H [B, Tx, D·He] = BiLSTM(xe, lengths lx)
//!   bridge    h0 = tanh(W_b · [h_fwd_final; h_rev_final] + b_b) for every decoder layer,
//!             c0 = 0
//!   decoder   s_t = LSTM(E_tgt[y_{t−1}], s_{t−1})  (y_0 = BOS)
//!   attention ctx_t = Σ_j α_tj H_j,  α_t = softmax_j(vᵀ tanh(W_q s_t + W_k H_j + b_k)),
//!             masked to j < lx
//!   output    a_t = tanh(W_c [s_t; ctx_t] + b_c);  logits_t = W_o dropout(a_t) + b_o
//! The loss is the mean cross-entropy over target tokens y_1…y_n, EOS (padded steps past
//! each row's n + 1 are ignored).
//!
//! Because the decoder input at step t is the previous *target* token (teacher forcing),
//! training runs the decoder LSTM over all steps as one `RecurrentStack` pass with lengths
//! and attends for all (b, t) at once. Decoding steps the same stack one token at a time
//! (T = 1 with h0/c0 carried), so both paths share parameters and code.
//!
//! Parameters (PyTorch names), all in one `ParamArena` so the one `Trainer` (optimizers,
//! clipping) works unchanged: `encoder.embedding.weight`, `encoder.rnn.{weight,bias}_{ih,hh}_l{k}[_reverse]`,
//! `bridge.{weight,bias}`, `decoder.embedding.weight`, `decoder.rnn.*`,
//! `attention.{query.weight, key.weight, key.bias, energy.weight}`, `combine.{weight,bias}`,
//! `output.{weight,bias}`.
//!
//! Inputs cross as ragged batches: the sources (and targets) of B pairs concatenated, with
//! their lengths. Targets hold neither BOS nor EOS; the model adds them.

mod config;
mod decode;

pub use config::Seq2SeqConfig;
pub use decode::{Hypothesis, MAX_BEAM, MAX_DECODE_LENGTH};

use crate::cells::CellKind;
use crate::error::{Error, Result};
use crate::layers::ParamTable;
use crate::layers::attention::{AdditiveAttention, InputGrads};
use crate::layers::dense::Dense;
use crate::layers::dropout;
use crate::layers::embedding::Embedding;
use crate::layers::recurrent::{RecurrentConfig, RecurrentStack, SeqInput, StatePair};
use crate::limits;
use crate::loss::IGNORE_INDEX;
use crate::optim::trainer::Trainable;
use crate::params::ParamArena;
use crate::rng::Rng;

/// B (source, target) pairs, each list concatenated, with per-pair lengths.
#[derive(Clone, Copy, Debug)]
pub struct Pairs<'a> {
    pub src: &'a [u32],
    pub src_lengths: &'a [usize],
    pub tgt: &'a [u32],
    pub tgt_lengths: &'a [usize],
}

pub struct Seq2Seq {
    pub cfg: Seq2SeqConfig,
    /// Parameters and gradients (PyTorch names).
    pub arena: ParamArena,
    /// Dropout randomness (seeded from the model seed).
    pub rng: Rng,
    src_emb: Embedding,
    enc: RecurrentStack,
    bridge: Dense,
    tgt_emb: Embedding,
    dec: RecurrentStack,
    attn: AdditiveAttention,
    combine: Dense,
    out: Dense,
    // the last forward
    b: usize,
    tx: usize,
    ty: usize,
    lx: Vec<usize>,
    ly: Vec<usize>,
    src_ids: Vec<u32>,
    y_in: Vec<u32>,
    y_out: Vec<i32>,
    qb: Vec<usize>,
    xe: Vec<f32>,
    fin: Vec<f32>,
    z: Vec<f32>,
    h0: Vec<f32>,
    ye: Vec<f32>,
    ctx: Vec<f32>,
    cat: Vec<f32>,
    att: Vec<f32>,
    att_d: Vec<f32>,
    att_mask: Vec<f32>,
    logits: Vec<f32>,
    /// log p(y_out) per decoder row (0 on ignored rows)
    row_logp: Vec<f64>,
    /// Per target row of the last `forward`: max logit and Σ exp(logit − max), in f64, which
    /// `backward` reuses for the softmax instead of recomputing them.
    row_max: Vec<f64>,
    row_sum: Vec<f64>,
    forward_done: bool,
    // backward scratch
    dlogits: Vec<f32>,
    d_att: Vec<f32>,
    d_cat: Vec<f32>,
    d_s: Vec<f32>,
    d_ctx: Vec<f32>,
    d_keys: Vec<f32>,
    d_ye: Vec<f32>,
    d_z: Vec<f32>,
    d_fin: Vec<f32>,
    d_hn: Vec<f32>,
    d_xe: Vec<f32>,
}

impl Seq2Seq {
    pub fn new(cfg: Seq2SeqConfig, seed: u64) -> Result<Self> {
        cfg.validate()?;
        let mut table = ParamTable::default();
        let Modules { src_emb, enc, bridge, tgt_emb, dec, attn, combine, out } = Modules::new(&cfg, &mut table);
        let mut rng = Rng::new(seed);
        let arena = ParamArena::new(table, &mut rng)?;
        Ok(Seq2Seq {
            cfg,
            arena,
            rng,
            src_emb,
            enc,
            bridge,
            tgt_emb,
            dec,
            attn,
            combine,
            out,
            b: 0,
            tx: 0,
            ty: 0,
            lx: Vec::new(),
            ly: Vec::new(),
            src_ids: Vec::new(),
            y_in: Vec::new(),
            y_out: Vec::new(),
            qb: Vec::new(),
            xe: Vec::new(),
            fin: Vec::new(),
            z: Vec::new(),
            h0: Vec::new(),
            ye: Vec::new(),
            ctx: Vec::new(),
            cat: Vec::new(),
            att: Vec::new(),
            att_d: Vec::new(),
            att_mask: Vec::new(),
            logits: Vec::new(),
            row_logp: Vec::new(),
            row_max: Vec::new(),
            row_sum: Vec::new(),
            forward_done: false,
            dlogits: Vec::new(),
            d_att: Vec::new(),
            d_cat: Vec::new(),
            d_s: Vec::new(),
            d_ctx: Vec::new(),
            d_keys: Vec::new(),
            d_ye: Vec::new(),
            d_z: Vec::new(),
            d_fin: Vec::new(),
            d_hn: Vec::new(),
            d_xe: Vec::new(),
        })
    }

    /// Scalars in the parameters of the model `cfg` describes, without allocating them (a
    /// loader can check a file's size against it first). Validates the config, and is
    /// E_RANGE above `limits::MAX_PARAMS`.
    pub fn param_count(cfg: &Seq2SeqConfig) -> Result<usize> {
        cfg.validate()?;
        let mut table = ParamTable::default();
        Modules::new(cfg, &mut table);
        if table.total > limits::MAX_PARAMS {
            return Err(Error::range(format!(
                "the model would have {} parameters, above the limit of {}",
                table.total,
                limits::MAX_PARAMS
            )));
        }
        Ok(table.total)
    }

    /// Checks a batch's sizes against `limits` before anything is allocated: B sources of
    /// `lengths` (each ≤ MAX_STEPS), each decoded as `rows` hypotheses over `ty` steps; the
    /// encoder's activations [B, Tx, ·], the decoder's [B·rows, Ty, ·], the attention's
    /// [B·rows, Ty, Tx, A] and the logits [B·rows, Ty, V] together stay within
    /// MAX_BATCH_ELEMENTS.
    pub fn check_sizes(&self, lengths: &[usize], rows: usize, ty: usize) -> Result<()> {
        let (b, tx) = (lengths.len(), lengths.iter().copied().max().unwrap_or(0));
        if b > limits::MAX_BATCH {
            return Err(Error::range(format!("{b} pairs in one batch are above the limit of {}", limits::MAX_BATCH)));
        }
        if tx > limits::MAX_STEPS || ty > limits::MAX_STEPS {
            return Err(Error::range(format!("a sequence of {} symbols is above the limit of {}", tx.max(ty), limits::MAX_STEPS)));
        }
        // encoder and decoder stacks, attention scores [·, Ty, Tx, A] and logits with their
        // gradient [·, Ty, 2V], summed
        let max = limits::MAX_BATCH_ELEMENTS;
        let dk = self.cfg.key_dim();
        let enc =
            limits::product("B × Tx × encoder activations", &[b, tx, self.enc.cfg.activation_width() + 2 * self.cfg.embed + 2 * dk], max)?;
        let dec_width = self.dec.cfg.activation_width() + 2 * self.cfg.embed + 4 * (self.cfg.dec_hidden + dk);
        let dec = limits::product("B × Ty × decoder activations", &[b, rows, ty, dec_width], max)?;
        let att = limits::product("B × Ty × Tx × attention", &[b, rows, ty, tx, self.cfg.attention + 2], max)?;
        let logits = limits::product("B × Ty × tgt_vocab", &[b, rows, ty, 2 * self.cfg.tgt_vocab], max)?;
        limits::sum("the activations of one batch", &[enc, dec, att, logits], max)?;
        Ok(())
    }

    /// Checks ragged sources: B ≥ 1 rows, each of length ≥ 1, ids below the vocabulary.
    pub fn check_sources(&self, src: &[u32], lengths: &[usize]) -> Result<()> {
        if lengths.is_empty() {
            return Err(Error::range("the batch is empty: give at least one source sequence"));
        }
        if let Some(i) = lengths.iter().position(|&l| l == 0) {
            return Err(Error::range(format!("source {i} is empty (every source needs at least one symbol to attend to)")));
        }
        self.check_sizes(lengths, 1, 1)?;
        let total = limits::sum("the source lengths", lengths, usize::MAX)?;
        if total != src.len() {
            return Err(Error::shape(format!("sources hold {} ids but their lengths add up to {total}", src.len())));
        }
        if let Some(i) = src.iter().position(|&x| x as usize >= self.cfg.src_vocab) {
            return Err(Error::range(format!(
                "source id {} (at {i}) is out of range for a source vocabulary of {}",
                src[i], self.cfg.src_vocab
            )));
        }
        Ok(())
    }

    pub fn check_pairs(&self, p: &Pairs) -> Result<()> {
        self.check_sources(p.src, p.src_lengths)?;
        if p.tgt_lengths.len() != p.src_lengths.len() {
            return Err(Error::shape(format!("{} sources but {} targets", p.src_lengths.len(), p.tgt_lengths.len())));
        }
        let ty = p.tgt_lengths.iter().max().map_or(1, |&l| l.saturating_add(1));
        self.check_sizes(p.src_lengths, 1, ty)?;
        let total = limits::sum("the target lengths", p.tgt_lengths, usize::MAX)?;
        if total != p.tgt.len() {
            return Err(Error::shape(format!("targets hold {} ids but their lengths add up to {total}", p.tgt.len())));
        }
        if let Some(i) = p.tgt.iter().position(|&x| x as usize >= self.cfg.tgt_vocab || x == self.cfg.bos || x == self.cfg.eos) {
            return Err(Error::range(format!(
                "target id {} (at {i}) must be below the target vocabulary of {} and neither bos ({}) nor eos ({})",
                p.tgt[i], self.cfg.tgt_vocab, self.cfg.bos, self.cfg.eos
            )));
        }
        Ok(())
    }

    /// Pads the sources into src_ids [B, Tx] and lx, runs the embedding, the encoder, the
    /// bridge (h0 [Ld, B, Hd]) and projects the attention keys.
    fn encode(&mut self, src: &[u32], lengths: &[usize], train: bool) {
        let b = lengths.len();
        let tx = *lengths.iter().max().unwrap();
        self.b = b;
        self.tx = tx;
        self.lx.clear();
        self.lx.extend_from_slice(lengths);
        self.src_ids.clear();
        self.src_ids.resize(b * tx, 0);
        let mut off = 0;
        for (r, &l) in lengths.iter().enumerate() {
            self.src_ids[r * tx..r * tx + l].copy_from_slice(&src[off..off + l]);
            off += l;
        }
        self.src_emb.forward(&self.arena.params, &self.src_ids, &mut self.xe);
        self.enc.forward(
            &self.arena.params,
            SeqInput { x: &self.xe, b, t: tx, lengths: Some(&self.lx) },
            StatePair::default(),
            train,
            &mut self.rng,
        );
        // final states of the top layer, forward then reverse: fin [B, D·He]
        let (he, dn, le) = (self.cfg.enc_hidden, self.enc.cfg.dirs(), self.cfg.enc_layers);
        self.fin.clear();
        self.fin.resize(b * dn * he, 0.0);
        for d in 0..dn {
            let r = (le - 1) * dn + d;
            for bb in 0..b {
                let src = (r * b + bb) * he;
                self.fin[bb * dn * he + d * he..bb * dn * he + (d + 1) * he].copy_from_slice(&self.enc.h_n[src..src + he]);
            }
        }
        self.bridge.forward(&self.arena.params, &self.fin, b, &mut self.z);
        let (hd, ld) = (self.cfg.dec_hidden, self.cfg.dec_layers);
        self.h0.clear();
        self.h0.resize(ld * b * hd, 0.0);
        for l in 0..ld {
            for bb in 0..b {
                let z = &self.z[bb * ld * hd + l * hd..bb * ld * hd + (l + 1) * hd];
                for (h, &v) in self.h0[(l * b + bb) * hd..(l * b + bb + 1) * hd].iter_mut().zip(z) {
                    *h = v.tanh();
                }
            }
        }
        self.attn.set_keys(&self.arena.params, self.enc.output(), b, tx, &self.lx);
    }

    /// logits [N, V] = W_o dropout(tanh(W_c [s; ctx] + b_c)) + b_o for decoder states s [N, Hd]
    /// and queries mapped to source rows `qb`. Leaves cat, att, att_d, logits cached.
    fn head(&mut self, s: &[f32], qb: &[usize], train: bool) {
        let (hd, dk) = (self.cfg.dec_hidden, self.cfg.key_dim());
        let n = qb.len();
        self.attn.forward(&self.arena.params, self.enc.output(), s, qb, &mut self.ctx);
        let w = hd + dk;
        self.cat.resize(n * w, 0.0);
        for i in 0..n {
            self.cat[i * w..i * w + hd].copy_from_slice(&s[i * hd..(i + 1) * hd]);
            self.cat[i * w + hd..(i + 1) * w].copy_from_slice(&self.ctx[i * dk..(i + 1) * dk]);
        }
        self.combine.forward(&self.arena.params, &self.cat, n, &mut self.att);
        crate::kernels::tanh(&mut self.att);
        self.att_d.clear();
        self.att_d.extend_from_slice(&self.att);
        dropout::forward(&mut self.att_d, &mut self.att_mask, self.cfg.dropout, train, &mut self.rng);
        self.out.forward(&self.arena.params, &self.att_d, n, &mut self.logits);
    }

    /// Teacher-forced forward over a batch of pairs. Returns (mean loss per target token,
    /// target tokens counted); the per-row log-probabilities are kept for `pair_log_probs`.
    pub fn forward(&mut self, p: &Pairs, train: bool) -> Result<(f64, usize)> {
        self.check_pairs(p)?;
        self.forward_done = false;
        self.encode(p.src, p.src_lengths, train);
        let b = self.b;
        let ty = p.tgt_lengths.iter().max().unwrap() + 1;
        self.ty = ty;
        self.ly.clear();
        self.ly.extend(p.tgt_lengths.iter().map(|&l| l + 1));
        self.y_in.clear();
        self.y_in.resize(b * ty, self.cfg.bos);
        self.y_out.clear();
        self.y_out.resize(b * ty, IGNORE_INDEX);
        let mut off = 0;
        for (r, &l) in p.tgt_lengths.iter().enumerate() {
            let tg = &p.tgt[off..off + l];
            for (t, &y) in tg.iter().enumerate() {
                self.y_in[r * ty + t + 1] = y;
                self.y_out[r * ty + t] = y as i32;
            }
            self.y_out[r * ty + l] = self.cfg.eos as i32;
            off += l;
        }
        self.tgt_emb.forward(&self.arena.params, &self.y_in, &mut self.ye);
        self.dec.forward(
            &self.arena.params,
            SeqInput { x: &self.ye, b, t: ty, lengths: Some(&self.ly) },
            StatePair { h: Some(&self.h0), c: None },
            train,
            &mut self.rng,
        );
        self.qb.clear();
        self.qb.extend((0..b * ty).map(|n| n / ty));
        let s = self.dec.output().to_vec();
        let qb = std::mem::take(&mut self.qb);
        self.head(&s, &qb, train);
        self.qb = qb;
        // cross-entropy per row, in f64 on max-shifted logits
        let v = self.cfg.tgt_vocab;
        let n = b * ty;
        self.row_logp.clear();
        self.row_logp.resize(n, 0.0);
        self.row_max.resize(n, 0.0);
        self.row_sum.resize(n, 0.0);
        let count = self.y_out.iter().filter(|&&y| y != IGNORE_INDEX).count();
        let mut total = 0.0f64;
        for i in 0..n {
            let y = self.y_out[i];
            if y == IGNORE_INDEX {
                continue;
            }
            let row = &self.logits[i * v..(i + 1) * v];
            let max = row.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x)) as f64;
            let sum = row.iter().map(|&x| (x as f64 - max).exp()).sum::<f64>();
            self.row_max[i] = max;
            self.row_sum[i] = sum;
            let lse = sum.ln() + max;
            let lp = row[y as usize] as f64 - lse;
            self.row_logp[i] = lp;
            total -= lp;
        }
        self.forward_done = true;
        Ok((total / count as f64, count))
    }

    /// Log-probability of each pair's target (with EOS) under the last forward.
    pub fn pair_log_probs(&self) -> Vec<f64> {
        (0..self.b).map(|r| self.row_logp[r * self.ty..(r + 1) * self.ty].iter().sum()).collect()
    }

    /// log p(y_t | y_<t, x) of row r of the last forward, for its targets then EOS.
    pub fn token_log_probs(&self, r: usize) -> &[f64] {
        &self.row_logp[r * self.ty..r * self.ty + self.ly[r]]
    }

    /// The attention weights of the last forward, [B, Ty, Tx] (Ty = longest target + 1).
    pub fn attention_weights(&self) -> (&[f32], usize, usize, usize) {
        (self.attn.weights(), self.b, self.ty, self.tx)
    }

    /// Backpropagates the mean loss of the last (training) forward into `self.arena.grads`
    /// (accumulating).
    pub fn backward(&mut self) -> Result<()> {
        if !self.forward_done {
            return Err(Error::state("backward() needs a forward() first"));
        }
        let (b, ty, tx) = (self.b, self.ty, self.tx);
        let (v, hd, dk) = (self.cfg.tgt_vocab, self.cfg.dec_hidden, self.cfg.key_dim());
        let n = b * ty;
        let count = self.y_out.iter().filter(|&&y| y != IGNORE_INDEX).count();
        let scale = 1.0 / count as f64;
        // dlogits = (softmax − onehot) / count: exp(logit − max) in one vectorised f32 pass
        // (the loss itself stays in f64), scaled by 1 / (count · Σ exp)
        self.dlogits.resize(n * v, 0.0);
        for i in 0..n {
            let y = self.y_out[i];
            let d = &mut self.dlogits[i * v..(i + 1) * v];
            if y == IGNORE_INDEX {
                d.fill(0.0);
                continue;
            }
            let row = &self.logits[i * v..(i + 1) * v];
            let max = self.row_max[i] as f32;
            for (g, &x) in d.iter_mut().zip(row) {
                *g = x - max;
            }
            crate::kernels::exp(d);
            let k = (scale / self.row_sum[i]) as f32;
            for g in d.iter_mut() {
                *g *= k;
            }
            d[y as usize] -= scale as f32;
        }
        let p = &self.arena.params;
        let g = &mut self.arena.grads;
        self.d_att.resize(n * hd, 0.0);
        self.out.backward(p, g, &self.att_d, &self.dlogits, n, Some(&mut self.d_att));
        dropout::backward(&mut self.d_att, &self.att_mask);
        for (d, a) in self.d_att.iter_mut().zip(&self.att) {
            *d *= 1.0 - a * a;
        }
        let w = hd + dk;
        self.d_cat.resize(n * w, 0.0);
        self.combine.backward(p, g, &self.cat, &self.d_att, n, Some(&mut self.d_cat));
        self.d_s.resize(n * hd, 0.0);
        self.d_ctx.resize(n * dk, 0.0);
        for i in 0..n {
            self.d_s[i * hd..(i + 1) * hd].copy_from_slice(&self.d_cat[i * w..i * w + hd]);
            self.d_ctx[i * dk..(i + 1) * dk].copy_from_slice(&self.d_cat[i * w + hd..(i + 1) * w]);
        }
        self.d_keys.clear();
        self.d_keys.resize(b * tx * dk, 0.0);
        let s = self.dec.output();
        let d = InputGrads { keys: &mut self.d_keys, queries: &mut self.d_s };
        self.attn.backward(p, g, self.enc.output(), s, &self.d_ctx, d);
        // decoder
        self.d_ye.clear();
        self.d_ye.resize(n * self.cfg.embed, 0.0);
        self.dec.backward(p, g, &self.ye, &self.d_s, StatePair::default(), Some(&mut self.d_ye));
        self.tgt_emb.backward(g, &self.y_in, &self.d_ye);
        // bridge: z [B, Ld·Hd] → h0 = tanh(z) [Ld, B, Hd]
        let ld = self.cfg.dec_layers;
        self.d_z.resize(b * ld * hd, 0.0);
        for l in 0..ld {
            for bb in 0..b {
                let src = (l * b + bb) * hd;
                let dst = bb * ld * hd + l * hd;
                for k in 0..hd {
                    let h = self.h0[src + k];
                    self.d_z[dst + k] = self.dec.dh0[src + k] * (1.0 - h * h);
                }
            }
        }
        self.d_fin.resize(self.fin.len(), 0.0);
        self.bridge.backward(p, g, &self.fin, &self.d_z, b, Some(&mut self.d_fin));
        // encoder: d_hn holds the bridge's gradient in the top layer's rows
        let (he, dn, le) = (self.cfg.enc_hidden, self.enc.cfg.dirs(), self.cfg.enc_layers);
        self.d_hn.clear();
        self.d_hn.resize(le * dn * b * he, 0.0);
        for d in 0..dn {
            let r = (le - 1) * dn + d;
            for bb in 0..b {
                let dst = (r * b + bb) * he;
                self.d_hn[dst..dst + he].copy_from_slice(&self.d_fin[bb * dn * he + d * he..bb * dn * he + (d + 1) * he]);
            }
        }
        self.d_xe.clear();
        self.d_xe.resize(b * tx * self.cfg.embed, 0.0);
        self.enc.backward(p, g, &self.xe, &self.d_keys, StatePair { h: Some(&self.d_hn), c: None }, Some(&mut self.d_xe));
        self.src_emb.backward(g, &self.src_ids, &self.d_xe);
        self.forward_done = false;
        Ok(())
    }

    /// Log-probability of each pair's target (with EOS), in evaluation mode (no dropout).
    pub fn score(&mut self, p: &Pairs) -> Result<Vec<f64>> {
        self.forward(p, false)?;
        self.forward_done = false;
        Ok(self.pair_log_probs())
    }
}

/// The encoder-decoder's modules, registered in `table` in PyTorch's order.
struct Modules {
    src_emb: Embedding,
    enc: RecurrentStack,
    bridge: Dense,
    tgt_emb: Embedding,
    dec: RecurrentStack,
    attn: AdditiveAttention,
    combine: Dense,
    out: Dense,
}

impl Modules {
    fn new(cfg: &Seq2SeqConfig, table: &mut ParamTable) -> Modules {
        let dk = cfg.key_dim();
        let src_emb = Embedding::new(cfg.src_vocab, cfg.embed, table, "encoder.embedding");
        let enc_cfg = RecurrentConfig {
            cell: CellKind::Lstm,
            input: cfg.embed,
            hidden: cfg.enc_hidden,
            layers: cfg.enc_layers,
            bidirectional: cfg.enc_bidirectional,
            dropout: cfg.dropout,
        };
        let enc = RecurrentStack::new(enc_cfg, table, "encoder.rnn.");
        let bridge = Dense::new(dk, cfg.dec_layers * cfg.dec_hidden, table, "bridge");
        let tgt_emb = Embedding::new(cfg.tgt_vocab, cfg.embed, table, "decoder.embedding");
        let dec_cfg = RecurrentConfig {
            cell: CellKind::Lstm,
            input: cfg.embed,
            hidden: cfg.dec_hidden,
            layers: cfg.dec_layers,
            bidirectional: false,
            dropout: cfg.dropout,
        };
        let dec = RecurrentStack::new(dec_cfg, table, "decoder.rnn.");
        let attn = AdditiveAttention::new(cfg.dec_hidden, dk, cfg.attention, table, "attention.");
        let combine = Dense::new(cfg.dec_hidden + dk, cfg.dec_hidden, table, "combine");
        let out = Dense::new(cfg.dec_hidden, cfg.tgt_vocab, table, "output");
        Modules { src_emb, enc, bridge, tgt_emb, dec, attn, combine, out }
    }
}

impl Trainable for Seq2Seq {
    type Batch<'a> = Pairs<'a>;
    /// Teacher-forced forward with dropout, then backward unless the loss is not finite.
    fn forward_backward(&mut self, p: &Pairs<'_>) -> Result<(f64, usize)> {
        let (loss, count) = self.forward(p, true)?;
        if loss.is_finite() {
            self.backward()?;
        }
        Ok((loss, count))
    }
    fn arena(&self) -> &ParamArena {
        &self.arena
    }
    fn arena_mut(&mut self) -> &mut ParamArena {
        &mut self.arena
    }
    /// The source and target embeddings (lazy rows: a batch moves only the tokens it read).
    fn row_tables(&self) -> Vec<(usize, usize, usize)> {
        let mut t: Vec<_> = [&self.src_emb, &self.tgt_emb].iter().map(|e| (e.weight.off, e.vocab, e.dim)).collect();
        t.sort_unstable();
        t
    }
}
