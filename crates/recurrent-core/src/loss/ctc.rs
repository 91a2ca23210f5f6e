//! Connectionist temporal classification (CTC), as `torch.nn.functional.ctc_loss` computes it:
//! log-softmax over the classes inside the loss, a `blank` class, per-row input and target
//! lengths, reductions `mean` (each row's loss divided by its target length, then averaged
//! over the batch) and `sum`, and `zero_infinity`.
//!
//! Layout (batch-first, as everywhere in this crate): logits [B, T, C] (row b·T + t),
//! targets [B, S] padded (only the first `target_lengths[b]` labels of row b count).
//! The forward (α) and backward (β) recursions run in log space in f64 over the extended
//! label sequence l' = (blank, l1, blank, l2, …, blank) of length 2·S_b + 1.

use crate::error::{Error, Result};

/// How the per-row losses combine into one number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CtcReduction {
    /// Each row's loss divided by max(target length, 1), then averaged over the batch.
    Mean,
    /// Summed over the batch.
    Sum,
}

impl CtcReduction {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "mean" => Ok(CtcReduction::Mean),
            "sum" => Ok(CtcReduction::Sum),
            _ => Err(Error::option(format!("ctc reduction '{s}' is not one of mean, sum"))),
        }
    }
}

/// CTC options (PyTorch's defaults: blank 0, mean, zero_infinity false).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CtcConfig {
    pub blank: usize,
    pub reduction: CtcReduction,
    /// A row whose target cannot be aligned to its input (infinite loss) contributes 0 loss
    /// and 0 gradient instead of infinity.
    pub zero_infinity: bool,
}

impl Default for CtcConfig {
    fn default() -> Self {
        CtcConfig { blank: 0, reduction: CtcReduction::Mean, zero_infinity: false }
    }
}

/// One batch for the CTC loss. `targets` is [B, S] padded; lengths are per row.
#[derive(Clone, Copy, Debug)]
pub struct CtcBatch<'a> {
    pub b: usize,
    pub t: usize,
    pub c: usize,
    /// [B, T, C] raw scores.
    pub logits: &'a [f32],
    /// [B], each ≤ T.
    pub input_lengths: &'a [usize],
    /// [B, S] labels in [0, C) other than `blank` (padding past the row's length is ignored).
    pub targets: &'a [u32],
    pub s: usize,
    /// [B], each ≤ S.
    pub target_lengths: &'a [usize],
}

impl CtcBatch<'_> {
    /// Checks shapes, lengths and labels, naming what is wrong.
    pub fn check(&self, cfg: &CtcConfig) -> Result<()> {
        let (b, t, c, s) = (self.b, self.t, self.c, self.s);
        if cfg.blank >= c {
            return Err(Error::range(format!("ctc blank = {} is out of range for {c} classes", cfg.blank)));
        }
        let want = b.checked_mul(t).and_then(|x| x.checked_mul(c));
        if want != Some(self.logits.len()) {
            return Err(Error::shape(format!("ctc logits have {} values; expected [B={b}, T={t}, C={c}]", self.logits.len())));
        }
        if self.input_lengths.len() != b || self.target_lengths.len() != b {
            return Err(Error::shape(format!(
                "ctc input_lengths ({}) and target_lengths ({}) must both have B = {b} entries",
                self.input_lengths.len(),
                self.target_lengths.len()
            )));
        }
        if b.checked_mul(s) != Some(self.targets.len()) {
            return Err(Error::shape(format!("ctc targets have {} values; expected [B={b}, S={s}]", self.targets.len())));
        }
        for r in 0..b {
            if self.input_lengths[r] > t {
                return Err(Error::range(format!("ctc input_lengths[{r}] = {} exceeds T = {t}", self.input_lengths[r])));
            }
            let n = self.target_lengths[r];
            if n > s {
                return Err(Error::range(format!("ctc target_lengths[{r}] = {n} exceeds S = {s}")));
            }
            for (j, &l) in self.targets[r * s..r * s + n].iter().enumerate() {
                if l as usize >= c || l as usize == cfg.blank {
                    return Err(Error::range(format!(
                        "ctc targets[{r}][{j}] = {l} must be a class in [0, {c}) other than blank {}",
                        cfg.blank
                    )));
                }
            }
        }
        if let Some(i) = self.logits.iter().position(|x| !x.is_finite()) {
            return Err(Error::non_finite(format!("ctc logits[{i}] is {}", self.logits[i])));
        }
        Ok(())
    }
}

/// log(exp(a) + exp(b)) with −∞ handled.
#[inline]
fn lse2(a: f64, b: f64) -> f64 {
    let m = a.max(b);
    if m == f64::NEG_INFINITY { m } else { m + ((a - m).exp() + (b - m).exp()).ln() }
}

/// Log-softmax of each row of `x` [T, C] (f32 in, f64 out) into `out`.
fn log_softmax_rows(x: &[f32], c: usize, out: &mut Vec<f64>) {
    out.clear();
    for row in x.chunks_exact(c) {
        let m = row.iter().fold(f32::NEG_INFINITY, |a, &v| a.max(v)) as f64;
        let ls = row.iter().map(|&v| (v as f64 - m).exp()).sum::<f64>().ln() + m;
        out.extend(row.iter().map(|&v| v as f64 - ls));
    }
}

/// Scratch space reused across rows and calls.
#[derive(Default)]
pub struct CtcWork {
    lp: Vec<f64>,
    alpha: Vec<f64>,
    beta: Vec<f64>,
    ext: Vec<usize>,
    gamma: Vec<f64>,
}

