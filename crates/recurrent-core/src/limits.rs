//! Size limits, checked with overflow-free arithmetic before anything is allocated, so that
//! no size can wrap (usize is 32 bits on wasm32), trap, or ask for unbounded memory (wasm32
//! has a 4 GiB address space). Every limit is inclusive; exceeding one is E_RANGE naming the
//! argument.

use crate::error::{Error, Result};

/// Width of any one input, embedding or dense layer, and any vocabulary.
pub const MAX_DIM: usize = 1 << 20;
/// Most token ids per step (`input.slots`).
pub const MAX_SLOTS: usize = 64;
/// Hidden units of one recurrent layer (per direction).
pub const MAX_UNITS: usize = 1 << 14;
/// Stacked layers in one recurrent layer (or encoder / decoder).
pub const MAX_LAYERS: usize = 64;
/// Scalars in one model's parameters (64 Mi floats = 256 MiB; training holds up to five
/// more arrays of this size: gradients, three optimizer slots, the rollback copy).
pub const MAX_PARAMS: usize = 1 << 26;
/// Rows in one batch (B).
pub const MAX_BATCH: usize = 1 << 20;
/// Time steps in one batch (T), and the length of one source or target sequence.
pub const MAX_STEPS: usize = 1 << 24;
/// Floats of activations (and their gradients) one batch may hold in all: B · T · (the
/// floats a forward and backward keep per row and step, over every layer): 128 Mi floats,
/// 512 MiB.
pub const MAX_BATCH_ELEMENTS: usize = 1 << 27;
/// Tokens one `generate` call may produce.
pub const MAX_GENERATE_TOKENS: usize = 10_000_000;

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

/// E_RANGE naming `what` unless 1 ≤ v ≤ max.
pub fn check_between(what: &str, v: usize, max: usize) -> Result<()> {
    if v == 0 || v > max {
        return Err(Error::range(format!("{what} = {v} must be between 1 and {max}")));
    }
    Ok(())
}

/// The product of `factors`, or E_RANGE naming `what` when it exceeds `max` (no overflow).
pub fn product(what: &str, factors: &[usize], max: usize) -> Result<usize> {
    let too_big = || {
        let fs: Vec<String> = factors.iter().map(|f| f.to_string()).collect();
        Error::range(format!("{what} = {} is above the limit of {max}", fs.join(" × ")))
    };
    let mut p: usize = 1;
    for &f in factors {
        p = p.checked_mul(f).ok_or_else(too_big)?;
    }
    if p > max { Err(too_big()) } else { Ok(p) }
}

/// The sum of `xs`, or E_RANGE naming `what` when it exceeds `max` (no overflow).
pub fn sum(what: &str, xs: &[usize], max: usize) -> Result<usize> {
    let mut s: usize = 0;
    for &x in xs {
        s = s.checked_add(x).filter(|&s| s <= max).ok_or_else(|| Error::range(format!("{what} add up to more than the limit of {max}")))?;
    }
    Ok(s)
}

/// A zeroed vector of `n` floats, or E_RANGE naming `what` when the memory is not available.
pub fn zeros(what: &str, n: usize) -> Result<Vec<f32>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| Error::range(format!("{what}: not enough memory for {n} values")))?;
    v.resize(n, 0.0);
    Ok(v)
}
