/**
 * Writes test/fixtures/tokenizer/bert-wordpiece.json.gz: golden token ids and decoded strings
 * from the official Hugging Face `tokenizers` package (the Rust crate's Node binding, 0.23.x),
 * for the notebook's BERT cased vocabulary in cased and lowercased modes, truncated at 512:
 * 1,000 real PubMed abstracts (an even sample of train.txt) and a set of edge cases. The
 * reference tokenizer is assembled here from vocab.txt with the Rust API, independently of
 * slmkit's own vocab.txt → tokenizer.json builder; its saved tokenizer.json is stored too.
 *
 * Install the reference outside the repo, then run from the repo root:
 *   mkdir -p /tmp/hfref && cd /tmp/hfref && npm init -y && npm install tokenizers@0.23
 *   node scripts/golden/tokenizer_fixtures.mjs
 * Environment: HF_REF (folder holding node_modules/tokenizers, default /tmp/hfref),
 * SLM_SHARED (the shared data folder, default ../shared beside the repo), N_DOCS (default 1000).
 */
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const shared = process.env.SLM_SHARED ?? join(repoRoot, '../shared');
const hfRef = process.env.HF_REF ?? '/tmp/hfref';
const nDocs = Number(process.env.N_DOCS ?? 1000);
const vocabFile = join(shared, 'vocab/bert-base-cased-vocab.txt');
const trainFile = join(shared, 'data/pubmed/train.txt');
const outFile = join(repoRoot, 'test/fixtures/tokenizer/bert-wordpiece.json.gz');
const maxLength = 512;

const require = createRequire(import.meta.url);
let hf;
try {
  hf = require(join(hfRef, 'node_modules/tokenizers'));
} catch (err) {
  console.error(`cannot load the reference package from ${hfRef}/node_modules/tokenizers: ${err.message}`);
  console.error('install it: mkdir -p /tmp/hfref && cd /tmp/hfref && npm init -y && npm install tokenizers@0.23');
  process.exit(1);
}
const hfVersion = JSON.parse(readFileSync(join(hfRef, 'node_modules/tokenizers/package.json'), 'utf8')).version;

/** One line of the notebook's one-column CSV: strip a surrounding pair of quotes, unescape "". */
function parseLine(line) {
  if (line.length >= 2 && line.startsWith('"') && line.endsWith('"')) return line.slice(1, -1).replaceAll('""', '"');
  return line;
}

const edgeCases = [
  '', '   \n\t  ', 'café naïve résumé Ångström', 'ÉCOLE ÜBER façade Ça', 'ΣΑΣ ΟΔΟΣ Straße İstanbul ǅ',
  '中文字符 日本語のテキスト 한국어 𠀀𠀁x 𪜀', `cjk range edges a${String.fromCodePoint(0x2b81f)}b a${String.fromCodePoint(0x2b820)}b ` +
    `a${String.fromCodePoint(0x2b920)}b a${String.fromCodePoint(0x2ceaf)}b a${String.fromCodePoint(0x2ceb0)}b 豈x`,
  'a\u0000b\u0001c\u0085d\u200be\ufeff f\tg\nh\ri\u000bj\u000ck\u001fl\u00adm\u2028n\u3000o\u180ep\u0600q',
  'x'.repeat(100), 'y'.repeat(101), 'pneumonoultramicroscopicsilicovolcanoconiosis'.repeat(3), 'é'.repeat(101),
  'é'.repeat(100), 'e\u0301'.repeat(60), '😀'.repeat(60), 'ab😀'.repeat(30), `x${'𝔘'.repeat(99)}`,
  '😀 👍🏽 🇺🇸 ❤️ 👨‍👩‍👧 smile😀face', '!!!???...,,,;;;---((([[[{{{', '«quote» “smart” ‘single’ — – … ¿qué? ¡sí!',
  '5 mg/kg, 10μg, 37°C, 1.5×10^6 cells/mL, p<0.05, ±2.3%, 10 µm, ½ dose, x² Ⅻ, 2.5-3.0 mmol/L, 1,000,000',
  '[CLS] [SEP] [MASK] text [UNK] [PAD] [cls] x[SEP]y', 'lone \ud800 surrogate \udfff end', 'unassigned \u0378 and \uffff here',
  'e\u0301 vs é, n\u0303 vs ñ', 'مرحبا שלום नमस्ते ภาษาไทย', 'ＡＢＣ１２３ full-width', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math',
  'COVID-19 IL-6-induced T-cell NF-κB TNF-α β2-microglobulin', 'https://example.org/a?b=c&d=e user@example.com',
  "don't I'm it's they're we've can't won't ' hi ' do not", 'Hello , world . Really ? Yes ! ok',
  '\u00a0non\u00a0breaking\u202fspace', 'tab\tseparated\tvalues\r\nwindows', 'ﬁ ligature ﬀ', 'İ̇ ı I',
  '##ing ## # ##', 'We compared the prevalence of',
  Array.from({ length: 120 }, (_, i) => `Sentence number ${i} discusses the prevalence of asthma.`).join(' '),
];

