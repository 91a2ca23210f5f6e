//! `Trainer`: optimizer + clipping + schedule over a `Model`, configured from a plain JS
//! object whose keys are checked strictly (an unknown key is an E_OPTION error naming it).
//!
//! Config: { loss: "crossEntropy" | "mse" | "crf",
//!           optimizer: { name: "sgd" | "adam" | "adamw" | "rmsprop" | "adagrad", lr, ... },
//!           clipNorm?, clipValue?,
//!           schedule?: { name: "constant" | "step" | "exponential" | "cosine", ... } }

use crate::errors::{IntoJs, JsResult, option_err, range_err};
use crate::model::{WasmModel, batch, lengths, parse_loss, targets};
use js_sys::{Object, Reflect};
use recurrent_core::model::train::{TrainConfig, Trainer};
use recurrent_core::optim::schedule::Schedule;
use recurrent_core::optim::{Optimizer, OptimizerConfig};
use wasm_bindgen::prelude::*;

/// Reads a plain object, refusing keys outside `allowed`.
struct Opts {
    obj: JsValue,
    path: &'static str,
}

impl Opts {
    fn new(obj: JsValue, path: &'static str, allowed: &[&str]) -> JsResult<Opts> {
        if !obj.is_object() {
            return Err(option_err(format!("{path} must be an object")));
        }
        let o: &Object = obj.unchecked_ref();
        for k in Object::keys(o).iter() {
            let k = k.as_string().unwrap_or_default();
            if !allowed.contains(&k.as_str()) {
                return Err(option_err(format!("unknown option {path}.{k} (allowed: {})", allowed.join(", "))));
            }
        }
        Ok(Opts { obj, path })
    }
    fn get(&self, k: &str) -> JsValue {
        Reflect::get(&self.obj, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
    }
    fn num(&self, k: &str, default: Option<f64>) -> JsResult<f64> {
        let v = self.get(k);
        if v.is_undefined() {
            return default.ok_or_else(|| option_err(format!("{}.{k} is required", self.path)));
        }
        match v.as_f64() {
            Some(x) if x.is_finite() => Ok(x),
            _ => Err(range_err(format!("{}.{k} must be a finite number", self.path))),
        }
    }
    fn nonneg(&self, k: &str, default: Option<f64>) -> JsResult<f32> {
        let x = self.num(k, default)?;
        if x < 0.0 {
            return Err(range_err(format!("{}.{k} = {x} must be ≥ 0", self.path)));
        }
        Ok(x as f32)
    }
    fn unit(&self, k: &str, default: f64) -> JsResult<f32> {
        let x = self.num(k, Some(default))?;
        if !(0.0..1.0).contains(&x) {
            return Err(range_err(format!("{}.{k} = {x} must be in [0, 1)", self.path)));
        }
        Ok(x as f32)
    }
    fn flag(&self, k: &str) -> JsResult<bool> {
        let v = self.get(k);
        if v.is_undefined() {
            return Ok(false);
        }
        v.as_bool().ok_or_else(|| option_err(format!("{}.{k} must be a boolean", self.path)))
    }
    fn string(&self, k: &str) -> JsResult<Option<String>> {
        let v = self.get(k);
        if v.is_undefined() {
            return Ok(None);
        }
        v.as_string().map(Some).ok_or_else(|| option_err(format!("{}.{k} must be a string", self.path)))
    }
    fn betas(&self) -> JsResult<(f32, f32)> {
        let v = self.get("betas");
        if v.is_undefined() {
            return Ok((0.9, 0.999));
        }
        let arr: js_sys::Array = v.dyn_into().map_err(|_| option_err(format!("{}.betas must be [beta1, beta2]", self.path)))?;
        let b: Vec<f64> = arr.iter().filter_map(|x| x.as_f64()).collect();
        if b.len() != 2 || arr.length() != 2 || !b.iter().all(|x| (0.0..1.0).contains(x)) {
            return Err(range_err(format!("{}.betas must be two numbers in [0, 1)", self.path)));
        }
        Ok((b[0] as f32, b[1] as f32))
    }
}

fn parse_optimizer(v: JsValue) -> JsResult<OptimizerConfig> {
    let name = Opts::new(
        v.clone(),
        "optimizer",
        &[
            "name",
            "lr",
            "momentum",
            "dampening",
            "weightDecay",
            "nesterov",
            "betas",
            "eps",
            "alpha",
            "centered",
            "lrDecay",
            "initialAccumulatorValue",
        ],
    )?
    .string("name")?
    .ok_or_else(|| option_err("optimizer.name is required"))?;
    let allowed: &[&str] = match name.as_str() {
        "sgd" => &["name", "lr", "momentum", "dampening", "weightDecay", "nesterov"],
        "adam" | "adamw" => &["name", "lr", "betas", "eps", "weightDecay"],
        "rmsprop" => &["name", "lr", "alpha", "eps", "weightDecay", "momentum", "centered"],
        "adagrad" => &["name", "lr", "lrDecay", "weightDecay", "initialAccumulatorValue", "eps"],
        _ => return Err(option_err(format!("optimizer.name '{name}' is not one of sgd, adam, adamw, rmsprop, adagrad"))),
    };
    let o = Opts::new(v, "optimizer", allowed)?;
    Ok(match name.as_str() {
        "sgd" => {
            let cfg = OptimizerConfig::Sgd {
                lr: o.nonneg("lr", None)?,
                momentum: o.nonneg("momentum", Some(0.0))?,
                dampening: o.unit("dampening", 0.0)?,
                weight_decay: o.nonneg("weightDecay", Some(0.0))?,
                nesterov: o.flag("nesterov")?,
            };
            if let OptimizerConfig::Sgd { nesterov: true, momentum, dampening, .. } = cfg {
                if momentum <= 0.0 || dampening != 0.0 {
                    return Err(option_err("optimizer.nesterov needs momentum > 0 and dampening = 0"));
                }
            }
            cfg
        }
        "adam" | "adamw" => {
            let (beta1, beta2) = o.betas()?;
            let (lr, eps) = (o.nonneg("lr", Some(1e-3))?, o.nonneg("eps", Some(1e-8))?);
            if name == "adam" {
                OptimizerConfig::Adam { lr, beta1, beta2, eps, weight_decay: o.nonneg("weightDecay", Some(0.0))? }
            } else {
                OptimizerConfig::AdamW { lr, beta1, beta2, eps, weight_decay: o.nonneg("weightDecay", Some(1e-2))? }
            }
        }
        "rmsprop" => OptimizerConfig::RmsProp {
            lr: o.nonneg("lr", Some(1e-2))?,
            alpha: o.unit("alpha", 0.99)?,
            eps: o.nonneg("eps", Some(1e-8))?,
            weight_decay: o.nonneg("weightDecay", Some(0.0))?,
            momentum: o.nonneg("momentum", Some(0.0))?,
            centered: o.flag("centered")?,
        },
        _ => OptimizerConfig::Adagrad {
            lr: o.nonneg("lr", Some(1e-2))?,
            lr_decay: o.nonneg("lrDecay", Some(0.0))?,
            weight_decay: o.nonneg("weightDecay", Some(0.0))?,
            initial_accumulator_value: o.nonneg("initialAccumulatorValue", Some(0.0))?,
            eps: o.nonneg("eps", Some(1e-10))?,
        },
    })
}

fn parse_schedule(v: JsValue) -> JsResult<Schedule> {
    if v.is_undefined() || v.is_null() {
        return Ok(Schedule::Constant);
    }
    let name = Opts::new(v.clone(), "schedule", &["name", "stepSize", "gamma", "tMax", "etaMin"])?
        .string("name")?
        .unwrap_or_else(|| "constant".into());
    let pos_int = |o: &Opts, k: &str| -> JsResult<u32> {
        let x = o.num(k, None)?;
        if x < 1.0 || x.fract() != 0.0 || x > u32::MAX as f64 {
            return Err(range_err(format!("schedule.{k} = {x} must be a positive integer")));
        }
        Ok(x as u32)
    };
    Ok(match name.as_str() {
        "constant" => {
            Opts::new(v, "schedule", &["name"])?;
            Schedule::Constant
        }
        "step" => {
            let o = Opts::new(v, "schedule", &["name", "stepSize", "gamma"])?;
            Schedule::Step { step_size: pos_int(&o, "stepSize")?, gamma: o.nonneg("gamma", Some(0.1))? }
        }
        "exponential" => {
            let o = Opts::new(v, "schedule", &["name", "gamma"])?;
            Schedule::Exponential { gamma: o.nonneg("gamma", None)? }
        }
        "cosine" => {
            let o = Opts::new(v, "schedule", &["name", "tMax", "etaMin"])?;
            Schedule::Cosine { t_max: pos_int(&o, "tMax")?, eta_min: o.nonneg("etaMin", Some(0.0))? }
        }
        _ => return Err(option_err(format!("schedule.name '{name}' is not one of constant, step, exponential, cosine"))),
    })
}

#[wasm_bindgen(js_name = Trainer)]
pub struct WasmTrainer {
    t: Trainer,
}

#[wasm_bindgen(js_class = Trainer)]
impl WasmTrainer {
    #[wasm_bindgen(constructor)]
    pub fn new(model: &WasmModel, config: JsValue) -> JsResult<WasmTrainer> {
        let o = Opts::new(config, "compile", &["loss", "optimizer", "clipNorm", "clipValue", "schedule"])?;
        let loss = parse_loss(&o.string("loss")?.unwrap_or_else(|| "crossEntropy".into()))?;
        let optimizer = parse_optimizer(o.get("optimizer"))?;
        let opt_num = |k: &str| -> JsResult<Option<f32>> {
            if o.get(k).is_undefined() || o.get(k).is_null() { Ok(None) } else { Ok(Some(o.num(k, None)? as f32)) }
        };
        let cfg = TrainConfig {
            loss,
            optimizer,
            clip_norm: opt_num("clipNorm")?,
            clip_value: opt_num("clipValue")?,
            schedule: parse_schedule(o.get("schedule"))?,
        };
        Ok(WasmTrainer { t: Trainer::new(cfg, &model.m).js()? })
    }

