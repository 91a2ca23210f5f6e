//! Model architecture description, validated before anything is allocated.

use crate::cells::CellKind;
use crate::error::{Error, Result};
use crate::limits::{MAX_DIM, MAX_LAYERS, MAX_SLOTS, MAX_UNITS, check_between};
use crate::loss::ctc::CtcConfig;

#[derive(Clone, Debug, PartialEq)]
pub enum InputKind {
    /// Token ids in [0, vocab), `slots` per step (ids [B, T, slots]); the embedding layer
    /// concatenates their rows, so it outputs slots × dim per step (e.g. a character and
    /// features of it as separate ids of one vocabulary).
    Tokens { vocab: usize, slots: usize },
    /// Continuous features, `dim` per step.
    Features { dim: usize },
}

#[derive(Clone, Debug, PartialEq)]
pub enum LayerSpec {
    Embedding {
        name: String,
        dim: usize,
    },
    Recurrent {
        name: String,
        cell: CellKind,
        units: usize,
        layers: usize,
        bidirectional: bool,
        dropout: f32,
        return_sequences: bool,
    },
    Dropout {
        rate: f32,
    },
    Dense {
        name: String,
        units: usize,
    },
    /// Linear-chain CRF head over the per-step scores of the layer before it (its width is
    /// the number of tags). Must be the last layer; trained with `LossKind::Crf`.
    Crf {
        name: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossKind {
    CrossEntropy,
    Mse,
    /// Negative log-likelihood of the tag paths under the model's CRF head, per valid step.
    Crf,
    /// CTC over the per-step scores [B, T, C] (a sequence output; C includes the blank).
    /// Targets are class targets [B, S]: each row's labels, then padding of −100; the input
    /// lengths are the batch's row lengths.
    Ctc(CtcConfig),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ModelSpec {
    pub input: InputKind,
    pub layers: Vec<LayerSpec>,
}

fn check_dim(what: &str, v: usize) -> Result<()> {
    check_between(what, v, MAX_DIM)
}

fn check_rate(what: &str, p: f32) -> Result<()> {
    if !(0.0..1.0).contains(&p) {
        return Err(Error::range(format!("{what} = {p} must be in [0, 1)")));
    }
    Ok(())
}

impl ModelSpec {
    pub fn validate(&self) -> Result<()> {
        match self.input {
            InputKind::Tokens { vocab, slots } => {
                check_dim("input.vocab", vocab)?;
                check_between("input.slots", slots, MAX_SLOTS)?;
            }
            InputKind::Features { dim } => check_dim("input.features", dim)?,
        }
        if self.layers.is_empty() {
            return Err(Error::option("a model needs at least one layer"));
        }
        let mut seq = true;
        let mut names: Vec<&str> = Vec::new();
        for (i, l) in self.layers.iter().enumerate() {
            match l {
                LayerSpec::Embedding { name, dim } => {
                    check_dim("embedding.dim", *dim)?;
                    if i != 0 || !matches!(self.input, InputKind::Tokens { .. }) {
                        return Err(Error::option("embedding must be the first layer, over token input (input.vocab)"));
                    }
                    names.push(name);
                }
                LayerSpec::Recurrent { name, cell, units, layers, dropout, .. } => {
                    check_between("units", *units, MAX_UNITS)?;
                    let p = cell.proj_size();
                    if p > 0 && p >= *units {
                        return Err(Error::range(format!("projSize = {p} must be below units = {units}")));
                    }
                    check_between("layers", *layers, MAX_LAYERS)?;
                    check_rate("dropout", *dropout)?;
                    if !seq {
                        return Err(Error::option(
                            "a recurrent layer needs a sequence input, but the layer before it returns one vector per sequence (return_sequences: false)",
                        ));
                    }
                    if let LayerSpec::Recurrent { return_sequences: false, .. } = l {
                        seq = false;
                    }
                    names.push(name);
                }
                LayerSpec::Dropout { rate } => check_rate("dropout.rate", *rate)?,
                LayerSpec::Dense { name, units } => {
                    check_dim("dense.units", *units)?;
                    names.push(name);
                }
                LayerSpec::Crf { name } => {
                    if i + 1 != self.layers.len() || i == 0 || !seq {
                        return Err(Error::option(
                            "crf must be the last layer, after a layer with one output per step (its width is the number of tags)",
                        ));
                    }
                    names.push(name);
                }
            }
            if i == 0 && matches!(self.input, InputKind::Tokens { .. }) && !matches!(l, LayerSpec::Embedding { .. }) {
                return Err(Error::option("token input (input.vocab) must be followed by an embedding layer"));
            }
        }
        for (i, n) in names.iter().enumerate() {
            if n.is_empty() || names[..i].contains(n) {
                return Err(Error::option(format!("layer name '{n}' is empty or used twice")));
            }
        }
        Ok(())
    }
}
