/**
 * One test over every registered model family (models/registry.ts), so a new family is checked
 * the moment it is listed: its descriptor's parameter count equals the built model's, its config
 * survives a JSON round trip, unknown keys and wrong types are refused naming the known keys,
 * gradients match finite differences, the fused loss equals the unfused one, padding never changes
 * a real position's logits, the decoder equals forward(), and its memory estimate grows with T.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { paddedBatches, shiftBatch } from '../src/data/batches.js';
import type { TokenSplit } from '../src/data/store.js';
import type { AnyKeySpec } from '../src/config/keys.js';
import { resolveFamilyConfig, type ModelFamily, type NeuralFamily } from '../src/models/family.js';
import { openDecoder } from '../src/models/decoder.js';
import {
  allModelTypes, countParameters, createModel, describeModel, families, resolveAnyConfig, resolveModelConfig,
} from '../src/models/registry.js';
import { buildNgramModel } from '../src/ngram/build.js';
import { evaluateNgram } from '../src/ngram/evaluate.js';
import type { NgramConfig } from '../src/ngram/config.js';
import { maskedCrossEntropy } from '../src/ops/index.js';
import { noGrad } from '../src/tensor/autograd.js';
import { ConfigError } from '../src/tensor/errors.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { runBatch } from '../src/train/step.js';
import { describeEachBackend } from './helpers/backends.js';

const V = 13;

function tinySplit(rng: Rng, docs = 6): TokenSplit {
  const lists = Array.from({ length: docs }, (_, i) => Array.from({ length: 2 + ((i * 5) % 9) }, () => 1 + rng.int(V - 1)));
  const offsets = new Float64Array(lists.length + 1);
  lists.forEach((d, i) => { offsets[i + 1] = offsets[i]! + d.length; });
  return { ids: Uint32Array.from(lists.flat()), offsets, vocabSize: V };
}

function tinyConfig(f: ModelFamily): Record<string, unknown> {
  return { type: f.type, vocabSize: V, ...f.tiny };
}

/** A value of the wrong type for a key of this kind. */
function wrongValue(spec: AnyKeySpec): unknown {
  return spec.kind === 'bool' ? 'yes' : spec.kind === 'choice' ? 'no-such-choice' : 'x';
}

describe('every family: configuration', () => {
  test('the registry lists each type once, and the CLI types are those', () => {
    assert.equal(new Set(allModelTypes).size, allModelTypes.length);
    assert.deepEqual([...allModelTypes], families.map((f) => f.type));
  });
  for (const f of families) {
    test(`${f.type}: round trip, unknown keys, wrong types, documented keys`, () => {
      assert.ok(f.title.length > 10, 'a title for --help');
      for (const [k, spec] of Object.entries(f.keys as Record<string, AnyKeySpec>)) assert.ok(spec.doc.length > 5, `${f.type}.${k} has a doc line`);
      const cfg = resolveAnyConfig(tinyConfig(f));
      assert.deepEqual(resolveAnyConfig(JSON.parse(JSON.stringify(cfg)) as Record<string, unknown>), cfg);
      assert.ok(describeModel(cfg).startsWith(f.type));
      assert.throws(() => resolveAnyConfig({ ...cfg, bogus: 1 }),
        (e: Error) => e instanceof ConfigError && /unknown key 'bogus'/.test(e.message) && /vocabSize/.test(e.hint ?? ''));
      assert.throws(() => resolveAnyConfig({ ...cfg, vocabSize: 0 }), ConfigError);
      assert.throws(() => resolveAnyConfig({ type: f.type }), /lacks vocabSize/);
      for (const [k, spec] of Object.entries(f.keys as Record<string, AnyKeySpec>)) {
        assert.throws(() => resolveFamilyConfig(f, { ...cfg, [k]: wrongValue(spec) }), ConfigError, `${f.type}.${k} refuses a wrong type`);
        if (spec.kind === 'int' && (spec.min ?? 0) >= 1) assert.throws(() => resolveFamilyConfig(f, { ...cfg, [k]: 0 }), ConfigError, `${f.type}.${k} refuses 0`);
      }
    });
  }
  test('an unknown type names every type', () => {
    assert.throws(() => resolveAnyConfig({ type: 'gpt', vocabSize: V }), (e: Error) =>
      e instanceof ConfigError && allModelTypes.every((t) => (e as ConfigError).hint!.includes(t)));
  });
});

const neural = families.filter((f): f is NeuralFamily => f.kind === 'neural');

