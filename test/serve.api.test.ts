/**
 * `slm serve`'s JSON API against real runs of every kind (trained on the built-in PubMed sample):
 * each endpoint answers what the library computes for the same run (next-token probabilities,
 * scores, attention, table rows, n-gram back-off), generation streams (NDJSON and SSE) and gives
 * `slm generate`'s text for the same seed, the run files come back byte for byte, metrics stream
 * live as a run's metrics.jsonl grows, and `slm next|score|inside --json` print the API's answers.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openRun } from '../src/io/run.js';
import { nextTokens, scoreIds } from '../src/sample/next.js';
import { promptIds } from '../src/sample/prompt.js';
import type {
  GenerateEvent, InsideResponse, MetricsEvent, NextResponse, RunResponse, RunsResponse, ScoreResponse, TokenizeResponse,
} from '../src/serve/api.js';
import { startServer, type SlmServer } from '../src/serve/server.js';
import { families } from '../src/models/registry.js';
import type { NgramModel } from '../src/ngram/model.js';
import { getJson, ndjson, postJson, sse } from './helpers/http.js';
import { cliMain, makeServeRuns, type ServeRuns } from './helpers/serveRuns.js';

let fx: ServeRuns;
let s: SlmServer;
let base: string;
const text = 'We compared the prevalence of diabetes';

before(async () => {
  fx = await makeServeRuns();
  s = await startServer({ runsRoot: fx.runs, log: () => {} });
  base = s.url;
});
after(async () => {
  await s?.close();
});

describe('GET /api/runs', () => {
  test('lists every run by id with its type, size, tokenizer and every registered family', async () => {
    const r = await getJson<RunsResponse>(base, '/api/runs');
    assert.equal(r.status, 200);
    const byId = new Map(r.body.runs.map((x) => [x.id, x]));
    assert.deepEqual([...byId.keys()].sort(), ['gru', 'lowrank', 'markov', 'ngram3', 'transformer']);
    assert.equal(byId.get('markov')!.parameters, 400 * 400);
    assert.equal(byId.get('lowrank')!.parameters, 2 * 400 * 16);
    assert.equal(byId.get('ngram3')!.kind, 'counted');
    assert.ok(byId.get('ngram3')!.parameters > 0, 'stored n-grams');
    assert.equal(byId.get('transformer')!.description, 'transformer post-ln 2×32');
    for (const run of r.body.runs) {
      assert.equal(run.ready, true);
      assert.equal(run.tokenizer.vocabSize, 400);
      assert.equal(run.tokenizer.lowercase, true);
      assert.equal(run.tokenizer.model, 'WordPiece');
      assert.ok(run.testLoss !== null && run.testLoss > 0, `${run.id} test loss`);
      assert.equal(run.inTab, true);
    }
    assert.equal(byId.get('transformer')!.step, 6);
    assert.deepEqual(r.body.families.map((f) => f.type), families.map((f) => f.type), 'every registered family, for the page\'s forms');
    assert.equal(byId.get('gru')!.description, 'gru 1×24 e16');
    assert.equal(r.body.canTrain, false, 'no --data given');
  });
});

describe('POST /api/next', () => {
  for (const id of ['markov', 'lowrank', 'transformer', 'gru', 'ngram3']) {
    test(`${id}: the library's nextTokens for the same run, sorted, with what each token appends`, async () => {
      const r = await postJson<NextResponse>(base, '/api/next', { run: id, text, topK: 7, temperature: 0.8 });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const run = openRun(join(fx.runs, id));
      const ids = promptIds(run.tokenizer, text);
      const want = nextTokens(run.model, ids, { topK: 7, temperature: 0.8 });
      assert.equal(r.body.tokens.length, 7);
      r.body.tokens.forEach((t, i) => {
        assert.equal(t.id, want.tokens[i]!.id);
        assert.ok(Math.abs(t.p - want.tokens[i]!.p) < 1e-9);
        assert.equal(t.token, run.tokenizer.idToToken(t.id));
        if (i > 0) assert.ok(t.p <= r.body.tokens[i - 1]!.p);
        const decoded = run.tokenizer.decode([...ids, t.id]);
        assert.ok(decoded.endsWith(t.append) || t.append === '', `append ${JSON.stringify(t.append)} ends ${JSON.stringify(decoded)}`);
      });
      assert.equal(r.body.promptTokens, ids.length);
      assert.equal(r.body.contextTokens, Math.min(ids.length, run.model.contextSize), 'a recurrent model reads it all');
    });
  }

  test('temperature reshapes the distribution: sharper below 1, flatter above', async () => {
    const at = async (temperature: number) => (await postJson<NextResponse>(base, '/api/next', { run: 'transformer', text, topK: 5, temperature })).body;
    const [cold, warm, hot] = [await at(0.5), await at(1), await at(2)];
    assert.ok(cold.entropy < warm.entropy && warm.entropy < hot.entropy, `${cold.entropy} < ${warm.entropy} < ${hot.entropy}`);
    assert.ok(cold.tokens[0]!.p > warm.tokens[0]!.p && warm.tokens[0]!.p > hot.tokens[0]!.p);
    assert.equal(cold.tokens[0]!.id, hot.tokens[0]!.id, 'the order does not change');
  });
});

describe('POST /api/generate', () => {
  const gen = async (body: Record<string, unknown>, accept = 'application/x-ndjson') => {
    const r = await fetch(new URL('/api/generate', base), { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: accept }, body: JSON.stringify(body) });
    return { status: r.status, type: r.headers.get('content-type') ?? '', text: await r.text() };
  };

  for (const id of ['markov', 'lowrank', 'transformer', 'gru', 'ngram3']) {
    test(`${id}: streams each token, then the final text, equal to slm generate with the same seed`, async () => {
      const opts = { maxNewTokens: 12, temperature: 0.9, topK: 40, seed: 7 };
      const r = await gen({ run: id, prompt: text, ...opts });
      assert.equal(r.status, 200);
      assert.match(r.type, /application\/x-ndjson/);
      const events = ndjson<GenerateEvent>(r.text);
      assert.equal(events[0]!.type, 'start');
      const tokens = events.filter((e): e is Extract<GenerateEvent, { type: 'token' }> => e.type === 'token');
      const done = events.at(-1) as Extract<GenerateEvent, { type: 'done' }>;
      assert.equal(done.type, 'done');
      assert.ok(tokens.length >= 1 && tokens.length <= 12);
      assert.deepEqual(done.ids, tokens.map((t) => t.id));
      assert.equal(tokens.map((t) => t.delta).join(''), tokens.at(-1)!.text.slice(tokens[0]!.text.length - tokens[0]!.delta.length), 'deltas add up to the text');
      const cli = spawnSync(process.execPath, [cliMain, 'generate', '--model', join(fx.runs, id), '--prompt', text, '--max-new-tokens', '12',
        '--temperature', '0.9', '--top-k', '40', '--seed', '7', '--json'], { encoding: 'utf8' });
      assert.equal(cli.status, 0, cli.stderr);
      assert.equal(done.text, (JSON.parse(cli.stdout) as { samples: { text: string }[] }).samples[0]!.text);
    });
  }

  test('SSE when asked for text/event-stream; greedy is deterministic; pastEnd draws every token', async () => {
    const r = await gen({ run: 'lowrank', prompt: text, maxNewTokens: 5, greedy: true }, 'text/event-stream');
    assert.match(r.type, /text\/event-stream/);
    const events = sse<GenerateEvent>(r.text);
    const names = events.map((e) => e.event);
    assert.equal(names[0], 'start');
    assert.equal(names.at(-1), 'done');
    assert.ok(names.slice(1, -1).every((n) => n === 'token') && names.length >= 3 && names.length <= 7, names.join(' '));
    assert.deepEqual(events.map((e) => e.data.type), names, 'the event name is the type');
    const again = sse<GenerateEvent>((await gen({ run: 'lowrank', prompt: text, maxNewTokens: 5, greedy: true, seed: 99 }, 'text/event-stream')).text);
    assert.deepEqual(again.at(-1)!.data, events.at(-1)!.data, 'greedy ignores the seed');
    const long = ndjson<GenerateEvent>((await gen({ run: 'markov', prompt: text, maxNewTokens: 40, pastEnd: true, seed: 3 })).text);
    const done = long.at(-1) as Extract<GenerateEvent, { type: 'done' }>;
    assert.equal(done.newTokens, 40);
    assert.equal(done.stop, 'length');
  });
});

describe('POST /api/tokenize', () => {
  test('pieces with ids, ## continuations and specials marked; lowercasing forced off changes the pieces; truncation drops the tail but keeps [SEP]', async () => {
    const r = await postJson<TokenizeResponse>(base, '/api/tokenize', { run: 'transformer', text: 'We compared the PREVALENCE of thrombocytopenia' });
    assert.equal(r.status, 200);
    const run = openRun(join(fx.runs, 'transformer'));
    const enc = run.tokenizer.encode('We compared the PREVALENCE of thrombocytopenia', { maxLength: Infinity });
    assert.deepEqual(r.body.tokens.map((t) => t.id), enc.ids);
    assert.equal(r.body.tokens[0]!.token, '[CLS]');
    assert.ok(r.body.tokens[0]!.special && r.body.tokens.at(-1)!.special);
    assert.ok(r.body.tokens.some((t) => t.continuation && t.token.startsWith('##')), 'a rare word splits into ## pieces');
    assert.ok(r.body.tokens.every((t) => t.kept));
    assert.equal(r.body.lowercase, true);
    assert.equal(r.body.runLowercases, true);
    assert.match(r.body.decoded, /^we compared the prevalence of/);

    const cased = await postJson<TokenizeResponse>(base, '/api/tokenize', { run: 'transformer', text: 'We compared the PREVALENCE', lowercase: false });
    assert.equal(cased.body.lowercase, false);
    assert.notDeepEqual(cased.body.tokens.map((t) => t.id), r.body.tokens.slice(0, cased.body.tokens.length).map((t) => t.id), 'capitals are other tokens (or [UNK]) for a lowercased vocabulary');

    const cut = await postJson<TokenizeResponse>(base, '/api/tokenize', { run: 'transformer', text: 'We compared the PREVALENCE of thrombocytopenia', maxLength: 5 });
    assert.equal(cut.body.dropped, enc.ids.length - 5);
    const kept = cut.body.tokens.filter((t) => t.kept);
    assert.equal(kept.length, 5);
    assert.equal(kept.at(-1)!.token, '[SEP]');
    assert.deepEqual(kept.map((t) => t.id), run.tokenizer.encode('We compared the PREVALENCE of thrombocytopenia', { maxLength: 5 }).ids);
  });
});

describe('POST /api/score', () => {
  for (const id of ['markov', 'lowrank', 'transformer', 'gru', 'ngram3']) {
    test(`${id}: per-token losses equal the library's scoreIds; the first token is given`, async () => {
      const r = await postJson<ScoreResponse>(base, '/api/score', { run: id, text });
      assert.equal(r.status, 200);
      const run = openRun(join(fx.runs, id));
      const ids = promptIds(run.tokenizer, text);
      const want = scoreIds(run.model, ids);
      assert.equal(r.body.tokens.length, ids.length);
      assert.equal(r.body.scored, ids.length - 1);
      assert.equal(r.body.tokens[0]!.loss, null);
      r.body.tokens.slice(1).forEach((t, i) => {
        assert.ok(Math.abs(t.loss! - want.tokens[i]!.loss) < 1e-5 * Math.max(1, want.tokens[i]!.loss));
        assert.ok(Math.abs(Math.exp(-t.loss!) - t.p) < 1e-5);
      });
      assert.ok(Math.abs(r.body.totalLoss! - r.body.tokens.slice(1).reduce((a, t) => a + t.loss!, 0)) < 1e-4);
      assert.ok(Math.abs(r.body.meanLoss! - want.meanLoss) < 1e-9);
      assert.ok(Math.abs(r.body.bitsPerToken! - want.meanLoss / Math.LN2) < 1e-9);
    });
  }
});

describe('POST /api/inside', () => {
  test('transformer: causal attention maps per layer and head; each row sums to 1; the mean is the heads\' mean', async () => {
    const heads = await Promise.all([0, 1].map(async (h) => (await postJson<InsideResponse>(base, '/api/inside', { run: 'transformer', text, layer: 0, head: h })).body));
    const mean = (await postJson<InsideResponse>(base, '/api/inside', { run: 'transformer', text, layer: 0 })).body;
    for (const r of [...heads, mean]) {
      assert.equal(r.view, 'attention');
      if (r.view !== 'attention') return;
      assert.equal(r.layers, 2);
      assert.equal(r.heads, 2);
      assert.equal(r.weights.length, r.tokens.length);
      r.weights.forEach((row, i) => {
        assert.equal(row.length, i + 1, 'a position sees itself and those before');
        assert.ok(Math.abs(row.reduce((a, x) => a + x, 0) - 1) < 2e-3);
      });
    }
    if (mean.view !== 'attention' || heads[0]!.view !== 'attention' || heads[1]!.view !== 'attention') return;
    const [a, b] = [heads[0]!.weights, heads[1]!.weights];
    assert.ok(Math.abs(mean.weights[4]![2]! - (a[4]![2]! + b[4]![2]!) / 2) < 2e-4);
    assert.notDeepEqual(a, b, 'two heads look at different places');
    const bad = await postJson<{ error: { code: string; message: string } }>(base, '/api/inside', { run: 'transformer', text, layer: 5 });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /layer 5 does not exist: the model has 2/);
  });

  test("markov and lowrank: the table's row for the last token (or one chosen) equals the next-token distribution after it", async () => {
    for (const id of ['markov', 'lowrank']) {
      const r = (await postJson<InsideResponse>(base, '/api/inside', { run: id, text, topK: 5 })).body;
      assert.equal(r.view, 'row');
      if (r.view !== 'row') return;
      const run = openRun(join(fx.runs, id));
      const ids = promptIds(run.tokenizer, text);
      assert.equal(r.token.id, ids.at(-1));
      const want = nextTokens(run.model, [ids.at(-1)!], { topK: 5 });
      assert.deepEqual(r.top.map((t) => t.id), want.tokens.map((t) => t.id));
      const chosen = (await postJson<InsideResponse>(base, '/api/inside', { run: id, text, token: ids[1], topK: 3 })).body;
      assert.ok(chosen.view === 'row' && chosen.token.id === ids[1]);
    }
  });

  test('ngram: counts and back-off per order; each order\'s probabilities are the model\'s', async () => {
    const r = (await postJson<InsideResponse>(base, '/api/inside', { run: 'ngram3', text: 'We compared the', topK: 4 })).body;
    assert.equal(r.view, 'ngram');
    if (r.view !== 'ngram') return;
    assert.equal(r.order, 3);
    assert.equal(r.smoothing, 'kn');
    assert.deepEqual(r.orders.map((o) => o.order), [1, 2, 3].slice(0, r.orders.length));
    const run = openRun(join(fx.runs, 'ngram3'));
    const model = run.model as NgramModel;
    const ids = promptIds(run.tokenizer, 'We compared the');
    for (const o of r.orders) {
      assert.equal(o.context.length, o.order - 1);
      if (!o.seen) continue;
      assert.ok(o.total >= o.top.reduce((a, t) => a + t.count, 0));
      for (const t of o.top) {
        assert.ok(Math.abs(t.p - model.prob(ids.slice(ids.length - (o.order - 1)), t.id)) < 1e-6, `order ${o.order} p(${t.token})`);
      }
      if (o.order > 1) assert.ok(o.backoff! > 0 && o.backoff! < 1);
    }
    assert.ok(r.orders[1]!.top[0]!.count >= r.orders[1]!.top.at(-1)!.count, 'most frequent first');
  });
});

describe('a family without a view of its own', () => {
  test('gru: /api/inside says there is none (the bars and surprisal work for it as for every model)', async () => {
    const r = await postJson<InsideResponse>(base, '/api/inside', { run: 'gru', text });
    assert.equal(r.status, 200);
    assert.equal(r.body.view, 'none');
    if (r.body.view === 'none') assert.match(r.body.why, /no inside view for gru models yet/);
  });
});

describe('run files and metrics', () => {
  test('GET /api/runs/:id, its tokenizer.json and checkpoint bytes come back as written', async () => {
    const r = await getJson<RunResponse>(base, '/api/runs/transformer');
    assert.equal(r.body.info.id, 'transformer');
    assert.equal((r.body.config.model as { type: string }).type, 'transformer');
    const tok = await fetch(new URL('/api/runs/transformer/tokenizer', base));
    assert.deepEqual(await tok.json(), JSON.parse(readFileSync(join(fx.runs, 'transformer', 'tokenizer.json'), 'utf8')));
    for (const [id, file, format] of [['transformer', 'model.safetensors', 'safetensors'], ['ngram3', 'model.ngram', 'ngram']] as const) {
      const c = await fetch(new URL(`/api/runs/${id}/checkpoint`, base));
      assert.equal(c.headers.get('x-slm-format'), format);
      assert.deepEqual(Buffer.from(await c.arrayBuffer()), readFileSync(join(fx.runs, id, file)));
    }
  });

  test('metrics: once as JSON, and as a live stream that sends each line appended to metrics.jsonl', async () => {
    cpSync(join(fx.runs, 'lowrank'), join(fx.runs, 'live'), { recursive: true });
    const once = await getJson<{ text: string }>(base, '/api/runs/live/metrics?once=1');
    assert.equal(once.body.text, readFileSync(join(fx.runs, 'live', 'metrics.jsonl'), 'utf8'));
    const ac = new AbortController();
    const res = await fetch(new URL('/api/runs/live/metrics', base), { signal: ac.signal });
    assert.match(res.headers.get('content-type')!, /text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    const nextEvent = async (): Promise<MetricsEvent> => {
      while (!buf.includes('\n\n')) buf += (await reader.read()).value ?? '';
      const i = buf.indexOf('\n\n');
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (!block.startsWith('event: metrics')) return nextEvent();
      return sse<MetricsEvent>(`${block}\n\n`)[0]!.data;
    };
    const first = await nextEvent();
    assert.equal(first.reset, true);
    assert.equal(first.lines.length, once.body.text.trim().split('\n').length);
    appendFileSync(join(fx.runs, 'live', 'metrics.jsonl'), `${JSON.stringify({ step: 7, loss: 4.5, tokens: 10, seconds: 1 })}\n{"step": 8, "loss": 4.25`);
    const second = await nextEvent();
    assert.equal(second.reset, false);
    assert.deepEqual(second.lines.map((l) => (JSON.parse(l) as { step: number }).step), [7], 'only complete lines');
    appendFileSync(join(fx.runs, 'live', 'metrics.jsonl'), ', "tokens": 3}\n');
    assert.deepEqual((await nextEvent()).lines.map((l) => (JSON.parse(l) as { loss: number }).loss), [4.25]);
    ac.abort();
  });
});

describe('several runs on one metrics stream', () => {
  test('GET /api/metrics?runs=a,b: each run\'s file on one stream (the page\'s training view), or once as JSON', async () => {
    const once = await getJson<{ runs: { run: string; text: string }[] }>(base, '/api/metrics?runs=lowrank,ngram3&once=1');
    assert.deepEqual(once.body.runs.map((r) => [r.run, r.text]), ['lowrank', 'ngram3'].map((id) => [id, readFileSync(join(fx.runs, id, 'metrics.jsonl'), 'utf8')]));
    const ac = new AbortController();
    const res = await fetch(new URL('/api/metrics?runs=lowrank,ngram3', base), { signal: ac.signal });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    while ((buf.match(/event: metrics/g) ?? []).length < 2 || !buf.endsWith('\n\n')) buf += (await reader.read()).value ?? '';
    ac.abort();
    const events = sse<MetricsEvent>(buf);
    assert.deepEqual(events.map((e) => [e.data.run, e.data.reset]), [['lowrank', true], ['ngram3', true]]);
    assert.equal(events[1]!.data.lines.length, 1, 'a counted run has one line');
    assert.equal((await getJson(base, '/api/metrics?runs=lowrank,nope')).status, 404);
    assert.equal((await getJson(base, '/api/metrics')).status, 400);
  });
});

describe('the CLI twins of the page', () => {
  test('slm next, slm score and slm inside --json print what the API answers', async () => {
    const dir = join(fx.runs, 'transformer');
    const cases: [string[], string, Record<string, unknown>][] = [
      [['next', '--top-k', '4', '--temperature', '1.5'], '/api/next', { topK: 4, temperature: 1.5 }],
      [['score'], '/api/score', {}],
      [['inside', '--layer', '1', '--head', '0'], '/api/inside', { layer: 1, head: 0 }],
    ];
    for (const [args, path, extra] of cases) {
      const cli = spawnSync(process.execPath, [cliMain, args[0]!, '--model', dir, '--text', text, ...args.slice(1), '--json'], { encoding: 'utf8' });
      assert.equal(cli.status, 0, cli.stderr);
      const api = await postJson<Record<string, unknown>>(base, path, { run: 'transformer', text, ...extra });
      assert.deepEqual({ ...JSON.parse(cli.stdout) as Record<string, unknown>, run: 'transformer' }, api.body, args[0]);
    }
    const plain = spawnSync(process.execPath, [cliMain, 'inside', '--model', join(fx.runs, 'ngram3'), '--text', 'We compared the'], { encoding: 'utf8' });
    assert.match(plain.stdout, /^3-gram, kn; the estimate comes from order \d/);
    const long = spawnSync(process.execPath, [cliMain, 'next', '--model', dir, '--text', 'word '.repeat(80)], { encoding: 'utf8' });
    assert.equal(long.status, 1);
    assert.match(long.stderr, /the text is \d+ tokens; run .* reads at most 64 \(its context\)\n {2}hint: shorten it/);
  });

  test('slm serve prints its URL, serves the page and the API, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [cliMain, 'serve', '--runs', fx.runs, '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.on('exit', (code) => reject(new Error(`slm serve exited ${code}`)));
    });
    const { url, runs } = JSON.parse(line) as { url: string; runs: number };
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.ok(runs >= 4);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="\/app\.js"><\/script>/);
    assert.equal((await fetch(new URL('/app.js', url))).status, 200);
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
