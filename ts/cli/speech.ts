// `recurrent speech train|run|eval`: spoken digit strings (synthetic voices of espeak-ng,
// Festival and Flite) → a bidirectional (or, --streaming, unidirectional) GRU over log-mel
// frames with CTC, trained with augmentation; label error rate and whole-string accuracy on
// three held-out sets (espeak-ng voices, whole espeak-ng variants, every Flite voice), greedy
// and beam, also at gain 0.1, with per-voice figures and the worst utterances.
import { stat } from 'node:fs/promises';
import { isRecurrentError, optionError, stateError } from '../errors.js';
import { logMel } from '../index.js';
import { TASK_TRAINING } from '../tasks/defaults.js';
import {
  digitsToWords,
  type SpeechCorpus,
  SpeechRecognizer,
  type SpeechScore,
  type SpeechUtterance,
  scoreTranscripts,
  utteranceAudio,
} from '../tasks/speech.js';
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
by three synthesizers (synthetic voices; examples/speech/make-corpus.mjs), generated under
--corpus when missing: espeak-ng (8 English accents x every variant, rates and pitches varied)
and Festival (kal, ked, slt HTS) train; held out are a fraction of the espeak-ng voices, whole
espeak-ng variants (--held-out-variants) and every Flite voice (kal, kal16, awb, rms, slt: a
synthesizer never heard). A missing Festival or Flite is named with its Debian package and the
recipe runs without it. Training audio is augmented afresh every epoch (--no-augment to turn it
off): speed, tempo, pitch, filters, reverberation, noise (white, pink, babble), gain, SpecAugment. Features: 40 log-mel bands (25 ms / 10 ms), normalised per
utterance (--normalize: whole utterance for the bidirectional model, causal running statistics
after a 0.5 s warm-up for --streaming, so a quiet recording looks like a loud one), then with
the training set's band statistics, --stack frames per step. Model: a 2-layer bidirectional GRU
of 96 units (--streaming: a 3-layer unidirectional GRU of 128 whose steps also see the next
--lookahead 10 steps, so it answers 300 ms late) + dense over 10 digits + blank, CTC loss; Adam,
the rate x0.85 after every epoch; the first epoch on clean audio (--clean-epochs), then 30% of
the utterances left clean each epoch (--clean). Prints the label error
rate (edit distance over digits) and whole-string accuracy on each held-out set, greedy and
beam, and greedy at gain 0.1 (-20 dB), with per-voice figures and the worst utterances, and saves the model (--out) and a picture of the training loss per epoch (an SVG next to
--out).`,
  flags: [
    common.units('96; 128 with --streaming', 'GRU units per direction'),
    { name: 'layers', arg: 'N', help: 'stacked layers (default 2; 3 with --streaming)' },
    { name: 'streaming', help: 'a unidirectional model (transcribes as audio arrives)' },
    {
      name: 'lookahead',
      arg: 'N',
      help: "future steps (of --stack frames) in each step's input; a streaming model answers N x stack x 10 ms late (default 0; 10 with --streaming: 300 ms)",
    },
    { name: 'lr-decay', arg: 'X', help: 'learning-rate factor after every epoch (default 0.85; 1 for a constant rate)' },
    { name: 'clean', arg: 'X', help: 'share of the training utterances left unaugmented each epoch (default 0.3)' },
    { name: 'clean-epochs', arg: 'N', help: 'first epochs on clean audio before augmentation starts (default 1)' },
    { name: 'stack', arg: 'N', help: 'log-mel frames stacked into one step (default 3)' },
    {
      name: 'normalize',
      arg: 'MODE',
      help: 'per-utterance feature normalisation: utterance, causal or none (default utterance; causal with --streaming, where utterance gives a model that is scored offline but cannot stream)',
    },
    common.epochs(30),
    common.batch(16, 'utterances'),
    common.lr(TASK_TRAINING.speech.lr),
    common.timeBudget('14m'),
    { name: 'utterances', arg: 'N', aliases: ['count'], help: 'utterances in the corpus (default 3000)' },
    { name: 'voices', arg: 'ACCENTS', help: 'comma-separated espeak-ng accents (default: 8 English accents)' },
    { name: 'variants', arg: 'LIST', help: 'comma-separated espeak-ng variants to train on (default: all it has)' },
    { name: 'held-out-variants', arg: 'LIST', help: 'espeak-ng variants held out whole (default whisper,klatt,Lee,Storm,linda,edward)' },
    { name: 'held-out-utterances', arg: 'N', help: 'utterances in each of the held-out variant and Flite sets (default 200)' },
    { name: 'synthesizers', arg: 'LIST', help: 'of espeak-ng,festival,flite (default all three; espeak-ng is required)' },
    { name: 'augment', negatable: true, help: 'augment the training audio every epoch (default on; --no-augment: clean audio)' },
    { name: 'worst', arg: 'N', help: 'worst utterances printed per held-out set (default 5)' },
    common.testSize(0.2, 'the voices', ['test-voices'], false),
    { name: 'corpus', arg: 'DIR', help: 'corpus directory (default runs/speech-corpus; made when missing)' },
    { name: 'beam', arg: 'N', help: 'beam width for the beam figures (default 8)' },
    common.seed(1, 'corpus, initialisation and batch order'),
    common.out('runs/speech.safetensors'),
    common.chart(),
  ],
  examples: ['recurrent speech train', 'recurrent speech train --streaming --out runs/speech-uni.safetensors'],
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

const SCHEDULE = TASK_TRAINING.speech.schedule;
/** The rate's factor after each epoch: the task's exponential schedule. */
const LR_DECAY = typeof SCHEDULE === 'object' && SCHEDULE.name === 'exponential' ? SCHEDULE.gamma : 1;

/** Future steps a --streaming model sees by default: 10 × 30 ms = 300 ms of latency (2 steps, 60 ms, trained
 * slower: training losses 2.97, 1.93, 1.00 over the first 3 epochs against 2.66, 1.17, … with 10). */
const STREAMING_LOOKAHEAD = 10;

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
      utterances: (SpeechUtterance & { split: 'train' | 'test'; set: string; voice: string; id: number })[];
      voices: { train: string[]; test: string[]; variants?: string[]; festival?: string[]; flite?: string[] };
      options: { heldOutVariants?: string[] };
      duplicates?: { voice: string; same: string }[];
      missing?: string[];
      features: { bands: number };
    };
    features: Float32Array;
    audio?: Int16Array;
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
  // --streaming --normalize utterance: a unidirectional model scored offline (a check of what the causal normalisation costs); it cannot stream
  if (streaming && normalize === 'utterance')
    out('note: --normalize utterance needs the whole utterance, so this unidirectional model is scored offline and cannot stream');
  const o = {
    units: f.int('units', streaming ? 128 : 96),
    layers: f.int('layers', streaming ? 3 : 2),
    stack: f.int('stack', 3, { max: 16 }),
    lookahead: f.int('lookahead', streaming ? STREAMING_LOOKAHEAD : 0, { min: 0, max: 16 }),
    lrDecay: f.num('lr-decay', LR_DECAY, { min: Number.MIN_VALUE, max: 1 }),
    epochs: f.int('epochs', 30),
    batchSize: f.int('batch', 16),
    lr: f.num('lr', TASK_TRAINING.speech.lr, { min: 0 }),
    timeBudgetMs: f.duration('time-budget', '14m'),
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
  const heldOutVariants = list('held-out-variants');
  const synthesizers = list('synthesizers');
  if (synthesizers?.some((x) => !['espeak-ng', 'festival', 'flite'].includes(x)))
    throw optionError(`--synthesizers must be a comma-separated list of espeak-ng, festival, flite (got '${f.str('synthesizers')}')`);
  if (synthesizers && !synthesizers.includes('espeak-ng')) throw optionError('--synthesizers must include espeak-ng (it makes the training voices)');
  const augment = f.bool('augment', true);
  const clean = f.num('clean', 0.3, { min: 0, max: 1 });
  const cleanEpochs = f.int('clean-epochs', 1, { min: 0 });
  const heldOutCount = f.int('held-out-utterances', 200, { min: 0 });
  const worst = f.int('worst', 5, { min: 0 });
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
      ...(heldOutVariants ? { heldOutVariants } : {}),
      ...(synthesizers ? { synthesizers } : {}),
      heldOut: heldOutCount,
      flite: heldOutCount,
      log: (s: string) => out(s),
    });
  } catch (e) {
    if (isRecurrentError(e)) throw e;
    const msg = (e as Error)?.message ?? String(e);
    // the generator names an accent or variant espeak-ng does not have: the flag's fault
    throw /none of the (accents|variants)/.test(msg) ? optionError(`--voices/--variants: ${msg}`) : stateError(`the speech corpus could not be made: ${msg}`);
  }
  const m = c.manifest;
  const corpus: SpeechCorpus = { features: c.features, bands: m.features.bands, utterances: m.utterances, audio: c.audio };
  const trainU = m.utterances.filter((u) => u.split === 'train');
  const testU = m.utterances.filter((u) => u.split === 'test');
  const frames = (us: SpeechUtterance[]) => us.reduce((a, u) => a + u.frames, 0);
  const bySynth = (us: typeof trainU) => {
    const n = new Map<string, number>();
    for (const u of us) n.set(synthName(u.voice), (n.get(synthName(u.voice)) ?? 0) + 1);
    return [...n].map(([k, v]) => `${k} ${v}`).join(', ');
  };
  out(
    `corpus: ${dir}, ${m.utterances.length} utterances of 3-7 digits by synthetic voices, ${c.cached ? 'cached' : `made in ${c.seconds.toFixed(1)} s`}; ` +
      `train ${trainU.length} (${bySynth(trainU)}; ${m.voices.train.length} espeak-ng voices + ${m.voices.festival?.length ?? 0} Festival, ${(frames(trainU) / 6000).toFixed(1)} min), held out ${testU.length} (${bySynth(testU)})`,
  );
  for (const x of m.missing ?? []) out(`missing: ${x} (the recipe runs without it)`);
  if (m.duplicates?.length)
    out(
      `dropped ${m.duplicates.length} duplicate espeak-ng voices (same audio for a probe phrase as a kept voice), e.g. ${m.duplicates
        .slice(0, 3)
        .map((d) => `${d.voice} = ${d.same}`)
        .join(', ')}`,
    );
  if (trainU.length === 0 || testU.length === 0) throw optionError('the corpus needs both training and held-out voices (more --utterances or --variants)');
  const useAugment = augment && c.audio !== undefined;
  out(
    `model: ${streaming ? 'unidirectional' : 'bidirectional'} GRU ${o.layers}x${o.units} over ${o.stack} stacked log-mel frames (40 bands, normalised per utterance: ${normalize}) -> dense 11 (10 digits + blank), CTC; Adam lr ${o.lr}, batch ${o.batchSize}, up to ${o.epochs} epochs${o.timeBudgetMs ? `, budget ${fmtDuration(o.timeBudgetMs)}` : ''}` +
      `${o.lookahead ? `; lookahead ${o.lookahead} steps (${o.lookahead * o.stack * 10} ms)` : ''}; lr x${o.lrDecay} per epoch; ` +
      (useAugment
        ? `augmentation every epoch${cleanEpochs ? ` after ${cleanEpochs} on clean audio` : ''} (speed, tempo, pitch, filter, reverb, noise, gain, SpecAugment; ${Math.round(clean * 100)}% of utterances left clean)`
        : 'no augmentation'),
  );
  const losses: [number, number][] = [];
  const rec = await SpeechRecognizer.train(corpus, {
    ...o,
    bidirectional: !streaming,
    normalize,
    ...(useAugment ? { augment: { clean }, cleanEpochs, worker: true } : {}),
    onEpoch: (e) => {
      losses.push([e.epoch + 1, e.loss]);
      out(
        `epoch ${e.epoch + 1}: train loss ${e.loss.toFixed(4)}, ${Math.round(e.framesPerSecond).toLocaleString('en-US')} frames/s, ${fmtDuration(e.elapsedMs)}`,
      );
    },
  });
  try {
    await writeAtomic(outPath, await rec.save());
    out(`model saved to ${outPath}  (try: npx recurrent speech run --model ${outPath} --wav FILE.wav)`);
    const sets = heldOutSets(m.utterances, m.options.heldOutVariants ?? []);
    let headline: SpeechScore | undefined;
    for (const s of sets) {
      const refs = s.utts.map((u) => u.digits);
      const feats = s.utts.map((u) => corpus.features.subarray(u.offset * corpus.bands, (u.offset + u.frames) * corpus.bands));
      const greedyHyps = await scoreSaved(outPath, () => rec.transcribeFrames(feats));
      const greedy = scoreTranscripts(refs, greedyHyps);
      headline ??= greedy;
      const beamHyps = beam > 1 ? await scoreSaved(outPath, () => rec.transcribeFrames(feats, { beam })) : greedyHyps;
      const b = beam > 1 ? scoreTranscripts(refs, beamHyps) : undefined;
      const quiet = corpus.audio ? await scoreSaved(outPath, () => scoreAtGain(rec, corpus, s.utts, 0.1)) : undefined;
      out(
        `${s.name}: label error rate ${pct(greedy.ler)} greedy${b ? `, ${pct(b.ler)} beam ${beam}` : ''}; string accuracy ${pct(greedy.accuracy)}${b ? ` / ${pct(b.accuracy)}` : ''}` +
          `${quiet ? `; at gain 0.1 (-20 dB) ${pct(quiet.ler)} greedy` : ''} (${s.utts.length} utterances)`,
      );
      const gold = s.utts.map((u) => ({ path: `#${u.id} ${u.voice}`, digits: u.digits, group: s.group(u) }));
      for (const l of goldReport(gold, beamHyps, worst, `${s.groupName}${b ? `, beam ${beam}` : ', greedy'}`).slice(1)) out(`  ${l}`);
    }
    if (chartPath && headline)
      await savePicture(
        chartPath,
        lineChart({
          title: `recurrent speech: ${streaming ? 'unidirectional' : 'bidirectional'} GRU ${o.layers}x${o.units} with CTC on spoken digits`,
          subtitle: `${trainU.length} training utterances; ${sets[0].name}: label error rate ${pct(headline.ler)} (greedy); lower is better`,
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

const synthName = (voice: string) => (voice.startsWith('festival/') ? 'festival' : voice.startsWith('flite/') ? 'flite' : 'espeak-ng');

/** The held-out sets of a corpus, each with how its per-voice figures are grouped. */
export function heldOutSets(
  utts: readonly (SpeechUtterance & { split: string; set?: string; voice: string; id: number })[],
  heldOutVariants: readonly string[],
): { name: string; utts: (SpeechUtterance & { voice: string; id: number })[]; group: (u: { voice: string }) => string; groupName: string }[] {
  const test = utts.filter((u) => u.split === 'test');
  // corpora written before the held-out sets mark every test utterance as held-out voices
  const of = (s: string) => test.filter((u) => (u.set ?? 'voices') === s);
  const variant = (u: { voice: string }) => u.voice.split('+')[1] ?? u.voice;
  const sets = [
    {
      name: 'espeak-ng held-out voices of the training variants',
      utts: of('voices'),
      group: (u: { voice: string }) => u.voice.split('+')[0],
      groupName: 'by accent',
    },
    { name: `espeak-ng held-out variants (${heldOutVariants.join(', ')})`, utts: of('variants'), group: variant, groupName: 'by variant' },
    { name: 'flite (a synthesizer never heard in training)', utts: of('flite'), group: (u: { voice: string }) => u.voice, groupName: 'by voice' },
  ];
  return sets.filter((s) => s.utts.length > 0);
}

/** Greedy scores of utterances whose audio is scaled by `gain` (features made afresh from the corpus audio). */
async function scoreAtGain(rec: SpeechRecognizer, c: SpeechCorpus, utts: readonly SpeechUtterance[], gain: number): Promise<SpeechScore> {
  const frames = utts.map((u) => logMel(utteranceAudio(c, u).map((v) => v * gain)));
  return scoreTranscripts(
    utts.map((u) => u.digits),
    await rec.transcribeFrames(frames),
  );
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
