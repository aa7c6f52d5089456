/**
 * Count-based n-gram models: the counts equal a brute-force count (map of strings, computed here),
 * contexts never cross documents, bigram maximum likelihood is the normalised count table,
 * Kneser-Ney matches an independent implementation and sums to one for orders 2–5, the discount
 * fallback works on a 20-sentence corpus, a gradient-trained full-rank Markov chain approaches the
 * bigram table, maximum likelihood reports its zero-probability tokens, the loss equals the neural
 * evaluation's on the same batches, the model file round-trips and rejects damage, and the CLI
 * trains, evaluates and samples an n-gram run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadStore, type OpenedData } from '../src/data/open.js';
import { prepare } from '../src/data/prepare.js';
import type { TokenSplit } from '../src/data/store.js';
import { loadTokenizer } from '../src/io/tokenizerFiles.js';
import { MarkovChain } from '../src/models/markov.js';
import { createModel, resolveModelConfig } from '../src/models/registry.js';
import { buildNgramModel } from '../src/ngram/build.js';
import { resolveNgramConfig, type Smoothing } from '../src/ngram/config.js';
import { countNgrams, type NgramCounts } from '../src/ngram/count.js';
import { estimateDiscounts } from '../src/ngram/discount.js';
import { evaluateNgram } from '../src/ngram/evaluate.js';
import { loadNgramModel, saveNgramModel } from '../src/ngram/files.js';
import { NgramFormatError } from '../src/ngram/format.js';
import type { NgramModel } from '../src/ngram/model.js';
import { generateIds } from '../src/sample/generate.js';
import { Rng } from '../src/tensor/rng.js';
import { resolveTrainConfig } from '../src/train/config.js';
import { evaluate } from '../src/train/evaluate.js';
import { train } from '../src/train/trainer.js';
import { makeTinyCorpus } from './helpers/tinyCorpus.js';

const CLS = 2;
const SEP = 3;
const work = mkdtempSync(join(tmpdir(), 'slm-ngram-'));

/** A split from documents given as token lists. */
function splitOf(docs: number[][], V: number): TokenSplit {
  const ids = Uint16Array.from(docs.flat());
  const offsets = new Float64Array(docs.length + 1);
  docs.forEach((d, i) => { offsets[i + 1] = offsets[i]! + d.length; });
  return { ids, offsets, vocabSize: V };
}

function docsOf(s: TokenSplit): number[][] {
  return Array.from({ length: s.offsets.length - 1 }, (_, d) => Array.from(s.ids.subarray(s.offsets[d]!, s.offsets[d + 1]!)));
}

/** Random documents [CLS] … [SEP] over tokens 4..V−1, with a bigram pattern so n-grams repeat. */
function randomDocs(n: number, V: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const doc = [CLS];
    let w = 4 + rng.int(V - 4);
    for (let k = 1 + rng.int(12); k > 0; k--) {
      doc.push(w);
      w = rng.uniform() < 0.6 ? 4 + ((w - 4 + 1) % (V - 4)) : 4 + rng.int(V - 4);
    }
    doc.push(SEP);
    return doc;
  });
}

/** Raw counts by brute force: n-grams ending at each target (t ≥ 1) and starting in its document. */
function bruteCounts(docs: number[][], N: number): Map<string, number>[] {
  const out = Array.from({ length: N + 1 }, () => new Map<string, number>());
  for (const d of docs) {
    for (let t = 1; t < d.length; t++) {
      for (let n = 1; n <= N && t - n + 1 >= 0; n++) {
        const key = d.slice(t - n + 1, t + 1).join(',');
        out[n]!.set(key, (out[n]!.get(key) ?? 0) + 1);
      }
    }
  }
  return out;
}

/** Kneser-Ney adjusted counts by brute force: distinct left extensions, plus occurrences at a document start. */
function bruteAdjusted(docs: number[][], N: number): Map<string, number>[] {
  const raw = bruteCounts(docs, N);
  const out = raw.map((m) => new Map(m));
  for (let n = 1; n < N; n++) {
    const ext = new Map<string, Set<string>>();
    for (const key of raw[n + 1]!.keys()) {
      const parts = key.split(',');
      const suffix = parts.slice(1).join(',');
      if (!ext.has(suffix)) ext.set(suffix, new Set());
      ext.get(suffix)!.add(parts[0]!);
    }
    const anchored = new Map<string, number>();
    if (n >= 2) for (const d of docs) if (d.length >= n) { const k = d.slice(0, n).join(','); anchored.set(k, (anchored.get(k) ?? 0) + 1); }
    out[n] = new Map([...raw[n]!.keys()].map((k) => [k, (ext.get(k)?.size ?? 0) + (anchored.get(k) ?? 0)]));
  }
  return out;
}

