//! Sizes and non-finite values: every size limit in `limits` is an E_RANGE naming the
//! argument before anything is allocated, the model stays usable after it, and a training
//! step whose update would make a weight or the optimizer state NaN or infinite is rolled
//! back (E_NONFINITE, the weights and optimizer exactly as before the step).

use recurrent_core::CellKind;
use recurrent_core::layers::recurrent::RecurrentConfig;
use recurrent_core::limits::{self, MAX_BATCH, MAX_DIM, MAX_PARAMS, MAX_STEPS, MAX_UNITS};
use recurrent_core::model::seq2seq::{Pairs, Seq2Seq, Seq2SeqConfig};
use recurrent_core::model::train::Supervised;
use recurrent_core::model::{Batch, InputKind, LayerSpec, LossKind, Model, ModelSpec, Targets};
use recurrent_core::optim::OptimizerConfig;
use recurrent_core::optim::trainer::{Trainer, TrainerConfig};
use recurrent_core::rng::Rng;

fn expect_range<T>(r: recurrent_core::Result<T>, needle: &str) {
    match r {
        Ok(_) => panic!("expected E_RANGE naming '{needle}'"),
        Err(e) => {
            assert_eq!(e.code, "E_RANGE", "{e}");
            assert!(e.message.contains(needle), "'{}' does not name '{needle}'", e.message);
        }
    }
}

fn rnn(cell: CellKind, input: usize, units: usize, out: usize) -> ModelSpec {
    ModelSpec {
        input: InputKind::Features { dim: input },
        layers: vec![
            LayerSpec::Recurrent { name: "rnn".into(), cell, units, layers: 1, bidirectional: false, dropout: 0.0, return_sequences: true },
            LayerSpec::Dense { name: "head".into(), units: out },
        ],
    }
}

fn tokens(vocab: usize, dim: usize) -> ModelSpec {
    ModelSpec {
        input: InputKind::Tokens { vocab, slots: 1 },
        layers: vec![LayerSpec::Embedding { name: "embedding".into(), dim }, LayerSpec::Dense { name: "head".into(), units: 3 }],
    }
}

#[test]
fn size_conversion_refuses_fractions_negatives_and_sizes_above_the_limit() {
    assert_eq!(limits::size("batch", 7.0, 10).unwrap(), 7);
    assert_eq!(limits::size("batch", 0.0, 10).unwrap(), 0);
    for x in [-1.0, 2.5, f64::NAN, f64::INFINITY, -0.5] {
        expect_range(limits::size("batch", x, 10), "batch");
    }
    expect_range(limits::size("batch", 11.0, 10), "limit of 10");
    expect_range(limits::size("batch", 2f64.powi(31) + 2.0, MAX_BATCH), "batch");
    expect_range(limits::product("B × T", &[usize::MAX, 2], usize::MAX), "B × T");
    expect_range(limits::sum("lengths", &[usize::MAX, 1], usize::MAX), "lengths");
    assert_eq!(limits::product("B × T", &[3, 4], 12).unwrap(), 12);
}

