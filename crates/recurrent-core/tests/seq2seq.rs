//! The seq2seq model (BiLSTM encoder, LSTM decoder, additive attention): finite-difference
//! gradients of every parameter tensor, attention masks, batch invariance, beam search
//! against exhaustive search, decoding consistent with teacher-forced scoring, learning a
//! toy task, and typed errors.
//!
//! Gradient check: the loss (mean cross-entropy, accumulated in f64 from f32 logits) goes
//! through the shared harness (`common/mod.rs`) with one block per parameter tensor: random
//! directions of each tensor, a joint direction, and per element on a sample of every
//! tensor (first, last, random).

use recurrent_core::model::seq2seq::{Hypothesis, Pairs, Seq2Seq, Seq2SeqConfig};
use recurrent_core::optim::OptimizerConfig;
use recurrent_core::optim::trainer::{Trainer, TrainerConfig};
use recurrent_core::rng::Rng;

mod common;

/// The f32 noise of a difference quotient of the loss (≈1e-6 absolute noise in L over 2ε).
const NOISE: common::Noise = common::Noise { direction: 1e-4, element: 1e-4 };

struct Data {
    src: Vec<u32>,
    sl: Vec<usize>,
    tgt: Vec<u32>,
    tl: Vec<usize>,
}

impl Data {
    fn pairs(&self) -> Pairs<'_> {
        Pairs { src: &self.src, src_lengths: &self.sl, tgt: &self.tgt, tgt_lengths: &self.tl }
    }
}

fn cfg(enc_layers: usize, bi: bool, dec_layers: usize, dropout: f32) -> Seq2SeqConfig {
    Seq2SeqConfig {
        src_vocab: 7,
        tgt_vocab: 6,
        embed: 3,
        enc_hidden: 3,
        enc_layers,
        enc_bidirectional: bi,
        dec_hidden: 5,
        dec_layers,
        attention: 4,
        dropout,
        bos: 0,
        eos: 1,
    }
}

/// Random pairs with the given lengths (targets avoid BOS = 0 and EOS = 1).
fn data(c: &Seq2SeqConfig, sl: &[usize], tl: &[usize], seed: u64) -> Data {
    let mut rng = Rng::new(seed);
    let src = (0..sl.iter().sum::<usize>()).map(|_| rng.below(c.src_vocab) as u32).collect();
    let tgt = (0..tl.iter().sum::<usize>()).map(|_| 2 + rng.below(c.tgt_vocab - 2) as u32).collect();
    Data { src, sl: sl.to_vec(), tgt, tl: tl.to_vec() }
}

fn loss_at(m: &mut Seq2Seq, d: &Data, rng0: &Rng) -> f64 {
    m.rng = rng0.clone();
    m.forward(&d.pairs(), true).unwrap().0
}

/// Returns (comparisons, worst relative error).
/// `sharpen` scales the attention's key and query weights: at PyTorch's init the tanh
/// works near its linear range, where W_q q shifts every score alike and the softmax hides
/// it, so the query gradient is tiny; sharpened, it is large enough to check.
fn gradcheck(c: Seq2SeqConfig, d: &Data, seed: u64, sharpen: f32) -> (usize, f64) {
    let mut m = Seq2Seq::new(c, seed).unwrap();
    for name in ["attention.query.weight", "attention.key.weight"] {
        let s = m.arena.table.find(name).unwrap().slot;
        m.arena.params[s.off..s.off + s.len].iter_mut().for_each(|x| *x *= sharpen);
    }
    let rng0 = m.rng.clone();
    m.arena.zero_grads();
    loss_at(&mut m, d, &rng0);
    m.backward().unwrap();
    if d.sl.iter().any(|&l| l > 1) {
        // (with every source of length 1 the attention weights are constant 1 and the
        // encoder's W_hh only ever meets h0 = 0)
        for s in &m.arena.table.specs {
            assert!(s.slot.of(&m.arena.grads).iter().any(|&g| g != 0.0), "{} has an all-zero gradient", s.name);
        }
    }
    // one block per tensor: random directions of each, sampled elements of each
    let mut rng = Rng::new(seed ^ 0xabc);
    let mut bl = common::arena_blocks(&m.arena.table, &m.arena.params, &m.arena.grads, 3, &mut rng);
    bl.noise = NOISE;
    let table = m.arena.table.clone();
    let mut eval = |vals: &[Vec<f32>]| {
        common::write_blocks(&table, vals, &mut m.arena.params);
        loss_at(&mut m, d, &rng0)
    };
    let mut st = common::Stats::default();
    let fails = common::check_blocks("seq2seq", &bl, &mut rng, &mut eval, &mut st);
    assert!(fails.is_empty(), "{}", fails.join("\n"));
    common::write_blocks(&table, &bl.vals, &mut m.arena.params);
    (st.comparisons, st.worst_dir.max(st.worst_elem))
}

