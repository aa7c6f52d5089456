/**
 * `slm serve` measured from outside, the way the page uses it: the server runs in its own process
 * (`slm serve --runs DIR`) and this one times requests over loopback.
 *
 * 1. Per run: the first request (which loads the model), then the next-token latency (sequential
 *    POST /api/next, top 10) and the time to the first generated token (POST /api/generate,
 *    30 tokens, the first token's arrival in the NDJSON stream), median and 90th percentile.
 * 2. A bounded load test with autocannon (its CLI, from npm): rounds of N requests on 8
 *    connections mixing /api/next, /api/score and /api/tokenize over every run, with the server's
 *    resident memory (GET /api/health) after each round: it must stay flat.
 *
 *   SERVE_RUNS=runs/ node dist/bench/serve.bench.js     (SERVE_ROUNDS=4 SERVE_AMOUNT=5000)
 *
 * Writes bench/results/serve.json and prints the README's tables. Without SERVE_RUNS it says how
 * to run it and does nothing (npm run bench runs every benchmark).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { HealthResponse, RunsResponse } from '../src/serve/api.js';

const runsDir = process.env.SERVE_RUNS;
const rounds = Number(process.env.SERVE_ROUNDS ?? 4);
const amount = Number(process.env.SERVE_AMOUNT ?? 5000);
const latencyRepeats = Number(process.env.SERVE_REPEATS ?? 30);
const prompt = 'We compared the prevalence of';
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const autocannon = fileURLToPath(new URL('../../node_modules/autocannon/autocannon.js', import.meta.url));
const resultsPath = fileURLToPath(new URL('../../bench/results/serve.json', import.meta.url));

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const ms = (x: number) => (x < 10 ? x.toFixed(1) : x.toFixed(0));

async function post(url: string, path: string, body: unknown): Promise<Response> {
  return fetch(new URL(path, url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

/** ms until the first token event of a generation, and until its end. */
async function firstToken(url: string, run: string): Promise<{ first: number; total: number; tokens: number }> {
  const t0 = performance.now();
  const res = await post(url, '/api/generate', { run, prompt, maxNewTokens: 30, pastEnd: true, seed: 1 });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  let first = NaN;
  let tokens = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const e = JSON.parse(buf.slice(0, i)) as { type: string };
      buf = buf.slice(i + 1);
      if (e.type === 'token') {
        tokens++;
        if (Number.isNaN(first)) first = performance.now() - t0;
      }
    }
  }
  return { first, total: performance.now() - t0, tokens };
}

async function health(url: string): Promise<HealthResponse> {
  return (await (await fetch(new URL('/api/health', url))).json()) as HealthResponse;
}

