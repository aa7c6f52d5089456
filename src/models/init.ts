/**
 * Initialisation schemes beyond PyTorch's per-layer defaults (which nn/layers.ts applies as the
 * notebook's modules do). `gpt2` is GPT-2's and nanoGPT's: every Linear and Embedding weight
 * N(0, 0.02), biases 0, LayerNorm 1 and 0, and the projections that write into the residual stream
 * N(0, 0.02 / √(2·layers)), so the stream's variance does not grow with depth. With the token
 * embedding N(0, 0.02) instead of N(0, 1), a head that shares it starts near uniform logits
 * (loss ≈ ln V) instead of 60.
 */
import { Embedding, Linear } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import type { Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';

export type InitScheme = 'pytorch' | 'gpt2';

/** Redraws `model`'s Linear and Embedding weights the GPT-2 way; `residual(name)` marks the residual projections. */
export function initGpt2(model: Module, rng: Rng, layers: number, residual: (name: string) => boolean): void {
  const std = 0.02;
  const resStd = std / Math.sqrt(2 * layers);
  const walk = (m: Module, prefix: string) => {
    if (m instanceof Linear || m instanceof Embedding) {
      const name = `${prefix}weight`;
      const s = residual(name) ? resStd : std;
      const w = m.weight.f32();
      w.set(Tensor.randn(m.weight.shape, rng).f32());
      for (let i = 0; i < w.length; i++) w[i] = w[i]! * s;
      if (m instanceof Linear && m.bias) m.bias.f32().fill(0);
    }
    for (const [n, c] of m.namedChildren()) walk(c, `${prefix}${n}.`);
  };
  walk(model, '');
}
