//! Edge cases of the core: T = 1, B = 1, zero-length rows, hidden size 1 (each against a
//! plain f64 reference of PyTorch's equations), huge logits in cross-entropy, dropout
//! determinism under a seed, and the typed errors of `Model` / `ModelSpec` / `Trainer`.

use recurrent_core::layers::ParamTable;
use recurrent_core::layers::dropout;
use recurrent_core::layers::recurrent::{RecurrentConfig, RecurrentStack, SeqInput, StatePair};
use recurrent_core::limits::MAX_DIM;
use recurrent_core::loss::{IGNORE_INDEX, softmax_cross_entropy};
use recurrent_core::model::train::{Supervised, TokenSequences, step_tbptt};
use recurrent_core::model::{Batch, InputKind, LayerSpec, LossKind, Model, ModelSpec, Targets};
use recurrent_core::optim::OptimizerConfig;
use recurrent_core::optim::schedule::Schedule;
use recurrent_core::optim::trainer::{Trainer, TrainerConfig};
use recurrent_core::rng::Rng;
use recurrent_core::{CellKind, ErrorKind, Result};

const CELLS: [CellKind; 8] = [
    CellKind::RnnTanh,
    CellKind::RnnRelu,
    CellKind::Lstm,
    CellKind::Gru,
    CellKind::LstmHardSigmoid,
    CellKind::GruHardSigmoid,
    CellKind::GruResetBefore,
    CellKind::GruResetBeforeHardSigmoid,
];

fn uniform_vec(n: usize, lo: f32, hi: f32, rng: &mut Rng) -> Vec<f32> {
    (0..n).map(|_| rng.uniform(lo, hi)).collect()
}

// ───────────────────── f64 reference of PyTorch's equations ─────────────────────

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Straightforward per-row, per-step evaluation of the stack with packed-sequence
/// semantics (torch.nn.RNN/LSTM/GRU + pack_padded_sequence), of `built`'s stack, parameters,
/// input x [B, T, I] and initial state. Returns (out, h_n, c_n).
fn reference(built: &Built, b: usize, t: usize, lengths: &[usize]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let Built { cfg, table, params, x, h0, c0, .. } = built;
    let (h, dn, g) = (cfg.hidden, cfg.dirs(), cfg.cell.gates());
    let p = |name: String| -> Vec<f64> { table.find(&name).unwrap().slot.of(params).iter().map(|&v| v as f64).collect() };
    let mut input: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let mut in_dim = cfg.input;
    let mut h_n = vec![0.0; cfg.state_rows() * b * h];
    let mut c_n = vec![0.0; cfg.state_rows() * b * h];
    for l in 0..cfg.layers {
        let mut out = vec![0.0; b * t * dn * h];
        for d in 0..dn {
            let sfx = if d == 1 { "_reverse" } else { "" };
            let (w_ih, w_hh) = (p(format!("weight_ih_l{l}{sfx}")), p(format!("weight_hh_l{l}{sfx}")));
            let (b_ih, b_hh) = (p(format!("bias_ih_l{l}{sfx}")), p(format!("bias_hh_l{l}{sfx}")));
            let r = l * dn + d;
            for bb in 0..b {
                let s = (r * b + bb) * h..(r * b + bb + 1) * h;
                let mut hs: Vec<f64> = h0[s.clone()].iter().map(|&v| v as f64).collect();
                let mut cs: Vec<f64> = if cfg.cell.has_c() { c0[s.clone()].iter().map(|&v| v as f64).collect() } else { vec![0.0; h] };
                let steps: Vec<usize> = if d == 0 { (0..lengths[bb]).collect() } else { (0..lengths[bb]).rev().collect() };
                for tt in steps {
                    let xt = &input[(bb * t + tt) * in_dim..(bb * t + tt + 1) * in_dim];
                    let xp: Vec<f64> =
                        (0..g * h).map(|j| b_ih[j] + (0..in_dim).map(|k| w_ih[j * in_dim + k] * xt[k]).sum::<f64>()).collect();
                    let hp: Vec<f64> = (0..g * h).map(|j| b_hh[j] + (0..h).map(|k| w_hh[j * h + k] * hs[k]).sum::<f64>()).collect();
                    let mut hn = vec![0.0; h];
                    let hard =
                        matches!(cfg.cell, CellKind::LstmHardSigmoid | CellKind::GruHardSigmoid | CellKind::GruResetBeforeHardSigmoid);
                    let sigmoid = |v: f64| if hard { (0.2 * v + 0.5).clamp(0.0, 1.0) } else { sigmoid(v) };
                    for j in 0..h {
                        match cfg.cell {
                            CellKind::RnnTanh => hn[j] = (xp[j] + hp[j]).tanh(),
                            CellKind::RnnRelu => hn[j] = (xp[j] + hp[j]).max(0.0),
                            CellKind::Lstm | CellKind::LstmHardSigmoid => {
                                let i = sigmoid(xp[j] + hp[j]);
                                let f = sigmoid(xp[h + j] + hp[h + j]);
                                let gg = (xp[2 * h + j] + hp[2 * h + j]).tanh();
                                let o = sigmoid(xp[3 * h + j] + hp[3 * h + j]);
                                cs[j] = f * cs[j] + i * gg;
                                hn[j] = o * cs[j].tanh();
                            }
                            CellKind::Gru | CellKind::GruHardSigmoid => {
                                let rr = sigmoid(xp[j] + hp[j]);
                                let z = sigmoid(xp[h + j] + hp[h + j]);
                                let n = (xp[2 * h + j] + rr * hp[2 * h + j]).tanh();
                                hn[j] = (1.0 - z) * n + z * hs[j];
                            }
                            CellKind::GruResetBefore | CellKind::GruResetBeforeHardSigmoid => {
                                // Keras reset_after=False: n = tanh(xp_n + W_hn·(r ⊙ h) + b_hn)
                                let r: Vec<f64> = (0..h).map(|k| sigmoid(xp[k] + hp[k])).collect();
                                let z = sigmoid(xp[h + j] + hp[h + j]);
                                let hn_j = b_hh[2 * h + j] + (0..h).map(|k| w_hh[(2 * h + j) * h + k] * r[k] * hs[k]).sum::<f64>();
                                let n = (xp[2 * h + j] + hn_j).tanh();
                                hn[j] = (1.0 - z) * n + z * hs[j];
                            }
                            CellKind::LstmProj(_) => unreachable!("not in CELLS (its fixtures: torch_proj.rs)"),
                        }
                    }
                    hs = hn;
                    let o = (bb * t + tt) * dn * h + d * h;
                    out[o..o + h].copy_from_slice(&hs);
                }
                h_n[s.clone()].copy_from_slice(&hs);
                c_n[s].copy_from_slice(&cs);
            }
        }
        input = out;
        in_dim = dn * h;
    }
    (input, h_n, c_n)
}

