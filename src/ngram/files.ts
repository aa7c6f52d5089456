/**
 * N-gram models on disk: `model.ngram` in a run folder (format.ts), written atomically, read in
 * one piece into an 8-byte-aligned buffer so the trie's arrays are views into it, not copies.
 * The only part of src/ngram/ that touches the file system.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { decodeNgramModel, encodeNgramModel, NgramFormatError } from './format.js';
import type { NgramModel } from './model.js';

/** The model file's name inside a run folder. */
export const NGRAM_FILE = 'model.ngram';

export function saveNgramModel(path: string, model: NgramModel): number {
  const chunks = encodeNgramModel(model);
  writeFileAtomic(path, chunks);
  return chunks.reduce((n, c) => n + c.length, 0);
}

export function loadNgramModel(path: string): NgramModel {
  if (!existsSync(path)) throw new NgramFormatError(`n-gram model not found: ${path}`, 'train one with slm train --model ngram --out DIR');
  const size = statSync(path).size;
  const bytes = new Uint8Array(new ArrayBuffer(size));
  const fd = openSync(path, 'r');
  try {
    let off = 0;
    while (off < size) {
      const n = readSync(fd, bytes, off, Math.min(size - off, 1 << 30), off);
      if (n === 0) break;
      off += n;
    }
  } finally {
    closeSync(fd);
  }
  return decodeNgramModel(bytes, path);
}

/** Saves into a run folder; returns the file's size in bytes. */
export function saveNgramRun(dir: string, model: NgramModel): number {
  return saveNgramModel(join(dir, NGRAM_FILE), model);
}
