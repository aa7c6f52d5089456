/**
 * Hugging Face's GPT-2 layout both ways: a pre-LN run exports (tied or untied head) with GPT-2's
 * names, Conv1D layout and config, and imports back into a run whose logits, eval loss and greedy
 * samples equal the original's; what GPT-2 cannot express (post-LN, a head bias, other model types)
 * is refused with the reason and the table of formats; broken folders are refused naming the file.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { loadRun } from '../src/io/run.js';
import { loadSafetensors } from '../src/io/safetensors.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Tensor } from '../src/tensor/tensor.js';
import { cliJson, cliRunner } from './helpers/cli.js';
import { makeTinyCorpus } from './helpers/tinyCorpus.js';

const { work, slm } = cliRunner('interop-hf');
const ok = cliJson;
const tiny = makeTinyCorpus(80, 16);
const store = join(work, 'store');

const small = ['--embed-dim', '16', '--heads', '2', '--layers', '2', '--max-len', '32', '--max-steps', '25', '--batch-size', '8', '--lr', '0.01', '--dropout', '0'];

function trainRun(name: string, ...flags: string[]): string {
  const out = join(work, name);
  ok(slm('train', '--data', store, '--model', 'transformer', ...small, ...flags, '--out', out, '--json'));
  return out;
}

/** Logits (flat) of a run's model for ids. */
function logitsOf(dir: string, ids: number[]): Float32Array {
  const run = loadRun(dir);
  return noGrad(() => run.model.forward(new Tensor(Int32Array.from(ids), [1, ids.length]))).f32();
}

