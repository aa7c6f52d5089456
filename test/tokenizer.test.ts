/**
 * Tokenizer tests against golden fixtures from the Rust `tokenizers` package (written by
 * scripts/golden/tokenizer_fixtures.mjs): 1,000 PubMed abstracts and edge cases, cased and
 * lowercased, ids and decoded text exactly. The fixture carries its own vocabulary, so these run
 * without ../shared; the notebook-prompt test reads the shared vocab.txt and skips without it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { DataError } from '../src/corpus/errors.js';
import { loadTokenizer, saveTokenizer } from '../src/io/tokenizerFiles.js';
import { ConfigError, SlmError } from '../src/tensor/errors.js';
import {
  HfTokenizer, normalizeBert, tokenizerFromJson, tokenizerFromVocabTxt, type TokenizerJson,
} from '../src/tokenizer/index.js';

// Compiled to dist/test/: the repo root is two folders up, shared data one more.
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
// The notebook's vocabulary ships with slmkit (vocab/), byte-identical to the workshop's BERT cased vocab.txt.
const notebookVocab = fileURLToPath(new URL('../../vocab/bert-base-cased-vocab.txt', import.meta.url));

type Mode = 'cased' | 'lowercase';
interface Reference { ids: number[]; decoded: string }
interface EdgeReference extends Reference { tokens: string[]; decodedWithSpecial: string; idsNoSpecial: number[] }
interface Fixture {
  meta: { maxLength: number };
  vocab: string[];
  referenceJson: Record<Mode, TokenizerJson>;
  documents: Array<{ line: number; text: string } & Record<Mode, Reference>>;
  edgeCases: Array<{ text: string } & Record<Mode, EdgeReference>>;
}

const fixturePath = join(repoRoot, 'test/fixtures/tokenizer/bert-wordpiece.json.gz');
const fixture = JSON.parse(gunzipSync(readFileSync(fixturePath)).toString('utf8')) as Fixture;
const modes: Mode[] = ['cased', 'lowercase'];
const vocabTxt = fixture.vocab.join('\n') + '\n';
const fromVocab: Record<Mode, HfTokenizer> = {
  cased: tokenizerFromVocabTxt(vocabTxt, { lowercase: false }),
  lowercase: tokenizerFromVocabTxt(vocabTxt, { lowercase: true }),
};
/** The reference's own tokenizer.json, with the vocabulary put back. */
function referenceJson(mode: Mode): TokenizerJson {
  const json = structuredClone(fixture.referenceJson[mode]);
  json.model['vocab'] = Object.fromEntries(fixture.vocab.map((t, i) => [t, i]));
  return json;
}

describe('notebook prompt (the shipped BERT cased vocab.txt)', () => {
  test('"We compared the prevalence of" → 101 1195 3402 1103 22760 1104 102 (lowercase)', async () => {
    const tok = await loadTokenizer(notebookVocab, { lowercase: true });
    const enc = tok.encode('We compared the prevalence of');
    assert.deepEqual(enc.ids, [101, 1195, 3402, 1103, 22760, 1104, 102]);
    assert.deepEqual(enc.tokens, ['[CLS]', 'we', 'compared', 'the', 'prevalence', 'of', '[SEP]']);
    assert.equal(tok.decode(enc.ids), 'we compared the prevalence of');
    assert.equal(tok.decode(enc.ids, { skipSpecialTokens: false }), '[CLS] we compared the prevalence of [SEP]');
    assert.deepEqual([tok.vocabSize, tok.padId, tok.unkId, tok.clsId, tok.sepId, tok.maskId], [28996, 0, 100, 101, 102, 103]);
    assert.deepEqual([tok.bosId, tok.eosId], [101, 102]); // what encode puts around the text
  });
  test('cased mode keeps the capital', async () => {
    const tok = await loadTokenizer(notebookVocab, { lowercase: false });
    assert.deepEqual(tok.encode('We compared the prevalence of').ids, [101, 1284, 3402, 1103, 22760, 1104, 102]);
  });
});

