//! The CRF layer alone, and the tagger step it sits on, at K = 4, 9, 44, 189 tags
//! (segmentation, NER, Chinese POS, Brown POS):
//!
//!   cargo run --release --example bench_crf [-- --time 1 --runs 3]
//!
//! Batch: 32 sentences with lengths 1..=48 drawn around Brown's mean (about 20 tokens),
//! padded to the longest. Per K, one JSON line with tokens/s (median of runs) of
//! - `crf_logspace`: the row-at-a-time f64 log-space CRF (the implementation before the batched
//!   one, kept as the reference), NLL and gradients;
//! - `crf_scaled`: the batched CRF (what the model runs), NLL and gradients;
//! - `viterbi`: decoding;
//! - `tagger_step` / `crf_step`: a whole Adam step of embedding 64 → BiLSTM 2×64 → dense K, without
//!   and with the CRF head (the `tag train` defaults);
//!
//! Also the ratios crf_step / tagger_step, and the old layer's time over the tagger step.

use recurrent_core::CellKind;
use recurrent_core::layers::crf::{CrfGrads, CrfParams};
use recurrent_core::model::train::Supervised;
use recurrent_core::model::{Batch, InputKind, LayerSpec, LossKind, Model, ModelSpec, Targets};
use recurrent_core::optim::OptimizerConfig;
use recurrent_core::optim::schedule::Schedule;
use recurrent_core::optim::trainer::{Trainer, TrainerConfig};
use recurrent_core::rng::Rng;
use std::time::Instant;

const B: usize = 32;
const VOCAB: usize = 10_000;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Calls per second of `f`, median of `runs` runs of at least `time` seconds (after one
/// warm-up run).
fn rate(mut f: impl FnMut(), time: f64, runs: usize) -> f64 {
    let run = |f: &mut dyn FnMut()| {
        let t0 = Instant::now();
        let mut n = 0;
        while n == 0 || t0.elapsed().as_secs_f64() < time {
            f();
            n += 1;
        }
        n as f64 / t0.elapsed().as_secs_f64()
    };
    run(&mut f);
    median((0..runs).map(|_| run(&mut f)).collect())
}

fn spec(k: usize, crf: bool) -> ModelSpec {
    let mut layers = vec![
        LayerSpec::Embedding { name: "embedding".into(), dim: 64 },
        LayerSpec::Recurrent {
            name: "rnn".into(),
            cell: CellKind::Lstm,
            units: 64,
            layers: 1,
            bidirectional: true,
            dropout: 0.0,
            return_sequences: true,
        },
        LayerSpec::Dense { name: "head".into(), units: k },
    ];
    if crf {
        layers.push(LayerSpec::Crf { name: "crf".into() });
    }
    ModelSpec { input: InputKind::Tokens { vocab: VOCAB, slots: 1 }, layers }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let num = |k: &str, d: f64| args.iter().position(|a| a == k).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(d);
    let (time, runs) = (num("--time", 1.0), num("--runs", 3.0) as usize);
    let mut rng = Rng::new(7);
    // Brown-like lengths: mean about 20, a few long ones
    let lengths: Vec<usize> = (0..B).map(|_| (1 + rng.below(24) + rng.below(24)).min(48)).collect();
    let t = *lengths.iter().max().unwrap();
    let tokens: usize = lengths.iter().sum();
    let ids: Vec<u32> = (0..B * t).map(|_| rng.below(VOCAB) as u32).collect();
    for k in [4usize, 9, 44, 189] {
        let tags: Vec<i32> = (0..B * t).map(|i| if i % t < lengths[i / t] { rng.below(k) as i32 } else { -100 }).collect();
        let e: Vec<f32> = (0..B * t * k).map(|_| rng.uniform(-3.0, 3.0)).collect();
        let params: Vec<f32> = (0..k * k + 2 * k).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let p = CrfParams { k, transitions: &params[..k * k], start: &params[k * k..k * k + k], end: &params[k * k + k..] };
        let mut d_e = vec![0.0f32; B * t * k];
        let mut g = vec![0.0f32; k * k + 2 * k];
        let mut layer = |old: bool| {
            let (gt, rest) = g.split_at_mut(k * k);
            let (gs, ge) = rest.split_at_mut(k);
            let mut grads = CrfGrads { transitions: gt, start: gs, end: ge };
            let grad = Some((&mut d_e[..], &mut grads, 1.0 / tokens as f64));
            std::hint::black_box(if old { p.nll_logspace(&e, t, &lengths, &tags, grad) } else { p.nll(&e, t, &lengths, &tags, grad) });
        };
        let old = rate(|| layer(true), time, runs);
        let new = rate(|| layer(false), time, runs);
        let mut out = vec![0i32; B * t];
        let vit = rate(|| p.viterbi(&e, t, &lengths, &mut out), time, runs);
        let step = |crf: bool| {
            let mut model = Model::new(spec(k, crf), 1).expect("model");
            let optimizer = OptimizerConfig::Adam { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 };
            let cfg = TrainerConfig { optimizer, clip_norm: None, clip_value: None, schedule: Schedule::Constant, lazy_rows: false };
            let mut trainer = Trainer::new(cfg, model.arena.len()).expect("trainer");
            let inputs = Batch { b: B, t, ids: Some(&ids), features: None, lengths: Some(&lengths) };
            let loss = if crf { LossKind::Crf } else { LossKind::CrossEntropy };
            rate(
                || {
                    trainer.step(&mut model, &Supervised { inputs, targets: Targets::Classes(&tags), loss }).expect("step");
                },
                time,
                runs,
            )
        };
        let tagger = step(false);
        let crf = step(true);
        let tok = tokens as f64;
        println!(
            r#"{{"figure":"crf-layer","k":{k},"batch":{B},"tokens":{tokens},"padded_t":{t},"unit":"tok/s","crf_logspace":{:.0},"crf_scaled":{:.0},"viterbi":{:.0},"tagger_step":{:.0},"crf_step":{:.0},"crf_step_over_tagger_step":{:.3},"old_layer_over_tagger_step":{:.2},"new_layer_over_tagger_step":{:.3}}}"#,
            old * tok,
            new * tok,
            vit * tok,
            tagger * tok,
            crf * tok,
            tagger / crf,
            tagger / old,
            tagger / new,
        );
    }
}
