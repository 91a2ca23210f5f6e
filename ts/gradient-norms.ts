// Per-step gradient norms (core `layers/step_norms.rs`): after a backward, how much of the
// loss's gradient reached each step's state, per layer and direction. The classic picture of
// vanishing (tanh RNN) and kept (LSTM, GRU) gradients through time.

/**
 * The per-step gradient norms of one recurrent layer after a backward, over the whole batch:
 * entry (row, t) is sqrt(Σ_b Σ_j (dL/dh_t[b, j])²), the total gradient of the state after step
 * t (through the output at t, the next step and the layer above). Rows are l·D + d (stacked
 * layer l, direction d: 0 forward, 1 reverse, as in h0); columns are steps in time order, for
 * the reverse direction too. With `lengths`, a row counts only at its valid steps.
 * Exact to PyTorch's `retain_grad()` on every step's state (test/fixtures/stepgrad).
 */
export interface GradientNorms {
  /** The recurrent layer's name in the model (`''` for a {@link RecurrentLayer}). */
  layer: string;
  /** L·D: stacked layers × directions. */
  rows: number;
  /** T, the batch's padded length. */
  steps: number;
  /** ||dL/dh_t||, [rows, steps] row-major. */
  h: Float32Array;
  /** ||dL/dc_t|| of the LSTM's cell state, [rows, steps] (LSTM only). */
  c?: Float32Array;
}

/** The wasm side's objects `{ name, rows, steps, h, c? }` as {@link GradientNorms}. */
export function gradientNormsFromCore(raw: readonly { name: string; rows: number; steps: number; h: Float32Array; c?: Float32Array }[]): GradientNorms[] {
  return raw.map((r) => {
    const g: GradientNorms = { layer: r.name, rows: r.rows, steps: r.steps, h: r.h };
    if (r.c) g.c = r.c;
    return g;
  });
}
