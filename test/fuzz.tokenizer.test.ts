/**
 * Property and fuzz tests of tokenizer loading: random vocab.txt text, tokenizer.json files damaged
 * at any place of their structure, and random bytes on disk give a typed error or a tokenizer that
 * encodes any text to ids inside its vocabulary and decodes them again — never another error.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import { loadTokenizer } from '../src/io/tokenizerFiles.js';
import { requiredBertTokens, tokenizerFromVocabTxt } from '../src/tokenizer/bertVocab.js';
import { tokenizerFromJson } from '../src/tokenizer/hfTokenizer.js';
import { trainByteLevelBpe } from '../src/tokenizer/train/byteLevelBpe.js';
import type { Tokenizer } from '../src/tokenizer/types.js';
import { fuzz, scratch, typedOrValue } from './helpers/fuzz.js';
import { words } from './helpers/tinyCorpus.js';

const dir = scratch('tok');
const sample = fc.string({ maxLength: 40, unit: 'binary' });

/** A tokenizer that loaded must work: ids inside the vocabulary, and decodable. */
async function exercise(t: Tokenizer, texts: string[]): Promise<void> {
  for (const s of texts) {
    const enc = await typedOrValue(() => t.encode(s));
    if (!enc) continue;
    for (const id of enc.ids) assert.ok(Number.isInteger(id) && id >= 0 && id < t.vocabSize, `id ${id} outside [0, ${t.vocabSize})`);
    await typedOrValue(() => t.decode(enc.ids));
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path into a JSON value, to damage one place of it. */
function paths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.slice(0, 6).forEach((x, i) => paths(x, [...at, i], out));
  else if (v !== null && typeof v === 'object') Object.entries(v).slice(0, 40).forEach(([k, x]) => paths(x, [...at, k], out));
  return out;
}

function setAt(root: Json, path: (string | number)[], value: Json | undefined): Json {
  if (path.length === 0) return value ?? null;
  const copy = structuredClone(root);
  let o = copy as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, Json>;
  const last = path[path.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(o)) o.splice(last as number, 1);
    else delete o[last];
  } else o[last] = value;
  return copy;
}

describe('tokenizer loading: properties', () => {
  let wordPiece: Json;
  let bpe: Json;
  before(async () => {
    const vocab = [...requiredBertTokens, '[MASK]', '.', ...words, '##s', '##ing'].join('\n');
    wordPiece = tokenizerFromVocabTxt(vocab, { lowercase: true }).toJSON() as unknown as Json;
    bpe = (await trainByteLevelBpe(words.map((w) => `${w} ${w}s ${w}ing`), { vocabSize: 300 })).toJSON() as unknown as Json;
  });

  test('vocab.txt: any text gives a ConfigError or a working tokenizer', async () => {
    const line = fc.oneof(fc.constantFrom(...requiredBertTokens, '[MASK]', '##a', 'a', '', ' ', '\r', '\ufeff[PAD]'), fc.string({ maxLength: 6, unit: 'binary' }));
    await fuzz('vocab.txt text', fc.tuple(fc.array(line, { maxLength: 30 }), fc.boolean(), fc.array(sample, { maxLength: 3 })), async ([lines, lower, texts]) => {
      const t = await typedOrValue(() => tokenizerFromVocabTxt(lines.join('\n'), { lowercase: lower }));
      if (t) await exercise(t, texts);
    }, { quick: 150 });
  });

  test('tokenizer.json: a value changed or removed anywhere gives a ConfigError or a working tokenizer', async () => {
    const damage = fc.record({
      which: fc.boolean(), pick: fc.noBias(fc.nat()), remove: fc.boolean(), value: fc.jsonValue({ maxDepth: 2 }), texts: fc.array(sample, { maxLength: 3 }),
    });
    await fuzz('tokenizer.json damaged', damage, async (d) => {
      const base = d.which ? wordPiece : bpe;
      const all = paths(base);
      const json = setAt(base, all[d.pick % all.length]!, d.remove ? undefined : d.value as Json);
      const t = await typedOrValue(() => tokenizerFromJson(JSON.stringify(json)));
      if (t) await exercise(t, ['the cat sat.', ...d.texts]);
    }, { quick: 300 });
  });

  test('a tokenizer file of random bytes gives a typed error, never another error', async () => {
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 100 }), fc.string({ maxLength: 60 }).map((s) => new TextEncoder().encode(`{${s}`)));
    await fuzz('tokenizer file random bytes', fc.tuple(bytes, fc.boolean()), async ([b, lower]) => {
      const p = join(dir, 'tok.bin');
      writeFileSync(p, b);
      await typedOrValue(() => loadTokenizer(p, { lowercase: lower }));
    }, { quick: 150 });
  });
});
