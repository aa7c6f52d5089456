/**
 * The useful-FLOP counter of a training step (models/flops.ts) against counts done by hand for
 * small configurations: matrix products as 2·M·N·K, a step as 3 × forward, real tokens only, and
 * causal attention over the unmasked half. Every neural family is covered, so a new one that is
 * registered without a counter fails here (and at compile time). And against the products a real
 * training step makes: a backend that counts 2·M·N·K for every sgemm sees exactly the counted
 * FLOPs, less the parts that run in their own kernels (attention, convolutions).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { registerBackend, useBackend } from '../src/backend/index.js';
import type { Kernels } from '../src/backend/kernels.js';
import { referenceKernels } from '../src/backend/reference/index.js';
import { shiftBatch } from '../src/data/batches.js';
import { stepBytes, stepFlops, stepTokens, stepTokensFromMask } from '../src/models/flops.js';
import { createModel, modelTypes, resolveModelConfig, type ModelType } from '../src/models/registry.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { runBatch } from '../src/train/step.js';

const V = 10;
// Two rows with 3 and 2 real targets: 5 tokens, 3·4/2 + 2·3/2 = 9 causal query-key pairs.
const s = stepTokens([3, 2]);

describe('step FLOP counter', () => {
  test('real tokens and causal pairs come from the rows, or from a (B,T) mask', () => {
    assert.deepEqual(s, { tokens: 5, sequences: 2, causalPairs: 9 });
    assert.deepEqual(stepTokensFromMask([1, 1, 1, 0, 1, 1, 0, 0], 2, 4), s);
    assert.deepEqual(stepTokensFromMask(new Float32Array(6), 2, 3), { tokens: 0, sequences: 0, causalPairs: 0 });
    assert.equal(stepTokens([4, 0, 1]).sequences, 2);
  });

  test('markov does no matrix product; its measure is the least memory traffic of exact AdamW and the loss', () => {
    const c = resolveModelConfig({ type: 'markov', vocabSize: V });
    assert.equal(stepFlops(c, s), 0);
    // AdamW: p, m, v read and written at all 100 entries, 24·100 = 2400; the loss reads 5 rows of 10 floats: 200
    assert.equal(stepBytes(c, s), 2600);
    assert.equal(stepBytes(resolveModelConfig({ type: 'lowrank', vocabSize: V }), s), null);
  });

  test('lowrank: the (d,V) output layer per token', () => {
    // forward 2·5·4·10 = 400; step 3 × 400
    assert.equal(stepFlops(resolveModelConfig({ type: 'lowrank', vocabSize: V, embedDim: 4 }), s), 1200);
  });

  test('mlp: the hidden layer over the context window and the output layer', () => {
    // per token 2·(2·3·4 + 4·10) = 128; × 5 tokens = 640; step 1920
    assert.equal(stepFlops(resolveModelConfig({ type: 'mlp', vocabSize: V, context: 2, embedDim: 3, hiddenDim: 4 }), s), 1920);
  });

  test('cnn: one (C·K, C) product per layer and the output layer', () => {
    // per token 2·(3·4·2·4 + 4·10) = 272; × 5 = 1360; step 4080
    assert.equal(stepFlops(resolveModelConfig({ type: 'cnn', vocabSize: V, channels: 4, kernelSize: 2, layers: 3 }), s), 4080);
  });

  test('rnn, lstm, gru: gates × (input at every token + hidden after a row\'s first) × hidden per layer, then the output layer', () => {
    const cfg = (type: string) => resolveModelConfig({ type, vocabSize: V, embedDim: 3, hiddenDim: 4, layers: 2 });
    // multiply-adds: layer 0 G·4·(3·5 + 4·(5 - 2)) = 108·G, layer 1 G·4·(4·5 + 4·3) = 128·G, head 4·10·5 = 200
    // rnn (G = 1): 2·436 = 872 → 2616
    assert.equal(stepFlops(cfg('rnn'), s), 2616);
    // lstm (G = 4): 2·(944 + 200) = 2288 → 6864
    assert.equal(stepFlops(cfg('lstm'), s), 6864);
    // gru (G = 3): 2·(708 + 200) = 1816 → 5448
    assert.equal(stepFlops(cfg('gru'), s), 5448);
  });

  test('transformer: projections and MLP per token, attention per causal pair, and the head', () => {
    const c = resolveModelConfig({ type: 'transformer', vocabSize: V, embedDim: 4, heads: 2, layers: 2, maxLen: 8 });
    // per block: 2·5·(4·16 + 8·16) = 1920 for the products, 4·4·9 = 144 for attention → 2064;
    // 2 blocks 4128, head 2·5·4·10 = 400 → forward 4528; step 13584
    assert.equal(stepFlops(c, s), 13584);
    // Tying the head to the embedding does not change the work.
    assert.equal(stepFlops(resolveModelConfig({ ...c, variant: 'pre-ln', tieWeights: true }), s), 13584);
    // One row of 5 has more pairs (15) than rows of 3 and 2: attention grows with the square of a row.
    assert.equal(stepFlops(c, stepTokens([5])), 13584 + 3 * 2 * 4 * 4 * (15 - 9));
  });

  test('every neural family has a counter that scales with the real tokens', () => {
    for (const type of modelTypes) {
      const c = resolveModelConfig({ type, vocabSize: V });
      const one = stepFlops(c, stepTokens([1]));
      const two = stepFlops(c, stepTokens([1, 1]));
      assert.ok(Number.isFinite(one) && one >= 0, `${type}: ${one}`);
      assert.equal(two, 2 * one, `${type}: two one-token rows do twice one's work`);
      assert.equal(stepFlops(c, stepTokens([])), 0, `${type}: no tokens, no work`);
      if (type !== 'markov') assert.ok(one > 0, `${type} counts its products`);
    }
  });

  test('a training step\'s sgemm calls do exactly the counted work, less attention and convolutions', () => {
    let counted = 0;
    const counting: Kernels = {
      ...referenceKernels, name: 'sgemm-counting',
      sgemm: (tA, tB, M, N, K, A, B, C, acc) => { counted += 2 * M * N * K; referenceKernels.sgemm(tA, tB, M, N, K, A, B, C, acc); },
      sgemmPackedB: (tA, M, N, K, A, Bp, C, acc) => { counted += 2 * M * N * K; referenceKernels.sgemmPackedB(tA, M, N, K, A, Bp, C, acc); },
    };
    registerBackend(counting);
    const prev = useBackend(counting.name);
    try {
      const [B, T] = [2, 7];
      const rng = new Rng(3);
      const ids = new Tensor(Int32Array.from({ length: B * T }, () => 1 + rng.int(V - 1)), [B, T]);
      const batch = shiftBatch({ ids, mask: new Tensor(new Float32Array(B * T).fill(1), [B, T]) });
      const st = stepTokensFromMask(batch.mask.data, B, T - 1);
      assert.deepEqual(st, { tokens: 12, sequences: 2, causalPairs: 42 });
      const tiny: Record<ModelType, Record<string, unknown>> = {
        markov: {}, lowrank: { embedDim: 4 }, mlp: { context: 2, embedDim: 3, hiddenDim: 5 }, cnn: { channels: 4, kernelSize: 2, layers: 2 },
        rnn: { embedDim: 3, hiddenDim: 4, layers: 2 }, lstm: { embedDim: 3, hiddenDim: 4, layers: 2 }, gru: { embedDim: 3, hiddenDim: 4, layers: 2 },
        transformer: { embedDim: 8, heads: 2, layers: 2, maxLen: 16 },
      };
      for (const type of modelTypes) {
        const c = resolveModelConfig({ type, vocabSize: V, ...tiny[type] });
        counted = 0;
        runBatch(createModel(c, new Rng(4)).train(), batch, B, true);
        let ownKernels = 0;
        if (c.type === 'transformer') ownKernels = 3 * c.layers * 4 * c.embedDim * st.causalPairs;
        if (c.type === 'cnn') ownKernels = 3 * 2 * st.tokens * c.layers * c.channels * c.kernelSize * c.channels;
        assert.equal(counted, stepFlops(c, st) - ownKernels, `${type}: sgemm FLOPs of a step`);
      }
    } finally {
      useBackend(prev);
    }
  });
});
