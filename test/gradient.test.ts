/**
 * Gradients behind one accessor (Tensor.gradient()): reading a row-sparse gradient — through
 * gradient() or the grad getter — never turns it dense, and every optimizer and clipping gives the
 * same result on a row-sparse gradient as on the same gradient stored densely.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { embeddingCrossEntropy } from '../src/ops/index.js';
import { AdamW, clipGradNorm, SGD, type Optimizer } from '../src/optim/index.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';

/** A (V,V) table whose gradient touches rows 1 and 3 only; sparse or dense storage. */
function tableWithGrad(sparse: boolean): Tensor {
  const t = Tensor.randn([5, 5], new Rng(1)).requiresGrad_(); // (V,V) transition logits
  t.sparseGrad = sparse;
  // The Markov chain's fused loss: logits are rows of the table, so its gradient has those rows only.
  embeddingCrossEntropy(Tensor.int([3, 1, 3]), t, Tensor.int([0, 2, 4]), 3).backward();
  return t;
}

test('reading a row-sparse gradient never densifies it', () => {
  const t = tableWithGrad(true);
  const g = t.gradient();
  assert.equal(g.kind, 'rows');
  if (g.kind !== 'rows') return;
  assert.deepEqual([...g.rows], [1, 3]);
  const dense = t.grad!; // a copy
  assert.equal(t.gradient().kind, 'rows', 'still row-sparse after reading .grad');
  assert.equal(t.gradData, null, 'no dense buffer was allocated');
  const ref = tableWithGrad(false).grad!;
  assert.deepEqual([...dense.data], [...ref.data]);
  assert.deepEqual([...dense.data.subarray(0, 5)], [0, 0, 0, 0, 0]);
});

test('AdamW, SGD (with momentum and decay) and clipping agree on sparse and dense gradients', () => {
  const makers: [string, (p: Tensor[]) => Optimizer][] = [
    ['adamw', (p) => new AdamW(p, { lr: 0.1, weightDecay: 0.1 })],
    ['sgd', (p) => new SGD(p, { lr: 0.1 })],
    ['sgd momentum decay', (p) => new SGD(p, { lr: 0.1, momentum: 0.9, weightDecay: 0.05 })],
  ];
  for (const [name, make] of makers) {
    const a = tableWithGrad(true);
    const b = tableWithGrad(false);
    assert.ok(Math.abs(clipGradNorm([a], 0.5) - clipGradNorm([b], 0.5)) < 1e-6);
    const oa = make([a]);
    const ob = make([b]);
    for (let s = 0; s < 2; s++) {
      oa.step();
      ob.step();
    }
    for (let i = 0; i < a.size; i++) assert.ok(Math.abs(a.data[i]! - b.data[i]!) < 1e-6, `${name} element ${i}: ${a.data[i]} vs ${b.data[i]}`);
    assert.equal(a.gradient().kind, 'rows', `${name} left the gradient row-sparse`);
  }
});
