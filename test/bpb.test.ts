/**
 * Bits per byte and per character: the text sizes a store records (whole documents, and the
 * prefix a truncated document's kept tokens cover) and the figure eval reports, against a hand
 * computation on a tiny corpus scored by a model whose prediction is uniform.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { encodeBatch } from '../src/data/encodeBatch.js';
import { loadStore, notebookTokenizer } from '../src/data/open.js';
import { prepare } from '../src/data/prepare.js';
import { coveredLength, measureText } from '../src/data/textSize.js';
import { MarkovChainLowRank } from '../src/models/lowrank.js';
import { buildNgramModel, evaluateNgram, resolveNgramConfig } from '../src/ngram/index.js';
import { trainByteLevelBpe, trainCharLevel } from '../src/tokenizer/train/index.js';
import type { Tokenizer } from '../src/tokenizer/types.js';
import { evaluate } from '../src/train/evaluate.js';

const dir = mkdtempSync(join(tmpdir(), 'slm-bpb-'));
const count = (t: Tokenizer, s: string) => t.encode(s, { addSpecialTokens: false, maxLength: Infinity }).ids.length;
const prose = 'The prevalence of anti-HCV antibodies was 4.2% (n = 1,203) among café workers in Zürich; '
  + 'we compared the prevalence of hepatitis C in 2,000 blood donors — a 3× rise — with 👩‍⚕️ notes. ';

describe('text sizes', () => {
  test('bytes and characters: é is 2 bytes, € 3, an emoji 4 bytes but one character', () => {
    assert.deepEqual(measureText('héllo'), { bytes: 6, chars: 5 });
    assert.deepEqual(measureText('€'), { bytes: 3, chars: 1 });
    assert.deepEqual(measureText('a😀'), { bytes: 5, chars: 2 });
  });
  test('a cut document counts the longest prefix whose encoding fits the kept tokens (WordPiece, byte-level BPE, characters)', async () => {
    const text = prose.repeat(4);
    const texts = async function* () { yield text; };
    const tokenizers: [string, Tokenizer][] = [
      ['notebook', await notebookTokenizer()],
      ['bpe', await trainByteLevelBpe(texts(), { vocabSize: 300 })],
      ['char', await trainCharLevel(texts())],
    ];
    for (const [name, t] of tokenizers) {
      const total = count(t, text);
      for (const kept of [1, 7, Math.floor(total / 3), total - 1]) {
        const L = coveredLength(t, text, kept);
        assert.ok(count(t, text.slice(0, L)) <= kept, `${name} kept ${kept}: prefix ${L} has ${count(t, text.slice(0, L))} tokens`);
        assert.ok(count(t, text.slice(0, L + 1)) > kept, `${name} kept ${kept}: prefix ${L} is not the longest`);
      }
      assert.equal(coveredLength(t, text, total), text.length, `${name}: nothing cut, all covered`);
    }
  });
  test('encodeBatch records whole documents, and the covered prefix of cut ones', async () => {
    const t = await trainCharLevel((async function* () { yield 'héllo wörld€'; })());
    const r = encodeBatch(t, { seq: 0, texts: ['héllo wörld', '€'] }, 6); // <s> + 4 characters + </s>
    assert.deepEqual([...r.lengths], [6, 3]);
    assert.deepEqual([...r.textBytes], [5, 3], '"héll" is 5 bytes; "€" is 3');
    assert.deepEqual([...r.textChars], [4, 1]);
    assert.equal(r.truncated, 1);
  });
});

describe('bits per byte', () => {
  test('eval on a uniform model equals the hand computation: targets × log2 V / bytes', async () => {
    const corpus = join(dir, 'corpus');
    mkdirSync(corpus);
    writeFileSync(join(corpus, 'train.txt'), 'héllo wörld\nxyz €\n');
    writeFileSync(join(corpus, 'test.txt'), 'héllo wörld\nxyz\n€\n');
    const out = join(dir, 'store');
    const report = await prepare({
      corpus: { input: corpus, format: 'lines' }, tokenizer: (texts) => trainCharLevel(texts()), tokenizerId: 'char', out, workers: 1,
    });
    // By hand: "héllo wörld" 11 characters, 13 bytes; "xyz" 3 and 3; "€" 1 character, 3 bytes.
    assert.deepEqual([report.test.textBytes, report.test.textChars], [19, 15]);
    const data = loadStore(out);
    const V = data.tokenizer.vocabSize; // 4 specials + the 13 distinct training characters
    assert.equal(V, 4 + new Set('héllo wörldxyz €').size);
    const model = new MarkovChainLowRank({ type: 'lowrank', vocabSize: V, embedDim: 4, dropout: 0 });
    for (const p of model.parameters()) p.data.fill(0); // every logit 0: p = 1/V for every target
    const r = await evaluate(model, data.test, { batchSize: 2 });
    // Targets: each document's characters plus its end token: 12 + 4 + 2 = 18.
    assert.equal(r.tokens, 18);
    const bits = 18 * Math.log2(V);
    assert.ok(Math.abs(r.bitsPerByte! - bits / 19) < 1e-6, `bits/byte ${r.bitsPerByte} vs ${bits / 19}`);
    assert.ok(Math.abs(r.bitsPerChar! - bits / 15) < 1e-6, `bits/char ${r.bitsPerChar} vs ${bits / 15}`);
    assert.ok(Math.abs(r.bitsPerToken - Math.log2(V)) < 1e-6);
  });
  test('an n-gram model reports the same figure from its own loss; MLE zeros give none', async () => {
    const data = loadStore(join(dir, 'store'));
    const size = { bytes: 19, chars: 15 };
    for (const smoothing of ['kn', 'addk'] as const) {
      const { model } = buildNgramModel(data.train, resolveNgramConfig({ type: 'ngram', vocabSize: data.tokenizer.vocabSize, order: 2, smoothing }));
      const r = evaluateNgram(model, data.test);
      assert.ok(Math.abs(r.bitsPerByte! - (r.loss * r.tokens) / Math.LN2 / size.bytes) < 1e-9, smoothing);
      assert.ok(Math.abs(r.bitsPerChar! - (r.loss * r.tokens) / Math.LN2 / size.chars) < 1e-9, smoothing);
    }
    const { model } = buildNgramModel(data.train, resolveNgramConfig({ type: 'ngram', vocabSize: data.tokenizer.vocabSize, order: 2, smoothing: 'mle' }));
    const r = evaluateNgram(model, data.test);
    assert.ok(r.zeroProbTokens > 0);
    assert.equal(r.bitsPerByte, null);
  });
  test('documents cut by the model\'s context give no bits per byte (the loss covers part of the text)', async () => {
    const data = loadStore(join(dir, 'store'));
    const model = new MarkovChainLowRank({ type: 'lowrank', vocabSize: data.tokenizer.vocabSize, embedDim: 4, dropout: 0 });
    const r = await evaluate(model, data.test, { batchSize: 2, maxLen: 5 });
    assert.equal(r.bitsPerByte, null);
    assert.ok(Number.isFinite(r.loss));
  });
});
