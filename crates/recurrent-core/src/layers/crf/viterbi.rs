//! Viterbi decoding of a batch: max-plus in f64, swept row by row of the transition matrix
//! so the inner loop runs over contiguous next-tags j (vectorisable), with the reference's
//! arithmetic (the same f64 sums) and tie rule (the lowest previous tag wins), so the paths
//! are the reference's.

use super::CrfParams;

/// Best paths for a batch: e [B, T, K] → out [B, T], −1 on padded steps.
pub fn batch(p: &CrfParams, e: &[f32], t: usize, lengths: &[usize], out: &mut [i32]) {
    let k = p.k;
    let tr: Vec<f64> = p.transitions.iter().map(|&v| v as f64).collect();
    let mut delta = vec![0.0f64; k];
    let mut best = vec![0.0f64; k];
    let mut arg = vec![0u32; k];
    let mut back = Vec::new();
    for (b, &l) in lengths.iter().enumerate() {
        out[b * t + l..(b + 1) * t].fill(-1);
        if l > 0 {
            row(p, &tr, &e[b * t * k..(b * t + l) * k], l, &mut out[b * t..b * t + l], (&mut delta, &mut best, &mut arg, &mut back));
        }
    }
}

type Scratch<'a> = (&'a mut Vec<f64>, &'a mut Vec<f64>, &'a mut Vec<u32>, &'a mut Vec<u32>);

/// One row: e [L, K] → out [L]; returns the best path's score.
fn row(p: &CrfParams, tr: &[f64], e: &[f32], l: usize, out: &mut [i32], (delta, best, arg, back): Scratch) -> f64 {
    let k = p.k;
    for j in 0..k {
        delta[j] = p.start[j] as f64 + e[j] as f64;
    }
    back.clear();
    back.resize(l * k, 0);
    for t in 1..l {
        best.fill(f64::NEG_INFINITY);
        arg.fill(0);
        for (i, &d) in delta.iter().enumerate() {
            let trow = &tr[i * k..(i + 1) * k];
            for ((bv, a), &x) in best.iter_mut().zip(arg.iter_mut()).zip(trow) {
                let v = d + x;
                if v > *bv {
                    *bv = v;
                    *a = i as u32;
                }
            }
        }
        back[t * k..(t + 1) * k].copy_from_slice(arg);
        for ((dj, &bv), &x) in delta.iter_mut().zip(best.iter()).zip(&e[t * k..(t + 1) * k]) {
            *dj = bv + x as f64;
        }
    }
    let mut bi = 0;
    let mut bv = f64::NEG_INFINITY;
    for (j, &d) in delta.iter().enumerate() {
        let v = d + p.end[j] as f64;
        if v > bv {
            bv = v;
            bi = j;
        }
    }
    out[l - 1] = bi as i32;
    for t in (1..l).rev() {
        bi = back[t * k + bi] as usize;
        out[t - 1] = bi as i32;
    }
    bv
}