fn close(what: &str, got: &[f32], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!((g as f64 - w).abs() <= 1e-5 + 1e-4 * w.abs(), "{what}[{i}]: got {g}, want {w}");
    }
}

struct Case {
    cell: CellKind,
    bidirectional: bool,
    layers: usize,
    input: usize,
    hidden: usize,
    b: usize,
    t: usize,
    lengths: Option<Vec<usize>>,
}

struct Built {
    cfg: RecurrentConfig,
    table: ParamTable,
    stack: RecurrentStack,
    params: Vec<f32>,
    x: Vec<f32>,
    h0: Vec<f32>,
    c0: Vec<f32>,
}

fn build(c: &Case, seed: u64) -> Built {
    let mut rng = Rng::new(seed);
    let cfg =
        RecurrentConfig { cell: c.cell, input: c.input, hidden: c.hidden, layers: c.layers, bidirectional: c.bidirectional, dropout: 0.0 };
    let mut table = ParamTable::default();
    let stack = RecurrentStack::new(cfg.clone(), &mut table, "");
    let mut params = vec![0.0; table.total];
    table.init(&mut params, &mut rng);
    let state = cfg.state_rows() * c.b * c.hidden;
    let x = uniform_vec(c.b * c.t * c.input, -1.0, 1.0, &mut rng);
    let h0 = uniform_vec(state, -0.5, 0.5, &mut rng);
    let c0 = if c.cell.has_c() { uniform_vec(state, -0.5, 0.5, &mut rng) } else { Vec::new() };
    Built { cfg, table, stack, params, x, h0, c0 }
}

/// Forward through the core and the reference; they must agree within the fixtures'
/// tolerance |a−b| ≤ 1e-5 + 1e-4·|b|.
fn check_against_reference(c: &Case, seed: u64) -> Built {
    let mut s = build(c, seed);
    let what = format!(
        "{} {} L={} I={} H={} B={} T={} lengths={:?}",
        c.cell.name(),
        if c.bidirectional { "bi" } else { "uni" },
        c.layers,
        c.input,
        c.hidden,
        c.b,
        c.t,
        c.lengths
    );
    let c0 = c.cell.has_c().then_some(&s.c0[..]);
    s.stack.forward(
        &s.params,
        SeqInput { x: &s.x, b: c.b, t: c.t, lengths: c.lengths.as_deref() },
        StatePair { h: Some(&s.h0), c: c0 },
        false,
        &mut Rng::new(0),
    );
    let lens = c.lengths.clone().unwrap_or_else(|| vec![c.t; c.b]);
    let (out, h_n, c_n) = reference(&s, c.b, c.t, &lens);
    close(&format!("{what}: out"), s.stack.output(), &out);
    close(&format!("{what}: h_n"), &s.stack.h_n, &h_n);
    if c.cell.has_c() {
        close(&format!("{what}: c_n"), &s.stack.c_n, &c_n);
    }
    s
}

#[test]
fn t1_and_b1_match_the_reference() {
    let mut n = 0;
    for cell in CELLS {
        for bidirectional in [false, true] {
            for layers in 1..=3 {
                for (b, t) in [(1, 1), (1, 4), (3, 1)] {
                    check_against_reference(&Case { cell, bidirectional, layers, input: 3, hidden: 5, b, t, lengths: None }, n);
                    n += 1;
                }
            }
        }
    }
    assert_eq!(n as usize, 18 * CELLS.len());
}

#[test]
fn hidden_size_1_and_odd_sizes_match_the_reference() {
    let mut n = 0;
    for cell in CELLS {
        for bidirectional in [false, true] {
            for (input, hidden, b, t, lengths) in [
                (1, 1, 1, 1, None),
                (4, 1, 3, 5, Some(vec![5, 0, 2])),
                (6, 1, 2, 3, None),
                (9, 7, 5, 6, Some(vec![6, 1, 0, 4, 5])),
                (13, 3, 6, 2, Some(vec![2, 2, 1, 0, 1, 2])),
            ] {
                check_against_reference(&Case { cell, bidirectional, layers: 2, input, hidden, b, t, lengths }, 100 + n);
                n += 1;
            }
        }
    }
    assert_eq!(n as usize, 10 * CELLS.len());
}

