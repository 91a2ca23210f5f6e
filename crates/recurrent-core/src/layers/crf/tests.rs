//! The batched CRF (`scaled`, `viterbi`) against the log-space reference and finite
//! differences: random lengths (0 included), padded steps, K from 2 to 200, 1,000-step rows,
//! huge emissions, and parameters that force the log-space fallback.

use super::*;
use crate::rng::Rng;

pub(super) fn rand_vec(rng: &mut Rng, n: usize, scale: f32) -> Vec<f32> {
    (0..n).map(|_| rng.uniform(-scale, scale)).collect()
}

/// CRF parameters in one vector: transitions [K·K], start [K], end [K].
pub(super) struct Case {
    k: usize,
    pub(super) v: Vec<f32>,
}

impl Case {
    pub(super) fn new(rng: &mut Rng, k: usize, scale: f32) -> Case {
        Case { k, v: rand_vec(rng, k * k + 2 * k, scale) }
    }
    /// Given transitions [K·K], start [K] and end [K].
    pub(super) fn of(k: usize, tr: &[f32], st: &[f32], en: &[f32]) -> Case {
        Case { k, v: [tr, st, en].concat() }
    }
    pub(super) fn p(&self) -> CrfParams<'_> {
        let k = self.k;
        CrfParams { k, transitions: &self.v[..k * k], start: &self.v[k * k..k * k + k], end: &self.v[k * k + k..] }
    }
}

/// A batch: emissions [B, T, K], tags [B, T] (−100 on padded steps), lengths.
struct Data {
    t: usize,
    lens: Vec<usize>,
    e: Vec<f32>,
    tags: Vec<i32>,
}

fn data(rng: &mut Rng, k: usize, lens: &[usize], scale: f32) -> Data {
    let t = lens.iter().copied().max().unwrap_or(0).max(1);
    let b = lens.len();
    let e = rand_vec(rng, b * t * k, scale);
    let tags = (0..b * t).map(|i| if i % t < lens[i / t] { rng.below(k) as i32 } else { -100 }).collect();
    Data { t, lens: lens.to_vec(), e, tags }
}

struct Out {
    nll: f64,
    d_e: Vec<f32>,
    g: Vec<f32>,
}

/// NLL and gradients (scale 0.37) by the dispatching path or by the reference.
fn run(p: &CrfParams, d: &Data, reference: bool) -> Out {
    let k = p.k;
    let mut d_e = vec![f32::NAN; d.e.len()];
    let (mut gt, mut gs, mut ge) = (vec![0.5f32; k * k], vec![0.5f32; k], vec![0.5f32; k]);
    let mut g = CrfGrads { transitions: &mut gt, start: &mut gs, end: &mut ge };
    let grad = Some((&mut d_e[..], &mut g, 0.37));
    let nll = if reference { p.nll_logspace(&d.e, d.t, &d.lens, &d.tags, grad) } else { p.nll(&d.e, d.t, &d.lens, &d.tags, grad) };
    Out { nll, d_e, g: [gt, gs, ge].concat() }
}

/// Largest |a − b| over two slices (NaN counts as infinite).
fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| if (x - y).is_nan() { f32::INFINITY } else { (x - y).abs() }).fold(0.0, f32::max)
}

fn paths(p: &CrfParams, d: &Data, reference: bool) -> Vec<i32> {
    let mut out = vec![7i32; d.e.len() / p.k];
    if reference {
        p.viterbi_logspace(&d.e, d.t, &d.lens, &mut out)
    } else {
        p.viterbi(&d.e, d.t, &d.lens, &mut out)
    }
    out
}

fn assert_same(p: &CrfParams, d: &Data, what: &str) -> f32 {
    let (a, r) = (run(p, d, false), run(p, d, true));
    // f32 vectors: the loss to about 1e-6 per step; parameter gradients are f32 sums over
    // every step (in the reference too), so their rounding grows with the step count
    let tokens = d.lens.iter().sum::<usize>() as f64;
    let tol = 1e-6 * r.nll.abs().max(1.0) + 1e-6 * tokens;
    assert!((a.nll - r.nll).abs() <= tol, "{what}: nll {} vs reference {}", a.nll, r.nll);
    let de = max_diff(&a.d_e, &r.d_e);
    let dg = max_diff(&a.g, &r.g);
    assert!(de < 2e-6 && (dg as f64) < 2e-5 + 1e-7 * tokens, "{what}: emission gradients differ by {de}, parameter gradients by {dg}");
    assert_eq!(paths(p, d, false), paths(p, d, true), "{what}: Viterbi paths");
    de.max(dg)
}

