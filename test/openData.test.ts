/**
 * openData as a library user calls it: the built-in corpus path that slmkit/node exports, and a
 * tokenizer trained on the training split (a trainer function instead of a tokenizer), which is
 * called once and then reused from the cache while the corpus is unchanged.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { builtinCorpus, openData } from '../src/data/open.js';
import { documentIds, numDocuments } from '../src/data/split.js';
import { trainWordPiece } from '../src/tokenizer/train/index.js';
import type { Tokenizer } from '../src/tokenizer/types.js';

describe('openData', () => {
  let work = '';
  const cache = process.env.SLM_CACHE;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'slm-open-'));
    process.env.SLM_CACHE = join(work, 'cache');
  });
  after(() => {
    if (cache === undefined) delete process.env.SLM_CACHE;
    else process.env.SLM_CACHE = cache;
    rmSync(work, { recursive: true, force: true });
  });

  test('builtinCorpus names the shipped PubMed sample', () => {
    assert.ok(existsSync(join(builtinCorpus, 'train.txt.gz')) && existsSync(join(builtinCorpus, 'test.txt.gz')), builtinCorpus);
  });

  test('a tokenizer trainer is trained on the training split once, then the cached store is reused', async () => {
    const corpus = join(work, 'corpus');
    mkdirSync(corpus);
    const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
    const line = (i: number) => Array.from({ length: 12 }, (_, j) => words[(i * 3 + j * 5) % words.length]).join(' ');
    writeFileSync(join(corpus, 'train.txt'), `${Array.from({ length: 40 }, (_, i) => line(i)).join('\n')}\n`);
    writeFileSync(join(corpus, 'test.txt'), 'alpha beta omega\n');
    let calls = 0;
    let seen = 0;
    const trainer = async (texts: () => AsyncIterable<string>): Promise<Tokenizer> => {
      calls++;
      const all: string[] = [];
      for await (const t of texts()) all.push(t);
      seen = all.length;
      return trainWordPiece(all, { vocabSize: 60, lowercase: true });
    };
    const first = await openData(corpus, { format: 'lines', tokenizer: { tokenizer: trainer, id: 'wordpiece:60 lowercase' } });
    assert.equal(calls, 1);
    assert.equal(seen, 40, 'trained on the training split only');
    assert.equal(first.train.vocabSize, first.tokenizer.vocabSize);
    assert.ok(first.tokenizer.vocabSize <= 60);
    assert.equal(numDocuments(first.train), 40);
    const again = await openData(corpus, { format: 'lines', tokenizer: { tokenizer: trainer, id: 'wordpiece:60 lowercase' } });
    assert.equal(calls, 1, 'the cached store is reused without training again');
    assert.equal(again.dir, first.dir);
    assert.deepEqual([...documentIds(again.test, 0)], [...documentIds(first.test, 0)]);
    assert.equal(first.tokenizer.decode(documentIds(first.test, 0)).includes('alpha beta'), true);
  });
});
