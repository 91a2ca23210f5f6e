//! Scalar reference kernels: the twin of `simd.rs`, same contract (see `kernels/mod.rs`).

use super::Mat;

/// op(B) copied to row-major [k×n] once, for repeated products with the same B.
#[derive(Default, Clone)]
pub struct PackedB {
    data: Vec<f32>,
    k: usize,
    n: usize,
}

impl PackedB {
    pub fn new() -> Self {
        Self::default()
    }
    /// Packs op(B)[k×n]; reuses the allocation when it is large enough.
    pub fn pack(&mut self, k: usize, n: usize, b: Mat) {
        self.k = k;
        self.n = n;
        self.data.clear();
        self.data.resize(k * n, 0.0);
        for p in 0..k {
            for j in 0..n {
                self.data[p * n + j] = b.at(p, j);
            }
        }
    }
    pub fn k(&self) -> usize {
        self.k
    }
    pub fn n(&self) -> usize {
        self.n
    }
}

/// C[m×n] (+)= op(A)[m×k] · op(B)[k×n].
#[allow(clippy::too_many_arguments)] // the BLAS sgemm signature
pub fn gemm(m: usize, n: usize, k: usize, a: Mat, b: Mat, accumulate: bool, c: &mut [f32], ldc: usize) {
    for i in 0..m {
        let row = &mut c[i * ldc..i * ldc + n];
        if !accumulate {
            row.fill(0.0);
        }
        for p in 0..k {
            let av = a.at(i, p);
            if av == 0.0 {
                continue;
            }
            for (j, cv) in row.iter_mut().enumerate() {
                *cv += av * b.at(p, j);
            }
        }
    }
}

/// C[m×n] (+)= op(A)[m×k] · B, with B packed by [`PackedB::pack`].
pub fn gemm_packed(m: usize, a: Mat, b: &PackedB, accumulate: bool, c: &mut [f32], ldc: usize) {
    gemm(m, b.n, b.k, a, Mat::n(&b.data, b.n), accumulate, c, ldc)
}

pub fn exp(x: &mut [f32]) {
    for v in x {
        *v = v.exp();
    }
}

pub fn sigmoid(x: &mut [f32]) {
    for v in x {
        *v = 1.0 / (1.0 + (-*v).exp());
    }
}

pub fn tanh(x: &mut [f32]) {
    for v in x {
        *v = v.tanh();
    }
}
