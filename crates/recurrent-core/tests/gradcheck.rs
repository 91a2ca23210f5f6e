//! Finite-difference gradient checks of the recurrent stack (every cell × {uni, bi} ×
//! {1, 2, 3 layers} × {equal, variable lengths with a zero-length row} × T ∈ {1, 2, 5}, at
//! sizes that are not multiples of 4) and of whole models (embedding → recurrent → dense with
//! cross-entropy, features → recurrent → dense with MSE, and dropout under a fixed mask).
//!
//! The comparisons (central and one-sided differences at a falling ε, tolerances) are the
//! shared harness in `common/mod.rs`, which documents them.

use recurrent_core::CellKind;
use recurrent_core::layers::ParamTable;
use recurrent_core::layers::recurrent::{RecurrentConfig, RecurrentStack, SeqInput, StatePair};
use recurrent_core::model::{Batch, InputKind, LayerSpec, LossKind, Model, ModelSpec, Targets};
use recurrent_core::rng::Rng;

mod common;
use common::{Blocks, STACK_NOISE, Stats, TOL, check_blocks, names, sample_range};

fn uniform_vec(n: usize, lo: f32, hi: f32, rng: &mut Rng) -> Vec<f32> {
    (0..n).map(|_| rng.uniform(lo, hi)).collect()
}

// ───────────────────────────── recurrent stack ─────────────────────────────

#[derive(Clone, Debug)]
struct StackCase {
    cell: CellKind,
    bidirectional: bool,
    layers: usize,
    input: usize,
    hidden: usize,
    b: usize,
    t: usize,
    lengths: Option<Vec<usize>>,
}

struct StackRun {
    stack: RecurrentStack,
    b: usize,
    t: usize,
    lengths: Option<Vec<usize>>,
    r_out: Vec<f32>,
    r_h: Vec<f32>,
    r_c: Vec<f32>,
}

impl StackRun {
    fn forward(&mut self, v: &[Vec<f32>]) {
        let c0 = if self.stack.cfg.cell.has_c() { Some(&v[3][..]) } else { None };
        self.stack.forward(
            &v[0],
            SeqInput { x: &v[1], b: self.b, t: self.t, lengths: self.lengths.as_deref() },
            StatePair { h: Some(&v[2]), c: c0 },
            false,
            &mut Rng::new(0),
        );
    }
    /// L = Σ out·R1 + Σ h_n·R2 + Σ c_n·R3, in f64.
    fn loss(&mut self, v: &[Vec<f32>]) -> f64 {
        self.forward(v);
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(&x, &y)| x as f64 * y as f64).sum::<f64>();
        let mut l = dot(self.stack.output(), &self.r_out) + dot(&self.stack.h_n, &self.r_h);
        if self.stack.cfg.cell.has_c() {
            l += dot(&self.stack.c_n, &self.r_c);
        }
        l
    }
}

fn case_name(c: &StackCase) -> String {
    format!(
        "{} {} L={} I={} H={} B={} T={} lengths={:?}",
        c.cell.name(),
        if c.bidirectional { "bi" } else { "uni" },
        c.layers,
        c.input,
        c.hidden,
        c.b,
        c.t,
        c.lengths
    )
}