#[test]
fn gradients_match_finite_differences() {
    // (encoder layers, bidirectional, decoder layers, dropout, source lengths, target
    // lengths, attention sharpening); lengths vary within each batch (padding on both sides)
    type Case<'a> = (usize, bool, usize, f32, &'a [usize], &'a [usize], f32);
    let cases: [Case; 7] = [
        (1, true, 1, 0.0, &[3, 1, 4], &[2, 0, 3], 1.0),
        (1, true, 1, 0.0, &[3, 1, 4], &[2, 0, 3], 4.0),
        (2, true, 2, 0.0, &[2, 5, 1], &[3, 1, 2], 4.0),
        (1, false, 1, 0.0, &[4, 2], &[1, 4], 4.0),
        (1, true, 2, 0.0, &[1], &[1], 1.0),
        (2, true, 1, 0.3, &[3, 2, 4], &[2, 2, 1], 4.0),
        (3, true, 3, 0.0, &[5, 3], &[4, 2], 4.0),
    ];
    let mut total = 0;
    let mut worst = 0.0f64;
    for (k, (el, bi, dl, p, sl, tl, sharpen)) in cases.into_iter().enumerate() {
        let c = cfg(el, bi, dl, p);
        let d = data(&c, sl, tl, 10 + k as u64);
        let (n, w) = gradcheck(c, &d, 20 + k as u64, sharpen);
        println!("case {k}: {n} comparisons, worst relative error {w:.2e}");
        total += n;
        worst = worst.max(w);
    }
    println!("seq2seq gradcheck: {total} comparisons, worst relative error {worst:.2e}");
}

#[test]
fn gradcheck_detects_a_wrong_gradient() {
    // the same harness flags a 5 % error planted in one element of one gradient
    let c = cfg(1, true, 1, 0.0);
    let d = data(&c, &[3, 2], &[2, 3], 5);
    let mut m = Seq2Seq::new(c, 3).unwrap();
    let rng0 = m.rng.clone();
    m.arena.zero_grads();
    loss_at(&mut m, &d, &rng0);
    m.backward().unwrap();
    let s = m.arena.table.find("attention.key.weight").unwrap().slot;
    let (i, gi) = (0..s.len).map(|k| (s.off + k, m.arena.grads[s.off + k])).max_by(|a, b| a.1.abs().total_cmp(&b.1.abs())).unwrap();
    // the one element as its own block, with its true gradient and with a 5 % error
    let p0 = m.arena.params.clone();
    let mut eval = |vals: &[Vec<f32>]| {
        m.arena.params[i] = vals[0][0];
        loss_at(&mut m, &d, &rng0)
    };
    let block = |g: f32| common::Blocks {
        names: common::names(&["w"]),
        vals: vec![vec![p0[i]]],
        grads: vec![vec![g]],
        samples: vec![vec![0]],
        noise: NOISE,
    };
    // the central difference at ε = 1e-2 (the one-sided ones carry the curvature)
    let mut central = |g: f32| {
        let l0 = eval(&[vec![p0[i]]]);
        let (fd, an) = common::differences(&block(g), &[vec![1.0]], 1e-2, l0, &mut eval)[0];
        (fd - an).abs() / fd.abs()
    };
    let (good, bad) = (central(gi), central(1.05 * gi));
    assert!(good < common::TOL && bad > common::TOL, "true gradient error {good:.2e}, planted error {bad:.2e}");
}

