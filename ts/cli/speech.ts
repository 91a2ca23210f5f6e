// `recurrent speech train|run`: spoken digit strings (espeak-ng's synthetic voices) → a
// bidirectional (or, --streaming, unidirectional) GRU over log-mel frames with CTC; label
// error rate and whole-string accuracy on held-out voices, greedy and beam.
import { stat } from 'node:fs/promises';
import { isRecurrentError, optionError, stateError } from '../errors.js';
import { TASK_TRAINING } from '../tasks/defaults.js';
import { digitsToWords, type SpeechCorpus, SpeechRecognizer, type SpeechScore, type SpeechUtterance } from '../tasks/speech.js';
import { init } from '../wasm.js';
import { fmtDuration } from './args.js';
import { lineChart } from './chart.js';
import { type Command, common, dispatch, helpText, parseFlags, reader } from './flags.js';
import { picturePath, prepareOutput, savePicture, scoreSaved, writeAtomic } from './output.js';
import { goldReport, parseGold, parseWavList, readBytes, transcribeFiles } from './speech-eval.js';

export const SPEECH_TRAIN: Command = {
  name: 'recurrent speech train',
  usage: '[flags]',
  about: `Speech recognition of spoken digit strings ("four one five two") with CTC. The corpus is made
with the espeak-ng synthesizer (synthetic voices: 8 English accents x 13 variants, rates and
pitches varied; examples/speech/make-corpus.mjs), generated under --corpus when missing, with
whole voices held out for the test. Features: 40 log-mel bands (25 ms / 10 ms), normalised per
utterance (--normalize: whole utterance for the bidirectional model, causal running statistics
after a 0.5 s warm-up for --streaming, so a quiet recording looks like a loud one), then with
the training set's band statistics, --stack frames per step. Model: a 2-layer bidirectional GRU
(--streaming: unidirectional) + dense over 10 digits + blank, CTC loss. Prints the label error
rate (edit distance over digits) and whole-string accuracy on the held-out voices, greedy and
beam, and saves the model (--out) and a picture of the training loss per epoch (an SVG next to
--out).`,
  flags: [
    common.units(96, 'GRU units per direction'),
    common.layers(2),
    { name: 'streaming', help: 'a unidirectional model (transcribes as audio arrives)' },
    { name: 'stack', arg: 'N', help: 'log-mel frames stacked into one step (default 3)' },
    { name: 'normalize', arg: 'MODE', help: 'per-utterance feature normalisation: utterance, causal or none (default utterance; causal with --streaming)' },
    common.epochs(30),
    common.batch(16, 'utterances'),
    common.lr(TASK_TRAINING.speech.lr),
    common.timeBudget(),
    { name: 'utterances', arg: 'N', aliases: ['count'], help: 'utterances in the corpus (default 3000)' },
    { name: 'voices', arg: 'ACCENTS', help: 'comma-separated espeak-ng accents (default: 8 English accents)' },
    { name: 'variants', arg: 'LIST', help: 'comma-separated voice variants (default m1-m7,f1-f5,croak)' },
    common.testSize(0.2, 'the voices', ['test-voices'], false),
    { name: 'corpus', arg: 'DIR', help: 'corpus directory (default runs/speech-corpus; made when missing)' },
    { name: 'beam', arg: 'N', help: 'beam width for the beam figures (default 8)' },
    common.seed(1, 'corpus, initialisation and batch order'),
    common.out('runs/speech.safetensors'),
    common.chart(),
  ],
  examples: ['recurrent speech train --time-budget 10m', 'recurrent speech train --streaming --out runs/speech-uni.safetensors'],
};

export const SPEECH_RUN: Command = {
  name: 'recurrent speech run',
  usage: '--model FILE (--wav FILE | FILE.wav… | --list FILE)',
  about: `Transcribes WAV files (PCM 16-bit or float, any rate, mono or mixed down) with a model from speech
train, loading the model once. One file (--wav) prints "DIGITS<TAB>WORDS"; several (positional
files, or --list with one path a line, relative to the list's folder) print
"PATH<TAB>DIGITS<TAB>WORDS" a line.`,
  positionals: 'FILE.wav…',
  flags: [
    common.model('speech train'),
    { name: 'wav', arg: 'FILE', help: 'the audio' },
    { name: 'list', arg: 'FILE', help: 'a file of WAV paths, one a line (# comments, blank lines skipped)' },
    { name: 'beam', arg: 'N', help: 'beam width (default 1 = greedy)' },
  ],
  examples: ['recurrent speech run --model runs/speech.safetensors --wav digits.wav', 'recurrent speech run --model runs/speech.safetensors a.wav b.wav c.wav'],
};

