//! Additive (Bahdanau) attention over a batch of encoder outputs, with source masks.
//!
//! For query n (a decoder state q_n [Dq]) that belongs to batch row b = qb[n], over the
//! valid source positions j < len[b] of that row (keys k_bj [Dk], the encoder outputs):
//!   u_nj = tanh(W_q q_n + W_k k_bj + b_k)          [A]
//!   e_nj = vᵀ u_nj                                   (score)
//!   α_n  = softmax_j(e_nj),  α_nj = 0 for j ≥ len[b] (padded source steps)
//!   ctx_n = Σ_j α_nj k_bj                             [Dk] (keys double as values)
//!
//! Parameters (PyTorch names under a prefix, e.g. `attention.`): `query.weight` [A, Dq],
//! `key.weight` [A, Dk], `key.bias` [A], `energy.weight` [1, A]; all U(−1/√fan_in, 1/√fan_in)
//! like `Linear`.
//!
//! Shapes (row-major): keys [B·Tx, Dk] (row b·Tx + j), queries [N, Dq], ctx [N, Dk].
//! Training uses N = B·Ty with qb[n] = n / Ty; decoding uses one query per live hypothesis
//! with qb mapping each to its source word.
//!
//! Work: W_k k for every key once per source batch (one GEMM), W_q q for every query (one
//! GEMM), then per query one pass over its [len, A] block of u while it is in cache (the
//! sums, one vectorised tanh, the scores, the softmax, the context). Backward mirrors it: per (n, j) the softmax and tanh
//! derivatives, then dW_q, dW_k and the input gradients as GEMMs over all rows.

use super::{ParamTable, Slot};
use crate::kernels::{self, Mat, col_sum_acc};

/// Where `AdditiveAttention::backward` adds the gradients of its inputs: dL/dkeys
/// [B·Tx, Dk] and dL/dqueries [N, Dq].
pub struct InputGrads<'a> {
    pub keys: &'a mut [f32],
    pub queries: &'a mut [f32],
}

#[derive(Clone, Debug)]
pub struct AdditiveAttention {
    pub query_dim: usize,
    pub key_dim: usize,
    pub dim: usize,
    pub w_q: Slot,
    pub w_k: Slot,
    pub b_k: Slot,
    pub v: Slot,
    /// W_k k + b_k for every key [B·Tx, A] (from `set_keys`).
    kproj: Vec<f32>,
    /// Source batch geometry of the keys: rows, steps, per-row lengths.
    b: usize,
    tx: usize,
    lengths: Vec<usize>,
    // caches of the last `forward`
    qb: Vec<usize>,
    qproj: Vec<f32>,
    /// u [N, Tx, A] (only j < len[qb[n]] are meaningful)
    u: Vec<f32>,
    /// α [N, Tx]
    alpha: Vec<f32>,
    // backward scratch
    dqp: Vec<f32>,
    dkp: Vec<f32>,
}

impl AdditiveAttention {
    pub fn new(query_dim: usize, key_dim: usize, dim: usize, table: &mut ParamTable, prefix: &str) -> Self {
        let bq = 1.0 / (query_dim as f32).sqrt();
        let bk = 1.0 / (key_dim as f32).sqrt();
        let bv = 1.0 / (dim as f32).sqrt();
        let w_q = table.add_uniform(&format!("{prefix}query.weight"), &[dim, query_dim], bq);
        let w_k = table.add_uniform(&format!("{prefix}key.weight"), &[dim, key_dim], bk);
        let b_k = table.add_uniform(&format!("{prefix}key.bias"), &[dim], bk);
        let v = table.add_uniform(&format!("{prefix}energy.weight"), &[1, dim], bv);
        AdditiveAttention {
            query_dim,
            key_dim,
            dim,
            w_q,
            w_k,
            b_k,
            v,
            kproj: Vec::new(),
            b: 0,
            tx: 0,
            lengths: Vec::new(),
            qb: Vec::new(),
            qproj: Vec::new(),
            u: Vec::new(),
            alpha: Vec::new(),
            dqp: Vec::new(),
            dkp: Vec::new(),
        }
    }

