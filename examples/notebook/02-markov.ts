/**
 * docs/notebook.md, from "Build our small language model" to "Time to train the model!": the
 * Markov chain written from an Embedding and checked against slmkit's MarkovChain, its parameter
 * count, its (N, L, V) logits and their softmax, text from the untrained model, the masked
 * cross-entropy written out, the training loop (forward, loss, backward, AdamW step) at the
 * notebook's settings, the test loss, and text from the trained model.
 * Run: node dist/examples/notebook/02-markov.js (3.4 GB of weights and 6.7 GB of AdamW moments at
 * the notebook's vocabulary; SLM_VOCAB=2000 for a small table).
 */
import {
  AdamW, Embedding, F, MarkovChain, Module, Rng, Tensor, batchLoss, countBatches, evaluate, formatTensor, noGrad, paddedBatches,
  sampleToken, shiftBatch, type LanguageModel, type MarkovConfig,
} from 'slmkit';
import { maxSteps, openNotebookData } from './settings.js';

const data = await openNotebookData();
const vocabSize = data.tokenizer.vocabSize;

// --- The model, written from an Embedding
class MyMarkovChain extends Module implements LanguageModel {
  readonly typeName = 'MarkovChain';
  readonly config: MarkovConfig;
  readonly contextSize = 1; // the next token depends on the last one alone
  readonly tLogits: Embedding;

  constructor(vocabSize: number, rng: Rng) {
    super();
    this.config = { type: 'markov', vocabSize };
    // The transition logits: row = the previous token, one column per possible next token.
    this.tLogits = this.child('t_logits', new Embedding(vocabSize, vocabSize, rng));
    // Start from "most transitions are very improbable": N(0, 1) - 10.
    const w = this.tLogits.weight.f32();
    for (let i = 0; i < w.length; i++) w[i] -= 10;
  }

  forward(ids: Tensor): Tensor {
    return this.tLogits.forward(ids); // (N, L) → (N, L, V); no softmax needed for training
  }
}

// slmkit's MarkovChain is this module; from the same seed both hold the same table (checked on a small one).
const mine = new MyMarkovChain(50, new Rng(7));
const library = new MarkovChain({ type: 'markov', vocabSize: 50 }, new Rng(7));
const sameNames = mine.namedParameters()[0]![0] === library.namedParameters()[0]![0];
const sameWeights = mine.tLogits.weight.f32().every((x, i) => x === library.tLogits.weight.f32()[i]);
console.log(`hand-written vs library (V = 50): names ${sameNames ? 'equal' : 'DIFFER'}, weights ${sameWeights ? 'equal' : 'DIFFER'}`);

const model = new MarkovChain({ type: 'markov', vocabSize }, new Rng(42));
console.log('Trainable params (millions):', model.numParameters() / 1e6);
console.log(model.toString());

// --- Try it on a batch of three documents
const [batch] = paddedBatches(data.train, { batchSize: 3 });
const y = model.forward(batch.ids); // (N, L, V) next-token logits
console.log('logits', y.shape);
const probs = F.softmax(y); // over the last (vocabulary) dimension
const [N, L] = batch.ids.shape as [number, number];
const sums = new Float32Array(N * L);
for (let r = 0; r < N * L; r++) for (let v = 0; v < vocabSize; v++) sums[r] += probs.data[r * vocabSize + v]!;
console.log('probabilities sum to', formatTensor(new Tensor(sums, [N, L]), { threshold: 100 }));

// --- Generate text for the untrained model
function generate(model: LanguageModel, ids: number[], maxNewTokens: number, rng: Rng): number[] {
  const out = [...ids];
  const V = model.config.vocabSize;
  for (let i = 0; i < maxNewTokens; i++) {
    const logits = noGrad(() => model.forward(Tensor.int([out]))); // (1, L, V)
    const last = logits.f32().subarray((out.length - 1) * V); // (V): the prediction after the last token
    out.push(sampleToken(last, {}, rng)); // softmax, then one draw from it
  }
  return out;
}

