/**
 * Prompts the notebook's way: encode with the tokenizer's special tokens and drop the trailing
 * end-of-document token, so generation continues the text instead of starting a new document.
 * And `generate`, the streaming text API: an async iterator of tokens with the decoded text so far.
 * It stops at the end-of-document token unless told otherwise (the notebook draws on into the next
 * document), and never shows half a character: with byte-level BPE a token may end inside a UTF-8
 * sequence, which decodes to U+FFFD until the next token completes it, so that tail is held back.
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
  /** Stop at the tokenizer's end-of-document token (default true; false: the notebook's behaviour). */
  stopAtEnd?: boolean;
}

/** The ids generation stops at: the end-of-document token unless `stopAtEnd` is false. */
export function endStopIds(tokenizer: Tokenizer, stopAtEnd = true): number[] {
  const end = endId(tokenizer);
  return stopAtEnd && end !== undefined ? [end] : [];
}

/**
 * `text` without a trailing run of U+FFFD: what is safe to show while a byte-level token may have
 * ended inside a character. (A text that really ends in U+FFFD shows it once generation ends.)
 */
export function completeText(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0xfffd) end--;
  return text.slice(0, end);
}

/** Streams a continuation of `prompt`, one token at a time. */
export async function* generate(model: LanguageModel, tokenizer: Tokenizer, prompt: string,
  o: TextGenerateOptions = {}): AsyncGenerator<GeneratedToken> {
  const start = promptIds(tokenizer, prompt);
  const ids = [...start];
  let text = completeText(tokenizer.decode(ids));
  const stopIds = o.stopIds ?? endStopIds(tokenizer, o.stopAtEnd ?? true);
  for (const id of generateIds(model, start, { ...o, stopIds })) {
    ids.push(id);
    const next = completeText(tokenizer.decode(ids));
    const delta = next.startsWith(text) ? next.slice(text.length) : next;
    text = next;
    yield { id, text, delta };
    await Promise.resolve();
  }
}
