// `recurrent train`: a character-level language model on Moby Dick, trained in a worker
// thread with a live progress bar; per epoch: train and validation bits per character, a
// generated sample, and a checkpoint.
import { parseArgs } from 'node:util';
import { sequential } from '../builder.js';
import { loadMobyDick } from '../data/mobydick.js';
import { textWindows } from '../data/source.js';
import { Vocabulary } from '../data/vocab.js';
import type { CellType } from '../layer.js';
import type { OptimizerName } from '../model.js';
import { createTrainer } from '../trainer.js';
import { choice, duration, fmtDuration, num } from './args.js';
import { EpochBar, writeAtomic } from './progress.js';

export const TRAIN_HELP = `usage: recurrent train [flags]

Trains a character-level language model on Moby Dick (chapters 1-125; 126-135 held out).

  --cell lstm|gru|rnn_tanh|rnn_relu   recurrent cell (default gru)
  --hidden N          units per layer (default 256)
  --layers N          stacked layers (default 1)
  --embed N           embedding size (default 64)
  --dropout P         dropout between stacked layers (default 0)
  --seq-len N         training window length (default 64)
  --batch N           windows per batch (default 32)
  --optimizer NAME    adam|adamw|sgd|rmsprop|adagrad (default adam)
  --lr X              learning rate (default 0.002)
  --clip X            clip gradients by global norm (default 5; 0 = off)
  --epochs N          epochs (default 8)
  --steps-per-epoch N batches per epoch (default 200)
  --time-budget D     stop after this long, e.g. 9m30s-style 570s or 10m (default 9m)
  --out FILE          checkpoint path (default runs/mobydick.safetensors)
  --resume FILE       continue from a checkpoint (architecture and optimizer from the file)
  --seed N            seed for initialisation and data order (default 1)
  --sample N          characters to sample after each epoch (default 200)
  --no-worker         train in the main thread instead of a worker thread
`;

const CELLS = ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as const;
const OPTIMIZERS = ['adam', 'adamw', 'sgd', 'rmsprop', 'adagrad'] as const;

