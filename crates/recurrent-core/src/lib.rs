//! recurrent-core: recurrent neural networks (vanilla RNN, LSTM, GRU; stacked and
//! bidirectional) with backpropagation through time, in pure Rust.
//!
//! Layout: `kernels` (GEMM, activations; SIMD + scalar twins) → `cells` (per-step maths) →
//! `layers` (recurrent stack, embedding, dense, dropout) → `loss`, `optim` → `model`.
//! Conventions follow PyTorch (names, shapes, gate orders); tensors are batch-first f32.

pub mod cells;
pub mod decode;
pub mod error;
pub mod kernels;
pub mod layers;
pub mod limits;
pub mod loss;
pub mod model;
pub mod optim;
pub mod params;
pub mod rng;

pub use cells::CellKind;
pub use error::{Error, ErrorKind, Result};