for (const mode of modes) {
  describe(`golden fixture, ${mode} (Rust tokenizers, ${fixture.documents.length} abstracts)`, () => {
    const tok = fromVocab[mode];
    test('every document encodes to the reference ids (truncated at 512)', () => {
      for (const doc of fixture.documents) {
        const enc = tok.encode(doc.text, { maxLength: fixture.meta.maxLength });
        assert.deepEqual(enc.ids, doc[mode].ids, `document at line ${doc.line}`);
        assert.deepEqual(enc.tokens, enc.ids.map((id) => tok.idToToken(id)), `tokens, line ${doc.line}`);
      }
    });
    test('every document decodes to the reference text', () => {
      for (const doc of fixture.documents) {
        assert.equal(tok.decode(doc[mode].ids), doc[mode].decoded, `document at line ${doc.line}`);
      }
    });
    test('edge cases: ids, tokens, no-special ids, both decodings', () => {
      for (const edge of fixture.edgeCases) {
        const ref = edge[mode];
        const what = JSON.stringify(edge.text.slice(0, 60));
        const enc = tok.encode(edge.text);
        assert.deepEqual(enc.ids, ref.ids, `ids of ${what}`);
        assert.deepEqual(enc.tokens, ref.tokens, `tokens of ${what}`);
        assert.deepEqual(tok.encode(edge.text, { addSpecialTokens: false }).ids, ref.idsNoSpecial, `no-special ids of ${what}`);
        assert.equal(tok.decode(ref.ids), ref.decoded, `decode of ${what}`);
        assert.equal(tok.decode(ref.ids, { skipSpecialTokens: false }), ref.decodedWithSpecial, `decode+special of ${what}`);
      }
    });
    test('toJSON() equals the tokenizer.json the reference saves', () => {
      assert.deepEqual(tok.toJSON(), referenceJson(mode));
    });
    test('loading the reference tokenizer.json gives the same ids', () => {
      const fromJson = tokenizerFromJson(JSON.stringify(referenceJson(mode)));
      for (const doc of fixture.documents.slice(0, 200)) assert.deepEqual(fromJson.encode(doc.text).ids, doc[mode].ids);
      for (const edge of fixture.edgeCases) assert.deepEqual(fromJson.encode(edge.text).ids, edge[mode].ids);
    });
  });
}

describe('truncation', () => {
  const tok = fromVocab.lowercase;
  const doc = fixture.documents.find((d) => d.lowercase.ids.length === 512);
  test('a long document keeps [CLS] first and [SEP] last at every maxLength', () => {
    assert.ok(doc, 'fixture has a document truncated at 512');
    const full = tok.encode(doc.text, { maxLength: Infinity }).ids;
    assert.ok(full.length > 512);
    assert.deepEqual(full.slice(0, 511), doc.lowercase.ids.slice(0, 511));
    for (const n of [2, 3, 16, 100]) {
      assert.deepEqual(tok.encode(doc.text, { maxLength: n }).ids, [...full.slice(0, n - 1), 102]);
    }
    assert.deepEqual(tok.encode(doc.text, { maxLength: 5, addSpecialTokens: false }).ids, full.slice(1, 6));
  });
  test('maxLength too small for the special tokens, or not an integer, is a ConfigError', () => {
    for (const maxLength of [1, 0, -3, 2.5, NaN]) {
      assert.throws(() => tok.encode('text', { maxLength }), (e: Error) =>
        e instanceof ConfigError && String(e).includes(`maxLength ${maxLength}`));
    }
  });
});

describe('normalizer differences from @huggingface/tokenizers that slmkit fixes', () => {
  const opts = { cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true };
  test('final sigma lowercases per character, like Rust', () => {
    assert.equal(normalizeBert('ΟΔΟΣ', opts), 'οδοσ');
  });
  test('astral CJK ideographs are spaced, with Rust\'s range start U+2B920', () => {
    assert.equal(normalizeBert('a\u{20000}b', opts), 'a \u{20000} b');
    assert.equal(normalizeBert('a\u{2B820}b', opts), 'a\u{2B820}b');
    assert.equal(normalizeBert('a\u{2B920}b', opts), 'a \u{2B920} b');
  });
});

