//! The CRF's forward–backward for a whole batch in probability space (f32 vectors, f64
//! scale factors), with the per-step products through the project's GEMM.
//!
//! Rows are sorted by length, longest first, so the rows still running at step t are a prefix
//! of n_t rows and each step is one [n_t, K] block. Packed layout: step t's block is rows
//! base_t .. base_t + n_t of an [N, K] buffer, base_t = Σ_{s<t} n_s, N = Σ lengths.
//!   ψ_t[j]  = exp(e[t, j] − m_t), m_t = max_j e[t, j]        (emissions, max 1)
//!   M[i, j] = exp(trans[i, j] − c), c = max trans             (packed once per call)
//!   â_0 ∝ exp(start − max start) ∘ ψ_0,  â_t ∝ (â_{t−1} · M) ∘ ψ_t   (rows sum to 1;
//!   log α_t = log â_t + Σ_{s≤t} (log sₛ + mₛ + c), with max start in place of c at s = 0)
//!   log Z = log α_{L−1} summed against exp(end)
//!   b̂_{L−1} ∝ exp(end − max end),  b̂_t ∝ M · (ψ_{t+1} ∘ b̂_{t+1})      (rows sum to 1)
//!   p(y_t = j) = â_t[j] b̂_t[j] / Σ_j â_t[j] b̂_t[j]
//!   p(y_t = i, y_{t+1} = j) = â_t[i] M[i, j] w_{t+1}[j] / N_{t+1},  w = ψ ∘ b̂,
//!   N_{t+1} = Σ_i â_t[i] (M w_{t+1})[i]
//! The pairwise sums over every (row, step) are one GEMM, Âᵀ · W′ ([K, P]·[P, K], P pairs).
//! Every normaliser is checked (≥ `MIN_SUM`, finite); if one fails, `nll` returns None
//! before touching the parameter gradients and the caller redoes the batch in log space.

use super::{CrfGrads, CrfParams};
use crate::kernels::{self, Mat, PackedB};
use std::cell::RefCell;

/// Smallest normaliser the f32 recursion accepts (far above f32's subnormals, so every sum
/// keeps full relative precision).
const MIN_SUM: f64 = 1e-30;
/// Largest spread (max − min) of the transitions, start or end scores for which the scaled
/// path is tried: with a spread of S every normaliser stays above about e^(−2S)/K².
pub const MAX_SPREAD: f32 = 30.0;

fn spread(x: &[f32]) -> f32 {
    let (lo, hi) = x.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    hi - lo
}

/// Whether the scaled path may be used with these parameters (finite, spreads ≤ MAX_SPREAD).
pub fn usable(p: &CrfParams) -> bool {
    [p.transitions, p.start, p.end].iter().all(|x| {
        let s = spread(x);
        s.is_finite() && s <= MAX_SPREAD
    })
}

#[derive(Default)]
struct Work {
    order: Vec<usize>,
    counts: Vec<usize>,
    base: Vec<usize>,
    m_t: Vec<f32>,
    psi: Vec<f32>,
    alpha: Vec<f32>,
    w: Vec<f32>,
    ap: Vec<f32>,
    tmp: Vec<f32>,
    beta: Vec<f32>,
    log_a: Vec<f64>,
    log_z: Vec<f64>,
    m: Vec<f32>,
    g: Vec<f32>,
    pack: PackedB,
    pack_t: PackedB,
}

thread_local! {
    static WORK: RefCell<Work> = RefCell::new(Work::default());
}

fn grow(v: &mut Vec<f32>, n: usize) {
    if v.len() < n {
        v.resize(n, 0.0);
    }
}

#[inline]
fn sum64(x: &[f32]) -> f64 {
    x.iter().map(|&v| v as f64).sum()
}

#[inline]
fn dot64(x: &[f32], y: &[f32]) -> f64 {
    x.iter().zip(y).map(|(&a, &b)| a as f64 * b as f64).sum()
}

#[inline]
fn ok(s: f64) -> bool {
    s.is_finite() && s >= MIN_SUM
}

/// exp(x − max x) in f32, and max x.
fn exp_shifted(x: &[f32]) -> (Vec<f32>, f32) {
    let mx = x.iter().fold(f32::NEG_INFINITY, |a, &v| a.max(v));
    (x.iter().map(|&v| ((v - mx) as f64).exp() as f32).collect(), mx)
}

