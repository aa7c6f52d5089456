/**
 * The shipped training recipes: each is a valid configuration (every key known and in range) with
 * a description and a measured result, and `slm train --recipe` starts from it, flags overriding.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findRecipe, listRecipes } from '../src/io/recipes.js';
import { resolveModelConfig, type ModelType } from '../src/models/registry.js';
import { ConfigError } from '../src/tensor/errors.js';
import { resolveTrainConfig } from '../src/train/config.js';
import { cliRunner } from './helpers/cli.js';
import { makeTinyCorpus } from './helpers/tinyCorpus.js';

test('every shipped recipe resolves, is described and says what it measured', () => {
  const all = listRecipes();
  assert.ok(all.length >= 3, 'the notebook\'s and the workshop\'s recipes at least');
  for (const r of all) {
    assert.equal(r.file.recipe?.name, r.name);
    assert.ok((r.file.recipe?.description ?? '').length > 20, `${r.name} has a description`);
    assert.ok(/\d/.test(r.file.recipe?.measured ?? ''), `${r.name} names a measured figure`);
    // A recipe without a model type (one-epoch) is a training recipe for every neural family.
    const types: ModelType[] = r.file.model?.type === undefined ? ['lowrank', 'mlp', 'cnn', 'rnn', 'lstm', 'gru', 'transformer'] : [r.file.model.type as ModelType];
    for (const type of types) {
      const m = resolveModelConfig({ ...r.file.model, type, vocabSize: 100 });
      resolveTrainConfig(m.type as ModelType, r.file.train ?? {});
    }
  }
  assert.throws(() => findRecipe('no-such-recipe'), (e: Error) => e instanceof ConfigError && /notebook-lowrank/.test((e as ConfigError).hint ?? ''));
});

test('slm train --recipe starts from the recipe; flags override it; a bad recipe file is refused', () => {
  const tiny = makeTinyCorpus(40, 8);
  const { work, slm } = cliRunner('recipe');
  const run = join(work, 'run');
  const r = slm('train', '--recipe', 'notebook-lowrank', '--data', tiny.dir, '--embed-dim', '4', '--batch-size', '8', '--max-steps', '2', '--out', run);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /recipe notebook-lowrank/);
  const cfg = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as { model: { embedDim: number; dropout: number }; train: { lr: number; batchSize: number } };
  assert.deepEqual([cfg.model.embedDim, cfg.model.dropout, cfg.train.lr, cfg.train.batchSize], [4, 0.1, 0.001, 8]);
  const bad = join(work, 'bad.json');
  writeFileSync(bad, JSON.stringify({ model: { type: 'lowrank' }, training: {} }));
  const b = slm('train', '--config', bad, '--data', tiny.dir, '--out', join(work, 'run-bad'));
  assert.equal(b.code, 1);
  assert.match(b.stderr, /unknown section 'training'[\s\S]*hint: use recipe, model, train, data/);
});

test('a tied transformer under AdamW without clipping gets a note naming the fix; with --grad-clip it does not', () => {
  const tiny = makeTinyCorpus(20, 4);
  const { work, slm } = cliRunner('tied');
  const args = ['train', '--data', tiny.dir, '--model', 'transformer', '--variant', 'pre-ln', '--tie-weights', '--embed-dim', '8', '--heads', '2',
    '--layers', '1', '--max-len', '32', '--batch-size', '4', '--max-steps', '1', '--no-eval'];
  const bare = slm(...args, '--out', join(work, 'bare'));
  assert.equal(bare.code, 0, bare.stderr);
  assert.match(bare.stdout, /note: tied weights under AdamW without gradient clipping stalled .*--grad-clip 1 --beta2 0\.95/);
  const clipped = slm(...args, '--grad-clip', '1', '--out', join(work, 'clipped'));
  assert.equal(clipped.code, 0, clipped.stderr);
  assert.doesNotMatch(clipped.stdout, /note: tied weights/);
});

test('the one-epoch recipe trains any neural family at its own learning rate; without --model it says so', () => {
  const tiny = makeTinyCorpus(40, 8);
  const { work, slm } = cliRunner('one-epoch');
  for (const [type, lr, clip] of [['gru', 0.002, 1], ['mlp', 0.001, null]] as const) {
    const run = join(work, type);
    const r = slm('train', '--recipe', 'one-epoch', '--model', type, '--data', tiny.dir, '--hidden-dim', '6', '--embed-dim', '4', '--block-size', '16', '--no-eval', '--out', run);
    assert.equal(r.code, 0, r.stderr);
    const cfg = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as { model: { type: string; hiddenDim: number }; train: Record<string, unknown> };
    assert.deepEqual([cfg.model.type, cfg.model.hiddenDim], [type, 6]);
    assert.deepEqual([cfg.train.lr, cfg.train.gradClip ?? null, cfg.train.epochs, cfg.train.batching, cfg.train.schedule, cfg.train.batchSize], [lr, clip, 1, 'packed', 'cosine', 16]);
    assert.match(r.stdout, /done \(every epoch\): \d+ steps/);
  }
  const none = slm('train', '--recipe', 'one-epoch', '--data', tiny.dir, '--out', join(work, 'none'));
  assert.equal(none.code, 1);
  assert.match(none.stderr, /slm train needs --model/);
  const listed = slm('recipes');
  assert.match(listed.stdout, /slm train --recipe one-epoch --model TYPE --data DIR/);
});
