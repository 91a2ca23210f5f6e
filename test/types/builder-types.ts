// Type-level tests of the builder: every @ts-expect-error must be a real compile error
// (tsc fails on an unused one), and the rest must compile.
import { type SequentialBuilder, sequential } from '../../ts/index.js';

const tokens = sequential({ input: { vocab: 96 } });
// @ts-expect-error token ids need an embedding first
tokens.lstm({ units: 8 });
// @ts-expect-error nor can a dense layer take raw ids
tokens.dense({ units: 8 });

const seq = tokens.embedding({ dim: 16 }).lstm({ units: 32, bidirectional: true });
const seqCheck: SequentialBuilder<'seq'> = seq;
void seqCheck;

const pooled = seq.gru({ units: 8, returnSequences: false });
const pooledCheck: SequentialBuilder<'vec'> = pooled;
void pooledCheck;
// @ts-expect-error a recurrent layer needs a sequence, not one vector per sequence
pooled.lstm({ units: 4 });
const head = pooled.dropout(0.1).dense({ units: 2 });
const headCheck: SequentialBuilder<'vec'> = head;
void headCheck;

// @ts-expect-error units is required
seq.gru({});
// @ts-expect-error unknown options are type errors too
seq.lstm({ units: 4, bidirectonal: true });
// @ts-expect-error activation is tanh or relu
seq.rnn({ units: 4, activation: 'gelu' });

const feats = sequential({ input: { features: 13 } })
  .rnn({ units: 8, activation: 'relu' })
  .dense({ units: 1 });
const featsCheck: SequentialBuilder<'seq'> = feats;
void featsCheck;
// @ts-expect-error the input must say vocab or features
sequential({ input: { size: 3 } });
