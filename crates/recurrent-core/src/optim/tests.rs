//! Hand-computed optimizer steps (the PyTorch fixtures check longer trajectories).

use super::clip::{clip_by_norm, clip_by_value};
use super::schedule::Schedule;
use super::{Optimizer, OptimizerConfig};

fn close(a: f32, b: f32) {
    assert!((a - b).abs() < 1e-6 * (1.0 + b.abs()), "{a} vs {b}");
}

#[test]
fn sgd_momentum_and_nesterov_by_hand() {
    let cfg = OptimizerConfig::Sgd { lr: 0.1, momentum: 0.9, dampening: 0.0, weight_decay: 0.0, nesterov: false };
    let mut o = Optimizer::new(cfg, 1).unwrap();
    let mut p = [1.0f32];
    o.update(&mut p, &[2.0], 0.1); // buf = 2, p = 1 − 0.2
    close(p[0], 0.8);
    o.update(&mut p, &[2.0], 0.1); // buf = 0.9·2 + 2 = 3.8
    close(p[0], 0.8 - 0.38);
    let cfg = OptimizerConfig::Sgd { lr: 0.1, momentum: 0.5, dampening: 0.0, weight_decay: 0.1, nesterov: true };
    let mut o = Optimizer::new(cfg, 1).unwrap();
    let mut p = [1.0f32];
    o.update(&mut p, &[1.0], 0.1); // d = 1.1, buf = 1.1, d = 1.1 + 0.55
    close(p[0], 1.0 - 0.165);
}

#[test]
fn adam_first_step_is_lr_sized_and_adamw_decays() {
    let cfg = OptimizerConfig::Adam { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 };
    let mut o = Optimizer::new(cfg, 2).unwrap();
    let mut p = [1.0f32, -1.0];
    o.update(&mut p, &[3.0, -0.5], 0.01);
    close(p[0], 0.99);
    close(p[1], -0.99);
    let cfg = OptimizerConfig::AdamW { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.5 };
    let mut o = Optimizer::new(cfg, 1).unwrap();
    let mut p = [2.0f32];
    o.update(&mut p, &[0.0], 0.1); // no gradient: only the decoupled decay acts
    close(p[0], 2.0 * (1.0 - 0.05));
}

#[test]
fn rmsprop_and_adagrad_by_hand() {
    let cfg = OptimizerConfig::RmsProp { lr: 0.01, alpha: 0.99, eps: 1e-8, weight_decay: 0.0, momentum: 0.0, centered: false };
    let mut o = Optimizer::new(cfg, 1).unwrap();
    let mut p = [0.0f32];
    o.update(&mut p, &[2.0], 0.01); // v = 0.01·4, step = 0.01·2/0.2
    close(p[0], -0.1);
    let cfg = OptimizerConfig::Adagrad { lr: 0.1, lr_decay: 0.0, weight_decay: 0.0, initial_accumulator_value: 0.0, eps: 1e-10 };
    let mut o = Optimizer::new(cfg, 1).unwrap();
    let mut p = [0.0f32];
    o.update(&mut p, &[3.0], 0.1);
    close(p[0], -0.1);
    o.update(&mut p, &[4.0], 0.1); // sum = 25
    close(p[0], -0.1 - 0.1 * 4.0 / 5.0);
}

#[test]
fn clipping_by_norm_and_value() {
    let mut g = [3.0f32, 4.0];
    let n = clip_by_norm(&mut g, 1.0);
    close(n, 5.0);
    close(g[0], 3.0 / (5.0 + 1e-6));
    let mut g = [0.3f32, 0.4];
    clip_by_norm(&mut g, 1.0);
    assert_eq!(g, [0.3, 0.4]);
    let mut g = [-5.0f32, 0.5, 9.0];
    clip_by_value(&mut g, 1.0);
    assert_eq!(g, [-1.0, 0.5, 1.0]);
}

#[test]
fn schedules_closed_forms() {
    close(Schedule::Step { step_size: 2, gamma: 0.5 }.lr(1.0, 5), 0.25);
    close(Schedule::Exponential { gamma: 0.9 }.lr(1.0, 2), 0.81);
    close(Schedule::Cosine { t_max: 10, eta_min: 0.0 }.lr(1.0, 5), 0.5);
    close(Schedule::Cosine { t_max: 10, eta_min: 0.1 }.lr(1.0, 10), 0.1);
    close(Schedule::Constant.lr(0.3, 100), 0.3);
}