#[test]
fn attention_weights_sum_to_one_and_skip_padded_steps() {
    let c = cfg(1, true, 1, 0.0);
    let d = data(&c, &[2, 5, 1, 3], &[3, 1, 4, 0], 7);
    let mut m = Seq2Seq::new(c, 4).unwrap();
    m.forward(&d.pairs(), false).unwrap();
    let (w, b, ty, tx) = m.attention_weights();
    assert_eq!((b, ty, tx), (4, 5, 5));
    for r in 0..b {
        for t in 0..=d.tl[r] {
            let row = &w[(r * ty + t) * tx..(r * ty + t + 1) * tx];
            let sum: f32 = row[..d.sl[r]].iter().sum();
            assert!((sum - 1.0).abs() < 1e-5, "row {r} step {t}: weights sum to {sum}");
            assert!(row[..d.sl[r]].iter().all(|&a| a > 0.0));
            assert!(row[d.sl[r]..].iter().all(|&a| a == 0.0), "row {r} step {t} attends to padding: {row:?}");
        }
    }
}

#[test]
fn a_pair_scores_the_same_alone_and_in_a_padded_batch() {
    let c = cfg(2, true, 2, 0.0);
    let d = data(&c, &[2, 6, 3], &[4, 1, 2], 9);
    let mut m = Seq2Seq::new(c, 6).unwrap();
    let batch = m.score(&d.pairs()).unwrap();
    let (mut so, mut to) = (0, 0);
    for (r, &in_batch) in batch.iter().enumerate() {
        let one = Pairs {
            src: &d.src[so..so + d.sl[r]],
            src_lengths: &d.sl[r..r + 1],
            tgt: &d.tgt[to..to + d.tl[r]],
            tgt_lengths: &d.tl[r..r + 1],
        };
        let alone = m.score(&one).unwrap()[0];
        assert!((alone - in_batch).abs() < 1e-4, "pair {r}: alone {alone}, in the batch {in_batch}");
        so += d.sl[r];
        to += d.tl[r];
    }
    // the mean loss is the mean of the per-token log-probabilities
    let (loss, count) = m.forward(&d.pairs(), false).unwrap();
    assert_eq!(count, 4 + 1 + 2 + 3);
    assert!((loss + batch.iter().sum::<f64>() / count as f64).abs() < 1e-6);
}

/// The best of every target of length ≤ max_len over the non-special tokens, scored by
/// teacher forcing under the decoding rule: with log p(EOS) when shorter than max_len,
/// without it at max_len.
fn exhaustive(m: &mut Seq2Seq, src: &[u32], max_len: usize) -> Hypothesis {
    let syms: Vec<u32> = (2..m.cfg.tgt_vocab as u32).collect();
    let mut best = Hypothesis { tokens: Vec::new(), score: f64::NEG_INFINITY, ended: true };
    let mut seqs: Vec<Vec<u32>> = vec![Vec::new()];
    for len in 0..=max_len {
        for s in &seqs {
            let p = Pairs { src, src_lengths: &[src.len()], tgt: s, tgt_lengths: &[s.len()] };
            m.forward(&p, false).unwrap();
            let steps = m.token_log_probs(0);
            assert_eq!(steps.len(), len + 1);
            let score = if len < max_len { steps.iter().sum::<f64>() } else { steps[..len].iter().sum::<f64>() };
            if score > best.score {
                best = Hypothesis { tokens: s.clone(), score, ended: len < max_len };
            }
        }
        seqs = seqs.iter().flat_map(|s| syms.iter().map(move |&t| [s.clone(), vec![t]].concat())).collect();
    }
    best
}

