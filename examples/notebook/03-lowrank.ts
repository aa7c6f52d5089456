/**
 * docs/notebook.md, "Cleaning up" and "Low rank Markov Model": the notebook's train/test/generate
 * helpers are slmkit's trainLoop, evaluate and generate; with them, the low-rank chain
 * (Embedding(V, 256) → Dropout(0.1) → Linear(256, V)) trained at the notebook's settings, its test
 * loss after each epoch, and its samples. Run: node dist/examples/notebook/03-lowrank.js
 */
import {
  AdamW, MarkovChainLowRank, Rng, countBatches, evaluate, generate, paddedBatches, resolveTrainConfig, trainLoop,
} from 'slmkit';
import { maxSteps, openNotebookData } from './settings.js';

const data = await openNotebookData();
const vocabSize = data.tokenizer.vocabSize;

// --- Low rank Markov Model
const embeddingDim = 256;
const model = new MarkovChainLowRank({ type: 'lowrank', vocabSize, embedDim: embeddingDim, dropout: 0.1 }, new Rng(42));
console.log('Trainable params (millions):', model.numParameters() / 1e6);
console.log(model.toString());

// The notebook's settings are slmkit's defaults for this model: batch 128, 2 epochs, AdamW lr 0.001.
const config = resolveTrainConfig('lowrank', { maxSteps: Number.isFinite(maxSteps) ? maxSteps : null });
console.log(`batch ${config.batchSize}, ${config.epochs} epochs, AdamW lr ${config.lr}`);
const optimizer = new AdamW(model.parameters(), { lr: config.lr });
const batchesPerEpoch = countBatches(data.train, { batchSize: config.batchSize });
const reportEvery = Math.max(1, Math.round(batchesPerEpoch / 17));

const result = await trainLoop({
  model, optimizer, config, batchesPerEpoch, microRows: config.batchSize,
  batches: { epoch: (_epoch, startBatch) => paddedBatches(data.train, { batchSize: config.batchSize, startBatch }) },
  hooks: {
    step: (r) => {
      if (r.batch === 1) console.log(`START EPOCH ${r.epoch}`);
      if ((r.batch - 1) % reportEvery === 0) console.log(`Batch ${r.batch - 1} training loss: ${r.loss}`);
    },
    evaluate: async (why) => {
      const test = await evaluate(model, data.test, { batchSize: config.batchSize });
      console.log(`test loss (${why}): ${test.batchMeanLoss.toFixed(4)} (mean of batch means), ${test.loss.toFixed(4)} per token`);
      return true;
    },
  },
});
console.log(`trained ${result.state.step} steps (${result.stop}) in ${result.state.seconds.toFixed(0)} s; `
  + `mean training loss of its last ${Math.min(config.logEvery, result.state.step)} steps ${result.trainLoss.toFixed(4)}`);

// Samples, drawn past the end of the document as the notebook's are (stopAtEnd: false).
const rng = new Rng(1);
for (let s = 0; s < 3; s++) {
  let text = '';
  for await (const t of generate(model, data.tokenizer, 'We compared the prevalence of', { maxNewTokens: 30, rng, stopAtEnd: false })) text = t.text;
  console.log(text);
}
