/** Corpus reading: formats, streaming readers and the train/test split. */
export { readDocuments, guessFormat, type CorpusFormat, type Doc, type ReadOptions } from './readers.js';
export { openCorpus, testMembership, type Corpus, type CorpusOptions, type Split } from './split.js';
export { readLines, checkInputFile, openInputStream, isGzip, type Line } from './lines.js';
export { sniffReading, describeReading, type Reading } from './sniff.js';
export { DataError } from './errors.js';