export async function train(argv: string[], out: (s: string) => void): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      cell: { type: 'string' },
      hidden: { type: 'string' },
      layers: { type: 'string' },
      embed: { type: 'string' },
      dropout: { type: 'string' },
      'seq-len': { type: 'string' },
      batch: { type: 'string' },
      optimizer: { type: 'string' },
      lr: { type: 'string' },
      clip: { type: 'string' },
      epochs: { type: 'string' },
      'steps-per-epoch': { type: 'string' },
      'time-budget': { type: 'string' },
      out: { type: 'string' },
      resume: { type: 'string' },
      seed: { type: 'string' },
      sample: { type: 'string' },
      'no-worker': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) {
    out(TRAIN_HELP);
    return 0;
  }
  const cell = choice<CellType>('cell', v.cell, CELLS, 'gru');
  const hidden = num('hidden', v.hidden, 256, { int: true, min: 1 });
  const layers = num('layers', v.layers, 1, { int: true, min: 1 });
  const embed = num('embed', v.embed, 64, { int: true, min: 1 });
  const dropout = num('dropout', v.dropout, 0, { min: 0, max: 0.99 });
  const seqLen = num('seq-len', v['seq-len'], 64, { int: true, min: 1 });
  const batch = num('batch', v.batch, 32, { int: true, min: 1 });
  const optimizer = choice<OptimizerName>('optimizer', v.optimizer, OPTIMIZERS, 'adam');
  const lr = num('lr', v.lr, 2e-3, { min: 0 });
  const clip = num('clip', v.clip, 5, { min: 0 });
  const epochs = num('epochs', v.epochs, 8, { int: true, min: 1 });
  const stepsPerEpoch = num('steps-per-epoch', v['steps-per-epoch'], 200, { int: true, min: 1 });
  const budget = duration('time-budget', v['time-budget'] ?? '9m');
  const outPath = v.out ?? 'runs/mobydick.safetensors';
  const seed = num('seed', v.seed, 1, { int: true, min: 0 });
  const sampleLen = num('sample', v.sample, 200, { int: true, min: 0 });

  const data = await loadMobyDick();
  const t = await createTrainer({ worker: !v['no-worker'] });
  try {
    let vocab: Vocabulary;
    if (v.resume) {
      const info = await t.load(v.resume);
      if (!info.vocabulary) throw new Error(`${v.resume} has no vocabulary: it is not a text model`);
      if (!info.compiled) await t.compile({ loss: 'crossEntropy', optimizer: { name: optimizer, lr } as never, clipNorm: clip || undefined });
      vocab = Vocabulary.fromJSON(info.vocabulary);
      out(`resuming ${v.resume} at epoch ${(info.training?.epoch ?? 0) + 1}, step ${info.training?.step ?? 0}`);
    } else {
      vocab = Vocabulary.fromText(data.train + data.validation);
      const model = sequential({ input: { vocab: vocab.size } })
        .embedding({ dim: embed })
        [cell === 'lstm' ? 'lstm' : cell === 'gru' ? 'gru' : 'rnn']({
          units: hidden,
          layers,
          dropout,
          ...(cell.startsWith('rnn_') ? { activation: cell.slice(4) } : {}),
        } as never)
        .dense({ units: vocab.size });
      await t.build(model as never, { seed });
      await t.setVocabulary(vocab);
      await t.compile({ loss: 'crossEntropy', optimizer: { name: optimizer, lr } as never, clipNorm: clip || undefined });
    }
    const info = await t.info();
    const trainIds = vocab.encode(data.train);
    const valIds = vocab.encode(data.validation);
    out(
      `data: Moby Dick, ${trainIds.length.toLocaleString('en-US')} training and ${valIds.length.toLocaleString('en-US')} validation characters, vocabulary ${vocab.size}`,
    );
    out(
      `model: ${describe(info.spec)}, ${info.paramCount.toLocaleString('en-US')} parameters, ${t.mode === 'worker' ? 'training in a worker thread' : 'training in the main thread'}`,
    );
    out(
      `training: ${epochs} epochs x ${stepsPerEpoch} batches of ${batch}x${seqLen}, ${info.compiled?.optimizer ? JSON.stringify(info.compiled.optimizer) : optimizer}, clip ${info.compiled?.clipNorm ?? 'off'}, budget ${budget ? fmtDuration(budget) : 'none'}`,
    );

    const controller = new AbortController();
    const onSig = () => controller.abort();
    process.once('SIGINT', onSig);
    const bar = new EpochBar(epochs);
    const run = t.fit(textWindows(trainIds, { steps: seqLen, windowsPerEpoch: stepsPerEpoch * batch }), {
      epochs,
      batchSize: batch,
      seed,
      timeBudgetMs: budget,
      resume: Boolean(v.resume),
      signal: controller.signal,
      validation: textWindows(valIds, { steps: 256, random: false }),
    });
    for await (const e of run) {
      if (e.type === 'step') bar.step(e);
      else {
        bar.stop();
        const val = e.validation?.bitsPerToken;
        out(
          `epoch ${e.epoch + 1}/${epochs}: train ${e.bitsPerToken?.toFixed(3)} bpc, validation ${val?.toFixed(3)} bpc, ${Math.round(e.tokensPerSec).toLocaleString('en-US')} tok/s, ${(e.tokens / 1e6).toFixed(2)}M tokens, ${fmtDuration(e.elapsedMs)}`,
        );
        if (sampleLen > 0) {
          const sample = await t.generate('The whale ', { maxTokens: sampleLen, temperature: 0.8, seed: e.epoch + 1 });
          out(`  sample: ${JSON.stringify(`The whale ${sample}`)}`);
        }
        await writeAtomic(outPath, await t.save());
      }
    }
    bar.stop();
    const result = await run;
    process.off('SIGINT', onSig);
    await writeAtomic(outPath, await t.save());
    const final = await t.evaluate(textWindows(valIds, { steps: 256, random: false }));
    out(
      `done (${result.stopReason}): ${result.epochs} epochs, ${(result.tokens / 1e6).toFixed(2)}M tokens in ${fmtDuration(result.elapsedMs)}, ${Math.round(result.tokensPerSec).toLocaleString('en-US')} tok/s`,
    );
    out(`validation: ${final.bitsPerToken!.toFixed(3)} bits per character (loss ${final.loss.toFixed(4)}), accuracy ${(100 * final.accuracy!).toFixed(1)}%`);
    out(`model saved to ${outPath}  (try: npx recurrent generate --model ${outPath} --prompt "Call me ")`);
    return 0;
  } finally {
    await t.dispose();
  }
}

function describe(spec: import('../session.js').ModelInfo['spec']): string {
  if (!('layers' in spec)) return 'encoder-decoder';
  return spec.layers
    .map((l) =>
      l.type === 'embedding'
        ? `embedding ${l.dim}`
        : l.type === 'recurrent'
          ? `${l.cell} ${l.units}x${l.layers}${l.bidirectional ? ' bi' : ''}${l.dropout ? ` dropout ${l.dropout}` : ''}`
          : l.type === 'dense'
            ? `dense ${l.units}`
            : l.type === 'dropout'
              ? `dropout ${l.rate}`
              : l.type,
    )
    .join(' -> ');
}
