//! Benchmark and diagnostics exports: no maths of their own.
//!
//! - `benchGemm(m, n, k, reps)` runs the core's GEMM, C[m×n] = A[m×k] · B[n×k]ᵀ, `reps`
//!   times on internal buffers (the same call the layers make for an input projection: B is
//!   packed inside every call). It times nothing itself: the caller times the call. The
//!   buffers hold fixed values and are reused (reallocated only when a shape needs more).
//! - `benchMicroKernel(kc, reps)` runs the GEMM's own micro-kernel `reps` times on one A and
//!   one B panel of depth `kc` that stay in L1: the ceiling a GEMM of this build can reach on
//!   this machine (simd128: `f32x4.mul` + `f32x4.add`; the relaxed build: `f32x4.relaxed_madd`).
//! - `wasmMemoryBytes()` is the current size of the module's linear memory, so tests can check
//!   that a training step of a fixed shape stops growing it after the first step.

use recurrent_core::kernels::simd::MR;
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

/// The GEMM's ceiling: the packed micro-kernel (`kernels::simd`, MR×NR tile of C in
/// registers) `reps` times over one A panel [kc×MR] and one B panel [kc×NR] that fit in L1
/// (kc of a few hundred), with no packing and no edge tiles. Returns the flops it did
/// (2·MR·NR·kc·reps), so the caller, which times the call, gets GFLOP/s without knowing the
/// tile.
#[wasm_bindgen(js_name = benchMicroKernel)]
pub fn bench_micro_kernel(kc: u32, reps: u32) -> f64 {
    let mut out = 0.0;
    let flops = kernels::simd::micro_kernel_ceiling(kc as usize, reps as usize, &mut out);
    std::hint::black_box(out);
    flops
}

/// The micro-kernel tiles (rows × 8) `benchGemmTile` and `benchMicroKernelTile` can run: every
/// tile the bench compares with the `bench-tiles` feature, else the build's own.
#[cfg(feature = "bench-tiles")]
const TILES: &[u32] = &[4, 5, 6, 8];
#[cfg(not(feature = "bench-tiles"))]
const TILES: &[u32] = &[MR as u32];

/// `benchGemm` with an R-row micro-kernel tile (one of `benchTiles`) instead of the build's own:
/// how `bench/tiles.mjs` compares the tiles a build could ship. `prepacked` packs B once before
/// the repetitions (as a recurrent layer packs W_hh once per pass for its per-step products)
/// instead of inside every call. Returns NaN for an R this build does not have.
#[wasm_bindgen(js_name = benchGemmTile)]
pub fn bench_gemm_tile(m: u32, n: u32, k: u32, reps: u32, rows: u32, prepacked: bool) -> f32 {
    use kernels::simd::{PackedB, gemm_packed_tile as g};
    let (m, n, k) = (m.max(1) as usize, n.max(1) as usize, k.max(1) as usize);
    let gemm: fn(usize, Mat, &PackedB, bool, &mut [f32], usize) = match rows {
        r if r as usize == MR => g::<MR>,
        #[cfg(feature = "bench-tiles")]
        4 => g::<4>,
        #[cfg(feature = "bench-tiles")]
        5 => g::<5>,
        #[cfg(feature = "bench-tiles")]
        6 => g::<6>,
        #[cfg(feature = "bench-tiles")]
        8 => g::<8>,
        _ => return f32::NAN,
    };
    packed_gemm_reps((m, n, k), reps, prepacked, |p, bt| p.pack(k, n, Mat::t(bt, k)), |a, p, c| gemm(m, Mat::n(a, k), p, false, c, n))
}

/// `benchGemm` with the build's own tile and blocks of `kc` rows of B and `mc` rows of A instead
/// of the shipped ones: how `bench/blocking.mjs` compares block sizes. `prepacked` as in
/// `benchGemmTile`.
#[wasm_bindgen(js_name = benchGemmBlocking)]
pub fn bench_gemm_blocking(m: u32, n: u32, k: u32, reps: u32, kc: u32, mc: u32, prepacked: bool) -> f32 {
    use kernels::simd::gemm_packed_blocked;
    let (m, n, k) = (m.max(1) as usize, n.max(1) as usize, k.max(1) as usize);
    packed_gemm_reps(
        (m, n, k),
        reps,
        prepacked,
        |p, bt| p.pack_blocked(k, n, Mat::t(bt, k), kc as usize),
        |a, p, c| gemm_packed_blocked(m, Mat::n(a, k), p, false, c, n, mc as usize),
    )
}

/// The two GEMM benches' loop: A [m, k] and Bᵀ [n, k] filled, `reps` products into C [m, n],
/// B packed by `pack` before each (or once, when `prepacked`); returns C[0] so the work is kept.
fn packed_gemm_reps(
    (m, n, k): (usize, usize, usize),
    reps: u32,
    prepacked: bool,
    pack: impl Fn(&mut kernels::simd::PackedB, &[f32]),
    gemm: impl Fn(&[f32], &kernels::simd::PackedB, &mut [f32]),
) -> f32 {
    BUFS.with(|b| {
        let [a, bt, c] = &mut *b.borrow_mut();
        fill(a, m * k, 1);
        fill(bt, n * k, 2);
        c.resize(m * n, 0.0);
        let mut packed = kernels::simd::PackedB::new();
        for i in 0..reps {
            if i == 0 || !prepacked {
                pack(&mut packed, bt);
            }
            gemm(a, &packed, c);
        }
        c[0]
    })
}

/// `benchMicroKernel` with an R-row tile (one of `benchTiles`); NaN for another R.
#[wasm_bindgen(js_name = benchMicroKernelTile)]
pub fn bench_micro_kernel_tile(kc: u32, reps: u32, rows: u32) -> f64 {
    let (kc, reps, mut out) = (kc as usize, reps as usize, 0.0);
    let flops = match rows {
        r if r as usize == MR => kernels::simd::micro_kernel_ceiling_tile::<MR>(kc, reps, &mut out),
        #[cfg(feature = "bench-tiles")]
        4 => kernels::simd::micro_kernel_ceiling_tile::<4>(kc, reps, &mut out),
        #[cfg(feature = "bench-tiles")]
        5 => kernels::simd::micro_kernel_ceiling_tile::<5>(kc, reps, &mut out),
        #[cfg(feature = "bench-tiles")]
        6 => kernels::simd::micro_kernel_ceiling_tile::<6>(kc, reps, &mut out),
        #[cfg(feature = "bench-tiles")]
        8 => kernels::simd::micro_kernel_ceiling_tile::<8>(kc, reps, &mut out),
        _ => return f64::NAN,
    };
    std::hint::black_box(out);
    flops
}

/// The tiles the two exports above accept, and this build's own (the last entry).
#[wasm_bindgen(js_name = benchTiles)]
pub fn bench_tiles() -> Vec<u32> {
    let mut t = TILES.to_vec();
    t.push(MR as u32);
    t
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
