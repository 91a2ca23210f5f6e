//! CTC as the loss of a sequential model: features → bidirectional LSTM → dense → CTC over
//! the per-step scores. The model's gradient against finite differences (every parameter),
//! the loss equal to the standalone `ctc_loss` of the model's output, training by the one
//! `Trainer` on a toy alignment task, and typed errors.

use recurrent_core::CellKind;
use recurrent_core::decode::ctc::greedy;
use recurrent_core::loss::ctc::{CtcBatch, CtcConfig, CtcReduction, CtcWork, ctc_loss};
use recurrent_core::model::train::Supervised;
use recurrent_core::model::{Batch, InputKind, LayerSpec, LossKind, Model, ModelSpec, Targets};
use recurrent_core::optim::OptimizerConfig;
use recurrent_core::optim::schedule::Schedule;
use recurrent_core::optim::trainer::{Trainer, TrainerConfig};
use recurrent_core::rng::Rng;

mod common;

/// classes = labels + blank
fn spec(f: usize, units: usize, classes: usize, bidirectional: bool) -> ModelSpec {
    ModelSpec {
        input: InputKind::Features { dim: f },
        layers: vec![
            LayerSpec::Recurrent {
                name: "rnn".into(),
                cell: CellKind::Lstm,
                units,
                layers: 1,
                bidirectional,
                dropout: 0.0,
                return_sequences: true,
            },
            LayerSpec::Dense { name: "head".into(), units: classes },
        ],
    }
}

fn batch<'a>(x: &'a [f32], lengths: &'a [usize], b: usize, t: usize) -> Batch<'a> {
    Batch { b, t, ids: None, features: Some(x), lengths: Some(lengths) }
}

const CTC: LossKind = LossKind::Ctc(CtcConfig { blank: 2, reduction: CtcReduction::Mean, zero_infinity: false });

#[test]
fn ctc_model_gradient_matches_finite_differences() {
    // odd sizes; blank in the middle of the classes (2 of 0..4); one row shorter than T
    let (b, t, f, c) = (3, 7, 3, 4);
    let lengths = [7usize, 5, 6];
    let mut rng = Rng::new(11);
    let x: Vec<f32> = (0..b * t * f).map(|_| rng.uniform(-1.0, 1.0)).collect();
    // labels then -100 padding: [1, 3, 3], [0], [3, 1]
    let tg = [1, 3, 3, 0, -100, -100, 3, 1, -100];
    let mut m = Model::new(spec(f, 3, c, true), 4).unwrap();
    m.arena.zero_grads();
    m.forward(&batch(&x, &lengths, b, t), false).unwrap();
    let (l0, count) = m.loss(Targets::Classes(&tg), CTC, true).unwrap();
    assert_eq!(count, b);
    assert!(l0.is_finite() && l0 > 0.0);
    // the same number as the standalone loss over the model's output
    let out = m.output().to_vec();
    let labels = [1u32, 3, 3, 0, 0, 0, 3, 1, 0];
    let cb = CtcBatch { b, t, c, logits: &out, input_lengths: &lengths, targets: &labels, s: 3, target_lengths: &[3, 1, 2] };
    let LossKind::Ctc(cfg) = CTC else { unreachable!() };
    let (want, _) = ctc_loss(&cb, &cfg, &mut CtcWork::default(), None).unwrap();
    assert!((l0 as f64 - want).abs() < 1e-6 * want.max(1.0), "{l0} vs {want}");
    let grads = m.arena.grads.clone();
    let mut rng = Rng::new(12);
    let mut bl = common::arena_blocks(&m.arena.table, &m.arena.params, &grads, 0, &mut rng);
    bl.samples = bl.vals.iter().map(|v| (0..v.len()).collect()).collect();
    let table = m.arena.table.clone();
    let mut eval = |vals: &[Vec<f32>]| {
        common::write_blocks(&table, vals, &mut m.arena.params);
        m.forward(&batch(&x, &lengths, b, t), false).unwrap();
        m.loss(Targets::Classes(&tg), CTC, false).unwrap().0 as f64
    };
    let mut st = common::Stats::default();
    let fails = common::check_blocks("ctc model", &bl, &mut rng, &mut eval, &mut st);
    assert!(fails.is_empty(), "{}", fails.join("\n"));
    println!("ctc model finite differences: {} comparisons, worst relative error {:.2e}", st.comparisons, st.worst_elem.max(st.worst_dir));
}

