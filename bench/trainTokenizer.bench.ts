/**
 * Tokenizer training time on the PubMed train split (documents streamed with the notebook-format
 * reader): a 30,000-token WordPiece (lowercased, as the notebook's tokenizer), a 30,000-token
 * byte-level BPE and the character-level vocabulary. Prints wall time, vocabulary size and the
 * tokens/word of the result on the same split.
 *
 *   npx tsc -p . && node dist/bench/trainTokenizer.bench.js [train.txt] [vocabSize]
 */
import { fileURLToPath } from 'node:url';
import { readDocuments } from '../src/corpus/index.js';
import { trainByteLevelBpe, trainCharLevel, trainWordPiece } from '../src/tokenizer/train/index.js';
import type { Tokenizer } from '../src/tokenizer/index.js';

const trainPath = process.argv[2] ?? fileURLToPath(new URL('../../../shared/data/pubmed/train.txt', import.meta.url));
const vocabSize = Number(process.argv[3] ?? 30000);

async function* texts(): AsyncGenerator<string> {
  for await (const doc of readDocuments(trainPath, { format: 'notebook' })) yield doc.text;
}

async function measure(name: string, train: () => Promise<Tokenizer>): Promise<void> {
  const t0 = performance.now();
  const tok = await train();
  const seconds = (performance.now() - t0) / 1000;
  let tokens = 0;
  let words = 0;
  let n = 0;
  for await (const text of texts()) {
    if (n++ >= 2000) break;
    tokens += tok.encode(text, { addSpecialTokens: false, maxLength: Infinity }).ids.length;
    words += text.split(/\s+/).length;
  }
  console.log(`${name}: trained in ${seconds.toFixed(1)} s, vocabulary ${tok.vocabSize}, ` +
    `${(tokens / words).toFixed(3)} tokens per whitespace word (first 2000 documents)`);
}

await measure(`WordPiece ${vocabSize}`, () => trainWordPiece(texts(), { vocabSize, lowercase: true }));
await measure(`byte-level BPE ${vocabSize}`, () => trainByteLevelBpe(texts(), { vocabSize }));
await measure('character-level', () => trainCharLevel(texts()));
