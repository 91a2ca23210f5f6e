//! The CRF head inside a model: embedding → bidirectional LSTM → dense → crf, with the CRF
//! parameters in the arena, the crf loss (NLL per valid step) differentiated end to end by
//! finite differences, Viterbi decoding of the model's emissions against brute force,
//! training by the ordinary optimizer, padding that changes nothing, and typed errors.

use recurrent_core::CellKind;
use recurrent_core::model::train::Supervised;
use recurrent_core::model::{Batch, InputKind, LayerSpec, LossKind, Model, ModelSpec, Targets};
use recurrent_core::optim::OptimizerConfig;
use recurrent_core::optim::schedule::Schedule;
use recurrent_core::optim::trainer::{Trainer, TrainerConfig};
use recurrent_core::rng::Rng;

mod common;

const K: usize = 4;

fn spec(vocab: usize, units: usize) -> ModelSpec {
    ModelSpec {
        input: InputKind::Tokens { vocab, slots: 1 },
        layers: vec![
            LayerSpec::Embedding { name: "embedding".into(), dim: 3 },
            LayerSpec::Recurrent {
                name: "rnn".into(),
                cell: CellKind::Lstm,
                units,
                layers: 1,
                bidirectional: true,
                dropout: 0.0,
                return_sequences: true,
            },
            LayerSpec::Dense { name: "head".into(), units: K },
            LayerSpec::Crf { name: "crf".into() },
        ],
    }
}

fn batch<'a>(ids: &'a [u32], lengths: &'a [usize], b: usize, t: usize) -> Batch<'a> {
    Batch { b, t, ids: Some(ids), features: None, lengths: Some(lengths) }
}

#[test]
fn crf_parameters_live_in_the_arena() {
    let m = Model::new(spec(5, 3), 1).unwrap();
    let names: Vec<&str> = m.arena.table.specs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(&names[names.len() - 3..], &["crf.transitions", "crf.start_transitions", "crf.end_transitions"]);
    assert_eq!(m.arena.table.find("crf.transitions").unwrap().shape, vec![K, K]);
    assert_eq!(m.arena.table.find("crf.end_transitions").unwrap().slot.off + K, m.arena.params.len());
    assert!(m.arena.param("crf.transitions").unwrap().iter().all(|x| x.abs() <= 0.1 && *x != 0.0));
    assert!(m.output_is_sequence());
    assert_eq!(m.output_dim(), K);
}

/// Every parameter of the model, one at a time: central differences of the f32 loss.
#[test]
fn crf_loss_gradient_matches_finite_differences_through_the_model() {
    let (b, t) = (3, 5);
    let lengths = [5usize, 2, 0];
    let mut rng = Rng::new(5);
    let ids: Vec<u32> = (0..b * t).map(|_| rng.below(5) as u32).collect();
    let tags: Vec<i32> = (0..b * t).map(|i| if i % t < lengths[i / t] { rng.below(K) as i32 } else { -100 }).collect();
    let mut m = Model::new(spec(5, 3), 2).unwrap();
    // larger transitions than the init, so their gradient is not trivially small
    let tr: Vec<f32> = (0..K * K).map(|_| rng.uniform(-1.0, 1.0)).collect();
    m.arena.set_param("crf.transitions", &tr).unwrap();
    m.arena.zero_grads();
    m.forward(&batch(&ids, &lengths, b, t), false).unwrap();
    let (l0, count) = m.loss(Targets::Classes(&tags), LossKind::Crf, true).unwrap();
    assert_eq!(count, 7);
    assert!(l0.is_finite() && l0 > 0.0);
    let grads = m.arena.grads.clone();
    let loss_at = |m: &mut Model| -> f64 {
        m.forward(&batch(&ids, &lengths, b, t), false).unwrap();
        m.loss(Targets::Classes(&tags), LossKind::Crf, false).unwrap().0 as f64
    };
    // every element of every tensor, plus the harness's directions
    let mut rng = Rng::new(6);
    let mut bl = common::arena_blocks(&m.arena.table, &m.arena.params, &grads, 0, &mut rng);
    bl.samples = bl.vals.iter().map(|v| (0..v.len()).collect()).collect();
    let table = m.arena.table.clone();
    let mut eval = |vals: &[Vec<f32>]| {
        common::write_blocks(&table, vals, &mut m.arena.params);
        loss_at(&mut m)
    };
    let mut st = common::Stats::default();
    let fails = common::check_blocks("crf model", &bl, &mut rng, &mut eval, &mut st);
    assert!(fails.is_empty(), "{}", fails.join("\n"));
    common::write_blocks(&table, &bl.vals, &mut m.arena.params);
    println!("crf model finite differences: {} comparisons, worst relative error {:.2e}", st.comparisons, st.worst_elem.max(st.worst_dir));
    // the embedding rows of tokens that only occur on padded steps get no gradient
    let used: std::collections::HashSet<u32> = (0..b * t).filter(|&i| i % t < lengths[i / t]).map(|i| ids[i]).collect();
    let emb = m.arena.table.find("embedding.weight").unwrap().slot;
    for tok in 0..5u32 {
        if !used.contains(&tok) {
            assert!(grads[emb.off + tok as usize * 3..emb.off + tok as usize * 3 + 3].iter().all(|&g| g == 0.0));
        }
    }
}

