//! Numeric kernels: GEMM and element-wise activations.
//!
//! Two implementations share one contract:
//! - [`simd`]: a blocked, packed GEMM with a 4-lane micro-kernel and vectorised exp,
//!   sigmoid and tanh, written against [`v4::V4`] (wasm `simd128`, or SSE2 natively);
//! - [`scalar`]: plain loops, the reference twin.
//!
//! The `active` functions re-exported here are the SIMD ones unless the `scalar` feature is
//! on. Every kernel test runs against both modules explicitly.
//!
//! Contract shared by both:
//! - `gemm(m, n, k, a, b, accumulate, c, ldc)`: C[m×n] (+)= op(A)[m×k] · op(B)[k×n], where
//!   `Mat { trans: false }` is a row-major [rows×cols] matrix with row stride `ld`, and
//!   `trans: true` means the stored matrix is the transpose ([k×m] for A, [n×k] for B).
//!   `accumulate == false` overwrites C. Results match to f32 rounding (summation order
//!   differs).
//! - `exp`, `sigmoid`, `tanh` in place: max abs error vs f64 below 2e-7 for sigmoid/tanh
//!   and relative error below 4e-7 for exp on its range (measured by the tests below).

pub mod scalar;
pub mod simd;
pub mod v4;

/// A read-only matrix operand: row-major storage with row stride `ld`, optionally transposed.
#[derive(Clone, Copy)]
pub struct Mat<'a> {
    pub data: &'a [f32],
    pub ld: usize,
    pub trans: bool,
}

impl<'a> Mat<'a> {
    /// Plain row-major matrix with row stride `ld`.
    pub fn n(data: &'a [f32], ld: usize) -> Self {
        Mat { data, ld, trans: false }
    }
    /// The transpose of a row-major matrix stored with row stride `ld`.
    pub fn t(data: &'a [f32], ld: usize) -> Self {
        Mat { data, ld, trans: true }
    }
    /// Element (i, j) of op(self).
    #[inline(always)]
    pub fn at(&self, i: usize, j: usize) -> f32 {
        if self.trans { self.data[j * self.ld + i] } else { self.data[i * self.ld + j] }
    }
}

/// Products with at most this many rows of A skip packing in the SIMD `gemm` (batch-1
/// generation, online training); callers that would pack B once for many such products
/// (a recurrent layer's W_hh) call `gemm` directly instead below this size.
pub const SMALL_M: usize = 4;

#[cfg(not(feature = "scalar"))]
pub use simd::{PackedB, exp, gemm, gemm_packed, sigmoid, tanh};

#[cfg(feature = "scalar")]
pub use scalar::{PackedB, exp, gemm, gemm_packed, sigmoid, tanh};

/// Which kernel set is active in this build ("relaxed-simd", "simd128", "sse2", "v4-portable"
/// or "scalar").
pub fn backend() -> &'static str {
    if cfg!(feature = "scalar") {
        "scalar"
    } else if cfg!(all(target_arch = "wasm32", target_feature = "simd128", target_feature = "relaxed-simd")) {
        "relaxed-simd"
    } else if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) {
        "simd128"
    } else if cfg!(target_arch = "x86_64") {
        "sse2"
    } else {
        "v4-portable"
    }
}

/// Column sums: out[j] (+)= Σ_i x[i·ld + j] for a [rows×cols] matrix (bias gradients).
pub fn col_sum_acc(x: &[f32], rows: usize, cols: usize, ld: usize, out: &mut [f32]) {
    for i in 0..rows {
        let row = &x[i * ld..i * ld + cols];
        for (o, v) in out[..cols].iter_mut().zip(row) {
            *o += *v;
        }
    }
}

#[cfg(test)]
mod tests;
