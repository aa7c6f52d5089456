/**
 * N-gram counting and evaluation on the PubMed split (the notebook's data and tokenizer, prepared
 * by openData into the cache; preparing is not timed): for orders 1..5, the time to count the
 * training split with Kneser-Ney's adjusted counts (the first run, as `slm train` does it, and the
 * best of REPEATS=3), distinct n-grams, then for the configurations the issue asks about the test
 * loss (token-weighted nats/token over every target ids[1:] of each test document), model file
 * size, save and load time. Target: counting the train split takes under 10 s. Wall-clock times
 * on a shared machine vary; CPU seconds are printed beside them. Writes bench/results/ngram.json.
 *
 *   npx tsc -p . && node dist/bench/ngram.bench.js [data dir]      (MAX_ORDER=5, REPEATS=3)
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openData } from '../src/data/open.js';
import { buildNgramModel } from '../src/ngram/build.js';
import { resolveNgramConfig, type Smoothing } from '../src/ngram/config.js';
import { countNgrams } from '../src/ngram/count.js';
import { evaluateNgram } from '../src/ngram/evaluate.js';
import { loadNgramModel, saveNgramModel } from '../src/ngram/files.js';
import { writeFileAtomic } from '../src/io/atomic.js';

const dataPath = process.argv[2] ?? fileURLToPath(new URL('../../../shared/data/pubmed', import.meta.url));
const resultsDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
const repeats = Number(process.env.REPEATS ?? 3);
const maxOrder = Number(process.env.MAX_ORDER ?? 5);

const data = await openData(dataPath);
const V = data.tokenizer.vocabSize;
console.log(`${dataPath}: train ${data.train.ids.length.toLocaleString('en')} tokens in ${data.train.offsets.length - 1} documents, `
  + `test ${data.test.ids.length.toLocaleString('en')} tokens; V = ${V}`);

const counting: Record<string, unknown>[] = [];
for (let order = 1; order <= maxOrder; order++) {
  const runs: number[] = [];
  const cpu: number[] = [];
  let ngrams: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const c = countNgrams(data.train, order, { adjusted: true });
    runs.push((performance.now() - t0) / 1000);
    const used = process.cpuUsage(c0);
    cpu.push((used.user + used.system) / 1e6);
    ngrams = c.levels.map((lv, i) => (i === 0 ? lv.counts.reduce((n, x) => n + (x > 0 ? 1 : 0), 0) : lv.counts.length));
  }
  const best = Math.min(...runs);
  const rssMB = process.memoryUsage().rss / 2 ** 20;
  counting.push({ order, firstSeconds: runs[0], bestSeconds: best, runs, cpuSeconds: cpu, ngrams, tokensPerSecond: data.train.ids.length / best, rssMB, underTarget: runs[0]! < 10 });
  console.log(`count order ${order} (with KN adjusted counts): first ${runs[0]!.toFixed(2)} s, best of ${repeats} ${best.toFixed(2)} s `
    + `(${runs.map((x) => x.toFixed(2)).join(', ')}; cpu ${cpu.map((x) => x.toFixed(2)).join(', ')}), `
    + `${Math.round(data.train.ids.length / best).toLocaleString('en')} tokens/s; `
    + `n-grams per order ${ngrams.map((g) => g.toLocaleString('en')).join(' / ')}; rss ${rssMB.toFixed(0)} MB; `
    + `target < 10 s: ${runs[0]! < 10 ? 'met' : 'MISSED'}`);
}

const configs: [number, Smoothing, number?][] = [
  [1, 'mle'], [1, 'kn'], [2, 'mle'], [2, 'addk', 1], [2, 'addk', 0.01], [2, 'kn'], [3, 'mle'], [3, 'kn'], [4, 'kn'], [5, 'kn'],
];
const dir = mkdtempSync(join(tmpdir(), 'slm-ngram-bench-'));
const results: Record<string, unknown>[] = [];
for (const [order, smoothing, k] of configs) {
  if (order > maxOrder) continue;
  const config = resolveNgramConfig({ type: 'ngram', vocabSize: V, order, smoothing, k });
  const t0 = performance.now();
  const { model, report } = buildNgramModel(data.train, config);
  const build = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const ev = evaluateNgram(model, data.test);
  const evalSeconds = (performance.now() - t1) / 1000;
  const path = join(dir, `${order}-${smoothing}.ngram`);
  const t2 = performance.now();
  const bytes = saveNgramModel(path, model);
  const saveSeconds = (performance.now() - t2) / 1000;
  const t3 = performance.now();
  const loaded = loadNgramModel(path);
  const loadSeconds = (performance.now() - t3) / 1000;
  const again = evaluateNgram(loaded, data.test);
  if (Math.abs(again.loss - ev.loss) > 1e-9 && !(Number.isNaN(again.loss) && Number.isNaN(ev.loss))) {
    throw new Error(`loaded model scores ${again.loss}, built one ${ev.loss}`);
  }
  const name = `${order}-gram ${smoothing}${k !== undefined ? ` k=${k}` : ''}`;
  const fallbacks = report.notes.length ? ` [${report.notes.join('; ')}]` : '';
  console.log(`${name.padEnd(18)} test loss ${ev.loss.toFixed(4)} nats/token (ppl ${ev.perplexity.toFixed(1)}) over ${(ev.tokens - ev.zeroProbTokens).toLocaleString('en')} tokens`
    + (ev.zeroProbTokens ? `, ${ev.zeroProbTokens.toLocaleString('en')} zero-probability tokens (${(100 * ev.zeroProbShare).toFixed(2)}%) left out` : '')
    + `; batch-mean ${ev.batchMeanLoss.toFixed(4)}; build ${build.toFixed(2)} s, eval ${evalSeconds.toFixed(2)} s, `
    + `file ${(bytes / 2 ** 20).toFixed(1)} MiB, save ${saveSeconds.toFixed(2)} s, load ${loadSeconds.toFixed(2)} s${fallbacks}`);
  results.push({
    name, order, smoothing, k: k ?? null, testLoss: ev.loss, perplexity: ev.perplexity, tokens: ev.tokens, zeroProbTokens: ev.zeroProbTokens,
    zeroProbShare: ev.zeroProbShare, batchMeanLoss: ev.batchMeanLoss, buildSeconds: build, evalSeconds, fileBytes: bytes, saveSeconds, loadSeconds,
    discounts: report.discounts, notes: report.notes,
  });
}
rmSync(dir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });
writeFileAtomic(join(resultsDir, 'ngram.json'), `${JSON.stringify({ data: dataPath, date: new Date().toISOString(), counting, results }, null, 2)}\n`);
