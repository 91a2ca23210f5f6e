//! Native ceiling for `npm run bench`: the same core, built for the host CPU
//! (`RUSTFLAGS="-C target-cpu=native" cargo run --release --example bench_native`), on the
//! training workloads W1–W4 and on the GEMM shapes of W1. One JSON line per figure, in the
//! format of bench/figures/*.mjs.
//!
//!   bench_native --workload W1 [--time 1] [--warmup 1] [--runs 5]
//!   bench_native --gemm
//!
//! The SIMD kernels are written against a 4-lane type (SSE natively, simd128 in wasm), so
//! this measures how much of the gap to the hardware is V8's code generation and how much is
//! the 4-lane kernel itself.

use recurrent_core::CellKind;
use recurrent_core::kernels::{self, Mat};
use recurrent_core::model::train::Supervised;
use recurrent_core::model::{Batch, InputKind, LayerSpec, LossKind, Model, ModelSpec, Targets};
use recurrent_core::optim::OptimizerConfig;
use recurrent_core::optim::schedule::Schedule;
use recurrent_core::optim::trainer::{Trainer, TrainerConfig};
use std::time::Instant;

struct Workload {
    cell: CellKind,
    features: usize,
    units: usize,
    layers: usize,
    bidirectional: bool,
    out: usize,
    mse: bool,
    batch: usize,
    steps: usize,
}

fn workload(name: &str) -> Option<Workload> {
    let w1 = Workload {
        cell: CellKind::Lstm,
        features: 64,
        units: 256,
        layers: 1,
        bidirectional: false,
        out: 96,
        mse: false,
        batch: 32,
        steps: 64,
    };
    Some(match name {
        "W1" => w1,
        "W2" => Workload { cell: CellKind::Gru, ..w1 },
        "W3" => Workload { units: 128, layers: 2, bidirectional: true, out: 4, ..w1 },
        "W4" => Workload {
            cell: CellKind::Lstm,
            features: 8,
            units: 32,
            layers: 1,
            bidirectional: false,
            out: 8,
            mse: true,
            batch: 1,
            steps: 16,
        },
        _ => return None,
    })
}

/// The GEMM shapes of bench/lib.mjs (C[m×n] = A[m×k] · B[n×k]ᵀ).
const GEMM_SHAPES: [(&str, usize, usize, usize); 5] = [
    ("W1 recurrent step h·W_hhᵀ", 32, 1024, 256),
    ("W1 input projection X·W_ihᵀ", 2048, 1024, 64),
    ("W1 dense head", 2048, 96, 256),
    ("W1 backward dh·W_hh", 32, 256, 1024),
    ("W1 weight gradient dWᵀ·H", 1024, 256, 2048),
];

/// bench/lib.mjs's randomArray: xorshift32 values in [-1, 1).
fn random_array(n: usize, seed: u32) -> Vec<f32> {
    let mut s = if seed == 0 { 1 } else { seed };
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            ((s as f64 / 4294967296.0) * 2.0 - 1.0) as f32
        })
        .collect()
}

struct Timing {
    time: f64,
    warmup: f64,
    runs: usize,
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 { s[n / 2] } else { (s[n / 2 - 1] + s[n / 2]) / 2.0 }
}

/// bench/lib.mjs's `measure`: warm-up, then runs of at least `time` seconds; rates per run.
fn measure(mut step: impl FnMut(), units: f64, t: &Timing) -> Vec<f64> {
    let t0 = Instant::now();
    let mut calls = 0;
    loop {
        step();
        calls += 1;
        if t0.elapsed().as_secs_f64() >= t.warmup {
            break;
        }
    }
    let per_call = t0.elapsed().as_secs_f64() / calls as f64;
    let runs = if per_call > t.time { t.runs.min(3) } else { t.runs };
    (0..runs)
        .map(|_| {
            let t0 = Instant::now();
            let mut n = 0;
            loop {
                step();
                n += 1;
                if t0.elapsed().as_secs_f64() >= t.time {
                    break;
                }
            }
            n as f64 * units / t0.elapsed().as_secs_f64()
        })
        .collect()
}

