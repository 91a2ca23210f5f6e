// TF.js Layers / Keras import: a `model.json` (modelTopology + weightsManifest + shards), or the
// artifacts object `tf.io` save handlers receive, becomes our ModelSpecJSON plus a PyTorch-layout
// state dict. Keras stores kernels [in, G·H] (x · K); PyTorch stores weight_ih [G·H, in] (W · x),
// so every kernel is transposed. LSTM gate order i, f, c, o is PyTorch's i, f, g, o; GRU's
// z, r, h becomes r, z, n.

import { CELL_TYPES, CELLS, cellOfKeras, gateCount, isKerasRecurrent } from '../cells.js';
import { formatError } from '../errors.js';
import { type GateActivation, type LayerSpecJSON, MAX_DIM, type ModelSpecJSON } from '../spec.js';
import { encodeSafetensors, type TensorIn } from './safetensors.js';
import { readSource } from './source.js';

/** One weight of a TF.js weights manifest: `name` is `layer/…/kernel`, float32 only here. */
export interface TfjsWeightSpec {
  /** Full weight name, `layerName/…/kernel`. */
  name: string;
  /** Shape, e.g. [in, 4·H] for an LSTM kernel. */
  shape: number[];
  /** Stored dtype; only 'float32' (unquantised) is read. */
  dtype: string;
  /** Quantisation settings; quantised weights are E_FORMAT. */
  quantization?: unknown;
}

/**
 * What `tf.io` save handlers receive (`tf.io.withSaveHandler`) and `model.json` holds once its
 * shards are read: the Keras topology, the weight specs in order, and their concatenated bytes.
 */
export interface TfjsArtifacts {
  /** `{ class_name: 'Sequential', config: { layers } }`, or Keras's `{ model_config: … }`. */
  modelTopology?: unknown;
  /** The weights in the order their bytes appear in `weightData`. */
  weightSpecs?: TfjsWeightSpec[];
  /** The weights' little-endian float32 bytes (one buffer, or TF.js ≥ 4.13's list of them). */
  weightData?: ArrayBuffer | ArrayBuffer[];
}

/**
 * An imported TF.js / Keras model: build it and load its weights to get a trainable model,
 * `await t.build(m.spec); await t.importWeights(m.stateDict)`.
 */
