/**
 * The browser-safe core really bundles for a browser: esbuild bundles the `slmkit` entry
 * (dist/src/index.js) for `platform: 'browser'`, minified, and the build must pull in no `node:`
 * module and nothing of the native addon. The bundle then runs in a bare JavaScript context (no
 * `process`, `Buffer`, `require` or file system): it builds a model, runs it, reads safetensors
 * bytes and tokenizes — and class names in summaries and errors survive the minifier.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import vm from 'node:vm';
import { build } from 'esbuild';

const entry = fileURLToPath(new URL('../src/index.js', import.meta.url));

test('the slmkit entry bundles for the browser without node: imports and runs without Node', async () => {
  const r = await build({
    entryPoints: [entry], bundle: true, platform: 'browser', format: 'iife', globalName: 'slmkit',
    minify: true, write: false, metafile: true, logLevel: 'silent',
  });
  const inputs = Object.keys(r.metafile.inputs);
  assert.deepEqual(inputs.filter((p) => p.startsWith('node:') || p.includes('backend/native')), [], 'no node: module and no native loader in the bundle');
  const code = r.outputFiles[0]!.text;
  assert.ok(!/\bBuffer\b/.test(code), 'no Buffer');
  assert.ok(!/\brequire\(/.test(code), 'no require()');

  // What every browser has; nothing of Node.
  const sandbox: Record<string, unknown> = { TextEncoder, TextDecoder, console, performance, structuredClone, queueMicrotask, setTimeout };
  vm.createContext(sandbox);
  vm.runInContext(`${code};globalThis.slmkit = slmkit;`, sandbox);
  const out = vm.runInContext(`(() => {
    const s = globalThis.slmkit;
    const cfg = s.resolveModelConfig({ type: 'lowrank', vocabSize: 11, embedDim: 4 });
    const model = s.createModel(cfg, new s.Rng(1)).eval();
    const logits = model.forward(s.Tensor.int([[1, 2, 3]]));
    const bytes = s.safetensorsBytes(model.stateDict(), { step: '1' });
    const back = s.decodeSafetensors(bytes);
    let err = null;
    try { s.resolveModelConfig({ type: 'nope', vocabSize: 3 }); } catch (e) { err = e; }
    const tok = s.tokenizerFromJson(JSON.stringify({
      version: '1.0', normalizer: { type: 'Lowercase' }, pre_tokenizer: { type: 'Whitespace' },
      model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100,
        vocab: { '[PAD]': 0, '[UNK]': 1, 'hello': 2, 'world': 3, '##s': 4 } },
    }));
    return {
      shape: logits.shape.join('x'), summary: model.summary().split('\\n')[0], backend: s.kernels().name,
      same: back.tensors['t_logits.0.weight'].data.every((x, i) => x === model.stateDict()['t_logits.0.weight'].data[i]),
      errName: err && err.name, errCode: err && err.code, errHint: err && err.hint,
      ids: tok.encode('Hello worlds').ids.join(','),
    };
  })()`, sandbox) as Record<string, unknown>;
  assert.equal(out.shape, '1x3x11');
  assert.equal(out.summary, 'MarkovChainLowRank(', 'class names survive minification');
  assert.equal(out.backend, 'reference');
  assert.equal(out.same, true, 'safetensors bytes round trip');
  assert.equal(out.errName, 'ConfigError');
  assert.equal(out.errCode, 'config');
  assert.match(String(out.errHint), /lowrank/);
  assert.equal(out.ids, '2,3,4');
});

test('in Node, a missing addon is reported once, at first use, never at import', () => {
  const script = `
    const s = await import('slmkit/node');
    const core = await import('slmkit');
    process.stdout.write('imported\\n');
    const m = core.createModel(core.resolveModelConfig({ type: 'lowrank', vocabSize: 7, embedDim: 3 }), new core.Rng(1));
    m.forward(core.Tensor.int([[1, 2]]));
    m.forward(core.Tensor.int([[3]]));
    process.stdout.write(core.kernels().name + '\\n');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8', env: { ...process.env, SLM_NATIVE_ADDON: '/nonexistent/slmkit_native.node', SLM_BACKEND: '' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'imported\nreference\n');
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /native addon not available \(\/nonexistent\/slmkit_native\.node not found/);
});