#[test]
fn oversized_models_are_refused_before_allocating() {
    // 20000 LSTM units: 4·20000² weights per matrix
    expect_range(Model::new(rnn(CellKind::Lstm, 3, 20_000, 2), 0), "units");
    // within every per-size limit, but too many parameters in all
    let big = MAX_UNITS;
    assert!(4 * big * big > MAX_PARAMS);
    expect_range(Model::new(rnn(CellKind::Lstm, 3, big, 2), 0), "parameters");
    expect_range(Model::new(tokens(MAX_DIM, MAX_DIM), 0), "parameters");
    // the count a loader checks a file against, computed without allocating
    expect_range(Model::param_count(&tokens(MAX_DIM, MAX_DIM)), "parameters");
    assert_eq!(Model::param_count(&tokens(1000, 16)).unwrap(), 1000 * 16 + 16 * 3 + 3);
    assert_eq!(
        Model::param_count(&rnn(CellKind::Lstm, 3, 5, 2)).unwrap(),
        Model::new(rnn(CellKind::Lstm, 3, 5, 2), 0).unwrap().arena.len()
    );
    expect_range(Model::param_count(&rnn(CellKind::Lstm, 3, 20_000, 2)), "units");
    expect_range(Model::new(tokens(MAX_DIM + 1, 4), 0), "input.vocab");
    let cfg = RecurrentConfig { cell: CellKind::Gru, input: 3, hidden: 4, layers: 65, bidirectional: false, dropout: 0.0 };
    expect_range(cfg.validate("layer"), "layer.layers");
    let s2s = Seq2SeqConfig {
        src_vocab: 10,
        tgt_vocab: 10,
        embed: 4,
        enc_hidden: 20_000,
        enc_layers: 1,
        enc_bidirectional: true,
        dec_hidden: 4,
        dec_layers: 1,
        attention: 4,
        dropout: 0.0,
        bos: 0,
        eos: 1,
    };
    expect_range(Seq2Seq::new(s2s.clone(), 0), "enc_hidden");
    let ok = Seq2SeqConfig { enc_hidden: 6, ..s2s.clone() };
    assert_eq!(Seq2Seq::param_count(&ok).unwrap(), Seq2Seq::new(ok, 0).unwrap().arena.len());
    expect_range(Seq2Seq::param_count(&Seq2SeqConfig { enc_hidden: 4, tgt_vocab: MAX_DIM, embed: 4096, ..s2s.clone() }), "parameters");
    expect_range(Seq2Seq::new(Seq2SeqConfig { enc_hidden: 4, tgt_vocab: MAX_DIM, embed: 4096, ..s2s }, 0), "parameters");
}

#[test]
fn oversized_batches_are_refused_and_the_model_stays_usable() {
    let mut m = Model::new(rnn(CellKind::RnnTanh, 2, 4, 3), 1).unwrap();
    let x = vec![0.5f32; 8];
    let bad = [
        (Batch { b: (1 << 31) + 2, t: 4, ids: None, features: Some(&x), lengths: None }, "B ="),
        (Batch { b: MAX_BATCH + 1, t: 1, ids: None, features: Some(&x), lengths: None }, "B ="),
        (Batch { b: 1, t: 30_000_000, ids: None, features: Some(&x), lengths: None }, "T ="),
        (Batch { b: 1, t: MAX_STEPS + 1, ids: None, features: Some(&x), lengths: None }, "T ="),
        (Batch { b: MAX_BATCH, t: MAX_STEPS, ids: None, features: Some(&x), lengths: None }, "B × T"),
        (Batch { b: usize::MAX, t: usize::MAX, ids: None, features: Some(&x), lengths: None }, "B ="),
    ];
    for _ in 0..1000 {
        for (batch, needle) in &bad {
            expect_range(m.forward(batch, false).map(|_| ()), needle);
        }
    }
    let ok = Batch { b: 2, t: 2, ids: None, features: Some(&x), lengths: None };
    assert_eq!(m.forward(&ok, false).unwrap().len(), 2 * 2 * 3);
}

#[test]
fn oversized_seq2seq_batches_and_beams_are_refused() {
    let c = Seq2SeqConfig {
        src_vocab: 6,
        tgt_vocab: 8,
        embed: 4,
        enc_hidden: 4,
        enc_layers: 1,
        enc_bidirectional: true,
        dec_hidden: 4,
        dec_layers: 1,
        attention: 4,
        dropout: 0.0,
        bos: 0,
        eos: 1,
    };
    let mut m = Seq2Seq::new(c, 1).unwrap();
    // lengths that would wrap a 32-bit sum, and a source longer than MAX_STEPS
    let src = [1u32, 2, 3];
    expect_range(m.decode(&src, &[usize::MAX, 4], 1, 5, 1), "limit");
    expect_range(m.decode(&src, &[MAX_STEPS + 1], 1, 5, 1), "limit");
    let p = Pairs { src: &src, src_lengths: &[3], tgt: &[2, 3], tgt_lengths: &[usize::MAX] };
    expect_range(m.forward(&p, false), "limit");
    // a long source times a wide beam times the attention
    let long = vec![1u32; 1 << 17];
    expect_range(m.decode(&long, &[1 << 17], 4096, 5, 1), "attention");
    expect_range(m.decode(&vec![1u32; 1 << 20], &[1 << 20], 1, 5, 1), "encoder");
    // still usable
    assert_eq!(m.decode(&src, &[3], 2, 4, 2).unwrap().len(), 1);
    let p = Pairs { src: &src, src_lengths: &[3], tgt: &[2, 3], tgt_lengths: &[2] };
    assert!(m.forward(&p, false).unwrap().0.is_finite());
}