export interface TfjsImport {
  /** The architecture, one of our layers per Keras layer (Dropout kept as our dropout). */
  spec: ModelSpecJSON;
  /** Every parameter of `spec` in our (PyTorch) layout, by name. */
  weights: Record<string, Float32Array>;
  /** `weights` as a safetensors state dict, what `Trainer.importWeights` takes. */
  stateDict: Uint8Array;
  /**
   * True when the model had `Masking` (mask value 0) or `Embedding(maskZero)`: pass each row's
   * count of leading unmasked steps as `lengths` (padding must be trailing); outputs at padded
   * steps are 0 here where TF.js repeats the last valid one.
   */
  masked: boolean;
  /** The last Dense layer's activation: 'softmax' means our outputs are its logits. */
  outputActivation: 'linear' | 'softmax';
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
/** An artifacts object (convertArtifacts checks its fields), not a path or URL. */
const isArtifacts = (v: string | URL | TfjsArtifacts): v is TfjsArtifacts => isObj(v) && !(v instanceof URL);

/**
 * Reads a TF.js Layers model from a path or URL of its `model.json` (shards resolved next to it),
 * or from the artifacts object `tf.io` handlers produce, into our spec and weights (see
 * {@link TfjsImport}). Supported: InputLayer, Embedding, Masking (0), SimpleRNN, LSTM, GRU
 * (Keras `reset_after: true` or `false`; TF.js's own GRU is `false`), Bidirectional (concat), Dense / TimeDistributed(Dense) (linear, or
 * softmax last), Dropout. Anything else is E_FORMAT naming the layer class or option.
 */
export async function importTfjs(source: string | URL | TfjsArtifacts): Promise<TfjsImport> {
  const art = isArtifacts(source) ? source : await readModelJson(source);
  return convertArtifacts(art);
}

/** Largest model.json read (its topology and manifest; the weights are in the shards). */
const MAX_MODEL_JSON = 64 * 1024 * 1024;
/** Most floats the weights may hold in all (the core's MAX_PARAMS). */
const MAX_WEIGHTS = 2 ** 26;

/** Reads `model.json` and its shards (paths relative to it, within its origin or folder) into
 * artifacts. Each manifest group's shards are read up to the bytes its weights declare: more
 * or fewer is E_FORMAT. */
async function readModelJson(source: string | URL): Promise<TfjsArtifacts> {
  let json: Obj;
  try {
    json = JSON.parse(new TextDecoder().decode(await readSource(source, { maxBytes: MAX_MODEL_JSON }))) as Obj;
  } catch (e) {
    if ((e as { code?: string }).code === 'E_FORMAT') throw e;
    throw formatError(`${String(source)} is not a TF.js model.json: ${(e as Error).message}`);
  }
  if (!isObj(json) || !Array.isArray(json.weightsManifest)) throw formatError(`${String(source)} has no weightsManifest (not a TF.js Layers model.json)`);
  const specs: TfjsWeightSpec[] = [];
  const buffers: ArrayBuffer[] = [];
  let floats = 0;
  const groups: { paths: string[]; bytes: number }[] = [];
  for (const [gi, group] of (json.weightsManifest as unknown[]).entries()) {
    if (!isObj(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) throw formatError('weightsManifest entries need paths and weights');
    let bytes = 0;
    for (const [wi, w] of (group.weights as unknown[]).entries()) {
      const n = weightCount(w, `weightsManifest[${gi}].weights[${wi}]`);
      floats += n;
      if (floats > MAX_WEIGHTS) throw formatError(`the weights manifest declares more than ${MAX_WEIGHTS} floats (the most a model may have)`);
      bytes += 4 * n;
      specs.push(w as TfjsWeightSpec);
    }
    if (!group.paths.every((p) => typeof p === 'string' && p !== '')) throw formatError(`weightsManifest[${gi}].paths must be non-empty strings`);
    groups.push({ paths: group.paths as string[], bytes });
  }
  for (const [gi, g] of groups.entries()) {
    let got = 0;
    for (const p of g.paths) {
      const { url, within } = resolveShard(source, p);
      const left = g.bytes - got;
      let b: Uint8Array;
      try {
        b = await readSource(url, { maxBytes: left, within });
      } catch (e) {
        if (/more than the \d+ bytes allowed/.test((e as Error).message))
          throw formatError(`shard ${p} holds more bytes than weightsManifest[${gi}] declares (${g.bytes} in all)`);
        throw e;
      }
      got += b.length;
      buffers.push(b.buffer as ArrayBuffer);
    }
    if (got !== g.bytes) throw formatError(`the shards of weightsManifest[${gi}] hold ${got} bytes; its weights declare ${g.bytes}`);
  }
  return { modelTopology: json.modelTopology, weightSpecs: specs, weightData: buffers };
}

/** The float count of one weight spec, checked (E_FORMAT): a name, float32, a shape of
 * non-negative integers whose product is within the limits. */
function weightCount(w: unknown, at: string): number {
  if (!isObj(w)) throw formatError(`${at} must be a weight spec { name, shape, dtype } (got ${JSON.stringify(w) ?? String(w)})`);
  if (typeof w.name !== 'string' || w.name === '') throw formatError(`${at}.name must be a non-empty string (got ${JSON.stringify(w.name) ?? String(w.name)})`);
  if (w.dtype !== 'float32' || w.quantization !== undefined)
    throw formatError(`weight ${w.name}: only unquantised float32 weights are read (got ${String(w.dtype)}${w.quantization ? ', quantised' : ''})`);
  const shape = w.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw formatError(`weight ${w.name}: shape must be a list of non-negative integers (got ${JSON.stringify(shape) ?? String(shape)})`);
  let n = 1;
  for (const d of shape as number[]) {
    n *= d;
    if (n > MAX_WEIGHTS) throw formatError(`weight ${w.name} [${shape.join(', ')}] has more than ${MAX_WEIGHTS} floats`);
  }
  return n;
}

/** A shard path relative to the model.json at `base` (a URL or a file path): it must stay in
 * the model's origin (a URL; for file: URLs, its folder) or folder (a path), else E_FORMAT. */
function resolveShard(base: string | URL, p: string): { url: string; within?: string } {
  const outside = () => formatError(`shard path ${JSON.stringify(p)} leaves the model's ${isUrl ? 'origin' : 'folder'}`);
  const isUrl = base instanceof URL || /^[a-z][a-z0-9+.-]*:/i.test(base);
  if (isUrl) {
    let b: URL;
    let u: URL;
    try {
      b = new URL(base);
      u = new URL(p, b);
    } catch {
      throw formatError(`shard path ${JSON.stringify(p)} cannot be resolved against ${String(base)}`);
    }
    if (u.protocol !== b.protocol || u.origin !== b.origin) throw outside();
    if (b.protocol === 'file:') {
      const dir = b.pathname.slice(0, b.pathname.lastIndexOf('/') + 1);
      if (!u.pathname.startsWith(dir) || u.host !== b.host) throw outside();
      return { url: u.href, within: new URL(dir, b).href };
    }
    return { url: u.href };
  }
  // a path: relative, no scheme, no `..` segment, no NUL
  if (/^[a-z][a-z0-9+.-]*:/i.test(p) || /^[\\/]/.test(p) || p.includes('\0') || p.split(/[\\/]/).includes('..')) throw outside();
  const cut = Math.max(base.lastIndexOf('/'), base.lastIndexOf('\\'));
  const dir = cut < 0 ? '.' : base.slice(0, cut + 1);
  return { url: cut < 0 ? p : `${dir}${p}`, within: dir };
}

/** Splits the weight bytes into named float32 arrays, grouped by their first name component.
 * The bytes must be exactly what the specs declare (E_FORMAT otherwise). */
function weightGroups(art: TfjsArtifacts): Map<string, { rest: string; shape: number[]; data: Float32Array }[]> {
  const specs: unknown = art.weightSpecs ?? [];
  if (!Array.isArray(specs)) throw formatError('weightSpecs must be a list of weight specs');
  const counts = specs.map((w, i) => weightCount(w, `weightSpecs[${i}]`));
  const want = 4 * counts.reduce((a, b) => a + b, 0);
  if (want > 4 * MAX_WEIGHTS) throw formatError(`the weights hold more than ${MAX_WEIGHTS} floats (the most a model may have)`);
  const raw: unknown = art.weightData === undefined ? [] : Array.isArray(art.weightData) ? art.weightData : [art.weightData];
  const parts = raw as unknown[];
  if (!parts.every((b) => b instanceof ArrayBuffer)) throw formatError('weightData must be an ArrayBuffer or a list of them');
  const total = (parts as ArrayBuffer[]).reduce((n, b) => n + b.byteLength, 0);
  if (total !== want) throw formatError(`the weight data holds ${total} bytes; the weight specs declare ${want}`);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const b of parts as ArrayBuffer[]) {
    bytes.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  const groups = new Map<string, { rest: string; shape: number[]; data: Float32Array }[]>();
  let off = 0;
  for (const [i, w] of (specs as TfjsWeightSpec[]).entries()) {
    const n = counts[i];
    const data = new Float32Array(n);
    const dv = new DataView(bytes.buffer, off, 4 * n);
    for (let j = 0; j < n; j++) data[j] = dv.getFloat32(4 * j, true);
    off += 4 * n;
    const slash = w.name.indexOf('/');
    const layer = slash < 0 ? w.name : w.name.slice(0, slash);
    const list = groups.get(layer) ?? [];
    list.push({ rest: slash < 0 ? '' : w.name.slice(slash + 1), shape: w.shape, data });
    groups.set(layer, list);
  }
  return groups;
}

/** `m` [rows, cols] row-major, transposed to [cols, rows]. */
function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c];
  return out;
}