export const SPEECH_EVAL: Command = {
  name: 'recurrent speech eval',
  usage: '--model FILE --gold LIST',
  about: `Scores a model from speech train on your own recordings: LIST has one utterance a line,
"PATH<TAB>REFERENCE[<TAB>GROUP]" (REFERENCE "415" or "four one five"; GROUP e.g. the voice, else
the file's folder; paths relative to the list's folder). Prints the label error rate and string
accuracy overall and per group, and the worst utterances.`,
  flags: [
    common.model('speech train'),
    { name: 'gold', arg: 'LIST', help: 'the gold list (PATH<TAB>REFERENCE[<TAB>GROUP] a line)' },
    { name: 'beam', arg: 'N', help: 'beam width (default 1 = greedy)' },
    { name: 'worst', arg: 'N', help: 'worst utterances to print (default 10; 0 for none)' },
  ],
  examples: ['recurrent speech eval --model runs/speech.safetensors --gold my-recordings/gold.tsv --beam 8'],
};

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

export function speech(argv: string[], out: (s: string) => void): Promise<number> {
  return dispatch(
    'recurrent speech',
    'spoken digit recognition with CTC (espeak-ng voices)',
    [
      [SPEECH_TRAIN, train],
      [SPEECH_RUN, run],
      [SPEECH_EVAL, evaluate],
    ],
    argv,
    out,
  );
}

interface CorpusModule {
  makeSpeechCorpus(o: Record<string, unknown>): Promise<{
    manifest: {
      utterances: (SpeechUtterance & { split: 'train' | 'test' })[];
      voices: { train: string[]; test: string[] };
      duplicates?: { voice: string; same: string }[];
      features: { bands: number };
    };
    features: Float32Array;
    cached: boolean;
    seconds: number;
  }>;
}

async function train(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(SPEECH_TRAIN, argv);
  if (parsed.help) {
    out(helpText(SPEECH_TRAIN));
    return 0;
  }
  const f = reader(parsed);
  const list = (name: string) => {
    const items = f
      .str(name)
      ?.split(',')
      .map((s) => s.trim());
    if (items?.some((s) => s === '')) throw optionError(`--${name} must be a comma-separated list of names (got '${f.str(name)}')`);
    return items;
  };
  const streaming = f.bool('streaming');
  const normalize = f.str('normalize') ?? (streaming ? 'causal' : 'utterance');
  if (normalize !== 'utterance' && normalize !== 'causal' && normalize !== 'none')
    throw optionError(`--normalize must be utterance, causal or none (got '${normalize}')`);
  if (streaming && normalize === 'utterance') throw optionError('--normalize utterance needs the whole utterance: use causal or none with --streaming');
  const o = {
    units: f.int('units', 96),
    layers: f.int('layers', 2),
    stack: f.int('stack', 3, { max: 16 }),
    epochs: f.int('epochs', 30),
    batchSize: f.int('batch', 16),
    lr: f.num('lr', TASK_TRAINING.speech.lr, { min: 0 }),
    timeBudgetMs: f.duration('time-budget'),
    seed: f.int('seed', 1, { min: 0 }),
  };
  const count = f.int('utterances', 3000, { min: 2 });
  const testVoices = f.size('test-size', 0.2, { counts: false });
  const beam = f.int('beam', 8);
  const dir = f.str('corpus') ?? 'runs/speech-corpus';
  const outPath = f.str('out') ?? 'runs/speech.safetensors';
  const chartPath = picturePath(f.raw('chart'), outPath);
  await prepareOutput('out', outPath);
  if (chartPath) await prepareOutput('chart', chartPath);
  const where = await stat(dir).catch(() => undefined);
  if (where && !where.isDirectory()) throw optionError(`--corpus ${dir} is not a directory`);
  const accents = list('voices');
  const variants = list('variants');
  await init();
  // The generator is the example script (it runs espeak-ng); the npm package ships it too.
  const generator = new URL('../../examples/speech/make-corpus.mjs', import.meta.url);
  let mod: CorpusModule;
  try {
    mod = (await import(generator.href)) as CorpusModule;
  } catch (e) {
    throw stateError(`speech train cannot load its corpus generator ${generator.pathname}: ${(e as Error).message}`);
  }
  let c: Awaited<ReturnType<CorpusModule['makeSpeechCorpus']>>;
  try {
    c = await mod.makeSpeechCorpus({
      count,
      seed: o.seed,
      testVoices,
      out: dir,
      ...(accents ? { accents } : {}),
      ...(variants ? { variants } : {}),
    });
  } catch (e) {
    if (isRecurrentError(e)) throw e;
    const msg = (e as Error)?.message ?? String(e);
    // the generator names an accent or variant espeak-ng does not have: the flag's fault
    throw /none of the (accents|variants)/.test(msg) ? optionError(`--voices/--variants: ${msg}`) : stateError(`the speech corpus could not be made: ${msg}`);
  }
  const m = c.manifest;
  const corpus: SpeechCorpus = { features: c.features, bands: m.features.bands, utterances: m.utterances };
  const trainU = m.utterances.filter((u) => u.split === 'train');
  const testU = m.utterances.filter((u) => u.split === 'test');
  const frames = (us: SpeechUtterance[]) => us.reduce((a, u) => a + u.frames, 0);
  out(
    `corpus: ${dir}, ${m.utterances.length} utterances of 3-7 digits by espeak-ng (synthetic voices), ${c.cached ? 'cached' : `made in ${c.seconds.toFixed(1)} s`}; ` +
      `train ${trainU.length} (${m.voices.train.length} voices, ${(frames(trainU) / 6000).toFixed(1)} min), test ${testU.length} (${m.voices.test.length} held-out voices)`,
  );
  if (m.duplicates?.length)
    out(
      `dropped ${m.duplicates.length} duplicate voices (same audio for a probe phrase as a kept voice): ${m.duplicates.map((d) => `${d.voice} = ${d.same}`).join(', ')}`,
    );
  if (trainU.length === 0 || testU.length === 0) throw optionError('the corpus needs both training and held-out voices (more --utterances or --variants)');
  out(
    `model: ${streaming ? 'unidirectional' : 'bidirectional'} GRU ${o.layers}x${o.units} over ${o.stack} stacked log-mel frames (40 bands, normalised per utterance: ${normalize}) -> dense 11 (10 digits + blank), CTC; Adam lr ${o.lr}, batch ${o.batchSize}, up to ${o.epochs} epochs${o.timeBudgetMs ? `, budget ${fmtDuration(o.timeBudgetMs)}` : ''}`,
  );
  const losses: [number, number][] = [];
  const rec = await SpeechRecognizer.train(corpus, {
    ...o,
    bidirectional: !streaming,
    normalize,
    onEpoch: (e) => {
      losses.push([e.epoch + 1, e.loss]);
      out(
        `epoch ${e.epoch + 1}: train loss ${e.loss.toFixed(4)}, ${Math.round(e.framesPerSecond).toLocaleString('en-US')} frames/s, ${fmtDuration(e.elapsedMs)}`,
      );
    },
  });
  try {
    const report = (name: string, r: SpeechScore) =>
      out(`held-out voices, ${name}: label error rate ${pct(r.ler)}, string accuracy ${pct(r.accuracy)} (${r.utterances} utterances)`);
    await writeAtomic(outPath, await rec.save());
    out(`model saved to ${outPath}  (try: npx recurrent speech run --model ${outPath} --wav FILE.wav)`);
    const greedy = await scoreSaved(outPath, () => rec.score(corpus, testU));
    report('greedy', greedy);
    if (beam > 1) report(`beam ${beam}`, await scoreSaved(outPath, () => rec.score(corpus, testU, { beam })));
    if (chartPath)
      await savePicture(
        chartPath,
        lineChart({
          title: `recurrent speech: ${streaming ? 'unidirectional' : 'bidirectional'} GRU ${o.layers}x${o.units} with CTC on spoken digits`,
          subtitle: `${trainU.length} training utterances; held-out voices: label error rate ${pct(greedy.ler)} (greedy); lower is better`,
          x: 'epoch',
          y: 'CTC loss (training, nats)',
          series: [{ name: 'training (per epoch)', points: losses, dots: true }],
        }),
        out,
      );
  } finally {
    await rec.dispose();
  }
  return 0;
}

