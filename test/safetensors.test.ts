/**
 * safetensors files: the layout the format specifies (8-byte little-endian header length, JSON
 * header with dtype/shape/data_offsets, 8-byte aligned data), round trips, F16/BF16 reading, and
 * clear errors for damaged files.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeSafetensors, safetensorsBytes } from '../src/formats/safetensors.js';
import { CheckpointError, loadSafetensors, loadSafetensorsAsync, saveSafetensors } from '../src/io/safetensors.js';
import { Tensor } from '../src/tensor/tensor.js';

const dir = mkdtempSync(join(tmpdir(), 'slm-st-'));

function rawFile(header: object, data: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

test('the bytes follow the safetensors layout and round trip', () => {
  const p = join(dir, 'a.safetensors');
  const w = Tensor.from([[1, 2, 3], [4, 5, 6]]);
  const ids = Tensor.int([7, -8]);
  saveSafetensors(p, { 'layer.weight': w, ids }, { step: '3' });
  const bytes = readFileSync(p);
  const n = Number(bytes.readBigUInt64LE(0));
  assert.equal((8 + n) % 8, 0, 'data section is 8-byte aligned');
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>;
  // The metadata holds the step and slmkit's CRC-32s: one per tensor and the header's (checked below).
  assert.deepEqual(Object.keys(header.__metadata__ as object).sort(), ['crc32:__header__', 'crc32:ids', 'crc32:layer.weight', 'step']);
  assert.equal((header.__metadata__ as unknown as Record<string, string>).step, '3');
  assert.deepEqual(header['layer.weight'], { dtype: 'F32', shape: [2, 3], data_offsets: [8, 32] });
  assert.deepEqual(header.ids, { dtype: 'I32', shape: [2], data_offsets: [0, 8] });
  assert.equal(bytes.length, 8 + n + 32);
  assert.equal(bytes.readFloatLE(8 + n + 8 + 4 * 5), 6);
  const back = loadSafetensors(p);
  assert.deepEqual(back.tensors['layer.weight']!.toArray(), [[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual([...back.tensors.ids!.data], [7, -8]);
  assert.equal(back.metadata.step, '3');
});

test('tensors passed as `into` are read into in place when name, shape and dtype match', () => {
  const p = join(dir, 'into.safetensors');
  saveSafetensors(p, { w: Tensor.from([[1, 2], [3, 4]]), b: Tensor.from([5, 6, 7]), ids: Tensor.int([9]) });
  const w = Tensor.zeros([2, 2]);
  const wData = w.data;
  const bWrongShape = Tensor.zeros([1, 3]);
  const idsAsFloat = Tensor.zeros([1]);
  const back = loadSafetensors(p, { w, b: bWrongShape, ids: idsAsFloat });
  assert.equal(back.tensors.w, w, 'the same tensor comes back');
  assert.equal(w.data, wData);
  assert.deepEqual(w.toArray(), [[1, 2], [3, 4]]);
  // A shape or dtype that does not fit is read into a new tensor and the target is left alone.
  assert.notEqual(back.tensors.b, bWrongShape);
  assert.deepEqual(back.tensors.b!.toArray(), [5, 6, 7]);
  assert.deepEqual([...bWrongShape.data], [0, 0, 0]);
  assert.deepEqual([...back.tensors.ids!.data], [9]);
  assert.equal(back.tensors.ids!.dtype, 'int32');
  assert.deepEqual([...idsAsFloat.data], [0]);
});

test('F16 and BF16 are read as float32', () => {
  const data = new Uint8Array(8);
  const dv = new DataView(data.buffer);
  dv.setUint16(0, 0x3c00, true); // f16 1.0
  dv.setUint16(2, 0xc000, true); // f16 -2.0
  dv.setUint16(4, 0x3f80, true); // bf16 1.0
  dv.setUint16(6, 0x4040, true); // bf16 3.0
  const p = join(dir, 'half.safetensors');
  writeFileSync(p, rawFile({ h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] }, b: { dtype: 'BF16', shape: [2], data_offsets: [4, 8] } }, data));
  const t = loadSafetensors(p).tensors;
  assert.deepEqual([...t.h!.data], [1, -2]);
  assert.deepEqual([...t.b!.data], [1, 3]);
});

test('damaged files are refused with the reason', () => {
  const cases: [string, Buffer, RegExp][] = [
    ['short', Buffer.from([1, 2, 3]), /only 3 bytes/],
    ['hugeheader', Buffer.concat([Buffer.from([0xff, 0xff, 0, 0, 0, 0, 0, 0]), Buffer.alloc(16)]), /header length/],
    ['notjson', rawFile({}, new Uint8Array(0)).fill(0x7b, 8), /not JSON/],
    ['outside', rawFile({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)), /points outside the data/],
    ['wrongsize', rawFile({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /8 bytes for shape \[3\] of F32/],
    ['dtype', rawFile({ x: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), /unsupported dtype F64/],
  ];
  for (const [name, bytes, re] of cases) {
    const p = join(dir, `${name}.safetensors`);
    writeFileSync(p, bytes);
    assert.throws(() => loadSafetensors(p), (e: Error) => e instanceof CheckpointError && re.test(String(e)) && e.hint !== undefined, name);
    // The in-memory decoder (the browser's way in) refuses the same bytes for the same reason.
    assert.throws(() => decodeSafetensors(new Uint8Array(bytes)), (e: Error) => e instanceof CheckpointError && re.test(String(e)), `bytes: ${name}`);
  }
  assert.throws(() => loadSafetensors(join(dir, 'missing.safetensors')), /checkpoint file not found/);
});

test('bytes in memory decode exactly as the file does, into given tensors without a copy', () => {
  const w = Tensor.from([[1.5, -2], [3, 4.25]]);
  const ids = Tensor.int([3, 1, 4]);
  const bytes = safetensorsBytes({ w, ids }, { step: '9' }, { checksums: true });
  const p = join(dir, 'mem.safetensors');
  saveSafetensors(p, { w, ids }, { step: '9' });
  assert.deepEqual(bytes, new Uint8Array(readFileSync(p)), 'the same bytes as the file (pure-TS and zlib CRC-32 agree)');
  // An odd byte offset (the file embedded in a larger buffer) must still decode.
  const shifted = new Uint8Array(bytes.length + 3);
  shifted.set(bytes, 3);
  const into = Tensor.zeros([2, 2]);
  const back = decodeSafetensors(shifted.subarray(3), { w: into });
  assert.equal(back.tensors.w, into, 'filled in place');
  assert.deepEqual([...into.data], [1.5, -2, 3, 4.25]);
  assert.deepEqual([...back.tensors.ids!.data], [3, 1, 4]);
  assert.equal(back.metadata.step, '9');
});

test('the async loader (a server reading in pieces) gives what the sync one gives, into the same tensors, and refuses the same damage', async () => {
  const p = join(dir, 'async.safetensors');
  const big = Tensor.from(Array.from({ length: 3000 }, (_, i) => Math.sin(i)));
  saveSafetensors(p, { w: big, b: Tensor.from([5, 6, 7]), ids: Tensor.int([9, 10]) }, { step: '12' });
  const into = Tensor.zeros([3000]);
  const a = await loadSafetensorsAsync(p, { w: into });
  const s = loadSafetensors(p);
  assert.equal(a.tensors.w, into, 'read in place');
  assert.deepEqual([...into.data], [...big.data]);
  assert.deepEqual(a.tensors.b!.toArray(), s.tensors.b!.toArray());
  assert.deepEqual([...a.tensors.ids!.data], [9, 10]);
  assert.equal(a.metadata.step, '12');
  for (const [name, bytes, re] of [
    ['a-short', Buffer.from([1, 2, 3]), /only 3 bytes/],
    ['a-outside', rawFile({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)), /points outside the data/],
  ] as const) {
    writeFileSync(join(dir, name), bytes);
    await assert.rejects(loadSafetensorsAsync(join(dir, name)), (e: Error) => e instanceof CheckpointError && re.test(String(e)));
  }
  const whole = readFileSync(p);
  writeFileSync(join(dir, 'a-cut'), whole.subarray(0, whole.length - 100));
  await assert.rejects(loadSafetensorsAsync(join(dir, 'a-cut')), /points outside the data|unexpected end of file/);
  await assert.rejects(loadSafetensorsAsync(join(dir, 'missing')), /checkpoint file not found/);
});
