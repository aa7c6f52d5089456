/**
 * One batch through a model: forward, masked loss and (when training) backward, split into
 * micro-batches of rows so that no (B,T,V) logits tensor larger than the budget ever exists. Each
 * micro-batch's loss is divided by the whole batch's token count, so the accumulated gradient is
 * exactly the whole batch's and the returned loss is the notebook's masked mean.
 */
import type { StepBatch } from '../data/batches.js';
import type { LanguageModel } from '../models/model.js';
import { maskedCrossEntropy } from '../ops/crossentropy.js';
import { narrow } from '../ops/shape.js';
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
    const go = () => {
      const logits = model.forward(part(b.inputs), part(b.inputMask)); // (n,T,V)
      return maskedCrossEntropy(logits, part(b.targets), mask, { divisor: b.tokens });
    };
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
