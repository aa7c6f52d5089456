/**
 * The README's performance tables are generated from benchmark results (bench/report.ts): the
 * rendering of each table, and the replacement of a marked block that leaves the rest untouched.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { architecturesTable, replaceBlock, sgemmTable, trainStepTable } from '../bench/report.js';

describe('bench report', () => {
  test('replaceBlock swaps only the text between its own markers', () => {
    const text = 'intro\n<!-- bench:a -->\nold a\n<!-- /bench:a -->\nmiddle\n<!-- bench:b -->\nold b\n<!-- /bench:b -->\nend\n';
    const r = replaceBlock(text, 'a', 'NEW');
    assert.equal(r.found, true);
    assert.equal(r.text, 'intro\n<!-- bench:a -->\nNEW\n<!-- /bench:a -->\nmiddle\n<!-- bench:b -->\nold b\n<!-- /bench:b -->\nend\n');
    assert.deepEqual(replaceBlock(text, 'c', 'X'), { text, found: false });
    const unclosed = 'x <!-- bench:a --> y';
    assert.deepEqual(replaceBlock(unclosed, 'a', 'X'), { text: unclosed, found: false });
  });

  test('the sgemm table gives each shape its GFLOP/s and the ratio to PyTorch, or a dash without it', () => {
    const md = sgemmTable({
      date: '2026-11-29T17:00:00.000Z', loadAverage: [0.5, 0.7], native: { vectorWidth: 'avx512', threads: 2 }, torch: 'torch 1.13',
      results: [
        { name: 'gX (BT,V)@(V,C)', M: 8192, N: 256, K: 28996, nativeGflops: 330.4, torchGflops: 275.3, referenceGflops: null },
        { name: 'small 256 (+reference)', M: 256, N: 256, K: 256, nativeGflops: 240, torchGflops: null, referenceGflops: 1.25 },
      ],
    });
    const lines = md.split('\n');
    assert.equal(lines[2], '| gX (BT,V)@(V,C) | 8192 × 256 × 28996 | 330 | 275 | 1.20× |');
    assert.equal(lines[3], '| small 256 | 256 × 256 × 256 | 240 (reference backend 1.3) | – | – |');
    assert.match(md, /Measured 2026-11-29 \(`node dist\/bench\/sgemm.bench.js`\), .*2 threads, avx512; torch 1\.13; load average 0\.50/);
  });

  test('the training-step table reports step ranges, the first step, and PyTorch with accumulation when it ran out of memory', () => {
    const md = trainStepTable({
      date: '2026-11-29T18:00:00.000Z', steps: 3, torchSteps: 2, backend: 'native', torch: { version: '1.13.0', threads: 2 },
      results: [{
        model: 'lowrank', batchSize: 128, T: 512, tokensPerStep: 43525.5, ratio: null, ratioAccumulated: 30.04,
        slmkit: { tokensPerSecond: 6000, secondsPerStep: 7.2, firstStepSeconds: 8.3, stepSeconds: [8.3, 6.9, 7.5], peakRssBytes: 1.06e9 },
        torch: { error: 'out of memory', peakRssBytes: 8.1e9 },
        torchAccumulated: { tokensPerSecond: 199.7, secondsPerStep: 210, stepSeconds: [200, 210], peakRssBytes: 2.5e9, microRows: 32 },
      }],
    });
    const lines = md.split('\n');
    assert.equal(lines[2], '| `lowrank` | 128 × 512 | 43,526 | 6,000 (6.90–7.50 s/step); first 8.3 s | ' +
      "200 (210.0 s/step), accumulating 32 rows (the notebook's step: out of memory) | 30.0× | 1.06 GB | 2.50 GB (8.10 GB at failure) |");
    assert.match(md, /3 steps per model \(PyTorch: the first 2\), the first a warm-up; .*; slmkit on the native backend; PyTorch 1\.13\.0, 2 threads\.$/);
  });

  test('the architectures table gives each model its PyTorch ratio, CPU time, load, and the recurrent ones their share of the transformer', () => {
    const side = (tps: number, steps: number[], cpu: number[], load: [number, number]) =>
      ({ tokensPerSecond: tps, secondsPerStep: steps.slice(1).reduce((a, x) => a + x, 0) / (steps.length - 1), stepSeconds: steps, cpuSeconds: cpu, loadAverage: load });
    const md = architecturesTable({
      date: '2026-11-30T18:00:00.000Z', steps: 3, torchSteps: 2, batchSize: 32, width: 256, backend: 'native',
      loadAverage: { start: [4.2, 4, 4], end: [6.8, 5, 5] }, torch: { version: '1.13.0', threads: 2 },
      results: [
        { model: 'lstm', config: { type: 'lstm', vocabSize: 100, embedDim: 256, hiddenDim: 256, layers: 1, dropout: 0.1 }, batchSize: 32, T: 511,
          tokensPerStep: 11600, ratio: 6.25, ratioAccumulated: null,
          slmkit: side(2500, [5, 4, 5], [9, 8, 10], [4.2, 5.1]), torch: side(400, [30, 29], [50, 58], [5.1, 6]), torchAccumulated: null },
        { model: 'cnn', config: { type: 'cnn', vocabSize: 100, channels: 256, kernelSize: 3, layers: 6, dropout: 0.1 }, batchSize: 32, T: 511,
          tokensPerStep: 11600, ratio: null, ratioAccumulated: 8,
          slmkit: side(2000, [6, 6, 6], [11, 12, 12], [6, 6]), torch: { error: 'out of memory', peakRssBytes: 9e9 },
          torchAccumulated: { ...side(250, [50, 46], [80, 90], [6, 6.5]), microRows: 8 } },
        { model: 'transformer', config: { type: 'transformer', vocabSize: 100, embedDim: 256, heads: 4, layers: 6, maxLen: 512, dropout: 0.2, variant: 'post-ln', tieWeights: false, headBias: true, init: 'auto' },
          batchSize: 32, T: 511, tokensPerStep: 11600, ratio: null, ratioAccumulated: null,
          slmkit: side(3125, [4, 4, 4], [7, 7, 7], [6.5, 6.8]), torch: null, torchAccumulated: null },
      ],
    });
    const lines = md.split('\n');
    assert.equal(lines[2], '| `lstm` | lstm 1×256 e256 | 2,500 (4.00–5.00 s/step) | 400 (29.0 s/step) | 6.3× | 9.0, 58.0 | 4.2–5.1, 5.1–6.0 | 0.80× |');
    assert.equal(lines[3], "| `cnn` | cnn 6×256 k3 (127 tokens) | 2,000 (6.00 s/step) | 250 (46.0 s/step), accumulating 8 rows (the notebook's step: out of memory) " +
      '| 8.0× | 12.0, 90.0 | 6.0–6.0, 6.0–6.5 |  |');
    assert.equal(lines[4], '| `transformer` | transformer post-ln 6×256 | 3,125 (4.00 s/step) | (not run) | – | 7.0, – | 6.5–6.8, – | the reference |');
    assert.match(md, /batch 32 × 511 \(11,600 real targets per timed step\), 3 steps per model \(PyTorch: the first 2\), .*load average 4\.2 at the start, 6\.8 at the end\.$/);
  });
});
