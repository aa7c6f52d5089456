/**
 * `prepare`: corpus → tokenizer → token store, once. Reads the corpus as a stream, tokenizes on
 * every core (worker threads, results written in document order), writes DIR/train.bin,
 * DIR/test.bin, DIR/tokenizer.json and DIR/manifest.json, each atomically. The manifest records
 * the inputs' sizes and SHA-256 and every option; a second call with the same inputs and options
 * reuses the store instead of tokenizing again. A store prepared from other inputs or with other
 * options is never replaced silently (runs trained from it would no longer fit it): that takes
 * `replace` (slm prepare --force), except for an older store format, which is rebuilt as it was.
 *
 * Crash safety: the folder is locked while it is written (io/lock.ts: a second prepare into it is
 * refused). manifest.json is the commit record: it is removed before anything else is written and
 * written last, with the size and CRC-32 of train.bin, test.bin and tokenizer.json, so a prepare
 * killed at any point leaves a folder without a manifest — an incomplete store that is never used
 * (loadStore refuses it, naming what is missing) and that the next prepare builds again — and a
 * store whose files do not match their manifest is reported, not used.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { openCorpus, type CorpusOptions, type Split } from '../corpus/split.js';
import { DataError } from '../corpus/errors.js';
import { fsyncDir, removeStaleTemps, writeFailure, writeFileAtomic } from '../io/atomic.js';
import { crc32, crc32Hex } from '../io/checksum.js';
import { LockBusy, tryLockFolder } from '../io/lock.js';
import { SlmError } from '../tensor/errors.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { encodeBatch, type EncodeRequest, type EncodeResult } from './encodeBatch.js';
import { readStoreChecksum, StoreWriter } from './store.js';

/** Version 3: the manifest records each file's size and CRC-32 (version 2 stores are read unchecked, and rebuilt by prepare). */
export const MANIFEST_VERSION = 3;

/** The files of a store; manifest.json is written last. */
export const STORE_FILES = ['train.bin', 'test.bin', 'tokenizer.json', 'manifest.json'] as const;

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
  /** Set when the folder held an incomplete or damaged store (an interrupted prepare), now rebuilt: what was wrong. */
  rebuilt?: string;
}

/** What the manifest records of each file (version 3). */
export interface StoreFileRecord { bytes: number; crc32: string }