/** Reorders the G blocks of `h` rows each along the first axis of [G·h, w]: block k of the
 * result is block `order[k]` of `m`. */
function reorderBlocks(m: Float32Array, h: number, w: number, order: readonly number[]): Float32Array {
  const out = new Float32Array(m.length);
  for (const [k, src] of order.entries()) out.set(m.subarray(src * h * w, (src + 1) * h * w), k * h * w);
  return out;
}

/** The topology's layer list (Sequential; Keras's `model_config` wrapper accepted). */
function topologyLayers(topology: unknown): Obj[] {
  let t = topology;
  if (isObj(t) && isObj(t.model_config)) t = t.model_config;
  if (!isObj(t)) throw formatError('modelTopology is missing or not an object');
  if (t.class_name !== 'Sequential') throw formatError(`model class ${String(t.class_name)} is not supported (Sequential only)`);
  const cfg = t.config;
  const layers = Array.isArray(cfg) ? cfg : isObj(cfg) ? cfg.layers : undefined;
  if (!Array.isArray(layers) || layers.length === 0) throw formatError('the Sequential model has no layers');
  return layers as Obj[];
}

/** The core's most hidden units per recurrent layer and direction. */
const MAX_UNITS = 2 ** 14;

/** A size in a topology: an integer in [1, max], else E_FORMAT naming it (not "4", not 1e8). */
function size(what: string, v: unknown, max = MAX_DIM): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
    throw formatError(`${what} must be an integer between 1 and ${max} (got ${JSON.stringify(v) ?? String(v)})`);
  return v;
}

