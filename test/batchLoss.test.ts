/**
 * batchLoss: the notebook's masked loss of a batch as a tensor, computed through the fused output
 * layer, for every registered family — its value and every parameter's gradient equal those of
 * maskedCrossEntropy(model.forward(...)), its divisor scales it, and a batch of padding alone
 * gives 0 and no gradient instead of failing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { paddedBatches, shiftBatch } from '../src/data/batches.js';
import type { TokenSplit } from '../src/data/split.js';
import { createModel, neuralFamilies, resolveModelConfig } from '../src/models/registry.js';
import { maskedCrossEntropy } from '../src/ops/index.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { batchLoss } from '../src/train/step.js';
import { describeEachBackend } from './helpers/backends.js';

const V = 11;

function split(rng: Rng): TokenSplit {
  const docs = [2, 7, 4, 9, 3].map((n) => Array.from({ length: n }, () => 1 + rng.int(V - 1)));
  const offsets = new Float64Array(docs.length + 1);
  docs.forEach((d, i) => { offsets[i + 1] = offsets[i]! + d.length; });
  return { ids: Uint32Array.from(docs.flat()), offsets, vocabSize: V };
}

function gradients(params: Tensor[]): Float32Array[] {
  return params.map((p) => Float32Array.from(p.grad?.f32() ?? new Float32Array(p.size)));
}

describeEachBackend('batchLoss', () => {
  for (const f of neuralFamilies) {
    describe(f.type, () => {
      const make = () => createModel(resolveModelConfig({ type: f.type, vocabSize: V, ...f.tiny }), new Rng(5)).eval();
      const batch = shiftBatch([...paddedBatches(split(new Rng(2)), { batchSize: 5 })][0]!);

      test('value and gradients equal the unfused masked cross-entropy', () => {
        const model = make();
        const fused = batchLoss(model, batch);
        fused.backward();
        const gFused = gradients(model.parameters());
        model.zeroGrad();
        const plain = maskedCrossEntropy(model.forward(batch.inputs, batch.inputMask), batch.targets, batch.mask);
        plain.backward();
        const gPlain = gradients(model.parameters());
        assert.ok(Math.abs(fused.item() - plain.item()) <= 1e-5 * plain.item(), `${fused.item()} vs ${plain.item()}`);
        let all = 0;
        gPlain.forEach((g, i) => {
          // Within 1e-4 of each tensor's scale (the golden tests' rule); some biases get a zero gradient in exact arithmetic.
          let scale = 0;
          for (const x of g) scale = Math.max(scale, Math.abs(x));
          all = Math.max(all, scale);
          for (let j = 0; j < g.length; j++) assert.ok(Math.abs(g[j]! - gFused[i]![j]!) <= 1e-4 * scale + 1e-8, `parameter ${i}[${j}]: ${gFused[i]![j]} vs ${g[j]}`);
        });
        assert.ok(all > 1e-4, 'the parameters get a gradient');
      });

      test('the divisor replaces the number of real targets', () => {
        const model = make();
        const whole = noGrad(() => batchLoss(model, batch)).item();
        const halved = noGrad(() => batchLoss(model, batch, 2 * batch.tokens)).item();
        assert.ok(Math.abs(halved - whole / 2) <= 1e-6 * whole);
      });

      test('a batch of padding alone gives 0 and no gradient', () => {
        const model = make();
        const zeros = new Tensor(new Int32Array(batch.mask.size), batch.mask.shape);
        const empty = { ...batch, mask: zeros, inputMask: zeros, tokens: 0 };
        const loss = batchLoss(model, empty);
        assert.equal(loss.item(), 0);
        if (loss.requiresGrad) loss.backward();
        for (const g of gradients(model.parameters())) for (const x of g) assert.equal(x, 0);
      });
    });
  }
});
