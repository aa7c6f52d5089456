/**
 * `prepare`: corpus → tokenizer → token store, once. Reads the corpus as a stream, tokenizes on
 * every core (worker threads, results written in document order), writes DIR/train.bin,
 * DIR/test.bin, DIR/tokenizer.json and DIR/manifest.json, each atomically. The manifest records
 * the inputs' sizes and SHA-256 and every option; a second call with the same inputs and options
 * reuses the store instead of tokenizing again. A store prepared from other inputs or with other
 * options is never replaced silently (runs trained from it would no longer fit it): that takes
 * `replace` (slm prepare --force), except for an older store format, which is rebuilt as it was.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { openCorpus, type CorpusOptions, type Split } from '../corpus/split.js';
import { DataError } from '../corpus/errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { encodeBatch, type EncodeRequest, type EncodeResult } from './encodeBatch.js';
import { StoreWriter } from './store.js';

export const MANIFEST_VERSION = 2;

export interface SplitStats {
  documents: number;
  tokens: number;
  meanTokens: number;
  maxTokens: number;
  unknownRate: number;
  truncated: number;
  /** UTF-8 bytes and characters of the text the stored tokens cover (bits per byte's denominator). */
  textBytes: number;
  textChars: number;
}

export interface PrepareOptions {
  corpus: CorpusOptions;
  /** The tokenizer, or a function that makes one (trained on the train split) if tokenizing is needed. */
  tokenizer: Tokenizer | ((trainTexts: () => AsyncIterable<string>) => Promise<Tokenizer>);
  /** Describes the tokenizer for the manifest (path + hash, or a trainer spec). */
  tokenizerId: string;
  /** Truncate documents to this many tokens, special tokens included (default 512). */
  maxTokens?: number;
  out: string;
  /** Tokenizing threads (default: the machine's cores). */
  workers?: number;
  /** Tokenize again even when the manifest matches. */
  force?: boolean;
  /** Replace a store prepared from other inputs or with other options (default false: refuse). */
  replace?: boolean;
  onProgress?: (split: Split, documents: number, tokens: number) => void;
}

export interface PrepareReport {
  out: string;
  reused: boolean;
  vocabSize: number;
  seconds: number;
  train: SplitStats;
  test: SplitStats;
  /** How each text file was read when no format was given (one line each, for people). */
  readings: string[];
  /** Set when an existing store was replaced: what it had been prepared from. */
  replaced?: string;
}

interface Manifest {
  slmkitStore: number;
  inputs: { path: string; bytes: number; sha256: string }[];
  options: Record<string, unknown>;
  vocabSize: number;
  stats: { train: SplitStats; test: SplitStats };
  readings?: string[];
}

/** The manifest of the store in `dir`, or null when there is none or it cannot be read. */
export function readManifest(dir: string): Manifest | null {
  try {
    return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return null;
  }
}

/** What a store was prepared with, in words: "tokenizer bpe:2000 lowercase=false, from a.txt". */
export function describeManifest(m: Manifest): string {
  const o = m.options;
  const from = m.inputs.map((i) => i.path).join(' and ');
  return `tokenizer ${String(o.tokenizer)}, max tokens ${String(o.maxTokens)}${o.format ? `, format ${String(o.format)}` : ''}`
    + `${o.column ? `, column ${String(o.column)}` : ''}, from ${from}`;
}

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function prepare(o: PrepareOptions): Promise<PrepareReport> {
  const t0 = performance.now();
  const maxTokens = o.maxTokens ?? 512;
  if (!(Number.isInteger(maxTokens) && maxTokens >= 2)) throw new DataError(`max tokens must be an integer >= 2, got ${maxTokens}`);
  const corpus = await openCorpus(o.corpus);
  const inputs = [];
  for (const f of corpus.files) inputs.push({ path: resolve(f), bytes: statSync(f).size, sha256: await sha256(f) });
  const options = {
    format: o.corpus.format ?? null, column: o.corpus.column ?? null, testFraction: o.corpus.testFraction ?? 0.1,
    seed: o.corpus.seed ?? 42, tokenizer: o.tokenizerId, maxTokens,
  };
  const manifestPath = join(o.out, 'manifest.json');
  const old = existsSync(join(o.out, 'train.bin')) || existsSync(manifestPath) ? readManifest(o.out) : null;
  const same = old !== null && JSON.stringify(old.inputs) === JSON.stringify(inputs) && JSON.stringify(old.options) === JSON.stringify(options);
  if (!o.force && same && old.slmkitStore === MANIFEST_VERSION && existsSync(join(o.out, 'train.bin')) && existsSync(join(o.out, 'test.bin'))) {
    return {
      out: o.out, reused: true, vocabSize: old.vocabSize, seconds: (performance.now() - t0) / 1000, ...old.stats, readings: old.readings ?? [],
    };
  }
  let replaced: string | undefined;
  if (existsSync(join(o.out, 'train.bin')) && !same) {
    const was = old ? describeManifest(old) : 'a store without a readable manifest.json';
    if (!o.replace) {
      throw new DataError(`${o.out} already holds a token store prepared with other options or inputs (${was})`,
        'runs trained from it need it as it is: choose another --out, or pass --force to replace it');
    }
    replaced = was;
  }
  mkdirSync(o.out, { recursive: true });
  const tokenizer = typeof o.tokenizer === 'function'
    ? await o.tokenizer(async function* () { for await (const d of corpus.documents('train')) yield d.text; })
    : o.tokenizer;
  const workers = Math.max(1, o.workers ?? availableParallelism());
  const pool = workers > 1 ? new EncoderPool(tokenizer, maxTokens, workers) : null;
  try {
    const stats: Partial<Record<Split, SplitStats>> = {};
    for (const split of ['train', 'test'] as const) {
      stats[split] = await prepareSplit(corpus.documents(split), tokenizer, o, split, maxTokens, pool);
    }
    writeFileAtomic(join(o.out, 'tokenizer.json'), `${JSON.stringify(tokenizer.toJSON(), null, 2)}\n`);
    const manifest: Manifest = {
      slmkitStore: MANIFEST_VERSION, inputs, options, vocabSize: tokenizer.vocabSize,
      stats: { train: stats.train!, test: stats.test! }, readings: corpus.readings,
    };
    writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    return {
      out: o.out, reused: false, vocabSize: tokenizer.vocabSize, seconds: (performance.now() - t0) / 1000, ...manifest.stats,
      readings: corpus.readings, ...(replaced !== undefined ? { replaced } : {}),
    };
  } finally {
    await pool?.close();
  }
}

