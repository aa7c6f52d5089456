/**
 * Property and fuzz tests of the safetensors codec, on bytes (formats/safetensors.ts) and on files
 * (io/safetensors.ts): any set of tensors round trips, whatever its names; random and mutated
 * headers, offsets and data never read outside the file, never allocate more than it could hold,
 * and fail only with a CheckpointError; in a file slmkit wrote, no flipped byte goes unnoticed.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeSafetensors, safetensorsBytes } from '../src/formats/safetensors.js';
import { loadSafetensors, saveSafetensors } from '../src/io/safetensors.js';
import { CheckpointError } from '../src/tensor/errors.js';
import { Tensor } from '../src/tensor/tensor.js';
import { edits, fuzz, mutate, scratch, typedOrValue } from './helpers/fuzz.js';

const dir = scratch('st');

/** Names that have tripped up JavaScript objects, and arbitrary ones. */
const tensorName = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', '__metadata__x', 'a.b.c', 'é', ''),
  fc.string({ minLength: 1, maxLength: 10, unit: 'binary' }),
);

interface Spec { name: string; dtype: 'float32' | 'int32'; shape: number[]; seed: number }

const tensorSpec = fc.record({
  name: tensorName,
  dtype: fc.constantFrom('float32' as const, 'int32' as const),
  shape: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
  seed: fc.integer(),
});

function makeTensor(s: Spec): Tensor {
  const n = s.shape.reduce((a, b) => a * b, 1);
  const bits = new Int32Array(n);
  let x = s.seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5; // any bit pattern, NaN payloads included
    bits[i] = x;
  }
  return s.dtype === 'int32' ? new Tensor(bits, s.shape) : new Tensor(new Float32Array(bits.buffer), s.shape);
}

function bytesOf(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

const tensorSet = fc.uniqueArray(tensorSpec, { selector: (s) => s.name, maxLength: 5 })
  .map((specs) => Object.fromEntries(specs.map((s) => [s.name, makeTensor(s)])) as Record<string, Tensor>);
const metadata = fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 });

function assertSameTensors(got: Record<string, Tensor>, want: Record<string, Tensor>): void {
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
  for (const [name, t] of Object.entries(want)) {
    const g = got[name]!;
    assert.equal(g.dtype, t.dtype, name);
    assert.deepEqual(g.shape, t.shape, name);
    assert.deepEqual(bytesOf(g), bytesOf(t), name);
  }
}

/** Bytes the decoded tensors hold: at most twice the data section (F16/BF16 widen to float32). */
function heldBytes(tensors: Record<string, Tensor>): number {
  return Object.values(tensors).reduce((a, t) => a + t.data.byteLength, 0);
}

