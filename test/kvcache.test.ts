/**
 * The transformer's key/value cache against its definition: at every position, including past the
 * context limit (where each step re-reads the last window), the cached next-token logits equal
 * forward() on the last contextSize tokens; generation with and without the cache draws the same
 * ids; a prompt longer than the context is cut from the left with a notice; the Markov chains
 * sample exactly as the old forward-over-the-window loop did.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { forwardDecoder, openDecoder } from '../src/models/decoder.js';
import { MarkovChainLowRank } from '../src/models/lowrank.js';
import { MarkovChain } from '../src/models/markov.js';
import type { LanguageModel } from '../src/models/model.js';
import { Transformer, type TransformerConfig } from '../src/models/transformer.js';
import { generateIds, type PromptCut } from '../src/sample/generate.js';
import { sampleToken } from '../src/sample/sampling.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { describeEachBackend } from './helpers/backends.js';
import { makeTinyCorpus } from './helpers/tinyCorpus.js';

const V = 50;
const CTX = 12;

/** Random weights (post-ln: PyTorch's init, logits spread ~3; pre-ln tied: GPT-2's init); dropout on to check eval mode. */
function tinyTransformer(variant: TransformerConfig['variant'], seed: number): Transformer {
  return new Transformer({
    type: 'transformer', vocabSize: V, embedDim: 16, heads: 2, layers: 2, maxLen: CTX, dropout: 0.2,
    variant, tieWeights: variant === 'pre-ln', init: 'auto', headBias: true,
  }, new Rng(seed));
}

/** Next-token logits (V) after ids, uncached: forward() in eval mode on the last CTX tokens. */
function referenceLogits(model: LanguageModel, ids: readonly number[]): Float32Array {
  const ctx = ids.slice(Math.max(0, ids.length - model.contextSize));
  const wasTraining = model.training;
  model.eval();
  const logits = noGrad(() => model.forward(new Tensor(Int32Array.from(ctx), [1, ctx.length]))); // (1,T,V)
  model.train(wasTraining);
  const W = model.config.vocabSize;
  return logits.f32().slice((ctx.length - 1) * W, ctx.length * W);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function randomIds(n: number, seed: number): number[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => r.int(V));
}

/** The generation loop as it was before the cache: forward() over the window at every draw. */
function oldGenerate(model: LanguageModel, prompt: readonly number[], maxNew: number, rng: Rng): number[] {
  const ids = [...prompt];
  const out: number[] = [];
  for (let n = 0; n < maxNew; n++) {
    const next = sampleToken(referenceLogits(model, ids), {}, rng);
    ids.push(next);
    out.push(next);
  }
  return out;
}

