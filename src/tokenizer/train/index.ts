/** Tokenizer trainers: re-exports only. Each returns an HfTokenizer whose toJSON() is a standard tokenizer.json. */
export { trainWordPiece, type WordPieceTrainOptions } from './wordPiece.js';
export { trainByteLevelBpe, type ByteLevelBpeTrainOptions } from './byteLevelBpe.js';
export { trainCharLevel, type CharLevelTrainOptions } from './charLevel.js';
export { countWords, type TextSource, type WordSplitter } from './words.js';