describe('Hugging Face GPT-2 folders: export and import', () => {
  let tied: string;
  let untied: string;
  before(() => {
    ok(slm('prepare', '--input', tiny.dir, '--tokenizer', tiny.vocabPath, '--lowercase', '--out', store, '--json'));
    tied = trainRun('tied', '--variant', 'pre-ln', '--tie-weights');
    untied = trainRun('untied', '--variant', 'pre-ln', '--no-head-bias');
  });

  test('export writes GPT-2 names, the Conv1D (in, out) layout with q,k,v side by side, format pt and the config', () => {
    const out = join(work, 'hf-untied');
    ok(slm('export', '--model', untied, '--format', 'hf', '--out', out, '--json'));
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) assert.ok(existsSync(join(out, f)), f);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(cfg.model_type, 'gpt2');
    assert.equal(cfg.activation_function, 'gelu', 'the exact erf GELU slmkit trains');
    assert.deepEqual([cfg.n_embd, cfg.n_head, cfg.n_layer, cfg.n_positions, cfg.vocab_size, cfg.tie_word_embeddings], [16, 2, 2, 32, tiny.vocabSize, false]);
    assert.equal(cfg.layer_norm_epsilon, 1e-5);
    assert.equal(cfg.eos_token_id, 3); // [SEP] of the tiny vocabulary
    const { tensors: hf, metadata } = loadSafetensors(join(out, 'model.safetensors'));
    assert.equal(metadata.format, 'pt');
    const { tensors: own } = loadSafetensors(join(untied, 'model.safetensors'));
    const C = 16;
    const cAttn = hf['transformer.h.1.attn.c_attn.weight']!;
    assert.deepEqual(cAttn.shape, [C, 3 * C]);
    const parts = ['query', 'key', 'value'].map((n) => own[`blocks.1.attn.${n}.weight`]!.f32()); // (out, in)
    for (let i = 0; i < C; i++) {
      for (let k = 0; k < 3; k++) for (let o = 0; o < C; o++) assert.equal(cAttn.f32()[i * 3 * C + k * C + o], parts[k]![o * C + i]);
    }
    assert.deepEqual([...hf['transformer.h.1.attn.c_attn.bias']!.f32()],
      [...own['blocks.1.attn.query.bias']!.f32(), ...own['blocks.1.attn.key.bias']!.f32(), ...own['blocks.1.attn.value.bias']!.f32()]);
    assert.deepEqual(hf['transformer.h.0.mlp.c_fc.weight']!.shape, [C, 4 * C]);
    assert.equal(hf['transformer.h.0.mlp.c_fc.weight']!.f32()[1 * 4 * C + 5], own['blocks.0.ff.0.weight']!.f32()[5 * C + 1]);
    assert.deepEqual([...hf['lm_head.weight']!.f32()], [...own['head.weight']!.f32()], 'nn.Linear (V, C) as it is');
    assert.ok(!('lm_head.bias' in hf));
    const tiedOut = join(work, 'hf-tied');
    ok(slm('export', '--model', tied, '--format', 'hf', '--out', tiedOut, '--json'));
    const t = loadSafetensors(join(tiedOut, 'model.safetensors')).tensors;
    assert.ok(!('lm_head.weight' in t), 'a tied head is the token embedding, stored once');
    assert.equal(JSON.parse(readFileSync(join(tiedOut, 'config.json'), 'utf8')).tie_word_embeddings, true);
  });

  test('import gives back the same model: logits bit for bit, eval loss, greedy samples; compare opens it', () => {
    const ids = [2, 7, 8, 9, 10, 11, 12];
    for (const [run, hf] of [[tied, join(work, 'hf-tied')], [untied, join(work, 'hf-untied')]] as const) {
      const back = join(work, `${run.split('/').pop()}-imported`);
      const r = ok(slm('import', hf, '--out', back, '--json'));
      assert.equal(r.step, loadRun(run).step);
      assert.deepEqual([...logitsOf(back, ids)], [...logitsOf(run, ids)]);
      const a = ok(slm('eval', '--model', run, '--data', store, '--json'));
      const b = ok(slm('eval', '--model', back, '--data', store, '--json'));
      assert.equal(b.loss, a.loss);
      const g = (d: string) => ok(slm('generate', '--model', d, '--prompt', 'the cat', '--greedy', '--max-new-tokens', '12', '--json'));
      assert.deepEqual(g(back).samples, g(run).samples);
    }
    const c = slm('compare', tied, join(work, 'tied-imported'), '--data', store, '--json');
    assert.equal(c.code, 0, c.stderr);
  });

  test('what GPT-2 cannot express is refused with the reason and the formats each model type supports', () => {
    const post = trainRun('post', '--max-steps', '1');
    const r = slm('export', '--model', post, '--format', 'hf', '--out', join(work, 'no'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /post-ln variant.*OpenAI GPT.*gelu_new.*only variant pre-ln exports/s);
    assert.match(r.stderr, /what each model type exports to: transformer variant pre-ln → hf, onnx/);
    const biased = trainRun('biased', '--variant', 'pre-ln', '--max-steps', '1');
    const b = slm('export', '--model', biased, '--format', 'onnx', '--out', join(work, 'no'));
    assert.match(b.stderr, /GPT-2's lm_head has no bias.*--tie-weights.*--no-head-bias/s);
    const lowrank = join(work, 'lowrank');
    ok(slm('train', '--data', store, '--model', 'lowrank', '--embed-dim', '4', '--max-steps', '1', '--out', lowrank, '--json'));
    const l = slm('export', '--model', lowrank, '--format', 'hf', '--out', join(work, 'no'));
    assert.match(l.stderr, /is a lowrank run; --format hf takes transformer runs of variant pre-ln/);
    assert.match(l.stderr, /markov, lowrank, mlp, cnn, rnn, lstm, gru → none/);
    const ngram = join(work, 'ngram');
    ok(slm('train', '--data', store, '--model', 'ngram', '--order', '2', '--out', ngram, '--json'));
    const n = slm('export', '--model', ngram, '--format', 'onnx', '--out', join(work, 'no'));
    assert.match(n.stderr, /is a ngram run.*ngram → none/s);
    assert.ok(!existsSync(join(work, 'no')));
    const s = slm('export', '--model', tied, '--format', 'llmc', '--out', join(work, 'no'));
    assert.match(s.stderr, /--format llmc writes token files from a store: pass --data STORE/);
  });

  test('broken folders are refused naming the file and the problem; nothing is written', () => {
    const src = join(work, 'hf-tied');
    const bad = join(work, 'bad');
    const out = join(work, 'bad-run');
    const fresh = () => { rmSync(bad, { recursive: true, force: true }); cpSync(src, bad, { recursive: true }); };
    const edit = (f: (c: Record<string, unknown>) => void) => {
      const p = join(bad, 'config.json');
      const c = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
      f(c);
      writeFileSync(p, JSON.stringify(c));
    };
    const fails = (pattern: RegExp) => {
      const r = slm('import', bad, '--out', out);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, pattern);
      assert.ok(!existsSync(out), 'no run folder written');
    };
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) {
      fresh();
      rmSync(join(bad, f));
      fails(new RegExp(`${join(bad, f).replace(/[/.]/g, '\\$&')} is missing`));
    }
    fresh();
    edit((c) => { c.model_type = 'llama'; });
    fails(/model_type "llama"; slm import reads the GPT-2 layout/);
    fresh();
    edit((c) => { c.activation_function = 'gelu_new'; });
    fails(/activation_function is "gelu_new" \(the tanh approximation of GELU\)/);
    fresh();
    edit((c) => { c.n_embd = 32; c.n_head = 4; });
    fails(/transformer\.wte\.weight has shape \[37, 16\] but config\.json says \[37, 32\]/);
    fresh();
    edit((c) => { c.n_layer = 1; });
    fails(/holds tensors a GPT-2 of this config\.json has no place for: transformer\.h\.1\./);
    fresh();
    edit((c) => { c.vocab_size = 40; });
    fails(/tokenizer .* has 37 tokens but .*config\.json says vocab_size 40/);
    fresh();
    writeFileSync(join(bad, 'model.safetensors'), readFileSync(join(src, 'model.safetensors')).subarray(0, 200));
    fails(/model\.safetensors is not a valid safetensors file/);
    ok(slm('import', src, '--out', out, '--json'));
    const again = slm('import', src, '--out', out);
    assert.match(again.stderr, /already exists/);
  });
});
