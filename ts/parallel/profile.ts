// Where a data-parallel step's time goes (bench/profile.mjs reads it): off unless switched on
// with setParallelProfile(true); then the coordinator adds each step's phases, in ms of the
// calling thread's wall clock, and each fit's start-up. Not part of the public API.

/** Milliseconds summed over the steps (and fits) since the last reset. */
export interface ParallelProfile {
  /** Steps (updates) and fits timed. */
  steps: number;
  fits: number;
  /** A fit's start-up: from fit() to the replicas ready to train (data sent, plans made). */
  startup: number;
  /** Forward + backward on a shard, getting the gradient out included (the slowest replica's
   * on the message path, replica 0's through shared memory). */
  compute: number;
  /** Replicas that finished early waiting for the slowest (the slowest's compute − the mean;
   * the message path only: through shared memory that wait is part of `barrier`). */
  imbalance: number;
  /** Reducing the replicas' gradients (in the calling thread, or replica 0's slice). */
  combine: number;
  /** The optimizer update (the slowest replica's, or replica 0's). */
  apply: number;
  /** Replica 0 waiting at the shared-memory barriers (for the slower replica, and wake-ups). */
  barrier: number;
  /** Round trips through the calling thread less the replicas' own work: messages, wake-ups
   * (through shared memory: the one call that starts the fit, over its steps). */
  messaging: number;
  /** The rest of each step's wall time: the fit engine, events, the event loop's turn
   * (wherever the engine runs). */
  idle: number;
  /** Wall time of the timed steps. */
  wall: number;
}

const zero = (): ParallelProfile => ({
  steps: 0,
  fits: 0,
  startup: 0,
  compute: 0,
  imbalance: 0,
  combine: 0,
  apply: 0,
  barrier: 0,
  messaging: 0,
  idle: 0,
  wall: 0,
});

let on = false;
let acc = zero();

/** Starts (true) or stops profiling; starting resets the sums. */
export function setParallelProfile(enable: boolean): void {
  on = enable;
  if (enable) acc = zero();
}

export function profiling(): boolean {
  return on;
}

/** The sums since profiling started. */
export function parallelProfile(): ParallelProfile {
  return { ...acc };
}

/** Adds `ms` to phase `k` (no-op unless profiling). */
export function addPhase(k: Exclude<keyof ParallelProfile, 'steps' | 'fits'>, ms: number): void {
  if (on) acc[k] += ms;
}

export function countStep(fit = false): void {
  if (!on) return;
  if (fit) acc.fits += 1;
  else acc.steps += 1;
}
