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
    const go = () => model.fusedHead
      ? fusedLoss(model, part(b.inputs), part(b.inputMask), part(b.targets), mask, b.tokens)
      : maskedCrossEntropy(model.forward(part(b.inputs), part(b.inputMask)), part(b.targets), mask, { divisor: b.tokens });
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
 * positionwise head (each hidden vector depends on its own token) computes those of real positions only.
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
    return linearCrossEntropy(reshape(h, [n, -1]), head.weight, head.bias, tgt, divisor);
  }
  const h = head.hidden(inputs, inputMask); // (B,T,C)
  const C = h.shape[h.ndim - 1]!;
  const hsel = embedding(new Tensor(rows, [n]), reshape(h, [-1, C])); // (n,C): gather real rows
  return linearCrossEntropy(hsel, head.weight, head.bias, tgt, divisor);
}
