//! Dense (PyTorch `Linear`): y[N, O] = x[N, I] · Wᵀ + b, W [O, I], b [O].
//! PyTorch init: U(−1/√I, 1/√I) for both W and b.

use super::{ParamTable, Slot};
use crate::kernels::{self, Mat, col_sum_acc};

#[derive(Clone, Debug)]
pub struct Dense {
    pub input: usize,
    pub output: usize,
    pub weight: Slot,
    pub bias: Slot,
}

impl Dense {
    pub fn new(input: usize, output: usize, table: &mut ParamTable, name: &str) -> Self {
        let bound = 1.0 / (input as f32).sqrt();
        let weight = table.add_uniform(&format!("{name}.weight"), &[output, input], bound);
        let bias = table.add_uniform(&format!("{name}.bias"), &[output], bound);
        Dense { input, output, weight, bias }
    }
    /// y [n, O]
    pub fn forward(&self, params: &[f32], x: &[f32], n: usize, y: &mut Vec<f32>) {
        y.resize(n * self.output, 0.0);
        kernels::gemm(n, self.output, self.input, Mat::n(x, self.input), Mat::t(self.weight.of(params), self.input), false, y, self.output);
        let b = self.bias.of(params);
        for row in y.chunks_exact_mut(self.output) {
            for (v, bb) in row.iter_mut().zip(b) {
                *v += bb;
            }
        }
    }
    /// Accumulates dW, db; writes dx [n, I] when given (overwrites).
    pub fn backward(&self, params: &[f32], grads: &mut [f32], x: &[f32], dy: &[f32], n: usize, dx: Option<&mut [f32]>) {
        kernels::gemm(
            self.output,
            self.input,
            n,
            Mat::t(dy, self.output),
            Mat::n(x, self.input),
            true,
            self.weight.of_mut(grads),
            self.input,
        );
        col_sum_acc(dy, n, self.output, self.output, self.bias.of_mut(grads));
        if let Some(dx) = dx {
            kernels::gemm(
                n,
                self.input,
                self.output,
                Mat::n(dy, self.output),
                Mat::n(self.weight.of(params), self.input),
                false,
                dx,
                self.input,
            );
        }
    }
}