fn list(v: &[f64]) -> String {
    v.iter().map(|x| format!("{x:.3}")).collect::<Vec<_>>().join(",")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let get = |k: &str| args.iter().position(|a| a == k).and_then(|i| args.get(i + 1)).cloned();
    let num = |k: &str, d: f64| get(k).and_then(|v| v.parse().ok()).unwrap_or(d);
    let t = Timing { time: num("--time", 1.0), warmup: num("--warmup", 1.0), runs: num("--runs", 5.0) as usize };
    let note = format!("native, kernels {}, target-cpu=native", kernels::backend());

    if args.iter().any(|a| a == "--gemm") {
        let mut rows = Vec::new();
        for (name, m, n, k) in GEMM_SHAPES {
            let a = random_array(m * k, 1);
            let b = random_array(n * k, 2);
            let mut c = vec![0.0; m * n];
            let flop = 2.0 * (m * n * k) as f64;
            let reps = (5e7 / flop).round().max(1.0) as usize;
            // bench/lib.mjs's GEMM_TIME
            let tg = Timing { time: t.time.min(0.4), warmup: t.warmup.min(0.4), ..t };
            let r = measure(
                || {
                    for _ in 0..reps {
                        kernels::gemm(m, n, k, Mat::n(&a, k), Mat::t(&b, k), false, &mut c, n);
                    }
                },
                flop * reps as f64 / 1e9,
                &tg,
            );
            std::hint::black_box(&c);
            rows.push(format!(r#"{{"name":"{name}","m":{m},"n":{n},"k":{k},"runs":[{}],"median":{:.3}}}"#, list(&r), median(&r)));
        }
        println!(r#"{{"figure":"native-gemm","unit":"GFLOP/s","shapes":[{}],"note":"{note}"}}"#, rows.join(","));
        return;
    }

    let name = get("--workload").unwrap_or_else(|| "W1".into());
    let Some(w) = workload(&name) else {
        eprintln!("unknown workload {name} (W1–W4)");
        std::process::exit(2);
    };
    let spec = ModelSpec {
        input: InputKind::Features { dim: w.features },
        layers: vec![
            LayerSpec::Recurrent {
                name: "rnn".into(),
                cell: w.cell,
                units: w.units,
                layers: w.layers,
                bidirectional: w.bidirectional,
                dropout: 0.0,
                return_sequences: true,
            },
            LayerSpec::Dense { name: "head".into(), units: w.out },
        ],
    };
    let mut model = Model::new(spec, 1).expect("model");
    let loss = if w.mse { LossKind::Mse } else { LossKind::CrossEntropy };
    let optimizer = OptimizerConfig::Adam { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 };
    let cfg = TrainerConfig { optimizer, clip_norm: None, clip_value: None, schedule: Schedule::Constant, lazy_rows: false };
    let mut trainer = Trainer::new(cfg, model.arena.len()).expect("trainer");
    let (b, tt) = (w.batch, w.steps);
    let x = random_array(b * tt * w.features, 11);
    let values = random_array(b * tt * w.out, 12);
    let classes: Vec<i32> =
        random_array(b * tt, 13).iter().map(|v| (((v + 1.0) / 2.0 * w.out as f32).floor() as i32).min(w.out as i32 - 1)).collect();
    let batch = Batch { b, t: tt, ids: None, features: Some(&x), lengths: None };
    let targets = if w.mse { Targets::Values(&values) } else { Targets::Classes(&classes) };
    let r = measure(
        || {
            trainer.step(&mut model, &Supervised { inputs: batch, targets, loss }).expect("step");
        },
        (b * tt) as f64,
        &t,
    );
    println!(
        r#"{{"figure":"native","workload":"{name}","unit":"tok/s","runs":[{}],"median":{:.3},"note":"{note}"}}"#,
        list(&r),
        median(&r)
    );
}
