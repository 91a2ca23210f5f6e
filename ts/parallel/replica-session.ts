// The replica protocol: a worker's Session as replica w of n of a data-parallel fit, driven by
// the coordinator (parallel/coordinator.ts) through comlink. The worker exposes a
// ReplicaSession: the whole SessionApi (one worker, or replica 0's save/predict/…) plus the
// calls below. What a replica trains on comes from its model kind's fit plan (model-kind.ts).
import type { DataLike } from '../data/source.js';
import { stateError } from '../errors.js';
import type { FitEvent, FitResult } from '../events.js';
import type { TrainingState } from '../io/checkpoint.js';
import type { FitPlan } from '../model-kind.js';
import type { ScorePart } from '../score.js';
import type { Pair } from '../seq2seq.js';
import { Session } from '../session.js';
import type { SessionApi, SessionFitOptions } from '../session-api.js';
import { follow, type LeadOptions, type LeadPhases, leadFit } from './lead.js';
import { Replica, type ReplicaStep, type ShardResult } from './replica.js';

/** The options of one data-parallel fit a replica needs (the coordinator checked the rest). */
export type ReplicaFitOptions = Pick<SessionFitOptions, 'shuffle' | 'validation' | 'tbptt' | 'lrDecay'> & { batchSize: number };

/** What the coordinator asks of each replica, besides the SessionApi. */
export interface ReplicaApi {
  /** Makes this session replica `w` of `n` for one fit of its model on `data` (checked as
   * `fit` checks it; undefined: the last fit's data and validation data again), taking steps
   * among the replicas through `shared` (parallel/step-memory.ts) when given; the batches per
   * epoch and whether losses are cross-entropies. */
  replicaBegin(
    data: DataLike | readonly Pair[] | undefined,
    opts: ReplicaFitOptions,
    w: number,
    n: number,
    shared?: SharedArrayBuffer,
  ): { batchesPerEpoch: number; bits: boolean };
  /** Shared memory: batch `i` trained among the replicas (every replica is called for it). */
  replicaStep(epoch: number, seed: number, i: number, step: number, probe?: boolean): ReplicaStep;
  /** workers: 'auto' (replica 0): ms of the gradient of the whole batch `i` on this replica
   * alone (nothing applied). */
  replicaProbeOne(epoch: number, seed: number, i: number): number;
  /** Messages: this replica's gradient of its shard of batch `i` (window `window` under truncated BPTT). */
  replicaGrad(epoch: number, seed: number, i: number, step: number, window?: number): ShardResult;
  /** Messages: applies the combined gradient. */
  replicaApply(grads: Float32Array): { gradNorm: number; lr: number; ms: number };
  /** Shared memory, replica 0: runs the fit engine from `pos`, the others following
   * (parallel/lead.ts); the result, the final position and the steps' phases. */
  replicaLead(
    o: LeadOptions,
    pos: TrainingState,
    emit?: (e: FitEvent) => void | Promise<void>,
    aborted?: boolean,
  ): Promise<{ result: FitResult; pos: TrainingState; phases: LeadPhases }>;
  /** Shared memory, replicas 1…n − 1: follows the leader's commands until the fit ends. */
  replicaFollow(): void;
  /** Loss sums over this replica's part of the validation data. */
  replicaValidate(): ScorePart | undefined;
  /** The epoch's end (schedule step or learning-rate decay). */
  replicaEndEpoch(): void;
  /** Leaves the run (ends truncated BPTT's carried state). */
  replicaEnd(): void;
  /** Sets the training position a saved file carries (the coordinator's, on replica 0). */
  setTrainingState(pos: TrainingState | undefined): void;
  /** Sets every parameter (a fit hook restoring the best weights). */
  replicaSetWeights(w: Record<string, Float32Array>): void;
  /** The learning rate of the next update; with `lr`, sets the base rate first (reduce-on-plateau). */
  replicaLearningRate(lr?: number): number;
}

/** What a training worker exposes. */
export type WorkerApi = SessionApi & ReplicaApi;

