/**
 * Prompts the notebook's way: encode with the tokenizer's special tokens and drop the trailing
 * end-of-document token, so generation continues the text instead of starting a new document.
 * And `generate`, the streaming text API: an async iterator of tokens with the decoded text so far.
 */
import type { LanguageModel } from '../models/model.js';
import { ConfigError } from '../tensor/errors.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { generateIds, type GenerateOptions } from './generate.js';

/** The id that ends a document ([SEP] for BERT, </s> for the trained tokenizers). */
export function endId(tokenizer: Tokenizer): number | undefined {
  return tokenizer.eosId ?? tokenizer.sepId;
}

/** Prompt ids: encode with special tokens, drop the trailing end token. */
export function promptIds(tokenizer: Tokenizer, text: string): number[] {
  const ids = tokenizer.encode(text, { maxLength: Infinity }).ids;
  const end = endId(tokenizer);
  if (end !== undefined && ids[ids.length - 1] === end) ids.pop();
  const content = ids.filter((id) => !tokenizer.specialIds.has(id) || id === tokenizer.unkId);
  if (content.length > 0 && content.every((id) => id === tokenizer.unkId)) {
    throw new ConfigError(`the prompt ${JSON.stringify(text)} is only unknown tokens (${tokenizer.idToToken(tokenizer.unkId!)}) for this tokenizer`,
      'use words and characters from the training data\'s language');
  }
  return ids;
}

export interface GeneratedToken {
  /** The id just drawn. */
  id: number;
  /** The whole text so far (prompt included), decoded. */
  text: string;
  /** What this token added to `text` (may be empty, e.g. for a special token). */
  delta: string;
}

export interface TextGenerateOptions extends GenerateOptions {
  /** Stop at the tokenizer's end-of-document token. */
  stopAtEnd?: boolean;
}

/** Streams a continuation of `prompt`, one token at a time. */
export async function* generate(model: LanguageModel, tokenizer: Tokenizer, prompt: string,
  o: TextGenerateOptions = {}): AsyncGenerator<GeneratedToken> {
  const start = promptIds(tokenizer, prompt);
  const end = endId(tokenizer);
  const ids = [...start];
  let text = tokenizer.decode(ids);
  const stopIds = o.stopIds ?? (o.stopAtEnd && end !== undefined ? [end] : []);
  for (const id of generateIds(model, start, { ...o, stopIds })) {
    ids.push(id);
    const next = tokenizer.decode(ids);
    const delta = next.startsWith(text) ? next.slice(text.length) : next;
    text = next;
    yield { id, text, delta };
    await Promise.resolve();
  }
}