#[allow(clippy::needless_range_loop)] // bb indexes lens, out0, dx and the states together
fn check_stack(c: &StackCase, seed: u64, st: &mut Stats) {
    let what = case_name(c);
    let mut rng = Rng::new(seed);
    let cfg =
        RecurrentConfig { cell: c.cell, input: c.input, hidden: c.hidden, layers: c.layers, bidirectional: c.bidirectional, dropout: 0.0 };
    let mut table = ParamTable::default();
    let stack = RecurrentStack::new(cfg.clone(), &mut table, "");
    let mut params = vec![0.0; table.total];
    table.init(&mut params, &mut rng);
    // h states are S wide (H, or an LSTM's projection), c states H wide
    let (b, t, h, sw, dh) = (c.b, c.t, c.hidden, cfg.state_width(), cfg.out_dim());
    let (state, state_c) = (cfg.state_rows() * b * sw, cfg.state_rows() * b * h);
    let has_c = c.cell.has_c();
    let x = uniform_vec(b * t * c.input, -1.0, 1.0, &mut rng);
    let h0 = uniform_vec(state, -0.5, 0.5, &mut rng);
    let c0 = if has_c { uniform_vec(state_c, -0.5, 0.5, &mut rng) } else { Vec::new() };
    let mut run = StackRun {
        stack,
        b,
        t,
        lengths: c.lengths.clone(),
        r_out: uniform_vec(b * t * dh, -1.0, 1.0, &mut rng),
        r_h: uniform_vec(state, -1.0, 1.0, &mut rng),
        r_c: if has_c { uniform_vec(state_c, -1.0, 1.0, &mut rng) } else { Vec::new() },
    };
    let vals = vec![params.clone(), x.clone(), h0.clone(), c0.clone()];

    // analytic gradients
    run.forward(&vals);
    let out0 = run.stack.output().to_vec();
    let (hn0, cn0) = (run.stack.h_n.clone(), run.stack.c_n.clone());
    let mut grads = vec![0.0f32; table.total];
    let mut dx = vec![0.0f32; x.len()];
    let (r_out, r_h, r_c) = (run.r_out.clone(), run.r_h.clone(), run.r_c.clone());
    run.stack.backward(&params, &mut grads, &x, &r_out, StatePair { h: Some(&r_h), c: has_c.then_some(&r_c[..]) }, Some(&mut dx));
    let dh0 = run.stack.dh0.clone();
    let dc0 = if has_c { run.stack.dc0.clone() } else { Vec::new() };
    for (name, g) in [("params", &grads), ("x", &dx), ("h0", &dh0), ("c0", &dc0)] {
        assert!(g.iter().all(|v| v.is_finite()), "{what}: non-finite gradient of {name}");
    }

    // packed-sequence semantics: padded steps output zero, get zero gradient, change nothing
    let lens: Vec<usize> = c.lengths.clone().unwrap_or_else(|| vec![t; b]);
    let padded = |bb: usize, tt: usize| tt >= lens[bb];
    for bb in 0..b {
        for tt in 0..t {
            if padded(bb, tt) {
                let o = (bb * t + tt) * dh;
                assert!(out0[o..o + dh].iter().all(|&v| v == 0.0), "{what}: out[{bb}, {tt}] is not zero at a padded step");
                let xi = (bb * t + tt) * c.input;
                assert!(dx[xi..xi + c.input].iter().all(|&v| v == 0.0), "{what}: dx[{bb}, {tt}] is not zero at a padded step");
            }
        }
        if lens[bb] == 0 {
            // a zero-length row keeps its initial state in every layer and direction
            for r in 0..cfg.state_rows() {
                let s = (r * b + bb) * sw..(r * b + bb + 1) * sw;
                assert_eq!(&hn0[s.clone()], &h0[s.clone()], "{what}: h_n of the zero-length row {bb} is not h0");
                assert_eq!(&dh0[s.clone()], &r_h[s.clone()], "{what}: dh0 of the zero-length row {bb} is not dL/dh_n");
                let s = (r * b + bb) * h..(r * b + bb + 1) * h;
                if has_c {
                    assert_eq!(&cn0[s.clone()], &c0[s.clone()], "{what}: c_n of the zero-length row {bb} is not c0");
                    assert_eq!(&dc0[s.clone()], &r_c[s], "{what}: dc0 of the zero-length row {bb} is not dL/dc_n");
                }
            }
        }
    }
    if lens.iter().any(|&l| l < t) {
        let mut x2 = x.clone();
        for bb in 0..b {
            for tt in lens[bb]..t {
                for i in 0..c.input {
                    x2[(bb * t + tt) * c.input + i] = rng.uniform(-5.0, 5.0);
                }
            }
        }
        let v2 = vec![params.clone(), x2.clone(), h0.clone(), c0.clone()];
        run.forward(&v2);
        assert_eq!(run.stack.output(), &out0[..], "{what}: changing x at padded steps changed out");
        assert_eq!(run.stack.h_n, hn0, "{what}: changing x at padded steps changed h_n");
        assert_eq!(run.stack.c_n, cn0, "{what}: changing x at padded steps changed c_n");
        let mut grads2 = vec![0.0f32; table.total];
        let mut dx2 = vec![0.0f32; x.len()];
        run.stack.backward(&params, &mut grads2, &x2, &r_out, StatePair { h: Some(&r_h), c: has_c.then_some(&r_c[..]) }, Some(&mut dx2));
        assert_eq!(grads2, grads, "{what}: changing x at padded steps changed the parameter gradients");
        assert_eq!(dx2, dx, "{what}: changing x at padded steps changed dx");
        st.comparisons += 5;
    }

    // finite differences
    let mut samples = vec![Vec::new(); 4];
    for s in &table.specs {
        sample_range(s.slot.off, s.slot.len, 2, &mut rng, &mut samples[0]);
    }
    sample_range(0, x.len(), 4, &mut rng, &mut samples[1]);
    sample_range(0, h0.len(), 2, &mut rng, &mut samples[2]);
    sample_range(0, c0.len(), 2, &mut rng, &mut samples[3]);
    let bl = Blocks { names: names(&["params", "x", "h0", "c0"]), vals, grads: vec![grads, dx, dh0, dc0], samples, noise: STACK_NOISE };
    let mut eval = |v: &[Vec<f32>]| run.loss(v);
    let fails = check_blocks(&what, &bl, &mut rng, &mut eval, st);
    assert!(fails.is_empty(), "{}", fails.join("\n"));
    st.cases += 1;
}

