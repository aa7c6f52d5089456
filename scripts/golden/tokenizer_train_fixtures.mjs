/**
 * Writes test/fixtures/tokenizer/trained.json.gz: tokenizers trained by slmkit's trainers
 * (WordPiece, byte-level BPE, character-level) on the first 400 abstracts of the committed
 * bert-wordpiece fixture, and what the official Hugging Face `tokenizers` package (Rust, npm
 * 0.23.x) makes of each trained tokenizer.json: ids (truncated at 512) and decoded text for the
 * next 100 abstracts and the edge cases. The test retrains, checks the tokenizer.json is the
 * same, and that slmkit encodes and decodes exactly as Rust does.
 *
 * Needs the built trainers and the reference package (see tokenizer_fixtures.mjs):
 *   npx tsc -p . && node scripts/golden/tokenizer_train_fixtures.mjs
 * Environment: HF_REF (folder holding node_modules/tokenizers, default /tmp/hfref).
 */
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const hfRef = process.env.HF_REF ?? '/tmp/hfref';
const require = createRequire(import.meta.url);
const hf = require(join(hfRef, 'node_modules/tokenizers'));
const hfVersion = JSON.parse(readFileSync(join(hfRef, 'node_modules/tokenizers/package.json'), 'utf8')).version;
const { trainWordPiece, trainByteLevelBpe, trainCharLevel } = await import(join(repoRoot, 'dist/src/tokenizer/train/index.js'));

const source = JSON.parse(gunzipSync(readFileSync(join(repoRoot, 'test/fixtures/tokenizer/bert-wordpiece.json.gz'))));
const trainTexts = source.documents.slice(0, 400).map((d) => d.text);
const heldOut = source.documents.slice(400, 500).map((d) => d.text);
const edgeTexts = source.edgeCases.map((e) => e.text);

// Kept in step with test/tokenizer.train.test.ts.
const configs = {
  wordPieceCased: () => trainWordPiece(trainTexts, { vocabSize: 2000, lowercase: false }),
  wordPieceLower: () => trainWordPiece(trainTexts, { vocabSize: 3000, lowercase: true, minFrequency: 3, limitAlphabet: 200 }),
  byteLevelBpe: () => trainByteLevelBpe(trainTexts, { vocabSize: 1500 }),
  charLevel: () => trainCharLevel(trainTexts),
  charLevelLower: () => trainCharLevel(trainTexts, { vocabSize: 60, lowercase: true }),
};

const trained = {};
for (const [name, train] of Object.entries(configs)) {
  const json = (await train()).toJSON();
  const ref = hf.Tokenizer.fromString(JSON.stringify(json));
  ref.setTruncation(512);
  const run = async (text, full) => {
    const ids = (await ref.encode(text)).getIds();
    const out = { ids, decoded: await ref.decode(ids, true) };
    if (full) out.decodedWithSpecial = await ref.decode(ids, false);
    return out;
  };
  const heldOutRefs = [];
  for (const text of heldOut) heldOutRefs.push(await run(text, false));
  const edgeRefs = [];
  for (const text of edgeTexts) edgeRefs.push(await run(text, true));
  trained[name] = { json, heldOut: heldOutRefs, edgeCases: edgeRefs };
  console.log(`${name}: vocabulary ${ref.getVocabSize(true)}`);
}
const fixture = {
  meta: {
    reference: `tokenizers@${hfVersion} (npm, Rust binding)`,
    train: 'documents[0:400] of bert-wordpiece.json.gz',
    heldOut: 'documents[400:500] of bert-wordpiece.json.gz',
    edgeCases: 'edgeCases of bert-wordpiece.json.gz',
    maxLength: 512,
  },
  trained,
};
const gz = gzipSync(JSON.stringify(fixture), { level: 9 });
const out = join(repoRoot, 'test/fixtures/tokenizer/trained.json.gz');
writeFileSync(out, gz);
console.log(`wrote ${out}: ${gz.length} bytes`);
