/**
 * The playground in a real browser (Debian's Chromium driven by playwright-core): the page loads
 * from the server alone, a typed prompt streams its continuation (the same text the API gives for
 * that seed), the next-token bars appear and a click appends a token, runs sit side by side, the
 * tokenizer's pieces show, an attention map is drawn, a loss curve advances while `slm train`
 * runs in another process, a checkpoint loaded into the tab gives the server's probabilities
 * within 1e-4, and a tiny model trains in the tab. It leaves a screenshot (SLM_SCREENSHOT=path
 * writes it there, SLM_SCREENSHOT_RUNS=DIR takes it of the runs in DIR: the README's docs/serve.png).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { GenerateEvent, NextResponse } from '../src/serve/api.js';
import { startServer, type SlmServer } from '../src/serve/server.js';
import { ndjson, postJson } from './helpers/http.js';
import { cliMain, makeServeRuns, type ServeRuns } from './helpers/serveRuns.js';

// The few browser globals the page callbacks below use (they run in Chromium, not in Node).
interface PageElement {
  dataset: Record<string, string | undefined>;
  value: string;
  disabled: boolean;
  width: number;
  height: number;
  querySelectorAll(selector: string): ArrayLike<unknown>;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}
declare const document: { querySelector(selector: string): PageElement | null; querySelectorAll(selector: string): ArrayLike<PageElement> };
declare const location: { href: string };

const chromiumPath = process.env.SLM_CHROMIUM ?? '/usr/bin/chromium';
let fx: ServeRuns;
let s: SlmServer;
let browser: BrowserContext;
let page: Page;
let profile: string;
const errors: string[] = [];
let trainer: ChildProcess | null = null;

before(async () => {
  assert.ok(existsSync(chromiumPath), `Chromium not found at ${chromiumPath}: apt-get install -y chromium (.ci/run does), or set SLM_CHROMIUM`);
  fx = await makeServeRuns();
  s = await startServer({ runsRoot: fx.runs, dataDir: fx.store, log: () => {} });
  profile = mkdtempSync(join(tmpdir(), 'slm-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath, headless: true, viewport: { width: 1200, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = browser.pages()[0] ?? await browser.newPage();
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('requestfailed', (r) => { if (!r.url().includes('/api/generate') && !r.url().includes('/metrics')) errors.push(`request failed: ${r.url()}`); });
});

after(async () => {
  trainer?.kill('SIGKILL');
  await browser?.close();
  await s?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (fx) rmSync(fx.work, { recursive: true, force: true });
});

async function open(query: string): Promise<void> {
  await page.goto(`${s.url}${query}`);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 20_000 });
}

test('generate: a typed prompt streams its continuation, the text the API gives for that seed', async () => {
  await open('?view=generate&run=transformer');
  const prompt = 'Patients with diabetes';
  await page.fill('#text', '');
  await page.type('#text', prompt);
  await page.fill('#ctl-maxNewTokens', '400');
  await page.check('#ctl-pastEnd');
  await page.fill('#ctl-seed', '5');
  await page.waitForFunction((p) => new URL(location.href).searchParams.get('text') === p, prompt);
  await page.click('#gen-go');
  // Seen while it streams: some tokens shown, the stream not finished.
  await page.waitForFunction(() => {
    const out = document.querySelector('#gen-output')!;
    return out.dataset.state === 'running' && out.querySelectorAll('.gtok').length >= 3;
  }, undefined, { timeout: 20_000 });
  await page.waitForFunction(() => document.querySelector('#gen-output')!.dataset.state === 'done', undefined, { timeout: 60_000 });
  const shown = await page.$eval('#gen-output', (el) => ({ text: (el as unknown as PageElement).dataset.text!, tokens: el.querySelectorAll('.gtok').length }));
  const api = ndjson<GenerateEvent>(await (await fetch(new URL('/api/generate', s.url), {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ run: 'transformer', prompt, maxNewTokens: 400, pastEnd: true, seed: 5 }),
  })).text()).at(-1) as Extract<GenerateEvent, { type: 'done' }>;
  assert.equal(shown.text, api.text);
  assert.equal(shown.tokens, api.newTokens);
  const cmd = await page.textContent('pre.cmd');
  assert.match(cmd!, /^slm generate --model \S+transformer --prompt 'Patients with diabetes' --max-new-tokens 400 --seed 5 --past-end$/);
});

test('next token: the bars are the API\'s, a click appends the token, the temperature reshapes them', async () => {
  await open('?view=next&run=lowrank&text=We%20compared%20the');
  await page.waitForSelector('#next-bars .bar-row');
  const bars = await page.$$eval('#next-bars .bar-row', (rows) => rows.map((r) => ({ token: (r as unknown as PageElement).dataset.token!, p: Number((r as unknown as PageElement).dataset.p) })));
  const api = (await postJson<NextResponse>(s.url, '/api/next', { run: 'lowrank', text: 'We compared the', topK: 10 })).body;
  assert.deepEqual(bars.map((b) => b.token), api.tokens.map((t) => t.token));
  bars.forEach((b, i) => assert.ok(Math.abs(b.p - api.tokens[i]!.p) < 1e-12));
  await page.click('#next-bars .bar-row >> nth=0');
  await page.waitForFunction((t) => document.querySelector('#text')!.value === t, `We compared the${api.tokens[0]!.append}`);
  await page.waitForFunction((t) => new URL(location.href).searchParams.get('text') === t, `We compared the${api.tokens[0]!.append}`, { timeout: 5000 });
  const top = async () => Number(await page.$eval('#next-bars .bar-row', (r) => (r as unknown as PageElement).dataset.p));
  const before = await top();
  await page.$eval('#ctl-temperature', (el) => {
    const input = el as unknown as PageElement & { dispatchEvent(e: unknown): void };
    input.value = '0.3';
    input.dispatchEvent(new (globalThis as unknown as { Event: new (type: string, o: object) => unknown }).Event('input', { bubbles: true }));
  });
  await page.waitForFunction(() => document.querySelector('#next-bars')!.dataset.temperature === '0.3');
  assert.ok(await top() > before, 'a low temperature gives the top token more');
});

test('side by side and the tokenizer: every run scored, pieces with ids', async () => {
  await open('?view=compare&text=We%20compared%20the%20prevalence%20of%20thrombocytopenia');
  await page.waitForFunction(() => document.querySelectorAll('#compare-grid .card[data-mean-loss]').length === 5, undefined, { timeout: 20_000 });
  const cards = await page.$$eval('#compare-grid .card', (cs) => cs.map((c) => ({ run: (c as unknown as PageElement).dataset.run, tokens: c.querySelectorAll('.tok').length, bars: c.querySelectorAll('.bar-row').length })));
  assert.deepEqual(cards.map((c) => c.run).sort(), ['gru', 'lowrank', 'markov', 'ngram3', 'transformer'], 'every run, whatever its family');
  for (const c of cards) {
    assert.ok(c.tokens >= 7, `${c.run} shows the text as coloured tokens`);
    assert.equal(c.bars, 5);
  }
  await page.click('#nav-tokenizer');
  await page.waitForSelector('#tok-chips .chip');
  const chips = await page.$$eval('#tok-chips .chip .piece', (cs) => cs.map((c) => c.textContent));
  assert.equal(chips[0], '[CLS]');
  assert.equal(chips.at(-1), '[SEP]');
  assert.ok(chips.some((c) => c!.startsWith('##')), 'a continuation piece');
});

test('inside: the transformer\'s attention map for the current text', async () => {
  await open('?view=inside&run=transformer&text=We%20compared%20the%20prevalence');
  await page.waitForSelector('canvas.heatmap');
  const T = Number(await page.$eval('canvas.heatmap', (c) => (c as unknown as PageElement).dataset.tokens));
  assert.ok(T >= 5);
  const inked = await page.$eval('canvas.heatmap', (c) => {
    const ctx = (c as unknown as PageElement).getContext('2d')!;
    const d = ctx.getImageData(0, 0, (c as unknown as PageElement).width, (c as unknown as PageElement).height).data;
    let blue = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 2]! > d[i]! + 40) blue++;
    return blue;
  });
  assert.ok(inked > 100, 'cells are drawn');
  await page.selectOption('#att-head', '1');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('head') === '1');
});

test('training: the loss curve advances while slm train runs in another process', async () => {
  await open('?view=training');
  trainer = spawn(process.execPath, [cliMain, 'train', '--data', fx.store, '--model', 'lowrank', '--embed-dim', '8', '--batch-size', '4', '--epochs', '1000',
    '--eval-every', '40', '--eval-docs', '5', '--minutes', '1', '--out', join(fx.runs, 'terminal')], { stdio: 'ignore' });
  const points = async () => Number(await page.$eval('#train-chart .chart', (c) => (c as unknown as PageElement).dataset.points ?? '0').catch(() => 0));
  await page.waitForFunction(() => document.querySelector('#train-chart [data-series], #train-chart g.series[data-run="terminal"]') !== null, undefined, { timeout: 30_000 });
  const first = await points();
  await page.waitForFunction((n) => Number(document.querySelector('#train-chart .chart')?.dataset.points ?? 0) > n + 20, first, { timeout: 30_000 });
  assert.ok(await points() > first + 20, 'new steps were drawn');
  trainer.kill('SIGINT');
  await new Promise((r) => trainer!.on('exit', r));
  trainer = null;
});

test('in the tab: a checkpoint computed here matches the server within 1e-4, and a tiny model trains here', async () => {
  await open('?view=tab&text=We%20compared%20the%20prevalence%20of');
  for (const run of ['transformer', 'lowrank', 'markov', 'gru', 'ngram3']) {
    await page.selectOption('#tab-run', run);
    await page.click('#tab-load');
    await page.waitForFunction((r) => document.querySelector('#tab-compare')?.dataset.run === r, run, { timeout: 30_000 });
    const diff = Number(await page.$eval('#tab-compare', (el) => (el as unknown as PageElement).dataset.maxDiff));
    assert.ok(Number.isFinite(diff) && diff <= 1e-4, `${run}: |p tab − p server| = ${diff}`);
  }
  await page.fill('#tab-steps', '40');
  await page.click('#tab-train');
  await page.waitForFunction(() => document.querySelector('#tab-chart')?.dataset.step === '40', undefined, { timeout: 60_000 });
  await page.waitForFunction(() => !document.querySelector('#tab-train')!.disabled, undefined, { timeout: 30_000 });
  assert.match((await page.textContent('#tab-sample'))!, /^step 40: /);
  assert.ok(Number(await page.$eval('#tab-chart .chart', (c) => (c as unknown as PageElement).dataset.points)) >= 40);
});

test('the page works offline from its own assets, without errors, and leaves a screenshot', async () => {
  const foreign: string[] = [];
  page.on('request', (r) => { if (!r.url().startsWith(s.url) && !r.url().startsWith('data:')) foreign.push(r.url()); });
  const cardsScored = () => page.waitForFunction(() => document.querySelectorAll('#compare-grid .card').length > 0
    && document.querySelectorAll('#compare-grid .card[data-mean-loss]').length === document.querySelectorAll('#compare-grid .card').length, undefined, { timeout: 60_000 });
  const query = '?view=compare&text=Patients%20with%20type%202%20diabetes%20were%20treated%20with%20insulin';
  await open(query);
  await cardsScored();
  assert.deepEqual(foreign, [], 'nothing fetched from elsewhere');
  assert.deepEqual(errors, []);
  // The picture: of these runs, or (SLM_SCREENSHOT_RUNS=a --runs folder) of runs worth showing, as the README's.
  const shotRuns = process.env.SLM_SCREENSHOT_RUNS;
  const other = shotRuns ? await startServer({ runsRoot: shotRuns, log: () => {} }) : null;
  try {
    if (other) {
      await page.goto(`${other.url}${query}`);
      await page.waitForSelector('body[data-ready="1"]', { timeout: 20_000 });
      await cardsScored();
    }
    const out = process.env.SLM_SCREENSHOT ?? join(fx.work, 'serve.png');
    await page.screenshot({ path: out, fullPage: true });
    const png = readFileSync(out);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.ok(png.length > 20_000, 'a real picture');
  } finally {
    await other?.close();
  }
});
