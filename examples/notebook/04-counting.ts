/**
 * docs/notebook.md, "Estimating with frequency tables" against "Estimating with gradient descent":
 * the bigram transition table counted from the training split (maximum likelihood, add-k and
 * Kneser-Ney) and the same V × V table trained by AdamW at the notebook's settings, scored on the
 * same tokens — split into test tokens whose (previous, next) pair occurs in the training split
 * and those whose pair never does, where the estimators part ways.
 * Run: node dist/examples/notebook/04-counting.js (the full-rank table: 10 GB while it trains)
 */
import {
  AdamW, MarkovChain, Rng, buildNgramModel, countBatches, paddedBatches, resolveNgramConfig, resolveTrainConfig, trainLoop,
  type Smoothing, type TokenSplit,
} from 'slmkit';
import { maxSteps, openNotebookData } from './settings.js';

const data = await openNotebookData();
const vocabSize = data.tokenizer.vocabSize;

// --- Estimating with frequency tables: count the neighbour pairs of the training split
const estimators: [string, Smoothing, number][] = [['counts (maximum likelihood)', 'mle', 0], ['add-k, k = 0.01', 'addk', 0.01], ['Kneser-Ney', 'kn', 0]];
const counted = estimators.map(([name, smoothing, k]) => {
  const config = resolveNgramConfig({ type: 'ngram', vocabSize, order: 2, smoothing, ...(k > 0 ? { k } : {}) });
  return { name, model: buildNgramModel(data.train, config).model };
});
const mle = counted[0]!.model;

// --- Estimating with gradient descent: the same V × V table of logits, two epochs of AdamW
const markov = new MarkovChain({ type: 'markov', vocabSize }, new Rng(42));
const config = resolveTrainConfig('markov', { maxSteps: Number.isFinite(maxSteps) ? maxSteps : null }); // lr 0.1, batch 128
const batchesPerEpoch = countBatches(data.train, { batchSize: config.batchSize });
const trained = await trainLoop({
  model: markov, optimizer: new AdamW(markov.parameters(), { lr: config.lr }), config, batchesPerEpoch, microRows: config.batchSize,
  batches: { epoch: (_epoch, startBatch) => paddedBatches(data.train, { batchSize: config.batchSize, startBatch }) },
});
console.log(`gradient descent: ${trained.state.step} steps of batch ${config.batchSize}, AdamW lr ${config.lr}`);

// ln p(next | previous) under the trained table: a row's logit minus the row's logsumexp.
const table = markov.tLogits.weight.f32();
const rowLse = new Float64Array(vocabSize).fill(Number.NaN);
function tableLogProb(prev: number, next: number): number {
  if (Number.isNaN(rowLse[prev]!)) {
    const row = table.subarray(prev * vocabSize, (prev + 1) * vocabSize);
    let max = -Infinity;
    for (const x of row) max = Math.max(max, x);
    let sum = 0;
    for (const x of row) sum += Math.exp(x - max);
    rowLse[prev] = max + Math.log(sum);
  }
  return table[prev * vocabSize + next]! - rowLse[prev]!;
}

// Mean −ln p over every target of a split ([CLS] is given, [SEP] is predicted), and over the
// targets whose pair the training split holds ("seen") or not ("unseen").
function score(split: TokenSplit, logProb: (prev: number, next: number) => number) {
  const sums = { all: 0, seen: 0, unseen: 0 };
  const counts = { all: 0, seen: 0, unseen: 0 };
  for (let d = 0; d + 1 < split.offsets.length; d++) {
    for (let t = split.offsets[d]! + 1; t < split.offsets[d + 1]!; t++) {
      const prev = split.ids[t - 1]!;
      const next = split.ids[t]!;
      const nll = -logProb(prev, next);
      const kind = mle.prob([prev], next) > 0 ? 'seen' : 'unseen';
      sums.all += nll;
      sums[kind] += nll;
      counts.all++;
      counts[kind]++;
    }
  }
  return { all: sums.all / counts.all, seen: sums.seen / counts.seen, unseen: sums.unseen / counts.unseen, unseenShare: counts.unseen / counts.all };
}

const rows = [
  ...counted.map(({ name, model }) => ({ name, logProb: (p: number, n: number) => Math.log(model.prob([p], n)) })),
  { name: `gradient descent (${trained.state.step} steps)`, logProb: tableLogProb },
];
const unseenShare = score(data.test, tableLogProb).unseenShare;
console.log(`test tokens whose pair never occurs in the training split: ${(100 * unseenShare).toFixed(1)}%`);
console.log(`${'estimator'.padEnd(32)}${'train'.padStart(8)}${'test'.padStart(8)}${'seen'.padStart(8)}${'unseen'.padStart(8)}`);
for (const { name, logProb } of rows) {
  const train = score(data.train, logProb);
  const test = score(data.test, logProb);
  const cells = [train.all, test.all, test.seen, test.unseen].map((x) => (Number.isFinite(x) ? x.toFixed(3) : '∞').padStart(8));
  console.log(`${name.padEnd(32)}${cells.join('')}`);
}

// The two estimates of one row of the table: the next token after "of".
const of = data.tokenizer.tokenToId('of')!;
const countedRow = mle.nextDistribution([of]);
const top = [...countedRow.keys()].sort((a, b) => countedRow[b]! - countedRow[a]!).slice(0, 5);
console.log('after "of":  counted   trained');
for (const id of top) {
  console.log(`  ${data.tokenizer.idToToken(id)!.padEnd(10)}${countedRow[id]!.toFixed(4).padStart(8)}${Math.exp(tableLogProb(of, id)).toFixed(4).padStart(10)}`);
}