async function main(): Promise<void> {
  if (!runsDir) {
    console.log('serve bench: set SERVE_RUNS to a folder of runs (SERVE_RUNS=runs/ node dist/bench/serve.bench.js); nothing measured');
    return;
  }
  const server = spawn(process.execPath, [cli, 'serve', '--runs', runsDir, '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { url: string }).url);
    });
    server.on('exit', (code) => reject(new Error(`slm serve exited with ${code}`)));
  });
  try {
    const runs = ((await (await fetch(new URL('/api/runs', url))).json()) as RunsResponse).runs.filter((r) => r.ready);
    const start = await health(url);
    console.log(`server at ${url}: ${runs.length} runs, ${(start.rssBytes / 2 ** 20).toFixed(0)} MB resident before loading any`);
    const latency: Record<string, unknown>[] = [];
    for (const r of runs) {
      // While the model loads, another client asks GET /api/health every 50 ms: the slowest answer shows
      // whether loading held the server up.
      let loading = true;
      let slowestHealth = 0;
      let failedHealth = 0;
      const poller = (async () => {
        while (loading) {
          const t = performance.now();
          await health(url).catch(() => { failedHealth++; });
          slowestHealth = Math.max(slowestHealth, performance.now() - t);
          await new Promise((res) => setTimeout(res, 50));
        }
      })();
      const t0 = performance.now();
      const firstReply = await post(url, '/api/next', { run: r.id, text: prompt, topK: 10 });
      if (!firstReply.ok) throw new Error(`${r.id}: ${await firstReply.text()}`);
      await firstReply.json();
      const load = performance.now() - t0;
      loading = false;
      await poller;
      if (failedHealth > 0) console.log(`${r.id}: ${failedHealth} health requests failed while it loaded`);
      const next: number[] = [];
      for (let i = 0; i < latencyRepeats; i++) {
        const t = performance.now();
        await (await post(url, '/api/next', { run: r.id, text: prompt, topK: 10 })).json();
        next.push(performance.now() - t);
      }
      const gen: { first: number; total: number; tokens: number }[] = [];
      for (let i = 0; i < Math.max(5, latencyRepeats / 2); i++) gen.push(await firstToken(url, r.id));
      const row = {
        run: r.id, model: r.description, parameters: r.parameters, checkpointBytes: r.checkpointBytes, firstRequestMs: load, slowestHealthWhileLoadingMs: slowestHealth, failedHealthWhileLoading: failedHealth,
        nextMs: { median: quantile(next, 0.5), p90: quantile(next, 0.9) },
        firstTokenMs: { median: quantile(gen.map((g) => g.first), 0.5), p90: quantile(gen.map((g) => g.first), 0.9) },
        tokensPerSecond: quantile(gen.map((g) => (g.tokens / g.total) * 1000), 0.5),
        rssAfterLoad: (await health(url)).rssBytes,
      };
      latency.push(row);
      console.log(`${r.id}: first request ${ms(load)} ms (loads the model; meanwhile GET /api/health took at most ${ms(slowestHealth)} ms); next token ${ms(row.nextMs.median)} ms (p90 ${ms(row.nextMs.p90)}); first generated token ${ms(row.firstTokenMs.median)} ms (p90 ${ms(row.firstTokenMs.p90)}); ${row.tokensPerSecond.toFixed(0)} tokens/s streamed`);
    }

    // The load test: autocannon cycles through these requests on each connection.
    const requests = runs.flatMap((r) => [
      { method: 'POST', path: '/api/next', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ run: r.id, text: prompt, topK: 10 }) },
      { method: 'POST', path: '/api/score', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ run: r.id, text: `${prompt} diabetes in adults` }) },
      { method: 'POST', path: '/api/tokenize', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ run: r.id, text: prompt }) },
    ]);
    const load: Record<string, unknown>[] = [];
    const before = await health(url);
    let cpuBefore = before.cpuSeconds;
    for (let k = 0; k < rounds; k++) {
      const loadAvg = loadavg()[0]!;
      const script = `require(${JSON.stringify(autocannon)})({ url: ${JSON.stringify(url)}, connections: 8, amount: ${amount}, requests: ${JSON.stringify(requests)} }, (err, r) => { if (err) throw err; process.stdout.write(JSON.stringify(r)); });`;
      // Not spawnSync: this process's own connections must stay serviced while the round runs.
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
        let text = '';
        let err = '';
        child.stdout.on('data', (c: Buffer) => { text += c.toString(); });
        child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
        child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`autocannon failed: ${err}`))));
      });
      const r = JSON.parse(out) as { requests: { average: number; total: number }; latency: { p50: number; p90: number; p99: number; max: number }; non2xx: number; errors: number; timeouts: number; duration: number };
      const h = await health(url);
      const row = {
        round: k + 1, requests: r.requests.total, seconds: r.duration, perSecond: r.requests.total / r.duration, p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99,
        non2xx: r.non2xx, errors: r.errors + r.timeouts, rssMB: h.rssBytes / 2 ** 20, heapMB: h.heapUsedBytes / 2 ** 20,
        serverCpuMsPerRequest: ((h.cpuSeconds - cpuBefore) * 1000) / r.requests.total, loadAverage: loadAvg,
      };
      cpuBefore = h.cpuSeconds;
      load.push(row);
      console.log(`round ${row.round}: ${row.requests} requests in ${row.seconds.toFixed(1)} s (${row.perSecond.toFixed(0)}/s), latency p50 ${row.p50} ms p90 ${row.p90} ms p99 ${row.p99} ms, non-2xx ${row.non2xx}, errors ${row.errors}; server CPU ${row.serverCpuMsPerRequest.toFixed(2)} ms per request (machine load average ${row.loadAverage.toFixed(1)} at the start); server resident ${row.rssMB.toFixed(0)} MB, heap ${row.heapMB.toFixed(1)} MB`);
    }
    const end = await health(url);
    const result = {
      measured: new Date().toISOString(), runsDir, rounds, amount, connections: 8, before: before.rssBytes, after: end.rssBytes, loads: end.loaded, latency, load,
    };
    mkdirSync(fileURLToPath(new URL('.', `file://${resultsPath}`)), { recursive: true });
    writeFileSync(resultsPath, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`loads per run: ${end.loaded.map((l) => `${l.id} ${l.loads}`).join(', ')}`);
    console.log('\n| run | model | checkpoint | first request (loads it) | slowest other answer meanwhile | next token, median (p90) | first generated token, median (p90) | tokens/s streamed |\n| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of latency as { run: string; model: string; checkpointBytes: number; firstRequestMs: number; slowestHealthWhileLoadingMs: number; nextMs: { median: number; p90: number }; firstTokenMs: { median: number; p90: number }; tokensPerSecond: number }[]) {
      console.log(`| ${r.run} | ${r.model} | ${(r.checkpointBytes / 2 ** 20).toFixed(1)} MiB | ${ms(r.firstRequestMs)} ms | ${ms(r.slowestHealthWhileLoadingMs)} ms | ${ms(r.nextMs.median)} ms (${ms(r.nextMs.p90)}) | ${ms(r.firstTokenMs.median)} ms (${ms(r.firstTokenMs.p90)}) | ${r.tokensPerSecond.toFixed(0)} |`);
    }
    console.log('\n| round | requests | seconds | requests/s | latency p50 / p90 / p99 | non-2xx | errors | server CPU per request | load average | server resident | heap |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of load as { round: number; requests: number; seconds: number; perSecond: number; p50: number; p90: number; p99: number; non2xx: number; errors: number; rssMB: number; heapMB: number; serverCpuMsPerRequest: number; loadAverage: number }[]) {
      console.log(`| ${r.round} | ${r.requests.toLocaleString('en-US')} | ${r.seconds.toFixed(1)} | ${r.perSecond.toFixed(0)} | ${r.p50} / ${r.p90} / ${r.p99} ms | ${r.non2xx} | ${r.errors} | ${r.serverCpuMsPerRequest.toFixed(2)} ms | ${r.loadAverage.toFixed(1)} | ${r.rssMB.toFixed(0)} MB | ${r.heapMB.toFixed(1)} MB |`);
    }
  } finally {
    server.kill('SIGTERM');
  }
}

await main();
