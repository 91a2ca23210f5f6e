// recurrent: recurrent neural networks (RNN, LSTM, GRU; stacked, bidirectional) trained and
// run in SIMD WebAssembly. Call `await init()` once, then build models.
// This is the SDK; the ready-made tasks (segmentation, classification, G2P, forecasting) are
// under the subpath `recurrent/tasks` (tasks/index.ts).
export { init, initFrom, isReady, kernelBackend } from './wasm.js';
export type { WasmSource } from './wasm.js';
export { RecurrentRangeError, RecurrentTypeError, isRecurrentError } from './errors.js';
export type { ErrorCode, RecurrentErrorFields } from './errors.js';
export { RecurrentLayer, CELL_TYPES } from './layer.js';
export type { CellType, RecurrentLayerOptions, LayerForwardInput, LayerForwardResult, LayerBackwardInput, LayerGradients } from './layer.js';
export { sequential, SequentialBuilder } from './builder.js';
export type { Flow, RecurrentOptions, RnnOptions, SequentialOptions } from './builder.js';
export { Model } from './model.js';
export type { BatchInput, BatchTargets, CompileOptions, LossName, OptimizerName, OptimizerSpec, ScheduleSpec, StepResult } from './model.js';
export { Seq2SeqModel } from './seq2seq.js';
export type { Seq2SeqOptions, Seq2SeqConfig, Pair, Seq2SeqCompileOptions, Seq2SeqStep, Seq2SeqFitOptions, Hypothesis, DecodeOptions } from './seq2seq.js';
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
export type { FitOptions, GenerateOptions, ModelInfo } from './session.js';
export { FitRun } from './events.js';
export type { EvalResult, FitEvent, FitResult, StepEvent, EpochEvent } from './events.js';
export { encodeCheckpoint, decodeCheckpoint, FORMAT as MODEL_FORMAT } from './io/checkpoint.js';
export type { Snapshot, TrainingState } from './io/checkpoint.js';
