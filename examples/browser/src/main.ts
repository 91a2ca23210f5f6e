// The browser demo: pick a corpus and an architecture, train a character-level model in a
// module Web Worker through the SDK, watch the training and validation loss, sample from the
// model as it learns, stop / resume, save the model to a file or to the browser's storage
// (IndexedDB, by name) and load it back.
import {
  type BrowserModelInfo,
  createTrainer,
  deleteBrowserModel,
  type FitEvent,
  listBrowserModels,
  loadFromBrowser,
  type ModelInfo,
  type ModelSpecJSON,
  saveToBrowser,
  sequential,
  type Trainer,
  textWindows,
  Vocabulary,
  type WindowsData,
} from 'recurrent-nn';
import { LossChart } from './chart.js';
import { NAME_COUNT, namesText } from './corpus.js';
import './style.css';

type State = 'loading' | 'idle' | 'training' | 'stopping' | 'stopped' | 'done' | 'loaded';
type Cell = 'lstm' | 'gru' | 'rnn';

/** Batches per epoch: the "Steps" field is rounded up to whole epochs of this size. */
const BATCHES_PER_EPOCH = 50;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
};
const num = (id: string, min: number, max: number): number => {
  const input = $<HTMLInputElement>(id);
  const v = Number(input.value);
  if (!Number.isFinite(v) || v < min || v > max)
    throw new Error(`${input.closest('label')?.firstChild?.textContent?.trim() ?? id} must be between ${min} and ${max}`);
  return v;
};

const ui = {
  train: $<HTMLButtonElement>('train'),
  stop: $<HTMLButtonElement>('stop'),
  resume: $<HTMLButtonElement>('resume'),
  save: $<HTMLButtonElement>('save'),
  load: $<HTMLInputElement>('load'),
  loadLabel: document.querySelector<HTMLLabelElement>('label[for="load"]')!,
  generate: $<HTMLButtonElement>('generate'),
  storeName: $<HTMLInputElement>('store-name'),
  storeSave: $<HTMLButtonElement>('store-save'),
  stored: $<HTMLSelectElement>('stored'),
  storeLoad: $<HTMLButtonElement>('store-load'),
  storeDelete: $<HTMLButtonElement>('store-delete'),
  val: $('stat-val'),
  message: $('message'),
  state: $('stat-state'),
  step: $('stat-step'),
  loss: $('stat-loss'),
  tps: $('stat-tps'),
  eta: $('stat-eta'),
  progress: $<HTMLProgressElement>('progress'),
  modelLine: $('model-line'),
  sample: $('sample'),
  text: $<HTMLTextAreaElement>('text'),
  temperature: $<HTMLInputElement>('temperature'),
  temperatureOut: $<HTMLOutputElement>('temperature-out'),
};

const chart = new LossChart($('chart'));
let trainer: Trainer | undefined;
let state: State = 'loading';
/** This demo trains sequential models (an encoder-decoder file is refused on load). */
type SequentialInfo = ModelInfo<ModelSpecJSON>;
let info: SequentialInfo | undefined;

function sequentialInfo(i: ModelInfo): SequentialInfo {
  if (!('layers' in i.spec)) throw new Error('this demo trains sequential models; the file holds an encoder-decoder');
  return i as SequentialInfo;
}
let vocab: Vocabulary | undefined;
/** What fit() runs on (kept for resume: same data and batch size, more epochs); `validation`
 * is the held-out tenth of the corpus, scored at every epoch's end. */
let plan: { data: WindowsData; validation?: WindowsData; batchSize: number; epochs: number } | undefined;
/** The models kept in this browser (IndexedDB), as last listed. */
let stored: BrowserModelInfo[] = [];
let abort: AbortController | undefined;
let samples = 0;
let lastSampleAt = 0;
let sampling = false;
let lastEvent: FitEvent | undefined;
let statsPending = false;

