/**
 * Tokenizer files on disk: read a Hugging Face tokenizer.json or a BERT vocab.txt (or a folder
 * holding one) into a Tokenizer, and write a tokenizer's tokenizer.json. The only tokenizer code
 * that touches node:fs; everything it calls is browser-safe and takes strings.
 */
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError } from '../corpus/errors.js';
import { ConfigError } from '../tensor/errors.js';
import { tokenizerFromVocabTxt, type BertVocabOptions } from '../tokenizer/bertVocab.js';
import { tokenizerFromJson, type HfTokenizer, type HfTokenizerOptions } from '../tokenizer/hfTokenizer.js';
import type { Tokenizer } from '../tokenizer/types.js';

export interface LoadTokenizerOptions extends HfTokenizerOptions {
  /** For vocab.txt only (required there): does the model lowercase its input? */
  lowercase?: boolean;
  /** For vocab.txt only: see BertVocabOptions. */
  stripAccents?: boolean;
  handleChineseChars?: boolean;
}

const fileHint = 'pass a Hugging Face tokenizer.json, a BERT vocab.txt, or a folder holding one';

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(`tokenizer file not found: ${path}`, fileHint);
    throw new DataError(`cannot read tokenizer file ${path}: ${(err as Error).message}`, fileHint);
  }
}

/** Picks tokenizer.json, else vocab.txt, inside a folder. */
async function resolvePath(path: string): Promise<string> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) throw new DataError(`tokenizer file not found: ${path}`, fileHint);
  if (!info.isDirectory()) return path;
  for (const name of ['tokenizer.json', 'vocab.txt']) {
    const candidate = join(path, name);
    if ((await stat(candidate).catch(() => undefined))?.isFile()) return candidate;
  }
  throw new DataError(`no tokenizer.json or vocab.txt in folder ${path}`, fileHint);
}

/**
 * Loads a tokenizer. A file whose text starts with `{` is read as tokenizer.json; anything else
 * as a BERT vocab.txt, which needs `lowercase` to be given.
 */
export async function loadTokenizer(path: string | URL, options: LoadTokenizerOptions = {}): Promise<HfTokenizer> {
  const file = await resolvePath(typeof path === 'string' ? path : fileURLToPath(path));
  const text = await readText(file);
  if (text.trim() === '') {
    throw new DataError(`tokenizer file ${file} is empty`, fileHint);
  }
  if (text.trimStart().startsWith('{')) return tokenizerFromJson(text, { ...options, source: options.source ?? file });
  const { lowercase } = options;
  if (lowercase === undefined) {
    throw new ConfigError(`${file} is read as a BERT vocab.txt, which does not say whether to lowercase`,
      'pass lowercase: true for an uncased model (or the notebook\'s BioBERT), false for a cased one');
  }
  const bertOptions: BertVocabOptions = { lowercase, source: options.source ?? file };
  if (options.stripAccents !== undefined) bertOptions.stripAccents = options.stripAccents;
  if (options.handleChineseChars !== undefined) bertOptions.handleChineseChars = options.handleChineseChars;
  return tokenizerFromVocabTxt(text, bertOptions);
}

/** Writes `tokenizer.toJSON()` as a tokenizer.json (pretty, as Hugging Face saves it), atomically. */
export async function saveTokenizer(tokenizer: Tokenizer, path: string | URL): Promise<void> {
  const file = typeof path === 'string' ? path : fileURLToPath(path);
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(tokenizer.toJSON(), null, 2) + '\n', 'utf8');
  await rename(tmp, file);
}