const CELLS: [CellKind; 4] = [CellKind::RnnTanh, CellKind::RnnRelu, CellKind::Lstm, CellKind::Gru];

/// Input 3, hidden 5, batch 3, T ∈ {1, 2, 5}; lengths None or [T, 0, ⌈T/2⌉] (a zero-length
/// row, a full row and a partial one).
fn main_grid(cell: CellKind) -> Vec<StackCase> {
    let mut out = Vec::new();
    for bidirectional in [false, true] {
        for layers in 1..=3 {
            for t in [1usize, 2, 5] {
                for varlen in [false, true] {
                    out.push(StackCase {
                        cell,
                        bidirectional,
                        layers,
                        input: 3,
                        hidden: 5,
                        b: 3,
                        t,
                        lengths: varlen.then(|| vec![t, 0, t.div_ceil(2)]),
                    });
                }
            }
        }
    }
    out
}

/// Hidden 1 / input 1 / batch 1, and a wider case (I = 9, H = 7, B = 5) whose GEMMs cross
/// several 4-lane blocks with tails.
fn extra_sizes(cell: CellKind) -> Vec<StackCase> {
    let mut out = Vec::new();
    for bidirectional in [false, true] {
        for layers in [1usize, 2] {
            let base = StackCase { cell, bidirectional, layers, input: 1, hidden: 1, b: 1, t: 1, lengths: None };
            out.push(base.clone());
            out.push(StackCase { b: 2, t: 3, lengths: Some(vec![0, 2]), ..base.clone() });
            out.push(StackCase { input: 2, t: 4, lengths: Some(vec![3]), ..base.clone() });
            out.push(StackCase { input: 9, hidden: 7, b: 5, t: 6, lengths: Some(vec![6, 1, 0, 4, 5]), ..base });
        }
    }
    out
}

fn run_cell(cell: CellKind) {
    let mut st = Stats::default();
    for (i, c) in main_grid(cell).iter().chain(extra_sizes(cell).iter()).enumerate() {
        check_stack(c, 1000 + i as u64, &mut st);
    }
    eprintln!(
        "gradcheck {}: {} stack cases, {} comparisons; worst relative error: directional {:.2e}, per element {:.2e} (tolerance {TOL:.0e})",
        cell.name(),
        st.cases,
        st.comparisons,
        st.worst_dir,
        st.worst_elem
    );
    assert_eq!(st.cases, 36 + 16);
}

#[test]
fn gradcheck_stack_rnn_tanh() {
    run_cell(CellKind::RnnTanh);
}

#[test]
fn gradcheck_stack_rnn_relu() {
    run_cell(CellKind::RnnRelu);
}

#[test]
fn gradcheck_stack_lstm() {
    run_cell(CellKind::Lstm);
}

#[test]
fn gradcheck_stack_gru() {
    run_cell(CellKind::Gru);
}

/// TF.js/Keras's hard-sigmoid gates (piecewise linear: the sampled pre-activations sit
/// well inside (−2.5, 2.5) or outside it, away from the kinks, at these sizes).
#[test]
fn gradcheck_stack_lstm_hard_sigmoid() {
    run_cell(CellKind::LstmHardSigmoid);
}

#[test]
fn gradcheck_stack_gru_hard_sigmoid() {
    run_cell(CellKind::GruHardSigmoid);
}

