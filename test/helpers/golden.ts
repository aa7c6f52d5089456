/**
 * Shared by the golden tests (test/golden*.test.ts): the fixture format written by
 * scripts/golden/*.py, its loader, and `Checker`, which compares tensors "within 1e-4 relative"
 * per tensor: max |a - b| <= 1e-4 * max |b| (see test/golden.test.ts for why per tensor).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Tensor } from '../../src/tensor/tensor.js';

export interface JsonTensor { shape: number[]; data: number[] }

export interface Fixture<C = Record<string, unknown> & { type: string; vocabSize: number }> {
  name: string;
  config: C;
  optimizer: { type: 'AdamW'; lr: number; betas: [number, number]; eps: number; weightDecay: number };
  batch: { ids: JsonTensor; attention_mask: JsonTensor; inputs: JsonTensor; input_mask: JsonTensor; targets: JsonTensor; mask: JsonTensor };
  state_dict: Record<string, JsonTensor>;
  logits: JsonTensor;
  /** (B,T) positions whose logits are compared (all when absent). */
  logits_mask?: JsonTensor;
  loss: number;
  grads: Record<string, JsonTensor>;
  step_losses: number[];
  final_state_dict: Record<string, JsonTensor>;
}

export const RTOL = 1e-4;

export function loadFixture<C>(name: string): Fixture<C> {
  // Tests run from dist/test/; the fixtures stay in the source tree.
  const url = new URL(`../../../test/fixtures/golden/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Fixture<C>;
}

export const floatTensor = (j: JsonTensor): Tensor => new Tensor(Float32Array.from(j.data), j.shape);
export const intTensor = (j: JsonTensor): Tensor => new Tensor(Int32Array.from(j.data), j.shape);
export const maxAbsOf = (x: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
};

/** Collects every comparison's outcome for one fixture: the worst one, and all failures. */
export class Checker {
  worstRatio = 0;
  worst = '';
  readonly failures: string[] = [];

  /** max |actual - expected| <= tol, where tol defaults to RTOL * max |expected|; returns error / limit. */
  close(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol?: number): number {
    assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
    const scale = maxAbsOf(expected);
    const limit = tol ?? RTOL * (scale > 0 ? scale : 1); // an all-zero tensor: absolute RTOL
    let bad = 0;
    let err = -1;
    for (let i = 0; i < expected.length; i++) {
      const e = Math.abs(actual[i]! - expected[i]!);
      if (!(e <= err)) { // NaN counts as worst
        err = Number.isNaN(e) ? Infinity : e;
        bad = i;
      }
    }
    const ratio = err / limit;
    const where = `${what}[${bad}]: got ${actual[bad]}, expected ${expected[bad]}, error ${err.toExponential(2)} = ` +
      `${(err / (scale || 1)).toExponential(2)} of max |expected| ${scale.toExponential(3)}`;
    if (ratio > this.worstRatio) {
      this.worstRatio = ratio;
      this.worst = where;
    }
    if (!(ratio <= 1)) this.failures.push(`${where} (limit ${limit.toExponential(2)})`);
    return ratio;
  }
}