fn brute_best(m: &Model, em: &[f32], l: usize) -> Vec<i32> {
    let tr = m.arena.param("crf.transitions").unwrap();
    let st = m.arena.param("crf.start_transitions").unwrap();
    let en = m.arena.param("crf.end_transitions").unwrap();
    let mut best = (f64::NEG_INFINITY, vec![]);
    for mut x in 0..K.pow(l as u32) {
        let mut y = vec![0usize; l];
        for t in (0..l).rev() {
            y[t] = x % K;
            x /= K;
        }
        let mut s = st[y[0]] as f64 + en[y[l - 1]] as f64;
        for t in 0..l {
            s += em[t * K + y[t]] as f64;
            if t > 0 {
                s += tr[y[t - 1] * K + y[t]] as f64;
            }
        }
        if s > best.0 {
            best = (s, y.iter().map(|&v| v as i32).collect());
        }
    }
    best.1
}

#[test]
fn decode_is_the_brute_force_best_path_and_padding_changes_nothing() {
    let (b, t) = (3, 6);
    let lengths = [6usize, 3, 1];
    let mut rng = Rng::new(9);
    let ids: Vec<u32> = (0..b * t).map(|_| rng.below(7) as u32).collect();
    let mut m = Model::new(spec(7, 5), 3).unwrap();
    let tr: Vec<f32> = (0..K * K).map(|_| rng.uniform(-2.0, 2.0)).collect();
    m.arena.set_param("crf.transitions", &tr).unwrap();
    let em = m.forward(&batch(&ids, &lengths, b, t), false).unwrap().to_vec();
    let paths = m.crf_decode().unwrap();
    for bb in 0..b {
        let l = lengths[bb];
        assert_eq!(&paths[bb * t..bb * t + l], brute_best(&m, &em[bb * t * K..(bb * t + l) * K], l).as_slice(), "row {bb}");
        assert!(paths[bb * t + l..(bb + 1) * t].iter().all(|&p| p == -1));
    }
    // row 1 alone, unpadded, gives the same path and the same loss as inside the padded batch
    let tags: Vec<i32> = paths.iter().map(|&p| if p < 0 { 0 } else { (p + 1) % K as i32 }).collect();
    m.forward(&batch(&ids, &lengths, b, t), false).unwrap();
    let (lb, cb) = m.loss(Targets::Classes(&tags), LossKind::Crf, false).unwrap();
    let mut sum = 0.0f64;
    for bb in 0..b {
        let l = lengths[bb];
        let one = &ids[bb * t..bb * t + l];
        m.forward(&batch(one, &[l], 1, l), false).unwrap();
        assert_eq!(m.crf_decode().unwrap(), paths[bb * t..bb * t + l]);
        let (lr, cr) = m.loss(Targets::Classes(&tags[bb * t..bb * t + l]), LossKind::Crf, false).unwrap();
        assert_eq!(cr, l);
        sum += lr as f64 * l as f64;
    }
    assert_eq!(cb, 10);
    assert!((sum / 10.0 - lb as f64).abs() < 1e-5, "{} vs {lb}", sum / 10.0);
}