#[test]
fn zero_length_rows_output_zeros_and_keep_their_initial_state() {
    for cell in CELLS {
        for bidirectional in [false, true] {
            let (b, t) = (3, 4);
            let c = Case { cell, bidirectional, layers: 2, input: 3, hidden: 5, b, t, lengths: Some(vec![0, 4, 0]) };
            let mut s = check_against_reference(&c, 7);
            let (h, dh, rows) = (s.cfg.hidden, s.cfg.out_dim(), s.cfg.state_rows());
            let out = s.stack.output().to_vec();
            for bb in [0, 2] {
                assert!(out[bb * t * dh..(bb + 1) * t * dh].iter().all(|&v| v == 0.0), "{}: out of a zero-length row", cell.name());
                for r in 0..rows {
                    let sl = (r * b + bb) * h..(r * b + bb + 1) * h;
                    assert_eq!(s.stack.h_n[sl.clone()], s.h0[sl.clone()], "{}: h_n of a zero-length row", cell.name());
                    if cell.has_c() {
                        assert_eq!(s.stack.c_n[sl.clone()], s.c0[sl], "{}: c_n of a zero-length row", cell.name());
                    }
                }
            }
            // backward: the zero-length rows pass dL/dh_n, dL/dc_n straight to h0, c0 and get no dx
            let mut rng = Rng::new(3);
            let d_out = uniform_vec(out.len(), -1.0, 1.0, &mut rng);
            let d_hn = uniform_vec(s.h0.len(), -1.0, 1.0, &mut rng);
            let d_cn = uniform_vec(s.h0.len(), -1.0, 1.0, &mut rng);
            let mut grads = vec![0.0; s.table.total];
            let mut dx = vec![0.0; s.x.len()];
            s.stack.backward(
                &s.params,
                &mut grads,
                &s.x,
                &d_out,
                StatePair { h: Some(&d_hn), c: cell.has_c().then_some(&d_cn[..]) },
                Some(&mut dx),
            );
            for bb in [0, 2] {
                assert!(dx[bb * t * 3..(bb + 1) * t * 3].iter().all(|&v| v == 0.0));
                for r in 0..rows {
                    let sl = (r * b + bb) * h..(r * b + bb + 1) * h;
                    assert_eq!(s.stack.dh0[sl.clone()], d_hn[sl.clone()]);
                    if cell.has_c() {
                        assert_eq!(s.stack.dc0[sl.clone()], d_cn[sl]);
                    }
                }
            }
            assert!(grads.iter().all(|g| g.is_finite()) && grads.iter().any(|&g| g != 0.0));
        }
    }
}

#[test]
fn an_all_zero_length_batch_is_the_identity_on_the_state() {
    for cell in CELLS {
        let c = Case { cell, bidirectional: true, layers: 3, input: 3, hidden: 5, b: 2, t: 3, lengths: Some(vec![0, 0]) };
        let mut s = check_against_reference(&c, 9);
        assert!(s.stack.output().iter().all(|&v| v == 0.0));
        assert_eq!(s.stack.h_n, s.h0);
        let mut rng = Rng::new(4);
        let d_out = uniform_vec(s.stack.output().len(), -1.0, 1.0, &mut rng);
        let d_hn = uniform_vec(s.h0.len(), -1.0, 1.0, &mut rng);
        let mut grads = vec![0.0; s.table.total];
        let mut dx = vec![0.0; s.x.len()];
        s.stack.backward(&s.params, &mut grads, &s.x, &d_out, StatePair { h: Some(&d_hn), c: None }, Some(&mut dx));
        assert!(grads.iter().all(|&g| g == 0.0), "{}: parameters got a gradient from padded steps only", cell.name());
        assert!(dx.iter().all(|&g| g == 0.0));
        assert_eq!(s.stack.dh0, d_hn);
        if cell.has_c() {
            assert!(s.stack.dc0.iter().all(|&g| g == 0.0), "no dL/dc_n given: dc0 must be zero");
        }
    }
}

#[test]
fn absent_initial_states_are_zeros() {
    for cell in CELLS {
        let c = Case { cell, bidirectional: true, layers: 2, input: 3, hidden: 5, b: 3, t: 2, lengths: Some(vec![2, 0, 1]) };
        let mut s = build(&c, 11);
        let zeros = vec![0.0; s.h0.len()];
        let zc = cell.has_c().then_some(&zeros[..]);
        s.stack.forward(
            &s.params,
            SeqInput { x: &s.x, b: 3, t: 2, lengths: c.lengths.as_deref() },
            StatePair { h: Some(&zeros), c: zc },
            false,
            &mut Rng::new(0),
        );
        let (out, hn, cn) = (s.stack.output().to_vec(), s.stack.h_n.clone(), s.stack.c_n.clone());
        s.stack.forward(
            &s.params,
            SeqInput { x: &s.x, b: 3, t: 2, lengths: c.lengths.as_deref() },
            StatePair::default(),
            false,
            &mut Rng::new(0),
        );
        assert_eq!(s.stack.output(), &out[..]);
        assert_eq!(s.stack.h_n, hn);
        assert_eq!(s.stack.c_n, cn);
    }
}

// ───────────────────────────── models: T = 1, B = 1 ─────────────────────────────

fn lm_spec(cell: CellKind, bidirectional: bool, dropout: f32) -> ModelSpec {
    ModelSpec {
        input: InputKind::Tokens { vocab: 5, slots: 1 },
        layers: vec![
            LayerSpec::Embedding { name: "embedding".into(), dim: 3 },
            LayerSpec::Recurrent { name: "rnn".into(), cell, units: 4, layers: 2, bidirectional, dropout, return_sequences: true },
            LayerSpec::Dense { name: "head".into(), units: 5 },
        ],
    }
}

fn sgd(lr: f32) -> TrainerConfig {
    TrainerConfig {
        optimizer: OptimizerConfig::Sgd { lr, momentum: 0.0, dampening: 0.0, weight_decay: 0.0, nesterov: false },
        clip_norm: None,
        clip_value: None,
        schedule: Schedule::Constant,
        lazy_rows: false,
    }
}