#[test]
fn beam_search_matches_exhaustive_search_on_a_tiny_model() {
    // 3 symbols + BOS/EOS, max 3 tokens: 1 + 3 + 9 + 27 = 40 complete hypotheses
    let mut greedy_differs = 0;
    for seed in 0..12u64 {
        let c = Seq2SeqConfig {
            src_vocab: 4,
            tgt_vocab: 5,
            embed: 3,
            enc_hidden: 3,
            enc_layers: 1,
            enc_bidirectional: true,
            dec_hidden: 4,
            dec_layers: 1,
            attention: 3,
            dropout: 0.0,
            bos: 0,
            eos: 1,
        };
        let mut m = Seq2Seq::new(c, seed).unwrap();
        // sharpen the output distribution so that hypotheses differ clearly
        let o = m.arena.table.find("output.weight").unwrap().slot;
        for x in &mut m.arena.params[o.off..o.off + o.len] {
            *x *= 4.0;
        }
        let mut rng = Rng::new(100 + seed);
        let src: Vec<u32> = (0..1 + rng.below(4)).map(|_| rng.below(4) as u32).collect();
        let max_len = 3;
        let want = exhaustive(&mut m, &src, max_len);
        let full = m.decode(&src, &[src.len()], 64, max_len, 1).unwrap();
        let got = &full[0][0];
        assert_eq!(
            got.tokens, want.tokens,
            "seed {seed}: beam {:?} ({}) vs exhaustive {:?} ({})",
            got.tokens, got.score, want.tokens, want.score
        );
        assert!((got.score - want.score).abs() < 1e-4, "seed {seed}: beam score {} vs exhaustive {}", got.score, want.score);
        assert_eq!(got.ended, want.ended);
        let greedy = &m.decode(&src, &[src.len()], 1, max_len, 1).unwrap()[0][0];
        assert!(greedy.score <= want.score + 1e-9);
        if greedy.tokens != want.tokens {
            greedy_differs += 1;
        }
        // a narrower beam is never better than the exhaustive optimum
        let narrow = &m.decode(&src, &[src.len()], 2, max_len, 1).unwrap()[0][0];
        assert!(narrow.score <= want.score + 1e-9);
    }
    // the test is not vacuous: greedy decoding misses the optimum in some cases
    assert!(greedy_differs > 0, "greedy found the optimum every time; the comparison proves nothing");
}

#[test]
fn decoded_scores_match_teacher_forced_scores_and_batches_decode_like_singles() {
    let c = Seq2SeqConfig {
        src_vocab: 7,
        tgt_vocab: 8,
        embed: 4,
        enc_hidden: 5,
        enc_layers: 2,
        enc_bidirectional: true,
        dec_hidden: 6,
        dec_layers: 2,
        attention: 5,
        dropout: 0.2,
        bos: 0,
        eos: 1,
    };
    let mut m = Seq2Seq::new(c, 11).unwrap();
    let d = data(&m.cfg, &[3, 1, 5, 2], &[0, 0, 0, 0], 12);
    let all = m.decode(&d.src, &d.sl, 4, 6, 3).unwrap();
    let mut off = 0;
    for (r, hyps) in all.iter().enumerate() {
        let src = &d.src[off..off + d.sl[r]];
        off += d.sl[r];
        assert!(!hyps.is_empty() && hyps.len() <= 3);
        assert!(hyps.windows(2).all(|w| w[0].score >= w[1].score), "n-best list not sorted");
        for h in hyps.iter().filter(|h| h.ended) {
            let p = Pairs { src, src_lengths: &[src.len()], tgt: &h.tokens, tgt_lengths: &[h.tokens.len()] };
            let s = m.score(&p).unwrap()[0];
            assert!((s - h.score).abs() < 1e-4, "row {r}: decoded score {} vs teacher-forced {s}", h.score);
        }
        let single = m.decode(src, &[src.len()], 4, 6, 3).unwrap();
        assert_eq!(
            single[0].iter().map(|h| &h.tokens).collect::<Vec<_>>(),
            hyps.iter().map(|h| &h.tokens).collect::<Vec<_>>(),
            "row {r} decodes differently in a batch"
        );
    }
}

