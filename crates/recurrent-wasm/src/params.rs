//! Parameter lookups shared by every exported model class (names, shapes, typed errors).

use crate::errors::{JsResult, option_err, to_js};
use recurrent_core::Error;
use recurrent_core::layers::{ParamSpec, ParamTable};

pub fn names(t: &ParamTable) -> Vec<String> {
    t.specs.iter().map(|s| s.name.clone()).collect()
}

/// The parameter named `name`, or E_OPTION naming it.
pub fn find<'a>(t: &'a ParamTable, name: &str) -> JsResult<&'a ParamSpec> {
    t.find(name).ok_or_else(|| option_err(format!("no parameter named '{name}'")))
}

pub fn shape(t: &ParamTable, name: &str) -> JsResult<Vec<u32>> {
    Ok(find(t, name)?.shape.iter().map(|&d| d as u32).collect())
}

/// Copies a model's whole gradient into `out` (a Float32Array of as many values, e.g. a view
/// of shared memory) in one copy; E_STATE before any backward (`ready` false), E_SHAPE when
/// the lengths differ.
pub fn copy_grads_to(grads: &[f32], ready: bool, out: &js_sys::Float32Array) -> JsResult<()> {
    if !ready {
        return Err(to_js(Error::state("getGrads() needs a backward first (a gradient or training step)")));
    }
    let n = grads.len();
    if out.length() as usize != n {
        return Err(to_js(Error::shape(format!("the gradient has {n} values; the array given holds {}", out.length()))));
    }
    out.copy_from(grads);
    Ok(())
}
