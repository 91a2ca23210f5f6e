//! Typed errors. The wasm boundary maps `kind` to a JS error class (RangeError / TypeError)
//! and `code` to a stable `code` field.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// A value outside its allowed range or an array of the wrong length → RangeError.
    Range,
    /// A wrong type, unknown option or invalid combination → TypeError.
    Type,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    /// Stable machine-readable code, e.g. "E_SHAPE".
    pub code: &'static str,
    pub message: String,
}

impl Error {
    /// Wrong array length / shape.
    pub fn shape(msg: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Range, code: "E_SHAPE", message: msg.into() }
    }
    /// A value out of range (ids, lengths, sizes).
    pub fn range(msg: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Range, code: "E_RANGE", message: msg.into() }
    }
    /// NaN or infinity in an input.
    pub fn non_finite(msg: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Range, code: "E_NONFINITE", message: msg.into() }
    }
    /// Unknown or invalid option / configuration.
    pub fn option(msg: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Type, code: "E_OPTION", message: msg.into() }
    }
    /// Called in the wrong order (e.g. backward before forward).
    pub fn state(msg: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Type, code: "E_STATE", message: msg.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// Errors with E_NONFINITE naming `what` if any value is NaN or infinite.
pub fn check_finite(what: &str, xs: &[f32]) -> Result<()> {
    match xs.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(Error::non_finite(format!("{what}[{i}] is {} (inputs must be finite)", xs[i]))),
        None => Ok(()),
    }
}

/// Errors with E_SHAPE unless `xs.len() == want`.
pub fn check_len<T>(what: &str, xs: &[T], want: usize, shape: &str) -> Result<()> {
    if xs.len() == want { Ok(()) } else { Err(Error::shape(format!("{what} has {} values; expected {want} ({shape})", xs.len()))) }
}
