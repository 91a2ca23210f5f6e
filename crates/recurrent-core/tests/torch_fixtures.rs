//! Every PyTorch golden fixture (test/fixtures/torch), run natively through the core.

mod torch_json;
use recurrent_core::layers::ParamTable;
use recurrent_core::layers::recurrent::{RecurrentConfig, RecurrentStack, SeqInput, StatePair};
use recurrent_core::model::train::{Supervised, TokenSequences, step_tbptt};
use recurrent_core::model::{Batch, InputKind, LayerSpec, LossKind, Model, ModelSpec, Targets};
use recurrent_core::optim::OptimizerConfig;
use recurrent_core::optim::schedule::Schedule;
use recurrent_core::optim::trainer::{Trainer, TrainerConfig};
use recurrent_core::rng::Rng;
use serde_json::Value;
use std::path::PathBuf;
use torch_json::Fixture;

fn load(name: &str) -> Fixture {
    Fixture::load(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test/fixtures/torch").join(name))
}

/// Max |a−b| violation of |a−b| ≤ atol + rtol·|b|; panics with the tensor name on failure.
fn check(name: &str, got: &[f32], want: &[f64], atol: f64, rtol: f64) -> f64 {
    assert_eq!(got.len(), want.len(), "{name}: length");
    let mut worst = 0.0f64;
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let e = (g as f64 - w).abs();
        assert!(e <= atol + rtol * w.abs(), "{name}[{i}]: got {g}, want {w}");
        worst = worst.max(e);
    }
    worst
}

fn run_layer(name: &str) {
    let f = load(name);
    let cfg = RecurrentConfig {
        cell: f.cell(),
        input: f.usize("input_size"),
        hidden: f.usize("hidden_size"),
        layers: f.usize("num_layers"),
        bidirectional: f.meta["bidirectional"].as_bool().unwrap(),
        dropout: 0.0,
    };
    let (b, t) = (f.usize("batch"), f.usize("steps"));
    let mut table = ParamTable::default();
    let mut stack = RecurrentStack::new(cfg.clone(), &mut table, "");
    let mut params = vec![0.0; table.total];
    for s in &table.specs {
        s.slot.of_mut(&mut params).copy_from_slice(&f.f32(&s.name));
    }
    let lengths: Option<Vec<usize>> = f.meta["lengths"].as_array().map(|a| a.iter().map(|x| x.as_u64().unwrap() as usize).collect());
    let x = f.f32("x");
    let h0 = f.f32("h0");
    let c0 = f.t.contains_key("c0").then(|| f.f32("c0"));
    stack.forward(
        &params,
        SeqInput { x: &x, b, t, lengths: lengths.as_deref() },
        StatePair { h: Some(&h0), c: c0.as_deref() },
        false,
        &mut Rng::new(0),
    );
    check("out", stack.output(), &f.t["out"], 1e-5, 1e-4);
    check("h_n", &stack.h_n, &f.t["h_n"], 1e-5, 1e-4);
    if cfg.cell.has_c() {
        check("c_n", &stack.c_n, &f.t["c_n"], 1e-5, 1e-4);
    }
    let mut grads = vec![0.0; table.total];
    let mut dx = vec![0.0; x.len()];
    let gcn = cfg.cell.has_c().then(|| f.f32("grad_c_n"));
    stack.backward(
        &params,
        &mut grads,
        &x,
        &f.f32("grad_out"),
        StatePair { h: Some(&f.f32("grad_h_n")), c: gcn.as_deref() },
        Some(&mut dx),
    );
    check("grad.x", &dx, &f.t["grad.x"], 1e-5, 1e-4);
    check("grad.h0", &stack.dh0, &f.t["grad.h0"], 1e-5, 1e-4);
    if cfg.cell.has_c() {
        check("grad.c0", &stack.dc0, &f.t["grad.c0"], 1e-5, 1e-4);
    }
    for s in &table.specs {
        check(&format!("grad.{}", s.name), s.slot.of(&grads), &f.t[&format!("grad.{}", s.name)], 1e-5, 1e-4);
    }
}

