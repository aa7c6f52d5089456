/**
 * formatTensor prints values as PyTorch does in a notebook: aligned columns, four decimals for
 * floats, and large tensors summarised to their first and last three entries per dimension.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTensor } from '../src/tensor/format.js';
import { Tensor } from '../src/tensor/tensor.js';

test('small tensors print whole, columns aligned', () => {
  assert.equal(formatTensor(Tensor.int([[101, 1195, 102], [101, 7, 0]])),
    'tensor([[ 101, 1195,  102],\n        [ 101,    7,    0]])');
  assert.equal(formatTensor(Tensor.from([[1, 0.5], [0.25, -3]])), 'tensor([[ 1.0000,  0.5000],\n        [ 0.2500, -3.0000]])');
  assert.equal(formatTensor(new Tensor(Float32Array.of(10.78692), [])), 'tensor(10.7869)');
  assert.equal(formatTensor(Tensor.from([Number.NaN, Infinity, 2e9])), 'tensor([      nan,       inf, 2.0000e+9])');
  assert.equal(formatTensor(new Tensor(new Float32Array(0), [0, 3])), 'tensor([], shape=[0, 3])');
});

test('higher dimensions: blocks a blank line apart, indented under the bracket', () => {
  const t = new Tensor(Int32Array.from({ length: 8 }, (_, i) => i), [2, 2, 2]);
  assert.equal(formatTensor(t), 'tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]])');
});

test('past the threshold each dimension shows its first and last entries', () => {
  const T = 463;
  const t = new Tensor(Int32Array.from({ length: 3 * T }, (_, i) => i % T), [3, T]);
  assert.equal(formatTensor(t), [
    'tensor([[  0,   1,   2, ..., 460, 461, 462],',
    '        [  0,   1,   2, ..., 460, 461, 462],',
    '        [  0,   1,   2, ..., 460, 461, 462]])',
  ].join('\n'));
  const tall = new Tensor(Int32Array.from({ length: 400 * 4 }, (_, i) => Math.floor(i / 4)), [400, 4]);
  const lines = formatTensor(tall, { edgeItems: 2 }).split('\n');
  assert.deepEqual(lines, [
    'tensor([[  0,   0,   0,   0],',
    '        [  1,   1,   1,   1],',
    '        ...,',
    '        [398, 398, 398, 398],',
    '        [399, 399, 399, 399]])',
  ]);
  assert.equal(formatTensor(tall, { threshold: 10_000 }).split('\n').length, 400, 'a higher threshold prints every row');
});
