// workers: 'auto' (createTrainer): the trainer starts one replica per hardware thread, and the
// first fit of each model shape measures whether they pay: a few alternating probes of one
// replica's forward + backward on the whole first batch against all replicas' on their shards
// with the reduce-scatter (parallel/replica.ts; the update is left out: every replica runs the
// same one either way). The choice is cached per model shape for the process.

/** Probes of each kind (the medians decide). */
export const PROBES = 3;
/** N replicas run only where their probe takes at most this share of one replica's. */
export const PAYS = 0.95;

export interface WorkersChoice {
  /** Replicas that train. */
  n: number;
  /** Why, in words (Trainer.workersReason, the CLI's header). */
  reason: string;
}

const choices = new Map<string, WorkersChoice>();
let simulated: { one: number; many: number } | undefined;

/** Tests: calibrations take these probe times (ms) instead of measuring (undefined: measure). */
export function simulateCalibration(t: { one: number; many: number } | undefined): void {
  simulated = t;
  choices.clear();
}

export const cachedChoice = (key: string): WorkersChoice | undefined => choices.get(key);

/** Decides from the probes' median times (ms) of one replica on the whole batch and `n` on
 * their shards, and caches the choice under `key`. */
export function chooseWorkers(key: string, n: number, one: number[], many: number[]): WorkersChoice {
  const a = simulated?.one ?? median(one);
  const b = simulated?.many ?? median(many);
  const ratio = a / b;
  const pays = b <= PAYS * a;
  const c: WorkersChoice = {
    n: pays ? n : 1,
    reason: `auto: ${n} replicas measured ${ratio.toFixed(2)}× one on this model's first batch (${b.toFixed(1)} vs ${a.toFixed(1)} ms), so ${pays ? `${n} train` : '1 trains'}`,
  };
  choices.set(key, c);
  return c;
}

export const isSimulated = (): boolean => simulated !== undefined;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