/** The trie's n-grams as "a,b,c" → count, for each order (raw or adjusted). */
function trieCounts(c: NgramCounts, adjusted: boolean): Map<string, number>[] {
  const out: Map<string, number>[] = [new Map()];
  let names: string[] = Array.from({ length: c.vocabSize }, (_, w) => String(w));
  c.levels.forEach((lv, i) => {
    const counts = adjusted && i < c.order - 1 ? lv.adjusted! : lv.counts;
    const m = new Map<string, number>();
    if (i === 0) {
      counts.forEach((x, w) => { if (x > 0) m.set(String(w), x); });
    } else {
      const next: string[] = [];
      for (let p = 0; p + 1 < lv.childStart!.length; p++) {
        for (let j = lv.childStart![p]!; j < lv.childStart![p + 1]!; j++) next[j] = `${names[p]},${lv.words![j]}`;
      }
      next.forEach((name, j) => m.set(name, counts[j]!));
      names = next;
    }
    out.push(m);
  });
  return out;
}

/** Interpolated modified Kneser-Ney written from the formula, on brute-force counts. */
function referenceKn(docs: number[][], N: number, V: number, discounts: readonly { d: readonly number[] }[]) {
  const a = bruteAdjusted(docs, N);
  const D = (n: number, c: number) => discounts[n - 1]!.d[Math.min(c, 3) - 1]!;
  const p = (ctx: number[], w: number): number => {
    const n = ctx.length + 1;
    const h = ctx.join(',');
    let total = 0;
    let mass = 0;
    let cw = 0;
    for (const [key, c] of a[n]!) {
      const parts = key.split(',');
      if (parts.slice(0, -1).join(',') !== h) continue;
      total += c;
      mass += D(n, c);
      if (Number(parts[parts.length - 1]) === w) cw = c;
    }
    const lower = n === 1 ? 1 / V : p(ctx.slice(1), w);
    if (total === 0) return lower;
    return (cw > 0 ? (cw - D(n, cw)) / total : 0) + (mass / total) * lower;
  };
  return (context: number[], w: number) => p(context.slice(Math.max(0, context.length - N + 1)), w);
}

function kn(split: TokenSplit, order: number, smoothing: Smoothing = 'kn', k?: number): NgramModel {
  return buildNgramModel(split, resolveNgramConfig({ type: 'ngram', vocabSize: split.vocabSize, order, smoothing, k })).model;
}

let tinyData: OpenedData | undefined;
const tiny = makeTinyCorpus();
async function tinyStore(): Promise<OpenedData> {
  if (tinyData) return tinyData;
  const tokenizer = await loadTokenizer(tiny.vocabPath, { lowercase: true });
  const out = join(tiny.dir, 'store');
  await prepare({ corpus: { input: tiny.dir }, tokenizer, tokenizerId: 'tiny', out, workers: 1 });
  tinyData = loadStore(out);
  return tinyData;
}

