// The parameters (PyTorch names and shapes) an architecture implies, computed in plain JS from
// the JSON, so a file's tensors can be checked against its header's sizes before any wasm
// memory is allocated: a 4 KB file claiming `units: 8000` fails here, not after 2 GB.
// The names follow crates/recurrent-core (layers/recurrent.rs, dense.rs, embedding.rs, crf.rs,
// model/seq2seq.rs); test/model-files.test.ts pins them to the core's paramNames/paramShape.
import { type CellType, gateCount, stateWidth } from '../cells.js';
import { formatError } from '../errors.js';
import { checkSize, checkSpec, MAX_STACK, type ModelSpecJSON } from '../spec.js';

export interface ParamShape {
  name: string;
  shape: number[];
}

/** `{prefix}{weight,bias}_{ih,hh}_l{k}[_reverse]` of a recurrent stack, and `weight_hr_l{k}`
 * [P, H] after them with a projection P = `projSize` (h, W_hh's columns and the outputs are
 * then P wide). */
export function recurrentParams(
  prefix: string,
  cell: CellType,
  input: number,
  hidden: number,
  layers: number,
  bidirectional: boolean,
  projSize?: number,
): ParamShape[] {
  const g = gateCount(cell) * hidden;
  const s = stateWidth({ units: hidden, projSize });
  const dirs = bidirectional ? 2 : 1;
  const out: ParamShape[] = [];
  for (let l = 0; l < layers; l++) {
    for (let d = 0; d < dirs; d++) {
      const sfx = `l${l}${d === 1 ? '_reverse' : ''}`;
      const inp = l === 0 ? input : dirs * s;
      out.push({ name: `${prefix}weight_ih_${sfx}`, shape: [g, inp] });
      out.push({ name: `${prefix}weight_hh_${sfx}`, shape: [g, s] });
      out.push({ name: `${prefix}bias_ih_${sfx}`, shape: [g] });
      out.push({ name: `${prefix}bias_hh_${sfx}`, shape: [g] });
      if (projSize !== undefined) out.push({ name: `${prefix}weight_hr_${sfx}`, shape: [projSize, hidden] });
    }
  }
  return out;
}

/** The sequential model's parameters, in the core's order. Checks the spec (E_OPTION/E_RANGE). */
export function sequentialParams(spec: ModelSpecJSON): ParamShape[] {
  checkSpec(spec);
  const input = spec.input as Record<string, number>;
  let width = input.vocab ?? input.features;
  const out: ParamShape[] = [];
  for (const l of spec.layers) {
    switch (l.type) {
      case 'embedding':
        out.push({ name: `${l.name}.weight`, shape: [width, l.dim] });
        width = l.dim * (input.slots ?? 1); // input.slots ids per step, their rows concatenated
        break;
      case 'recurrent':
        out.push(...recurrentParams(`${l.name}.`, l.cell, width, l.units, l.layers, l.bidirectional, l.projSize));
        width = (l.bidirectional ? 2 : 1) * stateWidth(l);
        break;
      case 'dense':
        out.push({ name: `${l.name}.weight`, shape: [l.units, width] }, { name: `${l.name}.bias`, shape: [l.units] });
        width = l.units;
        break;
      case 'crf':
        out.push(
          { name: `${l.name}.transitions`, shape: [width, width] },
          { name: `${l.name}.start_transitions`, shape: [width] },
          { name: `${l.name}.end_transitions`, shape: [width] },
        );
        break;
      default:
        break; // dropout: no parameters
    }
  }
  return out;
}

const opt = (where: string, v: unknown, dflt: number, max?: number) => (v === undefined ? dflt : checkSize(where, v, max));

