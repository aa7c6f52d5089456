/**
 * The ONNX export as the browser meets it: transformers.js (@huggingface/transformers, on
 * onnxruntime-node's CPU binaries from npm) loads the exported folder from local files only, its
 * tokenizer gives slmkit's ids, its logits equal slmkit's within 1e-4, and its greedy generation
 * (through the past_key_values / present cache) equals `slm generate --greedy` token for token, for
 * a tied and an untied head.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { loadRun } from '../src/io/run.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Tensor } from '../src/tensor/tensor.js';
import { cliJson, cliRunner } from './helpers/cli.js';
import { makeTinyCorpus } from './helpers/tinyCorpus.js';

const { work, slm } = cliRunner('interop-onnx');
const ok = (...args: string[]) => cliJson(slm(...args));
const tiny = makeTinyCorpus(80, 16);
const store = join(work, 'store');

interface TjsTensor { data: ArrayLike<number | bigint>; dims: number[]; tolist(): unknown[] }
interface Tjs {
  env: { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string };
  AutoTokenizer: { from_pretrained(name: string): Promise<(text: string) => { input_ids: TjsTensor; attention_mask: TjsTensor }> };
  AutoModelForCausalLM: {
    from_pretrained(name: string, o: { dtype: string }): Promise<{
      (inputs: Record<string, unknown>): Promise<{ logits: TjsTensor }>;
      generate(o: Record<string, unknown>): Promise<TjsTensor>;
    }>;
  };
  Tensor: new (type: string, data: BigInt64Array, dims: number[]) => TjsTensor;
}

// The runtime is a dev dependency; where it cannot be installed the test says why instead of failing.
let tjs: Tjs | null = null;
let missing: string | false = false;
try {
  tjs = await import('@huggingface/transformers') as unknown as Tjs;
} catch (err) {
  missing = `transformers.js is not installed (${(err as Error).message.split('\n')[0]}): npm run install:interop installs it with onnxruntime-node's CPU binaries (.ci/run does)`;
  console.log(`# skipping the transformers.js check: ${missing}`);
}

describe('ONNX export in transformers.js', { skip: missing }, () => {
  before(() => {
    ok('prepare', '--input', tiny.dir, '--tokenizer', tiny.vocabPath, '--lowercase', '--out', store, '--json');
    const train = ['--model', 'transformer', '--variant', 'pre-ln', '--embed-dim', '16', '--heads', '2', '--layers', '2', '--max-len', '32',
      '--max-steps', '30', '--batch-size', '8', '--lr', '0.01', '--dropout', '0', '--json'];
    ok('train', '--data', store, ...train, '--tie-weights', '--out', join(work, 'tied'));
    ok('train', '--data', store, ...train, '--no-head-bias', '--out', join(work, 'untied'));
    for (const r of ['tied', 'untied']) ok('export', '--model', join(work, r), '--format', 'onnx', '--out', join(work, 'models', r), '--json');
    tjs!.env.allowRemoteModels = false;
    tjs!.env.allowLocalModels = true;
    tjs!.env.localModelPath = join(work, 'models');
  });

  for (const name of ['tied', 'untied']) {
    test(`${name} head: same ids, logits within 1e-4, greedy generation token for token`, async () => {
      const t = tjs!;
      const tokenizer = await t.AutoTokenizer.from_pretrained(name);
      const model = await t.AutoModelForCausalLM.from_pretrained(name, { dtype: 'fp32' });
      const run = loadRun(join(work, name));
      for (const prompt of ['the cat', 'a big red bird flew over the', 'river']) {
        const enc = tokenizer(prompt);
        const ids = (enc.input_ids.tolist()[0] as bigint[]).map(Number);
        assert.deepEqual(ids, run.tokenizer.encode(prompt).ids, 'the tokenizer.json loads with the same ids');
        const { logits } = await model(enc);
        const ours = noGrad(() => run.model.forward(new Tensor(Int32Array.from(ids), [1, ids.length]))).f32();
        assert.deepEqual(logits.dims, [1, ids.length, tiny.vocabSize]);
        let worst = 0;
        for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(Number(logits.data[i]) - ours[i]!));
        assert.ok(worst < 1e-4, `largest logit difference ${worst}`);
        const slm = ok('generate', '--model', join(work, name), '--prompt', prompt, '--greedy', '--max-new-tokens', '20', '--json');
        const want = (slm.samples as { ids: number[] }[])[0]!.ids;
        const start = ids.slice(0, -1); // the prompt without its [SEP], as slm generate feeds it
        const input = new t.Tensor('int64', BigInt64Array.from(start.map(BigInt)), [1, start.length]);
        const mask = new t.Tensor('int64', new BigInt64Array(start.length).fill(1n), [1, start.length]);
        const out = await model.generate({ input_ids: input, attention_mask: mask, max_new_tokens: 20, do_sample: false });
        const got = (out.tolist()[0] as bigint[]).map(Number);
        assert.deepEqual(got, want, `greedy continuation of "${prompt}"`);
        assert.ok(want.length > start.length + 3, 'the sample is more than a few tokens long');
      }
    });
  }
});
