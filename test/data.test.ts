/** Token store round trip and damage detection; padded and packed batches. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { bitsPerText, firstDocuments, splitTextSize } from '../src/data/store.js';
import {
  StoreWriter, countBatches, documentIds, maxDistinctTokens, numDocuments, packedBatches, paddedBatches, paddingReport, readStore, shiftBatch,
  type TokenSplit,
} from '../src/data/index.js';

const dir = mkdtempSync(join(tmpdir(), 'slm-data-'));
const docs = [[101, 5, 6, 7, 102], [101, 8, 102], [101, 9, 10, 11, 12, 13, 102], [101, 14, 102]];

function writeStore(name: string, vocab: number, items: number[][]): string {
  const p = join(dir, name);
  const w = new StoreWriter(p, vocab);
  for (const d of items) w.add(d);
  w.finish();
  return p;
}

describe('token store', () => {
  test('round trip with uint16 and uint32 ids', () => {
    for (const vocab of [200, 70000]) {
      const items = vocab > 65536 ? [...docs, [101, 69999, 102]] : docs;
      const s = readStore(writeStore(`rt-${vocab}.bin`, vocab, items));
      assert.equal(numDocuments(s), items.length);
      assert.equal(s.vocabSize, vocab);
      assert.equal(s.ids.BYTES_PER_ELEMENT, vocab > 65536 ? 4 : 2);
      items.forEach((d, i) => assert.deepEqual([...documentIds(s, i)], d));
    }
  });
  test('ids outside the vocabulary are refused', () => {
    const w = new StoreWriter(join(dir, 'bad.bin'), 50);
    assert.throws(() => w.add([1, 50]), /token id 50 is outside the vocabulary of 50/);
    w.abort();
    assert.equal(existsSync(join(dir, 'bad.bin')), false);
  });
  test('an unfinished store never appears under its name', () => {
    const w = new StoreWriter(join(dir, 'unfinished.bin'), 50);
    w.add([1, 2]);
    assert.equal(existsSync(join(dir, 'unfinished.bin')), false);
    w.abort();
  });
  test('wrong magic, wrong version and truncation are reported', () => {
    const p = writeStore('ok.bin', 200, docs);
    const bytes = readFileSync(p);
    const magic = Buffer.from(bytes); magic.write('NOTASTOR', 0, 'latin1');
    writeFileSync(join(dir, 'magic.bin'), magic);
    assert.throws(() => readStore(join(dir, 'magic.bin')), /not a slmkit token store/);
    const ver = Buffer.from(bytes); ver.writeUInt32LE(99, 8);
    writeFileSync(join(dir, 'ver.bin'), ver);
    assert.throws(() => readStore(join(dir, 'ver.bin')), /version 99; this slmkit reads versions 1 to 3/);
    writeFileSync(join(dir, 'short.bin'), bytes.subarray(0, bytes.length - 3));
    assert.throws(() => readStore(join(dir, 'short.bin')), /damaged/);
    assert.throws(() => readStore(join(dir, 'missing.bin')), /not found[\s\S]*slm prepare/);
  });
});

describe('token store text sizes (version 2)', () => {
  test('each document keeps the bytes and characters of its text; firstDocuments keeps theirs', () => {
    const p = join(dir, 'sizes.bin');
    const w = new StoreWriter(p, 200);
    docs.forEach((d, i) => w.add(d, 10 + i, 5 + i));
    w.finish();
    const s = readStore(p);
    assert.deepEqual([...s.textBytes!], [10, 11, 12, 13]);
    assert.deepEqual([...s.textChars!], [5, 6, 7, 8]);
    assert.deepEqual(splitTextSize(s), { bytes: 46, chars: 26 });
    assert.deepEqual(splitTextSize(firstDocuments(s, 2)), { bytes: 21, chars: 11 });
    const bits = bitsPerText(46 * Math.LN2, splitTextSize(s));
    assert.ok(Math.abs(bits.bitsPerByte! - 1) < 1e-12 && Math.abs(bits.bitsPerChar! - 46 / 26) < 1e-12);
  });
  test('a version 1 store (no text sizes) still reads, and gives no bits per byte', () => {
    const bytes = readFileSync(writeStore('v2.bin', 200, docs));
    const v1 = Buffer.from(bytes.subarray(0, bytes.length - docs.length * 8));
    v1.writeUInt32LE(1, 8);
    writeFileSync(join(dir, 'v1.bin'), v1);
    const s = readStore(join(dir, 'v1.bin'));
    assert.equal(s.textBytes, undefined);
    assert.deepEqual([...documentIds(s, 2)], docs[2]);
    assert.equal(splitTextSize(s), null);
    assert.deepEqual(bitsPerText(10, null), { bitsPerByte: null, bitsPerChar: null });
  });
});

function split(): TokenSplit {
  return readStore(writeStore('split.bin', 200, docs));
}

describe('padded batches (the notebook\'s way)', () => {
  test('pad to the longest document with 0, mask 1 on real tokens, file order', () => {
    const batches = [...paddedBatches(split(), { batchSize: 3 })];
    assert.equal(batches.length, 2);
    assert.deepEqual(batches[0]!.ids.toArray(), [
      [101, 5, 6, 7, 102, 0, 0], [101, 8, 102, 0, 0, 0, 0], [101, 9, 10, 11, 12, 13, 102]]);
    assert.deepEqual(batches[0]!.mask.toArray(), [[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1]]);
    assert.deepEqual(batches[1]!.ids.toArray(), [[101, 14, 102]]);
    assert.equal(countBatches(split(), { batchSize: 3 }), 2);
  });
  test('shift gives ids[:, :-1], ids[:, 1:], mask[:, 1:] and counts real targets', () => {
    const [b] = [...paddedBatches(split(), { batchSize: 2 })];
    const s = shiftBatch(b!);
    assert.deepEqual(s.inputs.toArray(), [[101, 5, 6, 7], [101, 8, 102, 0]]);
    assert.deepEqual(s.targets.toArray(), [[5, 6, 7, 102], [8, 102, 0, 0]]);
    assert.deepEqual(s.mask.toArray(), [[1, 1, 1, 1], [1, 1, 0, 0]]);
    assert.deepEqual(s.inputMask.toArray(), [[1, 1, 1, 1], [1, 1, 1, 0]]);
    assert.equal(s.tokens, 6);
  });
  test('shuffling is seeded, differs per epoch, and keeps every document', () => {
    const s = split();
    const firsts = (seed: number, epoch: number) => [...paddedBatches(s, { batchSize: 1, shuffle: true, seed, epoch })].map((b) => b.ids.data[1]);
    assert.deepEqual(firsts(1, 0), firsts(1, 0));
    assert.deepEqual([...firsts(1, 0)].sort(), [14, 5, 8, 9].sort());
    const orders = new Set([0, 1, 2, 3, 4, 5].map((e) => firsts(1, e).join()));
    assert.ok(orders.size > 1, 'epochs should not all share one order');
  });
  test('maxLen cuts documents', () => {
    const [b] = [...paddedBatches(split(), { batchSize: 4, maxLen: 4 })];
    assert.deepEqual(b!.ids.shape, [4, 4]);
  });
  test('padding report counts computed positions and real targets', () => {
    const r = paddingReport(split(), { batchSize: 3, mode: 'padded' });
    // batch 1: T=7 → 3×6 positions, targets 4+2+6; batch 2: 1×2, targets 2
    assert.equal(r.positions, 20);
    assert.equal(r.tokens, 14);
    assert.ok(Math.abs(r.paddingShare - 6 / 20) < 1e-12);
  });
  test('maxDistinctTokens counts the table rows a group of documents touches', () => {
    // docs 0+1: {101,5,6,7,102,8} = 6; docs 2+3: {101,9..13,102,14} = 8; all four: {101,102,5..14} = 12; one at a time: 7
    assert.equal(maxDistinctTokens(split(), 2), 8);
    assert.equal(maxDistinctTokens(split(), 4), 12);
    assert.equal(maxDistinctTokens(split(), 1), 7);
  });
});

describe('packed batches', () => {
  test('rows overlap by one so every token after the first is a target once', () => {
    const s = split();
    const rows = [...packedBatches(s, { batchSize: 2, blockSize: 5 })];
    const targets: number[] = [];
    for (const b of rows) {
      const st = shiftBatch(b);
      st.targets.data.forEach((t, i) => { if (st.mask.data[i]) targets.push(t); });
    }
    assert.deepEqual(targets, [...s.ids].slice(1));
    const r = paddingReport(s, { batchSize: 2, mode: 'packed', blockSize: 5 });
    assert.equal(r.tokens, s.ids.length - 1);
    assert.equal(r.positions, countBatches(s, { batchSize: 1, mode: 'packed', blockSize: 5 }) * 4);
  });
});

describe('prefetching in a worker thread', () => {
  test('yields exactly the batches of the synchronous generators, per epoch and from a start batch', async () => {
    const { BatchPrefetcher } = await import('../src/data/prefetch.js');
    const many = Array.from({ length: 23 }, (_, i) => [101, ...Array.from({ length: 1 + (i * 7) % 11 }, (_, j) => 1 + ((i + j) % 150)), 102]);
    const s = readStore(writeStore('prefetch.bin', 200, many));
    for (const mode of ['padded', 'packed'] as const) {
      const p = new BatchPrefetcher(s, { batchSize: 4, shuffle: true, seed: 5, mode, blockSize: 6 });
      try {
        for (const [epoch, start] of [[0, 0], [1, 0], [2, 3]] as const) {
          const want = mode === 'packed'
            ? [...packedBatches(s, { batchSize: 4, shuffle: true, seed: 5, epoch, startBatch: start, blockSize: 6 })]
            : [...paddedBatches(s, { batchSize: 4, shuffle: true, seed: 5, epoch, startBatch: start })];
          const got = [];
          for await (const b of p.epoch(epoch, start)) got.push(b);
          assert.equal(got.length, want.length, `${mode} epoch ${epoch}`);
          got.forEach((b, i) => {
            assert.deepEqual(b.ids.toArray(), want[i]!.ids.toArray());
            assert.deepEqual(b.mask.toArray(), want[i]!.mask.toArray());
          });
        }
        // Leaving an epoch early and starting the next still gives the right batches.
        for await (const _ of p.epoch(3)) break;
        const first = (await p.epoch(4).next()).value!;
        const want = mode === 'packed'
          ? packedBatches(s, { batchSize: 4, shuffle: true, seed: 5, epoch: 4, blockSize: 6 }).next().value!
          : paddedBatches(s, { batchSize: 4, shuffle: true, seed: 5, epoch: 4 }).next().value!;
        assert.deepEqual(first.ids.toArray(), want.ids.toArray());
      } finally {
        await p.close();
      }
    }
  });
});
