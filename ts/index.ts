// recurrent: recurrent neural networks (RNN, LSTM, GRU; stacked, bidirectional) trained and
// run in SIMD WebAssembly. Call `await init()` once, then build models.
export { init, initFrom, isReady, kernelBackend } from './wasm.js';
export type { WasmSource } from './wasm.js';
export * from './errors.js';
export { RecurrentLayer, CELL_TYPES } from './layer.js';
export { ctcLoss, ctcDecode } from './ctc.js';
export type { CtcOptions, CtcLossInput, CtcLossResult, CtcHypothesis, CtcDecodeOptions } from './ctc.js';
export type { CellType, RecurrentLayerOptions, LayerForwardInput, LayerForwardResult, LayerBackwardInput, LayerGradients } from './layer.js';
export { sequential, SequentialBuilder } from './builder.js';
export type { Flow, RecurrentOptions, RnnOptions, SequentialOptions } from './builder.js';
export { Model } from './model.js';
export type { BatchInput, BatchTargets, CompileOptions, LossName, OptimizerName, OptimizerSpec, ScheduleSpec, StepResult } from './model.js';
export type { InputSpec, LayerSpecJSON, ModelSpecJSON } from './spec.js';
export { runFixture, runFixtures } from './conformance.js';
export type { FixtureReport, TensorReport } from './conformance.js';
export { Vocabulary } from './data/vocab.js';
export type { VocabularyJSON } from './data/vocab.js';
export { textWindows, examples, padBatch, splitBySeed, batchesPerEpoch } from './data/source.js';
export type { DataLike, DataSpec, Example, ExamplesData, WindowsData, TrainBatch } from './data/source.js';
export { Rng } from './data/rng.js';
export { createTrainer } from './trainer.js';
export type { Trainer, TrainerOptions } from './trainer.js';
export { Session } from './session.js';
export type { FitOptions, GenerateOptions, ModelInfo } from './session.js';
export { FitRun } from './events.js';
export type { EvalResult, FitEvent, FitResult, StepEvent, EpochEvent } from './events.js';
export { encodeCheckpoint, decodeCheckpoint, FORMAT as MODEL_FORMAT } from './io/checkpoint.js';
export type { Snapshot, TrainingState } from './io/checkpoint.js';
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
} from './tasks/segment.js';
export type { ParseOptions, SegmenterOptions, TrainSegmenterOptions } from './tasks/segment.js';
export { segmentationScore, wordSpans, binaryScore } from './tasks/metrics.js';
export type { SegmentationScore, BinaryScore } from './tasks/metrics.js';
export { MultinomialNaiveBayes } from './tasks/naive-bayes.js';
export { tokenize, tokenVocabulary, TextClassifier, trainClassifier, bucketedBatches, UNK_TOKEN } from './tasks/classify.js';
export type { ClassifierOptions, TrainClassifierOptions } from './tasks/classify.js';
export { classicLstm, CLASSIC_TARGETS } from './tasks/classic.js';
export type { ClassicOptions, ClassicResult } from './tasks/classic.js';
export { Seq2SeqModel, bucketBatches } from './tasks/seq2seq.js';
export type {
  Seq2SeqOptions,
  Seq2SeqConfig,
  Pair,
  Seq2SeqCompileOptions,
  Seq2SeqStep,
  Seq2SeqFitEvent,
  Seq2SeqFitOptions,
  Seq2SeqFitResult,
  Hypothesis,
  DecodeOptions,
} from './tasks/seq2seq.js';
export { G2P, parseLexicon, splitLexicon } from './tasks/g2p.js';
export type { LexiconEntry, ParseLexiconOptions, ParsedLexicon, G2PEvaluation } from './tasks/g2p.js';
export { editDistance, errorRates, meanAbsoluteError } from './tasks/edit-distance.js';
export type { ErrorRates } from './tasks/edit-distance.js';
export { forecastBirths, parseDailyCsv, dayFeatures, seasonalNaive } from './tasks/forecast.js';
export type { Day, ForecastOptions, ForecastResult } from './tasks/forecast.js';
