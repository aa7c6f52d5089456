/**
 * Resolving the `--tokenizer` argument: `notebook` (the shipped BERT cased vocabulary, lowercasing,
 * as the workshop), a vocab.txt or tokenizer.json path (or a folder holding one).
 */
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

export async function resolveTokenizer(spec: string, lowercase: boolean | undefined): Promise<ResolvedTokenizer> {
  if (spec === 'notebook') {
    return { tokenizer: await loadTokenizer(notebookVocabPath, { lowercase: lowercase ?? true }), id: `notebook lowercase=${lowercase ?? true}` };
  }
  if (!existsSync(spec)) {
    throw new ConfigError(`tokenizer not found: ${spec}`, "give a vocab.txt or tokenizer.json path, or 'notebook' for the notebook's BERT vocabulary");
  }
  const isJson = /\.json$/i.test(spec);
  return {
    tokenizer: await loadTokenizer(spec, isJson ? {} : { lowercase: lowercase ?? false }),
    id: `${spec}${isJson ? '' : ` lowercase=${lowercase ?? false}`}`,
  };
}
