/**
 * Tokenizer trainers on small corpora. The golden fixture (scripts/golden/
 * tokenizer_train_fixtures.mjs) holds each trained tokenizer.json and what the Rust `tokenizers`
 * package makes of it; here we retrain on the same 400 abstracts, check the tokenizer.json is
 * unchanged, and that slmkit's ids and decoded text equal Rust's on 100 held-out abstracts and
 * the edge cases. Plus round trips, sizes and argument errors.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { ConfigError } from '../src/tensor/errors.js';
import type { HfTokenizer, TokenizerJson } from '../src/tokenizer/index.js';
import { trainByteLevelBpe, trainCharLevel, trainWordPiece } from '../src/tokenizer/train/index.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const readGz = <T>(name: string): T =>
  JSON.parse(gunzipSync(readFileSync(join(repoRoot, 'test/fixtures/tokenizer', name))).toString('utf8')) as T;

interface Ref { ids: number[]; decoded: string; decodedWithSpecial?: string }
const source = readGz<{ documents: Array<{ text: string }>; edgeCases: Array<{ text: string }> }>('bert-wordpiece.json.gz');
const golden = readGz<{ trained: Record<string, { json: TokenizerJson; heldOut: Ref[]; edgeCases: Ref[] }> }>('trained.json.gz');
const trainTexts = source.documents.slice(0, 400).map((d) => d.text);
const heldOut = source.documents.slice(400, 500).map((d) => d.text);
const edgeTexts = source.edgeCases.map((e) => e.text);

// Kept in step with scripts/golden/tokenizer_train_fixtures.mjs.
const configs: Record<string, () => Promise<HfTokenizer>> = {
  wordPieceCased: () => trainWordPiece(trainTexts, { vocabSize: 2000, lowercase: false }),
  wordPieceLower: () => trainWordPiece(trainTexts, { vocabSize: 3000, lowercase: true, minFrequency: 3, limitAlphabet: 200 }),
  byteLevelBpe: () => trainByteLevelBpe(trainTexts, { vocabSize: 1500 }),
  charLevel: () => trainCharLevel(trainTexts),
  charLevelLower: () => trainCharLevel(trainTexts, { vocabSize: 60, lowercase: true }),
};

for (const [name, train] of Object.entries(configs)) {
  describe(`trained ${name} against Rust tokenizers`, async () => {
    const ref = golden.trained[name]!;
    const tok = await train();
    test('training is deterministic: the same tokenizer.json as the fixture', () => {
      assert.deepEqual(tok.toJSON(), ref.json);
    });
    test('held-out abstracts: ids and decoded text equal Rust', () => {
      heldOut.forEach((text, i) => {
        assert.deepEqual(tok.encode(text).ids, ref.heldOut[i]!.ids, `held-out document ${i}`);
        assert.equal(tok.decode(ref.heldOut[i]!.ids), ref.heldOut[i]!.decoded, `decode of held-out document ${i}`);
      });
    });
    test('edge cases: ids and both decodings equal Rust', () => {
      edgeTexts.forEach((text, i) => {
        const what = JSON.stringify(text.slice(0, 50));
        const r = ref.edgeCases[i]!;
        assert.deepEqual(tok.encode(text).ids, r.ids, `ids of ${what}`);
        assert.equal(tok.decode(r.ids), r.decoded, `decode of ${what}`);
        assert.equal(tok.decode(r.ids, { skipSpecialTokens: false }), r.decodedWithSpecial, `decode+special of ${what}`);
      });
    });
  });
}

describe('trainer behaviour', () => {
  test('WordPiece reaches the requested size, specials first, ## continuations', async () => {
    const tok = await trainWordPiece(trainTexts, { vocabSize: 1200, lowercase: true });
    assert.equal(tok.vocabSize, 1200);
    assert.deepEqual([tok.padId, tok.unkId, tok.clsId, tok.sepId, tok.maskId], [0, 1, 2, 3, 4]);
    const enc = tok.encode('The prevalence of asthma');
    assert.equal(enc.ids[0], tok.clsId);
    assert.equal(enc.ids.at(-1), tok.sepId);
    assert.equal(tok.decode(enc.ids), 'the prevalence of asthma');
    assert.ok(enc.tokens.some((t) => t.startsWith('##')) || enc.tokens.length === 6);
  });
  test('WordPiece stops early when no pair is frequent enough', async () => {
    const tok = await trainWordPiece(['ab ab ab cd'], { vocabSize: 1000, lowercase: false, minFrequency: 2 });
    // 5 specials + a b c d + ##b ##d + "ab" (count 3); "cd" occurs once.
    assert.equal(tok.vocabSize, 12);
    assert.deepEqual(tok.encode('ab cd', { addSpecialTokens: false }).tokens, ['ab', 'c', '##d']);
  });
  test('byte-level BPE round-trips any text exactly', async () => {
    const tok = await trainByteLevelBpe(trainTexts.slice(0, 50), { vocabSize: 600 });
    assert.equal(tok.vocabSize, 600);
    assert.deepEqual([tok.padId, tok.bosId, tok.eosId, tok.unkId], [0, 1, 2, undefined]);
    for (const text of [...edgeTexts.filter((t) => !/[\ud800-\udfff](?![\udc00-\udfff])/.test(t)), ...heldOut.slice(0, 20)]) {
      assert.equal(tok.decode(tok.encode(text, { maxLength: Infinity }).ids), text);
    }
  });
  test('character level: one token per character, rare ones <unk>, lossless on known characters', async () => {
    const tok = await trainCharLevel(['abca b a\n'], { vocabSize: 7 });
    // 4 specials + the 3 most frequent characters: a (3), b and ' ' (2); c and \n (1) are left out.
    assert.equal(tok.vocabSize, 7);
    assert.deepEqual(tok.encode('ab a', { addSpecialTokens: false }).tokens, ['a', 'b', ' ', 'a']);
    assert.deepEqual(tok.encode('cab', { addSpecialTokens: false }).tokens, ['<unk>', 'a', 'b']);
    assert.equal(tok.decode(tok.encode('ab ba').ids), 'ab ba');
  });
  test('bad sizes and options are ConfigErrors', async () => {
    await assert.rejects(trainWordPiece(['a'], { vocabSize: 3, lowercase: true }), (e: Error) =>
      e instanceof ConfigError && /vocabSize 3/.test(String(e)));
    await assert.rejects(trainByteLevelBpe(['a'], { vocabSize: 100 }), (e: Error) =>
      e instanceof ConfigError && /vocabSize 100/.test(String(e)) && /256 bytes/.test(String(e)));
    await assert.rejects(trainCharLevel(['a'], { specialTokens: ['<pad>'] }), (e: Error) =>
      e instanceof ConfigError && /<unk>/.test(String(e)));
    await assert.rejects(trainWordPiece(['a'], { vocabSize: 100, lowercase: true, specialTokens: ['[PAD]', '[UNK]'] }),
      (e: Error) => e instanceof ConfigError && /\[CLS\], \[SEP\]/.test(String(e)));
  });
});
