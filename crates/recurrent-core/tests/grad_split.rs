//! The trainer's step split in two for data-parallel training: `grad` (forward, loss,
//! backward) then `apply` (clip, update, finite check) is bit-identical to the fused `step`,
//! and row shards' mean-loss gradients weighted by their counted rows combine into the whole
//! batch's gradient (up to float summation).

use recurrent_core::CellKind;
use recurrent_core::model::train::Supervised;
use recurrent_core::model::{Batch, InputKind, LayerSpec, LossKind, Model, ModelSpec, Targets};
use recurrent_core::optim::OptimizerConfig;
use recurrent_core::optim::trainer::{Trainer, TrainerConfig};

fn spec() -> ModelSpec {
    ModelSpec {
        input: InputKind::Tokens { vocab: 7, slots: 1 },
        layers: vec![
            LayerSpec::Embedding { name: "embedding".into(), dim: 4 },
            LayerSpec::Recurrent {
                name: "rnn".into(),
                cell: CellKind::Lstm,
                units: 6,
                layers: 1,
                bidirectional: true,
                dropout: 0.0,
                return_sequences: true,
            },
            LayerSpec::Dense { name: "head".into(), units: 7 },
        ],
    }
}

const B: usize = 4;
const T: usize = 5;
const LENGTHS: [usize; B] = [5, 3, 4, 1];

fn data() -> (Vec<u32>, Vec<i32>) {
    ((0..B * T).map(|i| (i * 5 % 7) as u32).collect(), (0..B * T).map(|i| (i * 3 % 7) as i32).collect())
}

fn config() -> TrainerConfig {
    TrainerConfig { clip_norm: Some(0.5), ..TrainerConfig::new(OptimizerConfig::adam()) }
}

#[test]
fn grad_then_apply_is_the_fused_step() {
    let (ids, tg) = data();
    let batch = Batch { b: B, t: T, ids: Some(&ids), features: None, lengths: Some(&LENGTHS) };
    let sup = Supervised { inputs: batch, targets: Targets::Classes(&tg), loss: LossKind::CrossEntropy };
    let (mut a, mut b) = (Model::new(spec(), 1).unwrap(), Model::new(spec(), 1).unwrap());
    let mut ta = Trainer::new(config(), a.arena.len()).unwrap();
    let mut tb = Trainer::new(config(), b.arena.len()).unwrap();
    for _ in 0..3 {
        let s = ta.step(&mut a, &sup).unwrap();
        let (loss, count) = tb.grad(&mut b, &sup).unwrap();
        let (grad_norm, lr) = tb.apply(&mut b).unwrap();
        assert_eq!((s.loss, s.count, s.grad_norm, s.lr), (loss as f32, count, grad_norm, lr));
    }
    assert_eq!(a.arena.params, b.arena.params);
    assert_eq!(ta.state(), tb.state());
}

#[test]
fn shard_gradients_weighted_by_counts_are_the_batch_gradient() {
    let (ids, tg) = data();
    let mut m = Model::new(spec(), 2).unwrap();
    let tr = Trainer::new(config(), m.arena.len()).unwrap();
    let whole = Batch { b: B, t: T, ids: Some(&ids), features: None, lengths: Some(&LENGTHS) };
    let (loss, count) =
        tr.grad(&mut m, &Supervised { inputs: whole, targets: Targets::Classes(&tg), loss: LossKind::CrossEntropy }).unwrap();
    let want = m.arena.grads.clone();
    // shards: rows [0, 1), [1, 3), [3, 4)
    let mut parts = Vec::new();
    for (lo, hi) in [(0, 1), (1, 3), (3, 4)] {
        let batch = Batch { b: hi - lo, t: T, ids: Some(&ids[lo * T..hi * T]), features: None, lengths: Some(&LENGTHS[lo..hi]) };
        let sup = Supervised { inputs: batch, targets: Targets::Classes(&tg[lo * T..hi * T]), loss: LossKind::CrossEntropy };
        let (l, c) = tr.grad(&mut m, &sup).unwrap();
        parts.push((l, c, m.arena.grads.clone()));
    }
    let total: usize = parts.iter().map(|p| p.1).sum();
    assert_eq!(total, count);
    let mut acc = vec![0f64; want.len()];
    let mut l = 0.0;
    for (lw, c, g) in &parts {
        let s = *c as f64 / total as f64;
        l += s * lw;
        for (a, x) in acc.iter_mut().zip(g) {
            *a += s * *x as f64;
        }
    }
    assert!((l - loss).abs() < 1e-6, "{l} vs {loss}");
    let scale = want.iter().fold(0f32, |a, x| a.max(x.abs()));
    for (j, (a, w)) in acc.iter().zip(&want).enumerate() {
        assert!((*a as f32 - w).abs() <= 1e-5 * scale, "grad {j}: {a} vs {w}");
    }
}