// Read-only hooks for the browser test (and the curious, from the console).
const demo = {
  get state() {
    return state;
  },
  get mode() {
    return trainer?.mode;
  },
  get steps() {
    return [...chart.steps];
  },
  get losses() {
    return [...chart.losses];
  },
  /** [step, validation loss] at each epoch's end. */
  get validation() {
    return chart.validation.map((p) => [...p]);
  },
  /** The models saved in this browser, as the page last listed them. */
  get stored() {
    return stored.map((m) => m.name);
  },
  /** The model's output (logits, every step) for `text`: what "identical predictions" compares. */
  async predict(text: string): Promise<number[]> {
    if (!trainer || !vocab) throw new Error('no model');
    const ids = Uint32Array.from(vocab.encode(text));
    return Array.from(await trainer.predict({ ids, batch: 1, steps: ids.length }));
  },
  /** Lists and reads the saved models from a module Web Worker (storage works off the page too). */
  fromWorker(name: string): Promise<{ names: string[]; bytes: number } | { error: string }> {
    const w = new Worker(new URL('./storage-worker.ts', import.meta.url), { type: 'module' });
    return new Promise((resolve) => {
      w.onmessage = (e) => {
        w.terminate();
        resolve(e.data);
      };
      w.postMessage(name);
    });
  },
  get samples() {
    return samples;
  },
  get sample() {
    return ui.sample.textContent ?? '';
  },
  get info() {
    return info;
  },
  get workers() {
    return trainer?.workers ?? 0;
  },
  /** The kernel build the training workers run ("relaxed-simd" or "simd128"). */
  get kernels() {
    return trainer?.kernels ?? '';
  },
};
declare global {
  interface Window {
    recurrentDemo: typeof demo;
  }
}
window.recurrentDemo = demo;

function setState(s: State): void {
  state = s;
  ui.state.textContent = s;
  const busy = s === 'training' || s === 'stopping' || s === 'loading';
  ui.train.disabled = busy;
  ui.stop.disabled = s !== 'training';
  ui.resume.disabled = busy || !plan || !(s === 'stopped' || s === 'done' || s === 'loaded');
  ui.save.disabled = !info || s === 'loading';
  ui.load.disabled = busy;
  ui.loadLabel.classList.toggle('disabled', busy);
  ui.generate.disabled = !info || s === 'loading';
  ui.storeSave.disabled = !info || busy;
  ui.storeLoad.disabled = ui.storeDelete.disabled = busy || stored.length === 0;
  document.body.dataset.state = s;
  if (s !== 'training') ui.eta.textContent = '–';
}

function say(text: string, kind: 'info' | 'error' = 'info'): void {
  ui.message.textContent = text;
  ui.message.className = kind;
}

function fail(e: unknown): void {
  const err = e as { message?: string; code?: string };
  say(`${err.code ? `[${err.code}] ` : ''}${err.message ?? String(e)}`, 'error');
}

function corpus(): string {
  const which = document.querySelector<HTMLInputElement>('input[name="corpus"]:checked')?.value;
  if (which === 'text') {
    const t = ui.text.value;
    if (t.length < 200) throw new Error('paste at least 200 characters of text (a few thousand train better)');
    return t;
  }
  return namesText();
}

/** The corpus split for training and validation: the last tenth (from a line start where there
 * is one) is held out; both parts must hold more than one window. */
function splitCorpus(text: string, window: number): { train: string; heldOut: string } {
  let cut = Math.floor(text.length * 0.9);
  const nl = text.lastIndexOf('\n', cut);
  if (nl > text.length * 0.8) cut = nl + 1;
  const train = text.slice(0, cut);
  const heldOut = text.slice(cut);
  if (heldOut.length < window + 2) throw new Error(`the corpus needs more than ${10 * (window + 1)} characters (a tenth is held out for validation)`);
  return { train, heldOut };
}

function describe(i: SequentialInfo): string {
  const rec = i.spec.layers.find((l) => l.type === 'recurrent');
  const names: Record<string, string> = { lstm: 'LSTM', gru: 'GRU', rnn_tanh: 'RNN (tanh)', rnn_relu: 'RNN (ReLU)' };
  const cell =
    rec && rec.type === 'recurrent' ? `${names[rec.cell] ?? rec.cell} · ${rec.layers} layer${rec.layers > 1 ? 's' : ''} × ${rec.units} units` : 'model';
  const v = i.vocabulary ? ` · ${i.vocabulary.symbols.length}-symbol vocabulary` : '';
  return `${cell}${v} · ${i.paramCount.toLocaleString('en-US')} parameters · training in ${(trainer?.workers ?? 1) > 1 ? `${trainer?.workers} module Web Workers (data-parallel)` : trainer?.mode === 'worker' ? 'a module Web Worker' : 'the page'}${trainer ? ` · ${trainer.kernels} kernels` : ''}`;
}

