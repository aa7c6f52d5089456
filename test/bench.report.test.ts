/**
 * The README's performance tables are generated from benchmark results (bench/report.ts): the
 * rendering of each table, and the replacement of a marked block that leaves the rest untouched.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { replaceBlock, sgemmTable, trainStepTable } from '../bench/report.js';

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
});
