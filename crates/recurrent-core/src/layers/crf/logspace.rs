//! The CRF in log space, one row at a time, all in f64: the reference the batched path
//! (`scaled`, `viterbi`) is tested against, and its fallback for parameters whose spread
//! could underflow the f32 recursion. Formulas: see the parent module.

use super::{CrfGrads, CrfParams};

#[inline]
pub fn log_sum_exp(xs: &[f64]) -> f64 {
    let m = xs.iter().fold(f64::NEG_INFINITY, |a, &x| a.max(x));
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + xs.iter().map(|&x| (x - m).exp()).sum::<f64>().ln()
}

impl CrfParams<'_> {
    #[inline]
    fn tr(&self, i: usize, j: usize) -> f64 {
        self.transitions[i * self.k + j] as f64
    }

    /// score(y) of one row: e [L, K], y [L], L ≥ 1.
    pub fn score(&self, e: &[f32], y: &[i32]) -> f64 {
        let k = self.k;
        let l = y.len();
        let mut s = self.start[y[0] as usize] as f64 + self.end[y[l - 1] as usize] as f64;
        for t in 0..l {
            s += e[t * k + y[t] as usize] as f64;
            if t > 0 {
                s += self.tr(y[t - 1] as usize, y[t] as usize);
            }
        }
        s
    }

    /// log Z of one row (forward algorithm): e [L, K], L ≥ 1. `alpha` [L, K] is written.
    pub fn log_partition(&self, e: &[f32], l: usize, alpha: &mut Vec<f64>) -> f64 {
        let k = self.k;
        alpha.clear();
        alpha.resize(l * k, 0.0);
        let mut tmp = vec![0.0f64; k];
        for j in 0..k {
            alpha[j] = self.start[j] as f64 + e[j] as f64;
        }
        for t in 1..l {
            for j in 0..k {
                for (i, v) in tmp.iter_mut().enumerate() {
                    *v = alpha[(t - 1) * k + i] + self.tr(i, j);
                }
                alpha[t * k + j] = log_sum_exp(&tmp) + e[t * k + j] as f64;
            }
        }
        for (j, v) in tmp.iter_mut().enumerate() {
            *v = alpha[(l - 1) * k + j] + self.end[j] as f64;
        }
        log_sum_exp(&tmp)
    }

    /// NLL of one row; with `grad`, adds `scale`·∂NLL/∂(e, transitions, start, end)
    /// (d_e [L, K] is overwritten, the parameter gradients accumulated).
    pub fn row_nll(&self, e: &[f32], y: &[i32], grad: Option<(&mut [f32], &mut CrfGrads, f64)>) -> f64 {
        let k = self.k;
        let l = y.len();
        let mut alpha = Vec::new();
        let log_z = self.log_partition(e, l, &mut alpha);
        let nll = log_z - self.score(e, y);
        let Some((d_e, g, scale)) = grad else { return nll };
        // beta[t, i] = log Σ over the rest of the path after (t, i), end transition included
        let mut beta = vec![0.0f64; l * k];
        let mut tmp = vec![0.0f64; k];
        for i in 0..k {
            beta[(l - 1) * k + i] = self.end[i] as f64;
        }
        for t in (0..l - 1).rev() {
            for i in 0..k {
                for (j, v) in tmp.iter_mut().enumerate() {
                    *v = self.tr(i, j) + e[(t + 1) * k + j] as f64 + beta[(t + 1) * k + j];
                }
                beta[t * k + i] = log_sum_exp(&tmp);
            }
        }
        for t in 0..l {
            for j in 0..k {
                let p = (alpha[t * k + j] + beta[t * k + j] - log_z).exp();
                let gold = if y[t] as usize == j { 1.0 } else { 0.0 };
                d_e[t * k + j] = ((p - gold) * scale) as f32;
                if t == 0 {
                    g.start[j] += ((p - gold) * scale) as f32;
                }
                if t == l - 1 {
                    g.end[j] += ((p - gold) * scale) as f32;
                }
            }
            if t > 0 {
                for i in 0..k {
                    for j in 0..k {
                        let p = (alpha[(t - 1) * k + i] + self.tr(i, j) + e[t * k + j] as f64 + beta[t * k + j] - log_z).exp();
                        g.transitions[i * k + j] += (p * scale) as f32;
                    }
                }
                g.transitions[y[t - 1] as usize * k + y[t] as usize] -= scale as f32;
            }
        }
        nll
    }

    /// The highest-scoring tag path of one row (ties go to the lower tag): e [L, K] → out [L].
    pub fn row_viterbi(&self, e: &[f32], l: usize, out: &mut [i32]) -> f64 {
        let k = self.k;
        let mut delta: Vec<f64> = (0..k).map(|j| self.start[j] as f64 + e[j] as f64).collect();
        let mut next = vec![0.0f64; k];
        let mut back = vec![0u32; l * k];
        for t in 1..l {
            for j in 0..k {
                let mut best = 0;
                let mut bv = f64::NEG_INFINITY;
                for (i, &d) in delta.iter().enumerate() {
                    let v = d + self.tr(i, j);
                    if v > bv {
                        bv = v;
                        best = i;
                    }
                }
                next[j] = bv + e[t * k + j] as f64;
                back[t * k + j] = best as u32;
            }
            std::mem::swap(&mut delta, &mut next);
        }
        let mut best = 0;
        let mut bv = f64::NEG_INFINITY;
        for (j, &d) in delta.iter().enumerate() {
            let v = d + self.end[j] as f64;
            if v > bv {
                bv = v;
                best = j;
            }
        }
        out[l - 1] = best as i32;
        for t in (1..l).rev() {
            best = back[t * k + best] as usize;
            out[t - 1] = best as i32;
        }
        bv
    }

    /// Total NLL over a batch: e [B, T, K], tags [B, T], lengths [B] (each ≤ T). With
    /// `grad` = (d_e [B, T, K], grads, scale), d_e is overwritten (zero on padded steps) and
    /// `scale`·∂/∂params accumulated. Tags on valid steps must be in [0, K) (checked by the
    /// caller); tags on padded steps are never read.
    pub fn nll_logspace(
        &self,
        e: &[f32],
        t: usize,
        lengths: &[usize],
        tags: &[i32],
        grad: Option<(&mut [f32], &mut CrfGrads, f64)>,
    ) -> f64 {
        let k = self.k;
        let mut total = 0.0;
        match grad {
            None => {
                for (b, &l) in lengths.iter().enumerate() {
                    if l > 0 {
                        total += self.row_nll(&e[b * t * k..(b * t + l) * k], &tags[b * t..b * t + l], None);
                    }
                }
            }
            Some((d_e, g, scale)) => {
                for (b, &l) in lengths.iter().enumerate() {
                    d_e[(b * t + l) * k..(b + 1) * t * k].fill(0.0);
                    if l > 0 {
                        total += self.row_nll(
                            &e[b * t * k..(b * t + l) * k],
                            &tags[b * t..b * t + l],
                            Some((&mut d_e[b * t * k..(b * t + l) * k], g, scale)),
                        );
                    }
                }
            }
        }
        total
    }

    /// Viterbi paths for a batch: e [B, T, K] → out [B, T], −1 on padded steps.
    pub fn viterbi_logspace(&self, e: &[f32], t: usize, lengths: &[usize], out: &mut [i32]) {
        let k = self.k;
        for (b, &l) in lengths.iter().enumerate() {
            out[b * t + l..(b + 1) * t].fill(-1);
            if l > 0 {
                self.row_viterbi(&e[b * t * k..(b * t + l) * k], l, &mut out[b * t..b * t + l]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Case, rand_vec};
    use super::*;
    use crate::rng::Rng;

    /// Every path of length l over k tags, in lexicographic order.
    fn all_paths(k: usize, l: usize) -> Vec<Vec<i32>> {
        let n = k.pow(l as u32);
        (0..n)
            .map(|mut x| {
                let mut p = vec![0i32; l];
                for t in (0..l).rev() {
                    p[t] = (x % k) as i32;
                    x /= k;
                }
                p
            })
            .collect()
    }

    /// Brute force: log Z by enumerating every path, and the best path (first in
    /// lexicographic order among exact ties, which the random scores make unlikely).
    fn brute(p: &CrfParams, e: &[f32], l: usize) -> (f64, Vec<i32>, f64) {
        let paths = all_paths(p.k, l);
        let scores: Vec<f64> = paths.iter().map(|y| p.score(e, y)).collect();
        let log_z = log_sum_exp(&scores);
        let (bi, &bs) = scores.iter().enumerate().fold((0, &f64::NEG_INFINITY), |a, (i, s)| if s > a.1 { (i, s) } else { a });
        (log_z, paths[bi].clone(), bs)
    }

    #[test]
    fn nll_and_viterbi_match_brute_force_enumeration() {
        let mut rng = Rng::new(7);
        let mut cases = 0;
        for &(k, max_l) in &[(1usize, 4usize), (2, 6), (3, 5), (4, 5), (5, 4)] {
            for l in 1..=max_l {
                for rep in 0..4 {
                    let scale = if rep == 3 { 4.0 } else { 1.0 };
                    let c = Case::new(&mut rng, k, scale);
                    let p = c.p();
                    let e = rand_vec(&mut rng, l * k, 2.0 * scale);
                    let (log_z, best, best_score) = brute(&p, &e, l);
                    let mut alpha = Vec::new();
                    let lz = p.log_partition(&e, l, &mut alpha);
                    assert!((lz - log_z).abs() < 1e-9 * log_z.abs().max(1.0), "k={k} l={l}: log Z {lz} vs brute force {log_z}");
                    // the NLL of every path, and the probabilities summing to one
                    let mut total_p = 0.0;
                    for y in all_paths(k, l) {
                        let nll = p.row_nll(&e, &y, None);
                        assert!((nll - (log_z - p.score(&e, &y))).abs() < 1e-9 * log_z.abs().max(1.0));
                        total_p += (-nll).exp();
                    }
                    assert!((total_p - 1.0).abs() < 1e-9, "k={k} l={l}: probabilities sum to {total_p}");
                    let mut path = vec![0i32; l];
                    let vs = p.row_viterbi(&e, l, &mut path);
                    assert_eq!(path, best, "k={k} l={l} rep={rep}: Viterbi path");
                    assert!((vs - best_score).abs() < 1e-9 * best_score.abs().max(1.0));
                    cases += 1;
                }
            }
        }
        assert!(cases >= 90, "{cases} cases");
    }

    #[test]
    fn viterbi_prefers_the_lower_tag_on_exact_ties() {
        let c = Case::of(3, &[0.0; 9], &[0.0; 3], &[0.0; 3]);
        let mut path = [9i32; 4];
        c.p().row_viterbi(&[0.0; 12], 4, &mut path);
        assert_eq!(path, [0, 0, 0, 0]);
        // a strong transition forces an alternating path against the emissions
        let c = Case::of(2, &[-10.0, 5.0, 5.0, -10.0], &[0.0, 3.0], &[0.0; 2]);
        let e = [1.0f32, 0.0, 1.0, 0.0, 1.0, 0.0];
        let mut path = [9i32; 3];
        c.p().row_viterbi(&e, 3, &mut path);
        assert_eq!(path, [1, 0, 1]);
    }

    /// Central differences in f64 of the f64 NLL over perturbed f32 inputs (the perturbed
    /// values are rounded to f32 and the actual step used), against the analytic gradient.
    #[test]
    #[allow(clippy::needless_range_loop)] // i indexes the values, their gradient and the labels together
    fn gradient_matches_finite_differences() {
        let mut rng = Rng::new(11);
        let mut worst: f64 = 0.0;
        let mut checked = 0;
        for &(k, lens) in &[(2usize, &[3usize, 1, 0][..]), (3, &[5, 2, 4][..]), (4, &[6, 6][..]), (5, &[1, 7][..])] {
            let t = *lens.iter().max().unwrap();
            let b = lens.len();
            let mut c = Case::new(&mut rng, k, 1.0);
            let mut e = rand_vec(&mut rng, b * t * k, 2.0);
            let tags: Vec<i32> = (0..b * t).map(|i| if i % t < lens[i / t] { rng.below(k) as i32 } else { -100 }).collect();
            let scale = 0.37;
            let mut d_e = vec![f32::NAN; b * t * k];
            let (mut gt, mut gs, mut ge) = (vec![0.0f32; k * k], vec![0.0f32; k], vec![0.0f32; k]);
            let mut g = CrfGrads { transitions: &mut gt, start: &mut gs, end: &mut ge };
            c.p().nll_logspace(&e, t, lens, &tags, Some((&mut d_e, &mut g, scale)));
            // padded steps get exact zeros
            for bb in 0..b {
                assert!(d_e[(bb * t + lens[bb]) * k..(bb + 1) * t * k].iter().all(|&x| x == 0.0));
            }
            let f = |c: &Case, e: &[f32]| c.p().nll_logspace(e, t, lens, &tags, None) * scale;
            let eps = 1e-3f32;
            let mut check = |an: f32, plus: f64, minus: f64, step: f64, what: &str| {
                let fd = (plus - minus) / step;
                let err = (fd - an as f64).abs();
                assert!(err < 1e-6, "{what}: finite difference {fd} vs analytic {an}");
                worst = worst.max(err);
                checked += 1;
            };
            for i in 0..e.len() {
                let x = e[i];
                e[i] = x + eps;
                let (pv, p1) = (f(&c, &e), e[i]);
                e[i] = x - eps;
                let (mv, m1) = (f(&c, &e), e[i]);
                e[i] = x;
                check(d_e[i], pv, mv, (p1 - m1) as f64, &format!("k={k} emissions[{i}]"));
            }
            let g_all = [gt.as_slice(), &gs, &ge].concat();
            for i in 0..c.v.len() {
                let x = c.v[i];
                c.v[i] = x + eps;
                let (pv, p1) = (f(&c, &e), c.v[i]);
                c.v[i] = x - eps;
                let (mv, m1) = (f(&c, &e), c.v[i]);
                c.v[i] = x;
                check(g_all[i], pv, mv, (p1 - m1) as f64, &format!("k={k} crf params[{i}]"));
            }
        }
        println!("CRF finite differences: {checked} comparisons, max abs error {worst:.2e}");
        assert!(checked > 200);
    }

    #[test]
    fn padded_steps_never_change_loss_or_paths() {
        let mut rng = Rng::new(3);
        let k = 4;
        let c = Case::new(&mut rng, k, 1.0);
        let (t, lens) = (6usize, [4usize, 6, 0]);
        let mut e = rand_vec(&mut rng, 3 * t * k, 2.0);
        let tags: Vec<i32> = (0..3 * t).map(|i| if i % t < lens[i / t] { rng.below(k) as i32 } else { 99 }).collect();
        let nll = c.p().nll_logspace(&e, t, &lens, &tags, None);
        let mut path = vec![0i32; 3 * t];
        c.p().viterbi_logspace(&e, t, &lens, &mut path);
        for bb in 0..3 {
            for tt in lens[bb]..t {
                for j in 0..k {
                    e[(bb * t + tt) * k + j] = 1e30;
                }
            }
        }
        assert_eq!(c.p().nll_logspace(&e, t, &lens, &tags, None), nll);
        let mut path2 = vec![0i32; 3 * t];
        c.p().viterbi_logspace(&e, t, &lens, &mut path2);
        assert_eq!(path, path2);
        assert_eq!(&path[4..6], &[-1, -1]);
        assert!(path[12..].iter().all(|&x| x == -1));
        // a single row alone gives the same loss as inside the batch
        let alone = c.p().nll_logspace(&e[t * k..2 * t * k], t, &[6], &tags[t..2 * t], None);
        let first = c.p().nll_logspace(&e[..t * k], t, &[4], &tags[..t], None);
        assert!((alone + first - nll).abs() < 1e-12);
    }

    #[test]
    fn huge_scores_stay_finite() {
        let c = Case::of(3, &[0.0; 9], &[0.0; 3], &[0.0; 3]);
        let e = [1e30f32, -1e30, 0.0, 5e29, 5e29, -1e30];
        let y = [1, 0];
        let nll = c.p().row_nll(&e, &y, None);
        assert!(nll.is_finite() && nll > 1e29, "{nll}");
        let (mut gt, mut gs, mut ge) = (vec![0.0f32; 9], vec![0.0f32; 3], vec![0.0f32; 3]);
        let mut d = [0f32; 6];
        c.p().row_nll(&e, &y, Some((&mut d, &mut CrfGrads { transitions: &mut gt, start: &mut gs, end: &mut ge }, 1.0)));
        assert!(d.iter().chain(&gt).chain(&gs).chain(&ge).all(|x| x.is_finite()));
        // the best path is (0, 0) or (0, 1) (equal scores); the gold path (1, 0) gets −1 at e[0,1]
        assert_eq!(d[1], -1.0);
    }
}
