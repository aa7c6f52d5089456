/**
 * A tiny corpus and BERT-style vocabulary written to a temp folder, so training tests run in
 * seconds: sentences over a 40-word vocabulary with a strong bigram pattern a model can learn.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStore, type OpenedData } from '../../src/data/open.js';
import { prepare } from '../../src/data/prepare.js';
import { loadTokenizer } from '../../src/io/tokenizerFiles.js';
import { Rng } from '../../src/tensor/rng.js';

export const words = ['the', 'cat', 'dog', 'sat', 'ran', 'on', 'mat', 'log', 'and', 'then', 'a', 'big', 'small', 'red', 'blue',
  'bird', 'flew', 'over', 'house', 'tree', 'under', 'sun', 'moon', 'star', 'fish', 'swam', 'in', 'sea', 'lake', 'river'];

export interface TinyCorpus {
  dir: string;
  vocabPath: string;
  vocabSize: number;
}

export function makeTinyCorpus(docsTrain = 120, docsTest = 20, seed = 3): TinyCorpus {
  const dir = mkdtempSync(join(tmpdir(), 'slm-tiny-'));
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '.', ',', ...words];
  const vocabPath = join(dir, 'vocab.txt');
  writeFileSync(vocabPath, vocab.join('\n') + '\n');
  const rng = new Rng(seed);
  const sentence = () => {
    // word i is usually followed by word i+1: a pattern a bigram model learns quickly.
    let i = rng.int(words.length);
    const out: string[] = [];
    const n = 3 + rng.int(12);
    for (let k = 0; k < n; k++) {
      out.push(words[i]!);
      i = rng.uniform() < 0.8 ? (i + 1) % words.length : rng.int(words.length);
    }
    return out.join(' ') + ' .';
  };
  const lines = (n: number) => Array.from({ length: n }, () => sentence()).join('\n') + '\n';
  writeFileSync(join(dir, 'train.txt'), lines(docsTrain));
  writeFileSync(join(dir, 'test.txt'), lines(docsTest));
  return { dir, vocabPath, vocabSize: vocab.length };
}

/** The tiny corpus prepared once into a token store inside its folder (cached per corpus). */
const stores = new Map<TinyCorpus, Promise<OpenedData>>();
export function tinyStore(tiny: TinyCorpus): Promise<OpenedData> {
  let s = stores.get(tiny);
  if (!s) {
    s = (async () => {
      const tokenizer = await loadTokenizer(tiny.vocabPath, { lowercase: true });
      const out = join(tiny.dir, 'store');
      await prepare({ corpus: { input: tiny.dir }, tokenizer, tokenizerId: 'tiny', out, workers: 1 });
      return loadStore(out);
    })();
    stores.set(tiny, s);
  }
  return s;
}