/** Converts artifacts into our spec and state dict (see {@link importTfjs}). */
export function convertArtifacts(art: TfjsArtifacts): TfjsImport {
  const layers = topologyLayers(art.modelTopology);
  const groups = weightGroups(art);
  const out: LayerSpecJSON[] = [];
  const weights: Record<string, Float32Array> = {};
  const shapes: Record<string, number[]> = {};
  let input: ModelSpecJSON['input'] | undefined;
  let width = 0; // features per step (or per row) flowing out of the layers so far
  let seq = true;
  let masked = false;
  let outputActivation: TfjsImport['outputActivation'] = 'linear';
  let nRec = 0;
  let nDense = 0;
  const take = (layer: string, n: number) => {
    const g = groups.get(layer) ?? [];
    if (g.length !== n) throw formatError(`layer ${layer}: expected ${n} weights, found ${g.length}`);
    return g;
  };
  layers.forEach((l, i) => {
    if (!isObj(l)) throw formatError(`layer ${i} of the topology must be an object (got ${JSON.stringify(l) ?? String(l)})`);
    const cls = String(l.class_name);
    const cfg = (isObj(l.config) ? l.config : {}) as Obj;
    const name = String(cfg.name ?? cls);
    const shape = (cfg.batch_input_shape ?? cfg.batchInputShape) as (number | null)[] | undefined;
    if (i === 0 && cls !== 'Embedding' && cls !== 'InputLayer') {
      if (!Array.isArray(shape) || shape.length !== 3 || typeof shape[2] !== 'number')
        throw formatError(`first layer ${cls} needs batch_input_shape [batch, steps, features]`);
      width = size(`${cls} batch_input_shape[2] (features)`, shape[2]);
      input = { features: width };
    }
    if (outputActivation === 'softmax') throw formatError(`layer ${cls} follows a softmax Dense (softmax is accepted on the last layer only)`);
    switch (cls) {
      case 'InputLayer': {
        if (!Array.isArray(shape) || (shape.length !== 2 && shape.length !== 3))
          throw formatError('InputLayer needs batch_input_shape [batch, steps(, features)]');
        if (shape.length === 3) {
          width = size('InputLayer batch_input_shape[2] (features)', shape[2]);
          input = { features: width };
        }
        return;
      }
      case 'Embedding': {
        if (out.length !== 0) throw formatError('Embedding must be the first layer');
        const [w] = take(name, 1);
        if (w.shape.length !== 2) throw formatError(`Embedding ${name}: its weight must be [vocab, dim] (got [${w.shape}])`);
        const vocab = size(`Embedding ${name} vocab`, w.shape[0]);
        const dim = size(`Embedding ${name} dim`, w.shape[1]);
        input = { vocab };
        if (cfg.mask_zero === true) masked = true;
        out.push({ type: 'embedding', name: 'embedding', dim });
        weights['embedding.weight'] = w.data;
        shapes['embedding.weight'] = [vocab, dim];
        width = dim;
        return;
      }
      case 'Masking': {
        if (Number(cfg.mask_value ?? 0) !== 0)
          throw formatError(`Masking with mask_value ${String(cfg.mask_value)} is not supported (0 only, which becomes row lengths)`);
        masked = true;
        return;
      }
      case 'Dropout': {
        const rate = cfg.rate ?? 0;
        if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw formatError(`Dropout rate must be a number in [0, 1) (got ${JSON.stringify(rate)})`);
        if (rate > 0) out.push({ type: 'dropout', rate });
        return;
      }
      case 'Dense':
      case 'TimeDistributed': {
        let dcfg = cfg;
        if (cls === 'TimeDistributed') {
          const inner = cfg.layer as Obj | undefined;
          if (!isObj(inner) || inner.class_name !== 'Dense')
            throw formatError(`TimeDistributed(${isObj(inner) ? String(inner.class_name) : '?'}) is not supported (Dense only)`);
          dcfg = isObj(inner.config) ? inner.config : {};
        }
        const act = String(dcfg.activation ?? 'linear');
        if (act === 'softmax' && i === layers.length - 1) outputActivation = 'softmax';
        else if (act !== 'linear') throw formatError(`Dense activation ${act} is not supported (linear, or softmax on the last layer)`);
        const units = size(`Dense ${name} units`, dcfg.units);
        const g = take(name, dcfg.use_bias === false ? 1 : 2);
        if (g[0].data.length !== width * units || (g.length === 2 && g[1].data.length !== units))
          throw formatError(`Dense ${name}: weights [${g.map((w) => `[${w.shape}]`).join(', ')}] do not match input ${width}, units ${units}`);
        const dn = nDense === 0 ? 'dense' : `dense${nDense}`;
        nDense++;
        weights[`${dn}.weight`] = transpose(g[0].data, width, units);
        weights[`${dn}.bias`] = g.length === 2 ? g[1].data : new Float32Array(units);
        shapes[`${dn}.weight`] = [units, width];
        shapes[`${dn}.bias`] = [units];
        out.push({ type: 'dense', name: dn, units });
        width = units;
        return;
      }
      case 'Bidirectional':
      case 'SimpleRNN':
      case 'LSTM':
      case 'GRU': {
        let rcfg = cfg;
        let rcls: string = cls;
        const bi = cls === 'Bidirectional';
        if (bi) {
          const mode = cfg.merge_mode ?? 'concat';
          if (mode !== 'concat') throw formatError(`Bidirectional merge_mode ${String(mode)} is not supported (concat only)`);
          const inner = cfg.layer as Obj | undefined;
          rcls = isObj(inner) ? String(inner.class_name) : '?';
          if (!isKerasRecurrent(rcls)) throw formatError(`Bidirectional(${rcls}) is not supported (SimpleRNN, LSTM, GRU)`);
          rcfg = isObj((inner as Obj).config) ? ((inner as Obj).config as Obj) : {};
        }
        if (!seq) throw formatError(`${rcls} ${name} follows a layer that returns one vector per sequence`);
        const rn = nRec === 0 ? 'rnn' : `rnn${nRec}`;
        nRec++;
        const rec = recurrentLayer(rcls, rcfg, rn, width, bi);
        const per = rec.useBias ? 3 : 2;
        const g = take(name, bi ? 2 * per : per);
        for (let d = 0; d < (bi ? 2 : 1); d++) {
          const [k, r, b] = g.slice(d * per, (d + 1) * per);
          const sfx = d === 1 ? '_reverse' : '';
          Object.assign(weights, rec.map(k.data, r.data, b?.data, sfx));
          const gh = rec.gates * rec.units;
          Object.assign(shapes, {
            [`${rn}.weight_ih_l0${sfx}`]: [gh, width],
            [`${rn}.weight_hh_l0${sfx}`]: [gh, rec.units],
            [`${rn}.bias_ih_l0${sfx}`]: [gh],
            [`${rn}.bias_hh_l0${sfx}`]: [gh],
          });
        }
        out.push(rec.spec);
        seq = rec.spec.type === 'recurrent' && rec.spec.returnSequences;
        width = (bi ? 2 : 1) * rec.units;
        return;
      }
      default:
        throw formatError(`Keras layer class ${cls} (${name}) is not supported`);
    }
  });
  if (input === undefined) throw formatError('the model does not say its input shape (batch_input_shape)');
  const spec: ModelSpecJSON = { input, layers: out };
  const tensors: [string, TensorIn][] = [];
  for (const [n, data] of Object.entries(weights)) tensors.push([n, { dtype: 'F32', shape: shapes[n], data }]);
  return { spec, weights, stateDict: encodeSafetensors(tensors, {}), masked, outputActivation };
}

