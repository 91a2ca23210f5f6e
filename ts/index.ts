// recurrent: recurrent neural networks (RNN, LSTM, GRU; stacked, bidirectional) trained and
// run in SIMD WebAssembly. Call `await init()` once, then build models.
export { init, initFrom, isReady, kernelBackend } from './wasm.js';
export type { WasmSource } from './wasm.js';
export * from './errors.js';
export { RecurrentLayer, CELL_TYPES } from './layer.js';
export type { CellType, RecurrentLayerOptions, LayerForwardInput, LayerForwardResult, LayerBackwardInput, LayerGradients } from './layer.js';
export { sequential, SequentialBuilder } from './builder.js';
export type { Flow, RecurrentOptions, RnnOptions, SequentialOptions } from './builder.js';
export { Model } from './model.js';
export type { BatchInput, BatchTargets, CompileOptions, LossName, OptimizerName, OptimizerSpec, ScheduleSpec, StepResult } from './model.js';
export type { InputSpec, LayerSpecJSON, ModelSpecJSON } from './spec.js';
export { runFixture, runFixtures } from './conformance.js';
export type { FixtureReport, TensorReport } from './conformance.js';