    /// One update. Returns [loss, gradNormBeforeClip, countedRows, lr].
    #[allow(clippy::too_many_arguments)]
    pub fn step(
        &mut self,
        model: &mut WasmModel,
        ids: &[u32],
        features: &[f32],
        batch_size: u32,
        steps: u32,
        lengths_: &[u32],
        classes: &[i32],
        values: &[f32],
    ) -> JsResult<Vec<f32>> {
        let ls = lengths(lengths_);
        let tg = targets(classes, values)?;
        let s = self.t.step(&mut model.m, &batch(ids, features, batch_size, steps, &ls), tg).js()?;
        model.grads_ready = true;
        Ok(vec![s.loss, s.grad_norm, s.count as f32, s.lr])
    }

    /// Truncated BPTT over ids/targets [B, T] in windows of `window` steps (state carried,
    /// detached, one update per window). Returns [loss, gradNorm] per window, flattened.
    #[wasm_bindgen(js_name = stepTbptt)]
    pub fn step_tbptt(
        &mut self,
        model: &mut WasmModel,
        ids: &[u32],
        classes: &[i32],
        batch_size: u32,
        steps: u32,
        window: u32,
    ) -> JsResult<Vec<f32>> {
        let stats = self.t.step_tbptt(&mut model.m, batch_size as usize, steps as usize, ids, classes, window as usize).js()?;
        model.grads_ready |= !stats.is_empty();
        Ok(stats.iter().flat_map(|s| [s.loss, s.grad_norm]).collect())
    }