describe('counting', () => {
  test('counts and adjusted counts of orders 1–5 equal a brute-force count', () => {
    const docs = randomDocs(60, 14, 1);
    for (let N = 1; N <= 5; N++) {
      const c = countNgrams(splitOf(docs, 14), N, { adjusted: true });
      assert.deepEqual(trieCounts(c, false).slice(1), bruteCounts(docs, N).slice(1), `raw counts, order ${N}`);
      assert.deepEqual(trieCounts(c, true).slice(1), bruteAdjusted(docs, N).slice(1), `adjusted counts, order ${N}`);
    }
    // A vocabulary over 65,535 tokens takes the 32-bit paths.
    const big = randomDocs(40, 70000, 10).map((d) => d.map((w) => (w > 3 ? w * 5 : w)));
    const c = countNgrams({ ...splitOf([], 70000 * 5), ids: Uint32Array.from(big.flat()), offsets: splitOf(big, 1).offsets }, 3, { adjusted: true });
    assert.deepEqual(trieCounts(c, true).slice(1), bruteAdjusted(big, 3).slice(1));
    assert.throws(() => kn(splitOf([[CLS]], 8), 2), /counted from no tokens/);
  });

  test('contexts never cross documents; the first token after [CLS] is predicted from [CLS]', () => {
    const s = splitOf([[CLS, 5, 6, SEP], [CLS, 7, 8, SEP]], 10);
    const c = countNgrams(s, 3);
    assert.equal(c.levels[0]!.counts[CLS], 0, '[CLS] is never a target');
    assert.deepEqual([...trieCounts(c, false)[2]!.keys()].sort(), ['2,5', '2,7', '5,6', '6,3', '7,8', '8,3']);
    assert.deepEqual([...trieCounts(c, false)[3]!.keys()].sort(), ['2,5,6', '2,7,8', '5,6,3', '7,8,3']);
    const m = kn(s, 3, 'mle');
    assert.equal(m.find(2, SEP, CLS), -1);
    assert.equal(m.prob([CLS], 7), 0.5);
    // Scoring a split resets the context at each document: (ln 2 + 0 + 0) per document.
    const r = evaluateNgram(m, s);
    assert.equal(r.tokens, 6);
    assert.ok(Math.abs(r.loss - (2 * Math.LN2) / 6) < 1e-12, `loss ${r.loss}`);
    // And equals scoring each target with its in-document context explicitly, for every estimator.
    const docs = randomDocs(40, 12, 2);
    const split = splitOf(docs, 12);
    for (const sm of ['mle', 'addk', 'kn'] as const) {
      const model = kn(split, 4, sm, 0.5);
      let sum = 0;
      let n = 0;
      for (const d of randomDocs(10, 12, 3)) {
        for (let t = 1; t < d.length; t++) {
          const p = model.prob(d.slice(0, t), d[t]!);
          if (p > 0) { sum -= Math.log(p); n++; }
        }
      }
      const e = evaluateNgram(model, splitOf(randomDocs(10, 12, 3), 12));
      assert.ok(Math.abs(e.loss - sum / n) < 1e-12, `${sm}: ${e.loss} vs ${sum / n}`);
    }
  });
});

