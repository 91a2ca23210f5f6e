// recurrent: recurrent neural networks (RNN, LSTM, GRU; stacked, bidirectional) trained and
// run in SIMD WebAssembly. Call `await init()` once, then build models.
// This is the SDK; the ready-made tasks (segmentation, classification, G2P, forecasting) are
// under the subpath `recurrent-nn/tasks` (tasks/index.ts).
/**
 * The SDK: build recurrent models (RNN, LSTM, GRU; stacked, bidirectional), train them in a
 * worker, save and load them, and run them anywhere JavaScript runs. Start with
 * {@link init} and {@link createTrainer}; the groups follow the order a program needs them:
 * getting started, building models, training, data, files and interop, audio. The ready-made
 * tasks are in `recurrent-nn/tasks`.
 *
 * Each example runs as written after `await init()` and an import of the names it uses from
 * `recurrent-nn` (and `recurrent-nn/tasks`); the test suite runs every one
 * (test/doc-examples.test.ts).
 * @packageDocumentation
 */

export type { Biquad, FilterChoice, SpecAugmentOptions, SpecMask } from './audio/augment.js';
export {
  addNoise,
  applyBiquad,
  babbleNoise,
  biquad,
  convolve,
  pinkNoise,
  pitchShift,
  randomFilter,
  randomGain,
  reverberate,
  specAugment,
  speedPerturb,
  syntheticImpulseResponse,
  timeStretch,
  whiteNoise,
} from './audio/augment.js';
export type { LogMelOptions } from './audio/mel.js';
export {
  CausalBandNormalizer,
  DEFAULT_WARMUP_FRAMES,
  frameCount,
  hzToMel,
  LogMelStream,
  logMel,
  melFilters,
  melToHz,
  normalizeBands,
  normalizeBandsCausal,
} from './audio/mel.js';
export type { ResampleOptions } from './audio/resample.js';
export { resample } from './audio/resample.js';
export type { DecodedWav, EncodeWavOptions } from './audio/wav.js';
export { decodeWav, decodeWav16k, encodeWav } from './audio/wav.js';
export type { Flow, GruOptions, LstmOptions, RecurrentOptions, RnnOptions, SequentialOptions } from './builder.js';
export { SequentialBuilder, sequential } from './builder.js';
export type { CellInfo, CellOption } from './cells.js';
export { CELLS } from './cells.js';
export type { CtcDecodeOptions, CtcHypothesis, CtcLossInput, CtcLossResult, CtcOptions } from './ctc.js';
export { ctcDecode, ctcLoss } from './ctc.js';
export { deriveSeed, Rng } from './data/rng.js';
export type { DataLike, DataSpec, Example, ExamplesData, TrainBatch, WindowsData } from './data/source.js';
export { batchesPerEpoch, bucketedBatches, examples, padBatch, splitBySeed, textWindows } from './data/source.js';
export type { VocabularyJSON } from './data/vocab.js';
export { Vocabulary } from './data/vocab.js';
export type { ErrorCode, RecurrentErrorFields } from './errors.js';
export { isRecurrentError, RecurrentRangeError, RecurrentTypeError } from './errors.js';
export type { EpochEvent, EvalResult, FitEvent, FitResult, StepEvent } from './events.js';
export { FitRun } from './events.js';
export type { FitBatchesOptions } from './fit-batches.js';
export { fitBatches } from './fit-batches.js';
export type { EarlyStoppingOptions, FitHooks, KeepBestOptions, Monitor, ReduceLrOnPlateauOptions } from './fit-hooks.js';
export type { GradientNorms } from './gradient-norms.js';
export type { BrowserModelInfo, ModelSource } from './io/browser-storage.js';
export { deleteBrowserModel, listBrowserModels, loadFromBrowser, saveToBrowser } from './io/browser-storage.js';
export type { Snapshot, TrainingState } from './io/checkpoint.js';
export { decodeCheckpoint, encodeCheckpoint, FORMAT as MODEL_FORMAT } from './io/checkpoint.js';
export type { OnnxExportOptions } from './io/onnx.js';
export { exportOnnx } from './io/onnx.js';
export type { DType, ReadDType, SafetensorsFile, TensorIn, TensorRead } from './io/safetensors.js';
export { CHECKSUM_KEY as SAFETENSORS_CHECKSUM_KEY, decodeSafetensors, encodeSafetensors } from './io/safetensors.js';
export type { ByteSource } from './io/source.js';
export type { TfjsArtifacts, TfjsImport, TfjsWeightSpec } from './io/tfjs.js';
export { importTfjs } from './io/tfjs.js';
export type { ImportedWeights, ImportWeightsOptions } from './io/torch.js';
export type { KernelVerdict } from './kernel-choice.js';
export { kernelCalibration } from './kernel-choice.js';
export type { CellType, LayerBackwardInput, LayerForwardInput, LayerForwardResult, LayerGradients, RecurrentLayerOptions } from './layer.js';
export { CELL_TYPES, RecurrentLayer } from './layer.js';
export type { BatchInput, BatchTargets, CompileOptions, LossName, OptimizerName, OptimizerSpec, ScheduleSpec, StepResult } from './model.js';
export { Model } from './model.js';
export type {
  DecodeOptions,
  Hypothesis,
  Pair,
  Seq2SeqCompileOptions,
  Seq2SeqConfig,
  Seq2SeqFitOptions,
  Seq2SeqOptions,
  Seq2SeqSpecJSON,
  Seq2SeqStep,
} from './seq2seq.js';
export { Seq2SeqModel } from './seq2seq.js';
export { Session } from './session.js';
export type { Answer, CtcDecodeCall, FitOptions, GenerateOptions, ModelInfo, SessionApi, SessionFitOptions } from './session-api.js';
export type { GateActivation, InputSpec, LayerSpecJSON, ModelSpecJSON } from './spec.js';
export type { Trainer, TrainerOptions } from './trainer.js';
export { createTrainer } from './trainer.js';
export type { InitOptions, KernelChoice, WasmSource } from './wasm.js';
export { init, initFrom, isReady, kernelBackend, relaxedSimdSupported } from './wasm.js';
