//! Benchmark and diagnostics exports: no maths of their own.
//!
//! - `benchGemm(m, n, k, reps)` runs the core's GEMM, C[m×n] = A[m×k] · B[n×k]ᵀ, `reps`
//!   times on internal buffers (the same call the layers make for an input projection: B is
//!   packed inside every call). It times nothing itself: the caller times the call. The
//!   buffers hold fixed values and are reused (reallocated only when a shape needs more).
//! - `wasmMemoryBytes()` is the current size of the module's linear memory, so tests can check
//!   that a training step of a fixed shape stops growing it after the first step.

use recurrent_core::kernels::{self, Mat};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    static BUFS: RefCell<[Vec<f32>; 3]> = const { RefCell::new([Vec::new(), Vec::new(), Vec::new()]) };
}

fn fill(v: &mut Vec<f32>, n: usize, seed: usize) {
    if v.len() != n {
        v.clear();
        v.extend((0..n).map(|i| ((i * 7919 + seed) % 1000) as f32 / 1000.0 - 0.5));
    }
}

/// Runs C = A·Bᵀ (A [m×k], B [n×k], C [m×n], all row-major) `reps` times; returns C[0] so
/// the work stays observable. reps = 0 only prepares the buffers.
#[wasm_bindgen(js_name = benchGemm)]
pub fn bench_gemm(m: u32, n: u32, k: u32, reps: u32) -> f32 {
    let (m, n, k) = (m.max(1) as usize, n.max(1) as usize, k.max(1) as usize);
    BUFS.with(|b| {
        let [a, bt, c] = &mut *b.borrow_mut();
        fill(a, m * k, 1);
        fill(bt, n * k, 2);
        c.resize(m * n, 0.0);
        for _ in 0..reps {
            kernels::gemm(m, n, k, Mat::n(a, k), Mat::t(bt, k), false, c, n);
        }
        c[0]
    })
}

/// Bytes of linear memory the module holds now (memory 0).
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        (core::arch::wasm32::memory_size(0) * 65536) as f64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0.0
    }
}
