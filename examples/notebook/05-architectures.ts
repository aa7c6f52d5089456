/**
 * docs/notebook.md, "Other architectures": every model family slmkit knows (its `--model` types),
 * with its size at default settings for this vocabulary, and one batch through each untrained
 * neural model: they all take the same (B, T) ids and mask and give the same masked loss.
 * Run: node dist/examples/notebook/05-architectures.js
 */
import { Rng, batchLoss, describeModel, families, noGrad, paddedBatches, resolveAnyConfig, shiftBatch } from 'slmkit';
import { openNotebookData } from './settings.js';

const data = await openNotebookData();
const vocabSize = data.tokenizer.vocabSize;
const [batch] = paddedBatches(data.train, { batchSize: 8 });
const b = shiftBatch(batch);

for (const family of families) {
  const config = resolveAnyConfig({ type: family.type, vocabSize }); // the family's defaults
  console.log(`--model ${family.type}: ${family.title}`);
  if (family.kind === 'counted') {
    console.log(`  ${describeModel(config)}: counted from the training split, no gradient descent`);
    continue;
  }
  const parameters = family.countParameters(config);
  let line = `  ${describeModel(config)}: ${parameters.toLocaleString('en-US')} parameters`;
  if (parameters < 1e8) { // the 3.4 GB Markov table is trained in 02-markov.ts, not built again here
    const model = family.create(config, new Rng(42)).eval();
    line += `, untrained loss on ${b.tokens} tokens of ${batch.ids.shape[0]} documents: ${noGrad(() => batchLoss(model, b)).item().toFixed(4)}`;
  }
  console.log(line);
}
