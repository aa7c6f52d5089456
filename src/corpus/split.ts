/**
 * A corpus as train and test splits. A directory holding `train.txt` and `test.txt` (or
 * `train.txt.gz` and `test.txt.gz`) is used as it is (the notebook's layout). A text file whose
 * format is not given is read as the notebook's CSV-quoted lines or as plain lines, whichever its
 * first lines show (sniff.ts), and the corpus says which. A single file is split by a seeded shuffle of document indices:
 * one counting pass, then `round(n * testFraction)` documents of a seeded permutation go to test.
 * Only a byte per document is kept in memory, so corpora larger than memory stream through.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Rng } from '../tensor/rng.js';
import { DataError } from './errors.js';
import { type CorpusFormat, type Doc, guessFormat, readDocuments } from './readers.js';
import { describeReading, sniffReading } from './sniff.js';

export type Split = 'train' | 'test';

export interface CorpusOptions {
  /** A file, or a directory holding train.txt and test.txt. */
  input: string;
  /** File format; `dir` for the train.txt/test.txt layout. Guessed from the path when omitted. */
  format?: CorpusFormat | 'dir';
  /** Column (csv) or field (jsonl) with the text. */
  column?: string;
  /** Share of documents held out for test when splitting one file (default 0.1). */
  testFraction?: number;
  /** Seed of the split's shuffle (default 42). */
  seed?: number;
}

export interface Corpus {
  /** Human-readable description of where each split comes from. */
  readonly source: string;
  /** The files read (for hashing inputs in manifests). */
  readonly files: string[];
  /** How each text file is read when the format was chosen here, one line per file, for people. */
  readonly readings: string[];
  documents(split: Split): AsyncGenerator<Doc>;
}

export async function openCorpus(opts: CorpusOptions): Promise<Corpus> {
  const input = opts.input;
  if (!existsSync(input)) throw new DataError(`input not found: ${input}`, 'give a corpus file or a folder holding train.txt and test.txt');
  const isDir = statSync(input).isDirectory();
  const format = opts.format ?? (isDir ? 'dir' : guessFormat(input));
  if (format === 'dir' || isDir) {
    if (!isDir) throw new DataError(`--format dir needs a folder, but ${input} is a file`);
    const files = { train: splitFile(input, 'train'), test: splitFile(input, 'test') };
    const formats: Record<Split, CorpusFormat> = { train: 'notebook', test: 'notebook' };
    const readings: string[] = [];
    for (const split of ['train', 'test'] as const) {
      if (format !== 'dir') formats[split] = format;
      else {
        const r = await sniffReading(files[split]);
        formats[split] = r.format;
        readings.push(describeReading(basename(files[split]), r));
      }
    }
    return {
      source: `${files.train} and ${files.test}`,
      files: [files.train, files.test],
      readings,
      documents: (split) => readDocuments(files[split], { format: formats[split], column: opts.column }),
    };
  }
  const testFraction = opts.testFraction ?? 0.1;
  if (!(testFraction >= 0 && testFraction < 1)) throw new DataError(`test fraction must be in [0, 1), got ${testFraction}`);
  const seed = opts.seed ?? 42;
  let fileFormat = format;
  const readings: string[] = [];
  if (opts.format === undefined && format === 'notebook') {
    const r = await sniffReading(input);
    fileFormat = r.format;
    readings.push(describeReading(basename(input), r));
  }
  const read = (): AsyncGenerator<Doc> => readDocuments(input, { format: fileFormat, column: opts.column });
  let isTest: Uint8Array | null = null;
  const membership = async (): Promise<Uint8Array> => {
    if (isTest) return isTest;
    let n = 0;
    for await (const _ of read()) n++;
    if (n === 0) throw new DataError(`${input} holds no documents`, 'a corpus needs at least one non-empty document');
    isTest = testMembership(n, testFraction, seed);
    return isTest;
  };
  return {
    source: `${input} split ${Math.round((1 - testFraction) * 100)}/${Math.round(testFraction * 100)} with seed ${seed}`,
    files: [input],
    readings,
    documents: async function* (split) {
      const member = await membership();
      let i = 0;
      for await (const d of read()) {
        if ((member[i++] === 1) === (split === 'test')) yield d;
      }
    },
  };
}

/** DIR/NAME.txt, or DIR/NAME.txt.gz when only that exists. */
function splitFile(dir: string, name: Split): string {
  const plain = join(dir, `${name}.txt`);
  const gz = `${plain}.gz`;
  if (existsSync(plain) && existsSync(gz)) {
    throw new DataError(`${dir} holds both ${name}.txt and ${name}.txt.gz`, 'keep one of them, so it is clear which is read');
  }
  if (existsSync(plain)) return plain;
  if (existsSync(gz)) return gz;
  throw new DataError(`${dir} has no ${name}.txt`,
    'a corpus folder holds train.txt and test.txt (or train.txt.gz and test.txt.gz), one document per line; or give a single file to split');
}

/** 1 for the documents that go to test: the first round(n * fraction) of a seeded permutation. */
export function testMembership(n: number, fraction: number, seed: number): Uint8Array {
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  new Rng(seed).shuffle(perm);
  const member = new Uint8Array(n);
  const nTest = Math.round(n * fraction);
  for (let i = 0; i < nTest; i++) member[perm[i]!] = 1;
  return member;
}