/// The GRU with the reset gate before the recurrent product (Keras `reset_after=False`,
/// TF.js's GRU): its two-phase step (second GEMM over r ⊙ h_prev) forward and backward,
/// unpacked (B ≤ 4) and packed (B = 5) W_hh.
#[test]
fn gradcheck_stack_gru_reset_before() {
    run_cell(CellKind::GruResetBefore);
}

#[test]
fn gradcheck_stack_gru_reset_before_hard_sigmoid() {
    run_cell(CellKind::GruResetBeforeHardSigmoid);
}

/// PyTorch's LSTM with projections (`proj_size` P < H): the main grid at H = 5, P = 3, then
/// P = 1 and a packed case (B = 5, I = 9, H = 7, P = 4) whose GEMMs cross 4-lane blocks.
#[test]
fn gradcheck_stack_lstm_proj() {
    let mut st = Stats::default();
    let cell = CellKind::LstmProj(3);
    let mut cases = main_grid(cell);
    for bidirectional in [false, true] {
        for layers in [1usize, 2] {
            let base = StackCase {
                cell: CellKind::LstmProj(1),
                bidirectional,
                layers,
                input: 2,
                hidden: 2,
                b: 2,
                t: 3,
                lengths: Some(vec![0, 2]),
            };
            cases.push(base.clone());
            let lengths = Some(vec![6, 1, 0, 4, 5]);
            cases.push(StackCase { cell: CellKind::LstmProj(4), input: 9, hidden: 7, b: 5, t: 6, lengths, ..base });
        }
    }
    for (i, c) in cases.iter().enumerate() {
        check_stack(c, 3000 + i as u64, &mut st);
    }
    eprintln!("gradcheck lstm_proj: {} stack cases, {} comparisons; worst directional {:.2e}", st.cases, st.comparisons, st.worst_dir);
    assert_eq!(st.cases, 36 + 8);
}

/// The checker itself must catch a wrong gradient: the analytic gradient of one sampled
/// element (and, separately, of x) is off by 5 %, and exactly that comparison must fail.
#[test]
fn gradcheck_detects_a_wrong_gradient() {
    let c =
        StackCase { cell: CellKind::Gru, bidirectional: true, layers: 2, input: 3, hidden: 5, b: 3, t: 2, lengths: Some(vec![2, 0, 1]) };
    let mut rng = Rng::new(7);
    let cfg =
        RecurrentConfig { cell: c.cell, input: c.input, hidden: c.hidden, layers: c.layers, bidirectional: c.bidirectional, dropout: 0.0 };
    let mut table = ParamTable::default();
    let stack = RecurrentStack::new(cfg.clone(), &mut table, "");
    let mut params = vec![0.0; table.total];
    table.init(&mut params, &mut rng);
    let state = cfg.state_rows() * c.b * c.hidden;
    let x = uniform_vec(c.b * c.t * c.input, -1.0, 1.0, &mut rng);
    let h0 = uniform_vec(state, -0.5, 0.5, &mut rng);
    let r_out = uniform_vec(c.b * c.t * cfg.out_dim(), -1.0, 1.0, &mut rng);
    let r_h = uniform_vec(state, -1.0, 1.0, &mut rng);
    let mut run = StackRun { stack, b: c.b, t: c.t, lengths: c.lengths.clone(), r_out: r_out.clone(), r_h: r_h.clone(), r_c: Vec::new() };
    let vals = vec![params.clone(), x.clone(), h0.clone(), Vec::new()];
    run.forward(&vals);
    let mut grads = vec![0.0f32; table.total];
    let mut dx = vec![0.0f32; x.len()];
    run.stack.backward(&params, &mut grads, &x, &r_out, StatePair { h: Some(&r_h), c: None }, Some(&mut dx));
    let dh0 = run.stack.dh0.clone();
    let mut eval = |v: &[Vec<f32>]| run.loss(v);
    // unchanged: passes
    let samples = vec![vec![0, grads.len() - 1], vec![0, 1], vec![], vec![]];
    let good = Blocks {
        names: names(&["params", "x", "h0", "c0"]),
        vals: vals.clone(),
        grads: vec![grads.clone(), dx.clone(), dh0.clone(), Vec::new()],
        samples: samples.clone(),
        noise: STACK_NOISE,
    };
    assert_eq!(check_blocks("intact", &good, &mut Rng::new(1), &mut eval, &mut Stats::default()), Vec::<String>::new());
    // the last element of the last tensor (bias_hh_l1_reverse) off by 5 %
    let mut bad_g = grads.clone();
    let last = bad_g.len() - 1;
    bad_g[last] *= 1.05;
    let bad = Blocks {
        names: names(&["params", "x", "h0", "c0"]),
        vals: vals.clone(),
        grads: vec![bad_g, dx.clone(), dh0.clone(), Vec::new()],
        samples: samples.clone(),
        noise: STACK_NOISE,
    };
    let fails = check_blocks("corrupted", &bad, &mut Rng::new(1), &mut eval, &mut Stats::default());
    assert!(fails.iter().any(|f| f.contains(&format!("dparams[{last}]"))), "a 5 % error in one gradient element passed: {fails:?}");
    // dx[1] off by 5 %
    let mut bad_x = dx.clone();
    bad_x[1] *= 1.05;
    let bad = Blocks {
        names: names(&["params", "x", "h0", "c0"]),
        vals,
        grads: vec![grads, bad_x, dh0, Vec::new()],
        samples,
        noise: STACK_NOISE,
    };
    let fails = check_blocks("corrupted", &bad, &mut Rng::new(1), &mut eval, &mut Stats::default());
    assert!(fails.iter().any(|f| f.contains("dx[1]")), "a 5 % error in dx passed: {fails:?}");
}

