//! The encoder-decoder's architecture, validated before anything is allocated.

use crate::error::{Error, Result};
use crate::limits::{MAX_DIM, MAX_LAYERS, MAX_UNITS, check_between};

#[derive(Clone, Debug, PartialEq)]
pub struct Seq2SeqConfig {
    pub src_vocab: usize,
    pub tgt_vocab: usize,
    /// Width of both embeddings.
    pub embed: usize,
    /// Units per encoder direction, encoder layers, and whether it reads both ways.
    pub enc_hidden: usize,
    pub enc_layers: usize,
    pub enc_bidirectional: bool,
    pub dec_hidden: usize,
    pub dec_layers: usize,
    /// Width A of the additive attention.
    pub attention: usize,
    /// Dropout between stacked LSTM layers and on the attentional vector a_t (train only).
    pub dropout: f32,
    /// Target ids of the begin and end symbols.
    pub bos: u32,
    pub eos: u32,
}

impl Seq2SeqConfig {
    pub fn validate(&self) -> Result<()> {
        check_between("src_vocab", self.src_vocab, MAX_DIM)?;
        check_between("tgt_vocab", self.tgt_vocab, MAX_DIM)?;
        check_between("embed", self.embed, MAX_DIM)?;
        check_between("enc_hidden", self.enc_hidden, MAX_UNITS)?;
        check_between("enc_layers", self.enc_layers, MAX_LAYERS)?;
        check_between("dec_hidden", self.dec_hidden, MAX_UNITS)?;
        check_between("dec_layers", self.dec_layers, MAX_LAYERS)?;
        check_between("attention", self.attention, MAX_DIM)?;
        if self.tgt_vocab < 3 {
            return Err(Error::range("tgt_vocab must be at least 3 (BOS, EOS and one symbol)"));
        }
        if self.bos as usize >= self.tgt_vocab || self.eos as usize >= self.tgt_vocab || self.bos == self.eos {
            return Err(Error::range(format!(
                "bos = {} and eos = {} must be distinct ids below tgt_vocab = {}",
                self.bos, self.eos, self.tgt_vocab
            )));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(Error::range(format!("dropout = {} must be in [0, 1)", self.dropout)));
        }
        Ok(())
    }
    pub(crate) fn key_dim(&self) -> usize {
        self.enc_hidden * if self.enc_bidirectional { 2 } else { 1 }
    }
}
