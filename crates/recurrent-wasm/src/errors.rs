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