const fmtTime = (ms: number): string => {
  if (!Number.isFinite(ms)) return '–';
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
};

function drawStats(): void {
  statsPending = false;
  const e = lastEvent;
  if (!e || !plan) return;
  ui.step.textContent = e.step.toLocaleString('en-US');
  ui.loss.textContent = e.loss.toFixed(3);
  if (e.type === 'epoch' && e.validation) ui.val.textContent = e.validation.loss.toFixed(3);
  ui.tps.textContent = Math.round(e.tokensPerSec).toLocaleString('en-US');
  // time left only while training: after Stop (or the end) nothing is left to wait for
  ui.eta.textContent = state === 'training' ? fmtTime(e.etaMs) : '–';
  const nb = e.type === 'step' ? e.batchesPerEpoch : BATCHES_PER_EPOCH;
  const done = e.type === 'step' ? e.epoch * nb + e.batch + 1 : (e.epoch + 1) * nb;
  ui.progress.value = Math.min(1, done / (plan.epochs * nb));
}

function onEvent(e: FitEvent): void {
  lastEvent = e;
  if (e.type === 'step') chart.push(e.step, e.loss);
  else if (e.validation) chart.pushValidation(e.step, e.validation.loss);
  if (!statsPending) {
    statsPending = true;
    requestAnimationFrame(drawStats);
  }
  if ((document.getElementById('auto') as HTMLInputElement).checked && performance.now() - lastSampleAt > 2000) void sample();
}

/** The "Workers" control: 1, 2, 4 or 'auto' (a core each, one left for this page). */
function chosenWorkers(): number | 'auto' {
  const v = $<HTMLSelectElement>('workers').value;
  return v === 'auto' ? 'auto' : Number(v);
}
let trainerWorkers: number | 'auto' | undefined;

/** The trainer, made anew when the "Workers" control changed (a loaded or trained model
 * stays with the trainer that holds it until the next "Train new model" or load). */
async function getTrainer(fresh = false): Promise<Trainer> {
  const w = chosenWorkers();
  if (trainer && fresh && w !== trainerWorkers) {
    const old = trainer;
    trainer = undefined;
    await old.dispose();
  }
  if (!trainer) {
    trainer = await createTrainer({ worker: true, workers: w });
    trainerWorkers = w;
  }
  return trainer;
}

/** Runs (or resumes) fit on the current plan until it completes or is stopped. */
async function run(resume: boolean): Promise<void> {
  const t = await getTrainer();
  if (!plan) return;
  abort = new AbortController();
  setState('training');
  say(resume ? 'Resumed.' : 'Training…');
  try {
    const fit = t.fit(plan.data, { epochs: plan.epochs, batchSize: plan.batchSize, resume, signal: abort.signal, validation: plan.validation });
    for await (const e of fit) onEvent(e);
    const res = await fit;
    info = sequentialInfo(await t.info());
    setState(res.stopReason === 'aborted' ? 'stopped' : 'done');
    drawStats();
    say(
      `${res.stopReason === 'aborted' ? 'Stopped' : 'Done'} at step ${res.steps.toLocaleString('en-US')} · ${Math.round(res.tokensPerSec).toLocaleString('en-US')} tokens/s.`,
    );
    void sample();
  } catch (e) {
    setState(info ? 'stopped' : 'idle');
    fail(e);
  }
}