describe('estimators', () => {
  test('bigram maximum likelihood is the normalised count table', async () => {
    const d = await tinyStore();
    const V = d.train.vocabSize;
    const table = Array.from({ length: V }, () => new Float64Array(V));
    for (const doc of docsOf(d.train)) for (let t = 1; t < doc.length; t++) table[doc[t - 1]!]![doc[t]!]!++;
    const m = kn(d.train, 2, 'mle');
    let rows = 0;
    for (let a = 0; a < V; a++) {
      const sum = table[a]!.reduce((x, y) => x + y, 0);
      if (sum === 0) continue;
      rows++;
      const dist = m.nextDistribution([a]);
      for (let b = 0; b < V; b++) {
        assert.ok(Math.abs(m.prob([a], b) - table[a]![b]! / sum) < 1e-15, `p(${b} | ${a})`);
        assert.ok(Math.abs(dist[b]! - table[a]![b]! / sum) < 1e-7);
      }
    }
    assert.ok(rows > 20);
  });

  test('Kneser-Ney equals the formula on brute-force counts', () => {
    const docs = randomDocs(50, 12, 4);
    const split = splitOf(docs, 12);
    const rng = new Rng(5);
    for (const N of [2, 3, 4]) {
      const model = kn(split, N);
      const ref = referenceKn(docs, N, 12, model.discounts!);
      for (let i = 0; i < 60; i++) {
        const d = docs[rng.int(docs.length)]!;
        const t = 1 + rng.int(d.length - 1);
        const ctx = i % 3 === 0 ? Array.from({ length: 1 + rng.int(4) }, () => rng.int(12)) : d.slice(0, t);
        const w = rng.int(12);
        const got = model.prob(ctx, w);
        assert.ok(Math.abs(got - ref(ctx, w)) < 1e-12, `order ${N}, p(${w} | ${ctx}) = ${got}, reference ${ref(ctx, w)}`);
      }
    }
  });

  test('Kneser-Ney distributions sum to one for orders 2–5, seen and unseen contexts', async () => {
    const d = await tinyStore();
    const V = d.train.vocabSize;
    const docs = docsOf(d.train);
    const rng = new Rng(6);
    for (let N = 2; N <= 5; N++) {
      const model = kn(d.train, N);
      for (let i = 0; i < 40; i++) {
        const doc = docs[rng.int(docs.length)]!;
        const ctx = i % 4 === 0 ? Array.from({ length: rng.int(5) }, () => rng.int(V)) : doc.slice(0, 1 + rng.int(doc.length - 1));
        const p = model.nextDistribution(ctx);
        let sum = 0;
        for (const x of p) { sum += x; assert.ok(x > 0, 'no zero probability'); }
        assert.ok(Math.abs(sum - 1) < 1e-6, `order ${N}, context ${ctx}: sum ${sum}`);
        const w = rng.int(V);
        assert.ok(Math.abs(p[w]! - model.prob(ctx, w)) < 1e-7 * Math.max(1, p[w]! * 1e3));
      }
    }
  });

  test('modified Kneser-Ney discounts, and the fallback on a 20-sentence corpus', () => {
    const counts = [...Array(10).fill(1), ...Array(5).fill(2), ...Array(3).fill(3), ...Array(2).fill(4), 9];
    const d = estimateDiscounts(counts);
    assert.equal(d.method, 'modified-kn');
    [0.5, 1.1, 5 / 3].forEach((x, i) => assert.ok(Math.abs(d.d[i]! - x) < 1e-12, `D${i + 1} = ${d.d[i]}`));
    assert.equal(estimateDiscounts([1, 1, 2, 5]).method, 'absolute'); // n3 = 0
    assert.equal(estimateDiscounts([2, 2, 3, 4]).method, 'fixed'); // n1 = 0

    const words = 'the patient was given a dose of drug and the trial showed no effect on blood pressure in children'.split(' ');
    const sentences = Array.from({ length: 20 }, (_, i) => [CLS, ...words.slice(i % 7, (i % 7) + 4 + (i % 5)).map((w) => 4 + words.indexOf(w)), SEP]);
    const V = 4 + words.length;
    const split = splitOf(sentences, V);
    for (let N = 2; N <= 5; N++) {
      const { model, report } = buildNgramModel(split, resolveNgramConfig({ type: 'ngram', vocabSize: V, order: N }));
      assert.ok(report.notes.length > 0 && report.discounts!.some((x) => x.method !== 'modified-kn'), `order ${N} falls back`);
      assert.match(report.notes.join('\n'), /do not support modified Kneser-Ney discounts/);
      for (const x of report.discounts!) x.d.forEach((v, i) => assert.ok(v > 0 && v <= i + 1, `D${i + 1} = ${v}`));
      for (const ctx of [[CLS], [CLS, 4], [9, 10, 11], [SEP, SEP]]) {
        const sum = model.nextDistribution(ctx).reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - 1) < 1e-6, `order ${N}: sum ${sum}`);
      }
      const e = evaluateNgram(model, splitOf([[CLS, 4, 5, 20, 6, SEP], [CLS, 21, 22, SEP]], V));
      assert.ok(Number.isFinite(e.loss) && e.zeroProbTokens === 0);
    }
  });

  test('maximum likelihood reports zero-probability tokens and the loss over the others', () => {
    const m = kn(splitOf([[CLS, 4, 5, SEP], [CLS, 4, 5, SEP]], 8), 2, 'mle');
    const r = evaluateNgram(m, splitOf([[CLS, 4, 6, SEP]], 8));
    // p(4 | CLS) = 1, p(6 | 4) = 0, p(SEP | 6): 6 never seen as a context, so the unigram 2/6.
    assert.equal(r.tokens, 3);
    assert.equal(r.zeroProbTokens, 1);
    assert.ok(Math.abs(r.zeroProbShare - 1 / 3) < 1e-15);
    assert.ok(Math.abs(r.loss - Math.log(3) / 2) < 1e-12, `loss ${r.loss}`);
    for (const sm of ['addk', 'kn'] as const) {
      const s = evaluateNgram(kn(splitOf([[CLS, 4, 5, SEP]], 8), 2, sm), splitOf([[CLS, 4, 6, SEP]], 8));
      assert.ok(s.zeroProbTokens === 0 && Number.isFinite(s.loss), `${sm} never gives zero`);
    }
  });

  test('a full-rank Markov chain trained by AdamW approaches the bigram table on frequent pairs', async () => {
    const d = await tinyStore();
    const V = d.train.vocabSize;
    const mle = kn(d.train, 2, 'mle');
    const modelConfig = resolveModelConfig({ type: 'markov', vocabSize: V });
    const config = resolveTrainConfig('markov', { lr: 0.1, weightDecay: 0, batchSize: 120, epochs: 300, logEvery: 300 });
    const markov = createModel(modelConfig, new Rng(1)) as MarkovChain;
    await train({ model: markov, modelConfig, config, train: d.train });
    const table = markov.tLogits.weight.f32(); // (V,V) logits
    const c2 = countNgrams(d.train, 2).levels[1]!;
    let worst = 0;
    let pairs = 0;
    for (let a = 0; a < V; a++) {
      const row = table.subarray(a * V, (a + 1) * V);
      const max = Math.max(...row);
      const z = row.reduce((s, x) => s + Math.exp(x - max), 0);
      for (let j = c2.childStart![a]!; j < c2.childStart![a + 1]!; j++) {
        if (c2.counts[j]! < 10) continue;
        const b = c2.words![j]!;
        worst = Math.max(worst, Math.abs(Math.exp(row[b]! - max) / z - mle.prob([a], b)));
        pairs++;
      }
    }
    assert.ok(pairs >= 20, `${pairs} frequent pairs`);
    assert.ok(worst < 0.03, `largest gap on frequent pairs ${worst}`);
    const gd = await evaluate(markov, d.train, { batchSize: 32 });
    const table1 = evaluateNgram(mle, d.train);
    assert.ok(gd.loss - table1.loss < 0.05 && gd.loss >= table1.loss - 1e-4, `Markov ${gd.loss}, bigram table ${table1.loss}`);
  });

  test('the n-gram loss equals the neural evaluation of its log-probabilities on padded batches', async () => {
    const d = await tinyStore();
    const m = kn(d.train, 3);
    const neural = await evaluate(m, d.test, { batchSize: 8 });
    const counted = evaluateNgram(m, d.test, { batchSize: 8 });
    assert.equal(neural.tokens, counted.tokens);
    assert.ok(Math.abs(neural.loss - counted.loss) < 1e-5, `${neural.loss} vs ${counted.loss}`);
    assert.ok(Math.abs(neural.batchMeanLoss - counted.batchMeanLoss) < 1e-5);
    // Sampling goes through the same forward(): seeded draws repeat, greedy follows the argmax.
    const a = [...generateIds(m, [CLS, 10], { maxNewTokens: 8, rng: new Rng(3), topK: 5 })];
    const b = [...generateIds(m, [CLS, 10], { maxNewTokens: 8, rng: new Rng(3), topK: 5 })];
    assert.deepEqual(a, b);
    const g = [...generateIds(m, [CLS, 10], { maxNewTokens: 1, greedy: true })][0]!;
    const p = m.nextDistribution([CLS, 10]);
    assert.equal(p[g], Math.max(...p));
  });
});

