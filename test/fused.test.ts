/**
 * The fused output-layer losses: finite-difference gradients, equality with the unfused path
 * (logits then masked cross-entropy) for every model type, and chunking over many rows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { paddedBatches, shiftBatch } from '../src/data/batches.js';
import type { TokenSplit } from '../src/data/store.js';
import { createModel, resolveModelConfig } from '../src/models/registry.js';
import { embeddingCrossEntropy, linear, linearCrossEntropy, maskedCrossEntropy } from '../src/ops/index.js';
import { referenceKernels } from '../src/backend/reference/index.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { runBatch } from '../src/train/step.js';
import { AdamW, clipGradNorm } from '../src/optim/index.js';
import { describeEachBackend } from './helpers/backends.js';
import { assertClose, gradcheck, randnLeaf } from './helpers/gradcheck.js';

function targets(n: number, V: number, rng: Rng, skip = true): Tensor {
  return new Tensor(Int32Array.from({ length: n }, (_, i) => (skip && i % 4 === 3 ? -1 : rng.int(V))), [n]);
}

function split(docs: number[][], V: number): TokenSplit {
  const flat = docs.flat();
  const offsets = new Float64Array(docs.length + 1);
  docs.forEach((d, i) => { offsets[i + 1] = offsets[i]! + d.length; });
  return { ids: Uint32Array.from(flat), offsets, vocabSize: V };
}

describeEachBackend('fused losses', () => {
  test('linearCrossEntropy gradients by finite differences, with and without bias', () => {
    const rng = new Rng(1);
    for (const [N, C, V] of [[1, 1, 2], [7, 5, 13], [9, 3, 33]] as const) {
      const t = targets(N, V, rng);
      gradcheck(([h, W, b]) => linearCrossEntropy(h!, W!, b!, t, 3), [randnLeaf([N, C], rng), randnLeaf([V, C], rng), randnLeaf([V], rng)], {}, `N=${N} C=${C} V=${V}`);
      gradcheck(([h, W]) => linearCrossEntropy(h!, W!, null, t, 2), [randnLeaf([N, C], rng), randnLeaf([V, C], rng)], {}, `no bias N=${N}`);
    }
  });

  test('embeddingCrossEntropy gradients by finite differences; repeated ids accumulate', () => {
    const rng = new Rng(2);
    const V = 11;
    const ids = Tensor.int([3, 3, 0, 10, 3, 5, 10]);
    const t = targets(7, V, rng);
    gradcheck(([W]) => embeddingCrossEntropy(ids, W!, t, 4), [randnLeaf([V, V], rng)]);
  });

  test('linearCrossEntropy equals linear + crossEntropy over many chunks (V small, N large)', () => {
    const rng = new Rng(3);
    const [N, C, V] = [5000, 4, 9]; // chunk rows are capped at 1024: five chunks
    const h = randnLeaf([N, C], rng);
    const W = randnLeaf([V, C], rng);
    const t = targets(N, V, rng);
    const fused = linearCrossEntropy(h, W, null, t, N);
    fused.backward();
    const gh = Float32Array.from(h.grad!.f32());
    const gW = Float32Array.from(W.grad!.f32());
    h.grad = null;
    W.grad = null;
    const mask = new Tensor(Int32Array.from(t.data, (x) => (x < 0 ? 0 : 1)), [N]);
    const tt = new Tensor(Int32Array.from(t.data, (x) => Math.max(0, x)), [N]);
    const plain = maskedCrossEntropy(linear(h, W), tt, mask, { divisor: N });
    plain.backward();
    assert.ok(Math.abs(fused.item() - plain.item()) < 1e-5 * plain.item());
    assertClose(gh, h.grad!.f32(), { rtol: 1e-4, atol: 1e-7 }, 'grad h');
    assertClose(gW, W.grad!.f32(), { rtol: 1e-4, atol: 1e-6 }, 'grad W');
  });

  test('linearCrossEntropy with a bias over several chunks, V not a multiple of the vector width; eval path too', () => {
    const rng = new Rng(4);
    for (const [N, C, V] of [[1, 1, 1], [1, 3, 37], [900, 1, 20011], [2200, 5, 1031]] as const) { // 838-row chunks at V = 20,011
      const h = randnLeaf([N, C], rng);
      const W = randnLeaf([V, C], rng);
      const b = randnLeaf([V], rng);
      const t = targets(N, V, rng, N > 1);
      const fused = linearCrossEntropy(h, W, b, t, N);
      fused.backward();
      const [gh, gW, gb] = [h, W, b].map((x) => Float32Array.from(x.grad!.f32()));
      h.grad = null;
      W.grad = null;
      b.grad = null;
      const mask = new Tensor(Int32Array.from(t.data, (x) => (x < 0 ? 0 : 1)), [N]);
      const tt = new Tensor(Int32Array.from(t.data, (x) => Math.max(0, x)), [N]);
      const plain = maskedCrossEntropy(linear(h, W, b), tt, mask, { divisor: N });
      plain.backward();
      const what = `N=${N} C=${C} V=${V}`;
      assert.ok(Math.abs(fused.item() - plain.item()) <= 1e-5 * Math.abs(plain.item()), `${what}: loss ${fused.item()} vs ${plain.item()}`);
      const evalLoss = noGrad(() => linearCrossEntropy(h, W, b, t, N)).item();
      assert.ok(Math.abs(evalLoss - plain.item()) <= 1e-5 * Math.abs(plain.item()), `${what}: eval loss ${evalLoss} vs ${plain.item()}`);
      assertClose(gh!, h.grad!.f32(), { rtol: 1e-4, atol: 1e-7 }, `${what} grad h`);
      assertClose(gW!, W.grad!.f32(), { rtol: 1e-4, atol: 1e-6 }, `${what} grad W`);
      assertClose(gb!, b.grad!.f32(), { rtol: 1e-4, atol: 1e-6 }, `${what} grad b`);
    }
  });

  test('the reference crossEntropyFused is crossEntropyForward then crossEntropyBackward on biased logits', () => {
    const rng = new Rng(5);
    for (const [R, V] of [[1, 1], [4, 9], [7, 300]] as const) {
      const x = Float32Array.from({ length: R * V }, () => 3 * rng.normal());
      const bias = Float32Array.from({ length: V }, () => rng.normal());
      const t = Int32Array.from({ length: R }, (_, i) => (i % 3 === 2 ? -1 : rng.int(V)));
      const w = Float32Array.from({ length: R }, (_, i) => (i % 4 === 1 ? 0 : rng.uniform()));
      const xb = new Float32Array(R * V);
      referenceKernels.addBroadcast(x, bias, xb, R, V);
      const [loss, lse, g] = [new Float32Array(R), new Float32Array(R), new Float32Array(R * V)];
      referenceKernels.crossEntropyForward(xb, t, loss, lse, R, V);
      referenceKernels.crossEntropyBackward(xb, t, lse, w, g, R, V, false);
      const fusedLoss = new Float32Array(R);
      referenceKernels.crossEntropyFused(x, bias, t, w, fusedLoss, R, V);
      assert.deepEqual(fusedLoss, loss, `R=${R} V=${V} loss`);
      assert.deepEqual(x, g, `R=${R} V=${V} gradient`);
    }
  });

  for (const cfg of [
    { type: 'markov', vocabSize: 23 },
    { type: 'lowrank', vocabSize: 23, embedDim: 6, dropout: 0 },
    { type: 'transformer', vocabSize: 23, embedDim: 8, heads: 2, layers: 2, maxLen: 16, dropout: 0, variant: 'post-ln' },
    { type: 'transformer', vocabSize: 23, embedDim: 8, heads: 2, layers: 1, maxLen: 16, dropout: 0, variant: 'pre-ln', tieWeights: true },
  ]) {
    test(`${cfg.type}${'variant' in cfg ? ` ${cfg.variant}` : ''}: the fused loss and gradients equal logits + masked cross-entropy`, () => {
      const model = createModel(resolveModelConfig(cfg), new Rng(4));
      const docs = [[1, 5, 6, 7, 8, 2], [1, 9, 2], [1, 10, 11, 12, 13, 14, 15, 2]];
      const [b] = [...paddedBatches(split(docs, 23), { batchSize: 3 })];
      const sb = shiftBatch(b!);
      const fused = runBatch(model, sb, 3, true);
      const gFused = model.parameters().map((p) => Float32Array.from(p.grad!.f32()));
      model.zeroGrad();
      const loss = maskedCrossEntropy(model.forward(sb.inputs, sb.inputMask), sb.targets, sb.mask);
      loss.backward();
      assert.ok(Math.abs(fused.loss - loss.item()) < 1e-5 * loss.item(), `loss ${fused.loss} vs ${loss.item()}`);
      model.namedParameters().forEach(([name, p], i) => assertClose(gFused[i]!, p.grad!.f32(), { rtol: 1e-4, atol: 1e-6 }, name));
    });
  }
});

describeEachBackend('row-sparse gradients', () => {
  test('the Markov table trained with row-sparse gradients ends where dense gradients do', () => {
    const docs = [[1, 5, 6, 7, 8, 2], [1, 9, 2], [1, 10, 11, 5, 6, 14, 15, 2]];
    const [b] = [...paddedBatches(split(docs, 17), { batchSize: 3 })];
    const sb = shiftBatch(b!);
    // Micro-batches of 2 rows merge two row-sparse contributions per step; 3 rows write the
    // table's reusable gradient buffer directly, the same buffer every step.
    for (const micro of [2, 3]) {
      const run = (sparse: boolean) => {
        const model = createModel(resolveModelConfig({ type: 'markov', vocabSize: 17 }), new Rng(9));
        const table = model.parameters()[0]!;
        table.sparseGrad = sparse;
        const opt = new AdamW(model.parameters(), { lr: 0.1 });
        const buffers = new Set<ArrayBufferLike>();
        for (let s = 0; s < 3; s++) {
          opt.zeroGrad();
          runBatch(model, sb, micro, true);
          if (sparse) {
            assert.ok(table.rowGrad !== null, 'gradient stays row-sparse');
            buffers.add(table.rowGrad.values.buffer);
          }
          clipGradNorm(model.parameters(), 0.5);
          opt.step();
        }
        if (sparse && micro === 3) assert.equal(buffers.size, 1, 'one gradient buffer, reused');
        return table;
      };
      const sparse = run(true);
      const dense = run(false);
      assertClose(sparse.f32(), dense.f32(), { rtol: 1e-6, atol: 1e-7 }, `table after 3 AdamW steps, micro-batches of ${micro}`);
      // Reading .grad densifies: the same values as the dense gradient.
      assertClose(sparse.grad!.f32(), dense.grad!.f32(), { rtol: 1e-6, atol: 1e-8 }, `gradient, micro-batches of ${micro}`);
    }
  });
});
