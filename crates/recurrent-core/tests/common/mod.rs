//! The one finite-difference gradient checker of the tests (`mod common;` in each test file).
//!
//! The core is f32 only, so the checks are built to be robust in f32:
//! - the caller's scalar loss L (e.g. Σ out·R1 + Σ h_n·R2 with fixed random R's, or a
//!   model's cross-entropy) is accumulated in f64 from the f32 outputs, so the only noise in
//!   L is the f32 rounding of the forward pass (about 1e-6 absolute);
//! - every finite difference compares L(p+) − L(p−) with g·(p+ − p−), where p± are the
//!   *rounded* f32 perturbed values, so rounding of the perturbation itself cancels;
//! - central differences are taken along random unit directions of each block (e.g. the
//!   parameters or one tensor of them, x, h0, c0), along one joint direction and along the
//!   gradient of block 0, and per element on each block's sample (first, last and random
//!   elements);
//! - each comparison takes the central difference and both one-sided differences (L(p+) − L(p)
//!   and L(p) − L(p−)) at ε = 1e-2, then, while the best relative error is above TOL/10,
//!   at ε = 2.5e-3, 6e-4, 1.5e-4 and 4e-5, and keeps the smallest error. This is for ReLU:
//!   a kink crossed between p− and p+ spoils the central difference at that ε (we saw a
//!   pre-activation of 8e-5) but not the one-sided difference on the base point's side, nor
//!   a smaller ε. A wrong gradient is wrong at every ε and on both sides (see
//!   `gradcheck_detects_a_wrong_gradient`: a 5 % error in one element is caught).
//!
//! Tolerance (f32): a comparison passes when |fd − an| ≤ TOL · max(|fd|, |an|, floor),
//! TOL = 1e-2 (1 %), where the floor is the natural scale of the quantity: for a random unit
//! direction ‖g‖/√n (the typical size of g·v), for one element 0.05·rms(g) + 1e-3 (the f32
//! noise of L divided by 2ε is ~5e-5 at ε = 1e-2). The worst errors seen are about 2e-3
//! (printed by each test; run with `--nocapture`).

#![allow(dead_code)] // each test file uses a part

use recurrent_core::rng::Rng;

pub const TOL: f64 = 1e-2;
pub const EPS: [f64; 5] = [1e-2, 2.5e-3, 6e-4, 1.5e-4, 4e-5];

#[derive(Default, Debug)]
pub struct Stats {
    pub cases: usize,
    pub comparisons: usize,
    pub worst_dir: f64,
    pub worst_elem: f64,
}

impl Stats {
    pub fn merge(&mut self, o: &Stats) {
        self.cases += o.cases;
        self.comparisons += o.comparisons;
        self.worst_dir = self.worst_dir.max(o.worst_dir);
        self.worst_elem = self.worst_elem.max(o.worst_elem);
    }
}

/// The values being differentiated: one f32 vector per block, with the analytic gradient of
/// each block and a sample of element indices per block.
pub struct Blocks {
    pub names: Vec<String>,
    pub vals: Vec<Vec<f32>>,
    pub grads: Vec<Vec<f32>>,
    pub samples: Vec<Vec<usize>>,
    /// The floors of the relative error (see `Noise`).
    pub noise: Noise,
}

/// Floors of the relative error: a direction's floor is max(‖g‖/√n, `direction`), one
/// element's is 0.05·rms(g) + `element` (both at least the f32 noise of L over 2ε).
#[derive(Clone, Copy, Debug)]
pub struct Noise {
    pub direction: f64,
    pub element: f64,
}

/// The floors of the recurrent-stack checks (L near 1, noise about 1e-6).
pub const STACK_NOISE: Noise = Noise { direction: 1e-6, element: 1e-3 };

pub fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

pub fn unit_random(n: usize, rng: &mut Rng) -> Vec<f64> {
    let v: Vec<f64> = (0..n).map(|_| rng.normal() as f64).collect();
    let nv = norm(&v).max(1e-30);
    v.into_iter().map(|x| x / nv).collect()
}

/// Differences along a perturbation `dir` (one f64 vector per block; empty = untouched) of
/// size ε, with p± the rounded f32 values p ± ε·dir and l0 = L(p):
/// central (L(p+) − L(p−)) vs g·(p+ − p−), forward (L(p+) − l0) vs g·(p+ − p) and backward
/// (l0 − L(p−)) vs g·(p − p−), each as (fd, an) divided by the nominal step.
pub fn differences(bl: &Blocks, dir: &[Vec<f64>], eps: f64, l0: f64, eval: &mut dyn FnMut(&[Vec<f32>]) -> f64) -> [(f64, f64); 3] {
    let mut plus = bl.vals.clone();
    let mut minus = bl.vals.clone();
    let (mut an_p, mut an_m) = (0.0f64, 0.0f64);
    for (k, d) in dir.iter().enumerate() {
        for (i, &di) in d.iter().enumerate() {
            if di == 0.0 {
                continue;
            }
            let base = bl.vals[k][i];
            plus[k][i] = (base as f64 + eps * di) as f32;
            minus[k][i] = (base as f64 - eps * di) as f32;
            let g = bl.grads[k][i] as f64;
            an_p += g * (plus[k][i] as f64 - base as f64);
            an_m += g * (base as f64 - minus[k][i] as f64);
        }
    }
    let (lp, lm) = (eval(&plus), eval(&minus));
    [((lp - lm) / (2.0 * eps), (an_p + an_m) / (2.0 * eps)), ((lp - l0) / eps, an_p / eps), ((l0 - lm) / eps, an_m / eps)]
}

