//! Greedy and beam-search decoding of the encoder-decoder: the decoder stack stepped one
//! token at a time (T = 1, state carried), one row per live hypothesis.

use super::Seq2Seq;
use crate::error::{Error, Result};
use crate::layers::recurrent::{SeqInput, StatePair};

/// Widest beam accepted by `decode`.
pub const MAX_BEAM: usize = 4096;
/// Longest output `decode` produces (tokens, without EOS).
pub const MAX_DECODE_LENGTH: usize = 10_000;

/// One decoded sequence (without BOS/EOS) and its log-probability.
#[derive(Clone, Debug, PartialEq)]
pub struct Hypothesis {
    pub tokens: Vec<u32>,
    /// Σ log p(token) (+ log p(EOS) when the sequence ended with EOS rather than at max_len).
    pub score: f64,
    /// Whether the model emitted EOS (false: stopped at max_len).
    pub ended: bool,
}

impl Seq2Seq {
    /// Decodes every source by beam search of width `beam` (1 = greedy), at most `max_len`
    /// tokens each. Returns the `n_best` (≤ beam) best hypotheses per source, best first.
    ///
    /// Each step expands every live hypothesis by every token; candidates are ranked by
    /// total log-probability (ties: earlier hypothesis, then lower id). An EOS candidate
    /// ranked within the top `beam` finishes; the best `beam` others stay live. A hypothesis
    /// that reaches `max_len` tokens finishes without EOS. A source stops once `n_best`
    /// hypotheses have finished and none live can still beat the `n_best`-th (scores only
    /// fall), so with a beam at least as wide as all hypotheses the search is exhaustive.
    pub fn decode(&mut self, src: &[u32], lengths: &[usize], beam: usize, max_len: usize, n_best: usize) -> Result<Vec<Vec<Hypothesis>>> {
        self.check_sources(src, lengths)?;
        if beam == 0 || beam > MAX_BEAM {
            return Err(Error::range(format!("beam = {beam} must be in 1..={MAX_BEAM}")));
        }
        if n_best == 0 || n_best > beam {
            return Err(Error::range(format!("n_best = {n_best} must be in 1..=beam ({beam})")));
        }
        if max_len == 0 || max_len > MAX_DECODE_LENGTH {
            return Err(Error::range(format!("max_len = {max_len} must be in 1..={MAX_DECODE_LENGTH}")));
        }
        // every step holds beam hypotheses per source, and beam · V candidates
        self.check_sizes(lengths, beam, 1)?;
        self.forward_done = false;
        self.encode(src, lengths, false);
        let b = self.b;
        let (hd, ld, v, eos) = (self.cfg.dec_hidden, self.cfg.dec_layers, self.cfg.tgt_vocab, self.cfg.eos);
        struct Live {
            tokens: Vec<u32>,
            score: f64,
        }
        let mut live: Vec<Vec<Live>> = (0..b).map(|_| vec![Live { tokens: Vec::new(), score: 0.0 }]).collect();
        let mut finished: Vec<Vec<Hypothesis>> = vec![Vec::new(); b];
        // state rows [Ld, R, Hd], one row per live hypothesis in (word, hypothesis) order
        let mut h = self.h0.clone();
        let mut c = vec![0.0f32; h.len()];
        let mut prev: Vec<u32> = vec![self.cfg.bos; b];
        let mut qb: Vec<usize> = (0..b).collect();
        let mut ye = Vec::new();
        let mut logp = Vec::new();
        let mut cand: Vec<(f64, usize, u32)> = Vec::new();
        for _step in 0..max_len {
            let r = qb.len();
            if r == 0 {
                break;
            }
            self.tgt_emb.forward(&self.arena.params, &prev, &mut ye);
            self.dec.forward(
                &self.arena.params,
                SeqInput { x: &ye, b: r, t: 1, lengths: None },
                StatePair { h: Some(&h), c: Some(&c) },
                false,
                &mut self.rng,
            );
            let s = self.dec.output().to_vec();
            self.head(&s, &qb, false);
            // log-softmax per row
            logp.resize(r * v, 0.0f64);
            for i in 0..r {
                let row = &self.logits[i * v..(i + 1) * v];
                let max = row.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x)) as f64;
                let lse = row.iter().map(|&x| (x as f64 - max).exp()).sum::<f64>().ln() + max;
                for (o, &x) in logp[i * v..(i + 1) * v].iter_mut().zip(row) {
                    *o = x as f64 - lse;
                }
            }
            // expand per word; rows of word w are contiguous in qb order
            let mut parents: Vec<usize> = Vec::new();
            let mut new_qb: Vec<usize> = Vec::new();
            let mut new_prev: Vec<u32> = Vec::new();
            let mut row0 = 0;
            for w in 0..b {
                let nl = live[w].len();
                if nl == 0 {
                    continue;
                }
                cand.clear();
                for (k, hyp) in live[w].iter().enumerate() {
                    let lp = &logp[(row0 + k) * v..(row0 + k + 1) * v];
                    for (tok, &l) in lp.iter().enumerate() {
                        cand.push((hyp.score + l, k, tok as u32));
                    }
                }
                // Only the best 2·beam candidates can matter: a live hypothesis has one EOS
                // candidate, so at most `beam` of them are EOS and the loop below has its `beam`
                // others among them (or, at max_len, its n_best ≤ beam finished ones). Selecting
                // them first (O(beam · V)) instead of sorting all beam · V keeps decoding with a
                // large target vocabulary (translation: thousands of pieces) off the sort.
                let rank = |a: &(f64, usize, u32), b: &(f64, usize, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2));
                let keep = (2 * beam).min(cand.len());
                if keep < cand.len() {
                    cand.select_nth_unstable_by(keep - 1, rank);
                    cand.truncate(keep);
                }
                cand.sort_by(rank);
                let mut next: Vec<Live> = Vec::new();
                for (rank, &(score, k, tok)) in cand.iter().enumerate() {
                    if next.len() == beam {
                        break;
                    }
                    if tok == eos {
                        if rank < beam {
                            finished[w].push(Hypothesis { tokens: live[w][k].tokens.clone(), score, ended: true });
                        }
                        continue;
                    }
                    let mut tokens = live[w][k].tokens.clone();
                    tokens.push(tok);
                    if tokens.len() >= max_len {
                        finished[w].push(Hypothesis { tokens, score, ended: false });
                    } else {
                        parents.push(row0 + k);
                        new_qb.push(w);
                        new_prev.push(tok);
                        next.push(Live { tokens, score });
                    }
                }
                row0 += nl;
                // stop this word when n_best finished and no live hypothesis can beat them
                let f = &mut finished[w];
                f.sort_by(|a, b| b.score.total_cmp(&a.score));
                let best_live = next.iter().map(|h| h.score).fold(f64::NEG_INFINITY, f64::max);
                if f.len() >= n_best && f[n_best - 1].score >= best_live {
                    let drop = next.len();
                    next.clear();
                    for _ in 0..drop {
                        parents.pop();
                        new_qb.pop();
                        new_prev.pop();
                    }
                }
                live[w] = next;
            }
            // gather the state rows of the surviving hypotheses
            let (hn, cn) = (&self.dec.h_n, &self.dec.c_n);
            let nr = parents.len();
            let mut nh = vec![0.0f32; ld * nr * hd];
            let mut nc = vec![0.0f32; ld * nr * hd];
            for l in 0..ld {
                for (i, &pr) in parents.iter().enumerate() {
                    let src = (l * r + pr) * hd;
                    let dst = (l * nr + i) * hd;
                    nh[dst..dst + hd].copy_from_slice(&hn[src..src + hd]);
                    nc[dst..dst + hd].copy_from_slice(&cn[src..src + hd]);
                }
            }
            h = nh;
            c = nc;
            qb = new_qb;
            prev = new_prev;
        }
        for f in &mut finished {
            f.sort_by(|a, b| b.score.total_cmp(&a.score));
            f.truncate(n_best);
        }
        Ok(finished)
    }
}
