/**
 * Property and fuzz tests of the run folder's text files: config.json (model and training
 * sections), trainer.json (the state a run resumes from) and metrics.jsonl (the log). Random or
 * damaged values fail with a typed error naming the file or key, never another error; a damaged
 * trainer.json is refused or resumes to exactly the weights of an undamaged one, never silently to
 * other weights; any metrics.jsonl content leaves a resumed run's log readable.
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import { prepare } from '../src/data/prepare.js';
import { loadStore, type OpenedData } from '../src/data/open.js';
import { loadRun } from '../src/io/run.js';
import { loadTokenizer } from '../src/io/tokenizerFiles.js';
import { families } from '../src/models/registry.js';
import { createModel, resolveModelConfig } from '../src/models/registry.js';
import { MetricsError, parseMetrics } from '../src/plot/metrics.js';
import { Rng } from '../src/tensor/rng.js';
import { resolveTrainConfig, trainKeys } from '../src/train/config.js';
import { train } from '../src/train/trainer.js';
import { edits, fuzz, mutate, scratch, typedOrValue } from './helpers/fuzz.js';
import { makeTinyCorpus } from './helpers/tinyCorpus.js';

const dir = scratch('runfiles');
const tiny = makeTinyCorpus(40, 8);
let data: OpenedData;

const modelKeys = [...new Set(families.flatMap((f) => Object.keys(f.keys as object)))];
const anyKey = (known: string[]) => fc.oneof(fc.constantFrom(...known), fc.string({ maxLength: 6 }), fc.constant('__proto__'));
const section = (known: string[]) => fc.dictionary(anyKey(known), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 });

function settings(maxSteps: number) {
  const modelConfig = resolveModelConfig({ type: 'lowrank', vocabSize: tiny.vocabSize, embedDim: 4, dropout: 0.1 });
  const config = resolveTrainConfig('lowrank', { batchSize: 8, maxSteps, saveEvery: 2, lr: 0.01, eval: false, shuffle: true });
  return { modelConfig, config, model: createModel(modelConfig, new Rng(config.seed)) };
}

/** Trains (or resumes) the tiny run in `out` to `steps` steps; returns model.safetensors's bytes. */
async function runTo(out: string, steps: number, resume: boolean): Promise<Buffer> {
  await train({ ...settings(steps), train: data.train, test: data.test, outDir: out, resume, tokenizerJson: data.tokenizer.toJSON() });
  return readFileSync(join(out, 'model.safetensors'));
}

describe('run files: properties', () => {
  const half = join(dir, 'half');
  let full: Buffer;
  before(async () => {
    const tokenizer = await loadTokenizer(tiny.vocabPath, { lowercase: true });
    await prepare({ corpus: { input: tiny.dir }, tokenizer, tokenizerId: 'tiny', out: join(tiny.dir, 'store'), workers: 1 });
    data = loadStore(join(tiny.dir, 'store'));
    full = await runTo(join(dir, 'full'), 6, false);
    await runTo(half, 3, false);
  });

  test('config.json: random model and training sections give a ConfigError or a valid config', async () => {
    const trainNames = Object.keys(trainKeys);
    const types = ['lowrank', 'markov', 'transformer', 'ngram', 'x', ''];
    await fuzz('config.json sections', fc.record({ type: fc.constantFrom(...types), model: section(modelKeys), train: section(trainNames) }), async (c) => {
      await typedOrValue(() => resolveModelConfig({ ...c.model, type: c.type, vocabSize: 37 }));
      if (c.type === 'lowrank' || c.type === 'transformer' || c.type === 'markov') await typedOrValue(() => resolveTrainConfig(c.type as 'lowrank', c.train));
    }, { quick: 300 });
  });

  test('config.json: damaged bytes make loadRun fail with a typed error or open the run', async () => {
    const text = readFileSync(join(half, 'config.json'));
    const copy = join(dir, 'cfg');
    cpSync(half, copy, { recursive: true });
    await fuzz('config.json damaged bytes', edits, async (e) => {
      writeFileSync(join(copy, 'config.json'), mutate(text, e));
      await typedOrValue(() => loadRun(copy));
    }, { quick: 60 });
  });

  test('trainer.json: a damaged state is refused, or resumes to exactly the undamaged run\'s weights', async () => {
    const state = JSON.parse(readFileSync(join(half, 'trainer.json'), 'utf8')) as Record<string, unknown>;
    const text = readFileSync(join(half, 'trainer.json'));
    const keys = Object.keys(state);
    const damage = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: fc.constantFrom(...keys), value: fc.jsonValue({ maxDepth: 1 }) }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom(...keys) }),
      fc.record({ kind: fc.constant('bytes' as const), edits }),
    );
    let n = 0;
    await fuzz('trainer.json damaged', damage, async (d) => {
      const copy = join(dir, `tj-${n++}`);
      cpSync(half, copy, { recursive: true });
      if (d.kind === 'bytes') writeFileSync(join(copy, 'trainer.json'), mutate(text, d.edits));
      else {
        const s: Record<string, unknown> = structuredClone(state);
        if (d.kind === 'set') s[d.key] = d.value;
        else delete s[d.key];
        writeFileSync(join(copy, 'trainer.json'), JSON.stringify(s));
      }
      const got = await typedOrValue(() => runTo(copy, 6, true));
      if (got) assert.ok(got.equals(full), `resumed silently to other weights after ${JSON.stringify(d).slice(0, 200)}`);
      rmSync(copy, { recursive: true, force: true });
    }, { quick: 40, deep: 1500 });
  });

  test('metrics.jsonl: any content leaves a resumed run with a readable log', async () => {
    const line = fc.oneof(fc.json({ maxDepth: 2 }), fc.string({ maxLength: 30 }), fc.record({ step: fc.jsonValue(), loss: fc.jsonValue() }).map((r) => JSON.stringify(r)));
    let n = 0;
    await fuzz('metrics.jsonl content', fc.tuple(fc.array(line, { maxLength: 6 }), fc.boolean()), async ([lines, newline]) => {
      const copy = join(dir, `mj-${n++}`);
      cpSync(half, copy, { recursive: true });
      writeFileSync(join(copy, 'metrics.jsonl'), `${readFileSync(join(half, 'metrics.jsonl'), 'utf8')}${lines.join('\n')}${newline ? '\n' : ''}`);
      await runTo(copy, 6, true);
      const log = readFileSync(join(copy, 'metrics.jsonl'), 'utf8');
      for (const l of log.split('\n').filter(Boolean)) JSON.parse(l);
      parseMetrics(log, 'run');
      rmSync(copy, { recursive: true, force: true });
    }, { quick: 15, deep: 500 });
  });

  test('metrics.jsonl: random text gives curves or a MetricsError, never another error', async () => {
    await fuzz('metrics.jsonl parse', fc.string({ maxLength: 200, unit: 'binary' }), async (t) => {
      await typedOrValue(() => parseMetrics(t, 'run'), MetricsError);
      await typedOrValue(() => parseMetrics(t, 'run', true), MetricsError);
    }, { quick: 300 });
  });
});