#[test]
fn models_run_with_t1_b1_and_a_zero_length_batch() {
    for cell in CELLS {
        let mut m = Model::new(lm_spec(cell, true, 0.0), 3).unwrap();
        let ids = [2u32];
        let batch = Batch { b: 1, t: 1, ids: Some(&ids), features: None, lengths: None };
        let out = m.forward(&batch, false).unwrap().to_vec();
        assert_eq!(out.len(), 5);
        m.arena.zero_grads();
        let (loss, count) = m.loss(Targets::Classes(&[4]), LossKind::CrossEntropy, true).unwrap();
        assert_eq!(count, 1);
        let max = out.iter().fold(f64::NEG_INFINITY, |a, &v| a.max(v as f64));
        let want = max + out.iter().map(|&v| (v as f64 - max).exp()).sum::<f64>().ln() - out[4] as f64;
        assert!((loss as f64 - want).abs() < 1e-6, "{}: T=1 B=1 loss {loss} vs {want}", cell.name());
        assert!(m.arena.grads.iter().all(|g| g.is_finite()) && m.arena.grads.iter().any(|&g| g != 0.0));
        let mut tr = Trainer::new(sgd(0.1), m.arena.len()).unwrap();
        let before = m.arena.params.clone();
        let st = tr.step(&mut m, &Supervised { inputs: batch, targets: Targets::Classes(&[4]), loss: LossKind::CrossEntropy }).unwrap();
        assert!(st.loss.is_finite() && st.grad_norm > 0.0);
        assert_ne!(m.arena.params, before, "a T=1 B=1 step did not move the weights");

        // every row zero-length: nothing counts, the loss is 0 and nothing moves
        let lengths = [0usize];
        let batch0 = Batch { b: 1, t: 1, ids: Some(&ids), features: None, lengths: Some(&lengths) };
        m.forward(&batch0, false).unwrap();
        m.arena.zero_grads();
        let (loss, count) = m.loss(Targets::Classes(&[4]), LossKind::CrossEntropy, true).unwrap();
        assert_eq!((loss, count), (0.0, 0));
        assert!(m.arena.grads.iter().all(|&g| g == 0.0));
        let before = m.arena.params.clone();
        let st = tr.step(&mut m, &Supervised { inputs: batch0, targets: Targets::Classes(&[4]), loss: LossKind::CrossEntropy }).unwrap();
        assert_eq!((st.loss, st.count, st.grad_norm), (0.0, 0, 0.0));
        assert_eq!(m.arena.params, before);
    }
}

// ───────────────────────────── huge logits ─────────────────────────────

#[test]
fn cross_entropy_with_huge_logits_is_finite_and_right() {
    let ln = |x: f64| x.ln() as f32;
    // (logits, target, expected loss, expected dlogits)
    let cases: Vec<(Vec<f32>, i32, f32, Vec<f32>)> = vec![
        // equal huge logits: softmax is uniform, loss ln 3
        (vec![1e30, 1e30, 1e30], 0, ln(3.0), vec![1.0 / 3.0 - 1.0, 1.0 / 3.0, 1.0 / 3.0]),
        (vec![f32::MAX, f32::MAX, f32::MAX, f32::MAX], 2, ln(4.0), vec![0.25, 0.25, -0.75, 0.25]),
        (vec![-1e30, -1e30], 1, ln(2.0), vec![0.5, -0.5]),
        // two tied huge logits and a tiny one
        (vec![1e30, 1e30, -1e30], 1, ln(2.0), vec![0.5, -0.5, 0.0]),
        // the target far below the max: a huge but finite loss
        (vec![1e30, -1e30, 0.0], 1, 2e30, vec![1.0, -1.0, 0.0]),
        (vec![1e38, 0.0, -1e38], 2, 2e38, vec![1.0, 0.0, -1.0]),
        // the target is the max of opposite extremes: loss 0
        (vec![f32::MAX, -f32::MAX, 0.0], 0, 0.0, vec![0.0, 0.0, 0.0]),
    ];
    for (logits, tg, want, want_d) in cases {
        let v = logits.len();
        let mut d = vec![f32::NAN; v];
        let (loss, count) = softmax_cross_entropy(&logits, v, &[tg], IGNORE_INDEX, Some(&mut d));
        assert_eq!(count, 1);
        assert!(loss.is_finite() && d.iter().all(|x| x.is_finite()), "{logits:?}: loss {loss}, d {d:?}");
        assert!((loss - want).abs() <= 1e-6 * (1.0 + want.abs()), "{logits:?} target {tg}: loss {loss}, want {want}");
        for (a, b) in d.iter().zip(&want_d) {
            assert!((a - b).abs() <= 1e-6, "{logits:?} target {tg}: dlogits {d:?}, want {want_d:?}");
        }
        assert!(d.iter().sum::<f32>().abs() < 1e-6, "softmax − onehot must sum to 0: {d:?}");
    }
}

