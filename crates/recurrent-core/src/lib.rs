//! recurrent-core: recurrent neural networks (vanilla RNN, LSTM, GRU; stacked and
//! bidirectional) with backpropagation through time, in pure Rust.
//!
//! Layout (each builds on the ones before it):
//! `kernels` (GEMM, activations; SIMD + scalar twins) → `cells` (per-step maths) →
//! `layers` (recurrent stack, embedding, dense, dropout, attention, CRF; `ParamTable`) →
//! `params` (`ParamArena`: names, shapes, values, gradients) → `loss`, `optim` (optimizers,
//! clipping, schedules, the one `Trainer` over any `Trainable`) → `model` (the sequential
//! model and the encoder-decoder, each `Trainable`). `limits` holds the size limits,
//! `error` the typed errors, `rng` the seeded generator.
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
