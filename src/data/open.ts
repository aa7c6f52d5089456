/**
 * Opening training data: a prepared store (a folder with manifest.json, train.bin, test.bin and
 * tokenizer.json), or raw text (a folder with train.txt/test.txt, or one file) that is prepared on
 * the fly with the notebook's tokenizer settings (BERT cased WordPiece, lowercasing, 512 tokens)
 * into a cache folder keyed by the input's path, and reused while the input is unchanged.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError } from '../corpus/errors.js';
import { loadTokenizer } from '../io/tokenizerFiles.js';
import { tokenizerFromJson } from '../tokenizer/hfTokenizer.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { prepare, type PrepareReport } from './prepare.js';
import { readStore, type TokenSplit } from './store.js';

/** The notebook's vocabulary, shipped with slmkit (BERT base cased, 28,996 WordPiece tokens). */
export const notebookVocabPath = fileURLToPath(new URL('../../../vocab/bert-base-cased-vocab.txt', import.meta.url));

export interface OpenedData {
  dir: string;
  tokenizer: Tokenizer;
  train: TokenSplit;
  test: TokenSplit;
  /** Set when the data was prepared (or found prepared) on the fly. */
  prepared?: PrepareReport;
}

export function isStore(dir: string): boolean {
  return existsSync(join(dir, 'manifest.json')) && existsSync(join(dir, 'train.bin'));
}

/** The notebook's tokenizer: BERT cased vocabulary read with lowercasing, as the workshop's BioBERT. */
export async function notebookTokenizer(): Promise<Tokenizer> {
  return loadTokenizer(notebookVocabPath, { lowercase: true });
}

export function cacheDir(): string {
  return process.env.SLM_CACHE ?? join(homedir(), '.cache', 'slmkit');
}

export interface OpenDataOptions {
  onProgress?: (split: string, documents: number, tokens: number) => void;
}

export async function openData(path: string, o: OpenDataOptions = {}): Promise<OpenedData> {
  if (!existsSync(path)) throw new DataError(`data not found: ${path}`, 'pass a folder prepared by slm prepare, or one holding train.txt and test.txt');
  if (isStore(path)) return loadStore(path);
  const tokenizer = await notebookTokenizer();
  const key = createHash('sha1').update(resolve(path)).digest('hex').slice(0, 16);
  const out = join(cacheDir(), `store-${key}`);
  const prepared = await prepare({
    corpus: { input: path }, tokenizer, tokenizerId: 'notebook: bert-base-cased-vocab.txt, lowercase', maxTokens: 512, out,
    onProgress: o.onProgress,
  });
  return { ...loadStore(out), prepared };
}

export function loadStore(dir: string): OpenedData {
  const tokPath = join(dir, 'tokenizer.json');
  if (!existsSync(tokPath)) throw new DataError(`${dir} has no tokenizer.json`, 'prepare the data again with slm prepare');
  const tokenizer = tokenizerFromJson(readFileSync(tokPath, 'utf8'), { source: tokPath });
  const train = readStore(join(dir, 'train.bin'));
  const test = readStore(join(dir, 'test.bin'));
  for (const [name, s] of [['train', train], ['test', test]] as const) {
    if (s.vocabSize !== tokenizer.vocabSize) {
      throw new DataError(`${dir}/${name}.bin was written for a vocabulary of ${s.vocabSize}, but its tokenizer.json has ${tokenizer.vocabSize}`,
        'prepare the data again');
    }
  }
  return { dir, tokenizer, train, test };
}
