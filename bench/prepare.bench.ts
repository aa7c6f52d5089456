/**
 * `prepare()` end to end on the PubMed folder with the notebook's tokenizer (BERT cased vocab,
 * lowercased, 512 tokens): read and split the corpus, hash the inputs, tokenize, write the token
 * store, into a fresh temporary folder each time (force: no reuse), with workers=1 and workers=2.
 * Reports documents, tokens (after truncation), seconds and tokens/s, and the speed-up of two
 * workers over one; writes bench/results/prepare.json.
 *
 *   npx tsc -p . && node dist/bench/prepare.bench.js [corpus folder]     (REPEATS=1 by default)
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { notebookTokenizer } from '../src/data/open.js';
import { prepare } from '../src/data/prepare.js';

const input = process.argv[2] ?? fileURLToPath(new URL('../../../shared/data/pubmed', import.meta.url));
const repeats = Math.max(1, Number(process.env.REPEATS ?? 1)); // best of N

if (!existsSync(input)) {
  console.log(`prepare: no corpus at ${input}; skipped`);
  process.exit(0);
}

const tokenizer = await notebookTokenizer();
const rows: { workers: number; documents: number; tokens: number; seconds: number; tokensPerSecond: number; runs: number[] }[] = [];
for (const workers of [1, 2]) {
  const runs: number[] = [];
  let documents = 0;
  let tokens = 0;
  for (let r = 0; r < repeats; r++) {
    const out = mkdtempSync(join(os.tmpdir(), 'slmkit-prepare-bench-'));
    try {
      const t0 = performance.now();
      const rep = await prepare({
        corpus: { input }, tokenizer, tokenizerId: 'notebook: bert-base-cased-vocab.txt, lowercase', maxTokens: 512,
        out, workers, force: true,
      });
      runs.push((performance.now() - t0) / 1000);
      documents = rep.train.documents + rep.test.documents;
      tokens = rep.train.tokens + rep.test.tokens;
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  const seconds = Math.min(...runs);
  rows.push({ workers, documents, tokens, seconds, tokensPerSecond: tokens / seconds, runs });
  console.log(`workers=${workers}: ${documents.toLocaleString('en')} documents, ${tokens.toLocaleString('en')} tokens in ` +
    `${seconds.toFixed(2)} s = ${Math.round(tokens / seconds).toLocaleString('en')} tokens/s` +
    (repeats > 1 ? ` (best of ${repeats}: ${runs.map((s) => s.toFixed(2)).join(', ')} s)` : ''));
}
const speedup = rows[0]!.seconds / rows[1]!.seconds;
console.log(`2 workers / 1 worker: ${speedup.toFixed(2)}× (${os.cpus().length} cores; other processes on the machine count)`);

const outDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
mkdirSync(outDir, { recursive: true });
writeFileSync(`${outDir}prepare.json`, `${JSON.stringify({
  date: new Date().toISOString(), cpu: os.cpus()[0]?.model ?? 'unknown', cpus: os.cpus().length, input, repeats,
  results: rows, speedup,
}, null, 2)}\n`);
console.log(`wrote ${outDir}prepare.json`);