// ───────────────────────────── whole models ─────────────────────────────

/// Cross-entropy (mean over non-ignored rows) in f64 from f32 logits.
fn ce_f64(logits: &[f32], v: usize, targets: &[i32]) -> f64 {
    let mut total = 0.0;
    let mut n = 0;
    for (row, &tg) in logits.chunks_exact(v).zip(targets) {
        if tg < 0 {
            continue;
        }
        let max = row.iter().fold(f64::NEG_INFINITY, |m, &x| m.max(x as f64));
        let lse = max + row.iter().map(|&x| (x as f64 - max).exp()).sum::<f64>().ln();
        total += lse - row[tg as usize] as f64;
        n += 1;
    }
    if n == 0 { 0.0 } else { total / n as f64 }
}

/// MSE (mean over the elements of rows with mask 1) in f64.
fn mse_f64(pred: &[f32], target: &[f32], f: usize, row_on: &[bool]) -> f64 {
    let mut total = 0.0;
    let mut n = 0;
    for (i, (p, q)) in pred.chunks_exact(f).zip(target.chunks_exact(f)).enumerate() {
        if row_on[i] {
            total += p.iter().zip(q).map(|(&a, &b)| (a as f64 - b as f64).powi(2)).sum::<f64>();
            n += f;
        }
    }
    total / n as f64
}

enum ModelTargets {
    Classes(Vec<i32>),
    Values(Vec<f32>, Vec<bool>),
}

/// FD-checks every parameter gradient of `m` for one batch. With `train`, the dropout
/// stream is reset before every forward so that every evaluation draws the same masks.
fn check_model(what: &str, m: &mut Model, batch: Batch, targets: &ModelTargets, train: bool, seed: u64, st: &mut Stats) {
    let mut rng = Rng::new(seed);
    let rng0 = m.rng.clone();
    let v = m.output_dim();
    let loss_of = |m: &Model| -> f64 {
        match targets {
            ModelTargets::Classes(c) => ce_f64(m.output(), v, c),
            ModelTargets::Values(tg, on) => mse_f64(m.output(), tg, v, on),
        }
    };
    m.rng = rng0.clone();
    m.forward(&batch, train).unwrap();
    m.arena.zero_grads();
    let (core_loss, _) = match targets {
        ModelTargets::Classes(c) => m.loss(Targets::Classes(c), LossKind::CrossEntropy, true).unwrap(),
        ModelTargets::Values(tg, _) => m.loss(Targets::Values(tg), LossKind::Mse, true).unwrap(),
    };
    let l64 = loss_of(m);
    assert!((core_loss as f64 - l64).abs() <= 1e-6 * (1.0 + l64.abs()), "{what}: core loss {core_loss} vs f64 reference {l64}");
    let grads = m.arena.grads.clone();
    assert!(grads.iter().all(|g| g.is_finite()), "{what}: non-finite gradient");
    let mut samples = vec![Vec::new()];
    for s in &m.arena.table.specs {
        sample_range(s.slot.off, s.slot.len, 3, &mut rng, &mut samples[0]);
    }
    let bl = Blocks { names: names(&["params"]), vals: vec![m.arena.params.clone()], grads: vec![grads], samples, noise: STACK_NOISE };
    let mut eval = |vals: &[Vec<f32>]| {
        m.arena.params.copy_from_slice(&vals[0]);
        m.rng = rng0.clone();
        m.forward(&batch, train).unwrap();
        loss_of(m)
    };
    let fails = check_blocks(what, &bl, &mut rng, &mut eval, st);
    assert!(fails.is_empty(), "{}", fails.join("\n"));
    m.arena.params.copy_from_slice(&bl.vals[0]);
    st.cases += 1;
}

