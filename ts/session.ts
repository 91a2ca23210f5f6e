// Session: one model with its vocabulary and training position, and the training loop.
// It runs wherever it is created: in the calling thread (`createTrainer({ worker: false })`)
// or inside a worker (worker/worker.ts hosts one and exposes it through comlink).
import { asDataSpec, batchesPerEpoch, epochOrder, makeBatch, type DataLike, type DataSpec, type ModelShape } from './data/source.js';
import { Vocabulary, type VocabularyJSON } from './data/vocab.js';
import { checkKeys, formatError, optionError, posInt, rangeError, RecurrentTypeError, stateError } from './errors.js';
import type { EpochEvent, EvalResult, FitEvent, FitResult } from './events.js';
import { decodeCheckpoint, encodeCheckpoint, type TrainingState } from './io/checkpoint.js';
import { decodeSafetensors } from './io/safetensors.js';
import { Model, type BatchInput, type CompileOptions } from './model.js';
import type { ModelSpecJSON } from './spec.js';

/** Options of `Trainer.fit`. Unknown keys are E_OPTION; invalid values E_OPTION or E_RANGE. */
export interface FitOptions {
  /**
   * Train until this many epochs are done (counting earlier ones when resuming).
   * @default 1
   */
  epochs?: number;
  /**
   * Rows (windows or examples) per batch; the last batch of an epoch may be smaller.
   * @default 32
   */
  batchSize?: number;
  /**
   * Shuffle examples each epoch (windows are drawn at random offsets unless `random: false`).
   * @default true
   */
  shuffle?: boolean;
  /**
   * Seed of the data order (shuffles, window offsets), combined with the epoch.
   * @default 0
   */
  seed?: number;
  /**
   * Truncated BPTT: train each batch in windows of `window` steps, the state carried across
   * windows and detached, one optimizer update per window. Token models with a per-step output only.
   * @default off (full backpropagation through each batch)
   */
  tbptt?: { window: number };
  /**
   * Evaluated at the end of every epoch (`EpochEvent.validation`).
   * @default none
   */
  validation?: DataLike;
  /**
   * Stop (at a batch boundary) once training has taken this long; `stopReason` is `'timeBudget'`.
   * @default no budget
   */
  timeBudgetMs?: number;
  /**
   * Continue from the saved training position (epoch, batch, counters, data seed) of a loaded
   * model or an earlier aborted run, instead of epoch 0.
   * @default false
   */
  resume?: boolean;
  /**
   * Stops training within one batch; the run resolves with `stopReason: 'aborted'` and the
   * model stays valid.
   */
  signal?: AbortSignal;
  /** Called with every event (the same events the run iterates), in the caller's thread. */
  onProgress?: (e: FitEvent) => void;
}

/** Sampling options of `Trainer.generate`. */
export interface GenerateOptions {
  /**
   * Symbols (or ids) to generate after the prompt.
   * @default 100
   */
  maxTokens?: number;
  /**
   * Softmax temperature, ≥ 0; 0 is greedy (argmax).
   * @default 1
   */
  temperature?: number;
  /**
   * Sample among the k most likely symbols only; 0 keeps all.
   * @default 0
   */
  topK?: number;
  /**
   * Nucleus sampling: the smallest set whose probability reaches p, in (0, 1]; 1 keeps all.
   * @default 1
   */
  topP?: number;
  /**
   * Seed of the sampling; the same seed gives the same text on every runtime.
   * @default 0
   */
  seed?: number;
}

/** A description of the trainer's model: what `build`, `load` and `info` resolve to. */
export interface ModelInfo {
  /** The architecture. */
  spec: ModelSpecJSON;
  /** The initialisation seed. */
  seed: number;
  /** Total number of parameters (floats). */
  paramCount: number;
  /** The parameter names, PyTorch style, in order. */
  paramNames: string[];
  /** The attached vocabulary, if any. */
  vocabulary?: VocabularyJSON;
  /** The compile options, once compiled (or loaded from a resumable file). */
  compiled?: CompileOptions;
  /** The training position (epoch, batch, step, tokens, …), once trained or loaded from a resumable file. */
  training?: TrainingState;
}

const FIT_KEYS = ['epochs', 'batchSize', 'shuffle', 'seed', 'tbptt', 'validation', 'timeBudgetMs', 'resume', 'signal', 'onProgress'] as const;
export const FIT_OPTION_KEYS: readonly string[] = FIT_KEYS;

const now = () => performance.now();

