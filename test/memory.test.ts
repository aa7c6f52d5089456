/**
 * Memory stays flat over a training run: after each backward the tape is freed (no live graph
 * nodes), and heap plus array-buffer memory does not grow between step 50 and step 300.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MarkovChainLowRank } from '../src/models/lowrank.js';
import { resolveModelConfig } from '../src/models/registry.js';
import { activationBytesPerRow, chooseMicroRows } from '../src/train/memory.js';
import { Transformer } from '../src/models/transformer.js';
import type { LanguageModel } from '../src/models/model.js';
import { maskedCrossEntropy, narrow } from '../src/ops/index.js';
import { AdamW } from '../src/optim/index.js';
import { liveGraphNodes } from '../src/tensor/autograd.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';

const gc = (globalThis as { gc?: () => void }).gc;

function usedBytes(): number {
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function trainSteps(model: LanguageModel, steps: number, onStep: (step: number) => void): void {
  const rng = new Rng(1);
  const opt = new AdamW(model.parameters(), { lr: 1e-3 });
  const V = model.config.vocabSize;
  const B = 4;
  const T = 17;
  for (let s = 0; s < steps; s++) {
    const ids = new Int32Array(B * T);
    const mask = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const len = 3 + rng.int(T - 3);
      for (let t = 0; t < len; t++) {
        ids[b * T + t] = 1 + rng.int(V - 1);
        mask[b * T + t] = 1;
      }
    }
    const idsT = new Tensor(ids, [B, T]);
    const maskT = new Tensor(mask, [B, T]);
    const logits = model.forward(narrow(idsT, 1, 0, T - 1), narrow(maskT, 1, 0, T - 1));
    const loss = maskedCrossEntropy(logits, narrow(idsT, 1, 1, T - 1), narrow(maskT, 1, 1, T - 1));
    opt.zeroGrad();
    loss.backward();
    opt.step();
    assert.ok(Number.isFinite(loss.item()));
    onStep(s);
  }
}

for (const [name, make] of [
  ['lowrank', () => new MarkovChainLowRank({ type: 'lowrank', vocabSize: 300, embedDim: 32, dropout: 0.1 }, new Rng(0))],
  ['transformer', () => new Transformer({
    type: 'transformer', vocabSize: 120, embedDim: 16, heads: 2, layers: 2, maxLen: 32, dropout: 0.1,
    variant: 'pre-ln', tieWeights: false, init: 'auto', headBias: true,
  }, new Rng(0))],
] as const) {
  test(`${name}: the tape is freed after every backward and memory stays flat over 300 steps`, { skip: gc ? false : 'needs node --expose-gc' }, () => {
    const model = make();
    const baseNodes = liveGraphNodes();
    let at50 = Infinity;
    let at300 = Infinity;
    trainSteps(model, 300, (s) => {
      assert.equal(liveGraphNodes(), baseNodes, `graph nodes left alive after step ${s}`);
      // The least of five readings, so a collection that V8 left unfinished does not count.
      if (s >= 50 && s < 55) at50 = Math.min(at50, usedBytes());
      if (s >= 295) at300 = Math.min(at300, usedBytes());
    });
    const growth = at300 - at50;
    // One step of these models allocates about 200 kB of activations and gradients; leaking them
    // would grow memory by about 50 MB over 250 steps. 8 MB leaves room for V8's own bookkeeping.
    assert.ok(growth < 8 << 20, `memory grew by ${(growth / 1024).toFixed(0)} kB between step 50 and 300`);
  });
}

test('the buffer pool stays within its limit when shapes change every step, dropping stale sizes first', async () => {
  const { pooledBufferBytes, releaseBuffer, setBufferPoolLimit, takeBuffer, clearBufferPool } = await import('../src/tensor/pool.js');
  clearBufferPool();
  const prev = setBufferPoolLimit(64 * 1024);
  try {
    for (let n = 1000; n < 3000; n += 7) {
      releaseBuffer(new Float32Array(n)); // a new length every "step", as padded batches give
      assert.ok(pooledBufferBytes() <= 64 * 1024, `pool holds ${pooledBufferBytes()} bytes`);
    }
    const recent = new Float32Array(2995);
    releaseBuffer(recent);
    assert.equal(takeBuffer(2995), recent, 'the most recently pooled size is still there');
    assert.ok(pooledBufferBytes() >= 0);
  } finally {
    setBufferPoolLimit(prev);
    clearBufferPool();
  }
});

test('the memory estimate counts the Markov rows a batch touches, when known', async () => {
  const { estimateMemory } = await import('../src/train/memory.js');
  const V = 1000;
  const cfg = { type: 'markov' as const, vocabSize: V };
  const loose = estimateMemory(cfg, 8, 100, 1 << 30);
  const known = estimateMemory(cfg, 8, 100, 1 << 30, (rows) => {
    assert.equal(rows, 8, 'asked for the planned micro-batch');
    return 50;
  });
  assert.equal(loose.activations - known.activations, (Math.min(V, 8 * 100) - 50) * V * 4);
  assert.equal(known.parameters, V * V * 4);
  assert.equal(known.gradients, 0, 'the table gradient is row-sparse');
});

test('micro-batches are balanced: rows that fit 30 of 32 run as 16 + 16, and never exceed what fits', () => {
  const c = resolveModelConfig({ type: 'lowrank', vocabSize: 50, embedDim: 8 });
  const per = activationBytesPerRow(c, 100);
  assert.equal(chooseMicroRows(c, 32, 100, 30 * per), 16);
  assert.equal(chooseMicroRows(c, 32, 100, 32 * per), 32);
  assert.equal(chooseMicroRows(c, 33, 100, 10 * per), 9); // 4 passes of at most 9 rows
  assert.equal(chooseMicroRows(c, 5, 100, per / 2), 1);
  for (let B = 1; B < 70; B++) {
    for (const fit of [1, 3, 7, 30]) {
      const m = chooseMicroRows(c, B, 100, fit * per);
      assert.ok(m <= Math.min(B, fit) && Math.ceil(B / m) === Math.ceil(B / Math.min(B, fit)), `B=${B} fit=${fit}: ${m}`);
    }
  }
});