async function trainNew(): Promise<void> {
  const before = state;
  try {
    const text = corpus();
    const cell = $<HTMLSelectElement>('cell').value as Cell;
    const units = num('units', 1, 1024);
    const layers = num('layers', 1, 4);
    const dim = num('dim', 1, 512);
    const steps = num('steps', 1, 1e7);
    const batchSize = num('batch', 1, 1024);
    const window = num('window', 2, 1024);
    const lr = num('lr', 1e-6, 10);
    vocab = Vocabulary.fromText(text);
    const { train, heldOut } = splitCorpus(text, window);
    const ids = vocab.encode(train);
    const base = sequential({ input: { vocab: vocab.size } }).embedding({ dim });
    const rec = cell === 'lstm' ? base.lstm({ units, layers }) : cell === 'gru' ? base.gru({ units, layers }) : base.rnn({ units, layers });
    const spec = rec.dense({ units: vocab.size });
    setState('loading');
    const t = await getTrainer(true);
    await t.build(spec, { seed: (Math.random() * 2 ** 31) >>> 0 });
    await t.setVocabulary(vocab);
    await t.compile({ loss: 'crossEntropy', optimizer: { name: 'adam', lr }, clipNorm: 5 });
    info = sequentialInfo(await t.info());
    plan = {
      data: textWindows(ids, { steps: window, windowsPerEpoch: batchSize * BATCHES_PER_EPOCH }),
      validation: textWindows(vocab.encode(heldOut), { steps: window, random: false }),
      batchSize,
      epochs: Math.ceil(steps / BATCHES_PER_EPOCH),
    };
    chart.clear();
    ui.val.textContent = '–';
    ui.sample.textContent = '';
    ui.modelLine.textContent = describe(info);
    await run(false);
  } catch (e) {
    // a bad field leaves things as they were; a failure while building leaves no usable plan
    if (state === 'loading') setState(info ? 'stopped' : 'idle');
    else setState(before);
    fail(e);
  }
}

async function resumeTraining(): Promise<void> {
  if (!plan) return;
  const done = info?.training?.epoch ?? 0;
  // After a finished run, "Resume" trains for another "Steps" worth of batches.
  if (done >= plan.epochs) plan.epochs = done + Math.ceil(num('steps', 1, 1e7) / BATCHES_PER_EPOCH);
  await run(true);
}

function stop(): void {
  if (state !== 'training') return;
  setState('stopping');
  abort?.abort();
}

async function sample(): Promise<void> {
  if (!trainer || !info || sampling) return;
  sampling = true;
  lastSampleAt = performance.now();
  try {
    const typed = $<HTMLInputElement>('prompt').value;
    const prompt = typed.length > 0 ? typed : '\n';
    const out = await trainer.generate(prompt, {
      maxTokens: num('length', 1, 5000),
      temperature: Number(ui.temperature.value),
      seed: (Math.random() * 2 ** 31) >>> 0,
    });
    ui.sample.textContent = (typed + out).replace(/^\n+/, '');
    samples += 1;
  } catch (e) {
    fail(e);
  } finally {
    sampling = false;
  }
}