fn lm_model(f: &Fixture) -> Model {
    let vocab = f.usize("vocab");
    let spec = ModelSpec {
        input: InputKind::Tokens { vocab, slots: 1 },
        layers: vec![
            LayerSpec::Embedding { name: "embedding".into(), dim: f.usize("embed") },
            LayerSpec::Recurrent {
                name: "rnn".into(),
                cell: f.cell(),
                units: f.usize("hidden_size"),
                layers: f.usize("num_layers"),
                bidirectional: f.meta["bidirectional"].as_bool().unwrap(),
                dropout: 0.0,
                return_sequences: true,
            },
            LayerSpec::Dense { name: "head".into(), units: vocab },
        ],
    };
    let mut m = Model::new(spec, 1).unwrap();
    let names: Vec<String> = m.arena.table.specs.iter().map(|s| s.name.clone()).collect();
    for n in names {
        m.arena.set_param(&n, &f.f32(&n)).unwrap();
    }
    m
}

fn ids(f: &Fixture, k: &str) -> Vec<u32> {
    f.t[k].iter().map(|&x| x as u32).collect()
}

fn run_lm(name: &str) {
    let f = load(name);
    let mut m = lm_model(&f);
    let (b, t) = (f.usize("batch"), f.usize("steps"));
    let tokens = ids(&f, "tokens");
    let targets: Vec<i32> = f.t["targets"].iter().map(|&x| x as i32).collect();
    let logits = m.forward(&Batch { b, t, ids: Some(&tokens), features: None, lengths: None }, false).unwrap().to_vec();
    check("logits", &logits, &f.t["logits"], 1e-5, 1e-4);
    m.arena.zero_grads();
    let (loss, _) = m.loss(Targets::Classes(&targets), LossKind::CrossEntropy, true).unwrap();
    check("loss", &[loss], &[f.meta["loss"].as_f64().unwrap()], 1e-5, 1e-4);
    for s in m.arena.table.specs.clone() {
        check(&format!("grad.{}", s.name), m.arena.grad(&s.name).unwrap(), &f.t[&format!("grad.{}", s.name)], 1e-5, 1e-4);
    }
}

fn optimizer(o: &Value) -> OptimizerConfig {
    let g = |k: &str, d: f64| o.get(k).and_then(|v| v.as_f64()).unwrap_or(d) as f32;
    let betas = o
        .get("betas")
        .and_then(|v| v.as_array())
        .map(|a| (a[0].as_f64().unwrap() as f32, a[1].as_f64().unwrap() as f32))
        .unwrap_or((0.9, 0.999));
    match o["name"].as_str().unwrap() {
        "sgd" => OptimizerConfig::Sgd {
            lr: g("lr", 0.0),
            momentum: g("momentum", 0.0),
            dampening: g("dampening", 0.0),
            weight_decay: g("weight_decay", 0.0),
            nesterov: o.get("nesterov").and_then(|v| v.as_bool()).unwrap_or(false),
        },
        "adam" => OptimizerConfig::Adam {
            lr: g("lr", 1e-3),
            beta1: betas.0,
            beta2: betas.1,
            eps: g("eps", 1e-8),
            weight_decay: g("weight_decay", 0.0),
        },
        "adamw" => OptimizerConfig::AdamW {
            lr: g("lr", 1e-3),
            beta1: betas.0,
            beta2: betas.1,
            eps: g("eps", 1e-8),
            weight_decay: g("weight_decay", 1e-2),
        },
        "rmsprop" => OptimizerConfig::RmsProp {
            lr: g("lr", 1e-2),
            alpha: g("alpha", 0.99),
            eps: g("eps", 1e-8),
            weight_decay: g("weight_decay", 0.0),
            momentum: g("momentum", 0.0),
            centered: o.get("centered").and_then(|v| v.as_bool()).unwrap_or(false),
        },
        "adagrad" => OptimizerConfig::Adagrad {
            lr: g("lr", 1e-2),
            lr_decay: g("lr_decay", 0.0),
            weight_decay: g("weight_decay", 0.0),
            initial_accumulator_value: g("initial_accumulator_value", 0.0),
            eps: g("eps", 1e-10),
        },
        other => panic!("optimizer {other}"),
    }
}