#[test]
fn scaled_matches_the_log_space_reference_for_k_from_2_to_200() {
    let mut rng = Rng::new(25);
    let mut worst = 0.0f32;
    for &k in &[2usize, 3, 4, 5, 9, 17, 44, 64, 189, 200] {
        for rep in 0..3 {
            let b = 1 + rng.below(6);
            let max_l = if k > 60 { 9 } else { 30 };
            let lens: Vec<usize> = (0..b).map(|i| if i == 1 && rep == 1 { 0 } else { 1 + rng.below(max_l) }).collect();
            let c = Case::new(&mut rng, k, [0.1, 1.0, 3.0][rep]);
            let d = data(&mut rng, k, &lens, [2.0, 5.0, 20.0][rep]);
            assert!(scaled::usable(&c.p()));
            worst = worst.max(assert_same(&c.p(), &d, &format!("k={k} rep={rep} lens={lens:?}")));
        }
    }
    println!("scaled vs log-space CRF: max gradient difference {worst:.2e}");
}

#[test]
fn scaled_handles_a_1000_step_row_and_huge_emissions() {
    let mut rng = Rng::new(1000);
    for &(k, scale) in &[(4usize, 50.0f32), (9, 1e3), (44, 5.0)] {
        let c = Case::new(&mut rng, k, 2.0);
        let d = data(&mut rng, k, &[1000, 3, 999], scale);
        let a = run(&c.p(), &d, false);
        assert!(a.nll.is_finite() && a.nll > 0.0, "k={k}: nll {}", a.nll);
        assert!(a.d_e.iter().chain(&a.g).all(|x| x.is_finite()));
        assert_same(&c.p(), &d, &format!("1000 steps, k={k}, emissions ±{scale}"));
    }
    // ±1e30 emissions: the scaled path flushes the losers to zero, as the reference does
    let c = Case::new(&mut rng, 3, 0.5);
    let mut d = data(&mut rng, 3, &[2], 1.0);
    d.e.copy_from_slice(&[1e30, -1e30, 0.0, 5e29, 5e29, -1e30]);
    d.tags = vec![1, 0];
    let a = run(&c.p(), &d, false);
    let r = run(&c.p(), &d, true);
    assert!(a.nll.is_finite() && a.nll > 1e29);
    assert!(((a.nll - r.nll) / r.nll).abs() < 1e-12);
    assert_eq!(&a.d_e[..2], &r.d_e[..2]);
    assert!(a.d_e[2].abs() < 1e-30 && r.d_e[2] == 0.0);
    // step 1: tags 0 and 1 tie at 5e29, which the reference's f64 sums of 1e30-sized terms
    // cannot resolve; the scaled path gives the exact marginal, ∝ exp(trans[0, j] + end[j])
    let (p, k) = (c.p(), 3);
    let w: Vec<f64> = (0..2).map(|j| (p.transitions[j] as f64 + p.end[j] as f64).exp()).collect();
    let p1 = w[1] / (w[0] + w[1]);
    assert!((a.d_e[k] as f64 - 0.37 * (1.0 - p1 - 1.0)).abs() < 1e-6, "{:?}", a.d_e);
    assert!((a.d_e[k + 1] as f64 - 0.37 * p1).abs() < 1e-6 && a.d_e[k + 2].abs() < 1e-30);
}

#[test]
fn wide_parameters_fall_back_to_log_space_with_the_same_results() {
    let mut rng = Rng::new(4);
    let k = 5;
    let mut c = Case::new(&mut rng, k, 1.0);
    c.v[3] = -80.0; // transitions spread > MAX_SPREAD
    assert!(!scaled::usable(&c.p()));
    let d = data(&mut rng, k, &[7, 2, 0, 5], 3.0);
    let (a, r) = (run(&c.p(), &d, false), run(&c.p(), &d, true));
    assert_eq!(a.nll, r.nll);
    assert_eq!(a.d_e, r.d_e);
    assert_eq!(a.g, r.g);
    // within the spread, a row whose emissions make every normaliser vanish also falls back
    let c = Case::new(&mut rng, k, 0.1);
    let mut d = data(&mut rng, k, &[3], 1.0);
    d.e[5..10].copy_from_slice(&[f32::NAN; 5]);
    let a = run(&c.p(), &d, false);
    let r = run(&c.p(), &d, true);
    assert!(a.nll.is_nan() && r.nll.is_nan());
}

