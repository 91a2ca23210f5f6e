//! recurrent-wasm: the wasm-bindgen boundary over `recurrent-core`. No maths here.
//!
//! - Rust snake_case names are exported camelCase.
//! - Core errors become JS `RangeError` / `TypeError` objects with a stable `code` field
//!   (E_SHAPE, E_RANGE, E_NONFINITE, E_OPTION, E_STATE); nothing reachable from JS panics.
//! - Arrays cross as copies (`&[f32]` in, `Vec<f32>` out → fresh typed arrays).
//! - Sizes cross as JS numbers and become integers through one checked conversion
//!   (`errors::size`: E_RANGE for fractions, negatives and anything too large), so nothing
//!   wraps; options cross as plain objects read strictly by `options::Opts`. Defaults,
//!   limits and validation are the core's; core field names in messages become the JS
//!   option names (`errors::js_named`).

mod bench;
mod ctc;
mod errors;
mod layer;
mod model;
mod options;
mod params;
mod seq2seq;
mod step_norms;
mod trainer;

use wasm_bindgen::prelude::*;

/// The kernel set compiled into this module: "simd128" for the shipped build.
#[wasm_bindgen(js_name = kernelBackend)]
pub fn kernel_backend() -> String {
    recurrent_core::kernels::backend().to_string()
}

/// Version of the core crate.
#[wasm_bindgen(js_name = coreVersion)]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