fn recurrent(
    name: &str,
    cell: CellKind,
    units: usize,
    layers: usize,
    bidirectional: bool,
    dropout: f32,
    return_sequences: bool,
) -> LayerSpec {
    LayerSpec::Recurrent { name: name.into(), cell, units, layers, bidirectional, dropout, return_sequences }
}

/// tokens → embedding → bidirectional 2-layer recurrent pooled on final states (many-to-one)
/// → dense, cross-entropy; variable lengths with a zero-length row. Token 6 appears only at
/// padded steps, so its embedding row must get exactly zero gradient.
fn token_many_to_one(cell: CellKind, st: &mut Stats) {
    let spec = ModelSpec {
        input: InputKind::Tokens { vocab: 7, slots: 1 },
        layers: vec![
            LayerSpec::Embedding { name: "embedding".into(), dim: 3 },
            recurrent("rnn", cell, 5, 2, true, 0.0, false),
            LayerSpec::Dense { name: "head".into(), units: 4 },
        ],
    };
    let mut m = Model::new(spec, 11).unwrap();
    assert!(!m.output_is_sequence());
    let (b, t) = (3, 4);
    let lengths = [4usize, 0, 2];
    let mut rng = Rng::new(5);
    let mut ids = vec![0u32; b * t];
    for bb in 0..b {
        for tt in 0..t {
            ids[bb * t + tt] = if tt < lengths[bb] { rng.below(6) as u32 } else { 6 };
        }
    }
    let targets = ModelTargets::Classes(vec![1, 3, 0]);
    let batch = Batch { b, t, ids: Some(&ids), features: None, lengths: Some(&lengths) };
    check_model(&format!("model tokens→{} bi many-to-one, CE", cell.name()), &mut m, batch, &targets, false, 21, st);
    m.forward(&batch, false).unwrap();
    m.arena.zero_grads();
    if let ModelTargets::Classes(c) = &targets {
        m.loss(Targets::Classes(c), LossKind::CrossEntropy, true).unwrap();
    }
    let row6 = &m.arena.grad("embedding.weight").unwrap()[6 * 3..7 * 3];
    assert_eq!(row6, &[0.0, 0.0, 0.0], "an embedding used only at padded steps got a gradient");
}

/// features → 2-layer recurrent (sequence output) → dense, MSE masked by lengths.
fn features_seq_mse(cell: CellKind, st: &mut Stats) {
    let spec = ModelSpec {
        input: InputKind::Features { dim: 3 },
        layers: vec![
            recurrent("rnn", cell, 5, 2, cell == CellKind::Gru || cell == CellKind::RnnTanh, 0.0, true),
            LayerSpec::Dense { name: "head".into(), units: 2 },
        ],
    };
    let mut m = Model::new(spec, 12).unwrap();
    let (b, t) = (3, 5);
    let lengths = [5usize, 0, 3];
    let mut rng = Rng::new(6);
    let x = uniform_vec(b * t * 3, -1.0, 1.0, &mut rng);
    let tg = uniform_vec(b * t * 2, -1.0, 1.0, &mut rng);
    let on: Vec<bool> = (0..b * t).map(|i| i % t < lengths[i / t]).collect();
    let batch = Batch { b, t, ids: None, features: Some(&x), lengths: Some(&lengths) };
    check_model(&format!("model features→{} seq, MSE", cell.name()), &mut m, batch, &ModelTargets::Values(tg, on), false, 22, st);
}

