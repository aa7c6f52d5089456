/**
 * Documents longer than a transformer's context: evaluation scores them in sliding windows, every
 * target exactly once, each with at least (window − stride + 1) tokens of context, and the loss is
 * the one a direct per-target computation gives; cutting them (an explicit maxLen) scores fewer.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TokenSplit } from '../src/data/split.js';
import { countWindowBatches, windowBatches } from '../src/data/windows.js';
import { createModel, resolveModelConfig } from '../src/models/registry.js';
import { noGrad } from '../src/tensor/autograd.js';
import { ConfigError } from '../src/tensor/errors.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { documentsLongerThan, evaluate } from '../src/train/evaluate.js';
import { cliJson, cliRunner } from './helpers/cli.js';
import { makeTinyCorpus } from './helpers/tinyCorpus.js';

function split(docs: number[][], vocabSize: number, withText = false): TokenSplit {
  const offsets = new Float64Array(docs.length + 1);
  docs.forEach((d, i) => { offsets[i + 1] = offsets[i]! + d.length; });
  return {
    ids: Uint32Array.from(docs.flat()), offsets, vocabSize,
    ...(withText ? { textBytes: Uint32Array.from(docs.map((d) => 3 * d.length)), textChars: Uint32Array.from(docs.map((d) => 3 * d.length)) } : {}),
  };
}

test('sliding windows score every target of every document once, with at least window − stride + 1 tokens of context', () => {
  const rng = new Rng(5);
  for (let trial = 0; trial < 40; trial++) {
    const window = 1 + Math.floor(rng.uniform() * 9);
    const stride = 1 + Math.floor(rng.uniform() * window);
    const lengths = Array.from({ length: 1 + Math.floor(rng.uniform() * 6) }, () => Math.floor(rng.uniform() * 30));
    // Each token's id is its position in its document, so a target names itself.
    const s = split(lengths.map((n) => Array.from({ length: n }, (_, i) => i)), 64);
    const batchSize = 1 + Math.floor(rng.uniform() * 4);
    const scored: number[][] = [];
    let batches = 0;
    for (const b of windowBatches(s, { batchSize, window, stride })) {
      batches++;
      const [B, T] = b.inputs.shape as [number, number];
      assert.ok(T <= window && B <= batchSize);
      let count = 0;
      for (let r = 0; r < B; r++) {
        const first = b.inputs.data[r * T]!;
        if (first === 0) scored.push([]); // a row from a document's start opens it
        for (let t = 0; t < T; t++) {
          if (b.mask.data[r * T + t] !== 1) continue;
          count++;
          const target = b.targets.data[r * T + t]!;
          assert.equal(target, first + t + 1, 'the target follows its inputs');
          assert.equal(b.inputMask.data[r * T + t], 1);
          assert.ok(t + 1 >= Math.min(target, window - stride + 1), `target ${target} sees ${t + 1} tokens (window ${window}, stride ${stride})`);
          scored.at(-1)!.push(target);
        }
      }
      assert.equal(count, b.tokens);
    }
    const expected = lengths.filter((n) => n >= 2).map((n) => Array.from({ length: n - 1 }, (_, i) => i + 1));
    assert.deepEqual(scored, expected, `window ${window}, stride ${stride}, lengths ${lengths.join(',')}`);
    assert.equal(batches, countWindowBatches(s, { batchSize, window, stride }));
    assert.equal(documentsLongerThan(s, window + 1), lengths.filter((n) => n - 1 > window).length);
  }
  assert.throws(() => [...windowBatches(split([[1, 2, 3]], 8), { batchSize: 1, window: 4, stride: 5 })], ConfigError);
  assert.throws(() => [...windowBatches(split([[1, 2, 3]], 8), { batchSize: 1, window: 4, stride: 0 })], ConfigError);
});

test('a transformer scores documents longer than its context in sliding windows: the loss of a direct per-target computation', async () => {
  const V = 23;
  const config = resolveModelConfig({ type: 'transformer', vocabSize: V, embedDim: 8, heads: 2, layers: 2, maxLen: 6, dropout: 0 });
  const model = createModel(config, new Rng(3));
  const L = model.maxSequence!;
  const rng = new Rng(9);
  const docs = [25, 4, 13, 7, 19].map((n) => Array.from({ length: n }, () => Math.floor(rng.uniform() * V)));
  const s = split(docs, V, true);
  // With stride 1 each target after the first window sees exactly the L tokens before it.
  let sum = 0;
  let count = 0;
  noGrad(() => {
    for (const d of docs) {
      for (let p = 1; p < d.length; p++) {
        const ctx = d.slice(Math.max(0, p - L), p);
        const logits = model.forward(new Tensor(Int32Array.from(ctx), [1, ctx.length])).f32();
        const row = logits.subarray((ctx.length - 1) * V, ctx.length * V);
        const max = Math.max(...row);
        let z = 0;
        for (const x of row) z += Math.exp(x - max);
        sum += -(row[d[p]!]! - max - Math.log(z));
        count++;
      }
    }
  });
  const slid = await evaluate(model, s, { batchSize: 3, stride: 1 });
  assert.equal(slid.tokens, count);
  assert.equal(slid.windowed, 3);
  assert.ok(Math.abs(slid.loss - sum / count) < 1e-5, `${slid.loss} vs ${sum / count}`);
  assert.ok(slid.bitsPerByte !== null, 'every token is scored, so bits per byte cover the whole text');
  // The default stride (half the context) also scores every target once; cutting scores fewer.
  const half = await evaluate(model, s, { batchSize: 2 });
  assert.equal(half.tokens, count);
  assert.ok(Math.abs(half.loss - slid.loss) < 0.5);
  const cut = await evaluate(model, s, { batchSize: 2, maxLen: L + 1 });
  assert.equal(cut.windowed, 0);
  assert.equal(cut.tokens, docs.reduce((a, d) => a + Math.min(d.length, L + 1) - 1, 0));
  assert.equal(cut.bitsPerByte, null);
});

test('slm eval scores a transformer run\'s long documents in windows, says so, and takes --stride; slm compare says so too', () => {
  const tiny = makeTinyCorpus(30, 8);
  const { work, slm } = cliRunner('windows');
  const run = join(work, 'run');
  const t = slm('train', '--data', tiny.dir, '--model', 'transformer', '--embed-dim', '8', '--heads', '2', '--layers', '1', '--max-len', '6',
    '--batch-size', '8', '--max-steps', '2', '--no-eval', '--out', run);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /batches: padded, [\d.]+% of the positions are padding \(skipped by every layer\)/);
  const e = slm('eval', '--model', run, '--data', tiny.dir);
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stdout, /\d+ documents are longer than the model's 6 positions: scored in sliding windows moving 3 tokens at a time/);
  const j1 = cliJson<{ windowed: number; tokens: number; loss: number }>(slm('eval', '--model', run, '--data', tiny.dir, '--stride', '1', '--json'));
  const j3 = cliJson<{ windowed: number; tokens: number; loss: number }>(slm('eval', '--model', run, '--data', tiny.dir, '--json'));
  assert.ok(j1.windowed > 0 && j1.windowed === j3.windowed);
  assert.equal(j1.tokens, j3.tokens, 'every target once, whatever the stride');
  assert.notEqual(j1.loss, j3.loss, 'more context per target changes the loss');
  // slm compare scores them the same way and says so under its table.
  const c = slm('compare', run, '--data', tiny.dir);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, new RegExp(`scored in sliding windows .*: run ${j3.windowed} *$`, 'm'));
  const bad = slm('eval', '--model', run, '--data', tiny.dir, '--stride', '0');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--stride must be a whole number ≥ 1/);
});
