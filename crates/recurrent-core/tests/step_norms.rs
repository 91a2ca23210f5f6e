//! Per-step gradient norms ||dL/dh_t|| (and ||dL/dc_t||) against PyTorch (test/fixtures/stepgrad,
//! `retain_grad` on every step's state in float64): a recurrent stack alone and a model
//! (features → rnn → linear → MSE), every cell, stacked, bidirectional, variable lengths.

mod torch_json;
use recurrent_core::CellKind;
use recurrent_core::layers::ParamTable;
use recurrent_core::layers::recurrent::{RecurrentConfig, RecurrentStack, SeqInput, StatePair};
use recurrent_core::layers::step_norms::StepNorms;
use recurrent_core::model::{Batch, InputKind, LayerSpec, LossKind, Model, ModelSpec, Targets};
use recurrent_core::rng::Rng;
use std::path::PathBuf;
use torch_json::Fixture;

/// |a − b| ≤ REL·|b|: the "exact to PyTorch" (f32 maths against float64).
const REL: f64 = 1e-6;

impl Fixture {
    fn lengths(&self) -> Option<Vec<usize>> {
        self.meta["lengths"].as_array().map(|a| a.iter().map(|x| x.as_u64().unwrap() as usize).collect())
    }
    fn config(&self, input: usize) -> RecurrentConfig {
        RecurrentConfig {
            cell: self.cell(),
            input,
            hidden: self.usize("hidden_size"),
            layers: self.usize("num_layers"),
            bidirectional: self.meta["bidirectional"].as_bool().unwrap(),
            dropout: 0.0,
        }
    }
}

fn fixtures() -> Vec<(String, Fixture)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test/fixtures/stepgrad");
    let mut out: Vec<(String, Fixture)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), Fixture::load(&p)))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 20, "expected the stepgrad fixtures, found {}", out.len());
    out
}

/// Returns the worst relative error; panics naming the entry on failure.
fn check(case: &str, what: &str, got: &[f32], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len(), "{case} {what}: length");
    let mut worst = 0.0f64;
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let e = (g as f64 - w).abs();
        assert!(e <= REL * w.abs(), "{case} {what}[{i}]: got {g}, want {w} (relative error {:.2e})", e / w.abs());
        worst = worst.max(if w == 0.0 { 0.0 } else { e / w.abs() });
    }
    worst
}

fn check_norms(case: &str, f: &Fixture, n: &StepNorms) -> f64 {
    let rows = f.usize("num_layers") * if f.meta["bidirectional"].as_bool().unwrap() { 2 } else { 1 };
    assert_eq!((n.rows, n.steps), (rows, f.usize("steps")), "{case}: shape");
    let mut worst = check(case, "step_norm_h", &n.h, &f.t["step_norm_h"]);
    if f.cell().has_c() {
        worst = worst.max(check(case, "step_norm_c", &n.c, &f.t["step_norm_c"]));
    } else {
        assert!(n.c.is_empty(), "{case}: c norms for a cell without c");
    }
    worst
}

fn run_layer(case: &str, f: &Fixture) -> f64 {
    let cfg = f.config(f.usize("input_size"));
    let (b, t) = (f.usize("batch"), f.usize("steps"));
    let mut table = ParamTable::default();
    let mut stack = RecurrentStack::new(cfg.clone(), &mut table, "");
    let mut params = vec![0.0; table.total];
    for s in &table.specs {
        s.slot.of_mut(&mut params).copy_from_slice(&f.f32(&s.name));
    }
    let x = f.f32("x");
    let c0 = cfg.cell.has_c().then(|| f.f32("c0"));
    let gcn = cfg.cell.has_c().then(|| f.f32("grad_c_n"));
    let run = |stack: &mut RecurrentStack| {
        let mut grads = vec![0.0; table.total];
        stack.forward(
            &params,
            SeqInput { x: &x, b, t, lengths: f.lengths().as_deref() },
            StatePair { h: Some(&f.f32("h0")), c: c0.as_deref() },
            false,
            &mut Rng::new(0),
        );
        stack.backward(&params, &mut grads, &x, &f.f32("grad_out"), StatePair { h: Some(&f.f32("grad_h_n")), c: gcn.as_deref() }, None);
        grads
    };
    // off by default: nothing recorded
    let plain = run(&mut stack);
    assert!(stack.step_norms().is_none(), "{case}: recorded while off");
    stack.record_step_norms(true);
    let recorded = run(&mut stack);
    assert_eq!(plain, recorded, "{case}: recording changed the gradients");
    let worst = check_norms(case, f, stack.step_norms().unwrap());
    // a forward forgets the last backward's norms
    stack.forward(&params, SeqInput { x: &x, b, t, lengths: f.lengths().as_deref() }, StatePair::default(), false, &mut Rng::new(0));
    assert!(stack.step_norms().is_none(), "{case}: stale norms after a forward");
    worst
}

