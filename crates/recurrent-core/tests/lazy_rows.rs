//! Lazy rows (`TrainerConfig::lazy_rows`, torch.optim.SparseAdam's rule for embeddings): the
//! embedding rows a batch does not use keep their weights and Adam moments, every other
//! parameter takes exactly the dense update, a batch that uses every row is the dense step bit
//! for bit, a failed update restores the rows it touched, and only Adam and AdamW take it.

use recurrent_core::CellKind;
use recurrent_core::model::train::Supervised;
use recurrent_core::model::{Batch, InputKind, LayerSpec, LossKind, Model, ModelSpec, Targets};
use recurrent_core::optim::OptimizerConfig;
use recurrent_core::optim::trainer::{Trainer, TrainerConfig, changed_ranges};

const V: usize = 9;
const E: usize = 3;

fn spec() -> ModelSpec {
    ModelSpec {
        input: InputKind::Tokens { vocab: V, slots: 1 },
        layers: vec![
            LayerSpec::Embedding { name: "embedding".into(), dim: E },
            LayerSpec::Recurrent {
                name: "rnn".into(),
                cell: CellKind::Gru,
                units: 4,
                layers: 1,
                bidirectional: false,
                dropout: 0.0,
                return_sequences: true,
            },
            LayerSpec::Dense { name: "head".into(), units: 3 },
        ],
    }
}

fn config(lazy: bool) -> TrainerConfig {
    TrainerConfig { clip_norm: Some(1.0), lazy_rows: lazy, ..TrainerConfig::new(OptimizerConfig::adam()) }
}

/// Trains a dense and a lazy model from the same weights on batches of `ids` (2 rows of 4).
fn both(batches: &[[u32; 8]]) -> (Model, Model, Trainer, Trainer) {
    let (mut d, mut l) = (Model::new(spec(), 3).unwrap(), Model::new(spec(), 3).unwrap());
    let (mut td, mut tl) = (Trainer::new(config(false), d.arena.len()).unwrap(), Trainer::new(config(true), l.arena.len()).unwrap());
    let tg: Vec<i32> = (0..8).map(|i| i % 3).collect();
    for ids in batches {
        let b = Batch { b: 2, t: 4, ids: Some(ids), features: None, lengths: None };
        let sup = Supervised { inputs: b, targets: Targets::Classes(&tg), loss: LossKind::CrossEntropy };
        let (sd, sl) = (td.step(&mut d, &sup).unwrap(), tl.step(&mut l, &sup).unwrap());
        assert_eq!(sd.loss.to_bits(), sl.loss.to_bits(), "the same weights give the same loss until a row is left out");
    }
    (d, l, td, tl)
}

#[test]
fn ranges_skip_the_zero_rows_of_each_table_and_merge_neighbours() {
    // arena: 2 dense values, a table of 4 rows × 2 at offset 2, 3 dense values
    let g = [1.0, 0.0, /* rows */ 0.0, 0.0, 5.0, -0.0, 0.0, 2.0, -0.0, 0.0, /* dense */ 0.0, 0.0, 1.0];
    let mut out = Vec::new();
    changed_ranges(&g, &[(2, 4, 2)], &mut out);
    // dense [0, 2) + row 0 is zero + row 1 [4, 6) + row 2 [6, 8) merged; row 3 is ±0: skipped
    assert_eq!(out, vec![(0, 2), (4, 8), (10, 13)]);
    changed_ranges(&g, &[], &mut out);
    assert_eq!(out, vec![(0, 13)]);
}

#[test]
fn unused_rows_keep_weights_and_moments_and_the_rest_is_the_dense_update() {
    // step 1 uses tokens 0-7 (not 8), step 2 only 0-3: rows 4-7 move by momentum alone under
    // the dense rule, and stay put under the lazy one
    let init = Model::new(spec(), 3).unwrap().arena.params;
    let (d, l, td, tl) = both(&[[0, 1, 2, 3, 4, 5, 6, 7], [0, 1, 2, 3, 3, 2, 1, 0]]);
    let after_one = both(&[[0, 1, 2, 3, 4, 5, 6, 7]]).1.arena.params;
    let row = |p: &[f32], r: usize| p[r * E..(r + 1) * E].to_vec();
    assert_eq!(row(&l.arena.params, 8), row(&init, 8), "a row never used never moves");
    for r in 4..8 {
        assert_eq!(row(&l.arena.params, r), row(&after_one, r), "row {r} kept its step-1 value");
        assert_ne!(row(&d.arena.params, r), row(&after_one, r), "the dense rule moved row {r} by momentum");
    }
    // a row that never had a gradient has zero moments, so the dense rule leaves it too
    assert_eq!(row(&d.arena.params, 8), row(&init, 8));
    // the rows used and every other parameter: the dense update bit for bit
    assert_eq!(d.arena.params[..4 * E], l.arena.params[..4 * E]);
    assert_eq!(d.arena.params[V * E..], l.arena.params[V * E..]);
    // moments: rows 4-7 keep step 1's under the lazy rule, decay under the dense one
    let (sd, sl) = (td.state().optimizer.slots, tl.state().optimizer.slots);
    let first = both(&[[0, 1, 2, 3, 4, 5, 6, 7]]).3.state().optimizer.slots;
    for k in 0..2 {
        assert_eq!(sl[k][4 * E..8 * E], first[k][4 * E..8 * E]);
        assert_ne!(sd[k][4 * E..8 * E], first[k][4 * E..8 * E]);
        assert_eq!(sd[k][V * E..], sl[k][V * E..]);
    }
    assert_eq!(td.step_count(), tl.step_count());
}

#[test]
fn batches_that_use_every_row_they_ever_used_are_the_dense_steps() {
    let (d, l, td, tl) = both(&[[0, 1, 2, 3, 4, 5, 6, 7], [7, 6, 5, 4, 3, 2, 1, 0], [1, 0, 3, 2, 5, 4, 7, 6]]);
    assert_eq!(d.arena.params, l.arena.params);
    assert_eq!(td.state(), tl.state());
}

#[test]
fn a_failed_lazy_update_restores_what_it_touched_and_only_adam_takes_it() {
    let (_, mut l, _, mut tl) = both(&[[0, 1, 2, 3, 4, 5, 6, 7]]);
    let (params, state) = (l.arena.params.clone(), tl.state());
    tl.set_learning_rate(3.0e38).unwrap();
    let tg: Vec<i32> = (0..8).map(|i| i % 3).collect();
    let ids = [0u32, 1, 2, 3, 3, 2, 1, 0];
    let b = Batch { b: 2, t: 4, ids: Some(&ids), features: None, lengths: None };
    let e = tl.step(&mut l, &Supervised { inputs: b, targets: Targets::Classes(&tg), loss: LossKind::CrossEntropy }).unwrap_err();
    assert_eq!(e.code, "E_NONFINITE");
    assert_eq!(l.arena.params, params);
    assert_eq!(tl.state(), state);
    let sgd = TrainerConfig { lazy_rows: true, ..TrainerConfig::new(OptimizerConfig::sgd(0.1)) };
    let e = Trainer::new(sgd, 10).map(|_| ()).unwrap_err();
    assert_eq!(e.code, "E_OPTION");
    assert!(e.to_string().contains("optimizer.lazy is for adam and adamw, not sgd"), "{e}");
}