#[test]
fn padded_steps_never_change_the_scaled_loss_gradients_or_paths() {
    let mut rng = Rng::new(9);
    let k = 6;
    let c = Case::new(&mut rng, k, 1.0);
    let mut d = data(&mut rng, k, &[4, 6, 0, 1], 2.0);
    let a = run(&c.p(), &d, false);
    let pa = paths(&c.p(), &d, false);
    for (i, x) in d.e.iter_mut().enumerate() {
        let (row, step) = (i / k / d.t, i / k % d.t);
        if step >= d.lens[row] {
            *x = 1e30;
        }
    }
    let b = run(&c.p(), &d, false);
    assert_eq!(a.nll, b.nll);
    assert_eq!(a.d_e, b.d_e);
    assert_eq!(a.g, b.g);
    assert_eq!(pa, paths(&c.p(), &d, false));
    for (i, &x) in a.d_e.iter().enumerate() {
        let (row, step) = (i / k / d.t, i / k % d.t);
        if step >= d.lens[row] {
            assert_eq!(x, 0.0);
        }
    }
    assert_eq!(&pa[4..6], &[-1, -1]);
    assert!(pa[12..18].iter().chain(&pa[19..24]).all(|&x| x == -1));
    assert!(pa[..4].iter().chain(&pa[6..12]).chain(&pa[18..19]).all(|&x| (0..k as i32).contains(&x)));
}

/// Central differences of the f64 reference NLL against the scaled path's gradient.
#[test]
fn scaled_gradient_matches_finite_differences() {
    let mut rng = Rng::new(12);
    let mut checked = 0;
    for &(k, lens) in &[(2usize, &[3usize, 1, 0][..]), (3, &[5, 2, 4][..]), (7, &[6, 1][..])] {
        let mut c = Case::new(&mut rng, k, 1.0);
        let mut d = data(&mut rng, k, lens, 2.0);
        let a = run(&c.p(), &d, false);
        let f = |c: &Case, d: &Data| c.p().nll_logspace(&d.e, d.t, &d.lens, &d.tags, None) * 0.37;
        let eps = 1e-3f32;
        for i in 0..d.e.len() {
            let x = d.e[i];
            d.e[i] = x + eps;
            let (pv, p1) = (f(&c, &d), d.e[i]);
            d.e[i] = x - eps;
            let (mv, m1) = (f(&c, &d), d.e[i]);
            d.e[i] = x;
            let fd = (pv - mv) / (p1 - m1) as f64;
            assert!((fd - a.d_e[i] as f64).abs() < 5e-6, "k={k} e[{i}]: fd {fd} vs {}", a.d_e[i]);
            checked += 1;
        }
        for i in 0..c.v.len() {
            let x = c.v[i];
            c.v[i] = x + eps;
            let (pv, p1) = (f(&c, &d), c.v[i]);
            c.v[i] = x - eps;
            let (mv, m1) = (f(&c, &d), c.v[i]);
            c.v[i] = x;
            let fd = (pv - mv) / (p1 - m1) as f64;
            // the gradients start at 0.5 (accumulation)
            assert!((fd - (a.g[i] - 0.5) as f64).abs() < 5e-6, "k={k} param[{i}]: fd {fd} vs {}", a.g[i] - 0.5);
            checked += 1;
        }
    }
    assert!(checked > 150, "{checked}");
}

#[test]
fn viterbi_matches_the_reference_on_near_ties() {
    // integer scores make exact ties common: the lowest previous tag must win, as in the reference
    let mut rng = Rng::new(2);
    for k in [2usize, 3, 5, 12] {
        let v: Vec<f32> = (0..k * k + 2 * k).map(|_| rng.below(3) as f32).collect();
        let c = Case { k, v };
        let mut d = data(&mut rng, k, &[9, 4, 1, 0, 12], 1.0);
        d.e.iter_mut().for_each(|x| *x = x.round());
        assert_eq!(paths(&c.p(), &d, false), paths(&c.p(), &d, true), "k={k}");
    }
}
