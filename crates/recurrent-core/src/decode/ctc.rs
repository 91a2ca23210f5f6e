//! CTC decoding of raw scores [T, C] (one row of a batch-first [B, T, C] output):
//! greedy (best class per frame, repeats collapsed, blanks dropped) and prefix beam search
//! (the most probable label sequences, summing over every alignment of each prefix).

use std::collections::HashMap;

/// A decoded label sequence and its log-probability (summed over its alignments; for greedy
/// decoding, the log-probability of the single best path).
#[derive(Clone, Debug, PartialEq)]
pub struct CtcHypothesis {
    pub labels: Vec<u32>,
    pub log_prob: f64,
}

fn log_softmax(row: &[f32]) -> impl Iterator<Item = f64> + '_ {
    let m = row.iter().fold(f32::NEG_INFINITY, |a, &v| a.max(v)) as f64;
    let ls = row.iter().map(|&v| (v as f64 - m).exp()).sum::<f64>().ln() + m;
    row.iter().map(move |&v| v as f64 - ls)
}

#[inline]
fn lse2(a: f64, b: f64) -> f64 {
    let m = a.max(b);
    if m == f64::NEG_INFINITY { m } else { m + ((a - m).exp() + (b - m).exp()).ln() }
}

/// Greedy decoding of `x` [T, C]: argmax per frame (the lowest class wins a tie), repeats
/// collapsed, then blanks dropped.
pub fn greedy(x: &[f32], c: usize, blank: usize) -> CtcHypothesis {
    let mut labels = Vec::new();
    let mut log_prob = 0.0;
    let mut prev = usize::MAX;
    for row in x.chunks_exact(c) {
        let (best, lp) = log_softmax(row).enumerate().fold((0, f64::NEG_INFINITY), |a, (j, v)| if v > a.1 { (j, v) } else { a });
        log_prob += lp;
        if best != blank && best != prev {
            labels.push(best as u32);
        }
        prev = best;
    }
    CtcHypothesis { labels, log_prob }
}

/// Prefix beam search over `x` [T, C]: keeps the `beam` most probable prefixes after each
/// frame, each with the probability of ending in a blank and in a label, and returns the
/// best `n_best` (most probable first; ties broken by the labels, so the result is deterministic).
pub fn prefix_beam(x: &[f32], c: usize, blank: usize, beam: usize, n_best: usize) -> Vec<CtcHypothesis> {
    let ninf = f64::NEG_INFINITY;
    // prefix → (log p ending in blank, log p ending in its last label)
    let mut cur: Vec<(Vec<u32>, f64, f64)> = vec![(Vec::new(), 0.0, ninf)];
    let mut next: HashMap<Vec<u32>, (f64, f64)> = HashMap::new();
    let mut lp = Vec::with_capacity(c);
    for row in x.chunks_exact(c) {
        lp.clear();
        lp.extend(log_softmax(row));
        next.clear();
        for (prefix, pb, pnb) in &cur {
            let total = lse2(*pb, *pnb);
            let e = next.entry(prefix.clone()).or_insert((ninf, ninf));
            e.0 = lse2(e.0, total + lp[blank]);
            let last = prefix.last().map(|&l| l as usize);
            for (j, &lpj) in lp.iter().enumerate() {
                if j == blank {
                    continue;
                }
                let mut longer = prefix.clone();
                longer.push(j as u32);
                if last == Some(j) {
                    // A repeat extends the prefix only after a blank; otherwise it collapses.
                    let e = next.entry(longer).or_insert((ninf, ninf));
                    e.1 = lse2(e.1, pb + lpj);
                    let same = next.get_mut(prefix).expect("inserted above");
                    same.1 = lse2(same.1, pnb + lpj);
                } else {
                    let e = next.entry(longer).or_insert((ninf, ninf));
                    e.1 = lse2(e.1, total + lpj);
                }
            }
        }
        cur = next.drain().map(|(p, (b, nb))| (p, b, nb)).collect();
        sort_hyps(&mut cur);
        cur.truncate(beam.max(1));
    }
    sort_hyps(&mut cur);
    cur.into_iter().take(n_best.max(1)).map(|(labels, b, nb)| CtcHypothesis { labels, log_prob: lse2(b, nb) }).collect()
}

fn sort_hyps(v: &mut [(Vec<u32>, f64, f64)]) {
    v.sort_by(|a, b| lse2(b.1, b.2).total_cmp(&lse2(a.1, a.2)).then_with(|| a.0.cmp(&b.0)));
}
