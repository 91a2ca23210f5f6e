//! Embedding: ids [N] → rows of W [V, E] (one-hot input without materialising one-hot
//! vectors). Backward scatter-adds into dW. PyTorch init: N(0, 1).

use super::{Init, ParamTable, Slot};

#[derive(Clone, Debug)]
pub struct Embedding {
    pub vocab: usize,
    pub dim: usize,
    pub weight: Slot,
}

impl Embedding {
    pub fn new(vocab: usize, dim: usize, table: &mut ParamTable, name: &str) -> Self {
        let weight = table.add(&format!("{name}.weight"), &[vocab, dim], Init::Normal(1.0));
        Embedding { vocab, dim, weight }
    }
    /// out [N, E]. Ids must be < vocab (validated by the caller).
    pub fn forward(&self, params: &[f32], ids: &[u32], out: &mut Vec<f32>) {
        let w = self.weight.of(params);
        out.resize(ids.len() * self.dim, 0.0);
        for (row, &id) in out.chunks_exact_mut(self.dim).zip(ids) {
            let id = id as usize;
            row.copy_from_slice(&w[id * self.dim..(id + 1) * self.dim]);
        }
    }
    /// dW[id] += d_out row, for each id.
    pub fn backward(&self, grads: &mut [f32], ids: &[u32], d_out: &[f32]) {
        let dw = self.weight.of_mut(grads);
        for (row, &id) in d_out.chunks_exact(self.dim).zip(ids) {
            let id = id as usize;
            for (g, d) in dw[id * self.dim..(id + 1) * self.dim].iter_mut().zip(row) {
                *g += d;
            }
        }
    }
}
