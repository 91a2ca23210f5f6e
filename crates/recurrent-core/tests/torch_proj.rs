//! PyTorch's LSTM with projections (`proj_size`), forward and backward against the golden
//! files in test/fixtures/torch-proj (written by its `golden_proj.py`; format as
//! test/fixtures/torch plus `proj_size`).

use recurrent_core::CellKind;
use recurrent_core::layers::ParamTable;
use recurrent_core::layers::recurrent::{RecurrentConfig, RecurrentStack, SeqInput, StatePair};
use recurrent_core::rng::Rng;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;

fn load(name: &str) -> (Value, HashMap<String, Vec<f64>>) {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test/fixtures/torch-proj").join(name);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    let mut t = HashMap::new();
    for (k, x) in v["tensors"].as_object().unwrap() {
        t.insert(k.clone(), x["data"].as_array().unwrap().iter().map(|y| y.as_f64().unwrap()).collect());
    }
    (v, t)
}

/// |a−b| ≤ 1e-5 + 1e-4·|b| elementwise (the fixtures' README), naming the tensor on failure.
fn check(name: &str, got: &[f32], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{name}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!((g as f64 - w).abs() <= 1e-5 + 1e-4 * w.abs(), "{name}[{i}]: got {g}, want {w}");
    }
}

fn run(name: &str) {
    let (meta, t) = load(name);
    let f32s = |k: &str| -> Vec<f32> { t[k].iter().map(|&x| x as f32).collect() };
    let n = |k: &str| meta[k].as_u64().unwrap() as usize;
    let cell = CellKind::parse(meta["cell"].as_str().unwrap()).unwrap().with_proj(n("proj_size")).unwrap();
    assert_eq!(cell, CellKind::LstmProj(n("proj_size")));
    let cfg = RecurrentConfig {
        cell,
        input: n("input_size"),
        hidden: n("hidden_size"),
        layers: n("num_layers"),
        bidirectional: meta["bidirectional"].as_bool().unwrap(),
        dropout: 0.0,
    };
    cfg.validate("lstm").unwrap();
    let (b, steps) = (n("batch"), n("steps"));
    let mut table = ParamTable::default();
    let mut stack = RecurrentStack::new(cfg.clone(), &mut table, "");
    // every parameter of the fixture, and only those, with PyTorch's names and shapes
    let want: Vec<&String> = t.keys().filter(|k| k.starts_with("weight_") || k.starts_with("bias_")).collect();
    assert_eq!(table.specs.len(), want.len(), "{name}: parameter count");
    let mut params = vec![0.0; table.total];
    for s in &table.specs {
        let shape: Vec<usize> =
            meta["tensors"][&s.name]["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
        assert_eq!(s.shape, shape, "{name}: shape of {}", s.name);
        s.slot.of_mut(&mut params).copy_from_slice(&f32s(&s.name));
    }
    let lengths: Option<Vec<usize>> = meta["lengths"].as_array().map(|a| a.iter().map(|x| x.as_u64().unwrap() as usize).collect());
    let x = f32s("x");
    let (h0, c0) = (f32s("h0"), f32s("c0"));
    stack.forward(
        &params,
        SeqInput { x: &x, b, t: steps, lengths: lengths.as_deref() },
        StatePair { h: Some(&h0), c: Some(&c0) },
        false,
        &mut Rng::new(0),
    );
    check("out", stack.output(), &t["out"]);
    check("h_n", &stack.h_n, &t["h_n"]);
    check("c_n", &stack.c_n, &t["c_n"]);
    let mut grads = vec![0.0; table.total];
    let mut dx = vec![0.0; x.len()];
    stack.backward(
        &params,
        &mut grads,
        &x,
        &f32s("grad_out"),
        StatePair { h: Some(&f32s("grad_h_n")), c: Some(&f32s("grad_c_n")) },
        Some(&mut dx),
    );
    check("grad.x", &dx, &t["grad.x"]);
    check("grad.h0", &stack.dh0, &t["grad.h0"]);
    check("grad.c0", &stack.dc0, &t["grad.c0"]);
    for s in &table.specs {
        check(&format!("grad.{}", s.name), s.slot.of(&grads), &t[&format!("grad.{}", s.name)]);
    }
}

#[test]
fn lstm_proj_one_layer_unidirectional() {
    run("layer_lstmp_l1_uni.json");
}

#[test]
fn lstm_proj_one_layer_bidirectional() {
    run("layer_lstmp_l1_bi.json");
}

#[test]
fn lstm_proj_two_layers_unidirectional() {
    run("layer_lstmp_l2_uni.json");
}

#[test]
fn lstm_proj_two_layers_bidirectional_variable_lengths() {
    run("layer_lstmp_l2_bi_varlen.json");
}

/// proj_size must be below hidden_size (PyTorch's rule), as a typed range error naming it;
/// only an LSTM with sigmoid gates takes a projection.
#[test]
fn lstm_proj_options_are_checked() {
    let cfg = RecurrentConfig { cell: CellKind::LstmProj(4), input: 2, hidden: 4, layers: 1, bidirectional: false, dropout: 0.0 };
    let e = cfg.validate("lstm").unwrap_err();
    assert!(e.to_string().contains("projSize = 4"), "{e}");
    assert_eq!(CellKind::Gru.with_proj(2), None);
    assert_eq!(CellKind::LstmHardSigmoid.with_proj(2), None);
    assert_eq!(CellKind::LstmProj(3).with_proj(0), Some(CellKind::Lstm));
    assert_eq!(CellKind::LstmProj(3).with_gate_activation("hardSigmoid"), None);
}