describeEachBackend('every neural family: the model', () => {
  for (const f of neural) {
    test(`${f.type}: parameter count, memory estimate, training hints`, () => {
      for (const raw of [tinyConfig(f), { type: f.type, vocabSize: V }]) {
        const cfg = resolveModelConfig(raw);
        assert.equal(countParameters(cfg), createModel(cfg, new Rng(1)).numParameters(), JSON.stringify(cfg));
      }
      const cfg = resolveModelConfig(tinyConfig(f));
      assert.ok(f.activationBytesPerRow(cfg, 8) > 0 && f.activationBytesPerRow(cfg, 16) > f.activationBytesPerRow(cfg, 8));
      assert.ok(f.training.lr > 0);
      const names = createModel(cfg, new Rng(1)).namedParameters().map(([n]) => n);
      assert.equal(new Set(names).size, names.length, 'parameter names are unique');
    });

    test(`${f.type}: gradients by finite differences (eval mode, masked loss over a padded batch)`, () => {
      const rng = new Rng(7);
      const model = createModel(resolveModelConfig(tinyConfig(f)), new Rng(2)).eval();
      const batch = shiftBatch([...paddedBatches(tinySplit(rng), { batchSize: 6 })][0]!);
      const loss = () => maskedCrossEntropy(model.forward(batch.inputs, batch.inputMask), batch.targets, batch.mask);
      model.zeroGrad();
      loss().backward();
      for (const [name, p] of model.namedParameters()) {
        const g = p.grad!.f32().slice();
        const w = p.f32();
        const at = noGrad(loss).item();
        for (let s = 0; s < 4; s++) {
          const i = rng.int(w.length);
          const x = w[i]!;
          // A ReLU kink within ±h makes a central difference meaningless; it shows as one-sided
          // differences that disagree, and then h shrinks (a smooth loss keeps h = 1e-2).
          let numeric = 0;
          for (let h = 1e-2 * Math.max(1, Math.abs(x)); ; h /= 10) {
            w[i] = x + h;
            const up = noGrad(loss).item();
            w[i] = x - h;
            const down = noGrad(loss).item();
            w[i] = x;
            numeric = (up - down) / (Math.fround(x + h) - Math.fround(x - h));
            const [right, left] = [(up - at) / (Math.fround(x + h) - x), (at - down) / (x - Math.fround(x - h))];
            if (Math.abs(right - left) <= 2e-3 + 5e-2 * Math.abs(numeric) || h < 1e-4) break;
          }
          assert.ok(Math.abs(numeric - g[i]!) <= 2e-3 + 5e-2 * Math.abs(numeric), `${f.type} ${name}[${i}]: analytic ${g[i]} vs numeric ${numeric}`);
        }
      }
    });

    test(`${f.type}: fused loss equals the unfused one; padding leaves real positions unchanged`, () => {
      const rng = new Rng(11);
      const model = createModel(resolveModelConfig(tinyConfig(f)), new Rng(3)).eval();
      const split = tinySplit(rng);
      const batch = shiftBatch([...paddedBatches(split, { batchSize: 6 })][0]!);
      const fused = runBatch(model, batch, 6, false).loss;
      const plain = noGrad(() => maskedCrossEntropy(model.forward(batch.inputs, batch.inputMask), batch.targets, batch.mask)).item();
      assert.ok(Math.abs(fused - plain) <= 1e-5 * Math.max(1, Math.abs(plain)), `fused ${fused} vs ${plain}`);
      const [B, T] = batch.inputs.shape as [number, number];
      const all = noGrad(() => model.forward(batch.inputs, batch.inputMask)).f32();
      for (let b = 0; b < B; b++) {
        let n = 0;
        while (n < T && batch.inputMask.data[b * T + n] !== 0) n++;
        const row = new Tensor(Int32Array.from(batch.inputs.data.subarray(b * T, b * T + n)), [1, n]);
        const alone = noGrad(() => model.forward(row, null)).f32();
        for (let i = 0; i < n * V; i++) {
          assert.ok(Math.abs(alone[i]! - all[b * T * V + i]!) <= 1e-5 * Math.max(1, Math.abs(alone[i]!)), `${f.type} row ${b}: padded and alone differ at ${i}`);
        }
      }
    });

    test(`${f.type}: its decoder gives forward()'s last-position logits`, () => {
      const model = createModel(resolveModelConfig(tinyConfig(f)), new Rng(4)).eval();
      const ids = [2, 5, 7, 1, 9, 3];
      const dec = openDecoder(model);
      const first = Math.min(2, model.contextSize);
      let got = dec.prefill(ids.slice(0, first));
      for (let t = first; t <= ids.length; t++) {
        const win = ids.slice(Math.max(0, t - model.contextSize), t);
        const want = noGrad(() => model.forward(new Tensor(Int32Array.from(win), [1, win.length]), null)).f32().slice((win.length - 1) * V);
        for (let i = 0; i < V; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-5 * Math.max(1, Math.abs(want[i]!)), `${f.type} t=${t} id ${i}`);
        if (t < ids.length) got = dec.step(ids[t]!);
      }
    });
  }
});

describe('every counted family', () => {
  for (const f of families.filter((x) => x.kind === 'counted')) {
    test(`${f.type}: counts a split and scores it`, () => {
      const split = tinySplit(new Rng(5), 20);
      const cfg = resolveAnyConfig(tinyConfig(f)) as NgramConfig;
      const { model } = buildNgramModel(split, cfg);
      const r = evaluateNgram(model, split);
      assert.ok(Number.isFinite(r.loss) && r.loss > 0 && r.loss < Math.log(V));
    });
  }
});