/// A tagging task only transitions can solve: the tag of every step is its position's parity
/// after a start tag chosen by the first token, and the tokens after it carry no information.
/// A BiLSTM could learn it too; what is checked is that the optimizer trains the CRF's
/// parameters with the rest (they move, the loss falls, decoding gets the paths right).
#[test]
fn trainer_trains_the_crf_parameters_with_the_rest() {
    let (b, t) = (16, 8);
    let mut m = Model::new(spec(6, 8), 4).unwrap();
    let cfg = TrainerConfig {
        optimizer: OptimizerConfig::Adam { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 },
        clip_norm: Some(5.0),
        clip_value: None,
        schedule: Schedule::Constant,
        lazy_rows: false,
    };
    let mut tr = Trainer::new(cfg, m.arena.len()).unwrap();
    let before = m.arena.param("crf.transitions").unwrap().to_vec();
    let mut rng = Rng::new(1);
    let make = |rng: &mut Rng| {
        let mut ids = vec![0u32; b * t];
        let mut tags = vec![0i32; b * t];
        let mut lengths = vec![0usize; b];
        for bb in 0..b {
            lengths[bb] = 2 + rng.below(t - 1);
            let first = rng.below(2);
            for tt in 0..t {
                ids[bb * t + tt] = if tt == 0 { first as u32 } else { 2 + rng.below(4) as u32 };
                tags[bb * t + tt] = if tt < lengths[bb] { (((first + tt) % 2) * 2) as i32 } else { -100 };
            }
        }
        (ids, tags, lengths)
    };
    let mut first_loss = 0.0;
    let mut last_loss = 0.0;
    for step in 0..60 {
        let (ids, tags, lengths) = make(&mut rng);
        let s = tr
            .step(&mut m, &Supervised { inputs: batch(&ids, &lengths, b, t), targets: Targets::Classes(&tags), loss: LossKind::Crf })
            .unwrap();
        if step == 0 {
            first_loss = s.loss;
        }
        last_loss = s.loss;
    }
    assert!(last_loss < 0.2 * first_loss, "loss {first_loss} → {last_loss}");
    let after = m.arena.param("crf.transitions").unwrap();
    let moved = before.iter().zip(after).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(moved > 0.05, "transitions moved by {moved}");
    let (ids, tags, lengths) = make(&mut rng);
    m.forward(&batch(&ids, &lengths, b, t), false).unwrap();
    let paths = m.crf_decode().unwrap();
    let right = (0..b * t).filter(|&i| i % t < lengths[i / t] && paths[i] == tags[i]).count();
    let total: usize = lengths.iter().sum();
    assert!(right as f64 >= 0.95 * total as f64, "{right}/{total} tags right");
}

#[test]
fn crf_misuse_gets_typed_errors() {
    // crf not last, crf first, crf after a pooled output
    let mut s = spec(5, 3);
    s.layers.push(LayerSpec::Dense { name: "late".into(), units: 2 });
    assert_eq!(Model::new(s, 0).err().unwrap().code, "E_OPTION");
    let s = ModelSpec { input: InputKind::Features { dim: 3 }, layers: vec![LayerSpec::Crf { name: "crf".into() }] };
    assert_eq!(Model::new(s, 0).err().unwrap().code, "E_OPTION");
    let s = ModelSpec {
        input: InputKind::Features { dim: 3 },
        layers: vec![
            LayerSpec::Recurrent {
                name: "rnn".into(),
                cell: CellKind::Gru,
                units: 4,
                layers: 1,
                bidirectional: false,
                dropout: 0.0,
                return_sequences: false,
            },
            LayerSpec::Crf { name: "crf".into() },
        ],
    };
    assert_eq!(Model::new(s, 0).err().unwrap().code, "E_OPTION");

    let mut m = Model::new(spec(5, 3), 0).unwrap();
    assert_eq!(m.crf_decode().err().unwrap().code, "E_STATE");
    let ids = [1u32, 2, 3, 4];
    m.forward(&batch(&ids, &[2, 1], 2, 2), false).unwrap();
    // a missing tag on a valid step, a tag out of range, value targets
    let e = m.loss(Targets::Classes(&[0, -100, 1, -100]), LossKind::Crf, false).err().unwrap();
    assert_eq!((e.code, e.message.contains("targets[1]")), ("E_RANGE", true));
    assert_eq!(m.loss(Targets::Classes(&[0, 4, 1, 0]), LossKind::Crf, false).err().unwrap().code, "E_RANGE");
    assert_eq!(m.loss(Targets::Values(&[0.0; 16]), LossKind::Crf, false).err().unwrap().code, "E_OPTION");
    // a padded step may hold anything
    assert!(m.loss(Targets::Classes(&[0, 3, 1, 77]), LossKind::Crf, false).is_ok());

    // the crf loss and decoding on a model without a crf head
    let s = ModelSpec {
        input: InputKind::Tokens { vocab: 5, slots: 1 },
        layers: vec![LayerSpec::Embedding { name: "e".into(), dim: 2 }, LayerSpec::Dense { name: "head".into(), units: K }],
    };
    let mut m = Model::new(s, 0).unwrap();
    m.forward(&batch(&ids, &[2, 2], 2, 2), false).unwrap();
    assert_eq!(m.loss(Targets::Classes(&[0, 1, 2, 3]), LossKind::Crf, false).err().unwrap().code, "E_OPTION");
    assert_eq!(m.crf_decode().err().unwrap().code, "E_OPTION");
}