    /// Projects the keys [B·Tx, Dk] once for the following `forward` calls. Every length
    /// must be in 1..=Tx (an empty source has nothing to attend to; the caller checks).
    pub fn set_keys(&mut self, params: &[f32], keys: &[f32], b: usize, tx: usize, lengths: &[usize]) {
        let (a, dk) = (self.dim, self.key_dim);
        assert_eq!(keys.len(), b * tx * dk, "attention: keys must be [B·Tx, Dk]");
        assert!(lengths.len() == b && lengths.iter().all(|&l| l >= 1 && l <= tx), "attention: lengths must be in 1..=Tx");
        self.b = b;
        self.tx = tx;
        self.lengths.clear();
        self.lengths.extend_from_slice(lengths);
        self.kproj.resize(b * tx * a, 0.0);
        kernels::gemm(b * tx, a, dk, Mat::n(keys, dk), Mat::t(self.w_k.of(params), dk), false, &mut self.kproj, a);
        let bias = self.b_k.of(params);
        for row in self.kproj.chunks_exact_mut(a) {
            for (x, bb) in row.iter_mut().zip(bias) {
                *x += bb;
            }
        }
    }

    /// The attention weights of the last `forward` [N, Tx] (zero on padded source steps).
    pub fn weights(&self) -> &[f32] {
        &self.alpha
    }

    /// Source steps of the current keys.
    pub fn source_steps(&self) -> usize {
        self.tx
    }

    /// ctx [N, Dk] for queries [N, Dq], query n attending over the keys of row qb[n].
    #[allow(clippy::needless_range_loop)] // j indexes alpha and the score rows together
    pub fn forward(&mut self, params: &[f32], keys: &[f32], queries: &[f32], qb: &[usize], ctx: &mut Vec<f32>) {
        let (a, dq, dk, tx) = (self.dim, self.query_dim, self.key_dim, self.tx);
        let n = qb.len();
        assert_eq!(queries.len(), n * dq, "attention: queries must be [N, Dq]");
        assert!(qb.iter().all(|&b| b < self.b), "attention: query row out of range");
        self.qb.clear();
        self.qb.extend_from_slice(qb);
        self.qproj.resize(n * a, 0.0);
        kernels::gemm(n, a, dq, Mat::n(queries, dq), Mat::t(self.w_q.of(params), dq), false, &mut self.qproj, a);
        // Per query, fused while its [len, A] block of u is in cache: u = tanh(qproj_n +
        // kproj_bj) for valid j (padded steps hold zeros, never read), the scores e_nj = vᵀ u_nj,
        // the masked softmax and the context.
        self.u.resize(n * tx * a, 0.0);
        let v = self.v.of(params);
        self.alpha.resize(n * tx, 0.0);
        ctx.clear();
        ctx.resize(n * dk, 0.0);
        for (i, &b) in qb.iter().enumerate() {
            let len = self.lengths[b];
            let q = &self.qproj[i * a..(i + 1) * a];
            let block = &mut self.u[i * tx * a..(i + 1) * tx * a];
            let (valid, padded) = block.split_at_mut(len * a);
            for (u, k) in valid.chunks_exact_mut(a).zip(self.kproj[b * tx * a..].chunks_exact(a)) {
                for ((x, qq), kk) in u.iter_mut().zip(q).zip(k) {
                    *x = qq + kk;
                }
            }
            padded.fill(0.0);
            kernels::tanh(valid);
            let al = &mut self.alpha[i * tx..(i + 1) * tx];
            let mut max = f32::NEG_INFINITY;
            for (e, u) in al.iter_mut().zip(valid.chunks_exact(a)) {
                *e = dot(u, v);
                max = max.max(*e);
            }
            let mut sum = 0.0f32;
            for x in &mut al[..len] {
                *x = (*x - max).exp();
                sum += *x;
            }
            let inv = 1.0 / sum;
            for x in &mut al[..len] {
                *x *= inv;
            }
            al[len..].fill(0.0);
            let c = &mut ctx[i * dk..(i + 1) * dk];
            for j in 0..len {
                let w = al[j];
                let k = &keys[(b * tx + j) * dk..(b * tx + j + 1) * dk];
                for (o, x) in c.iter_mut().zip(k) {
                    *o += w * x;
                }
            }
        }
    }