describe('safetensors: properties', () => {
  test('any set of tensors and metadata round trips, on bytes and through a file', async () => {
    let k = 0;
    await fuzz('safetensors round trip', fc.tuple(tensorSet, metadata), ([tensors, meta]) => {
      const viaBytes = decodeSafetensors(safetensorsBytes(tensors, meta));
      assertSameTensors(viaBytes.tensors, tensors);
      const p = join(dir, `rt-${k++ % 4}.safetensors`);
      saveSafetensors(p, tensors, meta);
      const viaFile = loadSafetensors(p);
      assertSameTensors(viaFile.tensors, tensors);
      for (const [key, v] of Object.entries(meta)) assert.equal(viaFile.metadata[key], v);
    }, { quick: 60 });
  });

  test('random bytes fail with a CheckpointError, never another error, and hold no more than the input', async () => {
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      // A plausible header length followed by random bytes, so the JSON parser is reached.
      fc.tuple(fc.integer({ min: 0, max: 150 }), fc.uint8Array({ maxLength: 200 })).map(([n, rest]) => {
        const b = new Uint8Array(8 + rest.length);
        new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
        b.set(rest, 8);
        return b;
      }),
    );
    await fuzz('safetensors random bytes', input, async (bytes) => {
      const r = await typedOrValue(() => decodeSafetensors(bytes));
      if (r) assert.ok(heldBytes(r.tensors) <= 2 * bytes.length, 'decoded more than the input holds');
    }, { quick: 300 });
  });

  test('random headers (shapes, dtypes, offsets, metadata) never read outside the data or allocate past it', async () => {
    const entry = fc.record({
      dtype: fc.constantFrom('F32', 'I32', 'F16', 'BF16', 'U8', 'F64', 'x', ''),
      shape: fc.oneof(fc.array(fc.oneof(fc.integer({ min: -2, max: 9 }), fc.constant(2 ** 40), fc.double()), { maxLength: 3 }), fc.anything()),
      data_offsets: fc.oneof(fc.tuple(fc.integer({ min: -4, max: 80 }), fc.integer({ min: -4, max: 80 })), fc.anything()),
    }, { requiredKeys: [] });
    const header = fc.dictionary(fc.oneof(tensorName, fc.constant('__metadata__')), fc.oneof(entry, fc.anything()), { maxKeys: 4 });
    await fuzz('safetensors random headers', fc.tuple(header, fc.uint8Array({ maxLength: 64 })), async ([h, data]) => {
      const json = new TextEncoder().encode(JSON.stringify(h));
      const bytes = new Uint8Array(8 + json.length + data.length);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
      bytes.set(json, 8);
      bytes.set(data, 8 + json.length);
      const r = await typedOrValue(() => decodeSafetensors(bytes));
      if (r) assert.ok(heldBytes(r.tensors) <= 2 * data.length, 'decoded more than the data section holds');
      const p = join(dir, 'hdr.safetensors');
      writeFileSync(p, bytes);
      const f = await typedOrValue(() => loadSafetensors(p));
      assert.equal(f === undefined, r === undefined, 'file and bytes readers agree on what is valid');
    }, { quick: 300 });
  });

  test('mutated files fail with a CheckpointError or read as tensors that fit the file', async () => {
    const t = { 'layer.weight': makeTensor({ name: '', dtype: 'float32', shape: [3, 4], seed: 7 }), ids: makeTensor({ name: '', dtype: 'int32', shape: [5], seed: 9 }) };
    const p = join(dir, 'orig.safetensors');
    saveSafetensors(p, t, { step: '12', lr: '0.001' });
    const orig = readFileSync(p);
    await fuzz('safetensors mutated file', edits, async (e) => {
      const bad = mutate(orig, e);
      const q = join(dir, 'mut.safetensors');
      writeFileSync(q, bad);
      const r = await typedOrValue(() => loadSafetensors(q));
      if (r) assert.ok(heldBytes(r.tensors) <= 2 * bad.length);
    }, { quick: 200 });
  });

  test('a file slmkit wrote (with checksums): every flipped byte is reported, or changes nothing read', async () => {
    const t = { 'layer.weight': makeTensor({ name: '', dtype: 'float32', shape: [3, 4], seed: 7 }), ids: makeTensor({ name: '', dtype: 'int32', shape: [5], seed: 9 }) };
    const p = join(dir, 'sum.safetensors');
    saveSafetensors(p, t, { step: '12', lr: '0.001' });
    const orig = readFileSync(p);
    const want = loadSafetensors(p);
    assert.equal(want.checksums, 'verified');
    assert.deepEqual(want.metadata, { step: '12', lr: '0.001' }, 'checksum keys are not returned');
    let silent = 0;
    await fuzz('safetensors checksummed file: flipped bytes', edits, async (e) => {
      const bad = mutate(orig, e);
      const q = join(dir, 'sum-mut.safetensors');
      writeFileSync(q, bad);
      for (const read of [() => loadSafetensors(q), () => decodeSafetensors(bad)]) {
        const r = await typedOrValue(read);
        if (!r) continue;
        // Read without error: only a change that means nothing (JSON whitespace) may pass.
        assertSameTensors(r.tensors, t);
        assert.deepEqual(r.metadata, want.metadata);
        silent++;
      }
    }, { quick: 300 });
    assert.ok(silent < 300, 'most flips are reported');
  });

  test('a header that declares more data than the file holds is refused before anything is allocated', () => {
    const json = new TextEncoder().encode(JSON.stringify({ w: { dtype: 'F32', shape: [2 ** 20, 2 ** 20], data_offsets: [0, 2 ** 42] } }));
    const bytes = new Uint8Array(8 + json.length + 16);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
    bytes.set(json, 8);
    assert.throws(() => decodeSafetensors(bytes), (e: unknown) => e instanceof CheckpointError && /points outside the data/.test(e.message));
  });
});
