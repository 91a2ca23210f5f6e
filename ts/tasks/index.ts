// recurrent/tasks: ready-made tasks built on the SDK (the package root), with their data
// preparation, metrics and baselines: word segmentation, text classification, grapheme to
// phoneme (G2P), forecasting, and the classic LSTM demo.
export {
  BMES,
  UNK_CHAR,
  wordsToTags,
  tagsToWords,
  parseSegmentedCorpus,
  decodeUtf8,
  proseToSentences,
  chunkWords,
  charVocabulary,
  LongestMatchSegmenter,
  Segmenter,
  trainSegmenter,
} from './segment.js';
export type { ParseOptions, SegmenterOptions, TrainSegmenterOptions } from './segment.js';
export type { TaskProgress } from './progress.js';
export { segmentationScore, wordSpans, binaryScore } from './metrics.js';
export type { SegmentationScore, BinaryScore } from './metrics.js';
export { MultinomialNaiveBayes } from './naive-bayes.js';
export { tokenize, tokenVocabulary, TextClassifier, trainClassifier, bucketedBatches, UNK_TOKEN } from './classify.js';
export type { ClassifierOptions, TrainClassifierOptions } from './classify.js';
export { classicLstm, CLASSIC_TARGETS } from './classic.js';
export type { ClassicOptions, ClassicResult } from './classic.js';
export { G2P, parseLexicon, splitLexicon } from './g2p.js';
export type { LexiconEntry, ParseLexiconOptions, ParsedLexicon, G2PEvaluation } from './g2p.js';
export { editDistance, errorRates, meanAbsoluteError } from './edit-distance.js';
export type { ErrorRates } from './edit-distance.js';
export { forecastBirths, parseDailyCsv, dayFeatures, seasonalNaive } from './forecast.js';
export type { Day, ForecastOptions, ForecastResult } from './forecast.js';