/// The smallest relative error over the differences at each ε, stopping at the first ε that
/// passes. Returns (error, fd, an) of the best one.
pub fn rel_err(bl: &Blocks, dir: &[Vec<f64>], floor: f64, l0: f64, eval: &mut dyn FnMut(&[Vec<f32>]) -> f64) -> (f64, f64, f64) {
    let mut best = (f64::INFINITY, 0.0, 0.0);
    for &eps in &EPS {
        for (fd, an) in differences(bl, dir, eps, l0, eval) {
            let e = (fd - an).abs() / fd.abs().max(an.abs()).max(floor);
            if e < best.0 {
                best = (e, fd, an);
            }
        }
        if best.0 <= TOL / 10.0 {
            break;
        }
    }
    best
}

/// Directional checks (two random unit directions per block, one joint direction, the
/// gradient direction of block 0) and per-element checks on each block's sample. Returns the
/// failures (empty when every comparison is within TOL).
pub fn check_blocks(what: &str, bl: &Blocks, rng: &mut Rng, eval: &mut dyn FnMut(&[Vec<f32>]) -> f64, st: &mut Stats) -> Vec<String> {
    let mut fails = Vec::new();
    let nb = bl.vals.len();
    let l0 = eval(&bl.vals);
    let empty_dir = |bl: &Blocks| -> Vec<Vec<f64>> { bl.vals.iter().map(|_| Vec::new()).collect() };
    let mut dirs: Vec<(String, Vec<Vec<f64>>, f64)> = Vec::new();
    for k in 0..nb {
        let n = bl.vals[k].len();
        if n == 0 {
            continue;
        }
        let g: Vec<f64> = bl.grads[k].iter().map(|&x| x as f64).collect();
        let floor = (norm(&g) / (n as f64).sqrt()).max(bl.noise.direction);
        for r in 0..2 {
            let mut d = empty_dir(bl);
            d[k] = unit_random(n, rng);
            dirs.push((format!("{} random direction {r}", bl.names[k]), d, floor));
        }
        if k == 0 && norm(&g) > 0.0 {
            let mut d = empty_dir(bl);
            let ng = norm(&g);
            d[k] = g.iter().map(|x| x / ng).collect();
            dirs.push((format!("{} gradient direction", bl.names[k]), d, floor));
        }
    }
    // joint direction over every block at once
    let total: usize = bl.vals.iter().map(|v| v.len()).sum();
    let joint = unit_random(total, rng);
    let mut d = empty_dir(bl);
    let mut off = 0;
    let mut gsq = 0.0;
    for ((dk, v), g) in d.iter_mut().zip(&bl.vals).zip(&bl.grads) {
        *dk = joint[off..off + v.len()].to_vec();
        gsq += g.iter().map(|&x| (x as f64) * (x as f64)).sum::<f64>();
        off += v.len();
    }
    dirs.push(("joint random direction".into(), d, (gsq.sqrt() / (total as f64).sqrt()).max(bl.noise.direction)));

    for (name, d, floor) in &dirs {
        let (e, fd, an) = rel_err(bl, d, *floor, l0, eval);
        st.comparisons += 1;
        st.worst_dir = st.worst_dir.max(e);
        if e > TOL {
            fails.push(format!("{what}: {name}: finite difference {fd:.6e} vs analytic {an:.6e} (rel err {e:.3e})"));
        }
    }

    for k in 0..nb {
        let g = &bl.grads[k];
        if g.is_empty() {
            continue;
        }
        let rms = (g.iter().map(|&x| (x as f64) * (x as f64)).sum::<f64>() / g.len() as f64).sqrt();
        let floor = 0.05 * rms + bl.noise.element;
        for &i in &bl.samples[k] {
            let mut d = empty_dir(bl);
            d[k] = vec![0.0; g.len()];
            d[k][i] = 1.0;
            let (e, fd, an) = rel_err(bl, &d, floor, l0, eval);
            st.comparisons += 1;
            st.worst_elem = st.worst_elem.max(e);
            if e > TOL {
                fails.push(format!("{what}: d{}[{i}]: finite difference {fd:.6e} vs analytic {an:.6e} (rel err {e:.3e})", bl.names[k]));
            }
        }
    }
    fails
}

/// First, last and `extra` random indices of [off, off+len).
pub fn sample_range(off: usize, len: usize, extra: usize, rng: &mut Rng, out: &mut Vec<usize>) {
    if len == 0 {
        return;
    }
    out.push(off);
    if len > 1 {
        out.push(off + len - 1);
    }
    for _ in 0..extra {
        out.push(off + rng.below(len));
    }
}

/// Block names from string literals.
pub fn names(ns: &[&str]) -> Vec<String> {
    ns.iter().map(|s| s.to_string()).collect()
}

/// One block per parameter tensor of an arena (named as the tensor), each sampled at its
/// first, last and `extra` random elements; `eval_arena` gets the whole arena back.
pub fn arena_blocks(table: &recurrent_core::layers::ParamTable, params: &[f32], grads: &[f32], extra: usize, rng: &mut Rng) -> Blocks {
    let mut bl = Blocks { names: Vec::new(), vals: Vec::new(), grads: Vec::new(), samples: Vec::new(), noise: STACK_NOISE };
    for s in &table.specs {
        bl.names.push(s.name.clone());
        bl.vals.push(s.slot.of(params).to_vec());
        bl.grads.push(s.slot.of(grads).to_vec());
        let mut sample = Vec::new();
        sample_range(0, s.slot.len, extra, rng, &mut sample);
        bl.samples.push(sample);
    }
    bl
}

/// Writes per-tensor block values (from `arena_blocks`) back into the arena.
pub fn write_blocks(table: &recurrent_core::layers::ParamTable, vals: &[Vec<f32>], params: &mut [f32]) {
    for (s, v) in table.specs.iter().zip(vals) {
        s.slot.of_mut(params).copy_from_slice(v);
    }
}