fn run_model(case: &str, f: &Fixture) -> f64 {
    let cfg = f.config(f.usize("input_size"));
    let spec = ModelSpec {
        input: InputKind::Features { dim: cfg.input },
        layers: vec![
            LayerSpec::Recurrent {
                name: "rnn".into(),
                cell: cfg.cell,
                units: cfg.hidden,
                layers: cfg.layers,
                bidirectional: cfg.bidirectional,
                dropout: 0.0,
                return_sequences: false,
            },
            LayerSpec::Dense { name: "head".into(), units: 1 },
        ],
    };
    let mut m = Model::new(spec, 1).unwrap();
    let names: Vec<String> = m.arena.table.specs.iter().map(|s| s.name.clone()).collect();
    for n in names {
        m.arena.set_param(&n, &f.f32(&n)).unwrap();
    }
    let (b, t) = (f.usize("batch"), f.usize("steps"));
    let (x, lengths) = (f.f32("x"), f.lengths());
    assert!(m.step_norms().is_err(), "{case}: norms before recording");
    m.record_step_norms(true);
    let y = m.forward(&Batch { b, t, ids: None, features: Some(&x), lengths: lengths.as_deref() }, false).unwrap().to_vec();
    for (i, (&g, &w)) in y.iter().zip(&f.t["y"]).enumerate() {
        assert!((g as f64 - w).abs() <= 1e-5 + 1e-4 * w.abs(), "{case} y[{i}]: got {g}, want {w}");
    }
    assert!(m.step_norms().is_err(), "{case}: norms before a backward");
    m.arena.zero_grads();
    m.loss(Targets::Values(&f.f32("targets")), LossKind::Mse, true).unwrap();
    let norms = m.step_norms().unwrap();
    assert_eq!(norms.len(), 1);
    assert_eq!(norms[0].0, "rnn");
    check_norms(case, f, norms[0].1)
}

#[test]
fn step_norms_match_pytorch() {
    let mut worst = 0.0f64;
    for (case, f) in fixtures() {
        worst = worst.max(match f.meta["kind"].as_str().unwrap() {
            "layer" => run_layer(&case, &f),
            "model" => run_model(&case, &f),
            k => panic!("{case}: unknown kind {k}"),
        });
    }
    eprintln!("worst relative error of the per-step norms: {worst:.2e}");
}

/// The reset-before GRU (its own step loop) records too: at the last step of a one-layer,
/// one-direction stack, dL/dh_{T−1} is the upstream d_out[T−1] + d_hn, so its norm is theirs.
#[test]
fn reset_before_gru_records_the_last_step_exactly() {
    let cfg = RecurrentConfig { cell: CellKind::GruResetBefore, input: 2, hidden: 3, layers: 1, bidirectional: false, dropout: 0.0 };
    let (b, t) = (2, 5);
    let mut table = ParamTable::default();
    let mut stack = RecurrentStack::new(cfg, &mut table, "");
    let mut rng = Rng::new(3);
    let params: Vec<f32> = (0..table.total).map(|_| rng.next_f32() - 0.5).collect();
    let x: Vec<f32> = (0..b * t * 2).map(|_| rng.next_f32()).collect();
    let d_out: Vec<f32> = (0..b * t * 3).map(|_| rng.next_f32() - 0.5).collect();
    let d_hn: Vec<f32> = (0..b * 3).map(|_| rng.next_f32() - 0.5).collect();
    stack.record_step_norms(true);
    stack.forward(&params, SeqInput { x: &x, b, t, lengths: None }, StatePair::default(), false, &mut rng);
    let mut grads = vec![0.0; table.total];
    stack.backward(&params, &mut grads, &x, &d_out, StatePair { h: Some(&d_hn), c: None }, None);
    let n = stack.step_norms().unwrap();
    let mut sq = 0.0f64;
    for bb in 0..b {
        for j in 0..3 {
            sq += f64::from(d_out[(bb * t + t - 1) * 3 + j] + d_hn[bb * 3 + j]).powi(2);
        }
    }
    assert!((f64::from(n.h[t - 1]) - sq.sqrt()).abs() <= 1e-6 * sq.sqrt());
    assert!(n.h.iter().all(|v| v.is_finite() && *v > 0.0));
    assert!(n.c.is_empty());
}