/// Toy alignment: each input frame is a one-hot "pulse" of a symbol (or silence); the target
/// is the sequence of pulsed symbols. A unidirectional LSTM learns to emit each label.
#[test]
fn ctc_model_learns_a_toy_alignment_with_the_one_trainer() {
    let (b, t, f, labels) = (16, 12, 4, 3); // features: 3 symbols + silence; classes: 3 + blank 3
    let blank = labels;
    let loss = LossKind::Ctc(CtcConfig { blank, reduction: CtcReduction::Mean, zero_infinity: true });
    let mut rng = Rng::new(3);
    let make = |rng: &mut Rng| {
        let mut x = vec![0f32; b * t * f];
        let mut tg = vec![-100i32; b * 4];
        let mut lens = vec![0usize; b];
        for r in 0..b {
            let n = 1 + rng.below(4);
            let len = (3 * n).min(t);
            lens[r] = len;
            for k in 0..n {
                let sym = rng.below(labels);
                tg[r * 4 + k] = sym as i32;
                x[(r * t + 3 * k) * f + sym] = 1.0;
                x[(r * t + 3 * k + 1) * f + f - 1] = 1.0;
                x[(r * t + 3 * k + 2) * f + f - 1] = 1.0;
            }
        }
        (x, tg, lens)
    };
    let mut m = Model::new(spec(f, 12, labels + 1, false), 1).unwrap();
    let cfg = TrainerConfig {
        optimizer: OptimizerConfig::named("adam", Some(0.03)).unwrap(),
        clip_norm: Some(5.0),
        clip_value: None,
        schedule: Schedule::Constant,
        lazy_rows: false,
    };
    let mut tr = Trainer::new(cfg, m.arena.len()).unwrap();
    let mut first = 0.0;
    let mut last = 0.0;
    for step in 0..150 {
        let (x, tg, lens) = make(&mut rng);
        let s = tr.step(&mut m, &Supervised { inputs: batch(&x, &lens, b, t), targets: Targets::Classes(&tg), loss }).unwrap();
        if step == 0 {
            first = s.loss;
        }
        last = s.loss;
    }
    assert!(last < first * 0.2, "loss {first} → {last}");
    let (x, tg, lens) = make(&mut rng);
    m.forward(&batch(&x, &lens, b, t), false).unwrap();
    let out = m.output().to_vec();
    let c = labels + 1;
    let mut right = 0;
    for r in 0..b {
        let got = greedy(&out[r * t * c..(r * t + lens[r]) * c], c, blank).labels;
        let want: Vec<u32> = tg[r * 4..r * 4 + 4].iter().filter(|&&v| v >= 0).map(|&v| v as u32).collect();
        right += usize::from(got == want);
    }
    assert!(right >= b - 1, "{right}/{b} rows decoded exactly");
}

#[test]
fn ctc_model_errors_are_typed() {
    let (b, t, f) = (2, 4, 3);
    let x = vec![0.5f32; b * t * f];
    let mut m = Model::new(spec(f, 3, 4, true), 1).unwrap();
    m.forward(&batch(&x, &[4, 3], b, t), false).unwrap();
    let err = |r: recurrent_core::Result<(f32, usize)>| r.unwrap_err();
    assert_eq!(err(m.loss(Targets::Classes(&[1, 0, 1]), CTC, false)).code, "E_SHAPE");
    let e = err(m.loss(Targets::Classes(&[-100, 1, 0, 0]), CTC, false));
    assert!(e.code == "E_RANGE" && e.message.contains("targets[0][1]"), "{e}");
    let e = err(m.loss(Targets::Classes(&[1, 2, 0, 0]), CTC, false));
    assert!(e.code == "E_RANGE" && e.message.contains("blank"), "{e}");
    assert_eq!(err(m.loss(Targets::Classes(&[1, -3, 0, 0]), CTC, false)).code, "E_RANGE");
    assert_eq!(err(m.loss(Targets::Values(&[0.0; 4]), CTC, false)).code, "E_OPTION");
    // a target longer than its row's frames can align: infinite, or 0 with zero_infinity
    let (l, _) = m.loss(Targets::Classes(&[1, 1, 1, 1, 0, -100, -100, -100]), CTC, false).unwrap();
    assert!(l.is_infinite());
    let zi = LossKind::Ctc(CtcConfig { blank: 2, reduction: CtcReduction::Sum, zero_infinity: true });
    let (l, _) = m.loss(Targets::Classes(&[1, 1, 1, 1, 0, -100, -100, -100]), zi, true).unwrap();
    assert!(l.is_finite() && l > 0.0);
    // pooled output: not a sequence
    let mut sp = spec(f, 3, 4, true);
    if let LayerSpec::Recurrent { return_sequences, .. } = &mut sp.layers[0] {
        *return_sequences = false;
    }
    let mut p = Model::new(sp, 1).unwrap();
    p.forward(&batch(&x, &[4, 3], b, t), false).unwrap();
    assert_eq!(err(p.loss(Targets::Classes(&[1, 0]), CTC, false)).code, "E_OPTION");
}