export interface Manifest {
  slmkitStore: number;
  inputs: { path: string; bytes: number; sha256: string }[];
  options: Record<string, unknown>;
  vocabSize: number;
  stats: { train: SplitStats; test: SplitStats };
  readings?: string[];
  /** Version 3: size and CRC-32 of train.bin, test.bin and tokenizer.json. */
  files?: Record<string, StoreFileRecord>;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The manifest of the store in `dir`, or null when there is none or it cannot be read as one. */
export function readManifest(dir: string): Manifest | null {
  let m: unknown;
  try {
    m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  } catch {
    return null;
  }
  // Every field the code reads is checked, so a damaged manifest is "unreadable", never a crash.
  if (!isObj(m) || typeof m.slmkitStore !== 'number' || !Array.isArray(m.inputs) || !isObj(m.options) || !Number.isInteger(m.vocabSize)
    || !isObj(m.stats) || !isObj(m.stats.train) || !isObj(m.stats.test)
    || !m.inputs.every((i) => isObj(i) && typeof i.path === 'string')
    || (m.readings !== undefined && !(Array.isArray(m.readings) && m.readings.every((r) => typeof r === 'string')))
    || (m.files !== undefined && !(isObj(m.files) && Object.values(m.files).every((f) => isObj(f) && typeof f.bytes === 'number' && typeof f.crc32 === 'string')))) {
    return null;
  }
  return m as unknown as Manifest;
}

/**
 * Checks a store's files against its manifest (version 3) without reading them whole: sizes, the
 * CRC-32 each store file's header records (readStore verifies the contents against it), and
 * tokenizer.json's CRC-32. Returns what is wrong, or null when they match (or the manifest is too old to say).
 */
export function checkStoreFiles(dir: string, m: Manifest): string | null {
  if (!m.files) return null;
  for (const name of ['train.bin', 'test.bin', 'tokenizer.json']) {
    const rec = m.files[name];
    const path = join(dir, name);
    if (!rec) return `manifest.json has no record of ${name}`;
    if (!existsSync(path)) return `${name} is missing`;
    if (name.endsWith('.bin')) {
      const h = readStoreChecksum(path);
      if (!h) return `${name} is not a token store file`;
      if (h.bytes !== rec.bytes || h.checksum !== rec.crc32) {
        return `${name} (${h.bytes} bytes, CRC-32 ${String(h.checksum)}) is not the file manifest.json records (${rec.bytes} bytes, CRC-32 ${rec.crc32})`;
      }
    } else {
      const bytes = readFileSync(path);
      const crc = crc32Hex(crc32(bytes));
      if (bytes.length !== rec.bytes || crc !== rec.crc32) return `${name} does not match manifest.json (CRC-32 ${crc}, recorded ${rec.crc32})`;
    }
  }
  return null;
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
  mkdirSync(o.out, { recursive: true });
  const lock = tryLockFolder(o.out, 'token store');
  if (lock instanceof LockBusy) throw new DataError(lock.why, lock.hint);
  try {
    return await prepareLocked(o, t0, maxTokens, corpus, inputs, options, manifestPath);
  } finally {
    lock.release();
  }
}

async function prepareLocked(o: PrepareOptions, t0: number, maxTokens: number, corpus: Awaited<ReturnType<typeof openCorpus>>,
  inputs: Manifest['inputs'], options: Record<string, unknown>, manifestPath: string): Promise<PrepareReport> {
  removeStaleTemps(o.out, STORE_FILES);
  const hasBins = existsSync(join(o.out, 'train.bin')) || existsSync(join(o.out, 'test.bin'));
  const hasManifest = existsSync(manifestPath);
  const old = hasBins || hasManifest ? readManifest(o.out) : null;
  const same = old !== null && JSON.stringify(old.inputs) === JSON.stringify(inputs) && JSON.stringify(old.options) === JSON.stringify(options);
  // A store whose manifest is missing was never finished (the manifest is written last): rebuild it.
  let rebuilt = hasBins && !hasManifest ? 'an incomplete store (no manifest.json: an earlier prepare was interrupted)' : undefined;
  if (same && old.slmkitStore === MANIFEST_VERSION) {
    const wrong = checkStoreFiles(o.out, old);
    if (wrong === null && !o.force) {
      return {
        out: o.out, reused: true, vocabSize: old.vocabSize, seconds: (performance.now() - t0) / 1000, ...old.stats, readings: old.readings ?? [],
      };
    }
    if (wrong !== null) rebuilt = `a damaged store (${wrong})`;
  }
  let replaced: string | undefined;
  if (hasBins && hasManifest && !same) {
    const was = old ? describeManifest(old) : 'a store without a readable manifest.json';
    if (!o.replace) {
      throw new DataError(`${o.out} already holds a token store prepared with other options or inputs (${was})`,
        'runs trained from it need it as it is: choose another --out, or pass --force to replace it');
    }
    replaced = was;
  }
  // From here until the new manifest lands, the folder is not a usable store.
  try { unlinkSync(manifestPath); } catch { /* none */ }
  fsyncDir(o.out);
  try {
    return await writeStore(o, t0, maxTokens, corpus, inputs, options, manifestPath, replaced, rebuilt);
  } catch (err) {
    if (err instanceof SlmError) throw err;
    const w = writeFailure(err, o.out);
    if (!w) throw err;
    throw new DataError(`${w.message}; the store in ${o.out} is incomplete and will not be used`, w.hint);
  }
}

async function writeStore(o: PrepareOptions, t0: number, maxTokens: number, corpus: Awaited<ReturnType<typeof openCorpus>>,
  inputs: Manifest['inputs'], options: Record<string, unknown>, manifestPath: string, replaced: string | undefined,
  rebuilt: string | undefined): Promise<PrepareReport> {
  const tokenizer = typeof o.tokenizer === 'function'
    ? await o.tokenizer(async function* () { for await (const d of corpus.documents('train')) yield d.text; })
    : o.tokenizer;
  const workers = Math.max(1, o.workers ?? availableParallelism());
  const pool = workers > 1 ? new EncoderPool(tokenizer, maxTokens, workers) : null;
  try {
    const stats: Partial<Record<Split, SplitStats>> = {};
    const files: Record<string, StoreFileRecord> = {};
    for (const split of ['train', 'test'] as const) {
      const r = await prepareSplit(corpus.documents(split), tokenizer, o, split, maxTokens, pool);
      stats[split] = r.stats;
      files[`${split}.bin`] = r.file;
    }
    const tokText = Buffer.from(`${JSON.stringify(tokenizer.toJSON(), null, 2)}\n`, 'utf8');
    writeFileAtomic(join(o.out, 'tokenizer.json'), tokText);
    files['tokenizer.json'] = { bytes: tokText.length, crc32: crc32Hex(crc32(tokText)) };
    const manifest: Manifest = {
      slmkitStore: MANIFEST_VERSION, inputs, options, vocabSize: tokenizer.vocabSize,
      stats: { train: stats.train!, test: stats.test! }, readings: corpus.readings, files,
    };
    writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`); // the commit
    return {
      out: o.out, reused: false, vocabSize: tokenizer.vocabSize, seconds: (performance.now() - t0) / 1000, ...manifest.stats,
      readings: corpus.readings, ...(replaced !== undefined ? { replaced } : {}), ...(rebuilt !== undefined ? { rebuilt } : {}),
    };
  } finally {
    await pool?.close();
  }
}

async function prepareSplit(docs: AsyncIterable<{ text: string }>, tokenizer: Tokenizer, o: PrepareOptions, split: Split,
  maxTokens: number, pool: EncoderPool | null): Promise<{ stats: SplitStats; file: StoreFileRecord }> {
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
  return { stats: s, file: { bytes: statSync(writer.path).size, crc32: writer.checksum } };
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