/** One Keras SimpleRNN/LSTM/GRU config as our recurrent layer, with its weight mapping. */
function recurrentLayer(cls: string, cfg: Obj, name: string, input: number, bidirectional: boolean) {
  for (const k of ['go_backwards', 'stateful', 'unroll'] as const) if (cfg[k] === true) throw formatError(`${cls} ${k}: true is not supported`);
  const units = size(`${cls} units`, cfg.units, MAX_UNITS);
  const act = String(cfg.activation ?? 'tanh');
  // the registry's cell of this class and activation (CELLS[cell].keras)
  const cell = cellOfKeras(cls, act);
  if (cell === undefined) {
    const acts = CELL_TYPES.filter((c) => CELLS[c].keras.className === cls).map((c) => CELLS[c].keras.activation);
    throw formatError(`${cls} activation ${act} is not supported (${acts.join(', ')})`);
  }
  const gru = CELLS[cell].options.includes('resetAfter');
  let gate: GateActivation | undefined;
  if (CELLS[cell].options.includes('recurrentActivation')) {
    const ra = String(cfg.recurrent_activation ?? 'hard_sigmoid');
    if (ra === 'hard_sigmoid' || ra === 'hardSigmoid') gate = 'hardSigmoid';
    else if (ra !== 'sigmoid') throw formatError(`${cls} recurrent_activation ${ra} is not supported (sigmoid, hard_sigmoid)`);
  }
  // Keras writes reset_after; TF.js's GRU has none and applies the reset gate before the product.
  const resetAfter = gru && cfg.reset_after === true;
  const useBias = cfg.use_bias !== false;
  const g = gateCount(cell);
  const gh = g * units;
  // Keras GRU blocks z, r, h → PyTorch r, z, n; LSTM i, f, c, o is already i, f, g, o.
  const order = CELLS[cell].keras.order;
  const map = (k: Float32Array, r: Float32Array, b: Float32Array | undefined, sfx: string) => {
    if (k.length !== input * gh || r.length !== units * gh) throw formatError(`${cls} weights do not match input ${input}, units ${units}`);
    const w: Record<string, Float32Array> = {};
    w[`${name}.weight_ih_l0${sfx}`] = reorderBlocks(transpose(k, input, gh), units, input, order);
    w[`${name}.weight_hh_l0${sfx}`] = reorderBlocks(transpose(r, units, gh), units, units, order);
    let bih: Float32Array = new Float32Array(gh);
    let bhh: Float32Array = new Float32Array(gh);
    if (b !== undefined) {
      if (resetAfter) {
        if (b.length !== 2 * gh) throw formatError(`GRU (reset_after) bias must be [2, ${gh}]`);
        bih = reorderBlocks(b.subarray(0, gh), units, 1, order);
        bhh = reorderBlocks(b.subarray(gh), units, 1, order);
      } else if (gru) {
        // reset before the product: Keras's one bias [3H] goes to bias_ih, bias_hh stays 0
        if (b.length !== gh) throw formatError(`GRU (reset_after: false) bias must be [${gh}]`);
        bih = reorderBlocks(b, units, 1, order);
      } else {
        if (b.length !== gh) throw formatError(`${cls} bias must be [${gh}] (got ${b.length} values)`);
        bih = b.slice();
      }
    }
    w[`${name}.bias_ih_l0${sfx}`] = bih;
    w[`${name}.bias_hh_l0${sfx}`] = bhh;
    return w;
  };
  const spec: LayerSpecJSON = {
    type: 'recurrent',
    name,
    cell,
    units,
    layers: 1,
    bidirectional,
    dropout: 0,
    returnSequences: cfg.return_sequences === true,
    ...(gate === undefined ? {} : { recurrentActivation: gate }),
    ...(gru && !resetAfter ? { resetAfter: false } : {}),
  };
  return { spec, units, gates: g, useBias, map };
}