    /// Backward of the last `forward`: accumulates the parameter gradients, adds dL/dkeys
    /// into `d.keys` [B·Tx, Dk] and dL/dqueries into `d.queries` [N, Dq].
    pub fn backward(&mut self, params: &[f32], grads: &mut [f32], keys: &[f32], queries: &[f32], d_ctx: &[f32], d: InputGrads) {
        let InputGrads { keys: d_keys, queries: d_queries } = d;
        let (a, dq, dk, tx, b) = (self.dim, self.query_dim, self.key_dim, self.tx, self.b);
        let n = self.qb.len();
        assert_eq!(d_ctx.len(), n * dk);
        assert_eq!(d_keys.len(), b * tx * dk);
        assert_eq!(d_queries.len(), n * dq);
        let v = self.v.of(params).to_vec();
        let mut dv = vec![0.0f32; a];
        self.dqp.clear();
        self.dqp.resize(n * a, 0.0);
        self.dkp.clear();
        self.dkp.resize(b * tx * a, 0.0);
        let mut dalpha = vec![0.0f32; tx];
        for i in 0..n {
            let bb = self.qb[i];
            let len = self.lengths[bb];
            let dc = &d_ctx[i * dk..(i + 1) * dk];
            let al = &self.alpha[i * tx..(i + 1) * tx];
            // dα_j = d_ctx · k_j ; d_keys_j += α_j d_ctx
            let mut s = 0.0f32;
            for j in 0..len {
                let kr = (bb * tx + j) * dk..(bb * tx + j + 1) * dk;
                let k = &keys[kr.clone()];
                dalpha[j] = dot(dc, k);
                s += al[j] * dalpha[j];
                for (o, x) in d_keys[kr].iter_mut().zip(dc) {
                    *o += al[j] * x;
                }
            }
            for j in 0..len {
                let de = al[j] * (dalpha[j] - s);
                if de == 0.0 {
                    continue;
                }
                // one pass: dv += de·u ; d(pre-tanh) = de·v·(1 − u²) into dqp_i and dkp_bj
                let u = &self.u[(i * tx + j) * a..(i * tx + j + 1) * a];
                let dq_row = &mut self.dqp[i * a..(i + 1) * a];
                let dk_row = &mut self.dkp[(bb * tx + j) * a..(bb * tx + j + 1) * a];
                for ((g, (oq, ok)), (uu, vv)) in dv.iter_mut().zip(dq_row.iter_mut().zip(dk_row.iter_mut())).zip(u.iter().zip(&v)) {
                    *g += de * uu;
                    let p = de * vv * (1.0 - uu * uu);
                    *oq += p;
                    *ok += p;
                }
            }
        }
        for (g, d) in self.v.of_mut(grads).iter_mut().zip(&dv) {
            *g += d;
        }
        // queries: dW_q += dqpᵀ · Q ; dQ += dqp · W_q
        kernels::gemm(a, dq, n, Mat::t(&self.dqp, a), Mat::n(queries, dq), true, self.w_q.of_mut(grads), dq);
        kernels::gemm(n, dq, a, Mat::n(&self.dqp, a), Mat::n(self.w_q.of(params), dq), true, d_queries, dq);
        // keys: dW_k += dkpᵀ · K ; db_k += Σ dkp ; dK += dkp · W_k
        kernels::gemm(a, dk, b * tx, Mat::t(&self.dkp, a), Mat::n(keys, dk), true, self.w_k.of_mut(grads), dk);
        col_sum_acc(&self.dkp, b * tx, a, a, self.b_k.of_mut(grads));
        kernels::gemm(b * tx, dk, a, Mat::n(&self.dkp, a), Mat::n(self.w_k.of(params), dk), true, d_keys, dk);
    }
}

/// x · y over 8 interleaved partial sums (independent adds that the compiler turns into SIMD
/// lanes; a single running sum is one serial chain of A dependent adds per score).
fn dot(x: &[f32], y: &[f32]) -> f32 {
    debug_assert_eq!(x.len(), y.len());
    let mut acc = [0.0f32; 8];
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let tail: f32 = xc.remainder().iter().zip(yc.remainder()).map(|(a, b)| a * b).sum();
    for (a, b) in xc.zip(yc) {
        for l in 0..8 {
            acc[l] += a[l] * b[l];
        }
    }
    (acc[0] + acc[4]) + (acc[1] + acc[5]) + (acc[2] + acc[6]) + (acc[3] + acc[7]) + tail
}