#[test]
fn models_with_huge_logits_give_finite_losses_and_gradients() {
    for cell in CELLS {
        let mut m = Model::new(lm_spec(cell, true, 0.0), 5).unwrap();
        let ids = [0u32, 1, 2, 3, 4, 0];
        let batch = Batch { b: 2, t: 3, ids: Some(&ids), features: None, lengths: Some(&[3, 2]) };
        let tg = [1, 2, 3, 4, 0, 1];

        // a huge shared bias: every logit rounds to 1e30, so the softmax is uniform
        m.arena.set_param("head.bias", &[1e30; 5]).unwrap();
        let out = m.forward(&batch, false).unwrap().to_vec();
        assert!(out.iter().all(|&v| v == 1e30));
        m.arena.zero_grads();
        let (loss, count) = m.loss(Targets::Classes(&tg), LossKind::CrossEntropy, true).unwrap();
        assert_eq!(count, 5);
        assert!((loss - 5f32.ln()).abs() < 1e-6, "{}: loss {loss} with equal huge logits (want ln 5)", cell.name());
        assert!(m.arena.grads.iter().all(|g| g.is_finite()), "{}: non-finite gradient", cell.name());

        // huge weights: logits of order ±1e30 that differ by as much
        m.arena.set_param("head.bias", &[0.0; 5]).unwrap();
        let w: Vec<f32> = (0..5 * 8).map(|i| if i % 3 == 0 { 1e30 } else { -1e30 }).collect();
        m.arena.set_param("head.weight", &w).unwrap();
        m.forward(&batch, false).unwrap();
        m.arena.zero_grads();
        let (loss, _) = m.loss(Targets::Classes(&tg), LossKind::CrossEntropy, true).unwrap();
        assert!(loss.is_finite() && loss > 1e28, "{}: loss {loss}", cell.name());
        assert!(m.arena.grads.iter().all(|g| g.is_finite()), "{}: non-finite gradient with huge logits", cell.name());
        let mut tr = Trainer::new(TrainerConfig { clip_norm: Some(1.0), ..sgd(0.1) }, m.arena.len()).unwrap();
        let st = tr.step(&mut m, &Supervised { inputs: batch, targets: Targets::Classes(&tg), loss: LossKind::CrossEntropy }).unwrap();
        assert!(st.loss.is_finite() && st.grad_norm.is_finite(), "{}: step {st:?}", cell.name());
        assert!(m.arena.params.iter().all(|p| p.is_finite()));
    }
}

// ───────────────────────────── dropout determinism ─────────────────────────────

fn dropout_spec(cell: CellKind) -> ModelSpec {
    let mut s = lm_spec(cell, true, 0.4);
    s.layers.insert(1, LayerSpec::Dropout { rate: 0.3 });
    s
}

#[test]
fn dropout_is_deterministic_under_a_seed() {
    let ids: Vec<u32> = (0..12).map(|i| (i * 7 % 5) as u32).collect();
    let tg: Vec<i32> = (0..12).map(|i| i * 3 % 5).collect();
    let batch = Batch { b: 3, t: 4, ids: Some(&ids), features: None, lengths: Some(&[4, 2, 3]) };
    for cell in CELLS {
        let mut a = Model::new(dropout_spec(cell), 42).unwrap();
        let mut b = Model::new(dropout_spec(cell), 42).unwrap();
        let mut c = Model::new(dropout_spec(cell), 43).unwrap();
        assert_eq!(a.arena.params, b.arena.params);
        assert_ne!(a.arena.params, c.arena.params);
        c.arena.params.copy_from_slice(&a.arena.params);

        // evaluation: dropout is the identity and draws nothing
        let rng_before = a.rng.state();
        let ea = a.forward(&batch, false).unwrap().to_vec();
        assert_eq!(a.rng.state(), rng_before, "evaluation consumed dropout randomness");
        assert_eq!(c.forward(&batch, false).unwrap(), &ea[..]);

        // training: same seed → same masks, different seed → different masks
        let ta = a.forward(&batch, true).unwrap().to_vec();
        let tb = b.forward(&batch, true).unwrap().to_vec();
        let tc = c.forward(&batch, true).unwrap().to_vec();
        assert_eq!(ta, tb, "{}: same seed, different dropout", cell.name());
        assert_ne!(ta, tc, "{}: different seeds, same dropout", cell.name());
        assert_ne!(ta, ea, "{}: training output equals evaluation output", cell.name());
        // a second training forward draws fresh masks
        assert_ne!(a.forward(&batch, true).unwrap(), &ta[..]);

        // whole training runs are reproducible
        let mut tra = Trainer::new(sgd(0.05), a.arena.len()).unwrap();
        let mut trb = Trainer::new(sgd(0.05), b.arena.len()).unwrap();
        b.rng = a.rng.clone();
        for _ in 0..3 {
            let sa = tra.step(&mut a, &Supervised { inputs: batch, targets: Targets::Classes(&tg), loss: LossKind::CrossEntropy }).unwrap();
            let sb = trb.step(&mut b, &Supervised { inputs: batch, targets: Targets::Classes(&tg), loss: LossKind::CrossEntropy }).unwrap();
            assert_eq!(sa, sb);
        }
        assert_eq!(a.arena.params, b.arena.params, "{}: same seed, different training", cell.name());
    }
}

#[test]
fn stack_dropout_is_deterministic_and_inverted() {
    let c = Case { cell: CellKind::Lstm, bidirectional: true, layers: 3, input: 3, hidden: 5, b: 3, t: 4, lengths: None };
    let mut s = build(&c, 1);
    s.stack.cfg.dropout = 0.5;
    let run = |s: &mut Built, seed: u64, train: bool| {
        let mut rng = Rng::new(seed);
        s.stack.forward(&s.params, SeqInput { x: &s.x, b: 3, t: 4, lengths: None }, StatePair::default(), train, &mut rng);
        (s.stack.output().to_vec(), rng.state())
    };
    let (o1, r1) = run(&mut s, 5, true);
    let (o2, _) = run(&mut s, 5, true);
    let (o3, _) = run(&mut s, 6, true);
    let (e1, re) = run(&mut s, 5, false);
    assert_eq!(o1, o2);
    assert_ne!(o1, o3);
    assert_ne!(o1, e1);
    assert_ne!(r1, Rng::new(5).state(), "training drew no masks");
    assert_eq!(re, Rng::new(5).state(), "evaluation drew masks");

    // inverted dropout: kept values scaled by 1/(1−p), drop rate ≈ p
    let mut rng = Rng::new(9);
    let mut x = vec![1.0f32; 20_000];
    let mut mask = Vec::new();
    dropout::forward(&mut x, &mut mask, 0.3, true, &mut rng);
    let dropped = x.iter().filter(|&&v| v == 0.0).count() as f64 / x.len() as f64;
    assert!((dropped - 0.3).abs() < 0.015, "drop rate {dropped}");
    assert!(x.iter().all(|&v| v == 0.0 || v == 1.0 / 0.7));
    let mut rng2 = Rng::new(9);
    let mut y = vec![1.0f32; 20_000];
    dropout::forward(&mut y, &mut Vec::new(), 0.3, true, &mut rng2);
    assert_eq!(x, y);
}