async function buildReference(lowercase) {
  const model = await hf.WordPiece.fromFile(vocabFile, {
    unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100,
  });
  const tok = new hf.Tokenizer(model);
  tok.setNormalizer(hf.bertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: lowercase, lowercase }));
  tok.setPreTokenizer(hf.bertPreTokenizer());
  const cls = tok.tokenToId('[CLS]');
  const sep = tok.tokenToId('[SEP]');
  tok.setPostProcessor(hf.templateProcessing('[CLS] $A [SEP]', '[CLS] $A [SEP] $B:1 [SEP]:1', [['[CLS]', cls], ['[SEP]', sep]]));
  tok.setDecoder(hf.wordPieceDecoder('##', true));
  tok.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  const dir = mkdtempSync(join(tmpdir(), 'slm-tok-'));
  tok.save(join(dir, 'tokenizer.json'), true); // before truncation: a plain tokenizer.json
  const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
  rmSync(dir, { recursive: true });
  tok.setTruncation(maxLength);
  return { tok, json };
}

async function run(tok, text, full) {
  const enc = await tok.encode(text);
  const ids = enc.getIds();
  const out = { ids, decoded: await tok.decode(ids, true) };
  if (full) {
    out.tokens = enc.getTokens();
    out.decodedWithSpecial = await tok.decode(ids, false);
    out.idsNoSpecial = (await tok.encode(text, null, { addSpecialTokens: false })).getIds();
  }
  return out;
}

const vocabLines = readFileSync(vocabFile, 'utf8').split('\n');
if (vocabLines.at(-1) === '') vocabLines.pop();
const lines = readFileSync(trainFile, 'utf8').split('\n').filter((l) => l.length > 0);
const picked = Array.from({ length: Math.min(nDocs, lines.length) }, (_, i) => Math.floor((i * lines.length) / nDocs));

const modes = { cased: await buildReference(false), lowercase: await buildReference(true) };
for (const { json } of Object.values(modes)) {
  const v = json.model.vocab;
  if (Object.keys(v).length !== vocabLines.length || vocabLines.some((t, i) => v[t.trimEnd()] !== i)) {
    throw new Error('reference vocabulary differs from vocab.txt line order (duplicates?)');
  }
  delete json.model.vocab; // stored once, below, as `vocab`
}

const documents = [];
for (const line of picked) {
  const text = parseLine(lines[line]);
  const doc = { line, text };
  for (const [mode, { tok }] of Object.entries(modes)) doc[mode] = await run(tok, text, false);
  documents.push(doc);
}
const edges = [];
for (const text of edgeCases) {
  const edge = { text };
  for (const [mode, { tok }] of Object.entries(modes)) edge[mode] = await run(tok, text, true);
  edges.push(edge);
}

const fixture = {
  meta: {
    reference: `tokenizers@${hfVersion} (npm, Rust binding)`,
    vocabFile: 'shared/vocab/bert-base-cased-vocab.txt',
    trainFile: 'shared/data/pubmed/train.txt',
    sample: `lines floor(i * ${lines.length} / ${nDocs}), i < ${nDocs}, of the non-empty lines; quotes stripped, "" unescaped`,
    maxLength,
    decoded: 'decode(ids, skipSpecialTokens = true)',
  },
  vocab: vocabLines.map((t) => t.trimEnd()),
  referenceJson: { cased: modes.cased.json, lowercase: modes.lowercase.json },
  documents,
  edgeCases: edges,
};
const gz = gzipSync(JSON.stringify(fixture), { level: 9 });
writeFileSync(outFile, gz);
const nTokens = documents.reduce((a, d) => a + d.cased.ids.length + d.lowercase.ids.length, 0);
console.log(`wrote ${outFile}: ${documents.length} documents, ${edges.length} edge cases, ${nTokens} ids, ${gz.length} bytes`);
