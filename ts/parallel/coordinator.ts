// Data-parallel training: one model (the sequential model or the encoder-decoder) trained on N
// worker replicas (createTrainer({ workers })).
// The coordinator runs in the calling thread and implements the SessionApi for the Trainer.
// Every replica holds the same weights and the training data (sent once per fit) and builds its
// row shard of batch i itself. With shared memory (the default where the runtime has
// SharedArrayBuffer) replica 0 runs the fit engine and the others follow its commands
// (parallel/lead.ts): per step they meet at barriers, reduce-scatter their gradients in a fixed
// order and apply the same update (parallel/replica.ts), and this thread only starts the fit,
// forwards a stop request and hears the events. Without it (a page that is not cross-origin
// isolated, or sharedMemory: false) the engine runs here: each replica sends its shard's
// gradient, the coordinator combines them in the same fixed order (parallel/shards.ts) and sends
// the combined gradient back. Both paths give the same bits, and the replicas stay identical.
// workers: 'auto' measures per model shape whether the replicas pay (parallel/auto.ts) and
// otherwise trains on replica 0 alone. Calls other than training go to every replica (build,
// compile, load, …) or to replica 0 (predict, evaluate, save, …). A replica that dies ends every
// other one (the barrier's abort flag releases those waiting for it), and pending and later
// calls reject with E_STATE.
import type { CtcHypothesis } from '../ctc.js';
import type { DataLike } from '../data/source.js';
import type { VocabularyJSON } from '../data/vocab.js';
import { stateError } from '../errors.js';
import type { EvalResult, FitEvent, FitResult } from '../events.js';
import { type FitTarget, runFit, type StepOutcome } from '../fit.js';
import { checkHooks, type FitHooks, HookRunner, type HookTarget } from '../fit-hooks.js';
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
import { cachedChoice, chooseWorkers, isSimulated, PROBES, type WorkersChoice } from './auto.js';
import { BARRIER_RELEASE } from './barrier.js';
import { fingerprint } from './fingerprint.js';
import type { LeadOptions } from './lead.js';
import { addPhase, countStep, profiling } from './profile.js';
import type { ShardResult } from './replica.js';
import type { WorkerApi } from './replica-session.js';
import { combineGrads } from './shards.js';
import { StepMemory, stepMemoryBytes } from './step-memory.js';

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
  /** The fit replica 0 leads, until every replica has answered (closeAll waits for it). */
  #leading: Promise<unknown> = Promise.resolve();
  /** The fingerprint of the data (and validation data) every replica holds from the last fit. */
  #dataKey: string | undefined;
  /** The shared memory of the last fit (kept for the next one of the same size) and its view. */
  #sab: SharedArrayBuffer | undefined;
  #mem: StepMemory | undefined;

  /** workers: 'auto': whether the replicas pay is measured per model shape (parallel/auto.ts). */
  readonly #auto: boolean;
  #choice: WorkersChoice | undefined;
  /** A fit ran on replica 0 alone: the others take its weights and optimizer state before they train. */
  #stale = false;
  /** The running fit's engine is replica 0's (a fit on it alone, or one it leads). */
  #inR0 = false;

  /** @param links one per replica, already initialised; @param shared use SharedArrayBuffer;
   * @param auto workers: 'auto' (the first fit of a model shape decides how many train) */
  constructor(links: Link<WorkerApi>[], shared: boolean, kernels: string, auto = false) {
    this.#links = links;
    this.#shared = shared;
    this.#kernels = kernels;
    this.#auto = auto;
  }

  /** Replicas started. */
  get replicas(): number {
    return this.#links.length;
  }

  /** Replicas that train (with workers: 'auto', what the last fit chose). */
  get workers(): number {
    return this.#choice?.n ?? this.#links.length;
  }

  /** Why that many train, in words. */
  get workersReason(): string {
    if (this.#choice) return this.#choice.reason;
    const how = this.#shared ? 'synchronising through shared memory' : 'synchronising through messages (no SharedArrayBuffer here)';
    return this.#auto ? `auto: one per hardware thread, ${how}; the first fit of each model shape measures whether they pay` : how;
  }

  /** Closes every replica's line with `reason` (a replica that failed ends the others). */
  closeAll(reason: Error): void {
    this.#cancel ??= reason;
    this.#mem?.barrier.abort(); // releases replicas waiting at the barrier for one that died
    const close = () => {
      for (const l of this.#links) l.close(reason);
    };
    if (!this.#fitting) {
      close();
      return;
    }
    // the released replicas answer their step (E_STATE) first, then every line closes
    const grace = new Promise<void>((r) => (setTimeout(r, 1000) as { unref?: () => void }).unref?.());
    void Promise.race([this.#inR0 ? this.#leading : this.#inStep, grace]).then(close);
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
    this.#stale = false;
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
    // replicas following replica 0's fit hear no calls until it ends (an epoch handler waiting
    // on them would wait forever)
    if (this.#inR0) this.#guard('setVocabulary');
    await this.#all((p) => p.setVocabulary(v));
  }
  async info(): Promise<ModelInfo> {
    const i = await this.#r0.info();
    if (this.#inR0) return i;
    delete i.training;
    if (this.#training) i.training = { ...this.#training };
    return i;
  }
  abort(): void {
    this.#stop = true;
    if (this.#inR0) void this.#r0.abort().catch(() => undefined);
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
    this.#stop = aborted;
    const n = this.replicas;
    try {
      const key = `${JSON.stringify(info.spec)}|${f.batchSize}|${opts.tbptt?.window ?? 0}|${n}|${this.#shared}`;
      if (this.#auto) this.#choice = cachedChoice(key);
      if (this.#choice?.n === 1) return await this.#fitAlone(data, opts, emit);
      await this.#sync();
      const plans = await this.#begin(data, opts, f.batchSize, n);
      if (this.#auto && !this.#choice) {
        this.#choice = await this.#calibrate(key, f.pos, plans[0].batchesPerEpoch);
        if (this.#choice.n === 1) {
          await this.#all((port) => port.replicaEnd());
          return await this.#fitAlone(data, opts, emit);
        }
      }
      if (this.#shared) return await this.#lead(plans[0], opts, f, hooks, emit);
      return await this.#run(plans, opts, f, emit, aborted, new HookRunner(hooks, this.#hookTarget()));
    } finally {
      this.#fitting = false;
      await this.#all((port) => port.replicaEnd()).catch(() => undefined);
    }
  }

  /** Makes every replica replica w of n for this fit. The data go to each once, or not at all
   * when they have the same content as the last fit's (the replicas kept them). */
  async #begin(data: DataLike | readonly Pair[], opts: SessionFitOptions, batchSize: number, n: number) {
    const shared = this.#shared ? this.#stepMemory(n, this.#info!.paramCount) : undefined;
    const t0 = performance.now();
    const key = fingerprint([data, opts.validation]);
    const same = key === this.#dataKey;
    this.#dataKey = undefined; // until every replica holds the data
    const o = { batchSize, shuffle: opts.shuffle, validation: same ? undefined : opts.validation, tbptt: opts.tbptt, lrDecay: opts.lrDecay };
    const plans = await this.#all((port, w) => port.replicaBegin(same ? undefined : data, o, w, n, shared?.sab));
    this.#dataKey = key;
    addPhase('startup', performance.now() - t0);
    countStep(true);
    return plans;
  }

  /** workers: 'auto': PROBES alternating probes of replica 0 alone on the whole first batch and
   * of every replica on its shard (reduce-scatter included, nothing applied). */
  async #calibrate(key: string, pos: TrainingState, batches: number): Promise<WorkersChoice> {
    const one: number[] = [];
    const many: number[] = [];
    const i = Math.min(pos.batch, batches - 1);
    if (!isSimulated()) {
      for (let k = 0; k < PROBES; k++) {
        let t0 = performance.now();
        await this.#r0.replicaProbeOne(pos.epoch, pos.seed, i);
        one.push(performance.now() - t0);
        t0 = performance.now();
        if (this.#shared) await this.#settled((port) => port.replicaStep(pos.epoch, pos.seed, i, pos.step, true));
        else await this.#all((port) => port.replicaGrad(pos.epoch, pos.seed, i, pos.step));
        many.push(performance.now() - t0);
      }
    }
    return chooseWorkers(key, this.replicas, one, many);
  }

  /** The fit on replica 0 alone, as a one-worker trainer runs it (its engine in the worker). */
  async #fitAlone(data: DataLike | readonly Pair[], opts: SessionFitOptions, emit: ((e: FitEvent) => void | Promise<void>) | undefined) {
    await this.#r0.setTrainingState(this.#training); // the position a resume starts from
    this.#inR0 = true;
    this.#stale = true;
    try {
      return await this.#r0.fit(data, opts, emit && this.#links[0].callback(emit), this.#stop);
    } finally {
      this.#inR0 = false;
      this.#training = (await this.#r0.info().catch(() => undefined))?.training;
    }
  }

  /** Through shared memory: replica 0 runs the engine, the others follow it (parallel/lead.ts);
   * this thread only hears the events and forwards a stop request. */
  async #lead(
    plan: { batchesPerEpoch: number; bits: boolean },
    opts: SessionFitOptions,
    f: { epochs: number; budget?: number; pos: TrainingState },
    hooks: FitHooks,
    emit: ((e: FitEvent) => void | Promise<void>) | undefined,
  ): Promise<FitResult> {
    const o: LeadOptions = { epochs: f.epochs, budget: f.budget, hooks, validation: opts.validation !== undefined, ...plan };
    this.#inR0 = true;
    this.#training = f.pos;
    try {
      const t0 = performance.now();
      type Lead = Awaited<ReturnType<WorkerApi['replicaLead']>>;
      const running = this.#settled<Lead | undefined>((port, w) =>
        w === 0 ? port.replicaLead(o, f.pos, emit && this.#links[0].callback(emit), this.#stop) : port.replicaFollow().then(() => undefined),
      );
      this.#leading = running.catch(() => undefined);
      const [lead] = await running.catch((e) => {
        throw this.#cancel ?? e;
      });
      const { result, pos, phases } = lead!;
      this.#training = pos;
      if (profiling()) {
        for (const k of ['compute', 'barrier', 'combine', 'apply'] as const) addPhase(k, phases[k]);
        addPhase('messaging', performance.now() - t0 - phases.wall);
        addPhase('wall', performance.now() - t0);
        for (let k = 0; k < phases.steps; k++) countStep();
      }
      if (this.#cancel) throw this.#cancel;
      return result;
    } finally {
      this.#inR0 = false;
    }
  }

  /** After a fit on replica 0 alone: every other replica takes its weights and optimizer state
   * (through its training file, which resumes bit-exactly). */
  async #sync(): Promise<void> {
    if (!this.#stale) return;
    const bytes = await this.#r0.save({ training: true });
    await Promise.all(this.#links.slice(1).map((l) => l.port.load(bytes)));
    this.#stale = false;
  }

  /** The shared memory of a fit of `n` replicas on `p` parameters (kept across fits; its
   * barrier starts afresh each time). */
  #stepMemory(n: number, p: number): { sab: SharedArrayBuffer; mem: StepMemory } {
    if (!this.#sab || this.#sab.byteLength !== stepMemoryBytes(n, p)) this.#sab = new SharedArrayBuffer(stepMemoryBytes(n, p));
    const mem = new StepMemory(this.#sab, n, p);
    mem.barrier.reset();
    this.#mem = mem;
    return { sab: this.#sab, mem };
  }

  /** Every replica's answer to `f`; when one fails, the barrier releases the others and, once
   * all have answered, the first failure that is not the barrier's own release is thrown. */
  async #settled<T>(f: (p: SessionPort<WorkerApi>, w: number) => Promise<T>): Promise<T[]> {
    const rs = await Promise.allSettled(
      this.#links.map((l, w) =>
        f(l.port, w).catch((e) => {
          this.#mem?.barrier.abort();
          throw e;
        }),
      ),
    );
    const failed = rs.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
    if (failed.length) throw failed.find((e) => !(e instanceof Error && e.message.startsWith(BARRIER_RELEASE))) ?? failed[0];
    return rs.map((r) => (r as PromiseFulfilledResult<T>).value);
  }

  async #run(
    plans: { batchesPerEpoch: number; bits: boolean }[],
    opts: SessionFitOptions,
    o: { epochs: number; batchSize: number; budget?: number; pos: TrainingState },
    emit: ((e: FitEvent) => void | Promise<void>) | undefined,
    aborted: boolean,
    hooks: HookRunner<Record<string, Float32Array>>,
  ): Promise<FitResult> {
    const { pos } = o;
    const step = this.#messageStep(pos, this.#info!.paramCount);
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
    const t1 = performance.now();
    try {
      return await runFit(target, pos, { epochs: o.epochs, timeBudgetMs: o.budget, emit, poll, hooks });
    } finally {
      addPhase('wall', performance.now() - t1);
    }
  }

  /** A step through messages: every replica's gradient to this thread, combined here in order,
   * the combined gradient to every replica. */
  #messageStep(pos: TrainingState, p: number): (epoch: number, seed: number, i: number) => Promise<StepOutcome> {
    const combined = new Float32Array(p);
    const acc = new Float64Array(p);
    const zeros = new Float32Array(0);
    /** One update: every replica's gradient of window k (0 without tbptt), combined, applied. */
    const update = async (rs: ShardResult[]) => {
      const tc = performance.now();
      const loss = combineGrads(
        rs.map((r) => r.grads ?? zeros),
        rs.map((r) => r.loss),
        rs.map((r) => r.count),
        combined,
        acc,
      );
      const ta = performance.now();
      addPhase('combine', ta - tc);
      const outs = await this.#all((port, w) => {
        const copy = combined.slice();
        return port.replicaApply(this.#links[w].send(copy, [copy.buffer]));
      });
      const applyMs = Math.max(...outs.map((o) => o.ms));
      addPhase('apply', applyMs);
      addPhase('messaging', performance.now() - ta - applyMs);
      countStep();
      return { loss, gradNorm: outs[0].gradNorm, lr: outs[0].lr };
    };
    /** Every replica's gradient of window k, its phases profiled. */
    const grads = async (epoch: number, dataSeed: number, i: number, step: number, k: number) => {
      const tg = performance.now();
      const rs = await this.#all((port) => port.replicaGrad(epoch, dataSeed, i, step, k));
      const ms = rs.map((r) => r.ms);
      const slowest = Math.max(...ms);
      addPhase('compute', slowest);
      addPhase('imbalance', slowest - ms.reduce((a, b) => a + b, 0) / ms.length);
      addPhase('messaging', performance.now() - tg - slowest);
      return rs;
    };
    return async (epoch, dataSeed, i) => {
      const first = await grads(epoch, dataSeed, i, pos.step, 0);
      const windows = Math.max(1, ...first.map((r) => r.windows));
      const tokens = first.reduce((a, r) => a + r.tokens, 0);
      let r = await update(first);
      let lossSum = r.loss;
      for (let k = 1; k < windows; k++) {
        const rs = await grads(epoch, dataSeed, i, pos.step + k, k);
        r = await update(rs);
        lossSum += r.loss;
      }
      return { loss: lossSum / windows, gradNorm: r.gradNorm, lr: r.lr, updates: windows, tokens };
    };
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
    if (this.#inR0) return this.#r0.save(opts);
    await this.#inStep;
    await this.#r0.setTrainingState(this.#training);
    return this.#r0.save(opts);
  }
  async load(bytes: Uint8Array): Promise<ModelInfo> {
    this.#guard('load');
    const infos = await this.#all((p) => p.load(bytes));
    this.#training = infos[0].training;
    this.#stale = false;
    return this.#setInfo(infos[0]);
  }
  getWeights(): Promise<Record<string, Float32Array>> {
    return this.#r0.getWeights();
  }
  /** Every replica's weights (tests compare them: they stay bit-identical). */
  async replicaWeights(): Promise<Record<string, Float32Array>[]> {
    if (this.#inR0) this.#guard('getReplicaWeights'); // the followers hear no calls mid-fit
    await this.#sync();
    return this.#all((p) => p.getWeights());
  }
  async importWeights(bytes: Uint8Array, opts?: ImportWeightsOptions): Promise<{ names: string[]; skipped: string[] }> {
    this.#guard('importWeights');
    const r = await this.#all((p) => p.importWeights(bytes, opts));
    return r[0];
  }
  async dispose(): Promise<void> {
    if (this.#fitting) {
      this.#cancel ??= stateError('the trainer was disposed during fit()');
      // a fit replica 0 leads ends at its next barrier (its followers cannot hear messages)
      this.#mem?.barrier.abort();
      await this.#leading;
    }
    await this.#all((p) => p.dispose()).catch(() => undefined);
    this.closeAll(stateError('this trainer has been disposed'));
  }
}

/** The SETUP_CALLS methods (compile), defined by ParallelSession's static block. */
export interface ParallelSession extends Pick<SessionPort, SetupCall> {}
