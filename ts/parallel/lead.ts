// Data-parallel fits through shared memory with no thread between the replicas: replica 0 (the
// leader) runs the fit engine (fit.ts) itself, and the other replicas follow its commands in a
// blocking loop (parallel/step-memory.ts): before each step, validation, epoch end or hook, the
// leader publishes a command (without waiting); every replica then does its part
// (a step is Replica.step: gradients, reduce-scatter, the same update). The calling thread only
// starts the fit, forwards a stop request, and hears the events. A failure anywhere raises the
// barrier's abort flag, so no replica is left waiting.
import { stateError } from '../errors.js';
import type { FitEvent, FitResult } from '../events.js';
import { runFit, type StepOutcome } from '../fit.js';
import { type FitHooks, type HookModel, HookRunner, type HookTarget, modelHooks } from '../fit-hooks.js';
import type { TrainingState } from '../io/checkpoint.js';
import { type ScorePart, scoreResult } from '../score.js';
import type { Replica } from './replica.js';
import type { StepMemory } from './step-memory.js';

const STEP = 1;
const VALIDATE = 2;
const END_EPOCH = 3;
const SET_LR = 4;
const SET_WEIGHTS = 5;
const END = 6;

/** The phases of the leader's steps (ms summed), for bench/profile.mjs. */
export interface LeadPhases {
  steps: number;
  compute: number;
  imbalance: number;
  barrier: number;
  combine: number;
  apply: number;
  /** Wall time of the engine's run. */
  wall: number;
}

/** What the leader needs of the fit (the coordinator checked the options). */
export interface LeadOptions {
  epochs: number;
  budget?: number;
  hooks: FitHooks;
  /** Whether there are validation data. */
  validation: boolean;
  batchesPerEpoch: number;
  bits: boolean;
}

/** The leader publishes command `op` with its arguments (it does not wait: the followers
 * read them before the command's first barrier, which the leader cannot pass without them). */
function command(mem: StepMemory, op: number, ...args: number[]): void {
  mem.op = op;
  mem.args.set(args);
  mem.barrier.publish();
}

/** ScorePart as 7 numbers (NaN: absent) and back. */
const packPart = (p: ScorePart | undefined): number[] =>
  p ? [1, p.sum, p.count, p.correct ?? Number.NaN, p.absSum ?? Number.NaN, p.absCount ?? Number.NaN, p.crossEntropy ? 1 : 0] : [0];
function unpackPart(mem: StepMemory, w: number): ScorePart | undefined {
  if (mem.get(w, 0) !== 1) return undefined;
  const x = (k: number) => mem.get(w, k);
  const part: ScorePart = { sum: x(1), count: x(2), crossEntropy: x(6) === 1 };
  if (!Number.isNaN(x(3))) part.correct = x(3);
  if (!Number.isNaN(x(4))) part.absSum = x(4);
  if (!Number.isNaN(x(5))) part.absCount = x(5);
  return part;
}

/** The weights of `m` in paramNames order into `flat`, or back. */
function flatWeights(m: HookModel, flat: Float32Array, into: boolean): void {
  let o = 0;
  for (const name of m.paramNames()) {
    if (into) {
      const v = m.getParam(name);
      flat.set(v, o);
      o += v.length;
    } else {
      const len = m.getParam(name).length;
      m.setParam(name, flat.slice(o, o + len));
      o += len;
    }
  }
}

/**
 * The leader's fit: the engine from position `pos` (updated in place: the session's training
 * position), each batch a STEP command. Ends the followers (END) when it returns, or releases
 * them (abort flag) when it throws.
 */
export async function leadFit(
  replica: Replica,
  mem: StepMemory,
  model: HookModel,
  o: LeadOptions,
  pos: TrainingState,
  emit: ((e: FitEvent) => void | Promise<void>) | undefined,
  poll: () => 'abort' | Error | undefined,
): Promise<{ result: FitResult; phases: LeadPhases }> {
  const phases: LeadPhases = { steps: 0, compute: 0, imbalance: 0, barrier: 0, combine: 0, apply: 0, wall: 0 };
  const own = modelHooks(model);
  const target: HookTarget<Map<string, Float32Array>> = {
    ...own,
    restore: (w) => {
      own.restore(w);
      flatWeights(model, mem.combined, true);
      command(mem, SET_WEIGHTS);
      mem.barrier.wait();
    },
    setLearningRate: (lr) => {
      own.setLearningRate(lr);
      command(mem, SET_LR, lr);
      mem.barrier.wait();
    },
  };
  const train = (epoch: number, seed: number, i: number): StepOutcome => {
    command(mem, STEP, epoch, seed, i, pos.step);
    const r = replica.step(epoch, seed, i, pos.step);
    phases.steps += r.updates;
    phases.compute += r.ms.compute;
    phases.barrier += r.ms.barrier;
    phases.combine += r.ms.combine;
    phases.apply += r.ms.apply;
    return { loss: r.loss, gradNorm: r.gradNorm, lr: r.lr, updates: r.updates, tokens: r.tokens };
  };
  const t0 = performance.now();
  try {
    const result = await runFit(
      {
        batchesPerEpoch: o.batchesPerEpoch,
        bits: o.bits,
        epoch: (epoch, seed) => ({ batches: o.batchesPerEpoch, train: (i) => train(epoch, seed, i) }),
        validate: o.validation
          ? () => {
              command(mem, VALIDATE);
              mem.put(0, ...packPart(replica.validate()));
              mem.barrier.wait();
              const parts = mem.slots.map((_, w) => unpackPart(mem, w)).filter((p): p is ScorePart => p !== undefined);
              return scoreResult(parts);
            }
          : undefined,
        endEpoch: () => {
          command(mem, END_EPOCH);
          replica.endEpoch();
          mem.barrier.wait();
        },
      },
      pos,
      { epochs: o.epochs, timeBudgetMs: o.budget, emit, poll, hooks: new HookRunner(o.hooks, target) },
    );
    command(mem, END);
    phases.wall = performance.now() - t0;
    return { result, phases };
  } catch (e) {
    mem.barrier.abort();
    throw e;
  }
}

/** A follower's part of the fit: the leader's commands until END (or E_STATE once aborted). */
export function follow(replica: Replica, mem: StepMemory, model: HookModel, w: number): void {
  let seen = 0;
  try {
    for (;;) {
      seen = mem.barrier.next(seen);
      const a = mem.args;
      switch (mem.op) {
        case STEP:
          replica.step(a[0], a[1], a[2], a[3]);
          break;
        case VALIDATE:
          mem.put(w, ...packPart(replica.validate()));
          mem.barrier.wait();
          break;
        case END_EPOCH:
          replica.endEpoch();
          mem.barrier.wait();
          break;
        case SET_LR:
          model.learningRate = a[0];
          mem.barrier.wait();
          break;
        case SET_WEIGHTS:
          flatWeights(model, mem.combined, false);
          mem.barrier.wait();
          break;
        case END:
          return;
        default:
          throw stateError(`data-parallel replica ${w}: unknown command ${mem.op}`);
      }
    }
  } catch (e) {
    mem.barrier.abort();
    throw e;
  }
}