async function run(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(SPEECH_RUN, argv);
  if (parsed.help) {
    out(helpText(SPEECH_RUN));
    return 0;
  }
  const f = reader(parsed);
  const model = f.str('model');
  const wav = f.str('wav');
  const list = f.str('list');
  if (!model) throw optionError('--model FILE is required');
  const paths = [...(wav ? [wav] : []), ...parsed.positionals];
  if (list) paths.push(...parseWavList(new TextDecoder().decode(await readBytes('list', list)), list));
  if (paths.length === 0) throw optionError('--wav FILE is required (or WAV files as arguments, or --list FILE)');
  const beam = f.int('beam', 1);
  await init();
  const rec = await SpeechRecognizer.load(await readBytes('model file', model));
  try {
    const hyps = await transcribeFiles(rec, paths, beam);
    const one = paths.length === 1 && !list;
    for (const [i, d] of hyps.entries()) out(`${one ? '' : `${paths[i]}\t`}${d.join('')}\t${digitsToWords(d)}`);
  } finally {
    await rec.dispose();
  }
  return 0;
}

async function evaluate(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(SPEECH_EVAL, argv);
  if (parsed.help) {
    out(helpText(SPEECH_EVAL));
    return 0;
  }
  const f = reader(parsed);
  const model = f.str('model');
  const goldPath = f.str('gold');
  if (!model) throw optionError('--model FILE is required');
  if (!goldPath) throw optionError('--gold LIST is required');
  const beam = f.int('beam', 1);
  const worst = f.int('worst', 10, { min: 0 });
  const gold = parseGold(new TextDecoder().decode(await readBytes('gold list', goldPath)), goldPath);
  await init();
  const rec = await SpeechRecognizer.load(await readBytes('model file', model));
  try {
    const hyps = await transcribeFiles(
      rec,
      gold.map((g) => g.path),
      beam,
    );
    out(`gold: ${goldPath}, ${gold.length} utterances, ${beam > 1 ? `beam ${beam}` : 'greedy'}`);
    for (const l of goldReport(gold, hyps, worst)) out(l);
  } finally {
    await rec.dispose();
  }
  return 0;
}
