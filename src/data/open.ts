/**
 * Opening training data: a prepared store (a folder with manifest.json, train.bin, test.bin and
 * tokenizer.json), or raw text (a folder with train.txt/test.txt, or one file) that is prepared on
 * the fly — with the notebook's tokenizer settings (BERT cased WordPiece, lowercasing, 512 tokens)
 * unless a tokenizer is given (slm eval uses the run's own) — into a cache folder keyed by the
 * input's path, format and tokenizer, and reused while the input is unchanged. Paths that are
 * nearly right (a file inside a store, a run folder) are named for what they are.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError } from '../corpus/errors.js';
import type { CorpusFormat } from '../corpus/readers.js';
import { loadTokenizer } from '../io/tokenizerFiles.js';
import { tokenizerFromJson } from '../tokenizer/hfTokenizer.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { checkStoreFiles, prepare, readManifest, type PrepareReport } from './prepare.js';
import { readStore, type TokenSplit } from './store.js';

/** The notebook's vocabulary, shipped with slmkit (BERT base cased, 28,996 WordPiece tokens). */
export const notebookVocabPath = fileURLToPath(new URL('../../../vocab/bert-base-cased-vocab.txt', import.meta.url));

/**
 * The corpus that ships with slmkit (`slm run`'s default): 2,292 PubMed abstracts in the
 * notebook's format, gzipped, from the public-domain NCBI corpora BC5CDR and NCBI-disease.
 * A folder holding train.txt.gz and test.txt.gz; `openData(builtinCorpus)` prepares it.
 */
export const builtinCorpus = fileURLToPath(new URL('../../../corpora/pubmed-sample', import.meta.url));

/** Trains a tokenizer on the training split's texts (PrepareOptions.tokenizer's function form). */
export type TokenizerTrainer = (trainTexts: () => AsyncIterable<string>) => Promise<Tokenizer>;

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

/**
 * A folder with store files (or a prepare's temporary files) but no manifest.json: a
 * prepare that was interrupted, or is running.
 */
export function isIncompleteStore(dir: string): boolean {
  if (existsSync(join(dir, 'manifest.json')) || !existsSync(dir) || !statSync(dir).isDirectory()) return false;
  if (['train.bin', 'test.bin'].some((f) => existsSync(join(dir, f)))) return true;
  return readdirSync(dir).some((f) => /^(train\.bin|test\.bin|tokenizer\.json|manifest\.json)\.tmp-\d+$/.test(f));
}

function incompleteStoreError(dir: string): DataError {
  return new DataError(`${dir} is an incomplete token store: manifest.json is missing (slm prepare was interrupted, or is still running)`,
    'run slm prepare again with the same arguments; it rebuilds the store');
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
  /** How to read raw text (default: from the path; see openCorpus). Ignored for a store. */
  format?: CorpusFormat | 'dir';
  /** CSV column or JSONL field holding the text. */
  column?: string;
  /**
   * Tokenizer for raw text (default the notebook's), with a stable description for the cache key
   * (`id`: for a trainer, everything that makes its result, e.g. "wordpiece:2000 lowercase").
   * Either a tokenizer, or a function that trains one on the training split's texts
   * (`(texts) => trainWordPiece(texts(), { vocabSize: 2000, lowercase: true })`), called only
   * when the cached store is missing or stale.
   */
  tokenizer?: { tokenizer: Tokenizer | TokenizerTrainer; id: string };
}

/** The files a store folder holds, and those of a run folder, for recognising nearly-right paths. */
const storeFiles = new Set(['train.bin', 'test.bin', 'manifest.json']);
const runFiles = new Set(['model.safetensors', 'optimizer.safetensors', 'trainer.json', 'metrics.jsonl', 'model.ngram', 'loss.svg']);

/** A run folder (config.json with a model section), told apart from data. */
export function isRunFolder(dir: string): boolean {
  return existsSync(join(dir, 'config.json')) && (existsSync(join(dir, 'model.safetensors')) || existsSync(join(dir, 'model.ngram'))
    || existsSync(join(dir, 'trainer.json')));
}

/** Throws a DataError when `path` is a file inside a store or a run, or a run folder, passed as data. */
export function checkDataPath(path: string): void {
  if (!existsSync(path)) throw new DataError(`data not found: ${path}`, 'pass a folder prepared by slm prepare, one holding train.txt and test.txt, or a corpus file');
  const parent = dirname(path);
  const name = basename(path);
  if (!statSync(path).isDirectory()) {
    if (storeFiles.has(name) || (name === 'tokenizer.json' && isStore(parent))) {
      throw new DataError(`${path} is a file inside the token store ${parent}`, `pass the folder: --data ${parent}`);
    }
    if (runFiles.has(name) || (['config.json', 'tokenizer.json'].includes(name) && isRunFolder(parent))) {
      throw new DataError(`${path} is a file of the run folder ${parent}, not data`,
        'pass a store from slm prepare, a folder with train.txt and test.txt, or a corpus file');
    }
    return;
  }
  if (isIncompleteStore(path)) throw incompleteStoreError(path);
  if (!isStore(path) && isRunFolder(path)) {
    throw new DataError(`${path} is a run folder (a trained model), not data`,
      'pass it as --model; --data takes a store from slm prepare, a folder with train.txt and test.txt, or a corpus file');
  }
}

export async function openData(path: string, o: OpenDataOptions = {}): Promise<OpenedData> {
  checkDataPath(path);
  if (isStore(path)) return loadStore(path);
  const { tokenizer, id } = o.tokenizer ?? { tokenizer: await notebookTokenizer(), id: notebookTokenizerId };
  const key = createHash('sha1').update(JSON.stringify([resolve(path), o.format ?? null, o.column ?? null, id])).digest('hex').slice(0, 16);
  const out = join(cacheDir(), `store-${key}`);
  const prepared = await prepare({
    corpus: { input: path, format: o.format, column: o.column }, tokenizer, tokenizerId: id, maxTokens: 512, out,
    onProgress: o.onProgress, replace: true, // a cache folder: replacing it is its purpose
  });
  return { ...loadStore(out), prepared };
}

/** How the notebook's tokenizer is named in manifests and cache keys. */
export const notebookTokenizerId = 'notebook: bert-base-cased-vocab.txt, lowercase';

/** A tokenizer's stable id for cache keys: a hash of its tokenizer.json. */
export function tokenizerId(t: Tokenizer, label: string): string {
  return `${label} sha1:${createHash('sha1').update(JSON.stringify(t.toJSON())).digest('hex').slice(0, 16)}`;
}

/**
 * Opens a prepared store: its manifest must be there (it is written last), its files must be the
 * ones the manifest records (sizes and CRC-32s, version 3 manifests), and each file's contents
 * must pass its own checks (readStore).
 */
export function loadStore(dir: string): OpenedData {
  if (isIncompleteStore(dir)) throw incompleteStoreError(dir);
  const manifest = readManifest(dir);
  if (manifest) {
    const wrong = checkStoreFiles(dir, manifest);
    if (wrong) throw new DataError(`${dir} is damaged: ${wrong}`, 'prepare the data again (slm prepare --force), or restore the folder from a copy');
  }
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
