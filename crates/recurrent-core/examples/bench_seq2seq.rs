//! One teacher-forced training step (forward + backward) of the translation encoder-decoder
//! at the defaults of `Translator.create` (embed 128, BiLSTM encoder 128 per direction,
//! LSTM decoder 256, attention 256, batch 64, ~50 pieces a side), on one thread:
//!
//!   cargo run --release --example bench_seq2seq -- [target_vocab] [steps] [mean_length]
//!
//! (lengths are drawn in mean_length ± 10, at least 11).
//!
//! Prints the first step's loss and squared gradient norm (to compare builds), then the mean
//! seconds of forward and of backward per later step.

use recurrent_core::model::seq2seq::{Pairs, Seq2Seq, Seq2SeqConfig};
use recurrent_core::rng::Rng;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let tgt_vocab: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(260);
    let steps: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3);
    let len: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(50);
    assert!(len >= 11, "mean_length must be at least 11");
    let cfg = Seq2SeqConfig {
        src_vocab: 4000,
        tgt_vocab,
        embed: 128,
        enc_hidden: 128,
        enc_layers: 1,
        enc_bidirectional: true,
        dec_hidden: 256,
        dec_layers: 1,
        attention: 256,
        dropout: 0.0,
        bos: 0,
        eos: 1,
    };
    let mut m = Seq2Seq::new(cfg, 7).expect("model");
    let mut rng = Rng::new(3);
    let (b, mut sl, mut tl, mut src, mut tgt) = (64, Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..b {
        let (ls, lt) = (len - 10 + rng.below(20), len - 10 + rng.below(20));
        sl.push(ls);
        tl.push(lt);
        src.extend((0..ls).map(|_| rng.below(4000) as u32));
        tgt.extend((0..lt).map(|_| 2 + rng.below(tgt_vocab - 2) as u32));
    }
    let p = Pairs { src: &src, src_lengths: &sl, tgt: &tgt, tgt_lengths: &tl };
    let (mut fw, mut bw) = (0.0, 0.0);
    for s in 0..=steps {
        let t0 = Instant::now();
        let (loss, _) = m.forward(&p, true).expect("forward");
        let t1 = Instant::now();
        m.backward().expect("backward");
        let t2 = Instant::now();
        if s > 0 {
            fw += (t1 - t0).as_secs_f64();
            bw += (t2 - t1).as_secs_f64();
        } else {
            // bit-level fingerprint of the first step, to compare builds
            let g2: f64 = m.arena.grads.iter().map(|&g| (g as f64) * (g as f64)).sum();
            println!("loss {loss:.9}, |grad|² {g2:.12e}");
        }
    }
    let n = steps as f64;
    println!("tgt_vocab {tgt_vocab}: forward {:.3} s, backward {:.3} s, step {:.3} s", fw / n, bw / n, (fw + bw) / n);
}
