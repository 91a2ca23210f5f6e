//! A recurrent stack gives the same per-row results whichever GEMM path its batch size takes:
//! batches of at most `kernels::SMALL_M` rows multiply W_hh unpacked, larger ones pack it once
//! per pass. Each row of a batch of 7 is run again alone and must match (outputs, final states,
//! input gradients, and the batch's parameter gradients as the sum of the rows').

use recurrent_core::CellKind;
use recurrent_core::kernels::SMALL_M;
use recurrent_core::layers::ParamTable;
use recurrent_core::layers::recurrent::{RecurrentConfig, RecurrentStack, SeqInput, StatePair};
use recurrent_core::rng::Rng;

fn close(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= 1e-5 + 1e-4 * y.abs(), "{what}[{i}]: {x} vs {y}");
    }
}

#[test]
fn packed_and_unpacked_batches_agree_row_by_row() {
    let b = 7;
    assert!(b > SMALL_M);
    for cell in [CellKind::Lstm, CellKind::Gru, CellKind::RnnTanh] {
        let (input, hidden, t) = (5, 9, 6);
        let cfg = RecurrentConfig { cell, input, hidden, layers: 2, bidirectional: true, dropout: 0.0 };
        let mut table = ParamTable::default();
        let mut stack = RecurrentStack::new(cfg.clone(), &mut table, "");
        let mut rng = Rng::new(5);
        let mut params = vec![0.0; table.total];
        table.init(&mut params, &mut rng);
        let x: Vec<f32> = (0..b * t * input).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let out_w = cfg.out_dim();
        let d_out: Vec<f32> = (0..b * t * out_w).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let lengths: Vec<usize> = (0..b).map(|i| [6, 3, 0, 6, 1, 5, 6][i]).collect();

        stack.forward(&params, SeqInput { x: &x, b, t, lengths: Some(&lengths) }, StatePair::default(), false, &mut rng);
        let out = stack.output().to_vec();
        let h_n = stack.h_n.clone();
        let mut grads = vec![0.0; table.total];
        let mut dx = vec![0.0; x.len()];
        stack.backward(&params, &mut grads, &x, &d_out, StatePair::default(), Some(&mut dx));

        let mut grads_rows = vec![0.0; table.total];
        let rows = cfg.state_rows();
        for r in 0..b {
            let xr = &x[r * t * input..(r + 1) * t * input];
            stack.forward(&params, SeqInput { x: xr, b: 1, t, lengths: Some(&lengths[r..r + 1]) }, StatePair::default(), false, &mut rng);
            close(stack.output(), &out[r * t * out_w..(r + 1) * t * out_w], &format!("{cell:?} out row {r}"));
            for l in 0..rows {
                close(
                    &stack.h_n[l * hidden..(l + 1) * hidden],
                    &h_n[(l * b + r) * hidden..(l * b + r + 1) * hidden],
                    &format!("{cell:?} h_n row {r}"),
                );
            }
            let mut dxr = vec![0.0; xr.len()];
            stack.backward(&params, &mut grads_rows, xr, &d_out[r * t * out_w..(r + 1) * t * out_w], StatePair::default(), Some(&mut dxr));
            close(&dxr, &dx[r * t * input..(r + 1) * t * input], &format!("{cell:?} dx row {r}"));
        }
        close(&grads_rows, &grads, &format!("{cell:?} parameter gradients"));
    }
}