describeEachBackend('key/value cache', () => {
  for (const variant of ['post-ln', 'pre-ln'] as const) {
    test(`${variant}: cached logits equal forward() at every position, past the context too`, () => {
      const model = tinyTransformer(variant, 5);
      model.train(); // the decoder must switch dropout off by itself, and leave the mode as it was
      const ids = randomIds(3 * CTX, 11);
      for (const promptLen of [1, 5, CTX]) {
        const dec = model.decoder();
        let got = dec.prefill(ids.slice(0, promptLen));
        let worst = maxAbsDiff(got, referenceLogits(model, ids.slice(0, promptLen)));
        for (let t = promptLen; t < ids.length; t++) {
          got = dec.step(ids[t]!);
          assert.equal(dec.length, Math.min(t + 1, CTX));
          worst = Math.max(worst, maxAbsDiff(got, referenceLogits(model, ids.slice(0, t + 1))));
        }
        assert.ok(worst < 1e-5, `prompt of ${promptLen}: max |cached - forward| = ${worst}`);
      }
      assert.equal(model.training, true);
    });

    test(`${variant}: generation draws the same ids with and without the cache`, () => {
      const model = tinyTransformer(variant, 6);
      const prompt = randomIds(4, 12);
      const draw = (cache: boolean) => [...generateIds(model, prompt, { maxNewTokens: 3 * CTX, rng: new Rng(7), cache })];
      const cached = draw(true);
      assert.equal(cached.length, 3 * CTX);
      assert.deepEqual(cached, draw(false));
      assert.deepEqual(cached, oldGenerate(model, prompt, 3 * CTX, new Rng(7)), 'as the loop before the cache');
    });

    test(`${variant}: a prompt longer than the context is cut from the left, with a notice`, () => {
      const model = tinyTransformer(variant, 7);
      const prompt = randomIds(CTX + 8, 13);
      const cuts: PromptCut[] = [];
      const long = [...generateIds(model, prompt, { maxNewTokens: 5, rng: new Rng(3), onPromptCut: (c) => cuts.push(c) })];
      assert.deepEqual(cuts, [{ promptTokens: CTX + 8, contextSize: CTX, kept: CTX }]);
      const short = [...generateIds(model, prompt.slice(-CTX), { maxNewTokens: 5, rng: new Rng(3), onPromptCut: (c) => cuts.push(c) })];
      assert.deepEqual(long, short, 'the same draws as from the last contextSize tokens');
      assert.equal(cuts.length, 1, 'a prompt that fits raises no notice');
    });
  }

  test('the Markov chains sample exactly as before', () => {
    for (const model of [new MarkovChain({ type: 'markov', vocabSize: V }, new Rng(1)),
      new MarkovChainLowRank({ type: 'lowrank', vocabSize: V, embedDim: 8, dropout: 0.3 }, new Rng(2))]) {
      const prompt = randomIds(3, 14);
      const got = [...generateIds(model, prompt, { maxNewTokens: 20, rng: new Rng(9) })];
      assert.deepEqual(got, oldGenerate(model, prompt, 20, new Rng(9)), model.config.type);
    }
  });

  test('decoders refuse an empty or too-long prefill and a step before it', () => {
    const model = tinyTransformer('pre-ln', 8);
    for (const dec of [model.decoder(), forwardDecoder(model)]) {
      assert.throws(() => dec.step(1), /nothing read yet/);
      assert.throws(() => dec.prefill([]), /no tokens/);
      assert.throws(() => dec.prefill(randomIds(CTX + 1, 1)), /do not fit the model's context of 12/);
    }
    assert.equal(openDecoder(model, { cache: false }).contextSize, CTX);
    assert.throws(() => model.decoder().prefill([V]), /out of range|outside|vocab/i);
  });
});

describe('slm generate with a prompt longer than the context', () => {
  test('prints one line on stderr and keeps the last contextSize tokens', () => {
    const main = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
    const work = mkdtempSync(join(tmpdir(), 'slm-kv-'));
    const slm = (...args: string[]) => spawnSync(process.execPath, [main, ...args],
      { encoding: 'utf8', env: { ...process.env, SLM_CACHE: join(work, 'cache') } });
    const tiny = makeTinyCorpus(20, 4);
    const run = join(work, 'run');
    let r = slm('train', '--data', tiny.dir, '--model', 'transformer', '--embed-dim', '8', '--heads', '2',
      '--layers', '1', '--max-len', '8', '--batching', 'packed', '--block-size', '8', '--max-steps', '1', '--out', run, '--json');
    assert.equal(r.status, 0, r.stderr);
    r = slm('generate', '--model', run, '--prompt', 'the cat sat on the mat and then the dog ran', '--num-samples', '2',
      '--max-new-tokens', '4', '--json');
    assert.equal(r.status, 0, r.stderr);
    const notices = r.stderr.split('\n').filter((l) => l.startsWith('prompt is'));
    assert.deepEqual(notices, ["prompt is 12 tokens; the model's context is 8: keeping the last 8"], r.stderr);
    const s = (JSON.parse(r.stdout.trim().split('\n').pop()!) as { samples: { ids: number[] }[] }).samples;
    assert.equal(s[0]!.ids.length, 12 + 4, 'the sample keeps the whole prompt; only the model reads less');
  });
});