/// Trains a ReLU RNN with a huge learning rate until a step fails; the failing step must
/// leave the weights and the optimizer state exactly as they were, and finite. Returns the
/// error's message.
fn explode(optimizer: OptimizerConfig) -> String {
    let mut m = Model::new(rnn(CellKind::RnnRelu, 3, 8, 2), 2).unwrap();
    let mut tr = Trainer::new(TrainerConfig::new(optimizer.clone()), m.arena.len()).unwrap();
    let mut rng = Rng::new(3);
    let (b, t) = (4, 6);
    let x: Vec<f32> = (0..b * t * 3).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let y: Vec<f32> = (0..b * t * 2).map(|_| rng.uniform(-100.0, 100.0)).collect();
    let batch = Supervised {
        inputs: Batch { b, t, ids: None, features: Some(&x), lengths: None },
        targets: Targets::Values(&y),
        loss: LossKind::Mse,
    };
    for step in 0..50 {
        let (before, state, steps) = (m.arena.params.clone(), tr.state(), tr.step_count());
        match tr.step(&mut m, &batch) {
            Ok(_) => assert!(m.arena.params.iter().all(|p| p.is_finite()), "step {step} left a non-finite weight"),
            Err(e) => {
                assert_eq!(e.code, "E_NONFINITE", "{e}");
                assert_eq!(m.arena.params, before, "the failed step {step} changed the weights");
                assert_eq!(tr.state(), state, "the failed step {step} changed the optimizer state");
                assert_eq!(tr.step_count(), steps);
                // what a save writes (the arena) loads back into a fresh model
                let mut fresh = Model::new(rnn(CellKind::RnnRelu, 3, 8, 2), 9).unwrap();
                fresh.arena.set_params(&m.arena.params).unwrap();
                assert_eq!(fresh.arena.params, m.arena.params);
                return e.message;
            }
        }
    }
    panic!("{} with a huge learning rate never failed", optimizer.name());
}

#[test]
fn exploding_training_keeps_the_last_finite_weights() {
    // the loss overflows first (after a finite update)
    assert!(explode(OptimizerConfig::sgd(1e30)).contains("the loss became"));
    assert!(explode(OptimizerConfig::named("adam", Some(1e37)).unwrap()).contains("the loss became"));
    // the update itself overflows while the loss is finite: it is rolled back, and with it
    // the momentum buffer it had already written
    assert!(explode(OptimizerConfig::sgd(1e38)).contains("the update"));
    let momentum = OptimizerConfig::Sgd { lr: 1e38, momentum: 0.9, dampening: 0.0, weight_decay: 0.0, nesterov: false };
    assert!(explode(momentum).contains("the update"));
}

#[test]
fn non_finite_parameter_values_are_refused() {
    let mut m = Model::new(rnn(CellKind::Gru, 2, 3, 2), 1).unwrap();
    let before = m.arena.params.clone();
    let mut bad = before.clone();
    bad[5] = f32::INFINITY;
    let e = m.arena.set_params(&bad).unwrap_err();
    assert_eq!(e.code, "E_NONFINITE");
    assert!(e.message.contains("params[5]"), "{}", e.message);
    let w = m.arena.param("head.weight").unwrap().to_vec();
    let mut nan = w.clone();
    nan[0] = f32::NAN;
    assert_eq!(m.arena.set_param("head.weight", &nan).unwrap_err().code, "E_NONFINITE");
    assert_eq!(m.arena.params, before);
}
