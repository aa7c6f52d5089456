// The notebook's low-rank Markov chain, one AdamW step on a toy padded batch (README example).
import { AdamW, F, MarkovChainLowRank, Tensor } from 'slmkit';

const model = new MarkovChainLowRank({ type: 'lowrank', vocabSize: 1000, embedDim: 256, dropout: 0.1 });
const opt = new AdamW(model.parameters(), { lr: 1e-3 });
const ids = Tensor.int([[101, 7, 42, 9, 102], [101, 5, 102, 0, 0]]); // (B,T), padded with 0
const mask = Tensor.int([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]);          // attention_mask
const logits = model.forward(F.narrow(ids, 1, 0, 4));                  // ids[:, :-1] → (B,T-1,V)
const loss = F.maskedCrossEntropy(logits, F.narrow(ids, 1, 1, 4), F.narrow(mask, 1, 1, 4));
loss.backward();
opt.step();
console.log(`parameters ${model.numParameters()}, loss ${loss.item().toFixed(4)}`);