/// tokens → embedding → dropout → LSTM/GRU (2 layers, bi, inter-layer dropout) → dense,
/// per-step CE, in training mode with the dropout masks held fixed by resetting the stream.
fn dropout_model(cell: CellKind, st: &mut Stats) {
    let spec = ModelSpec {
        input: InputKind::Tokens { vocab: 7, slots: 1 },
        layers: vec![
            LayerSpec::Embedding { name: "embedding".into(), dim: 3 },
            LayerSpec::Dropout { rate: 0.25 },
            recurrent("rnn", cell, 5, 2, true, 0.3, true),
            LayerSpec::Dense { name: "head".into(), units: 7 },
        ],
    };
    let mut m = Model::new(spec, 13).unwrap();
    let (b, t) = (3, 3);
    let lengths = [3usize, 1, 0];
    let mut rng = Rng::new(8);
    let ids: Vec<u32> = (0..b * t).map(|_| rng.below(7) as u32).collect();
    let cls: Vec<i32> = (0..b * t).map(|i| if i == 4 { -100 } else { rng.below(7) as i32 }).collect();
    let batch = Batch { b, t, ids: Some(&ids), features: None, lengths: Some(&lengths) };
    // the masks really are drawn: training output differs from evaluation output
    let eval_out = m.forward(&batch, false).unwrap().to_vec();
    let r0 = m.rng.clone();
    let train_out = m.forward(&batch, true).unwrap().to_vec();
    assert_ne!(eval_out, train_out, "dropout drew no mask in training mode");
    m.rng = r0;
    // expected CE ignores padded steps (the model masks them itself)
    let mut masked = cls.clone();
    for bb in 0..b {
        for tt in lengths[bb]..t {
            masked[bb * t + tt] = -100;
        }
    }
    let targets = ModelTargets::Classes(masked);
    let mut mm = m;
    let what = format!("model tokens→dropout→{} bi (dropout 0.3) seq, CE, train mode", cell.name());
    // the core is given the unmasked targets; check_model compares its loss with the masked
    // f64 reference, which also checks that padded steps are excluded from the loss
    let rng0 = mm.rng.clone();
    mm.forward(&batch, true).unwrap();
    let (l_core, count) = mm.loss(Targets::Classes(&cls), LossKind::CrossEntropy, false).unwrap();
    let ModelTargets::Classes(mk) = &targets else { unreachable!() };
    assert_eq!(count, mk.iter().filter(|&&c| c >= 0).count(), "{what}: counted rows");
    assert!((l_core as f64 - ce_f64(mm.output(), 7, mk)).abs() < 1e-5, "{what}: padded steps counted in the loss");
    mm.rng = rng0;
    check_model(&what, &mut mm, batch, &targets, true, 23, st);
}

#[test]
fn gradcheck_models() {
    let mut st = Stats::default();
    for cell in CELLS {
        let mut s = Stats::default();
        token_many_to_one(cell, &mut s);
        features_seq_mse(cell, &mut s);
        if matches!(cell, CellKind::Lstm | CellKind::Gru) {
            dropout_model(cell, &mut s);
        }
        eprintln!(
            "gradcheck models with {}: {} model cases, {} comparisons; worst relative error: directional {:.2e}, per element {:.2e}",
            cell.name(),
            s.cases,
            s.comparisons,
            s.worst_dir,
            s.worst_elem
        );
        st.merge(&s);
    }
    eprintln!(
        "gradcheck models: {} model cases, {} comparisons; worst relative error: directional {:.2e}, per element {:.2e} (tolerance {TOL:.0e})",
        st.cases, st.comparisons, st.worst_dir, st.worst_elem
    );
    assert_eq!(st.cases, 10);
}

/// Whole models with the reset-before GRU (σ and hard-sigmoid gates): tokens → bi GRU →
/// dense with CE, features → GRU (2 layers) → dense with MSE, and dropout between layers.
#[test]
fn gradcheck_models_gru_reset_before() {
    let mut st = Stats::default();
    for cell in [CellKind::GruResetBefore, CellKind::GruResetBeforeHardSigmoid] {
        token_many_to_one(cell, &mut st);
        features_seq_mse(cell, &mut st);
        dropout_model(cell, &mut st);
    }
    eprintln!(
        "gradcheck models with gru_reset_before: {} model cases, {} comparisons; worst relative error: directional {:.2e}, per element {:.2e}",
        st.cases, st.comparisons, st.worst_dir, st.worst_elem
    );
    assert_eq!(st.cases, 6);
}