// ───────────────────────────── typed errors ─────────────────────────────

#[track_caller]
fn expect_err<T: std::fmt::Debug>(r: Result<T>, code: &str, kind: ErrorKind, needle: &str) {
    let e = r.expect_err(&format!("expected {code} naming '{needle}'"));
    assert_eq!(e.code, code, "{e}");
    assert_eq!(e.kind, kind, "{e}");
    assert!(e.message.contains(needle), "the message should name '{needle}': {e}");
}

use ErrorKind::{Range, Type};

fn features_spec() -> ModelSpec {
    ModelSpec {
        input: InputKind::Features { dim: 3 },
        layers: vec![
            LayerSpec::Recurrent {
                name: "rnn".into(),
                cell: CellKind::Gru,
                units: 4,
                layers: 1,
                bidirectional: false,
                dropout: 0.0,
                return_sequences: true,
            },
            LayerSpec::Dense { name: "head".into(), units: 2 },
        ],
    }
}

#[test]
fn token_model_errors_are_typed_and_leave_the_model_usable() {
    let mut m = Model::new(lm_spec(CellKind::Lstm, true, 0.0), 1).unwrap();
    let ids = [0u32, 1, 2, 3, 4, 0];
    let good = Batch { b: 2, t: 3, ids: Some(&ids), features: None, lengths: Some(&[3, 1]) };
    let tg = [1, 2, 3, 4, 0, 1];

    expect_err(m.loss(Targets::Classes(&tg), LossKind::CrossEntropy, true), "E_STATE", Type, "forward");

    let out0 = m.forward(&good, false).unwrap().to_vec();
    m.arena.zero_grads();
    let (l0, _) = m.loss(Targets::Classes(&tg), LossKind::CrossEntropy, true).unwrap();
    let g0 = m.arena.grads.clone();

    let fwd = |m: &mut Model, b: Batch| m.forward(&b, false).map(|o| o.to_vec());
    expect_err(fwd(&mut m, Batch { ids: Some(&ids[..5]), ..good }), "E_SHAPE", Range, "ids");
    expect_err(fwd(&mut m, Batch { ids: Some(&[0, 1, 5, 0, 0, 0]), ..good }), "E_RANGE", Range, "ids[2] = 5");
    expect_err(fwd(&mut m, Batch { ids: Some(&[0, 1, 2, u32::MAX, 0, 0]), ..good }), "E_RANGE", Range, "ids[3]");
    expect_err(fwd(&mut m, Batch { lengths: Some(&[3, 4]), ..good }), "E_RANGE", Range, "lengths[1] = 4");
    expect_err(fwd(&mut m, Batch { lengths: Some(&[3]), ..good }), "E_SHAPE", Range, "lengths");
    expect_err(fwd(&mut m, Batch { b: 0, ids: Some(&[]), lengths: None, ..good }), "E_RANGE", Range, "batch size");
    expect_err(fwd(&mut m, Batch { t: 0, ids: Some(&[]), lengths: None, ..good }), "E_RANGE", Range, "sequence length");
    expect_err(fwd(&mut m, Batch { ids: None, features: Some(&[0.0; 18]), ..good }), "E_OPTION", Type, "token ids");
    expect_err(m.check_batch(&Batch { ids: Some(&[9; 6]), ..good }), "E_RANGE", Range, "ids[0] = 9");
    assert!(m.check_batch(&good).is_ok());

    // loss errors leave the gradients untouched
    m.forward(&good, false).unwrap();
    let g_before = m.arena.grads.clone();
    expect_err(m.loss(Targets::Classes(&tg[..5]), LossKind::CrossEntropy, true), "E_SHAPE", Range, "targets");
    expect_err(m.loss(Targets::Classes(&[1, 2, 5, 0, 0, 0]), LossKind::CrossEntropy, true), "E_RANGE", Range, "targets[2] = 5");
    expect_err(m.loss(Targets::Classes(&[1, -1, 0, 0, 0, 0]), LossKind::CrossEntropy, true), "E_RANGE", Range, "targets[1] = -1");
    expect_err(m.loss(Targets::Values(&[0.0; 30]), LossKind::CrossEntropy, true), "E_OPTION", Type, "class targets");
    expect_err(m.loss(Targets::Classes(&tg), LossKind::Mse, true), "E_OPTION", Type, "value targets");
    assert_eq!(m.arena.grads, g_before);

    // parameters
    expect_err(m.arena.set_param("head.weights", &[0.0; 40]), "E_OPTION", Type, "head.weights");
    expect_err(m.arena.set_param("head.weight", &[0.0; 39]), "E_SHAPE", Range, "head.weight");
    let mut nan = vec![0.0; 40];
    nan[7] = f32::NAN;
    expect_err(m.arena.set_param("head.weight", &nan), "E_NONFINITE", Range, "head.weight[7]");

    // the model is still usable and unchanged: the same batch gives the same loss and grads
    assert_eq!(m.forward(&good, false).unwrap(), &out0[..]);
    m.arena.zero_grads();
    let (l1, _) = m.loss(Targets::Classes(&tg), LossKind::CrossEntropy, true).unwrap();
    assert_eq!(l1, l0);
    assert_eq!(m.arena.grads, g0);
    // an ignored step is fine
    assert!(m.loss(Targets::Classes(&[IGNORE_INDEX, 2, 3, 4, 0, 1]), LossKind::CrossEntropy, false).is_ok());
}