fn run_train(name: &str) {
    let f = load(name);
    let mut m = lm_model(&f);
    let (b, t) = (f.usize("batch"), f.usize("steps"));
    let tokens = ids(&f, "tokens");
    let targets: Vec<i32> = f.t["targets"].iter().map(|&x| x as i32).collect();
    let cfg = TrainerConfig {
        optimizer: optimizer(&f.meta["optimizer"]),
        clip_norm: f.meta["clip_grad_norm"].as_f64().map(|x| x as f32),
        clip_value: None,
        schedule: Schedule::Constant,
        lazy_rows: false,
    };
    let mut tr = Trainer::new(cfg, m.arena.len()).unwrap();
    let mut stats = Vec::new();
    for _ in 0..f.usize("epochs") {
        match f.meta["tbptt_chunk"].as_u64() {
            Some(k) => stats.extend(
                step_tbptt(&mut tr, &mut m, LossKind::CrossEntropy, TokenSequences { b, t, ids: &tokens, targets: &targets }, k as usize)
                    .unwrap(),
            ),
            None => stats.push(
                tr.step(
                    &mut m,
                    &Supervised {
                        inputs: Batch { b, t, ids: Some(&tokens), features: None, lengths: None },
                        targets: Targets::Classes(&targets),
                        loss: LossKind::CrossEntropy,
                    },
                )
                .unwrap(),
            ),
        }
    }
    let want_losses: Vec<f64> = f.meta["losses"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    check("losses", &stats.iter().map(|s| s.loss).collect::<Vec<_>>(), &want_losses, 1e-4, 1e-3);
    let norms: Vec<f64> = f.meta["grad_norms_before_clip"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    if !norms.is_empty() {
        check("grad_norms_before_clip", &stats.iter().map(|s| s.grad_norm).collect::<Vec<_>>(), &norms, 1e-4, 1e-3);
    }
    for s in m.arena.table.specs.clone() {
        check(&format!("final.{}", s.name), m.arena.param(&s.name).unwrap(), &f.t[&format!("final.{}", s.name)], 1e-4, 1e-3);
    }
}

macro_rules! fixture_tests {
    ($runner:ident: $($test:ident => $file:expr),* $(,)?) => {
        $(#[test] fn $test() { $runner($file); })*
    };
}

fixture_tests!(run_layer:
    layer_gru_l1_bi => "layer_gru_l1_bi.json",
    layer_gru_l1_uni => "layer_gru_l1_uni.json",
    layer_gru_l2_bi => "layer_gru_l2_bi.json",
    layer_gru_l2_bi_varlen => "layer_gru_l2_bi_varlen.json",
    layer_gru_l2_uni => "layer_gru_l2_uni.json",
    layer_lstm_l1_bi => "layer_lstm_l1_bi.json",
    layer_lstm_l1_uni => "layer_lstm_l1_uni.json",
    layer_lstm_l2_bi => "layer_lstm_l2_bi.json",
    layer_lstm_l2_bi_varlen => "layer_lstm_l2_bi_varlen.json",
    layer_lstm_l2_uni => "layer_lstm_l2_uni.json",
    layer_rnn_relu_l1_bi => "layer_rnn_relu_l1_bi.json",
    layer_rnn_relu_l1_uni => "layer_rnn_relu_l1_uni.json",
    layer_rnn_relu_l2_bi => "layer_rnn_relu_l2_bi.json",
    layer_rnn_relu_l2_bi_varlen => "layer_rnn_relu_l2_bi_varlen.json",
    layer_rnn_relu_l2_uni => "layer_rnn_relu_l2_uni.json",
    layer_rnn_tanh_l1_bi => "layer_rnn_tanh_l1_bi.json",
    layer_rnn_tanh_l1_uni => "layer_rnn_tanh_l1_uni.json",
    layer_rnn_tanh_l2_bi => "layer_rnn_tanh_l2_bi.json",
    layer_rnn_tanh_l2_bi_varlen => "layer_rnn_tanh_l2_bi_varlen.json",
    layer_rnn_tanh_l2_uni => "layer_rnn_tanh_l2_uni.json",
);

fixture_tests!(run_lm:
    lm_gru => "lm_gru.json",
    lm_lstm => "lm_lstm.json",
    lm_rnn_relu => "lm_rnn_relu.json",
    lm_rnn_tanh => "lm_rnn_tanh.json",
);

fixture_tests!(run_train:
    train_adagrad_gru => "train_adagrad_gru.json",
    train_adam_rnn_tanh => "train_adam_rnn_tanh.json",
    train_adamw_rnn_relu => "train_adamw_rnn_relu.json",
    train_momentum_gru => "train_momentum_gru.json",
    train_rmsprop_lstm => "train_rmsprop_lstm.json",
    train_sgd_lstm => "train_sgd_lstm.json",
    train_tbptt_gru => "train_tbptt_gru.json",
    train_tbptt_lstm => "train_tbptt_lstm.json",
);

#[test]
fn every_shipped_fixture_is_listed() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test/fixtures/torch");
    let n = std::fs::read_dir(dir).unwrap().filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "json")).count();
    assert_eq!(n, 32, "a fixture was added or removed: list it above");
}
