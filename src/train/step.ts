/**
 * One batch through a model: forward, masked loss and (when training) backward, split into
 * micro-batches of rows so that no (B,T,V) logits tensor larger than the budget ever exists. Each
 * micro-batch's loss is divided by the whole batch's token count, so the accumulated gradient is
 * exactly the whole batch's and the returned loss is the notebook's masked mean.
 */
import type { StepBatch } from '../data/batches.js';
import type { LanguageModel } from '../models/model.js';
import { maskedCrossEntropy } from '../ops/crossentropy.js';
import { embedding } from '../ops/embedding.js';
import { embeddingCrossEntropy, linearCrossEntropy } from '../ops/fusedLoss.js';
import { narrow, reshape } from '../ops/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../tensor/autograd.js';

export interface BatchLoss {
  /** The notebook's loss: sum of masked cross-entropy / number of real targets (0 if none). */
  loss: number;
  /** Real targets in the batch. */
  tokens: number;
}

/**
 * The notebook's masked cross-entropy of a batch (sum over real targets / `divisor`, by default
 * the batch's real targets) as a scalar tensor to call backward() on: the loss the notebook
 * writes as `masked_cross_entropy(model(x), targets, mask)`. Through the model's fused output
 * layer when it has one, so no (B,T,V) logits are held (the Markov table at batch 128 would need
 * 7.6 GB for them); else from forward(). A batch without real targets gives 0 (PyTorch: NaN).
 */
export function batchLoss(model: LanguageModel, b: StepBatch, divisor = b.tokens): Tensor {
  const d = divisor > 0 ? divisor : 1;
  return model.fusedHead
    ? fusedLoss(model, b.inputs, b.inputMask, b.targets, b.mask, d)
    : maskedCrossEntropy(model.forward(b.inputs, b.inputMask), b.targets, b.mask, { divisor: d });
}

/** Forward (and backward when `train`) over micro-batches of `microRows` rows. */
export function runBatch(model: LanguageModel, b: StepBatch, microRows: number, train: boolean): BatchLoss {
  const B = b.inputs.shape[0]!;
  if (b.tokens === 0) return { loss: 0, tokens: 0 };
  let loss = 0;
  for (let r = 0; r < B; r += microRows) {
    const n = Math.min(microRows, B - r);
    const part = (t: typeof b.inputs) => (n === B ? t : narrow(t, 0, r, n));
    const mask = part(b.mask);
    let any = false;
    for (const m of mask.data) if (m !== 0) { any = true; break; }
    if (!any) continue;
    // Each part's loss is divided by the whole batch's targets, so the parts' gradients add up to the batch's.
    const go = () => batchLoss(model, { inputs: part(b.inputs), inputMask: part(b.inputMask), targets: part(b.targets), mask, tokens: b.tokens }, b.tokens);
    if (train) {
      const l = go();
      l.backward();
      loss += l.item();
    } else {
      loss += noGrad(go).item();
    }
  }
  return { loss, tokens: b.tokens };
}

/**
 * The loss through the model's fused head, over real positions only: padding rows are dropped
 * before the output layer, so they cost no vocabulary-sized work at all. A model whose
 * positionwise head (each hidden vector depends on its own token) computes those of real positions
 * only; so does one with realHidden (the transformer), unless a target sits on a padded input
 * (not in slmkit's batches), where the whole (B,T,C) is computed instead.
 */
function fusedLoss(model: LanguageModel, inputs: Tensor, inputMask: Tensor, targets: Tensor, mask: Tensor, divisor: number): Tensor {
  const M = mask.data;
  let n = 0;
  for (let i = 0; i < M.length; i++) if (M[i] !== 0) n++;
  const rows = new Int32Array(n); // flat (b*T + t) positions of real targets
  const tsel = new Int32Array(n);
  const ids = new Int32Array(n); // their input tokens
  for (let i = 0, j = 0; i < M.length; i++) {
    if (M[i] === 0) continue;
    rows[j] = i;
    ids[j] = inputs.data[i]!;
    tsel[j++] = targets.data[i]!;
  }
  const head = model.fusedHead!();
  const tgt = new Tensor(tsel, [n]);
  if (head.kind === 'table') return embeddingCrossEntropy(new Tensor(ids, [n]), head.table, tgt, divisor);
  if (head.positionwise) {
    // Each position's hidden vector depends on its own token only: compute it for the real
    // positions alone (no work, memory or gather for padding).
    const h = head.hidden(new Tensor(ids, [1, n]), null); // (1,n,C)
    return linearCrossEntropy(reshape(h, [n, head.weight.shape[1]!]), head.weight, head.bias, tgt, divisor); // (n,C), n may be 0
  }
  const C = head.weight.shape[1]!;
  const IM = inputMask.data;
  const real = head.realHidden && rows.every((r) => IM[r] !== 0) ? head.realHidden(inputs, inputMask) : null;
  if (real) {
    // The model computed the real input positions alone: pick the targets' rows among them.
    const at = new Int32Array(M.length);
    real.rows.forEach((r, j) => { at[r] = j; });
    const pick = Int32Array.from(rows, (r) => at[r]!);
    const hr = reshape(real.hidden, [real.rows.length, C]);
    const identity = n === real.rows.length && pick.every((j, i) => j === i);
    return linearCrossEntropy(identity ? hr : embedding(new Tensor(pick, [n]), hr), head.weight, head.bias, tgt, divisor);
  }
  const h = head.hidden(inputs, inputMask); // (B,T,C)
  const hsel = embedding(new Tensor(rows, [n]), reshape(h, [-1, C])); // (n,C): gather real rows
  return linearCrossEntropy(hsel, head.weight, head.bias, tgt, divisor);
}