#[test]
fn learns_to_reverse_short_sequences() {
    // target = source reversed, over 6 symbols (target ids = source ids + 2)
    let c = Seq2SeqConfig {
        src_vocab: 6,
        tgt_vocab: 8,
        embed: 8,
        enc_hidden: 16,
        enc_layers: 1,
        enc_bidirectional: true,
        dec_hidden: 24,
        dec_layers: 1,
        attention: 16,
        dropout: 0.0,
        bos: 0,
        eos: 1,
    };
    let mut m = Seq2Seq::new(c, 1).unwrap();
    let opt = OptimizerConfig::Adam { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 };
    let mut tr = Trainer::new(TrainerConfig { clip_norm: Some(5.0), ..TrainerConfig::new(opt) }, m.arena.len()).unwrap();
    let mut rng = Rng::new(2);
    let batch = |rng: &mut Rng, b: usize| {
        let sl: Vec<usize> = (0..b).map(|_| 1 + rng.below(5)).collect();
        let mut src = Vec::new();
        let mut tgt = Vec::new();
        for &l in &sl {
            let s: Vec<u32> = (0..l).map(|_| rng.below(6) as u32).collect();
            tgt.extend(s.iter().rev().map(|&x| x + 2));
            src.extend(s);
        }
        Data { src, tl: sl.clone(), sl, tgt }
    };
    let first = tr.step(&mut m, &batch(&mut rng, 32).pairs()).unwrap().loss;
    let mut last = first;
    for _ in 0..250 {
        last = tr.step(&mut m, &batch(&mut rng, 32).pairs()).unwrap().loss;
    }
    assert!(last < first / 5.0, "loss {first} → {last}");
    let test = batch(&mut Rng::new(99), 100);
    let out = m.decode(&test.src, &test.sl, 1, 10, 1).unwrap();
    let mut off = 0;
    let mut right = 0;
    for (r, h) in out.iter().enumerate() {
        if h[0].tokens == test.tgt[off..off + test.tl[r]] {
            right += 1;
        }
        off += test.tl[r];
    }
    assert!(right >= 80, "{right}/100 reversed exactly");
}

#[test]
fn bad_inputs_are_typed_errors() {
    let c = cfg(1, true, 1, 0.0);
    let mut m = Seq2Seq::new(c.clone(), 1).unwrap();
    let e = |r: recurrent_core::Result<(f64, usize)>| r.unwrap_err();
    let p = |src: &'static [u32], sl: &'static [usize], tgt: &'static [u32], tl: &'static [usize]| Pairs {
        src,
        src_lengths: sl,
        tgt,
        tgt_lengths: tl,
    };
    assert_eq!(e(m.forward(&p(&[], &[], &[], &[]), true)).code, "E_RANGE");
    assert!(e(m.forward(&p(&[2], &[1, 0], &[2], &[1, 0]), true)).message.contains("source 1 is empty"));
    assert_eq!(e(m.forward(&p(&[2, 3], &[1], &[2], &[1]), true)).code, "E_SHAPE");
    assert_eq!(e(m.forward(&p(&[2], &[1], &[2], &[1, 0]), true)).code, "E_SHAPE");
    assert_eq!(e(m.forward(&p(&[9], &[1], &[2], &[1]), true)).code, "E_RANGE");
    assert!(e(m.forward(&p(&[2], &[1], &[1], &[1]), true)).message.contains("eos"));
    assert_eq!(m.backward().unwrap_err().code, "E_STATE");
    assert_eq!(m.decode(&[2], &[1], 0, 5, 1).unwrap_err().code, "E_RANGE");
    assert_eq!(m.decode(&[2], &[1], 2, 5, 3).unwrap_err().code, "E_RANGE");
    assert_eq!(m.decode(&[2], &[1], 2, 0, 1).unwrap_err().code, "E_RANGE");
    let bad = Seq2SeqConfig { bos: 1, ..c.clone() };
    assert_eq!(Seq2Seq::new(bad, 1).err().unwrap().code, "E_RANGE");
    let bad = Seq2SeqConfig { embed: 0, ..c };
    assert!(Seq2Seq::new(bad, 1).err().unwrap().message.contains("embed"));
    // the model still works after errors
    let d = data(&m.cfg, &[2], &[1], 1);
    assert!(m.forward(&d.pairs(), false).unwrap().0.is_finite());
}

