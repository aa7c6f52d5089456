/**
 * Decoders (the Decoder interface is in model.ts): `openDecoder` gives the model's own (the
 * transformer's key/value cache) or `forwardDecoder`, which runs forward() over the whole window at
 * every step: what generation did before the cache, still right for the Markov chains and n-grams
 * (a window of one or N − 1 tokens) and the slow, obvious definition the cache is tested against.
 */
import { noGrad } from '../tensor/autograd.js';
import { ShapeError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import type { Decoder, LanguageModel } from './model.js';

/** Throws unless ids is 1 to contextSize tokens long. */
export function checkWindow(ids: readonly number[], contextSize: number, who: string): void {
  if (ids.length === 0) throw new ShapeError(`${who}.prefill: no tokens`, 'give at least one id, e.g. [CLS]');
  if (ids.length > contextSize) {
    throw new ShapeError(`${who}.prefill: ${ids.length} tokens do not fit the model's context of ${contextSize}`,
      `keep the last ${contextSize} (generateIds does)`);
  }
}

/** Runs fn in eval mode (no dropout) without recording gradients, then restores the mode. */
export function inEvalMode<T>(model: LanguageModel, fn: () => T): T {
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(fn);
  } finally {
    model.train(wasTraining);
  }
}

/** Decodes by calling forward() on the held window (1,T) and keeping the last row of logits. */
export function forwardDecoder(model: LanguageModel): Decoder {
  const n = model.contextSize;
  let window: number[] = [];
  const read = (): Float32Array => inEvalMode(model, () => {
    const T = window.length;
    const V = model.config.vocabSize;
    const logits = model.forward(new Tensor(Int32Array.from(window), [1, T])); // (1,T,V)
    return logits.f32().slice((T - 1) * V, T * V);
  });
  return {
    get length() {
      return window.length;
    },
    contextSize: n,
    prefill(ids) {
      checkWindow(ids, n, 'forwardDecoder');
      window = [...ids];
      return read();
    },
    step(id) {
      if (window.length === 0) throw new ShapeError('forwardDecoder.step: nothing read yet', 'call prefill(ids) first');
      window.push(id);
      if (window.length > n) window.shift();
      return read();
    },
  };
}

/** The model's own decoder when it has one and `cache` is not false; forwardDecoder otherwise. */
export function openDecoder(model: LanguageModel, o: { cache?: boolean } = {}): Decoder {
  return o.cache !== false && model.decoder ? model.decoder() : forwardDecoder(model);
}