#[test]
fn feature_model_errors_are_typed() {
    let mut m = Model::new(features_spec(), 1).unwrap();
    let x = [0.5f32; 18];
    let good = Batch { b: 2, t: 3, ids: None, features: Some(&x), lengths: None };
    let fwd = |m: &mut Model, b: Batch| m.forward(&b, false).map(|o| o.to_vec());
    let mut bad = x;
    bad[4] = f32::NAN;
    expect_err(fwd(&mut m, Batch { features: Some(&bad), ..good }), "E_NONFINITE", Range, "features[4]");
    bad[4] = f32::INFINITY;
    expect_err(fwd(&mut m, Batch { features: Some(&bad), ..good }), "E_NONFINITE", Range, "features[4]");
    expect_err(fwd(&mut m, Batch { features: Some(&x[..17]), ..good }), "E_SHAPE", Range, "features");
    expect_err(fwd(&mut m, Batch { features: None, ids: Some(&[0; 6]), ..good }), "E_OPTION", Type, "features");
    expect_err(m.loss(Targets::Values(&[0.0; 12]), LossKind::Mse, false), "E_STATE", Type, "forward");
    m.forward(&good, false).unwrap();
    let mut tg = [0.0f32; 12];
    expect_err(m.loss(Targets::Values(&tg[..11]), LossKind::Mse, false), "E_SHAPE", Range, "targets");
    tg[3] = f32::NAN;
    expect_err(m.loss(Targets::Values(&tg), LossKind::Mse, false), "E_NONFINITE", Range, "targets[3]");
    tg[3] = 0.0;
    let (l, c) = m.loss(Targets::Values(&tg), LossKind::Mse, true).unwrap();
    assert!(l.is_finite() && c == 6);
}

#[test]
fn invalid_specs_are_typed_errors() {
    let rec = |units: usize, layers: usize, dropout: f32, ret: bool, name: &str| LayerSpec::Recurrent {
        name: name.into(),
        cell: CellKind::Lstm,
        units,
        layers,
        bidirectional: false,
        dropout,
        return_sequences: ret,
    };
    let dense = |units: usize, name: &str| LayerSpec::Dense { name: name.into(), units };
    let emb = |dim: usize| LayerSpec::Embedding { name: "embedding".into(), dim };
    let tok = |layers: Vec<LayerSpec>| ModelSpec { input: InputKind::Tokens { vocab: 5, slots: 1 }, layers };
    let feat = |layers: Vec<LayerSpec>| ModelSpec { input: InputKind::Features { dim: 3 }, layers };
    let cases: Vec<(ModelSpec, &str, ErrorKind, &str)> = vec![
        (ModelSpec { input: InputKind::Tokens { vocab: 0, slots: 1 }, layers: vec![emb(3)] }, "E_RANGE", Range, "input.vocab"),
        (ModelSpec { input: InputKind::Tokens { vocab: 5, slots: 0 }, layers: vec![emb(3)] }, "E_RANGE", Range, "input.slots"),
        (ModelSpec { input: InputKind::Tokens { vocab: 5, slots: 65 }, layers: vec![emb(3)] }, "E_RANGE", Range, "input.slots"),
        (ModelSpec { input: InputKind::Features { dim: 0 }, layers: vec![dense(2, "d")] }, "E_RANGE", Range, "input.features"),
        (ModelSpec { input: InputKind::Features { dim: MAX_DIM + 1 }, layers: vec![dense(2, "d")] }, "E_RANGE", Range, "input.features"),
        (feat(vec![]), "E_OPTION", Type, "at least one layer"),
        (tok(vec![emb(0)]), "E_RANGE", Range, "embedding.dim"),
        (feat(vec![rec(0, 1, 0.0, true, "r")]), "E_RANGE", Range, "units"),
        (feat(vec![rec(MAX_DIM + 1, 1, 0.0, true, "r")]), "E_RANGE", Range, "units"),
        (feat(vec![rec(4, 0, 0.0, true, "r")]), "E_RANGE", Range, "layers"),
        (feat(vec![rec(4, 65, 0.0, true, "r")]), "E_RANGE", Range, "layers"),
        (feat(vec![rec(4, 2, 1.0, true, "r")]), "E_RANGE", Range, "dropout"),
        (feat(vec![rec(4, 2, -0.1, true, "r")]), "E_RANGE", Range, "dropout"),
        (feat(vec![rec(4, 2, f32::NAN, true, "r")]), "E_RANGE", Range, "dropout"),
        (feat(vec![LayerSpec::Dropout { rate: 1.0 }, dense(2, "d")]), "E_RANGE", Range, "dropout.rate"),
        (feat(vec![dense(0, "d")]), "E_RANGE", Range, "dense.units"),
        (feat(vec![emb(3), dense(2, "d")]), "E_OPTION", Type, "embedding"),
        (tok(vec![emb(3), emb(3)]), "E_OPTION", Type, "embedding"),
        (tok(vec![rec(4, 1, 0.0, true, "r")]), "E_OPTION", Type, "embedding"),
        (feat(vec![rec(4, 1, 0.0, false, "r"), rec(4, 1, 0.0, true, "r2")]), "E_OPTION", Type, "return_sequences"),
        (feat(vec![rec(4, 1, 0.0, true, "x"), dense(2, "x")]), "E_OPTION", Type, "'x'"),
        (feat(vec![dense(2, "")]), "E_OPTION", Type, "name"),
    ];
    for (spec, code, kind, needle) in cases {
        expect_err(spec.validate(), code, kind, needle);
        expect_err(Model::new(spec.clone(), 0).map(|_| ()), code, kind, needle);
    }
    // the valid neighbours of those specs build
    assert!(Model::new(feat(vec![rec(4, 1, 0.0, false, "r"), LayerSpec::Dropout { rate: 0.0 }, dense(2, "d")]), 0).is_ok());
    assert!(Model::new(tok(vec![emb(1), rec(1, 64, 0.99, true, "r"), dense(1, "d")]), 0).is_ok());
}

