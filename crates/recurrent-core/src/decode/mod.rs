//! Decoders that turn per-frame scores into label sequences.

pub mod ctc;
