/**
 * One test per bug the fuzzers found (issue 16), each on the smallest input that showed it, so a
 * regression fails here by name even if a property's random draws stop reaching it. The README's
 * "What slmkit survives" lists them with the property that found each.
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readDocuments } from '../src/corpus/readers.js';
import { readStore, StoreWriter } from '../src/data/store.js';
import { decodeSafetensors, safetensorsBytes } from '../src/formats/safetensors.js';
import { ConfigError } from '../src/tensor/errors.js';
import { Tensor } from '../src/tensor/tensor.js';
import { requiredBertTokens, tokenizerFromVocabTxt } from '../src/tokenizer/bertVocab.js';
import { tokenizerFromJson } from '../src/tokenizer/hfTokenizer.js';
import { keepMetricsUpTo } from '../src/train/runState.js';
import { slm, trainArgs } from './helpers/crash.js';
import { scratch } from './helpers/fuzz.js';
import { makeTinyCorpus } from './helpers/tinyCorpus.js';

const dir = scratch('regress');

async function docs(text: string, format: 'notebook' | 'lines' | 'jsonl', column?: string): Promise<string[]> {
  const p = join(dir, `d-${format}.txt`);
  writeFileSync(p, text);
  const out: string[] = [];
  for await (const d of readDocuments(p, { format, ...(column ? { column } : {}) })) out.push(d.text);
  return out;
}

describe('bugs the fuzzers found', () => {
  test('F1: a tensor named __proto__ stays in the file and comes back', () => {
    const t = Object.fromEntries([['__proto__', Tensor.int([1, 2])], ['a', Tensor.int([3])]]) as Record<string, Tensor>;
    const back = decodeSafetensors(safetensorsBytes(t)).tensors;
    assert.deepEqual(Object.keys(back).sort(), ['__proto__', 'a']);
    assert.deepEqual([...back['__proto__']!.data], [1, 2]);
  });

  test('F2: a store id outside the vocabulary is reported on reading, naming the token', () => {
    const p = join(dir, 's.bin');
    const w = new StoreWriter(p, 300);
    w.add([1, 2, 299, 4]);
    w.finish();
    const b = readFileSync(p);
    b.writeUInt32LE(2, 8); // as a version 2 store: no checksum to catch it first
    b.fill(0, 36, 44);
    b[65] = 0x40; // id 1 → 16385
    writeFileSync(p, b);
    assert.throws(() => readStore(p), /s\.bin is damaged: token 0 has id 16385, outside the vocabulary of 300/);
  });

  test('F4: a trainer.json without "epoch" is refused, not resumed', async () => {
    const tiny = makeTinyCorpus(30, 6);
    const store = join(dir, 'store');
    assert.equal((await slm(['prepare', '--input', tiny.dir, '--tokenizer', tiny.vocabPath, '--lowercase', '--out', store, '--workers', '1'])).code, 0);
    const run = join(dir, 'run');
    assert.equal((await slm(trainArgs(store, run, 3))).code, 0);
    for (const [what, edit] of [['v3', (s: Record<string, unknown>) => { delete s.epoch; }], ['v2', (s: Record<string, unknown>) => { delete s.epoch; delete s.checksum; delete s.files; s.version = 2; }]] as const) {
      const copy = join(dir, `run-${what}`);
      cpSync(run, copy, { recursive: true });
      const state = JSON.parse(readFileSync(join(copy, 'trainer.json'), 'utf8')) as Record<string, unknown>;
      edit(state);
      writeFileSync(join(copy, 'trainer.json'), JSON.stringify(state));
      const r = await slm(['train', '--resume', copy, '--max-steps', '6']);
      assert.equal(r.code, 1, `${what}: ${r.stderr}`);
      assert.match(r.stderr, what === 'v3' ? /trainer\.json is damaged or was edited: its checksum does not match/ : /trainer\.json is damaged: "epoch" is undefined, not a count/);
    }
  });

  test('F5: resuming keeps only log lines whose step is a number', () => {
    const p = join(dir, 'metrics.jsonl');
    writeFileSync(p, '{"step":1,"loss":2}\n{"step":false}\n{"step":null}\n{"step":"1"}\n[1]\n{"step":3,"loss":1}\n{"step":2,"loss":1.5');
    keepMetricsUpTo(p, 2);
    assert.equal(readFileSync(p, 'utf8'), '{"step":1,"loss":2}\n');
  });

  test('F6: a CSV-quoted document keeps a \\r\\n inside its quotes', async () => {
    assert.deepEqual(await docs('"a\r\nb"\n"c\nd"\r\n', 'notebook'), ['a\r\nb', 'c\nd']);
  });

  test('F7: a huge or negative id in tokenizer.json is a ConfigError, not a RangeError or a huge table', () => {
    const json = tokenizerFromVocabTxt([...requiredBertTokens, 'a'].join('\n'), { lowercase: true }).toJSON() as unknown as { model: { vocab: Record<string, number> } };
    json.model.vocab.a = 2302788001425043;
    assert.throws(() => tokenizerFromJson(json), (e: unknown) => e instanceof ConfigError && /token "a" has id 2302788001425043, outside \[0, 16777216\)/.test(e.message));
  });

  test('F8: U+FEFF at the start of a line that is not the first is text', async () => {
    assert.deepEqual(await docs('\ufeffone\n\ufefftwo\n', 'lines'), ['one', '\ufefftwo']);
    assert.deepEqual(await docs('"\n\ufeff"\n', 'notebook'), ['\n\ufeff']);
  });

  test('F9: a JSON Lines field is looked up among the object\'s own fields', async () => {
    await assert.rejects(docs('{"text":"a"}\n', 'jsonl', 'constructor'), /line 1: no field 'constructor'/);
    await assert.rejects(docs('["a"]\n', 'jsonl', '0'), /line 1: no field '0'/);
  });

  test('F10: a post-processor that adds an id outside the vocabulary is a ConfigError', () => {
    const json = tokenizerFromVocabTxt([...requiredBertTokens, 'a'].join('\n'), { lowercase: true }).toJSON() as unknown as
      { post_processor: { special_tokens: Record<string, { ids: number[] }> } };
    json.post_processor.special_tokens['[CLS]']!.ids = [-4496398829760292];
    assert.throws(() => tokenizerFromJson(json), (e: unknown) => e instanceof ConfigError && /the post_processor adds id -4496398829760292, which is not in the vocabulary of 5/.test(e.message));
  });
});