#[test]
fn trainer_errors_are_typed() {
    let m = Model::new(lm_spec(CellKind::Gru, false, 0.0), 1).unwrap();
    expect_err(Trainer::new(TrainerConfig { clip_norm: Some(0.0), ..sgd(0.1) }, m.arena.len()).map(|_| ()), "E_RANGE", Range, "clip_norm");
    expect_err(
        Trainer::new(TrainerConfig { clip_norm: Some(f32::NAN), ..sgd(0.1) }, m.arena.len()).map(|_| ()),
        "E_RANGE",
        Range,
        "clip_norm",
    );
    expect_err(
        Trainer::new(TrainerConfig { clip_value: Some(-1.0), ..sgd(0.1) }, m.arena.len()).map(|_| ()),
        "E_RANGE",
        Range,
        "clip_value",
    );
    expect_err(Trainer::new(sgd(-0.1), m.arena.len()).map(|_| ()), "E_RANGE", Range, "lr");
    expect_err(Trainer::new(sgd(f32::INFINITY), m.arena.len()).map(|_| ()), "E_RANGE", Range, "lr");
    let mut m = m;
    let mut tr = Trainer::new(sgd(0.1), m.arena.len()).unwrap();
    let ids = [0u32; 6];
    let tg = [0i32; 6];
    let seqs = TokenSequences { b: 2, t: 3, ids: &ids, targets: &tg };
    expect_err(step_tbptt(&mut tr, &mut m, LossKind::CrossEntropy, seqs, 0), "E_RANGE", Range, "window");
    let short = TokenSequences { ids: &ids[..5], ..seqs };
    expect_err(step_tbptt(&mut tr, &mut m, LossKind::CrossEntropy, short, 2), "E_SHAPE", Range, "ids");
    let before = m.arena.params.clone();
    let batch = Batch { b: 2, t: 3, ids: Some(&ids), features: None, lengths: None };
    expect_err(
        tr.step(&mut m, &Supervised { inputs: batch, targets: Targets::Classes(&[0, 0, 0, 0, 0, 7]), loss: LossKind::CrossEntropy }),
        "E_RANGE",
        Range,
        "targets[5]",
    );
    assert_eq!(m.arena.params, before, "a failed step changed the weights");
    assert_eq!(tr.step_count(), 0);
    assert!(tr.step(&mut m, &Supervised { inputs: batch, targets: Targets::Classes(&tg), loss: LossKind::CrossEntropy }).is_ok());
    assert_eq!(tr.step_count(), 1);
}

#[test]
fn token_slots_concatenate_their_embeddings() {
    // ids [B=2, T=3, slots=2] through an embedding of dim 3 give a step of 6: the same outputs as
    // a feature model fed the two embedding rows side by side
    let head = |input| ModelSpec {
        input,
        layers: vec![
            LayerSpec::Recurrent {
                name: "rnn".into(),
                cell: CellKind::Lstm,
                units: 4,
                layers: 1,
                bidirectional: true,
                dropout: 0.0,
                return_sequences: true,
            },
            LayerSpec::Dense { name: "head".into(), units: 2 },
        ],
    };
    let mut tok = head(InputKind::Tokens { vocab: 5, slots: 2 });
    tok.layers.insert(0, LayerSpec::Embedding { name: "embedding".into(), dim: 3 });
    let mut m = Model::new(tok, 7).unwrap();
    let mut f = Model::new(head(InputKind::Features { dim: 6 }), 8).unwrap();
    for dir in ["", "_reverse"] {
        for w in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"] {
            let n = format!("rnn.{w}_l0{dir}");
            let p = m.arena.param(&n).unwrap().to_vec();
            f.arena.set_param(&n, &p).unwrap();
        }
    }
    for n in ["head.weight", "head.bias"] {
        let p = m.arena.param(n).unwrap().to_vec();
        f.arena.set_param(n, &p).unwrap();
    }
    let ids: Vec<u32> = vec![0, 4, 1, 1, 2, 3, 3, 0, 4, 2, 0, 0];
    let emb = m.arena.param("embedding.weight").unwrap().to_vec();
    let x: Vec<f32> = ids.iter().flat_map(|&i| emb[i as usize * 3..i as usize * 3 + 3].to_vec()).collect();
    let lengths = [3usize, 2];
    let a = m.forward(&Batch { b: 2, t: 3, ids: Some(&ids), features: None, lengths: Some(&lengths) }, false).unwrap().to_vec();
    let b = f.forward(&Batch { b: 2, t: 3, ids: None, features: Some(&x), lengths: Some(&lengths) }, false).unwrap().to_vec();
    assert_eq!(a.len(), 2 * 3 * 2);
    for (p, q) in a.iter().zip(&b) {
        assert!((p - q).abs() < 1e-6, "{p} vs {q}");
    }
    // ids of one slot per step are E_SHAPE naming the slots
    let r = m.forward(&Batch { b: 2, t: 3, ids: Some(&ids[..6]), features: None, lengths: None }, false).map(|_| ());
    let e = r.expect_err("ids [B, T] for a 2-slot model");
    assert!(e.message.contains("slots=2"), "{e}");
}