describe('errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slm-tok-'));
  test('a vocabulary without [CLS] and [SEP] names both', () => {
    assert.throws(() => tokenizerFromVocabTxt('[PAD]\n[UNK]\nhello\n', { lowercase: true }), (e: Error) =>
      e instanceof ConfigError && /missing special tokens \[CLS\], \[SEP\]/.test(String(e)) && e.hint !== undefined);
  });
  test('an empty vocabulary is an error', () => {
    assert.throws(() => tokenizerFromVocabTxt('', { lowercase: true }), (e: Error) =>
      e instanceof ConfigError && /is empty/.test(String(e)));
  });
  test('a missing file is a DataError naming the path, with a hint', async () => {
    const path = join(dir, 'nope.txt');
    await assert.rejects(loadTokenizer(path, { lowercase: true }), (e: Error) =>
      e instanceof DataError && e instanceof SlmError && String(e).includes(path) && e.hint !== undefined);
  });
  test('an empty file is a DataError', async () => {
    const path = join(dir, 'empty.txt');
    writeFileSync(path, '  \n');
    await assert.rejects(loadTokenizer(path, { lowercase: true }), (e: Error) => e instanceof DataError && /empty/.test(String(e)));
  });
  test('a folder without tokenizer files is a DataError', async () => {
    const empty = join(dir, 'emptydir');
    mkdirSync(empty);
    await assert.rejects(loadTokenizer(empty), (e: Error) => e instanceof DataError && String(e).includes(empty));
  });
  test('a vocab.txt without the lowercase switch is a ConfigError', async () => {
    const path = join(dir, 'vocab.txt');
    writeFileSync(path, vocabTxt);
    await assert.rejects(loadTokenizer(path), (e: Error) => e instanceof ConfigError && /lowercase/.test(String(e)));
    assert.deepEqual((await loadTokenizer(dir, { lowercase: true })).encode('We').ids, [101, 1195, 102]);
  });
  test('bad tokenizer.json: not JSON, wrong shape, unsupported model, WordPiece without its unk', () => {
    assert.throws(() => tokenizerFromJson('{ nope'), (e: Error) => e instanceof ConfigError && /not valid JSON/.test(String(e)));
    assert.throws(() => tokenizerFromJson('[]'), (e: Error) => e instanceof ConfigError && /not an object/.test(String(e)));
    assert.throws(() => tokenizerFromJson({ model: { type: 'WordLevel', vocab: {} } }), (e: Error) =>
      e instanceof ConfigError && /"WordLevel" is not supported/.test(String(e)));
    assert.throws(() => tokenizerFromJson({ model: { type: 'WordPiece', unk_token: '[UNK]', vocab: { a: 0 } } }),
      (e: Error) => e instanceof ConfigError && /unk_token "\[UNK\]"/.test(String(e)));
  });
  test('decoding an id outside the vocabulary is a ConfigError naming it', () => {
    assert.throws(() => fromVocab.cased.decode([101, 28996]), (e: Error) =>
      e instanceof ConfigError && /ids\[1\] = 28996/.test(String(e)));
    assert.equal(fromVocab.cased.decode([]), '');
  });
  test('saveTokenizer writes a tokenizer.json that loads back to the same tokenizer', async () => {
    const path = join(dir, 'tokenizer.json');
    await saveTokenizer(fromVocab.lowercase, path);
    const back = await loadTokenizer(path);
    assert.deepEqual(back.toJSON(), fromVocab.lowercase.toJSON());
    const text = fixture.documents[0]!.text;
    assert.deepEqual(back.encode(text).ids, fixture.documents[0]!.lowercase.ids);
  });
});
