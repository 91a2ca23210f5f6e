//! Size limits, checked before anything is allocated so that no size can overflow, wrap or
//! ask for unbounded memory (wasm32 has a 4 GiB address space). Every limit is inclusive.

use crate::error::{Error, Result};

/// Units of a recurrent layer, width of an embedding or dense layer, features per step,
/// vocabulary size: any one dimension.
pub const MAX_DIM: usize = 1 << 20;
/// Hidden units of one recurrent layer (its [G·H, H] weights must fit: 4·4096² = 64 Mi floats).
pub const MAX_UNITS: usize = 4096;
/// Stacked layers in one recurrent layer.
pub const MAX_LAYERS: usize = 64;
/// Scalars in one model's parameter arena (256 Mi floats = 1 GiB).
pub const MAX_PARAMS: usize = 1 << 28;
/// Rows in one batch (B).
pub const MAX_BATCH: usize = 1 << 20;
/// Time steps in one batch (T).
pub const MAX_STEPS: usize = 1 << 24;
/// B·T·width of any one activation of a batch (64 Mi floats = 256 MiB).
pub const MAX_BATCH_ELEMENTS: usize = 1 << 26;

/// A size given as any number (as JS passes it): E_RANGE naming `what` unless it is an
/// integer in [0, max].
pub fn size(what: &str, x: f64, max: usize) -> Result<usize> {
    if !(x.is_finite() && x.fract() == 0.0 && x >= 0.0) {
        return Err(Error::range(format!("{what} = {x} must be a whole number ≥ 0")));
    }
    if x > max as f64 {
        return Err(Error::range(format!("{what} = {x} is above the limit of {max}")));
    }
    Ok(x as usize)
}

/// a · b, or E_RANGE naming `what` when the product exceeds `max` (or overflows).
pub fn product(what: &str, factors: &[usize], max: usize) -> Result<usize> {
    let mut p: usize = 1;
    for &f in factors {
        p = p.checked_mul(f).filter(|&p| p <= max).ok_or_else(|| {
            Error::range(format!(
                "{what} ({}) is above the limit of {max}",
                factors.iter().map(|f| f.to_string()).collect::<Vec<_>>().join(" × ")
            ))
        })?;
    }
    Ok(p)
}
