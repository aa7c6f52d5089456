/**
 * The Node-only part of the API: files, corpora, token stores, training runs and checkpoints.
 * `slmkit` itself (src/index.ts) stays browser-safe; import `slmkit/node` for these. Importing
 * this entry also loads the native kernels (backend/native/autoload.ts).
 */
import './backend/native/autoload.js';

export * from './corpus/index.js';
export * from './data/index.js';
export { prepare, type PrepareOptions, type PrepareReport, type SplitStats } from './data/prepare.js';
export { openData, loadStore, notebookTokenizer, notebookVocabPath, type OpenedData } from './data/open.js';
export { loadTokenizer, saveTokenizer, type LoadTokenizerOptions } from './io/tokenizerFiles.js';
export { saveSafetensors, loadSafetensors, CheckpointError } from './io/safetensors.js';
export { saveCheckpoint, recoverCheckpoint, type CheckpointParts } from './io/checkpoint.js';
export { tryLockFolder, LockBusy, LOCK_FILE, type FolderLock, type LockInfo } from './io/lock.js';
export { loadRun, openRun, isNgramRun, type LoadedRun, type LoadedNgramRun } from './io/run.js';
export { saveNgramModel, loadNgramModel, NGRAM_FILE } from './ngram/files.js';
export { train, planTraining, peakRss, TrainingError, type TrainRun, type TrainResult, type TrainEvent, type TrainPlan } from './train/trainer.js';
export { compareRuns, type CompareOptions, type CompareRow } from './train/compare.js';
export { estimateMemory, type MemoryEstimate } from './train/memory.js';