/// Lazy rows reach both embeddings: a source or target token the batches never read keeps its
/// embedding row (weights and moments) under `lazy_rows`, while the dense rule moves every row
/// that ever had a gradient.
#[test]
fn lazy_rows_leave_the_unread_embedding_rows_of_both_tables() {
    use recurrent_core::optim::trainer::Trainable;
    let c = cfg(1, true, 1, 0.0);
    let m = Seq2Seq::new(c.clone(), 4).unwrap();
    let tables = m.row_tables();
    let slot = |n: &str| m.arena.table.find(n).unwrap().slot;
    let (src, tgt) = (slot("encoder.embedding.weight"), slot("decoder.embedding.weight"));
    let mut want = vec![(src.off, c.src_vocab, c.embed), (tgt.off, c.tgt_vocab, c.embed)];
    want.sort_unstable();
    assert_eq!(tables, want);
    // two steps: the first reads source tokens 0-4 and targets 2-4 (BOS 0 fed in); the second
    // only source 0-1 and target 2
    let d1 = Data { src: vec![0, 1, 2, 3, 4], sl: vec![5], tgt: vec![2, 3, 4], tl: vec![3] };
    let d2 = Data { src: vec![0, 1], sl: vec![2], tgt: vec![2], tl: vec![1] };
    let run = |lazy: bool, steps: &[&Data]| {
        let mut m = Seq2Seq::new(c.clone(), 4).unwrap();
        let conf = TrainerConfig { lazy_rows: lazy, ..TrainerConfig::new(OptimizerConfig::adam()) };
        let mut t = Trainer::new(conf, m.arena.len()).unwrap();
        for d in steps {
            t.step(&mut m, &d.pairs()).unwrap();
        }
        m.arena.params
    };
    let (lazy, dense, after_one) = (run(true, &[&d1, &d2]), run(false, &[&d1, &d2]), run(true, &[&d1]));
    let init = Seq2Seq::new(c.clone(), 4).unwrap().arena.params;
    let row = |p: &[f32], off: usize, r: usize| p[off + r * c.embed..off + (r + 1) * c.embed].to_vec();
    for r in 2..5 {
        assert_eq!(row(&lazy, src.off, r), row(&after_one, src.off, r), "source row {r} kept its step-1 value");
        assert_ne!(row(&dense, src.off, r), row(&after_one, src.off, r), "the dense rule moved source row {r}");
    }
    for r in 3..5 {
        assert_eq!(row(&lazy, tgt.off, r), row(&after_one, tgt.off, r), "target row {r} kept its step-1 value");
        assert_ne!(row(&dense, tgt.off, r), row(&after_one, tgt.off, r), "the dense rule moved target row {r}");
    }
    assert_eq!(row(&lazy, src.off, 6), row(&init, src.off, 6), "a source token never read never moves");
    assert_eq!(row(&lazy, tgt.off, 5), row(&init, tgt.off, 5), "a target token never fed never moves");
}
