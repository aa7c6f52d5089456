/**
 * Loss charts: metrics.jsonl parsed into curves (cumulative tokens and time, test points, a
 * counted run as a reference level), the SVG's structure (a series per run, legend, axes and
 * ticks), PNG output, and `slm plot`'s bad inputs, which fail without touching an existing chart.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatTick, linearScale, logScale, lossChartSvg, parseMetrics, smoothLosses } from '../src/plot/index.js';

const main = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'slm-plot-'));
function slm(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function metricsText(steps: number, testEvery: number, loss = (s: number) => 10 - s * 0.05): string {
  const out: string[] = [];
  for (let s = 1; s <= steps; s++) {
    out.push(JSON.stringify({ step: s, epoch: 1, loss: loss(s), tokens: 100, lr: 0.01, seconds: s * 0.5 }));
    if (s % testEvery === 0) out.push(JSON.stringify({ step: s, epoch: 1, testLoss: loss(s) + 0.2, testBatchMeanLoss: 0, testTokens: 50 }));
  }
  return `${out.join('\n')}\n`;
}

function makeRun(name: string, metrics: string, type = 'lowrank'): string {
  const d = join(work, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'config.json'), JSON.stringify({ slmkit: 1, model: { type } }));
  writeFileSync(join(d, 'metrics.jsonl'), metrics);
  return d;
}

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

describe('curves from metrics.jsonl', () => {
  test('train points carry cumulative tokens and seconds; test points take those of their step', () => {
    const c = parseMetrics(metricsText(6, 3), 'r');
    assert.equal(c.train.length, 6);
    assert.deepEqual(c.train[5], { step: 6, tokens: 600, seconds: 3, loss: 10 - 0.3 });
    assert.deepEqual(c.test.map((p) => [p.step, p.tokens, p.seconds]), [[3, 300, 1.5], [6, 600, 3]]);
  });
  test('a counted run is a reference level at its test loss', () => {
    const c = parseMetrics('{"step":0,"epoch":0,"trainLoss":4.1,"testLoss":4.6723}\n', 'bigram', true);
    assert.deepEqual(c, { name: 'bigram', train: [], test: [], reference: 4.6723 });
  });
  test('empty, damaged and half-written files are refused with their line', () => {
    assert.throws(() => parseMetrics('', 'r'), /holds no training steps yet/);
    assert.throws(() => parseMetrics('{"step":1,"loss":2}\n{"step":2,"lo', 'r'), /last line is incomplete \(line 2\): the run is still being written/);
    assert.throws(() => parseMetrics('{"step":1,"loss":2}\nnot json\n', 'r'), /line 2 is not JSON/);
    assert.throws(() => parseMetrics('{"loss":2}\n', 'r'), /line 1 has no step number/);
  });
  test('smoothing is a trailing mean', () => {
    assert.deepEqual(smoothLosses([4, 2, 6, 0], 2), [4, 3, 4, 3]);
  });
});

describe('scales', () => {
  test('nice ticks cover the data with round steps; log ticks are powers of ten', () => {
    const s = linearScale(0.3, 9.6, 0, 100, 6);
    assert.deepEqual(s.ticks, [0, 2, 4, 6, 8, 10]);
    assert.equal(s(0), 0);
    assert.equal(s(10), 100);
    assert.deepEqual(logScale(3, 4000, 0, 100).ticks, [1, 10, 100, 1000, 10000]);
    assert.deepEqual([formatTick(1500), formatTick(25000), formatTick(2e6), formatTick(0.25)], ['1500', '25k', '2M', '0.25']);
  });
});

describe('the loss chart', () => {
  const a = parseMetrics(metricsText(40, 20), 'lowrank-run');
  const b = parseMetrics(metricsText(30, 10, (s) => 9 - s * 0.04), 'transformer <6×128>');
  const ng = parseMetrics('{"step":0,"epoch":0,"trainLoss":4,"testLoss":4.5}\n', 'bigram', true);
  const svg = lossChartSvg([a, b, ng], { x: 'tokens' });
  test('one series per run: raw and smoothed train, dashed test with markers, the counted run as a reference line', () => {
    assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
    assert.equal(count(svg, /<g class="series" /g), 3);
    assert.match(svg, /data-run="transformer &lt;6×128&gt;"/, 'names are escaped');
    assert.equal(count(svg, /class="train-raw"/g), 2);
    assert.equal(count(svg, /class="train-smooth"/g), 2);
    assert.equal(count(svg, /class="test" /g), 2);
    assert.equal(count(svg, /class="test-point"/g), 2 + 3);
    assert.equal(count(svg, /class="reference"/g), 1);
    assert.match(svg, /class="test" [^>]*stroke-dasharray="7 4"/, 'test differs from train by its dash, not only colour');
  });
  test('legend names every run (the counted one with its loss) and explains the line styles', () => {
    const labels = [...svg.matchAll(/class="legend-label"[^>]*>([^<]*)</g)].map((m) => m[1]);
    assert.deepEqual(labels, ['lowrank-run', 'transformer &lt;6×128&gt;', 'bigram: 4.500']);
    const keys = [...svg.matchAll(/class="legend-key"[^>]*>([^<]*)</g)].map((m) => m[1]);
    assert.deepEqual(keys, ['train, smoothed', 'train, each step', 'test', 'counted model, test']);
  });
  test('axes carry titles with units and round ticks', () => {
    assert.match(svg, /class="axis-title"[^>]*>loss \(nats per token\)</);
    assert.match(svg, /class="axis-title"[^>]*>training tokens seen</);
    const xTicks = [...svg.split('<g class="axis x">')[1]!.split('</g>')[0]!.matchAll(/class="tick"[^>]*>([^<]*)</g)].map((m) => m[1]);
    assert.deepEqual(xTicks, ['0', '1000', '2000', '3000', '4000']);
    const steps = lossChartSvg([a], { x: 'seconds', logX: true });
    assert.match(steps, /training time \(seconds\), log scale/);
  });
});

describe('slm plot', () => {
  const run = makeRun('run-a', metricsText(50, 25));
  const other = makeRun('run-b', metricsText(20, 10, (s) => 8 - s * 0.1));
  test('writes RUN_DIR/loss.svg by default, and a PNG on request', () => {
    let r = slm('plot', run);
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(join(run, 'loss.svg'), 'utf8'), /<g class="series" data-run="run-a"/);
    const png = join(work, 'two.png');
    r = slm('plot', run, other, '--out', png, '--x', 'seconds');
    assert.equal(r.code, 0, r.stderr);
    const bytes = readFileSync(png);
    assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG file');
    assert.equal(bytes.readUInt32BE(16), 1920, 'rendered at twice the SVG width');
  });
  test('bad inputs: a clear message, exit 1, and an existing chart left as it was', () => {
    const chart = join(work, 'keep.svg');
    writeFileSync(chart, 'the old chart');
    const notRun = join(work, 'not-a-run');
    mkdirSync(notRun);
    const empty = makeRun('empty-run', '');
    const partial = makeRun('partial-run', '{"step":1,"loss":5,"tokens":3,"seconds":1}\n{"step":2,"loss":4.');
    const cases: [string[], RegExp][] = [
      [[notRun], /not-a-run is not a run folder: it has no metrics\.jsonl/],
      [[empty], /cannot plot .*empty-run\/metrics\.jsonl: it holds no training steps yet/],
      [[partial], /last line is incomplete \(line 2\): the run is still being written[\s\S]*hint: plot it again/],
      [[join(run, 'metrics.jsonl')], /is a file, not a run folder[\s\S]*hint: pass the folder: slm plot .*run-a/],
      [[run, '--out', join(work, 'no', 'such', 'dir', 'x.svg')], /the folder .*no\/such\/dir does not exist/],
      [[run, '--out', join(work, 'chart.pdf')], /written as \.svg or \.png/],
      [[run, '--x', 'epochs'], /argument 'epochs' is invalid\. Allowed choices are steps, tokens, seconds/],
    ];
    for (const [args, re] of cases) {
      const r = slm('plot', ...args, ...(args.includes('--out') ? [] : ['--out', chart]));
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, re);
      assert.equal(readFileSync(chart, 'utf8'), 'the old chart', `${args.join(' ')} left the chart alone`);
    }
  });
});
