/**
 * The useful-FLOP counter of a training step (models/flops.ts) against counts done by hand for
 * small configurations: matrix products as 2·M·N·K, a step as 3 × forward, real tokens only, and
 * causal attention over the unmasked half. Every neural family is covered, so a new one that is
 * registered without a counter fails here (and at compile time).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stepFlops, stepTokens, stepTokensFromMask } from '../src/models/flops.js';
import { modelTypes, resolveModelConfig } from '../src/models/registry.js';

const V = 10;
// Two rows with 3 and 2 real targets: 5 tokens, 3·4/2 + 2·3/2 = 9 causal query-key pairs.
const s = stepTokens([3, 2]);

describe('step FLOP counter', () => {
  test('real tokens and causal pairs come from the rows, or from a (B,T) mask', () => {
    assert.deepEqual(s, { tokens: 5, causalPairs: 9 });
    assert.deepEqual(stepTokensFromMask([1, 1, 1, 0, 1, 1, 0, 0], 2, 4), s);
    assert.deepEqual(stepTokensFromMask(new Float32Array(6), 2, 3), { tokens: 0, causalPairs: 0 });
  });

  test('markov does no matrix product', () => {
    assert.equal(stepFlops(resolveModelConfig({ type: 'markov', vocabSize: V }), s), 0);
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

  test('rnn, lstm, gru: gates × (input + hidden) × hidden per layer, then the output layer', () => {
    const cfg = (type: string) => resolveModelConfig({ type, vocabSize: V, embedDim: 3, hiddenDim: 4, layers: 2 });
    // rnn: (3+4)·4 + (4+4)·4 + 4·10 = 100 per token → 2·100·5 = 1000 → 3000
    assert.equal(stepFlops(cfg('rnn'), s), 3000);
    // lstm: 4·28 + 4·32 + 40 = 280 → 2800 → 8400
    assert.equal(stepFlops(cfg('lstm'), s), 8400);
    // gru: 3·28 + 3·32 + 40 = 220 → 2200 → 6600
    assert.equal(stepFlops(cfg('gru'), s), 6600);
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
});
