/** slmkit's public API: re-exports only. */
export { Tensor, type DType, type Shape, type Gradient, shapeSize } from './tensor/tensor.js';
export { formatTensor, type FormatOptions } from './tensor/format.js';
export { noGrad, isGradEnabled, liveGraphNodes } from './tensor/autograd.js';
export { Rng, manualSeed, defaultRng } from './tensor/rng.js';
export {
  SlmError, ShapeError, DTypeError, ConfigError, GradError, DataError, CheckpointError, TrainingError, NgramFormatError, errorText, type ErrorCode,
} from './tensor/errors.js';
export { kernels, useBackend, availableBackends, registerBackend, type Kernels } from './backend/index.js';
export * as F from './ops/index.js';
export * from './nn/index.js';
export * from './optim/index.js';
export type { LanguageModel, Decoder } from './models/model.js';
export { openDecoder, forwardDecoder } from './models/decoder.js';
export { KVCache, TransformerDecoder } from './models/kvcache.js';
export { MarkovChain, markovFamily, type MarkovConfig } from './models/markov.js';
export { MarkovChainLowRank, lowrankFamily, type LowRankConfig } from './models/lowrank.js';
export { Transformer, Block, CausalSelfAttention, transformerFamily, type TransformerConfig } from './models/transformer.js';
export { MLP, mlpFamily, type MlpConfig } from './models/mlp.js';
export { CausalCNN, cnnFamily, receptiveField, type CnnConfig } from './models/cnn.js';
export { RecurrentLM, rnnFamily, lstmFamily, gruFamily, type RecurrentConfig } from './models/recurrent.js';
export { stepBytes, stepFlops, stepTokens, stepTokensFromMask, type StepTokens } from './models/flops.js';
export * from './tokenizer/index.js';
export * from './tokenizer/train/index.js';
export { sampleToken, type SamplingOptions } from './sample/sampling.js';
export { generateIds, type GenerateOptions, type PromptCut } from './sample/generate.js';
export { generate, promptIds, endId, completeText, endStopIds, type GeneratedToken, type TextGenerateOptions } from './sample/prompt.js';
export {
  nextTokens, nextLogits, scoreIds, softmaxAt, topIndices, type NextTokens, type NextTokensOptions, type TopToken, type ScoredToken, type TextScore,
} from './sample/next.js';
export { insideView, attentionMaps, tableRow, type InsideView, type AttentionMaps, type TableRow } from './models/inspect.js';
export { explainNgram, type NgramExplanation, type NgramOrderView } from './ngram/explain.js';
export { lowercases, withLowercase } from './tokenizer/variants.js';
export {
  createModel, resolveModelConfig, resolveAnyConfig, countParameters, describeModel, modelTypes, allModelTypes, families, neuralFamilies,
  familyOf, neuralFamilyOf, type ModelConfig, type ModelType, type AnyModelConfig, type AnyModelType,
} from './models/registry.js';
export {
  defineFamily, resolveFamilyConfig, linearHeadBytes, type ModelFamily, type NeuralFamily, type CountedFamily, type TrainingHints, type BaseModelConfig,
} from './models/family.js';
export { resolveKeys, checkKey, defaultsOf, flagOf, describeSpec, type KeySpec, type KeySpecs, type AnyKeySpec } from './config/keys.js';
export type { FusedHead } from './models/model.js';
export * from './ngram/index.js';
export { numDocuments, documentIds, firstDocuments, longestDocument, type TokenSplit } from './data/split.js';
export { paddedBatches, packedBatches, shiftBatch, countBatches, type Batch, type StepBatch, type BatchOptions } from './data/batches.js';
export {
  trainLoop, plannedSteps, yieldToEventLoop, type LoopState, type LoopOptions, type LoopResult, type LoopHooks, type BatchSource, type StepReport, type SkipReport,
  type StopReason, type TimeSpent,
} from './train/loop.js';
export { resolveTrainConfig, trainKeys, trainDefaults, type TrainConfig } from './train/config.js';
export { lrAt } from './train/schedule.js';
export { createOptimizer } from './train/optimizer.js';
export { runBatch, batchLoss, type BatchLoss } from './train/step.js';
export { evaluate, type EvalOptions, type EvalResult } from './train/evaluate.js';
export { encodeSafetensors, decodeSafetensors, safetensorsBytes, type SafetensorsFile } from './formats/safetensors.js';
export * from './plot/index.js';
export { crc32 } from './formats/crc32.js';