async function save(): Promise<void> {
  if (!trainer || !info) return;
  try {
    const bytes = await trainer.save();
    const rec = info.spec.layers.find((l) => l.type === 'recurrent');
    const name = `recurrent-${rec && rec.type === 'recurrent' ? `${rec.cell}-${rec.units}` : 'model'}-step${info.training?.step ?? 0}.safetensors`;
    const url = URL.createObjectURL(new Blob([bytes.slice()], { type: 'application/octet-stream' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    say(`Saved ${name} (${(bytes.length / 1024).toFixed(1)} KiB).`);
  } catch (e) {
    fail(e);
  }
}

/** Lists the models kept in this browser into the "Saved models" menu. */
async function refreshStored(select?: string): Promise<void> {
  try {
    stored = await listBrowserModels();
  } catch (e) {
    stored = [];
    fail(e);
  }
  ui.stored.replaceChildren(
    ...stored.map((m) => {
      const o = document.createElement('option');
      o.value = m.name;
      o.textContent = `${m.name} (${(m.bytes / 1024).toFixed(1)} KiB, ${new Date(m.savedAt).toLocaleString()})`;
      return o;
    }),
  );
  if (select !== undefined) ui.stored.value = select;
  setState(state);
}

async function saveInBrowser(): Promise<void> {
  if (!trainer || !info) return;
  try {
    const saved = await saveToBrowser(ui.storeName.value.trim(), trainer);
    await refreshStored(saved.name);
    say(`Saved "${saved.name}" in this browser (${(saved.bytes / 1024).toFixed(1)} KiB): it stays after a reload.`);
  } catch (e) {
    fail(e);
  }
}

async function deleteStored(): Promise<void> {
  const name = ui.stored.value;
  if (!name) return;
  try {
    await deleteBrowserModel(name);
    await refreshStored();
    say(`Deleted "${name}" from this browser.`);
  } catch (e) {
    fail(e);
  }
}

function showSpec(spec: ModelSpecJSON): void {
  const rec = spec.layers.find((l) => l.type === 'recurrent');
  const emb = spec.layers.find((l) => l.type === 'embedding');
  if (rec && rec.type === 'recurrent') {
    $<HTMLSelectElement>('cell').value = rec.cell.startsWith('rnn') ? 'rnn' : rec.cell;
    $<HTMLInputElement>('units').value = String(rec.units);
    $<HTMLInputElement>('layers').value = String(rec.layers);
  }
  if (emb && emb.type === 'embedding') $<HTMLInputElement>('dim').value = String(emb.dim);
}

/** Loads a model file (from a file input or the browser's storage); `from` names it. */
async function load(bytes: Uint8Array | Promise<Uint8Array>, from: string): Promise<void> {
  try {
    setState('loading');
    const t = await getTrainer(true);
    info = sequentialInfo(await t.load(await bytes));
    showSpec(info.spec);
    vocab = info.vocabulary ? Vocabulary.fromJSON(info.vocabulary) : undefined;
    ui.modelLine.textContent = describe(info);
    chart.clear();
    lastEvent = undefined;
    ui.step.textContent = String(info.training?.step ?? 0);
    ui.loss.textContent = ui.val.textContent = ui.tps.textContent = ui.eta.textContent = '–';
    ui.progress.value = 0;
    // Training can go on from the file when it holds the optimizer state and the chosen
    // corpus only uses the model's symbols.
    plan = undefined;
    let note = 'Loaded for generation.';
    if (vocab && info.compiled) {
      const text = corpus();
      if ([...new Set(Array.from(text))].every((c) => vocab!.has(c))) {
        const batchSize = num('batch', 1, 1024);
        const window = num('window', 2, 1024);
        const { train, heldOut } = splitCorpus(text, window);
        plan = {
          data: textWindows(vocab.encode(train), { steps: window, windowsPerEpoch: batchSize * BATCHES_PER_EPOCH }),
          validation: textWindows(vocab.encode(heldOut), { steps: window, random: false }),
          batchSize,
          epochs: (info.training?.epoch ?? 0) + Math.ceil(num('steps', 1, 1e7) / BATCHES_PER_EPOCH),
        };
        note = 'Loaded: sample from it, or resume training on the chosen corpus.';
      } else {
        note = 'Loaded for generation (the chosen corpus has characters the model does not know, so it cannot resume on it).';
      }
    }
    setState('loaded');
    say(`${from}: ${note}`);
    void sample();
  } catch (e) {
    setState(info ? 'stopped' : 'idle');
    fail(e);
  }
}

ui.train.addEventListener('click', () => void trainNew());
ui.stop.addEventListener('click', stop);
ui.resume.addEventListener('click', () => void resumeTraining());
ui.save.addEventListener('click', () => void save());
ui.generate.addEventListener('click', () => void sample());
ui.load.addEventListener('change', () => {
  const f = ui.load.files?.[0];
  ui.load.value = '';
  if (f)
    void load(
      f.arrayBuffer().then((b) => new Uint8Array(b)),
      f.name,
    );
});
ui.storeSave.addEventListener('click', () => void saveInBrowser());
ui.storeLoad.addEventListener('click', () => {
  const name = ui.stored.value;
  if (name) void load(loadFromBrowser(name), `"${name}" from this browser`);
});
ui.storeDelete.addEventListener('click', () => void deleteStored());
ui.temperature.addEventListener('input', () => (ui.temperatureOut.value = Number(ui.temperature.value).toFixed(2)));
$('names-count').textContent = `(${NAME_COUNT.toLocaleString('en-US')} names)`;

setState('loading');
getTrainer()
  .then(async () => {
    await refreshStored();
    setState('idle');
    say('Ready: the SDK and its wasm core are loaded in a worker.');
  })
  .catch(fail);
