//! Parameter lookups shared by every exported model class (names, shapes, typed errors).

use crate::errors::{JsResult, option_err};
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
