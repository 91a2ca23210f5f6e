// ONNX export of a saved sequential model (opset 17, IR 8), built from the file's architecture
// and tensors alone (not from a live session):
//   ids [batch, steps] int64 (token models) or features [batch, steps, F] float
//   lengths [batch] int32 (unless { lengths: false }): valid steps per row → sequence_lens
//   output [batch, steps, C] float, or [batch, C] after a pooled recurrent layer
// Layers: embedding → Gather; each layer of a recurrent stack → one ONNX RNN / LSTM / GRU
// (time-major: Transpose in, Y [T, D, B, H] → Transpose + Reshape [T, B, D·H] between layers;
// pooled layers read Y_h [D, B, H] → [B, D·H], forward then reverse, as ours); dense → MatMul +
// Add; dropout → nothing. Gate orders: ours (PyTorch's) LSTM i,f,g,o → ONNX i,o,f,c; GRU r,z,n →
// ONNX z,r,h with linear_before_reset = 1 (our reset gate multiplies the recurrent product), or
// 0 for `resetAfter: false` (ONNX's h = g(x·W_hᵀ + (r ⊙ H)·R_hᵀ + Rb_h + Wb_h) is exactly ours).
// ONNX fills padded steps with zeros; ours are unspecified there, so compare valid steps only.
// A CRF head, an LSTM with `projSize` (ONNX's LSTM has no projection) or a seq2seq (attention)
// model has no ONNX form here: E_OPTION naming it. Gate orders and operators: `CELLS[cell].onnx`.
// The protobuf schema comes from `onnx-proto` (protobufjs), loaded when first needed.
import { CELLS, gateCount } from '../cells.js';
import { checkKeys, formatError, optionError } from '../errors.js';
import type { LayerSpecJSON } from '../spec.js';
import { decodeCheckpoint } from './checkpoint.js';
import { decodeSafetensors } from './safetensors.js';

/** Options of {@link exportOnnx} (an unknown key or a non-boolean `lengths` is E_OPTION). */
export interface OnnxExportOptions {
  /** Add the `lengths` input [batch] int32; without it every row runs all steps. @default true */
  lengths?: boolean;
  /** The ONNX graph's name. @default "recurrent" */
  name?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: the generated protobufjs namespace is untyped here
type OnnxNs = any;
const FLOAT = 1;
const INT32 = 6;
const INT64 = 7;
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 };
const OPSET = 17;
const IR_VERSION = 8;

let onnxNs: OnnxNs | undefined;
async function loadOnnx(): Promise<OnnxNs> {
  if (onnxNs) return onnxNs;
  // a variable specifier keeps bundlers from requiring the package in apps that never export
  const pkg = 'onnx-proto';
  try {
    const m = await import(/* @vite-ignore */ pkg);
    onnxNs = (m.default ?? m).onnx ?? m.onnx;
  } catch (e) {
    throw optionError(`ONNX export needs the onnx-proto package (npm install onnx-proto): ${(e as Error).message}`);
  }
  return onnxNs;
}

