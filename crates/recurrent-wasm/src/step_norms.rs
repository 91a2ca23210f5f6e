//! Per-step gradient norms as plain JS objects `{ name, rows, steps, h, c? }` (h and c fresh
//! `Float32Array`s [rows, steps]; c only for the LSTM), shared by `Model` and `RecurrentLayer`.

use crate::errors::JsResult;
use js_sys::{Array, Float32Array, Object, Reflect};
use recurrent_core::layers::step_norms::StepNorms;
use wasm_bindgen::prelude::*;

fn set(o: &Object, k: &str, v: &JsValue) -> JsResult<()> {
    Reflect::set(o, &JsValue::from_str(k), v).map(|_| ())
}

/// One object per (name, norms).
pub fn to_js<'a>(entries: impl IntoIterator<Item = (&'a str, &'a StepNorms)>) -> JsResult<Array> {
    let out = Array::new();
    for (name, n) in entries {
        let o = Object::new();
        set(&o, "name", &JsValue::from_str(name))?;
        set(&o, "rows", &JsValue::from(n.rows as u32))?;
        set(&o, "steps", &JsValue::from(n.steps as u32))?;
        set(&o, "h", &Float32Array::from(n.h.as_slice()).into())?;
        if !n.c.is_empty() {
            set(&o, "c", &Float32Array::from(n.c.as_slice()).into())?;
        }
        out.push(&o);
    }
    Ok(out)
}
