/**
 * Small runs of every kind for the `slm serve` tests, trained on the built-in PubMed sample (its
 * first 240 training and 30 test abstracts) with a 400-token WordPiece vocabulary, so even the
 * full-rank Markov table is small: markov, lowrank, a two-layer transformer (post-LN, context 64),
 * a GRU (a family with no view of its own) — each a few steps of the real trainer in a real run
 * folder — and a Kneser-Ney trigram counted by `slm train`. A few seconds in all.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDocuments } from '../../src/corpus/readers.js';
import { loadStore } from '../../src/data/open.js';
import { prepare } from '../../src/data/prepare.js';
import { createModel, resolveModelConfig, type ModelType } from '../../src/models/registry.js';
import { Rng } from '../../src/tensor/rng.js';
import { trainWordPiece } from '../../src/tokenizer/train/index.js';
import { resolveTrainConfig } from '../../src/train/config.js';
import { train } from '../../src/train/trainer.js';

export const cliMain = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const sample = fileURLToPath(new URL('../../../corpora/pubmed-sample', import.meta.url));

export interface ServeRuns {
  /** A folder of runs (markov, lowrank, transformer, gru, ngram3). */
  runs: string;
  /** The token store they were trained on. */
  store: string;
  /** A corpus folder (train.txt, test.txt) small enough to train on in a test. */
  corpus: string;
  work: string;
}

async function firstDocs(file: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for await (const d of readDocuments(file, { format: 'notebook' })) {
    out.push(d.text.replace(/\s+/g, ' ').trim());
    if (out.length === n) break;
  }
  return out;
}

export async function makeServeRuns(): Promise<ServeRuns> {
  const work = mkdtempSync(join(tmpdir(), 'slm-serve-'));
  const corpus = join(work, 'corpus');
  mkdirSync(corpus);
  writeFileSync(join(corpus, 'train.txt'), `${(await firstDocs(join(sample, 'train.txt.gz'), 240)).join('\n')}\n`);
  writeFileSync(join(corpus, 'test.txt'), `${(await firstDocs(join(sample, 'test.txt.gz'), 30)).join('\n')}\n`);
  const store = join(work, 'store');
  await prepare({
    corpus: { input: corpus, format: 'dir' }, out: store, maxTokens: 128, workers: 1, tokenizerId: 'wordpiece:400 lowercase=true',
    tokenizer: (texts) => trainWordPiece(texts(), { vocabSize: 400, lowercase: true }),
  });
  const data = loadStore(store);
  const runs = join(work, 'runs');
  mkdirSync(runs);
  const models: Record<string, Record<string, unknown>> = {
    markov: { type: 'markov' },
    lowrank: { type: 'lowrank', embedDim: 16 },
    transformer: { type: 'transformer', embedDim: 32, heads: 2, layers: 2, maxLen: 64, dropout: 0 },
    gru: { type: 'gru', embedDim: 16, hiddenDim: 24, layers: 1, dropout: 0 }, // a family the page knows nothing special about
  };
  for (const [name, raw] of Object.entries(models)) {
    const modelConfig = resolveModelConfig({ ...raw, vocabSize: data.tokenizer.vocabSize });
    const config = resolveTrainConfig(raw.type as ModelType, { maxSteps: 6, batchSize: 8, evalDocs: 10, lr: 0.01, logEvery: 1 });
    await train({
      model: createModel(modelConfig, new Rng(1)), modelConfig, config, train: data.train, test: data.test, outDir: join(runs, name),
      tokenizerJson: data.tokenizer.toJSON(), extraConfig: { data: store },
    });
  }
  const r = spawnSync(process.execPath, [cliMain, 'train', '--data', store, '--model', 'ngram', '--order', '3', '--out', join(runs, 'ngram3')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`counting the trigram failed: ${r.stderr}`);
  return { runs, store, corpus, work };
}