/** Rows of `w` [G·H, …] regrouped gate by gate in `order` (indices into our gate order). */
function reorderGates(w: Float32Array, gates: number, order: readonly number[]): Float32Array {
  const block = w.length / gates;
  const out = new Float32Array(w.length);
  for (const [i, g] of order.entries()) out.set(w.subarray(g * block, (g + 1) * block), i * block);
  return out;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * ONNX model bytes (opset 17, IR 8) of a saved sequential model file (format recurrent/1, as
 * `Trainer.save` writes it; `{ training: false }` keeps it small). The graph's inputs are `ids`
 * [batch, steps] int64 for a token model or `features` [batch, steps, F] float, and `lengths`
 * [batch] int32 (valid steps per row) unless `{ lengths: false }`; its output `output` is
 * [batch, steps, C] float, or [batch, C] after a pooled recurrent layer (`returnSequences:
 * false`): the same raw logits `predict` gives (padded steps are zeros in ONNX's output).
 * Needs the optional `onnx-proto` package (E_OPTION naming it when missing). A seq2seq model or
 * a CRF head has no ONNX form here (E_OPTION); bytes that are not a model file are E_FORMAT.
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * import { tmpdir } from 'node:os';
 * const trainer = await createTrainer({ worker: false });
 * await trainer.build(sequential({ input: { vocab: 10 } }).embedding({ dim: 4 }).lstm({ units: 8 }).dense({ units: 10 }), { seed: 1 });
 * const onnxBytes = await exportOnnx(await trainer.save({ training: false }));
 * await writeFile(`${tmpdir()}/model.onnx`, onnxBytes); // e.g. for onnxruntime-web or onnxruntime-node
 * await trainer.dispose();
 * ```
 */
export async function exportOnnx(modelFile: Uint8Array, opts: OnnxExportOptions = {}): Promise<Uint8Array> {
  checkKeys('exportOnnx', opts, ['lengths', 'name']);
  if (opts.lengths !== undefined && typeof opts.lengths !== 'boolean') throw optionError('exportOnnx.lengths must be true or false');
  if (!(modelFile instanceof Uint8Array)) throw formatError('exportOnnx takes the model file as a Uint8Array');
  const raw = decodeSafetensors(modelFile);
  let kind: unknown;
  try {
    kind = (JSON.parse(raw.metadata.architecture ?? 'null') as { kind?: unknown } | null)?.kind;
  } catch {
    kind = undefined; // decodeCheckpoint names the problem
  }
  if (kind === 'seq2seq')
    throw optionError('ONNX export covers sequential models; this is a seq2seq model (attention encoder-decoder), which it cannot express');
  const snap = decodeCheckpoint(modelFile);
  const crf = snap.spec.layers.find((l) => l.type === 'crf');
  if (crf) throw optionError(`ONNX export cannot express the CRF head '${(crf as { name: string }).name}' (Viterbi decoding); export the model without it`);
  const proj = snap.spec.layers.find((l) => l.type === 'recurrent' && l.projSize !== undefined);
  if (proj)
    throw optionError(
      `ONNX export cannot express projSize (PyTorch proj_size) of the recurrent layer '${(proj as { name: string }).name}': ONNX's LSTM has no projection`,
    );
  const onnx = await loadOnnx();
  const withLengths = opts.lengths ?? true;
  const param = new Map(snap.params.map((p) => [p.name, p]));
  const enc = new TextEncoder();
  const nodes: object[] = [];
  const inits: object[] = [];
  let uid = 0;
  const fresh = (base: string) => `${base}_${uid++}`;
  const node = (opType: string, input: string[], output: string[], attribute: object[] = []) =>
    nodes.push(onnx.NodeProto.create({ opType, input, output, name: fresh(opType), attribute }));
  const floatInit = (name: string, dims: number[], data: Float32Array) =>
    inits.push(
      onnx.TensorProto.create({ name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) }),
    );
  const int64Init = (name: string, values: number[]) =>
    inits.push(onnx.TensorProto.create({ name, dims: [values.length], dataType: INT64, int64Data: values }));
  const ints = (name: string, v: number[]) => onnx.AttributeProto.create({ name, type: ATTR.INTS, ints: v });
  const int = (name: string, v: number) => onnx.AttributeProto.create({ name, type: ATTR.INT, i: v });
  const str = (name: string, v: string) => onnx.AttributeProto.create({ name, type: ATTR.STRING, s: enc.encode(v) });
  const strs = (name: string, v: string[]) => onnx.AttributeProto.create({ name, type: ATTR.STRINGS, strings: v.map((s) => enc.encode(s)) });
  const dim = (d: string | number) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d });
  const valueInfo = (name: string, elemType: number, dims: (string | number)[]) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType, shape: { dim: dims.map(dim) } } } });

  const input = snap.spec.input as { vocab?: number; features?: number; slots?: number };
  if ((input.slots ?? 1) > 1) throw optionError(`ONNX export takes one token id per step; this model reads input.slots = ${input.slots}`);
  const inputs: object[] = [];
  let x: string; // current activation
  let seq = true; // [B, T, W] or pooled [B, W]
  let width: number;
  if (input.vocab !== undefined) {
    inputs.push(valueInfo('ids', INT64, ['batch', 'steps']));
    x = 'ids';
    width = input.vocab;
  } else {
    inputs.push(valueInfo('features', FLOAT, ['batch', 'steps', input.features as number]));
    x = 'features';
    width = input.features as number;
  }
  if (withLengths) inputs.push(valueInfo('lengths', INT32, ['batch']));
  // Reshape targets, added once when first used: [T, B, D, H] → [T, B, D·H], [B, D, H] → [B, D·H]
  const shapes = new Set<string>();
  const shape = (name: 'shape_tb_flat' | 'shape_b_flat') => {
    if (!shapes.has(name)) int64Init(name, name === 'shape_tb_flat' ? [0, 0, -1] : [0, -1]);
    shapes.add(name);
    return name;
  };

  for (const l of snap.spec.layers as LayerSpecJSON[]) {
    if (l.type === 'dropout') continue;
    if (l.type === 'embedding') {
      const w = `${l.name}.weight`;
      floatInit(w, param.get(w)!.shape, param.get(w)!.data);
      const y = fresh('embedded');
      node('Gather', [w, x], [y], [int('axis', 0)]);
      x = y;
      width = l.dim;
    } else if (l.type === 'recurrent') {
      const dirs = l.bidirectional ? 2 : 1;
      const g = gateCount(l.cell);
      const onnxCell = CELLS[l.cell].onnx;
      const h = l.units;
      let tm = fresh('time_major'); // [T, B, W]
      node('Transpose', [x], [tm], [ints('perm', [1, 0, 2])]);
      for (let k = 0; k < l.layers; k++) {
        const inp = k === 0 ? width : dirs * h;
        const get = (kind: string, d: number) => {
          const p = param.get(`${l.name}.${kind}_l${k}${d === 1 ? '_reverse' : ''}`)!;
          return reorderGates(p.data, g, onnxCell.order);
        };
        const ds = Array.from({ length: dirs }, (_, d) => d);
        const W = `${l.name}.l${k}.W`;
        const R = `${l.name}.l${k}.R`;
        const B = `${l.name}.l${k}.B`;
        floatInit(W, [dirs, g * h, inp], concat(ds.map((d) => get('weight_ih', d))));
        floatInit(R, [dirs, g * h, h], concat(ds.map((d) => get('weight_hh', d))));
        floatInit(B, [dirs, 2 * g * h], concat(ds.flatMap((d) => [get('bias_ih', d), get('bias_hh', d)])));
        const attrs = [int('hidden_size', h), str('direction', dirs === 2 ? 'bidirectional' : 'forward')];
        if (l.cell === 'gru') attrs.push(int('linear_before_reset', l.resetAfter === false ? 0 : 1));
        if (onnxCell.op === 'RNN') attrs.push(strs('activations', Array(dirs).fill(onnxCell.activation)));
        if (l.recurrentActivation === 'hardSigmoid') {
          // gates (f) HardSigmoid, then g (and LSTM's h) Tanh, for each direction
          const acts = onnxCell.op === 'LSTM' ? ['HardSigmoid', 'Tanh', 'Tanh'] : ['HardSigmoid', 'Tanh'];
          const all = ds.flatMap(() => acts);
          attrs.push(strs('activations', all));
          // (α, β left at HardSigmoid's defaults, 0.2 and 0.5: exactly TF.js's formula)
        }
        const last = k === l.layers - 1;
        const pooled = last && !l.returnSequences;
        const Y = pooled ? '' : fresh('Y'); // [T, D, B, H]
        const Yh = pooled ? fresh('Y_h') : ''; // [D, B, H]
        node(onnxCell.op, [tm, W, R, B, withLengths ? 'lengths' : ''], [Y, Yh], attrs);
        if (pooled) {
          const bdh = fresh('final_bdh');
          node('Transpose', [Yh], [bdh], [ints('perm', [1, 0, 2])]);
          const flat = fresh('pooled');
          node('Reshape', [bdh, shape('shape_b_flat')], [flat]);
          x = flat;
          seq = false;
        } else {
          const tbdh = fresh('tbdh');
          node('Transpose', [Y], [tbdh], [ints('perm', [0, 2, 1, 3])]);
          const next = fresh('time_major');
          node('Reshape', [tbdh, shape('shape_tb_flat')], [next]);
          tm = next;
        }
      }
      if (seq) {
        const bt = fresh('batch_major');
        node('Transpose', [tm], [bt], [ints('perm', [1, 0, 2])]);
        x = bt;
      }
      width = dirs * h;
    } else if (l.type === 'dense') {
      const w = param.get(`${l.name}.weight`)!; // [U, W] → Wᵀ [W, U]
      const wt = new Float32Array(w.data.length);
      for (let u = 0; u < l.units; u++) for (let i = 0; i < width; i++) wt[i * l.units + u] = w.data[u * width + i];
      floatInit(`${l.name}.weight_t`, [width, l.units], wt);
      floatInit(`${l.name}.bias`, [l.units], param.get(`${l.name}.bias`)!.data);
      const mm = fresh('matmul');
      node('MatMul', [x, `${l.name}.weight_t`], [mm]);
      const y = fresh('dense');
      node('Add', [mm, `${l.name}.bias`], [y]);
      x = y;
      width = l.units;
    }
  }
  // the graph's output is named "output": an Identity from the last activation
  node('Identity', [x], ['output']);
  const outputs = [valueInfo('output', FLOAT, seq ? ['batch', 'steps', width] : ['batch', width])];
  const graph = onnx.GraphProto.create({ name: opts.name ?? 'recurrent', node: nodes, initializer: inits, input: inputs, output: outputs });
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'recurrent',
    graph,
    docString: 'exported by recurrent from a recurrent/1 model file',
  });
  return onnx.ModelProto.encode(model).finish();
}
