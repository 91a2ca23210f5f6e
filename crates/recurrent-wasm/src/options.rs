//! A strict reader of plain JS options objects: an unknown key is an E_OPTION error naming
//! it; values are only type-checked and converted (the core validates ranges).

use crate::errors::{JsResult, option_err, range_err};
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

pub struct Opts {
    obj: JsValue,
    path: &'static str,
}

impl Opts {
    /// `obj` must be an object whose keys are all in `allowed`; `path` prefixes messages.
    pub fn new(obj: JsValue, path: &'static str, allowed: &[&str]) -> JsResult<Opts> {
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
    /// The value at `k`; `undefined` when absent.
    pub fn get(&self, k: &str) -> JsValue {
        Reflect::get(&self.obj, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
    }
    /// A number, or None when absent (undefined or null).
    pub fn num(&self, k: &str) -> JsResult<Option<f64>> {
        let v = self.get(k);
        if v.is_undefined() || v.is_null() {
            return Ok(None);
        }
        v.as_f64().map(Some).ok_or_else(|| range_err(format!("{}.{k} must be a number", self.path)))
    }
    /// A number as f32, or None when absent.
    pub fn f32(&self, k: &str) -> JsResult<Option<f32>> {
        Ok(self.num(k)?.map(|x| x as f32))
    }
    /// Overwrites `*slot` with the number at `k` when present.
    pub fn set_f32(&self, k: &str, slot: &mut f32) -> JsResult<()> {
        if let Some(x) = self.f32(k)? {
            *slot = x;
        }
        Ok(())
    }
    /// Overwrites `*slot` with the boolean at `k` when present.
    pub fn set_flag(&self, k: &str, slot: &mut bool) -> JsResult<()> {
        let v = self.get(k);
        if v.is_undefined() {
            return Ok(());
        }
        *slot = v.as_bool().ok_or_else(|| option_err(format!("{}.{k} must be a boolean", self.path)))?;
        Ok(())
    }
    pub fn string(&self, k: &str) -> JsResult<Option<String>> {
        let v = self.get(k);
        if v.is_undefined() {
            return Ok(None);
        }
        v.as_string().map(Some).ok_or_else(|| option_err(format!("{}.{k} must be a string", self.path)))
    }
    /// An integer count at `k` (E_RANGE unless an integer in [0, max]).
    pub fn count(&self, k: &str, max: usize) -> JsResult<Option<usize>> {
        match self.num(k)? {
            None => Ok(None),
            Some(x) => crate::errors::size(&format!("{}.{k}", self.path), x, max).map(Some),
        }
    }
    /// A pair of numbers `[a, b]` at `k`, or None when absent.
    pub fn pair(&self, k: &str) -> JsResult<Option<(f32, f32)>> {
        let v = self.get(k);
        if v.is_undefined() {
            return Ok(None);
        }
        let bad = || range_err(format!("{}.{k} must be an array of two numbers", self.path));
        let arr: js_sys::Array = v.dyn_into().map_err(|_| bad())?;
        let b: Vec<f64> = arr.iter().filter_map(|x| x.as_f64()).collect();
        if b.len() != 2 || arr.length() != 2 {
            return Err(bad());
        }
        Ok(Some((b[0] as f32, b[1] as f32)))
    }
}
