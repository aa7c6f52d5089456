/**
 * Resolving the `--tokenizer` argument: `notebook` (the shipped BERT cased vocabulary, lowercasing,
 * as the workshop), a vocab.txt or tokenizer.json path (or a folder holding one), or a trainer:
 * `wordpiece:N`, `bpe:N` (byte-level) or `char`, trained on the training split.
 */
import { trainByteLevelBpe, trainCharLevel, trainWordPiece } from '../tokenizer/train/index.js';
import { existsSync } from 'node:fs';
import { ConfigError } from '../tensor/errors.js';
import { loadTokenizer } from '../io/tokenizerFiles.js';
import { notebookVocabPath } from '../data/open.js';
import type { Tokenizer } from '../tokenizer/types.js';

export interface ResolvedTokenizer {
  tokenizer: Tokenizer;
  /** What the manifest records: the spec and, for files, the path. */
  id: string;
}

export type TokenizerMaker = (trainTexts: () => AsyncIterable<string>) => Promise<Tokenizer>;

/** A trainer spec (wordpiece:N, bpe:N, char) as a lazy maker, or null when `spec` is not one. */
export function trainerSpec(spec: string, lowercase: boolean | undefined): { make: TokenizerMaker; id: string } | null {
  const m = /^(wordpiece|bpe|char)(?::(\d+))?$/i.exec(spec);
  if (!m) return null;
  const kind = m[1]!.toLowerCase();
  const size = m[2] === undefined ? undefined : Number(m[2]);
  if (kind !== 'char' && (size === undefined || size < 10)) {
    throw new ConfigError(`tokenizer '${spec}' needs a vocabulary size`, `for example ${kind}:30000`);
  }
  const lc = lowercase ?? false;
  const make: TokenizerMaker = (texts) => {
    switch (kind) {
      case 'wordpiece': return trainWordPiece(texts(), { vocabSize: size!, lowercase: lc });
      case 'bpe': return trainByteLevelBpe(texts(), { vocabSize: size! });
      default: return trainCharLevel(texts(), { lowercase: lc, ...(size !== undefined ? { vocabSize: size } : {}) });
    }
  };
  return { make, id: `${kind}${size !== undefined ? `:${size}` : ''} lowercase=${lc}` };
}

export async function resolveTokenizer(spec: string, lowercase: boolean | undefined): Promise<ResolvedTokenizer> {
  if (spec === 'notebook') {
    return { tokenizer: await loadTokenizer(notebookVocabPath, { lowercase: lowercase ?? true }), id: `notebook lowercase=${lowercase ?? true}` };
  }
  if (trainerSpec(spec, lowercase)) {
    throw new ConfigError(`tokenizer '${spec}' is trained during slm prepare`, 'prepare the data with it, then use the store\'s tokenizer.json');
  }
  if (!existsSync(spec)) {
    throw new ConfigError(`tokenizer not found: ${spec}`, "give a vocab.txt or tokenizer.json path, 'notebook' for the notebook's BERT vocabulary, or wordpiece:N, bpe:N, char to train one");
  }
  const isJson = /\.json$/i.test(spec);
  return {
    tokenizer: await loadTokenizer(spec, isJson ? {} : { lowercase: lowercase ?? false }),
    id: `${spec}${isJson ? '' : ` lowercase=${lowercase ?? false}`}`,
  };
}
