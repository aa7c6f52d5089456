/**
 * The README's performance tables are generated from benchmark results (bench/report.ts): the
 * rendering of each table, from results written before the peak was measured ("–") and after (the
 * fraction of the peak measured in the same run), the scaling-with-cores table, and the replacement
 * of a marked block that leaves the rest untouched.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { architecturesTable, bestPeak, peakShare, replaceBlock, sgemmTable, trainStepTable } from '../bench/report.js';
import { threadsTable } from '../bench/threadsReport.js';

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
    assert.equal(lines[2], '| gX (BT,V)@(V,C) | 8192 × 256 × 28996 | 330 | – | 275 | 1.20× |');
    assert.equal(lines[3], '| small 256 | 256 × 256 × 256 | 240 (reference backend 1.3) | – | – | – |');
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
      "200 (210.0 s/step), accumulating 32 rows (the notebook's step: out of memory) | 30.0× | – | 1.06 GB | 2.50 GB (8.10 GB at failure) |");
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
    assert.equal(lines[2], '| `lstm` | lstm 1×256 e256 | 2,500 (4.00–5.00 s/step) | 400 (29.0 s/step) | 6.3× | – | 9.0, 58.0 | 4.2–5.1, 5.1–6.0 | 0.80× |');
    assert.equal(lines[3], "| `cnn` | cnn 6×256 k3 (127 tokens) | 2,000 (6.00 s/step) | 250 (46.0 s/step), accumulating 8 rows (the notebook's step: out of memory) " +
      '| 8.0× | – | 12.0, 90.0 | 6.0–6.0, 6.0–6.5 |  |');
    assert.equal(lines[4], '| `transformer` | transformer post-ln 6×256 | 3,125 (4.00 s/step) | (not run) | – | – | 7.0, – | 6.5–6.8, – | the reference |');
    assert.match(md, /batch 32 × 511 \(11,600 real targets per timed step\), 3 steps per model \(PyTorch: the first 2\), .*load average 4\.2 at the start, 6\.8 at the end\.$/);
  });
  test('the sgemm table gives each shape its fraction of the higher peak the same run measured', () => {
    const md = sgemmTable({
      date: '2026-11-30T19:00:00.000Z', loadAverage: [2.5, 2.6], native: { vectorWidth: 'avx512', threads: 2 }, torch: null,
      peak: { start: { available: true, fmaGflops: 200, readGBs: 20, threads: 2 }, end: { available: true, fmaGflops: 250, readGBs: 21, threads: 2 } },
      results: [{ name: 'square 1024', M: 1024, N: 1024, K: 1024, nativeGflops: 200, torchGflops: null, referenceGflops: null }],
    });
    const lines = md.split('\n');
    assert.equal(lines[0], '| shape | M × N × K | slmkit GFLOP/s | of peak | PyTorch (OpenBLAS) GFLOP/s | ratio |');
    assert.equal(lines[2], '| square 1024 | 1024 × 1024 × 1024 | 200 | 80% | – | – |');
    assert.match(md, /of the fp32 FMA peak measured in the same run \(250 GFLOP\/s, the higher of its start and end\)\.$/);
    // A peak that could not be measured is no peak.
    assert.equal(bestPeak({ available: false, reason: 'no addon' }, undefined), null);
  });

  test('peakShare: useful GFLOP/s over the timed steps as a fraction of the process\'s own peak', () => {
    const side = { tokensPerSecond: 1, secondsPerStep: 2, stepSeconds: [9, 2, 2], usefulFlops: [1e12, 3e11, 5e11],
      peak: { available: true, fmaGflops: 250, readGBs: 20, threads: 2 } };
    const p = peakShare(side);
    assert.equal(p.gflops, 200); // (3e11 + 5e11) / 4 s, the warm-up left out
    assert.equal(p.peakGflops, 250);
    assert.equal(p.fraction, 0.8);
    assert.deepEqual(peakShare({ ...side, peak: undefined }), { gflops: 200, peakGflops: null, fraction: null, gbs: null, triadGBs: null, bandwidthFraction: null });
    assert.equal(peakShare({ ...side, usefulFlops: undefined }).gflops, null);
    // A bandwidth-bound step: its bytes per second against the triad bandwidth of the same process.
    const bytes = peakShare({ ...side, usefulFlops: [0, 0, 0], usefulBytes: [1e10, 3e10, 5e10], peak: { available: true, fmaGflops: 250, triadGBs: 25 } });
    assert.deepEqual(bytes, { gflops: 0, peakGflops: 250, fraction: 0, gbs: 20, triadGBs: 25, bandwidthFraction: 0.8 });
    assert.equal(peakShare({ error: 'out of memory' }).gflops, null);
    assert.equal(peakShare(null).fraction, null);
  });

  test('the training-step table shows useful work as a fraction of the peak, and says so for a model without products', () => {
    const peak = (g: number) => ({ available: true, fmaGflops: g, readGBs: 19.5, triadGBs: 22, threads: 2 });
    const md = trainStepTable({
      date: '2026-11-30T19:00:00.000Z', steps: 2, backend: 'native', torch: null,
      results: [
        { model: 'lowrank', batchSize: 16, T: 512, tokensPerStep: 5000, ratio: null, ratioAccumulated: null, torch: null, torchAccumulated: null,
          slmkit: { tokensPerSecond: 5000, secondsPerStep: 1, firstStepSeconds: 2, stepSeconds: [2, 1], usefulFlops: [2e11, 1.8e11], peakRssBytes: 1e9, peak: peak(240) } },
        { model: 'markov', batchSize: 16, T: 512, tokensPerStep: 5000, ratio: null, ratioAccumulated: null, torch: null, torchAccumulated: null,
          slmkit: { tokensPerSecond: 2500, secondsPerStep: 2, firstStepSeconds: 3, stepSeconds: [3, 2], usefulFlops: [0, 0], peakRssBytes: 14e9, peak: peak(230) } },
        { model: 'markov', batchSize: 16, T: 512, tokensPerStep: 5000, ratio: null, ratioAccumulated: null, torch: null, torchAccumulated: null,
          slmkit: { tokensPerSecond: 2500, secondsPerStep: 2, firstStepSeconds: 3, stepSeconds: [3, 2], usefulFlops: [0, 0], usefulBytes: [4e10, 3.3e10],
            peakRssBytes: 14e9, peak: peak(230) } },
      ],
    });
    const lines = md.split('\n');
    assert.equal(lines[2], '| `lowrank` | 16 × 512 | 5,000 | 5,000 (1.00 s/step); first 2.0 s | – | – | 180 GFLOP/s, 75% of 240 | 1.00 GB | – |');
    assert.equal(lines[3], '| `markov` | 16 × 512 | 5,000 | 2,500 (2.00 s/step); first 3.0 s | – | – | – (no products) | 14.00 GB | – |');
    assert.equal(lines[4], '| `markov` | 16 × 512 | 5,000 | 2,500 (2.00 s/step); first 3.0 s | – | – | 17 GB/s moved, 75% of triad 22 | 14.00 GB | – |');
    assert.match(md, /fp32 FMA peak, measured by each model's process before its steps on 2 threads: 230–240 GFLOP\/s \(memory: read 19\.5 GB\/s, triad 22\.0 GB\/s\); useful FLOPs: .*; GB\/s moved: .*\.$/);
  });

  test('the threads table gives each figure per thread count and the speedup, flagging a slowdown', () => {
    const md = threadsTable({
      date: '2026-11-30T19:30:00.000Z', cpu: 'AMD EPYC', cpus: 2, vectorWidth: 'avx512', threads: [1, 2],
      loadAverage: { start: [2.4, 2, 2], end: [2.9, 2, 2] },
      rows: [
        { kind: 'peak', name: 'fp32 FMA peak', detail: 'independent FMA chains in registers', unit: 'GFLOP/s', values: [118, 234] },
        { kind: 'sgemm', name: 'small 256', detail: '256 × 256 × 256', unit: 'GFLOP/s', values: [90, 81] },
        { kind: 'step', name: 'lowrank', detail: 'lowrank d256, batch 16 × 512, 5000 real targets', unit: 'tokens/s', values: [3000, 5700] },
        { kind: 'kernel', name: 'sgemm', detail: '`lowrank` step, 60.0% of it on 1 thread', unit: 'ms', lowerIsBetter: true, values: [1000, 520] },
        { kind: 'kernel', name: 'dropoutMask', detail: '`lowrank` step, 2.0% of it on 1 thread', unit: 'ms', lowerIsBetter: true, values: [33.3, 36.1] },
      ],
    });
    const lines = md.split('\n');
    assert.equal(lines[0], '| what | size | 1 thread | 2 threads | speedup 2 threads |');
    assert.equal(lines[2], '| probe: fp32 FMA peak | independent FMA chains in registers | 118 GFLOP/s | 234 GFLOP/s | 1.98× |');
    assert.equal(lines[3], '| sgemm: small 256 | 256 × 256 × 256 | 90.0 GFLOP/s | 81.0 GFLOP/s | 0.90× (slower) |');
    assert.equal(lines[4], '| `lowrank` training step | lowrank d256, batch 16 × 512, 5000 real targets | 3,000 tokens/s | 5,700 tokens/s | 1.90× |');
    // Kernel rows are times: the speedup is the one-thread time over the other, and a longer time is the slowdown.
    assert.equal(lines[5], '| … sgemm | `lowrank` step, 60.0% of it on 1 thread | 1000 ms | 520 ms | 1.92× |');
    assert.equal(lines[6], '| … dropoutMask | `lowrank` step, 2.0% of it on 1 thread | 33.3 ms | 36.1 ms | 0.92× (slower) |');
    assert.match(md, /on 2 × AMD EPYC, avx512: 1 thread and 2 threads alternated in one process \(best of each\), the baseline 1 thread; load average 2\.4 at the start, 2\.9 at the end\.$/);
  });
});
