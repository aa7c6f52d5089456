/**
 * Property and fuzz tests of the token store (data/store.ts): any documents round trip; random
 * bytes, truncations and flipped bytes fail with a DataError or read as a store whose every id is
 * inside the vocabulary and whose offsets are in order — never another error, never ids that would
 * index past an embedding table; in a store with checksums (version 3), a flipped byte is always
 * reported.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { readStore, StoreWriter, type TokenSplit } from '../src/data/store.js';
import { edits, fuzz, mutate, scratch, typedOrValue } from './helpers/fuzz.js';

const dir = scratch('store');

const storeInput = fc.integer({ min: 1, max: 70000 }).chain((vocab) => fc.record({
  vocab: fc.constant(vocab),
  docs: fc.array(fc.record({
    ids: fc.array(fc.integer({ min: 0, max: vocab - 1 }), { maxLength: 20 }),
    bytes: fc.nat(),
    chars: fc.nat(),
  }), { minLength: 1, maxLength: 12 }),
}));

function writeStore(path: string, vocab: number, docs: { ids: number[]; bytes: number; chars: number }[]): void {
  const w = new StoreWriter(path, vocab);
  for (const d of docs) w.add(d.ids, d.bytes, d.chars);
  w.finish();
}

/** A store's reads are safe to use: offsets in order and ending at the ids' end, every id in the vocabulary. */
function assertUsable(s: TokenSplit): void {
  assert.equal(s.offsets[0], 0, 'offsets start at 0');
  for (let i = 1; i < s.offsets.length; i++) assert.ok(s.offsets[i]! >= s.offsets[i - 1]!, 'offsets in order');
  assert.equal(s.offsets[s.offsets.length - 1], s.ids.length);
  for (const id of s.ids) assert.ok(id < s.vocabSize, `id ${id} outside the vocabulary of ${s.vocabSize}`);
}

describe('token store: properties', () => {
  test('any documents round trip', async () => {
    await fuzz('store round trip', storeInput, ({ vocab, docs }) => {
      const p = join(dir, 'rt.bin');
      writeStore(p, vocab, docs);
      const s = readStore(p);
      assert.equal(s.vocabSize, vocab);
      assert.equal(s.offsets.length, docs.length + 1);
      docs.forEach((d, i) => {
        assert.deepEqual([...s.ids.subarray(s.offsets[i]!, s.offsets[i + 1]!)], d.ids);
        assert.equal(s.textBytes![i], d.bytes >>> 0);
        assert.equal(s.textChars![i], d.chars >>> 0);
      });
    }, { quick: 80 });
  });

  test('random bytes, truncations and flipped bytes give a DataError or a usable store', async () => {
    const p = join(dir, 'base.bin');
    writeStore(p, 300, [{ ids: [1, 2, 299, 4], bytes: 9, chars: 9 }, { ids: [], bytes: 0, chars: 0 }, { ids: [5, 6], bytes: 3, chars: 2 }]);
    const base = readFileSync(p);
    const damaged = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.nat({ max: base.length - 1 }).map((n) => base.subarray(0, n)),
      edits.map((e) => mutate(base, e)),
    );
    const q = join(dir, 'bad.bin');
    await fuzz('store damaged bytes', damaged, async (bytes) => {
      writeFileSync(q, bytes);
      const s = await typedOrValue(() => readStore(q));
      if (s) assertUsable(s);
    }, { quick: 300 });
  });
});