describe('model file', () => {
  test('save and load give the same model, for each estimator', () => {
    const split = splitOf(randomDocs(80, 300, 7), 300);
    for (const [sm, N] of [['mle', 2], ['addk', 3], ['kn', 4], ['kn', 1]] as const) {
      const m = kn(split, N, sm, 0.1);
      const path = join(work, `${sm}-${N}.ngram`);
      saveNgramModel(path, m);
      const back = loadNgramModel(path);
      assert.deepEqual(back.config, m.config);
      for (const ctx of [[CLS], [CLS, 5, 6], [7, 8, 9]]) assert.deepEqual(back.nextDistribution(ctx), m.nextDistribution(ctx));
      const test = splitOf(randomDocs(10, 300, 8), 300);
      assert.equal(evaluateNgram(back, test).loss, evaluateNgram(m, test).loss);
    }
    const docs = randomDocs(30, 70000, 11).map((d) => d.map((w) => (w > 3 ? w * 5 : w))); // 32-bit token ids
    const big: TokenSplit = { ids: Uint32Array.from(docs.flat()), offsets: splitOf(docs, 1).offsets, vocabSize: 350000 };
    const m = kn(big, 3);
    saveNgramModel(join(work, 'big.ngram'), m);
    assert.deepEqual(loadNgramModel(join(work, 'big.ngram')).nextDistribution(docs[0]!.slice(0, 2)), m.nextDistribution(docs[0]!.slice(0, 2)));
  });

  test('a damaged, truncated, foreign or newer file fails with a clear error', () => {
    const path = join(work, 'good.ngram');
    saveNgramModel(path, kn(splitOf(randomDocs(30, 50, 9), 50), 3));
    const good = readFileSync(path);
    const tryBytes = (bytes: Uint8Array, re: RegExp) => {
      const p = join(work, 'bad.ngram');
      writeFileSync(p, bytes);
      assert.throws(() => loadNgramModel(p), (e: Error) => e instanceof NgramFormatError && re.test(String(e)) && String(e).includes(p));
    };
    const flipped = Buffer.from(good);
    flipped[flipped.length - 5]! ^= 0x40;
    tryBytes(flipped, /checksum mismatch/);
    tryBytes(good.subarray(0, good.length - 9), /cut short/);
    tryBytes(Buffer.from('{"not": "a model"}'), /not an slmkit n-gram model \(magic/);
    const newer = Buffer.from(good);
    newer.writeUInt32LE(2, 8);
    tryBytes(newer, /format version 2; this slmkit reads version 1/);
    tryBytes(good.subarray(0, 10), /too short/);
  });
});

describe('slm with --model ngram', () => {
  const main = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  const slm = (...args: string[]) => {
    const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env: { ...process.env, SLM_CACHE: join(work, 'cache') } });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const json = (r: { code: number; stdout: string; stderr: string }) => {
    assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  };

  test('train, eval and generate an n-gram run', async () => {
    await tinyStore();
    const store = join(tiny.dir, 'store');
    const run = join(work, 'run-kn');
    const t = json(slm('train', '--data', store, '--model', 'ngram', '--order', '3', '--out', run, '--json'));
    for (const k of ['trainLoss', 'testLoss', 'steps', 'tokens', 'seconds', 'tokensPerSecond']) assert.ok(k in t, `train --json lacks ${k}`);
    assert.equal(t.steps, 0);
    assert.ok((t.testLoss as number) > 0 && (t.trainLoss as number) < (t.testLoss as number));
    const e = json(slm('eval', '--model', run, '--data', store, '--json'));
    assert.equal(e.loss, t.testLoss, 'eval matches the test loss training reported');
    assert.equal(e.zeroProbTokens, 0);
    const args = ['generate', '--model', run, '--prompt', 'the cat', '--num-samples', '2', '--seed', '7', '--top-p', '0.9', '--past-end', '--json'];
    const g1 = json(slm(...args));
    assert.deepEqual(g1, json(slm(...args)), 'the same seed gives the same text');
    const s = (g1.samples as { text: string; ids: number[] }[])[0]!;
    assert.ok(s.text.startsWith('the cat') && s.ids.length === 3 + 30);

    const mle = join(work, 'run-mle');
    const tm = json(slm('train', '--data', store, '--model', 'ngram', '--order', '3', '--smoothing', 'mle', '--out', mle, '--json'));
    assert.ok((tm.testZeroProbTokens as number) > 0);
    const em = json(slm('eval', '--model', mle, '--data', store, '--json'));
    assert.ok((em.zeroProbShare as number) > 0 && Number.isFinite(em.loss));
    assert.match(slm('eval', '--model', mle, '--data', store).stdout, /probability zero under maximum likelihood/);

    let r = slm('train', '--data', store, '--model', 'ngram', '--lr', '0.1', '--out', join(work, 'run-bad'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /training options \(lr\) do not apply to --model ngram/);
    r = slm('train', '--data', store, '--model', 'ngram', '--smoothing', 'witten-bell', '--out', join(work, 'run-bad'));
    assert.match(r.stderr, /'witten-bell' is invalid[\s\S]*mle, addk, kn/);
    r = slm('train', '--data', store, '--model', 'ngram', '--out', run);
    assert.match(r.stderr, /already holds a run/);
    const model = join(run, 'model.ngram');
    const bytes = readFileSync(model);
    bytes[bytes.length - 3]! ^= 1;
    writeFileSync(model, bytes);
    r = slm('eval', '--model', run, '--data', store);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /model\.ngram: checksum mismatch/);
  });
});