/// The batch NLL (and with `grad` its gradients), as [`CrfParams::nll`]; None when a
/// normaliser fell outside f32's safe range (then nothing was accumulated into the
/// parameter gradients, though d_e may have been partly written).
pub fn nll(
    p: &CrfParams,
    e: &[f32],
    t: usize,
    lengths: &[usize],
    tags: &[i32],
    grad: Option<(&mut [f32], &mut CrfGrads, f64)>,
) -> Option<f64> {
    WORK.with(|w| run(&mut w.borrow_mut(), p, e, t, lengths, tags, grad))
}

fn run(
    wk: &mut Work,
    p: &CrfParams,
    e: &[f32],
    t: usize,
    lengths: &[usize],
    tags: &[i32],
    grad: Option<(&mut [f32], &mut CrfGrads, f64)>,
) -> Option<f64> {
    let k = p.k;
    let Work { order, counts, base, m_t, psi, alpha, w, ap, tmp, beta, log_a, log_z, m, g, pack, pack_t } = wk;

    // rows by length, longest first (ties in batch order); n_s rows run at step s
    order.clear();
    order.extend((0..lengths.len()).filter(|&b| lengths[b] > 0));
    order.sort_by(|&a, &b| lengths[b].cmp(&lengths[a]));
    let rows = order.len();
    let tmax = order.first().map_or(0, |&b| lengths[b]);
    counts.clear();
    base.clear();
    let mut n = rows;
    let mut total_rows = 0;
    for s in 0..tmax {
        while n > 0 && lengths[order[n - 1]] <= s {
            n -= 1;
        }
        counts.push(n);
        base.push(total_rows);
        total_rows += n;
    }
    counts.push(0);
    let nt = total_rows;

    // ψ: emissions shifted by their row max, exponentiated in one vector call
    grow(psi, nt * k);
    m_t.clear();
    for s in 0..tmax {
        for r in 0..counts[s] {
            let src = &e[(order[r] * t + s) * k..(order[r] * t + s + 1) * k];
            let mx = src.iter().fold(f32::NEG_INFINITY, |a, &v| a.max(v));
            let dst = &mut psi[(base[s] + r) * k..(base[s] + r + 1) * k];
            for (d, &v) in dst.iter_mut().zip(src) {
                *d = v - mx;
            }
            m_t.push(mx);
        }
    }
    kernels::exp(&mut psi[..nt * k]);

    // M = exp(trans − c), packed as B and as Bᵀ
    let c = p.transitions.iter().fold(f32::NEG_INFINITY, |a, &v| a.max(v));
    m.clear();
    m.extend(p.transitions.iter().map(|&v| ((v - c) as f64).exp() as f32));
    pack.pack(k, k, Mat::n(m, k));
    pack_t.pack(k, k, Mat::t(m, k));
    let (st, smax) = exp_shifted(p.start);
    let (en, emax) = exp_shifted(p.end);

    // forward
    grow(alpha, nt * k);
    log_a.clear();
    log_a.resize(rows, 0.0);
    log_z.clear();
    log_z.resize(rows, 0.0);
    for s in 0..tmax {
        let (n, bs) = (counts[s], base[s]);
        let (done, cur) = alpha.split_at_mut(bs * k);
        let cur = &mut cur[..n * k];
        if s == 0 {
            for (r, row) in cur.chunks_exact_mut(k).enumerate() {
                for ((a, &x), &y) in row.iter_mut().zip(&st).zip(&psi[r * k..(r + 1) * k]) {
                    *a = x * y;
                }
            }
        } else {
            let prev = &done[base[s - 1] * k..];
            kernels::gemm_packed(n, Mat::n(prev, k), pack, false, cur, k);
            for (a, &y) in cur.iter_mut().zip(&psi[bs * k..(bs + n) * k]) {
                *a *= y;
            }
        }
        let shift = if s == 0 { smax } else { c } as f64;
        for (r, row) in cur.chunks_exact_mut(k).enumerate() {
            let sum = sum64(row);
            if !ok(sum) {
                return None;
            }
            let inv = (1.0 / sum) as f32;
            row.iter_mut().for_each(|a| *a *= inv);
            log_a[r] += sum.ln() + m_t[bs + r] as f64 + shift;
            if r >= counts[s + 1] {
                // the row ends here
                let z = dot64(row, &en);
                if !ok(z) {
                    return None;
                }
                log_z[r] = log_a[r] + z.ln() + emax as f64;
            }
        }
    }
    let mut total = 0.0;
    for (r, &b) in order.iter().enumerate() {
        let l = lengths[b];
        total += log_z[r] - p.score(&e[b * t * k..(b * t + l) * k], &tags[b * t..b * t + l]);
    }
    let Some((d_e, grads, scale)) = grad else { return Some(total) };

    // backward: b̂ for the running rows in `beta`, w = ψ ∘ b̂ packed like alpha
    for (b, &l) in lengths.iter().enumerate() {
        d_e[(b * t + l) * k..(b + 1) * t * k].fill(0.0);
    }
    grow(w, nt * k);
    grow(tmp, rows * k);
    grow(beta, rows * k);
    let n0 = counts.first().copied().unwrap_or(0);
    let pairs = nt - n0;
    grow(ap, pairs * k);
    let en_sum = sum64(&en);
    let mut g_start = vec![0.0f64; k];
    let mut g_end = vec![0.0f64; k];
    for s in (0..tmax).rev() {
        let (n, nn, bs) = (counts[s], counts[s + 1], base[s]);
        if nn > 0 {
            let bn = base[s + 1];
            kernels::gemm_packed(nn, Mat::n(&w[bn * k..], k), pack_t, false, tmp, k);
            for r in 0..nn {
                let u = &tmp[r * k..(r + 1) * k];
                let a = &alpha[(bs + r) * k..(bs + r + 1) * k];
                let norm = dot64(a, u);
                let su = sum64(u);
                if !ok(norm) || !ok(su) {
                    return None;
                }
                let f = (scale / norm) as f32;
                w[(bn + r) * k..(bn + r + 1) * k].iter_mut().for_each(|x| *x *= f);
                let pi = bn - n0 + r;
                ap[pi * k..(pi + 1) * k].copy_from_slice(a);
                let inv = (1.0 / su) as f32;
                for (b, &x) in beta[r * k..(r + 1) * k].iter_mut().zip(u) {
                    *b = x * inv;
                }
            }
        }
        for r in nn..n {
            for (b, &x) in beta[r * k..(r + 1) * k].iter_mut().zip(&en) {
                *b = (x as f64 / en_sum) as f32;
            }
        }
        for r in 0..n {
            let a = &alpha[(bs + r) * k..(bs + r + 1) * k];
            let bt = &beta[r * k..(r + 1) * k];
            let q = dot64(a, bt);
            if !ok(q) {
                return None;
            }
            let row = order[r];
            let gold = tags[row * t + s] as usize;
            let d = &mut d_e[(row * t + s) * k..(row * t + s + 1) * k];
            for j in 0..k {
                let pj = a[j] as f64 * bt[j] as f64 / q;
                let gj = (pj - if j == gold { 1.0 } else { 0.0 }) * scale;
                d[j] = gj as f32;
                if s == 0 {
                    g_start[j] += gj;
                }
                if r >= nn {
                    g_end[j] += gj;
                }
            }
            if s > 0 {
                let ps = &psi[(bs + r) * k..(bs + r + 1) * k];
                for ((x, &y), &z) in w[(bs + r) * k..(bs + r + 1) * k].iter_mut().zip(ps).zip(bt) {
                    *x = y * z;
                }
            }
        }
    }

    // ∂/∂trans[i, j] = M[i, j] · (Âᵀ W′)[i, j] − gold transition counts, all × scale
    grow(g, k * k);
    if pairs > 0 {
        kernels::gemm(k, k, pairs, Mat::t(&ap[..pairs * k], k), Mat::n(&w[n0 * k..nt * k], k), false, g, k);
        for ((d, &x), &y) in grads.transitions.iter_mut().zip(&g[..k * k]).zip(m.iter()) {
            *d += x * y;
        }
    }
    for &b in order.iter() {
        let y = &tags[b * t..b * t + lengths[b]];
        for s in 1..y.len() {
            grads.transitions[y[s - 1] as usize * k + y[s] as usize] -= scale as f32;
        }
    }
    for (d, &x) in grads.start.iter_mut().zip(&g_start) {
        *d += x as f32;
    }
    for (d, &x) in grads.end.iter_mut().zip(&g_end) {
        *d += x as f32;
    }
    Some(total)
}
