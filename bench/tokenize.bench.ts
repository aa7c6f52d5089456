/**
 * Tokenizer throughput: encodes every document of the PubMed train split (the notebook's data,
 * read with the notebook-format corpus reader) on one core with the notebook's tokenizer (BERT
 * cased vocab, lowercased, [CLS] … [SEP], truncation at 512), then cased, and reports tokens/s
 * and MB/s (best of REPEATS=3 passes). Reading the file is not timed. Tokens counted are the ids produced before
 * truncation (the work done); the truncated count is printed beside it.
 *
 *   npx tsc -p . && node dist/bench/tokenize.bench.js [train.txt] [vocab.txt]
 */
import { fileURLToPath } from 'node:url';
import { readDocuments } from '../src/corpus/index.js';
import { loadTokenizer } from '../src/io/tokenizerFiles.js';

const trainPath = process.argv[2] ?? fileURLToPath(new URL('../../../shared/data/pubmed/train.txt', import.meta.url));
const vocabPath = process.argv[3] ?? fileURLToPath(new URL('../../../shared/vocab/bert-base-cased-vocab.txt', import.meta.url));

const texts: string[] = [];
for await (const doc of readDocuments(trainPath, { format: 'notebook' })) texts.push(doc.text);
const megabytes = texts.reduce((n, t) => n + Buffer.byteLength(t, 'utf8'), 0) / 1e6;
console.log(`${texts.length} documents, ${megabytes.toFixed(1)} MB of UTF-8 from ${trainPath}`);

const repeats = Number(process.env.REPEATS ?? 3); // best of N: shared machines are noisy

for (const lowercase of [true, false]) {
  const tok = await loadTokenizer(vocabPath, { lowercase });
  for (const t of texts.slice(0, 200)) tok.encode(t); // warm-up (JIT)
  let produced = 0;
  let kept = 0;
  let truncated = 0;
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    produced = kept = truncated = 0;
    const t0 = performance.now();
    for (const text of texts) {
      const n = tok.encode(text, { maxLength: Infinity }).ids.length;
      produced += n;
      kept += Math.min(n, 512);
      if (n > 512) truncated++;
    }
    times.push((performance.now() - t0) / 1000);
  }
  const best = Math.min(...times);
  console.log(
    `${lowercase ? 'lowercase' : 'cased    '}: ${produced} tokens (${kept} after truncation at 512, ` +
      `${truncated} documents truncated); best of ${repeats}: ${best.toFixed(2)} s = ` +
      `${Math.round(produced / best).toLocaleString('en')} tokens/s, ${(megabytes / best).toFixed(2)} MB/s ` +
      `(all runs: ${times.map((t) => t.toFixed(2)).join(', ')} s)`,
  );
}