/** A worker's session: the SessionApi, and the replica protocol for data-parallel fits. */
export class ReplicaSession extends Session implements ReplicaApi {
  #replica: Replica | undefined;
  #plan: FitPlan | undefined;
  #w = 0;
  /** The data (and validation data) of the last fit, kept for the next one. */
  #data: { data: DataLike | readonly Pair[]; validation: ReplicaFitOptions['validation'] } | undefined;
  /** A stop request for the fit this replica leads. */
  #stopLead = false;

  replicaBegin(
    data: DataLike | readonly Pair[] | undefined,
    opts: ReplicaFitOptions,
    w: number,
    n: number,
    shared?: SharedArrayBuffer,
  ): { batchesPerEpoch: number; bits: boolean } {
    if (data === undefined) {
      // the coordinator saw the last fit's data again: reuse them (validation data too)
      if (!this.#data) throw stateError('replicaBegin: this replica holds no data from an earlier fit');
      data = this.#data.data;
      opts = { ...opts, validation: this.#data.validation };
    } else this.#data = undefined;
    const plan = this.fitPlan(data, opts, opts.batchSize);
    this.#data = { data, validation: opts.validation };
    this.#plan = plan;
    this.#w = w;
    const part = plan.validatePart;
    this.#replica = new Replica(plan.shard(w, n), { w, n, shared, validate: part && (() => part(w, n)) });
    return { batchesPerEpoch: plan.batchesPerEpoch, bits: plan.bits };
  }
  #needReplica(): Replica {
    if (!this.#replica) throw stateError('this session is not a data-parallel replica (replicaBegin first)');
    return this.#replica;
  }
  replicaStep(epoch: number, seed: number, i: number, step: number, probe = false): ReplicaStep {
    return this.#needReplica().step(epoch, seed, i, step, probe);
  }
  replicaProbeOne(epoch: number, seed: number, i: number): number {
    this.#needReplica();
    const kind = this.#plan!.shard(0, 1);
    const t0 = performance.now();
    try {
      new Replica(kind, { w: 0, n: 1 }).grad(epoch, seed, i, 0);
    } finally {
      kind.end();
    }
    return performance.now() - t0;
  }
  replicaGrad(epoch: number, seed: number, i: number, step: number, window = 0): ShardResult {
    return this.#needReplica().grad(epoch, seed, i, step, window);
  }
  replicaApply(grads: Float32Array): { gradNorm: number; lr: number; ms: number } {
    return this.#needReplica().apply(grads);
  }
  async replicaLead(
    o: LeadOptions,
    pos: TrainingState,
    emit?: (e: FitEvent) => void | Promise<void>,
    aborted = false,
  ): Promise<{ result: FitResult; pos: TrainingState; phases: LeadPhases }> {
    const r = this.#needReplica();
    const mem = r.memory;
    if (!mem) throw stateError('replicaLead needs shared memory');
    this.#stopLead = aborted;
    this.training = pos; // live: a save during the fit has the engine's position
    const { result, phases } = await leadFit(r, mem, this.kindModel, o, pos, emit, () => (this.#stopLead ? 'abort' : undefined));
    return { result, pos, phases };
  }
  replicaFollow(): void {
    const r = this.#needReplica();
    const mem = r.memory;
    if (!mem) throw stateError('replicaFollow needs shared memory');
    follow(r, mem, this.kindModel, this.#w);
  }
  override abort(): void {
    super.abort();
    this.#stopLead = true;
  }
  replicaValidate(): ScorePart | undefined {
    return this.#needReplica().validate();
  }
  replicaEndEpoch(): void {
    this.#needReplica().endEpoch();
  }
  replicaEnd(): void {
    this.#replica?.end();
    this.#replica = undefined;
    this.#plan = undefined;
  }
  setTrainingState(pos: TrainingState | undefined): void {
    this.training = pos;
  }
  replicaSetWeights(w: Record<string, Float32Array>): void {
    const m = this.kindModel;
    for (const n of m.paramNames()) m.setParam(n, w[n]);
  }
  replicaLearningRate(lr?: number): number {
    const m = this.kindModel;
    if (lr !== undefined) m.learningRate = lr;
    return m.learningRate;
  }
}
