// Data-parallel training: one model (the sequential model or the encoder-decoder) trained on N
// worker replicas (createTrainer({ workers })).
// The coordinator runs in the calling thread and implements the SessionApi for the Trainer.
// Every replica holds the same weights and the training data (sent once per fit) and builds
// its row shard of batch i itself; per step each computes its shard's gradient, the
// coordinator combines them in a fixed order (parallel/shards.ts) into the gradient of the
// whole batch's mean loss (weighted by what the loss is a mean over: rows, or the
// encoder-decoder's target tokens), and every replica applies that same update, so replicas
// stay bit-identical. Gradients travel through a SharedArrayBuffer where the runtime allows it,
// else as messages. Calls other than training go to every replica (build, compile, load, …)
// or to replica 0 (predict, evaluate, save, …). A replica that dies ends every other one, and
// pending and later calls reject with E_STATE.
import type { CtcHypothesis } from '../ctc.js';
import type { DataLike } from '../data/source.js';
import type { VocabularyJSON } from '../data/vocab.js';
import { stateError } from '../errors.js';
import type { EvalResult, FitEvent, FitResult } from '../events.js';
import { type FitTarget, runFit, type StepOutcome } from '../fit.js';
import { checkHooks, HookRunner, type HookTarget } from '../fit-hooks.js';
import { checkFitOptions, fitBatchSize } from '../fit-options.js';
import type { GradientNorms } from '../gradient-norms.js';
import type { TrainingState } from '../io/checkpoint.js';
import type { ImportWeightsOptions } from '../io/torch.js';
import type { BatchInput, BatchTargets } from '../model.js';
import { type ScorePart, scoreResult } from '../score.js';
import type { DecodeOptions, Hypothesis, Pair, Seq2SeqSpecJSON } from '../seq2seq.js';
import {
  type CtcDecodeCall,
  defineCalls,
  type GenerateOptions,
  type ModelInfo,
  SETUP_CALLS,
  type SessionApi,
  type SessionFitOptions,
  type SetupCall,
} from '../session-api.js';
import type { ModelSpecJSON } from '../spec.js';
import type { Link, SessionPort } from '../worker/link.js';
import type { ShardResult } from './replica.js';
import type { WorkerApi } from './replica-session.js';
import { combineGrads } from './shards.js';

/** Whether gradients can travel through shared memory here (Node, Deno, Bun, and pages that
 * are cross-origin isolated). */
export function sharedMemoryAvailable(): boolean {
  const g = globalThis as { crossOriginIsolated?: boolean };
  return typeof SharedArrayBuffer === 'function' && g.crossOriginIsolated !== false;
}

/** N worker replicas behind the SessionApi (createTrainer({ workers })). */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface declares the SETUP_CALLS methods (compile), which the static block defines
export class ParallelSession implements SessionApi {
  readonly #links: Link<WorkerApi>[];
  readonly #shared: boolean;
  readonly #kernels: string;
  #info: ModelInfo | undefined;
  #training: TrainingState | undefined;
  #stop = false;
  #fitting = false;
  #cancel: Error | undefined;
  /** The training step in flight (save waits for it, so weights and position agree). */
  #inStep: Promise<unknown> = Promise.resolve();

  /** @param links one per replica, already initialised; @param shared use SharedArrayBuffer */
  constructor(links: Link<WorkerApi>[], shared: boolean, kernels: string) {
    this.#links = links;
    this.#shared = shared;
    this.#kernels = kernels;
  }

  get workers(): number {
    return this.#links.length;
  }

  /** Closes every replica's line with `reason` (a replica that failed ends the others). */
  closeAll(reason: Error): void {
    this.#cancel ??= reason;
    for (const l of this.#links) l.close(reason);
  }

  get #r0(): SessionPort<WorkerApi> {
    return this.#links[0].port;
  }

  #all<T>(f: (p: SessionPort<WorkerApi>, w: number) => Promise<T> | T): Promise<T[]> {
    return Promise.all(this.#links.map((l, w) => f(l.port, w)));
  }

  #guard(what: string): void {
    if (this.#fitting) throw stateError(`${what}() cannot run while fit() is training; abort it first`);
  }

