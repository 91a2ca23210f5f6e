//! Losses. Each returns the mean loss and writes the gradient w.r.t. its input.

pub mod ctc;

/// Targets equal to this are skipped (PyTorch's default `ignore_index`).
pub const IGNORE_INDEX: i32 = -100;

/// Softmax cross-entropy, mean over the rows whose target is not `ignore_index`.
/// logits [N, V], targets [N]. Uses log-sum-exp with the row max subtracted, so huge logits
/// give finite results. `dlogits` [N, V] (overwritten) = (softmax − onehot) / count, zero on
/// ignored rows. Returns (mean loss, count); an all-ignored batch gives (0, 0).
/// Targets must be in [0, V) or `ignore_index` (validated by the caller).
pub fn softmax_cross_entropy(
    logits: &[f32],
    v: usize,
    targets: &[i32],
    ignore_index: i32,
    mut dlogits: Option<&mut [f32]>,
) -> (f32, usize) {
    let n = targets.len();
    let count = targets.iter().filter(|&&t| t != ignore_index).count();
    let mut total = 0.0f64;
    let scale = if count > 0 { 1.0 / count as f32 } else { 0.0 };
    for i in 0..n {
        let row = &logits[i * v..(i + 1) * v];
        let tgt = targets[i];
        if tgt == ignore_index {
            if let Some(d) = dlogits.as_deref_mut() {
                d[i * v..(i + 1) * v].fill(0.0);
            }
            continue;
        }
        // Work with logits shifted by the row max, in f64: with huge logits (1e30) the
        // unshifted max + ln(sum) rounds ln(sum) away, giving a zero loss and a softmax of ones.
        let max = row.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x)) as f64;
        let sum: f64 = row.iter().map(|&x| (x as f64 - max).exp()).sum();
        let log_sum = sum.ln();
        total += log_sum - (row[tgt as usize] as f64 - max);
        if let Some(d) = dlogits.as_deref_mut() {
            let drow = &mut d[i * v..(i + 1) * v];
            for (g, &x) in drow.iter_mut().zip(row) {
                *g = (((x as f64 - max) - log_sum).exp() as f32) * scale;
            }
            drow[tgt as usize] -= scale;
        }
    }
    let loss = if count > 0 { (total / count as f64) as f32 } else { 0.0 };
    (loss, count)
}

/// Mean squared error over the rows with `row_mask[i] != 0` (all rows when None).
/// pred, target [N, F]. d_pred (overwritten) = 2(pred − target)/(count·F), zero on masked rows.
pub fn mse(pred: &[f32], target: &[f32], f: usize, row_mask: Option<&[f32]>, mut d_pred: Option<&mut [f32]>) -> (f32, usize) {
    let n = pred.len() / f.max(1);
    let on = |i: usize| row_mask.is_none_or(|m| m[i] != 0.0);
    let count = (0..n).filter(|&i| on(i)).count();
    let denom = (count * f) as f64;
    let mut total = 0.0f64;
    for i in 0..n {
        let live = on(i);
        for j in i * f..(i + 1) * f {
            let diff = pred[j] - target[j];
            if live {
                total += (diff as f64) * (diff as f64);
            }
            if let Some(d) = d_pred.as_deref_mut() {
                d[j] = if live { (2.0 * diff as f64 / denom) as f32 } else { 0.0 };
            }
        }
    }
    let loss = if count > 0 { (total / denom) as f32 } else { 0.0 };
    (loss, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_entropy_matches_hand_values_and_finite_differences() {
        let logits = [1.0f32, 2.0, 0.5, -1.0, 0.0, 3.0];
        let targets = [1, 2];
        let mut d = [0f32; 6];
        let (loss, count) = softmax_cross_entropy(&logits, 3, &targets, IGNORE_INDEX, Some(&mut d));
        let row = |a: f64, b: f64, c: f64, t: f64| (a.exp() + b.exp() + c.exp()).ln() - t;
        let want = (row(1.0, 2.0, 0.5, 2.0) + row(-1.0, 0.0, 3.0, 3.0)) / 2.0;
        assert_eq!(count, 2);
        assert!((loss as f64 - want).abs() < 1e-6);
        for k in 0..6 {
            let mut p = logits;
            p[k] += 1e-3;
            let mut m = logits;
            m[k] -= 1e-3;
            let fd = (softmax_cross_entropy(&p, 3, &targets, IGNORE_INDEX, None).0
                - softmax_cross_entropy(&m, 3, &targets, IGNORE_INDEX, None).0)
                / 2e-3;
            assert!((fd - d[k]).abs() < 1e-3, "d{k}: {fd} vs {}", d[k]);
        }
    }

    #[test]
    fn cross_entropy_ignores_rows_and_survives_huge_logits() {
        let logits = [1e30f32, -1e30, 0.0, 5.0, 5.0, 5.0];
        let mut d = [9f32; 6];
        let (loss, count) = softmax_cross_entropy(&logits, 3, &[1, IGNORE_INDEX], IGNORE_INDEX, Some(&mut d));
        assert_eq!(count, 1);
        assert!(loss.is_finite() && loss > 1e29, "loss {loss}");
        assert!(d.iter().all(|x| x.is_finite()));
        assert_eq!(&d[3..], &[0.0, 0.0, 0.0]);
        assert!((d[0] - 1.0).abs() < 1e-6 && (d[1] + 1.0).abs() < 1e-6);
        let (l0, c0) = softmax_cross_entropy(&logits, 3, &[IGNORE_INDEX, IGNORE_INDEX], IGNORE_INDEX, None);
        assert_eq!((l0, c0), (0.0, 0));
    }

    #[test]
    fn mse_mean_and_mask() {
        let pred = [1.0f32, 2.0, 3.0, 4.0];
        let tgt = [0.0f32, 0.0, 3.0, 0.0];
        let mut d = [0f32; 4];
        let (l, c) = mse(&pred, &tgt, 2, None, Some(&mut d));
        assert_eq!(c, 2);
        assert!((l - (1.0 + 4.0 + 0.0 + 16.0) / 4.0).abs() < 1e-6);
        assert!((d[1] - 2.0 * 2.0 / 4.0).abs() < 1e-6);
        let (l, c) = mse(&pred, &tgt, 2, Some(&[0.0, 1.0]), Some(&mut d));
        assert_eq!(c, 1);
        assert!((l - 8.0).abs() < 1e-6);
        assert_eq!(d[0], 0.0);
    }
}