const prompt = 'We compared the prevalence of';
const promptIds = data.tokenizer.encode(prompt).ids.slice(0, -1); // cut [SEP]: continue the text, do not end it
console.log('prompt ids', promptIds.join(' '));
const rng = new Rng(1);
for (let s = 0; s < 3; s++) console.log(data.tokenizer.decode(generate(model, promptIds, 15, rng), { skipSpecialTokens: false }));

// --- Loss function
const T = batch.ids.shape[1]!;
const predLogits = F.narrow(y, 1, 0, T - 1); // (N, L-1, V): the last position predicts past the end
const targets = F.narrow(batch.ids, 1, 1, T - 1); // (N, L-1): the first token is never predicted
const mask = F.narrow(batch.mask, 1, 1, T - 1); // (N, L-1): 1 on real tokens, 0 on padding
const tokenLoss = F.crossEntropy(predLogits, targets, { reduction: 'none' }); // (N, L-1)
console.log('predLogits', predLogits.shape, 'targets', targets.shape, 'tokenLoss', tokenLoss.shape);

function maskedCrossEntropy(logits: Tensor, targets: Tensor, mask: Tensor): Tensor {
  const tokenLoss = F.crossEntropy(logits, targets, { reduction: 'none' });
  const m = new Tensor(Float32Array.from(mask.data), mask.shape); // the mask as float32
  const total = F.sum(F.mul(tokenLoss, m)); // padding counts zero
  const numReal = F.sum(m).item();
  return F.scale(total, 1 / numReal); // mean loss per real token
}
console.log('masked cross-entropy', formatTensor(maskedCrossEntropy(predLogits, targets, mask)));
console.log('F.maskedCrossEntropy', formatTensor(F.maskedCrossEntropy(predLogits, targets, mask)));
console.log('batchLoss (fused)   ', formatTensor(batchLoss(model, shiftBatch(batch))));

// --- Time to train the model!
const batchSize = 128;
const numEpochs = 2;
const learningRate = 0.1; // this model likes a large learning rate
const optimizer = new AdamW(model.parameters(), { lr: learningRate });
const reportEvery = Math.max(1, Math.round(countBatches(data.train, { batchSize }) / 17)); // ~18 lines an epoch

const started = performance.now();
let step = 0;
let lastLoss = Number.NaN;
for (let epoch = 0; epoch < numEpochs && step < maxSteps; epoch++) {
  console.log(`START EPOCH ${epoch + 1}`);
  let ix = 0;
  for (const batch of paddedBatches(data.train, { batchSize })) {
    const b = shiftBatch(batch); // inputs ids[:, :-1], targets ids[:, 1:], mask mask[:, 1:]
    const loss = batchLoss(model, b); // forward and masked cross-entropy, fused
    optimizer.zeroGrad();
    loss.backward();
    if (step === 0) {
      const g = model.tLogits.weight.gradient(); // row-sparse: only the rows of tokens this batch holds
      if (g.kind === 'rows') console.log(`the first batch's gradient fills ${g.rows.length} of the table's ${vocabSize} rows`);
    }
    optimizer.step();
    lastLoss = loss.item();
    if (ix % reportEvery === 0) console.log(`Batch ${ix} training loss: ${lastLoss}`);
    ix++;
    if (++step >= maxSteps) break;
  }
}
console.log(`trained ${step} steps in ${((performance.now() - started) / 1000).toFixed(0)} s; last batch training loss ${lastLoss}`);

// Test: did the learning generalize?
model.eval();
let ix = 0;
for (const batch of paddedBatches(data.test, { batchSize })) {
  const loss = noGrad(() => batchLoss(model, shiftBatch(batch)));
  if (ix % 5 === 0) console.log(`Batch ${ix} testing loss: ${loss.item()}`);
  ix++;
}
const test = await evaluate(model, data.test, { batchSize });
console.log(`test loss: ${test.batchMeanLoss.toFixed(4)} (mean of batch means), ${test.loss.toFixed(4)} per token over ${test.tokens} tokens`);

for (let s = 0; s < 3; s++) console.log(data.tokenizer.decode(generate(model, promptIds, 30, rng), { skipSpecialTokens: false }));