async function prepareSplit(docs: AsyncIterable<{ text: string }>, tokenizer: Tokenizer, o: PrepareOptions, split: Split,
  maxTokens: number, pool: EncoderPool | null): Promise<SplitStats> {
  const writer = new StoreWriter(join(o.out, `${split}.bin`), tokenizer.vocabSize);
  const s: SplitStats = { documents: 0, tokens: 0, meanTokens: 0, maxTokens: 0, unknownRate: 0, truncated: 0, textBytes: 0, textChars: 0 };
  let unknown = 0;
  const take = (r: EncodeResult) => {
    let off = 0;
    for (const [i, len] of r.lengths.entries()) {
      writer.add(r.ids.subarray(off, off + len), r.textBytes[i], r.textChars[i]);
      s.textBytes += r.textBytes[i]!;
      s.textChars += r.textChars[i]!;
      off += len;
      s.documents++;
      s.tokens += len;
      if (len > s.maxTokens) s.maxTokens = len;
    }
    unknown += r.unknown;
    s.truncated += r.truncated;
    o.onProgress?.(split, s.documents, s.tokens);
  };
  try {
    let batch: string[] = [];
    let seq = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const req = { seq: seq++, texts: batch };
      batch = [];
      if (pool) await pool.submit(req, take);
      else take(encodeBatch(tokenizer, req, maxTokens));
    };
    for await (const d of docs) {
      batch.push(d.text);
      if (batch.length >= 64) await flush();
    }
    await flush();
    await pool?.drain();
    if (s.documents === 0) throw new DataError(`the ${split} split has no documents`, 'the corpus is empty, or the test fraction leaves nothing in one split');
    writer.finish();
  } catch (err) {
    writer.abort();
    throw err;
  }
  s.meanTokens = s.tokens / s.documents;
  s.unknownRate = s.tokens === 0 ? 0 : unknown / s.tokens;
  return s;
}

/**
 * Worker threads tokenizing batches, two batches queued per worker so none waits for the main
 * thread between batches; results are handed back in submission order.
 */
class EncoderPool {
  private readonly workers: Worker[];
  private readonly load: number[];
  private readonly done = new Map<number, EncodeResult>();
  private readonly sinks = new Map<number, (r: EncodeResult) => void>();
  private next = 0;
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private failure: Error | null = null;

  constructor(tokenizer: Tokenizer, maxTokens: number, n: number) {
    const url = new URL('./tokenizeWorker.js', import.meta.url);
    this.workers = Array.from({ length: n }, () => new Worker(url, { workerData: { tokenizerJson: tokenizer.toJSON(), maxTokens } }));
    this.load = this.workers.map(() => 0);
    this.workers.forEach((w, i) => {
      w.on('message', (r: EncodeResult) => {
        this.done.set(r.seq, r);
        this.load[i]!--;
        this.inFlight--;
        while (this.done.has(this.next)) {
          const res = this.done.get(this.next)!;
          this.done.delete(this.next);
          this.sinks.get(this.next)!(res);
          this.sinks.delete(this.next);
          this.next++;
        }
        this.wake();
      });
      w.on('error', (e) => {
        this.failure = e;
        this.wake();
      });
    });
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const f of ws) f();
  }

  private async waitFor(cond: () => boolean): Promise<void> {
    while (!cond()) {
      if (this.failure) throw this.failure;
      await new Promise<void>((res) => this.waiters.push(res));
    }
    if (this.failure) throw this.failure;
  }

  async submit(req: EncodeRequest, sink: (r: EncodeResult) => void): Promise<void> {
    await this.waitFor(() => this.inFlight < 2 * this.workers.length);
    this.sinks.set(req.seq, sink);
    this.inFlight++;
    let best = 0;
    for (let i = 1; i < this.load.length; i++) if (this.load[i]! < this.load[best]!) best = i;
    this.load[best]!++;
    this.workers[best]!.postMessage(req);
  }

  async drain(): Promise<void> {
    await this.waitFor(() => this.inFlight === 0 && this.sinks.size === 0);
    this.next = 0;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
