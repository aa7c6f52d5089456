/**
 * sampleToken: draws follow the (warped) softmax. Frequencies over many seeded draws match the
 * exact probabilities within a few standard errors; top-k and top-p keep exactly the tokens they
 * should; greedy is argmax; banned ids never appear; the same seed repeats the same draws.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sampleToken, type SamplingOptions } from '../src/sample/sampling.js';
import { Rng } from '../src/tensor/rng.js';

const probs = [0.5, 0.3, 0.15, 0.05];
const logits = Float32Array.from(probs, (p) => Math.log(p) + 3); // a shift changes nothing

function frequencies(o: SamplingOptions, n: number, seed = 1, banned?: Set<number>): number[] {
  const rng = new Rng(seed);
  const counts = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < n; i++) counts[sampleToken(logits, o, rng, banned)]!++;
  return counts.map((c) => c / n);
}

function assertClose(freq: number[], want: number[], n: number): void {
  want.forEach((p, i) => {
    const se = Math.sqrt(Math.max(p * (1 - p), 1e-12) / n);
    assert.ok(Math.abs(freq[i]! - p) <= 5 * se + 1e-12, `token ${i}: frequency ${freq[i]} vs probability ${p}`);
  });
}

const normalise = (w: number[]) => w.map((x) => x / w.reduce((a, b) => a + b, 0));

describe('sampleToken', () => {
  const n = 20000;
  test('draws follow the softmax of the logits', () => {
    assertClose(frequencies({}, n), probs, n);
  });

  test('temperature sharpens (T < 1) or flattens (T > 1) the distribution', () => {
    assertClose(frequencies({ temperature: 0.5 }, n), normalise(probs.map((p) => p ** 2)), n);
    assertClose(frequencies({ temperature: 2 }, n), normalise(probs.map((p) => Math.sqrt(p))), n);
  });

  test('top-k keeps the k most likely tokens, renormalised', () => {
    assertClose(frequencies({ topK: 2 }, n), [0.5 / 0.8, 0.3 / 0.8, 0, 0], n);
    assert.equal(sampleToken(logits, { topK: 1 }, new Rng(3)), 0);
  });

  test('top-p keeps the smallest set reaching p', () => {
    assertClose(frequencies({ topP: 0.8 }, n), [0.5 / 0.8, 0.3 / 0.8, 0, 0], n);
    assertClose(frequencies({ topP: 0.81 }, n), [0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0], n);
    assertClose(frequencies({ topP: 0.4 }, n), [1, 0, 0, 0], n);
  });

  test('greedy takes the argmax; banned ids are never drawn', () => {
    assert.equal(sampleToken(logits, { greedy: true }, new Rng(0)), 0);
    assert.equal(sampleToken(logits, { greedy: true }, new Rng(0), new Set([0])), 1);
    assertClose(frequencies({}, n, 2, new Set([1])), [0.5 / 0.7, 0, 0.15 / 0.7, 0.05 / 0.7], n);
  });

  test('the same seed gives the same draws', () => {
    const a = new Rng(9);
    const b = new Rng(9);
    for (let i = 0; i < 200; i++) assert.equal(sampleToken(logits, { topP: 0.9 }, a), sampleToken(logits, { topP: 0.9 }, b));
  });

  test('bad options are refused by name', async () => {
    const { checkSamplingOptions } = await import('../src/sample/sampling.js');
    assert.throws(() => checkSamplingOptions({ temperature: 0 }), /temperature must be > 0/);
    assert.throws(() => checkSamplingOptions({ topK: 0 }), /top-k must be a positive integer/);
    assert.throws(() => checkSamplingOptions({ topP: 1.5 }), /top-p must be in \(0, 1\]/);
  });
});