    /// Advances the learning-rate schedule by one (call once per epoch).
    #[wasm_bindgen(js_name = scheduleStep)]
    pub fn schedule_step(&mut self) {
        self.t.schedule_step();
    }
    pub fn lr(&self) -> f32 {
        self.t.lr()
    }
    /// Optimizer steps taken.
    #[wasm_bindgen(js_name = stepCount)]
    pub fn step_count(&self) -> f64 {
        self.t.opt.step as f64
    }

    /// Optimizer state for checkpoints: [step, scheduleSteps, s1…, s2…, s3…] as f64 words
    /// split into f32 slots (step counts are exact up to 2^24 per word pair).
    #[wasm_bindgen(js_name = getState)]
    pub fn get_state(&self) -> Vec<f32> {
        let o = &self.t.opt;
        let mut v = Vec::with_capacity(4 + 3 * o.s1.len());
        let split = |x: u64| [(x >> 24) as f32, (x & 0xFF_FFFF) as f32];
        v.extend(split(o.step));
        v.extend(split(self.t.schedule_steps as u64));
        v.extend_from_slice(&o.s1);
        v.extend_from_slice(&o.s2);
        v.extend_from_slice(&o.s3);
        v
    }
    #[wasm_bindgen(js_name = setState)]
    pub fn set_state(&mut self, v: &[f32]) -> JsResult<()> {
        let n = self.t.opt.s1.len();
        if v.len() != 4 + 3 * n {
            return Err(range_err(format!("optimizer state has {} values; expected {} for this model", v.len(), 4 + 3 * n)));
        }
        if v.iter().any(|x| !x.is_finite()) {
            return Err(range_err("optimizer state holds NaN or infinity"));
        }
        let join = |a: f32, b: f32| ((a as u64) << 24) | b as u64;
        let o: &mut Optimizer = &mut self.t.opt;
        o.step = join(v[0], v[1]);
        self.t.schedule_steps = join(v[2], v[3]) as u32;
        o.s1.copy_from_slice(&v[4..4 + n]);
        o.s2.copy_from_slice(&v[4 + n..4 + 2 * n]);
        o.s3.copy_from_slice(&v[4 + 2 * n..]);
        Ok(())
    }
}