  async #setInfo(i: ModelInfo): Promise<ModelInfo> {
    this.#info = i;
    return this.info();
  }

  /** The replicas loaded the wasm when they started; answers replica 0's kernels. */
  async init(): Promise<string> {
    return this.#kernels;
  }

  async build(spec: ModelSpecJSON | Seq2SeqSpecJSON, seed = 0): Promise<ModelInfo> {
    this.#guard('build');
    const infos = await this.#all((p) => p.build(spec, seed));
    this.#training = undefined;
    return this.#setInfo(infos[0]);
  }
  static {
    // compile: on every replica, between fits; then replica 0's info (its compile options)
    defineCalls(
      ParallelSession.prototype,
      SETUP_CALLS,
      (name) =>
        async function (this: ParallelSession, ...args: unknown[]): Promise<void> {
          this.#guard(name);
          await this.#all((p) => Reflect.apply(p[name], p, args));
          this.#info = await this.#r0.info();
        },
    );
  }
  async setVocabulary(v: VocabularyJSON | undefined): Promise<void> {
    await this.#all((p) => p.setVocabulary(v));
  }
  async info(): Promise<ModelInfo> {
    const i = await this.#r0.info();
    delete i.training;
    if (this.#training) i.training = { ...this.#training };
    return i;
  }
  abort(): void {
    this.#stop = true;
  }

  /** Trains the model through the fit engine, one row shard per replica (the replicas check
   * the data and the options as `Session.fit` does). */
  async fit(data: DataLike | readonly Pair[], opts: SessionFitOptions = {}, emit?: (e: FitEvent) => void | Promise<void>, aborted = false): Promise<FitResult> {
    this.#guard('fit');
    const info = this.#info;
    if (!info) throw stateError('no model yet: build() or load() one first');
    const f = checkFitOptions(opts, fitBatchSize(info.spec), this.#training);
    const c = info.compiled;
    const schedule = c && 'schedule' in c ? c.schedule : undefined;
    const hooks = checkHooks(opts.hooks, {
      hasValidation: opts.validation !== undefined,
      constantSchedule: schedule === undefined || schedule.name === 'constant',
    });
    this.#fitting = true;
    try {
      return await this.#run(data, opts, f, emit, aborted, new HookRunner(hooks, this.#hookTarget()));
    } finally {
      this.#fitting = false;
      await this.#all((port) => port.replicaEnd()).catch(() => undefined);
    }
  }

  async #run(
    data: DataLike | readonly Pair[],
    opts: SessionFitOptions,
    o: { epochs: number; batchSize: number; budget?: number; pos: TrainingState },
    emit: ((e: FitEvent) => void | Promise<void>) | undefined,
    aborted: boolean,
    hooks: HookRunner<Record<string, Float32Array>>,
  ): Promise<FitResult> {
    const { batchSize, pos } = o;
    const n = this.workers;
    const p = this.#info!.paramCount;
    const shared = this.#shared ? new SharedArrayBuffer((n + 1) * p * 4) : undefined;
    const slot = (k: number) => (shared ? new Float32Array(shared, k * p * 4, p) : new Float32Array(p));
    const combined = slot(n);
    const acc = new Float64Array(p);
    const zeros = new Float32Array(0);
    const plans = await this.#all((port, w) =>
      port.replicaBegin(data, { batchSize, shuffle: opts.shuffle, validation: opts.validation, tbptt: opts.tbptt, lrDecay: opts.lrDecay }, w, n, shared),
    );
    /** One update: every replica's gradient of window k (0 without tbptt), combined, applied. */
    const update = async (rs: ShardResult[]) => {
      const grads = rs.map((r, w) => (shared ? slot(w) : (r.grads ?? zeros)));
      const loss = combineGrads(
        grads,
        rs.map((r) => r.loss),
        rs.map((r) => r.count),
        combined,
        acc,
      );
      const outs = await this.#all((port, w) => {
        if (shared) return port.replicaApply();
        const copy = combined.slice();
        return port.replicaApply(this.#links[w].send(copy, [copy.buffer]));
      });
      return { loss, gradNorm: outs[0].gradNorm, lr: outs[0].lr };
    };
    const step = async (epoch: number, dataSeed: number, i: number): Promise<StepOutcome> => {
      const first = await this.#all((port) => port.replicaGrad(epoch, dataSeed, i, pos.step, 0));
      const windows = Math.max(1, ...first.map((r) => r.windows));
      const tokens = first.reduce((a, r) => a + r.tokens, 0);
      let r = await update(first);
      let lossSum = r.loss;
      for (let k = 1; k < windows; k++) {
        const rs = await this.#all((port) => port.replicaGrad(epoch, dataSeed, i, pos.step + k, k));
        r = await update(rs);
        lossSum += r.loss;
      }
      return { loss: lossSum / windows, gradNorm: r.gradNorm, lr: r.lr, updates: windows, tokens };
    };
    const target: FitTarget = {
      batchesPerEpoch: plans[0].batchesPerEpoch,
      bits: plans[0].bits,
      epoch: (epoch, dataSeed) => ({
        batches: plans[0].batchesPerEpoch,
        train: (i) => {
          const s = step(epoch, dataSeed, i);
          this.#inStep = s.catch(() => undefined);
          return s;
        },
      }),
      // every replica scores its part of the validation batches; the sums combine in order
      validate:
        opts.validation === undefined
          ? undefined
          : async () => scoreResult((await this.#all((port) => port.replicaValidate())).filter((p): p is ScorePart => p !== undefined)),
      endEpoch: async () => {
        await this.#all((port) => port.replicaEndEpoch());
      },
    };
    this.#training = pos;
    this.#stop = aborted;
    const poll = () => this.#cancel ?? (this.#stop ? 'abort' : undefined);
    return runFit(target, pos, { epochs: o.epochs, timeBudgetMs: o.budget, emit, poll, hooks });
  }

  /** The fit hooks' view of the replicas: replica 0's weights and rate, set on every replica. */
  #hookTarget(): HookTarget<Record<string, Float32Array>> {
    return {
      snapshot: () => this.#r0.getWeights(),
      restore: async (w) => {
        await this.#all((p) => p.replicaSetWeights(w));
      },
      learningRate: () => this.#r0.replicaLearningRate(),
      setLearningRate: async (lr) => {
        await this.#all((p) => p.replicaLearningRate(lr));
      },
    };
  }

  async evaluate(data: DataLike | readonly Pair[], opts?: { batchSize?: number }): Promise<EvalResult> {
    await this.#inStep; // between steps (tbptt's carried state, weights and position agree)
    return this.#r0.evaluate(data, opts);
  }
  async decode(sources: readonly ArrayLike<number>[], opts?: DecodeOptions): Promise<Hypothesis[][]> {
    await this.#inStep; // between steps (tbptt's carried state, weights and position agree)
    return this.#r0.decode(sources, opts);
  }
  async predict(input: BatchInput): Promise<Float32Array> {
    await this.#inStep; // between steps (tbptt's carried state, weights and position agree)
    return this.#r0.predict(input);
  }
  async gradientProfile(input: BatchInput, targets: BatchTargets): Promise<GradientNorms[]> {
    await this.#inStep; // between steps (the weights of one step)
    return this.#r0.gradientProfile(input, targets);
  }
  async predictStep(input: BatchInput): Promise<Float32Array> {
    await this.#inStep; // between steps (tbptt's carried state, weights and position agree)
    return this.#r0.predictStep(input);
  }
  async ctcDecode(input: BatchInput, opts?: CtcDecodeCall): Promise<CtcHypothesis[][]> {
    await this.#inStep; // between steps (tbptt's carried state, weights and position agree)
    return this.#r0.ctcDecode(input, opts);
  }
  resetState(): Promise<void> {
    return this.#r0.resetState();
  }
  async generate(prompt: string | ArrayLike<number>, opts?: GenerateOptions): Promise<string | Uint32Array> {
    await this.#inStep; // between steps (tbptt's carried state, weights and position agree)
    return this.#r0.generate(prompt, opts);
  }
  /** Replica 0's file, with the coordinator's training position. */
  async save(opts?: { training?: boolean }): Promise<Uint8Array> {
    await this.#inStep;
    await this.#r0.setTrainingState(this.#training);
    return this.#r0.save(opts);
  }
  async load(bytes: Uint8Array): Promise<ModelInfo> {
    this.#guard('load');
    const infos = await this.#all((p) => p.load(bytes));
    this.#training = infos[0].training;
    return this.#setInfo(infos[0]);
  }
  getWeights(): Promise<Record<string, Float32Array>> {
    return this.#r0.getWeights();
  }
  /** Every replica's weights (tests compare them: they stay bit-identical). */
  replicaWeights(): Promise<Record<string, Float32Array>[]> {
    return this.#all((p) => p.getWeights());
  }
  async importWeights(bytes: Uint8Array, opts?: ImportWeightsOptions): Promise<{ names: string[]; skipped: string[] }> {
    this.#guard('importWeights');
    const r = await this.#all((p) => p.importWeights(bytes, opts));
    return r[0];
  }
  async dispose(): Promise<void> {
    if (this.#fitting) this.#cancel ??= stateError('the trainer was disposed during fit()');
    await this.#all((p) => p.dispose()).catch(() => undefined);
    this.closeAll(stateError('this trainer has been disposed'));
  }
}

/** The SETUP_CALLS methods (compile), defined by ParallelSession's static block. */
export interface ParallelSession extends Pick<SessionPort, SetupCall> {}
