/**
 * Token files for other trainers: a token store's splits as one stream of uint16 ids each, the
 * way nanoGPT and llm.c read their data, written by `slm export --data STORE --format
 * nanogpt|llmc`. Documents are joined back to back, each ending with the tokenizer's
 * end-of-document id ([SEP] for BERT, </s> for slmkit's trained tokenizers; appended where a
 * document lacks it), so a reader can find document boundaries again. The store's test split
 * becomes the validation data. Beside the token files go the store's tokenizer.json and
 * meta.json (vocabulary size, special ids, counts), so the folder is complete on the other side.
 * The whole folder is written under a temporary name and renamed at the end.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenedData } from '../data/open.js';
import { documentIds, numDocuments, type TokenSplit } from '../data/split.js';
import { writeFolderAtomic } from '../io/atomic.js';
import { writeJsonAtomic } from '../io/checkpoint.js';
import { endId } from '../sample/prompt.js';
import { ConfigError, DataError } from '../tensor/errors.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { writeLlmcShards } from './llmc.js';
import { writeNanogpt } from './nanogpt.js';

export type TokenFormat = 'nanogpt' | 'llmc';
export const tokenFormats: readonly TokenFormat[] = ['nanogpt', 'llmc'];

/** The largest id a uint16 token file holds. */
export const MAX_UINT16_ID = 65535;

export interface TokenExportOptions {
  format: TokenFormat;
  out: string;
  /** Replace an existing --out folder. */
  force?: boolean;
  /** llm.c: tokens per train shard (default 100M, llm.c's own); the val shard holds the whole test split. */
  shardTokens?: number;
  /** llm.c: the shards' name prefix (NAME_val_000000.bin). */
  name?: string;
  /** Recorded in meta.json. */
  source?: string;
  slmkitVersion?: string;
}

/** What meta.json says (snake_case: it is read by Python). */
export interface TokenMeta {
  format: TokenFormat;
  vocab_size: number;
  eot_id: number;
  bos_id: number | null;
  pad_id: number | null;
  tokenizer: 'tokenizer.json';
  train: { documents: number; tokens: number; files: string[] };
  val: { documents: number; tokens: number; files: string[] };
  source?: string;
  slmkit?: string;
}

export interface TokenExportReport {
  out: string;
  meta: TokenMeta;
  seconds: number;
  /** Tokens written (train + val) per second, the whole export included. */
  tokensPerSecond: number;
}

/** The end-of-document id the files are joined with; a ConfigError where the tokenizer has none. */
export function documentEnd(tokenizer: Tokenizer): number {
  const end = endId(tokenizer);
  if (end === undefined) {
    throw new ConfigError('the tokenizer has no end-of-document token ([SEP], </s> or <|endoftext|>)',
      'nanoGPT and llm.c files join documents with one; prepare the data with a tokenizer that adds it');
  }
  return end;
}

/** Refuses a vocabulary whose ids do not fit uint16 (never truncated). */
export function checkUint16Vocab(vocabSize: number, where: string): void {
  if (vocabSize - 1 > MAX_UINT16_ID) {
    throw new ConfigError(`${where} has a vocabulary of ${vocabSize.toLocaleString('en-US')} ids (largest ${vocabSize - 1}); `
      + `nanoGPT's and llm.c's token files hold uint16 ids, at most ${MAX_UINT16_ID.toLocaleString('en-US')}`,
    'prepare the data with a tokenizer of at most 65,536 tokens (e.g. --tokenizer bpe:50000); ids are never truncated');
  }
}

/** A split's documents as one uint16 stream, each document ending with `end`. */
export function joinDocuments(split: TokenSplit, end: number): Uint16Array {
  const n = numDocuments(split);
  let total = split.ids.length;
  for (let d = 0; d < n; d++) {
    const doc = documentIds(split, d);
    if (doc.length === 0 || doc[doc.length - 1] !== end) total++;
  }
  const out = new Uint16Array(total);
  let at = 0;
  for (let d = 0; d < n; d++) {
    const doc = documentIds(split, d);
    out.set(doc, at);
    at += doc.length;
    if (doc.length === 0 || doc[doc.length - 1] !== end) out[at++] = end;
  }
  return out;
}

/** Splits a stream back into documents after each `end` id (a trailing part without one is a document too). */
export function splitDocuments(ids: Uint16Array, end: number): Uint16Array[] {
  const docs: Uint16Array[] = [];
  let start = 0;
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] === end) {
      docs.push(ids.subarray(start, i + 1));
      start = i + 1;
    }
  }
  if (start < ids.length) docs.push(ids.subarray(start));
  return docs;
}

/** Exports a token store's splits as nanoGPT's or llm.c's token files (see the file comment). */
export async function exportTokens(data: OpenedData, o: TokenExportOptions): Promise<TokenExportReport> {
  const t0 = performance.now();
  const { tokenizer } = data;
  checkUint16Vocab(tokenizer.vocabSize, `the tokenizer of ${data.dir}`);
  for (const [name, s] of [['train', data.train], ['test', data.test]] as const) {
    if (s.vocabSize !== tokenizer.vocabSize) {
      throw new DataError(`${join(data.dir, `${name}.bin`)} was written for a vocabulary of ${s.vocabSize}, but its tokenizer.json has ${tokenizer.vocabSize}`,
        'prepare the data again');
    }
  }
  const end = documentEnd(tokenizer);
  const train = joinDocuments(data.train, end);
  const val = joinDocuments(data.test, end);
  const meta = await writeFolderAtomic(o.out, o.force ?? false, (tmp) => {
    const files = o.format === 'nanogpt'
      ? writeNanogpt(tmp, train, val, { vocab_size: tokenizer.vocabSize, eot_id: end })
      : writeLlmcShards(tmp, train, val, { shardTokens: o.shardTokens ?? 100_000_000, name: o.name ?? 'slm' });
    copyFileSync(join(data.dir, 'tokenizer.json'), join(tmp, 'tokenizer.json'));
    const m: TokenMeta = {
      format: o.format, vocab_size: tokenizer.vocabSize, eot_id: end, bos_id: tokenizer.bosId ?? null, pad_id: tokenizer.padId ?? null,
      tokenizer: 'tokenizer.json',
      train: { documents: numDocuments(data.train), tokens: train.length, files: files.train },
      val: { documents: numDocuments(data.test), tokens: val.length, files: files.val },
      ...(o.source === undefined ? {} : { source: o.source }),
      ...(o.slmkitVersion === undefined ? {} : { slmkit: o.slmkitVersion }),
    };
    writeJsonAtomic(join(tmp, 'meta.json'), m);
    return m;
  });
  const seconds = (performance.now() - t0) / 1000;
  return { out: o.out, meta, seconds, tokensPerSecond: (train.length + val.length) / seconds };
}
