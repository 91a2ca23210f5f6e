//! Core errors → JS errors with a `code` property.

use recurrent_core::{Error, ErrorKind};
use wasm_bindgen::prelude::*;

pub fn to_js(e: Error) -> JsValue {
    let err: js_sys::Error = match e.kind {
        ErrorKind::Range => js_sys::RangeError::new(&e.message).into(),
        ErrorKind::Type => js_sys::TypeError::new(&e.message).into(),
    };
    let _ = js_sys::Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(e.code));
    err.into()
}

pub type JsResult<T> = Result<T, JsValue>;

pub trait IntoJs<T> {
    fn js(self) -> JsResult<T>;
}

impl<T> IntoJs<T> for recurrent_core::Result<T> {
    fn js(self) -> JsResult<T> {
        self.map_err(to_js)
    }
}

pub fn option_err(msg: impl Into<String>) -> JsValue {
    to_js(Error::option(msg))
}

pub fn range_err(msg: impl Into<String>) -> JsValue {
    to_js(Error::range(msg))
}

/// Core field names in messages → the JS option names the SDK documents.
const JS_TERMS: &[(&str, &str)] = &[
    ("clip_norm", "clipNorm"),
    ("clip_value", "clipValue"),
    ("weight_decay", "weightDecay"),
    ("lr_decay", "lrDecay"),
    ("initial_accumulator_value", "initialAccumulatorValue"),
    ("step_size", "stepSize"),
    ("t_max", "tMax"),
    ("eta_min", "etaMin"),
    ("n_best", "nBest"),
    ("max_len", "maxLength"),
    ("max_tokens", "maxTokens"),
    ("top_p", "topP"),
    ("src_vocab", "srcVocab"),
    ("tgt_vocab", "tgtVocab"),
    ("enc_hidden", "encoderUnits"),
    ("enc_layers", "encoderLayers"),
    ("dec_hidden", "decoderUnits"),
    ("dec_layers", "decoderLayers"),
];

/// Like `IntoJs::js`, with the core's field names replaced by the JS option names.
pub fn js_named<T>(r: recurrent_core::Result<T>) -> JsResult<T> {
    r.map_err(|mut e| {
        for (core, js) in JS_TERMS {
            e.message = e.message.replace(core, js);
        }
        to_js(e)
    })
}

/// A size from JS (any number): E_RANGE naming `what` unless an integer in [0, max].
pub fn size(what: &str, x: f64, max: usize) -> JsResult<usize> {
    recurrent_core::limits::size(what, x, max).js()
}
