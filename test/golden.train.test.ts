/**
 * The PyTorch golden fixtures replayed through the real training loop (`train`: padded batches
 * from a token split, fused loss, AdamW): the loss of each of the three steps matches PyTorch's,
 * and so do the final parameters.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { TokenSplit } from '../src/data/store.js';
import { createModel, resolveModelConfig } from '../src/models/registry.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { resolveTrainConfig } from '../src/train/config.js';
import { train } from '../src/train/trainer.js';
import { describeEachBackend } from './helpers/backends.js';

interface JsonTensor { shape: number[]; data: number[] }
interface Fixture {
  config: Record<string, unknown> & { type: string; vocabSize: number };
  optimizer: { lr: number; betas: [number, number]; eps: number; weightDecay: number };
  batch: { ids: JsonTensor; attention_mask: JsonTensor };
  state_dict: Record<string, JsonTensor>;
  step_losses: number[];
  final_state_dict: Record<string, JsonTensor>;
}

describeEachBackend('golden fixtures through train()', () => {
  for (const name of ['markov', 'lowrank', 'transformer-post-ln', 'transformer-pre-ln-tied', 'mlp', 'cnn', 'rnn', 'lstm', 'gru']) {
    test(`${name}: step losses and final parameters match PyTorch`, async () => {
      const f = JSON.parse(readFileSync(new URL(`../../test/fixtures/golden/${name}.json`, import.meta.url), 'utf8')) as Fixture;
      // The fixture's padded batch, unpadded back into documents: paddedBatches pads it again.
      const [B, T] = f.batch.ids.shape as [number, number];
      const docs: number[][] = [];
      for (let b = 0; b < B; b++) {
        const doc: number[] = [];
        for (let t = 0; t < T; t++) if (f.batch.attention_mask.data[b * T + t]) doc.push(f.batch.ids.data[b * T + t]!);
        docs.push(doc);
      }
      const offsets = new Float64Array(B + 1);
      docs.forEach((d, i) => { offsets[i + 1] = offsets[i]! + d.length; });
      const split: TokenSplit = { ids: Uint32Array.from(docs.flat()), offsets, vocabSize: f.config.vocabSize };

      const modelConfig = resolveModelConfig(f.config);
      const model = createModel(modelConfig, new Rng(0));
      model.loadStateDict(Object.fromEntries(Object.entries(f.state_dict).map(([k, v]) => [k, new Tensor(Float32Array.from(v.data), v.shape)])));
      const config = resolveTrainConfig(modelConfig.type, {
        epochs: f.step_losses.length, batchSize: B, lr: f.optimizer.lr, beta1: f.optimizer.betas[0], beta2: f.optimizer.betas[1],
        eps: f.optimizer.eps, weightDecay: f.optimizer.weightDecay, gradClip: null, // PyTorch's steps are unclipped
      });
      const losses: number[] = [];
      await train({ model, modelConfig, config, train: split, onEvent: (e) => { if (e.kind === 'step') losses.push(e.loss); } });
      assert.equal(losses.length, f.step_losses.length);
      losses.forEach((l, i) => assert.ok(Math.abs(l - f.step_losses[i]!) <= 1e-4 * Math.abs(f.step_losses[i]!), `step ${i + 1}: ${l} vs PyTorch ${f.step_losses[i]}`));
      for (const [pname, p] of model.namedParameters()) {
        if (pname.endsWith('attn.key.bias')) continue; // zero gradient in exact arithmetic: see golden.test.ts
        const want = f.final_state_dict[pname]!.data;
        let scale = 0;
        for (const x of want) scale = Math.max(scale, Math.abs(x));
        const got = p.f32();
        let worst = 0;
        for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
        assert.ok(worst <= 1e-4 * scale, `${pname}: max difference ${worst} against scale ${scale}`);
      }
    });
  }
});
