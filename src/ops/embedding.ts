/**
 * Embedding lookup: out (...,C) = table (V,C) rows at ids (...). Backward scatter-adds each row of
 * the output gradient into the table's gradient, so only the rows that were looked up change.
 */
import { kernels } from '../backend/index.js';
import { accumulateGrad, record } from '../tensor/autograd.js';
import { formatShape, ShapeError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';

export function embedding(ids: Tensor, table: Tensor): Tensor {
  const I = ids.i32('embedding ids');
  const W = table.f32('embedding table');
  if (table.ndim !== 2) throw new ShapeError(`embedding: table must be (V, C), got ${formatShape(table.shape)}`);
  const V = table.shape[0]!;
  const C = table.shape[1]!;
  for (let n = 0; n < I.length; n++) {
    const id = I[n]!;
    if (id < 0 || id >= V) {
      throw new ShapeError(`embedding: id ${id} at position ${n} is outside the table's ${V} rows`,
        'the ids come from a tokenizer with a larger vocabulary than the model; check that they match');
    }
  }
  const k = kernels();
  const out = new Tensor(new Float32Array(I.length * C), [...ids.shape, C]);
  k.embeddingForward(I, W, out.f32(), C);
  return record(out, {
    op: 'embedding',
    parents: [table],
    backward: (g) => accumulateGrad(table, (gW, acc) => {
      if (!acc) gW.fill(0);
      k.embeddingBackward(I, g, gW, C);
    }),
  });
}