/// −log p(target | input) of one row and, when `grad` is given, its gradient with respect to
/// the row's raw scores [T_b, C] times `scale` (written over `grad`). Returns +∞ when the
/// target cannot be aligned within the input length.
fn row_loss(x: &[f32], tb: usize, c: usize, blank: usize, labels: &[u32], w: &mut CtcWork, grad: Option<(&mut [f32], f64)>) -> f64 {
    let ninf = f64::NEG_INFINITY;
    log_softmax_rows(&x[..tb * c], c, &mut w.lp);
    w.ext.clear();
    w.ext.push(blank);
    for &l in labels {
        w.ext.push(l as usize);
        w.ext.push(blank);
    }
    let l = w.ext.len();
    if tb == 0 {
        // No frames: only the empty target has probability 1.
        if let Some((g, _)) = grad {
            g.fill(0.0);
        }
        return if labels.is_empty() { 0.0 } else { f64::INFINITY };
    }
    // Whether the transition s−2 → s is allowed (a label different from the one two back).
    let skip = |ext: &[usize], s: usize| s >= 2 && ext[s] != blank && ext[s] != ext[s - 2];
    let (lp, ext) = (&w.lp, &w.ext);
    w.alpha.clear();
    w.alpha.resize(tb * l, ninf);
    let alpha = &mut w.alpha;
    alpha[0] = lp[ext[0]];
    if l > 1 {
        alpha[1] = lp[ext[1]];
    }
    for t in 1..tb {
        for s in 0..l {
            let mut a = alpha[(t - 1) * l + s];
            if s >= 1 {
                a = lse2(a, alpha[(t - 1) * l + s - 1]);
            }
            if skip(ext, s) {
                a = lse2(a, alpha[(t - 1) * l + s - 2]);
            }
            alpha[t * l + s] = if a == ninf { ninf } else { a + lp[t * c + ext[s]] };
        }
    }
    let last = (tb - 1) * l;
    let log_p = if l > 1 { lse2(alpha[last + l - 1], alpha[last + l - 2]) } else { alpha[last] };
    let loss = -log_p;
    let Some((g, scale)) = grad else { return loss };
    if !loss.is_finite() {
        g.fill(0.0);
        return loss;
    }
    // β_t(s): log-probability of emitting frames t+1.. from state s at frame t (emission at t
    // excluded), so α_t(s) + β_t(s) − log p is the log-posterior of being in s at frame t.
    w.beta.clear();
    w.beta.resize(tb * l, ninf);
    let beta = &mut w.beta;
    beta[last + l - 1] = 0.0;
    if l > 1 {
        beta[last + l - 2] = 0.0;
    }
    for t in (0..tb - 1).rev() {
        for s in 0..l {
            let nx = |s2: usize| beta[(t + 1) * l + s2] + lp[(t + 1) * c + ext[s2]];
            let mut v = nx(s);
            if s + 1 < l {
                v = lse2(v, nx(s + 1));
            }
            if s + 2 < l && skip(ext, s + 2) {
                v = lse2(v, nx(s + 2));
            }
            beta[t * l + s] = v;
        }
    }
    // d(−log p)/d x[t][j] = softmax[t][j] − Σ_{s: l'(s) = j} posterior_t(s).
    w.gamma.clear();
    w.gamma.resize(c, ninf);
    for t in 0..tb {
        w.gamma.fill(ninf);
        for s in 0..l {
            let v = alpha[t * l + s] + beta[t * l + s];
            w.gamma[ext[s]] = lse2(w.gamma[ext[s]], v);
        }
        for j in 0..c {
            let soft = lp[t * c + j].exp();
            let post = (w.gamma[j] - log_p).exp();
            g[t * c + j] = ((soft - post) * scale) as f32;
        }
    }
    loss
}

/// The CTC loss of a batch (reduced as `cfg.reduction` says) and, when `dlogits` [B, T, C] is
/// given, its gradient with respect to the raw scores (frames past a row's input length get 0).
/// Returns the reduced loss (+∞ when a row is impossible and `zero_infinity` is off) and the
/// per-row losses (before reduction; 0 for rows zeroed by `zero_infinity`).
pub fn ctc_loss(batch: &CtcBatch, cfg: &CtcConfig, work: &mut CtcWork, mut dlogits: Option<&mut [f32]>) -> Result<(f64, Vec<f64>)> {
    batch.check(cfg)?;
    let (b, t, c, s) = (batch.b, batch.t, batch.c, batch.s);
    if let Some(d) = dlogits.as_deref()
        && d.len() != b * t * c
    {
        return Err(Error::shape(format!("ctc dlogits must be [B={b}, T={t}, C={c}]")));
    }
    let mut rows = Vec::with_capacity(b);
    let mut total = 0.0f64;
    for r in 0..b {
        let tb = batch.input_lengths[r];
        let labels = &batch.targets[r * s..r * s + batch.target_lengths[r]];
        let x = &batch.logits[r * t * c..(r + 1) * t * c];
        let per_row = match cfg.reduction {
            CtcReduction::Mean => 1.0 / (labels.len().max(1) as f64 * b as f64),
            CtcReduction::Sum => 1.0,
        };
        let g = dlogits.as_deref_mut().map(|d| &mut d[r * t * c..(r + 1) * t * c]);
        let mut loss = match g {
            Some(g) => {
                g[tb * c..].fill(0.0);
                row_loss(x, tb, c, cfg.blank, labels, work, Some((&mut g[..tb * c], per_row)))
            }
            None => row_loss(x, tb, c, cfg.blank, labels, work, None),
        };
        if loss.is_infinite() && cfg.zero_infinity {
            loss = 0.0;
        }
        total += loss * per_row;
        rows.push(loss);
    }
    Ok((total, rows))
}
