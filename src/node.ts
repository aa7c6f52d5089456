/**
 * The Node-only part of the API: files, corpora, token stores, training runs and checkpoints.
 * `slmkit` itself (src/index.ts) stays browser-safe; import `slmkit/node` for these. Importing
 * this entry also loads the native kernels (backend/native/autoload.ts).
 */
import './backend/native/autoload.js';

export * from './corpus/index.js';
export * from './data/index.js';
export { prepare, type PrepareOptions, type PrepareReport, type SplitStats } from './data/prepare.js';
export { openData, loadStore, notebookTokenizer, notebookVocabPath, builtinCorpus, type OpenedData, type OpenDataOptions, type TokenizerTrainer } from './data/open.js';
export { loadTokenizer, saveTokenizer, type LoadTokenizerOptions } from './io/tokenizerFiles.js';
export { saveSafetensors, loadSafetensors, loadSafetensorsAsync, CheckpointError } from './io/safetensors.js';
export { saveCheckpoint, recoverCheckpoint, type CheckpointParts } from './io/checkpoint.js';
export { tryLockFolder, LockBusy, LOCK_FILE, type FolderLock, type LockInfo } from './io/lock.js';
export { loadRun, openRun, openRunAsync, isNgramRun, type LoadedRun, type LoadedNgramRun } from './io/run.js';
export { saveNgramModel, loadNgramModel, NGRAM_FILE } from './ngram/files.js';
export { train, planTraining, peakRss, TrainingError, type TrainRun, type TrainResult, type TrainEvent, type TrainPlan } from './train/trainer.js';
export { compareRuns, type CompareOptions, type CompareRow } from './train/compare.js';
export { estimateMemory, type MemoryEstimate } from './train/memory.js';
export { exportTokens, joinDocuments, splitDocuments, type TokenExportOptions, type TokenExportReport, type TokenFormat, type TokenMeta } from './interop/tokens.js';
export { readLlmcShard, encodeLlmcShard, LLMC_MAGIC, LLMC_VERSION } from './interop/llmc.js';
export { readNanogptBin, pickleIntDict } from './interop/nanogpt.js';
export { exportModel, importModel, type ModelExportReport, type ImportReport, type ModelFormat } from './interop/hf.js';
export { toGpt2Tensors, fromGpt2Tensors, gpt2ConfigJson, transformerConfigFromGpt2 } from './interop/gpt2.js';
export { gpt2Onnx, ONNX_OPSET } from './interop/onnx.js';
export {
  measurePeak, describePeak, nativeThreads, setNativeThreads, type MachinePeak, type PeakResult, type PeakUnavailable, type PeakOptions,
} from './backend/native/peak.js';
