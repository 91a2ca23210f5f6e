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
    ("return_sequences", "returnSequences"),
    ("src_vocab", "srcVocab"),
    ("tgt_vocab", "tgtVocab"),
    ("enc_hidden", "encoderUnits"),
    ("enc_layers", "encoderLayers"),
    ("dec_hidden", "decoderUnits"),
    ("dec_layers", "decoderLayers"),
];

/// Like `IntoJs::js`, with the core's field names replaced by the JS option names (whole
/// words only, so names chosen by the user stay as they are).
pub fn js_named<T>(r: recurrent_core::Result<T>) -> JsResult<T> {
    r.map_err(|mut e| {
        for (core, js) in JS_TERMS {
            e.message = replace_word(&e.message, core, js);
        }
        to_js(e)
    })
}

/// `text` with every occurrence of `word` that is not part of a longer identifier replaced.
fn replace_word(text: &str, word: &str, by: &str) -> String {
    let is_ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(word) {
        let before = rest[..i].chars().next_back().or_else(|| out.chars().next_back());
        let after = rest[i + word.len()..].chars().next();
        out.push_str(&rest[..i]);
        out.push_str(if is_ident(before) || is_ident(after) { word } else { by });
        rest = &rest[i + word.len()..];
    }
    out.push_str(rest);
    out
}

/// A size from JS (any number): E_RANGE naming `what` unless an integer in [0, max].
pub fn size(what: &str, x: f64, max: usize) -> JsResult<usize> {
    recurrent_core::limits::size(what, x, max).js()
}

#[cfg(test)]
mod tests {
    use super::replace_word;

    #[test]
    fn replaces_whole_words_only() {
        assert_eq!(replace_word("optimizer.weight_decay = -1", "weight_decay", "weightDecay"), "optimizer.weightDecay = -1");
        assert_eq!(
            replace_word("layer name 'my_clip_norm' and clip_norm", "clip_norm", "clipNorm"),
            "layer name 'my_clip_norm' and clipNorm"
        );
        assert_eq!(replace_word("clip_normclip_norm clip_norm", "clip_norm", "clipNorm"), "clip_normclip_norm clipNorm");
    }
}
