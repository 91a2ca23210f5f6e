// The gradient-flow page's worker: one cell (tanh RNN, LSTM or GRU) learning the adding problem
// (`addingExperiment` from recurrent-nn/tasks, the same run as `recurrent gradients`), trained
// `every` updates at a time; after each chunk it posts the chunk's training losses, the test
// MSE and the per-step gradient norms ||dL/dh_t|| on the probe batch. The page starts one worker
// per cell, so the three train side by side on separate threads.
import { type CellType, init } from 'recurrent-nn';
import { type AddingExperiment, addingExperiment } from 'recurrent-nn/tasks';

export interface Start {
  kind: 'start';
  cell: CellType;
  /** T. */
  steps: number;
  units: number;
  updates: number;
  /** Updates between two reports. */
  every: number;
  lr: number;
  testSize: number;
  seed: number;
  /** Pins the kernel build (the browser test compares with Node's simd128 build). @default the fastest the browser runs */
  kernels?: 'simd128' | 'relaxed-simd';
}
export type Request = Start | { kind: 'stop' };
export type Reply =
  /** Before the first update: the profile at initialisation. */
  | { kind: 'started'; cell: CellType; profile: Float32Array; testMse: number }
  /** After `updates` updates: the last chunk's losses, the test MSE, the profile now. */
  | { kind: 'progress'; cell: CellType; updates: number; losses: number[]; testMse: number; profile: Float32Array; ms: number }
  | { kind: 'done'; cell: CellType; updates: number; stopped: boolean }
  | { kind: 'error'; cell?: CellType; message: string };

let ready: Promise<void> | undefined;
let run: AddingExperiment | undefined;
let stopping = false;
const post = (r: Reply) => (self as unknown as Worker).postMessage(r);
/** Lets queued messages (a stop) in between two chunks. */
const yieldToMessages = () => new Promise((r) => setTimeout(r, 0));

async function train(m: Start): Promise<void> {
  ready ??= init(undefined, m.kernels ? { kernels: m.kernels } : {});
  await ready;
  run?.dispose();
  stopping = false;
  run = addingExperiment(m.cell, m.steps, { units: m.units, lr: m.lr, testSize: m.testSize, seed: m.seed });
  const x = run;
  post({ kind: 'started', cell: m.cell, profile: x.profile(), testMse: x.testMse() });
  let ms = 0;
  while (x.updates < m.updates && !stopping) {
    await yieldToMessages();
    if (stopping || run !== x) break;
    const t0 = performance.now();
    const losses = x.train(Math.min(m.every, m.updates - x.updates));
    ms += performance.now() - t0;
    post({ kind: 'progress', cell: m.cell, updates: x.updates, losses, testMse: x.testMse(), profile: x.profile(), ms });
  }
  if (run === x) post({ kind: 'done', cell: m.cell, updates: x.updates, stopped: x.updates < m.updates });
}

self.onmessage = (e: MessageEvent<Request>) => {
  const m = e.data;
  if (m.kind === 'stop') {
    stopping = true;
    return;
  }
  train(m).catch((err) => post({ kind: 'error', cell: m.cell, message: err instanceof Error ? err.message : String(err) }));
};
