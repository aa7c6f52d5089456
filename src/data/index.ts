/** The token store and batching. */
export { StoreWriter, readStore, numDocuments, documentIds, firstDocuments, STORE_MAGIC, STORE_VERSION, type TokenSplit } from './store.js';
export {
  paddedBatches, packedBatches, shiftBatch, countBatches, paddingReport, maxDistinctTokens,
  type Batch, type StepBatch, type BatchOptions, type PaddingReport,
} from './batches.js';
