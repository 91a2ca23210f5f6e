//! CTC: PyTorch's fixtures (test/fixtures/torch-ctc), finite differences at odd sizes,
//! greedy and prefix-beam decoding against brute force, and typed errors.

use recurrent_core::decode::ctc::{greedy, prefix_beam};
use recurrent_core::loss::ctc::{CtcBatch, CtcConfig, CtcReduction, CtcWork, ctc_loss};
use recurrent_core::rng::Rng;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;

struct Case {
    b: usize,
    t: usize,
    c: usize,
    s: usize,
    logits: Vec<f32>,
    input_lengths: Vec<usize>,
    targets: Vec<u32>,
    target_lengths: Vec<usize>,
}

impl Case {
    fn batch(&self) -> CtcBatch<'_> {
        CtcBatch {
            b: self.b,
            t: self.t,
            c: self.c,
            logits: &self.logits,
            input_lengths: &self.input_lengths,
            targets: &self.targets,
            s: self.s,
            target_lengths: &self.target_lengths,
        }
    }
}

fn data(v: &Value, k: &str) -> Vec<f64> {
    v["tensors"][k]["data"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}
fn shape(v: &Value, k: &str) -> Vec<usize> {
    v["tensors"][k]["shape"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect()
}

/// Runs one fixture: logits [T, B, C] time-major there, batch-first here.
fn run_fixture(name: &str) -> (f64, f64) {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test/fixtures/torch-ctc").join(name);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    let sh = shape(&v, "logits");
    let (t, b, c) = (sh[0], sh[1], sh[2]);
    let s = shape(&v, "targets")[1];
    let tm = data(&v, "logits");
    let gm = data(&v, "grad.logits");
    let mut logits = vec![0.0f32; b * t * c];
    let mut want_grad = vec![0.0f64; b * t * c];
    for tt in 0..t {
        for bb in 0..b {
            for j in 0..c {
                logits[(bb * t + tt) * c + j] = tm[(tt * b + bb) * c + j] as f32;
                want_grad[(bb * t + tt) * c + j] = gm[(tt * b + bb) * c + j];
            }
        }
    }
    let case = Case {
        b,
        t,
        c,
        s,
        logits,
        input_lengths: data(&v, "input_lengths").iter().map(|&x| x as usize).collect(),
        targets: data(&v, "targets").iter().map(|&x| x as u32).collect(),
        target_lengths: data(&v, "target_lengths").iter().map(|&x| x as usize).collect(),
    };
    let cfg = CtcConfig {
        blank: v["blank"].as_u64().unwrap() as usize,
        reduction: CtcReduction::parse(v["reduction"].as_str().unwrap()).unwrap(),
        zero_infinity: v["zero_infinity"].as_bool().unwrap(),
    };
    let mut grad = vec![0.0f32; b * t * c];
    let (loss, _) = ctc_loss(&case.batch(), &cfg, &mut CtcWork::default(), Some(&mut grad)).unwrap();
    let want = v["loss"].as_f64().unwrap();
    assert!((loss - want).abs() <= 1e-5 + 1e-4 * want.abs(), "{name}: loss {loss}, PyTorch {want}");
    let mut worst = 0.0f64;
    for (i, (&g, &w)) in grad.iter().zip(&want_grad).enumerate() {
        let e = (g as f64 - w).abs();
        assert!(e <= 1e-5 + 1e-4 * w.abs(), "{name}: grad[{i}] = {g}, PyTorch {w}");
        worst = worst.max(e);
    }
    ((loss - want).abs(), worst)
}

#[test]
fn pytorch_fixtures() {
    for name in
        ["ctc_basic.json", "ctc_blank_last.json", "ctc_sum.json", "ctc_tight_repeats.json", "ctc_long.json", "ctc_impossible_zero_inf.json"]
    {
        let (el, eg) = run_fixture(name);
        println!("{name}: |Δloss| {el:.2e}, max |Δgrad| {eg:.2e}");
    }
}

fn random_case(rng: &mut Rng, b: usize, t: usize, c: usize, s: usize, blank: usize) -> Case {
    let logits = (0..b * t * c).map(|_| rng.uniform(-2.0, 2.0)).collect();
    let labels: Vec<u32> = (0..c as u32).filter(|&l| l as usize != blank).collect();
    let mut input_lengths = Vec::new();
    let mut target_lengths = Vec::new();
    let mut targets = Vec::new();
    for r in 0..b {
        // Row 0 uses the whole input; later rows are shorter, one has an empty target.
        let tl = if r == b - 1 { 0 } else { 1 + (rng.next_u32() as usize) % s };
        let il = (t - r).max(2 * tl + 1).min(t);
        input_lengths.push(il);
        target_lengths.push(tl);
        for j in 0..s {
            // Repeated labels on purpose (the blank they need between them is the hard case).
            let l = if j > 0 && j < tl && rng.next_u32().is_multiple_of(3) {
                targets[r * s + j - 1]
            } else {
                labels[rng.next_u32() as usize % labels.len()]
            };
            targets.push(l);
        }
    }
    Case { b, t, c, s, logits, input_lengths, targets, target_lengths }
}

#[test]
fn finite_differences_at_odd_sizes() {
    let mut rng = Rng::new(11);
    let mut worst = 0.0f64;
    let mut n = 0;
    for &(b, t, c, s, blank, red) in &[
        (3, 7, 5, 3, 2, CtcReduction::Mean),
        (2, 9, 4, 4, 0, CtcReduction::Sum),
        (1, 5, 3, 2, 2, CtcReduction::Mean),
        (4, 11, 7, 3, 6, CtcReduction::Sum),
    ] {
        let mut case = random_case(&mut rng, b, t, c, s, blank);
        let cfg = CtcConfig { blank, reduction: red, zero_infinity: false };
        let mut w = CtcWork::default();
        let mut grad = vec![0.0f32; b * t * c];
        ctc_loss(&case.batch(), &cfg, &mut w, Some(&mut grad)).unwrap();
        let eps = 1e-2f32;
        for (i, &gi) in grad.iter().enumerate() {
            let x0 = case.logits[i];
            case.logits[i] = x0 + eps;
            let (lp, _) = ctc_loss(&case.batch(), &cfg, &mut w, None).unwrap();
            case.logits[i] = x0 - eps;
            let (lm, _) = ctc_loss(&case.batch(), &cfg, &mut w, None).unwrap();
            case.logits[i] = x0;
            let fd = (lp - lm) / (2.0 * eps as f64);
            let e = (fd - gi as f64).abs();
            assert!(e <= 1e-4 + 1e-3 * fd.abs(), "b{b} t{t} c{c}: grad[{i}] = {gi}, finite difference {fd}");
            worst = worst.max(e);
            n += 1;
        }
    }
    println!("ctc finite differences: {n} comparisons, worst |Δ| {worst:.2e}");
}

#[test]
fn frames_past_the_input_length_get_no_gradient_and_impossible_rows_are_infinite() {
    let mut rng = Rng::new(5);
    let case = random_case(&mut rng, 3, 8, 4, 3, 0);
    let mut grad = vec![1.0f32; 3 * 8 * 4];
    ctc_loss(&case.batch(), &CtcConfig::default(), &mut CtcWork::default(), Some(&mut grad)).unwrap();
    for r in 0..3 {
        for t in case.input_lengths[r]..8 {
            assert!(grad[(r * 8 + t) * 4..(r * 8 + t + 1) * 4].iter().all(|&g| g == 0.0));
        }
    }
    // [1, 1] needs three frames (1, blank, 1): two are not enough.
    let logits = vec![0.0f32; 2 * 3];
    let b = CtcBatch { b: 1, t: 2, c: 3, logits: &logits, input_lengths: &[2], targets: &[1, 1], s: 2, target_lengths: &[2] };
    let (l, rows) = ctc_loss(&b, &CtcConfig::default(), &mut CtcWork::default(), None).unwrap();
    assert!(l.is_infinite() && rows[0].is_infinite());
    let zi = CtcConfig { zero_infinity: true, ..CtcConfig::default() };
    let mut g = vec![9.0f32; 6];
    let (l, _) = ctc_loss(&b, &zi, &mut CtcWork::default(), Some(&mut g)).unwrap();
    assert_eq!(l, 0.0);
    assert!(g.iter().all(|&x| x == 0.0));
    // Uniform scores over 3 classes, one frame, target [2]: p = 1/3.
    let one = vec![0.0f32; 3];
    let b = CtcBatch { b: 1, t: 1, c: 3, logits: &one, input_lengths: &[1], targets: &[2], s: 1, target_lengths: &[1] };
    let (l, _) = ctc_loss(&b, &CtcConfig::default(), &mut CtcWork::default(), None).unwrap();
    assert!((l - 3f64.ln()).abs() < 1e-12);
}

#[test]
fn typed_errors_name_the_problem() {
    let logits = vec![0.0f32; 2 * 3 * 4];
    let ok = CtcBatch { b: 2, t: 3, c: 4, logits: &logits, input_lengths: &[3, 2], targets: &[1, 2, 3, 0], s: 2, target_lengths: &[2, 1] };
    let mut w = CtcWork::default();
    assert!(ctc_loss(&ok, &CtcConfig::default(), &mut w, None).is_ok());
    let cases: Vec<(CtcBatch, CtcConfig, &str, &str)> = vec![
        (CtcBatch { input_lengths: &[4, 2], ..ok }, CtcConfig::default(), "E_RANGE", "input_lengths[0]"),
        (CtcBatch { target_lengths: &[3, 1], ..ok }, CtcConfig::default(), "E_RANGE", "target_lengths[0]"),
        (CtcBatch { targets: &[1, 0, 3, 0], ..ok }, CtcConfig::default(), "E_RANGE", "targets[0][1]"),
        (CtcBatch { targets: &[1, 4, 3, 0], ..ok }, CtcConfig::default(), "E_RANGE", "targets[0][1]"),
        (CtcBatch { c: 5, ..ok }, CtcConfig::default(), "E_SHAPE", "logits"),
        (CtcBatch { target_lengths: &[2], ..ok }, CtcConfig::default(), "E_SHAPE", "target_lengths"),
        (ok, CtcConfig { blank: 4, ..CtcConfig::default() }, "E_RANGE", "blank"),
    ];
    for (b, cfg, kind, what) in cases {
        let e = ctc_loss(&b, &cfg, &mut w, None).unwrap_err();
        assert_eq!(e.code, kind, "{e:?}");
        assert!(e.message.contains(what), "{} should name {what}", e.message);
    }
    let mut bad = logits.clone();
    bad[5] = f32::NAN;
    let e = ctc_loss(&CtcBatch { logits: &bad, ..ok }, &CtcConfig::default(), &mut w, None).unwrap_err();
    assert_eq!(e.code, "E_NONFINITE");
    assert!(CtcReduction::parse("none").is_err());
}

#[test]
fn greedy_collapses_repeats_then_drops_blanks() {
    // Frames' best classes: 1 1 0 1 2 2 0 0 → [1, 1, 2] with blank 0.
    let best = [1usize, 1, 0, 1, 2, 2, 0, 0];
    let c = 3;
    let mut x = vec![0.0f32; best.len() * c];
    for (t, &k) in best.iter().enumerate() {
        x[t * c + k] = 5.0;
    }
    let h = greedy(&x, c, 0);
    assert_eq!(h.labels, vec![1, 1, 2]);
    // With blank 2 the same frames read 1 1 [0] 1 … → [1, 0, 1, 0].
    assert_eq!(greedy(&x, c, 2).labels, vec![1, 0, 1, 0]);
}

/// Sums the probability of every alignment (C^T paths) per collapsed label sequence.
fn brute_force(x: &[f32], t: usize, c: usize, blank: usize) -> HashMap<Vec<u32>, f64> {
    let lp: Vec<f64> = x
        .chunks_exact(c)
        .flat_map(|row| {
            let m = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max) as f64;
            let ls = row.iter().map(|&v| (v as f64 - m).exp()).sum::<f64>().ln() + m;
            row.iter().map(move |&v| v as f64 - ls).collect::<Vec<_>>()
        })
        .collect();
    let mut out: HashMap<Vec<u32>, f64> = HashMap::new();
    for code in 0..c.pow(t as u32) {
        let mut k = code;
        let mut path = Vec::new();
        let mut lpp = 0.0;
        for tt in 0..t {
            let j = k % c;
            k /= c;
            path.push(j);
            lpp += lp[tt * c + j];
        }
        let mut labels = Vec::new();
        let mut prev = usize::MAX;
        for &j in &path {
            if j != blank && j != prev {
                labels.push(j as u32);
            }
            prev = j;
        }
        *out.entry(labels).or_insert(0.0) += lpp.exp();
    }
    out
}

#[test]
fn prefix_beam_search_with_a_wide_beam_is_exact_and_agrees_with_the_loss() {
    let mut rng = Rng::new(3);
    for trial in 0..30 {
        let (t, c) = (2 + trial % 4, 3 + trial % 2);
        let blank = trial % c;
        let x: Vec<f32> = (0..t * c).map(|_| rng.uniform(-2.0, 2.0)).collect();
        let all = brute_force(&x, t, c, blank);
        let mut want: Vec<(Vec<u32>, f64)> = all.into_iter().collect();
        want.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let got = prefix_beam(&x, c, blank, 10_000, 3);
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.labels, w.0, "trial {trial}");
            assert!((g.log_prob.exp() - w.1).abs() < 1e-9, "trial {trial}: {} vs {}", g.log_prob.exp(), w.1);
            // The CTC loss of that labelling is −log of the same probability.
            let s = g.labels.len().max(1);
            let mut tg = g.labels.clone();
            tg.resize(s, if blank == 0 { 1 } else { 0 });
            let b = CtcBatch { b: 1, t, c, logits: &x, input_lengths: &[t], targets: &tg, s, target_lengths: &[g.labels.len()] };
            let (_, rows) = ctc_loss(&b, &CtcConfig { blank, ..CtcConfig::default() }, &mut CtcWork::default(), None).unwrap();
            assert!((rows[0] + g.log_prob).abs() < 1e-9, "trial {trial}: loss {} vs log p {}", rows[0], g.log_prob);
        }
        // A beam of 1 still returns a valid hypothesis, and greedy equals the best single path.
        assert_eq!(prefix_beam(&x, c, blank, 1, 1).len(), 1);
        let gh = greedy(&x, c, blank);
        assert!(gh.log_prob <= got[0].log_prob + 1e-12);
    }
}