/** Gives the event loop a turn (so aborts and messages are seen) without timer clamping. */
function yieldNow(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((r) => setImmediate(r));
  return new Promise((r) => {
    const c = new MessageChannel();
    c.port1.onmessage = () => {
      c.port1.close();
      r();
    };
    c.port2.postMessage(0);
  });
}

/**
 * Reads a model file from bytes, a path (Node, Deno, Bun) or a URL (fetch); E_FORMAT when it
 * cannot be read.
 * @internal
 */
export async function readSource(source: Uint8Array | ArrayBuffer | string | URL): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  const isUrl = source instanceof URL || /^(https?|blob|data):/i.test(source);
  if (isUrl || typeof process === 'undefined' || typeof process.versions?.node !== 'string') {
    if (!isUrl && typeof (globalThis as { Deno?: { readFile(p: string): Promise<Uint8Array> } }).Deno !== 'undefined') {
      return (globalThis as unknown as { Deno: { readFile(p: string): Promise<Uint8Array> } }).Deno.readFile(String(source));
    }
    const res = await fetch(source);
    if (!res.ok) throw formatError(`cannot fetch ${String(source)}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }
  const { readFile } = await import('node:fs/promises');
  try {
    return new Uint8Array(await readFile(source));
  } catch (e) {
    throw formatError(`cannot read model file ${source}: ${(e as Error).message}`);
  }
}

/**
 * One model with its vocabulary and training position, and the training loop, in the thread
 * where it is created. `createTrainer` wraps one (in this thread, or inside a worker); use the
 * {@link Trainer} API unless you need the synchronous calls. The methods mirror `Trainer`'s,
 * synchronously (except `fit`), with `load` and `importWeights` taking bytes only.
 */
export class Session {
  #model: Model | undefined;
  #vocab: Vocabulary | undefined;
  #training: TrainingState | undefined;
  #stop = false;
  #fitting = false;

  /** The current model; E_STATE before `build` or `load`. */
  get model(): Model {
    if (!this.#model) throw stateError('no model yet: build() or load() one first');
    return this.#model;
  }

  /** The attached vocabulary, if any. */
  get vocabulary(): Vocabulary | undefined {
    return this.#vocab;
  }

  /** See {@link Trainer.build}. */
  build(spec: ModelSpecJSON, seed = 0): ModelInfo {
    this.#guard('build');
    const m = Model.fromSpec(spec, seed);
    this.#model?.free();
    this.#model = m;
    this.#training = undefined;
    if (this.#vocab && m.vocabSize !== undefined && m.vocabSize !== this.#vocab.size) this.#vocab = undefined;
    return this.info();
  }

  /** See {@link Trainer.compile}. */
  compile(opts: CompileOptions): void {
    this.#guard('compile');
    this.model.compile(opts);
  }

  /** See {@link Trainer.setVocabulary}. */
  setVocabulary(v: Vocabulary | VocabularyJSON | undefined): void {
    if (v === undefined) {
      this.#vocab = undefined;
      return;
    }
    const voc = v instanceof Vocabulary ? v : Vocabulary.fromJSON(v);
    const m = this.#model;
    if (m && m.vocabSize !== undefined && m.vocabSize !== voc.size)
      throw rangeError(`the vocabulary has ${voc.size} symbols but the model's input.vocab is ${m.vocabSize}`);
    this.#vocab = voc;
  }

  /** See {@link Trainer.info}. */
  info(): ModelInfo {
    const m = this.model;
    const i: ModelInfo = { spec: m.spec, seed: m.seed, paramCount: m.paramCount, paramNames: m.paramNames() };
    if (this.#vocab) i.vocabulary = this.#vocab.toJSON();
    if (m.compiled) i.compiled = { ...m.compiled };
    if (this.#training) i.training = { ...this.#training };
    return i;
  }

  #guard(what: string): void {
    if (this.#fitting) throw stateError(`${what}() cannot run while fit() is training; abort it first`);
  }

  #shape(): ModelShape {
    const m = this.model;
    const input = m.spec.input;
    return { featureDim: 'features' in input ? input.features : undefined, seqOutput: m.outputIsSequence, outDim: m.outputDim };
  }

  /** Stops a running fit at the next batch boundary. */
  abort(): void {
    this.#stop = true;
  }

  /** See {@link Trainer.fit}; `emit` receives every event (awaited at epoch ends). */
  async fit(data: DataLike, opts: FitOptions = {}, emit?: (e: FitEvent) => void | Promise<void>): Promise<FitResult> {
    checkKeys('fit', opts, FIT_KEYS);
    this.#guard('fit');
    const model = this.model;
    if (!model.compiled) throw optionError('call compile({ loss, optimizer }) before fit()');
    const spec = asDataSpec(data);
    const val = opts.validation === undefined ? undefined : asDataSpec(opts.validation);
    const epochs = posInt('fit.epochs', opts.epochs, 1);
    const batchSize = posInt('fit.batchSize', opts.batchSize, 32);
    const shuffle = opts.shuffle ?? true;
    const window = opts.tbptt === undefined ? 0 : posInt('fit.tbptt.window', opts.tbptt.window);
    if (opts.tbptt !== undefined) {
      checkKeys('fit.tbptt', opts.tbptt, ['window']);
      if (!model.isTokenModel || !model.outputIsSequence) throw optionError('fit.tbptt needs a token model with a per-step output');
    }
    const budget = opts.timeBudgetMs;
    if (budget !== undefined && !(budget > 0)) throw rangeError(`fit.timeBudgetMs must be positive (got ${budget})`);
    const seed = (opts.seed ?? 0) >>> 0;
    const pos: TrainingState = opts.resume && this.#training ? { ...this.#training } : { epoch: 0, batch: 0, step: 0, tokens: 0, elapsedMs: 0, seed };
    this.#training = pos;
    const nb = batchesPerEpoch(spec, batchSize);
    const shape = this.#shape();
    const startWall = now();
    const startElapsed = pos.elapsedMs;
    const startTokens = pos.tokens;
    const history: EpochEvent[] = [];
    let stopReason: FitResult['stopReason'] = 'completed';
    // Events go out without waiting (a worker's emit is a message on its own channel); the
    // last one is awaited before fit returns, so no event can arrive after the result.
    let lastEmit: void | Promise<void> = undefined;
    const send = async (e: FitEvent, wait: boolean) => {
      opts.onProgress?.(e);
      const r = emit?.(e);
      lastEmit = r;
      if (wait) await r;
    };
    const elapsed = () => startElapsed + (now() - startWall);
    const rate = () => ((pos.tokens - startTokens) * 1000) / Math.max(1e-9, now() - startWall);
    const firstBatchIndex = pos.epoch * nb + pos.batch;
    const etaFrom = () => {
      const done = pos.epoch * nb + pos.batch - firstBatchIndex;
      if (done <= 0) return NaN;
      let left = ((epochs * nb - (pos.epoch * nb + pos.batch)) * (now() - startWall)) / done;
      if (budget !== undefined) left = Math.min(left, Math.max(0, budget - elapsed()));
      return Math.max(0, left);
    };
    this.#stop = false;
    this.#fitting = true;
    try {
      outer: while (pos.epoch < epochs) {
        const order = epochOrder(spec, pos.epoch, shuffle, pos.seed);
        let lossSum = 0;
        let lossN = 0;
        while (pos.batch < nb) {
          if (this.#stop || opts.signal?.aborted) {
            stopReason = 'aborted';
            break outer;
          }
          if (budget !== undefined && elapsed() >= budget) {
            stopReason = 'timeBudget';
            break outer;
          }
          const b = makeBatch(spec, order, pos.batch, batchSize, shape);
          let loss: number;
          let gradNorm: number;
          let lr: number;
          if (window > 0) {
            const rs = model.trainTbptt({ ids: b.input.ids, batch: b.input.batch, steps: b.input.steps }, { classes: b.targets.classes }, window);
            loss = rs.reduce((a, r) => a + r.loss, 0) / rs.length;
            gradNorm = rs[rs.length - 1].gradNorm;
            lr = rs[rs.length - 1].lr;
            pos.step += rs.length;
          } else {
            ({ loss, gradNorm, lr } = model.trainStep(b.input, b.targets));
            pos.step += 1;
          }
          // from here on the position is the one a checkpoint must resume from
          const batch = pos.batch;
          pos.batch += 1;
          pos.tokens += b.tokens;
          pos.elapsedMs = elapsed();
          lossSum += loss;
          lossN += 1;
          await send(
            {
              type: 'step',
              epoch: pos.epoch,
              batch,
              batchesPerEpoch: nb,
              step: pos.step,
              loss,
              gradNorm,
              lr,
              tokens: pos.tokens,
              tokensPerSec: rate(),
              elapsedMs: pos.elapsedMs,
              etaMs: etaFrom(),
            },
            false,
          );
          await yieldNow();
        }
        const validation = val ? this.evaluate(val, { batchSize }) : undefined;
        model.scheduleStep();
        const trainLoss = lossN ? lossSum / lossN : NaN;
        const epoch = pos.epoch;
        pos.epoch += 1;
        pos.batch = 0;
        pos.elapsedMs = elapsed();
        const ev: EpochEvent = {
          type: 'epoch',
          epoch,
          loss: trainLoss,
          step: pos.step,
          tokens: pos.tokens,
          tokensPerSec: rate(),
          elapsedMs: pos.elapsedMs,
          etaMs: etaFrom(),
        };
        if (model.compiled?.loss !== 'mse') ev.bitsPerToken = trainLoss / Math.LN2;
        if (validation) ev.validation = validation;
        history.push(ev);
        await send(ev, true);
      }
    } finally {
      this.#fitting = false;
      pos.elapsedMs = elapsed();
      await Promise.resolve(lastEmit).catch(() => undefined);
    }
    return { stopReason, epochs: pos.epoch, steps: pos.step, tokens: pos.tokens, elapsedMs: pos.elapsedMs, tokensPerSec: rate(), history };
  }

  /** Mean loss (and bits per token, accuracy for classification) over a data set. */
  evaluate(data: DataLike, opts: { batchSize?: number } = {}): EvalResult {
    checkKeys('evaluate', opts, ['batchSize']);
    const model = this.model;
    const spec: DataSpec = asDataSpec(data);
    const batchSize = posInt('evaluate.batchSize', opts.batchSize, 32);
    const loss = model.compiled?.loss ?? (model.isTokenModel ? 'crossEntropy' : 'mse');
    const order = epochOrder(spec.kind === 'windows' ? { ...spec, random: false } : spec, 0, false, 0);
    const evalSpec: DataSpec = spec.kind === 'windows' ? { ...spec, random: false } : spec;
    const shape = this.#shape();
    let sum = 0;
    let count = 0;
    let correct = 0;
    const nb = Math.ceil(order.length / batchSize);
    for (let i = 0; i < nb; i++) {
      const b = makeBatch(evalSpec, order, i, batchSize, shape);
      const out = model.forward(b.input);
      const r = model.loss(b.targets, { loss });
      sum += r.loss * r.count;
      count += r.count;
      if (loss === 'crossEntropy' && b.targets.classes) {
        const v = model.outputDim;
        const cls = b.targets.classes;
        const lens = b.input.lengths;
        for (let row = 0; row < cls.length; row++) {
          const target = cls[row];
          if (target < 0) continue;
          if (lens && model.outputIsSequence && row % b.input.steps >= lens[Math.floor(row / b.input.steps)]) continue;
          let best = 0;
          for (let k = 1; k < v; k++) if (out[row * v + k] > out[row * v + best]) best = k;
          if (best === target) correct++;
        }
      }
    }
    if (count === 0) throw rangeError('evaluate: the data set has no rows to score');
    const res: EvalResult = { loss: sum / count, count };
    if (loss === 'crossEntropy') {
      res.bitsPerToken = res.loss / Math.LN2;
      res.accuracy = correct / count;
    }
    return res;
  }

  /** See {@link Trainer.predict}: [B, T, outputs] or [B, outputs], row-major, raw outputs (logits). */
  predict(input: BatchInput): Float32Array {
    return this.model.forward(input);
  }

  /** See {@link Trainer.predictStep}. */
  predictStep(input: BatchInput): Float32Array {
    return this.model.predictStep(input);
  }

  /** See {@link Trainer.resetState}. */
  resetState(): void {
    this.model.resetState();
  }

  /** Text after `prompt` (needs a vocabulary), or ids after an id prompt. */
  generate(prompt: string | ArrayLike<number>, opts: GenerateOptions = {}): string | Uint32Array {
    const m = this.model;
    if (typeof prompt === 'string') {
      const v = this.#vocab;
      if (!v) throw optionError('generate with a text prompt needs a vocabulary (setVocabulary)');
      const ids = v.encode(prompt);
      if (ids.length === 0) throw rangeError('the prompt must hold at least one symbol');
      return v.decode(m.generateIds(ids, opts));
    }
    return m.generateIds(prompt, opts);
  }

  /** See {@link Trainer.save}: the model file (format recurrent/1). `training: true` (default) adds what resuming needs. */
  save(opts: { training?: boolean } = {}): Uint8Array {
    checkKeys('save', opts, ['training']);
    const m = this.model;
    const withTraining = opts.training ?? true;
    return encodeCheckpoint({
      spec: m.spec,
      seed: m.seed,
      params: m.paramNames().map((name) => ({ name, shape: m.paramShape(name), data: m.getParam(name) })),
      vocabulary: this.#vocab?.toJSON(),
      compile: withTraining ? m.compiled : undefined,
      training: withTraining && this.#training ? { ...this.#training } : undefined,
      optimizerState: withTraining ? m.getOptimizerState() : undefined,
      rngState: withTraining ? m.getRngState() : undefined,
    });
  }

  /** See {@link Trainer.load}: replaces the model from a recurrent/1 file's bytes (E_FORMAT if it does not fit). */
  load(bytes: Uint8Array): ModelInfo {
    this.#guard('load');
    const s = decodeCheckpoint(bytes);
    let m: Model;
    try {
      m = Model.fromSpec(s.spec, s.seed);
    } catch (e) {
      throw formatError(`the model file's architecture is invalid: ${(e as Error).message}`);
    }
    try {
      const names = m.paramNames();
      const have = new Map(s.params.map((p) => [p.name, p]));
      for (const n of names) {
        const p = have.get(n);
        if (!p) throw formatError(`the model file lacks parameter ${n}`);
        const want = m.paramShape(n);
        if (p.shape.join(',') !== want.join(',')) throw formatError(`parameter ${n} has shape [${p.shape}] in the file, [${want}] in the architecture`);
        m.setParam(n, p.data);
      }
      const extra = s.params.find((p) => !names.includes(p.name));
      if (extra) throw formatError(`the model file has a parameter ${extra.name} the architecture does not`);
      const vocab = s.vocabulary ? Vocabulary.fromJSON(s.vocabulary) : undefined;
      if (vocab && m.vocabSize !== undefined && vocab.size !== m.vocabSize)
        throw formatError(`the file's vocabulary has ${vocab.size} symbols, its model ${m.vocabSize}`);
      if (s.compile) {
        m.compile(s.compile);
        if (s.optimizerState) m.setOptimizerState(s.optimizerState);
      }
      if (s.rngState) m.setRngState(s.rngState);
      this.#model?.free();
      this.#model = m;
      this.#vocab = vocab;
      this.#training = s.training ? { ...s.training } : undefined;
    } catch (e) {
      m.free();
      if (e instanceof RecurrentTypeError && e.code === 'E_FORMAT') throw e;
      throw formatError(`the model file is inconsistent: ${(e as Error).message}`);
    }
    return this.info();
  }

  /** Sets parameters from a plain safetensors file of PyTorch-named F32 tensors (e.g.
   * `safetensors.torch.save_file(model.state_dict(), path)` of an equivalent PyTorch model).
   * Every parameter of the model must be present with its shape; a prefix such as "model."
   * can be stripped. Nothing changes unless the whole file fits. */
  importWeights(bytes: Uint8Array, opts: { stripPrefix?: string } = {}): string[] {
    checkKeys('importWeights', opts, ['stripPrefix']);
    this.#guard('importWeights');
    const m = this.model;
    const f = decodeSafetensors(bytes);
    const byName = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, t] of f.tensors) {
      const n = opts.stripPrefix && name.startsWith(opts.stripPrefix) ? name.slice(opts.stripPrefix.length) : name;
      if (t.dtype === 'F32') byName.set(n, { shape: t.shape, data: t.data as Float32Array });
    }
    const names = m.paramNames();
    for (const n of names) {
      const t = byName.get(n);
      if (!t) throw formatError(`the weights file lacks ${n} (it has: ${[...byName.keys()].slice(0, 8).join(', ')}${byName.size > 8 ? ', …' : ''})`);
      const want = m.paramShape(n);
      if (t.shape.join(',') !== want.join(',')) throw formatError(`${n} has shape [${t.shape}] in the file, [${want}] in the model`);
      if (!t.data.every(Number.isFinite)) throw formatError(`${n} holds NaN or infinity`);
    }
    for (const n of names) m.setParam(n, byName.get(n)!.data);
    return names;
  }

  /** See {@link Trainer.getWeights}. */
  getWeights(): Record<string, Float32Array> {
    const m = this.model;
    return Object.fromEntries(m.paramNames().map((n) => [n, m.getParam(n)]));
  }

  /** Frees the model's wasm memory; the session can `build` or `load` again. */
  dispose(): void {
    this.#model?.free();
    this.#model = undefined;
  }
}