/** The seq2seq model's parameters (model/seq2seq.rs), with `Seq2SeqModel.create`'s defaults. */
export function seq2seqParams(o: Record<string, unknown>): ParamShape[] {
  const srcV = checkSize('seq2seq.sourceVocab', o.sourceVocab);
  const tgtV = checkSize('seq2seq.targetVocab', o.targetVocab);
  const e = opt('seq2seq.embed', o.embed, 64);
  const he = opt('seq2seq.encoderUnits', o.encoderUnits, 128);
  const el = opt('seq2seq.encoderLayers', o.encoderLayers, 1, MAX_STACK);
  const bi = o.bidirectional ?? true;
  if (typeof bi !== 'boolean') throw formatError('seq2seq.bidirectional must be a boolean');
  const hd = opt('seq2seq.decoderUnits', o.decoderUnits, bi ? 2 * he : he);
  const dl = opt('seq2seq.decoderLayers', o.decoderLayers, 1, MAX_STACK);
  const a = opt('seq2seq.attention', o.attention, hd);
  const dk = (bi ? 2 : 1) * he;
  return [
    { name: 'encoder.embedding.weight', shape: [srcV, e] },
    ...recurrentParams('encoder.rnn.', 'lstm', e, he, el, bi),
    { name: 'bridge.weight', shape: [dl * hd, dk] },
    { name: 'bridge.bias', shape: [dl * hd] },
    { name: 'decoder.embedding.weight', shape: [tgtV, e] },
    ...recurrentParams('decoder.rnn.', 'lstm', e, hd, dl, false),
    { name: 'attention.query.weight', shape: [a, hd] },
    { name: 'attention.key.weight', shape: [a, dk] },
    { name: 'attention.key.bias', shape: [a] },
    { name: 'attention.energy.weight', shape: [1, a] },
    { name: 'combine.weight', shape: [hd, hd + dk] },
    { name: 'combine.bias', shape: [hd] },
    { name: 'output.weight', shape: [tgtV, hd] },
    { name: 'output.bias', shape: [tgtV] },
  ];
}

/** E_FORMAT unless the file's parameter tensors (names not starting with "__") are exactly
 * `want`, with the same shapes, F32 and finite. */
export function checkFileParams(want: ParamShape[], have: Map<string, { dtype: string; shape: number[]; data: ArrayLike<number> }>): void {
  const names = new Set(want.map((p) => p.name));
  for (const p of want) {
    const t = have.get(p.name);
    if (!t) throw formatError(`the model file lacks parameter ${p.name}`);
    if (t.dtype !== 'F32') throw formatError(`parameter ${p.name} must be F32 (it is ${t.dtype})`);
    if (t.shape.join(',') !== p.shape.join(',')) throw formatError(`parameter ${p.name} has shape [${t.shape}] in the file, [${p.shape}] in the architecture`);
    const d = t.data;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) throw formatError(`parameter ${p.name} holds NaN or infinity (at ${i})`);
  }
  for (const n of have.keys()) if (!n.startsWith('__') && !names.has(n)) throw formatError(`the model file has a parameter ${n} the architecture does not`);
}

/** Runs `fn`, turning its typed errors (E_OPTION, E_RANGE) into E_FORMAT naming `what`. */
export function asFormat<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if ((e as { code?: string }).code === 'E_FORMAT') throw e;
    throw formatError(`${what}: ${(e as Error).message}`);
  }
}

/** A seq2seq file's seed, ids and tensors against its architecture (before the model is
 * allocated): E_FORMAT naming what is wrong. */
export function checkSeq2SeqTensors(
  options: Record<string, unknown>,
  tensors: Map<string, { dtype: string; shape: number[]; data: ArrayLike<number> }>,
  metadata: Record<string, string> = {},
): void {
  const want = asFormat("the model file's architecture is invalid", () => seq2seqParams(options));
  const tgt = options.targetVocab as number;
  for (const k of ['bos', 'eos']) {
    const v = options[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= tgt))
      throw formatError(`the model file's architecture is invalid: seq2seq.${k} must be an integer in [0, targetVocab = ${tgt}) (got ${JSON.stringify(v)})`);
  }
  const seed = metadata.seed;
  if (seed !== undefined && (!/^\d{1,10}$/.test(seed) || Number(seed) > 0xffffffff))
    throw formatError(`metadata seed must be an integer in [0, 2^32) (got ${JSON.stringify(seed.slice(0, 20))})`);
  checkFileParams(want, tensors);
}
