/**
 * `slm serve` under bad input and stress: every endpoint answers every kind of bad request with a
 * 4xx JSON error (and the server keeps serving); path traversal in any spelling, and links out of
 * a run folder, give 404 and never a file — with every file-system call the server makes recorded
 * and checked to stay inside its roots; other origins and foreign Host names are refused; a closed
 * tab cancels its generation, a long generation does not hold up other requests, a model is loaded
 * once however many requests ask for it at once, and memory stays flat over thousands of requests.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { limits, type ApiError, type RunsResponse } from '../src/serve/api.js';
import { startServer, type SlmServer } from '../src/serve/server.js';
import { getJson, postJson, rawRequest } from './helpers/http.js';
import { makeServeRuns, type ServeRuns } from './helpers/serveRuns.js';

let fx: ServeRuns;
let s: SlmServer;
let base: string;
let secretFile: string;
const secret = 'TOP-SECRET-outside-the-roots';

before(async () => {
  fx = await makeServeRuns();
  // A file outside every root, and a run folder whose files link to it.
  const outside = mkdtempSync(join(tmpdir(), 'slm-outside-'));
  secretFile = join(outside, 'secret.json');
  writeFileSync(secretFile, JSON.stringify({ secret }));
  const evil = join(fx.runs, 'evil');
  mkdirSync(evil);
  cpSync(join(fx.runs, 'lowrank', 'config.json'), join(evil, 'config.json'));
  symlinkSync(secretFile, join(evil, 'tokenizer.json'));
  symlinkSync(secretFile, join(evil, 'model.safetensors'));
  symlinkSync(secretFile, join(evil, 'metrics.jsonl'));
  symlinkSync(outside, join(fx.runs, 'linked-out'));
  // A run that has started but has no checkpoint yet.
  mkdirSync(join(fx.runs, 'fresh'));
  cpSync(join(fx.runs, 'lowrank', 'config.json'), join(fx.runs, 'fresh', 'config.json'));
  cpSync(join(fx.runs, 'lowrank', 'tokenizer.json'), join(fx.runs, 'fresh', 'tokenizer.json'));
  s = await startServer({ runsRoot: fx.runs, log: () => {} });
  base = s.url;
});
after(async () => {
  await s?.close();
});

const errorOf = (r: { body: unknown }) => (r.body as ApiError).error;

describe('binding and callers', () => {
  test('binds 127.0.0.1 by default, warns when told to listen wider', async () => {
    assert.equal(s.host, '127.0.0.1');
    assert.equal((s.server.address() as { address: string }).address, '127.0.0.1');
    const lines: string[] = [];
    const wide = await startServer({ runDirs: [join(fx.runs, 'lowrank')], host: '0.0.0.0', log: (l) => lines.push(l) });
    try {
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /warning: listening on 0\.0\.0\.0, not only this machine/);
    } finally {
      await wide.close();
    }
  });

  test('refuses a foreign Host (DNS rebinding) and requests from another origin', async () => {
    const host = await rawRequest(s.port, 'GET /api/runs HTTP/1.1', { Host: 'attacker.example:80' });
    assert.equal(host.status, 403);
    assert.match(host.body, /"code":"forbidden"/);
    const origin = await postJson(base, '/api/next', { run: 'lowrank', text: 'a' }, { Origin: 'http://attacker.example' });
    assert.equal(origin.status, 403);
    const same = await postJson(base, '/api/next', { run: 'lowrank', text: 'a' }, { Origin: base.replace(/\/$/, '') });
    assert.equal(same.status, 200);
    const form = await fetch(new URL('/api/next', base), { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{"run":"lowrank","text":"a"}' });
    assert.equal(form.status, 415, 'a cross-site form post (text/plain) is not JSON');
  });
});

describe('the server reads nothing outside its roots', () => {
  const traversals = [
    '/../../etc/passwd', '/..%2f..%2fetc%2fpasswd', '/%2e%2e/%2e%2e/etc/passwd', '/%2e%2e%2f%2e%2e%2fetc%2fpasswd', '/..%252f..%252fetc%252fpasswd',
    '/....//....//etc/passwd', '/%c0%ae%c0%ae/etc/passwd', '/%ZZ', '/./app.js/../../../../etc/passwd', '//etc/passwd', '/\\..\\..\\etc\\passwd',
    '/api/runs/..%2F..%2F..%2Fetc/tokenizer', '/api/runs/%2e%2e/checkpoint', '/api/runs/lowrank%2F..%2F..%2Fevil/tokenizer', '/api/runs/..%5c..%5cetc/metrics?once=1',
    '/api/runs/evil/tokenizer', '/api/runs/linked-out/tokenizer', `/api/runs/${encodeURIComponent(secretFile)}/tokenizer`,
    '/dist/web/app.js', '/index.html/../../../etc/passwd', '/style.css%00.txt', '/node_modules/playwright-core/package.json', '/package.json',
  ];

  test('traversal in every spelling, and links out of a run folder, are 404s without the file', async () => {
    for (const path of traversals) {
      const r = await rawRequest(s.port, `GET ${path} HTTP/1.1`);
      assert.equal(r.status, 404, `${path}: ${r.body.slice(0, 200)}`);
      assert.ok(!r.body.includes('root:') && !r.body.includes(secret), `${path} leaked a file`);
      assert.match(r.body, /"error":\{"code":"(not-found|unknown-run)"/);
    }
    const ck = await fetch(new URL('/api/runs/evil/checkpoint', base));
    assert.equal(ck.status, 409, 'a checkpoint that links outside is no checkpoint');
    assert.ok(!(await ck.text()).includes(secret));
    const m = await getJson<{ text: string }>(base, '/api/runs/evil/metrics?once=1');
    assert.equal(m.body.text, '', 'metrics that link outside read as none');
    const ids = (await getJson<RunsResponse>(base, '/api/runs')).body.runs.map((r) => r.id);
    assert.ok(!ids.includes('linked-out'), 'a linked folder outside --runs is not a run');
  });

  test('every file-system call the server makes stays inside its roots', async () => {
    const fs = createRequire(import.meta.url)('node:fs') as Record<string, unknown>;
    const reads = ['readFileSync', 'openSync', 'createReadStream', 'readdirSync', 'readFile', 'open', 'opendirSync'];
    const looks = ['statSync', 'lstatSync', 'existsSync', 'realpathSync', 'stat', 'lstat', 'exists', 'realpath', 'accessSync', 'access'];
    const seen: [string, string][] = [];
    const originals = new Map<string, unknown>();
    for (const name of [...reads, ...looks]) {
      const orig = fs[name] as ((...a: unknown[]) => unknown) & { native?: unknown };
      originals.set(name, orig);
      const wrapped = Object.assign(function (this: unknown, p: unknown, ...rest: unknown[]) {
        if (typeof p === 'string' || p instanceof URL) seen.push([name, String(p)]);
        return orig.call(this, p, ...rest);
      }, orig.native ? { native: orig.native } : {});
      fs[name] = wrapped;
    }
    syncBuiltinESMExports();
    try {
      for (const path of traversals) await rawRequest(s.port, `GET ${path} HTTP/1.1`);
      await getJson(base, '/api/runs');
      for (const run of ['lowrank', 'evil', 'fresh', 'ngram3']) {
        await postJson(base, '/api/next', { run, text: 'We compared' });
        await getJson(base, `/api/runs/${run}`);
        await fetch(new URL(`/api/runs/${run}/tokenizer`, base)).then((r) => r.arrayBuffer());
        await fetch(new URL(`/api/runs/${run}/checkpoint`, base)).then((r) => r.arrayBuffer());
        await getJson(base, `/api/runs/${run}/metrics?once=1`);
      }
    } finally {
      for (const [name, orig] of originals) fs[name] = orig;
      syncBuiltinESMExports();
    }
    const roots = s.roots.list();
    const inside = (p: string) => roots.some((r) => p === r || p.startsWith(r + sep));
    assert.ok(seen.length > 20, `the spy saw the server's calls (${seen.length})`);
    for (const [name, p] of seen) {
      const lexical = resolve(p);
      assert.ok(inside(lexical), `${name}(${p}) outside the roots ${roots.join(', ')}`);
      if (reads.includes(name)) assert.ok(inside(realpathSync(p)), `${name}(${p}) reads ${realpathSync(p)}, outside the roots`);
    }
    assert.ok(!seen.some(([, p]) => p.includes('slm-outside-')), 'the secret file was never touched');
  });
});

describe('bad requests: a 4xx JSON error, and the server keeps serving', () => {
  const valid: Record<string, Record<string, unknown>> = {
    '/api/next': { run: 'lowrank', text: 'We compared' },
    '/api/generate': { run: 'lowrank', prompt: 'We compared', maxNewTokens: 2 },
    '/api/tokenize': { run: 'lowrank', text: 'We compared' },
    '/api/score': { run: 'lowrank', text: 'We compared' },
    '/api/inside': { run: 'lowrank', text: 'We compared' },
  };
  const textKey = (path: string) => (path === '/api/generate' ? 'prompt' : 'text');

  for (const path of Object.keys(valid)) {
    test(`${path}: malformed JSON, wrong shapes, unknown run, too large, wrong type and method`, async () => {
      const v = valid[path]!;
      const cases: [string, unknown, number, string, Record<string, string>?][] = [
        ['malformed JSON', '{"run": "lowrank", "text": ', 400, 'bad-json'],
        ['empty body', '', 400, 'bad-json'],
        ['an array', [1, 2], 400, 'bad-request'],
        ['missing run', { ...v, run: undefined }, 400, 'bad-request'],
        ['a number for the text', { ...v, [textKey(path)]: 12 }, 400, 'bad-request'],
        ['an unknown field', { ...v, temprature: 2 }, 400, 'bad-request'],
        ['an unknown run', { ...v, run: 'nope' }, 404, 'unknown-run'],
        ['a run id with a path', { ...v, run: '../lowrank' }, 404, 'unknown-run'],
        ['a text over the limit', { ...v, [textKey(path)]: 'a '.repeat(limits.textChars) }, 413, 'too-large'],
        ['a body over the limit', JSON.stringify({ ...v, pad: 'x'.repeat(limits.bodyBytes) }), 413, 'too-large'],
        ['not JSON content', JSON.stringify(v), 415, 'unsupported-media-type', { 'Content-Type': 'text/plain' }],
      ];
      for (const [what, body, status, code, headers] of cases) {
        const r = await postJson(base, path, body, headers);
        assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
        assert.equal(errorOf(r).code, code, what);
        assert.ok(errorOf(r).message.length > 10, `${what} says what is wrong`);
      }
      const get = await fetch(new URL(path, base));
      assert.equal(get.status, 405);
      assert.equal((await get.json() as ApiError).error.code, 'method-not-allowed');
      const ok = await postJson(base, path, v);
      assert.equal(ok.status, 200, 'still serving');
    });
  }

  test('a prompt longer than the context, bad sampling options, a run without a checkpoint, unknown routes', async () => {
    const long = 'word '.repeat(100);
    for (const [path, body] of [['/api/next', { run: 'transformer', text: long }], ['/api/score', { run: 'transformer', text: long }],
      ['/api/generate', { run: 'transformer', prompt: long }], ['/api/inside', { run: 'transformer', text: long }]] as const) {
      const r = await postJson(base, path, body);
      assert.equal(r.status, 400, path);
      assert.equal(errorOf(r).code, 'prompt-too-long');
      assert.match(errorOf(r).message, /the text is \d+ tokens; run transformer reads at most 64 \(its context\)/);
      assert.match(errorOf(r).hint!, /shorten it to at most 64 tokens/);
    }
    for (const [body, pattern] of [
      [{ temperature: 0 }, /'temperature' must be greater than 0/], [{ topP: 1.5 }, /'topP' must be at most 1/], [{ topK: 0 }, /'topK' must be at least 1/],
      [{ maxNewTokens: limits.maxNewTokens + 1 }, /'maxNewTokens' must be at most/], [{ seed: -1 }, /'seed' must be at least 0/], [{ greedy: 'yes' }, /'greedy' must be true or false/],
    ] as const) {
      const r = await postJson(base, '/api/generate', { ...valid['/api/generate'], ...body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(errorOf(r).message, pattern);
    }
    const fresh = await postJson(base, '/api/next', { run: 'fresh', text: 'a' });
    assert.equal(fresh.status, 409);
    assert.equal(errorOf(fresh).code, 'no-checkpoint');
    assert.equal((await getJson(base, '/api/nope')).status, 404);
    assert.equal((await getJson(base, '/api/runs/nope')).status, 404);
    assert.equal(errorOf(await getJson(base, '/api/runs/nope/metrics')).code, 'unknown-run');
    assert.equal((await getJson(base, '/no-such-page.html')).status, 404);
    const train = await postJson(base, '/api/train', { name: 'x', model: { type: 'lowrank' } });
    assert.equal(train.status, 409);
    assert.match(errorOf(train).message, /started without --runs and --data/);
    const busy = s.stats.active;
    s.stats.active = limits.generations;
    try {
      const r = await postJson(base, '/api/generate', valid['/api/generate']);
      assert.equal(r.status, 503);
      assert.equal(errorOf(r).code, 'busy');
    } finally {
      s.stats.active = busy;
    }
    assert.equal((await getJson<RunsResponse>(base, '/api/runs')).status, 200);
  });
});

describe('under stress', () => {
  const generate = (body: Record<string, unknown>, signal?: AbortSignal) => fetch(new URL('/api/generate', base), {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal,
  });
  const until = async (cond: () => boolean, what: string) => {
    for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(cond(), what);
  };

  test('a closed tab cancels its generation on the server', async () => {
    const before = { cancelled: s.stats.cancelled, tokens: s.stats.tokens };
    const ac = new AbortController();
    const res = await generate({ run: 'transformer', prompt: 'We compared', maxNewTokens: limits.maxNewTokens, pastEnd: true }, ac.signal);
    const reader = res.body!.getReader();
    await reader.read(); // the start event and maybe a token: the generation is running
    await until(() => s.stats.tokens > before.tokens, 'tokens are being drawn');
    ac.abort();
    await until(() => s.stats.active === 0, 'the generation stopped');
    assert.equal(s.stats.cancelled, before.cancelled + 1);
    const drawn = s.stats.tokens - before.tokens;
    assert.ok(drawn < limits.maxNewTokens, `stopped after ${drawn} of ${limits.maxNewTokens} tokens`);
  });

  test('a long generation does not hold up other requests', async () => {
    const ac = new AbortController();
    const res = await generate({ run: 'transformer', prompt: 'We compared', maxNewTokens: limits.maxNewTokens, pastEnd: true }, ac.signal);
    const reader = res.body!.getReader();
    await reader.read();
    await until(() => s.stats.active === 1, 'the generation runs');
    const runs = await getJson<RunsResponse>(base, '/api/runs');
    const next = await postJson(base, '/api/next', { run: 'markov', text: 'We compared' });
    const score = await postJson(base, '/api/score', { run: 'ngram3', text: 'We compared the prevalence' });
    assert.equal(runs.status, 200);
    assert.equal(next.status, 200);
    assert.equal(score.status, 200);
    assert.equal(s.stats.active, 1, 'answered while the long generation was still drawing');
    ac.abort();
    await until(() => s.stats.active === 0, 'cancelled');
  });

  test('a model is loaded once, however many requests ask for it at once, and again only when its checkpoint changes', async () => {
    const other = await startServer({ runsRoot: fx.runs, log: () => {} });
    try {
      const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => postJson(other.url, i % 2 ? '/api/next' : '/api/score', { run: 'markov', text: `We compared ${i}` })));
      assert.ok(replies.every((r) => r.status === 200));
      assert.equal(other.registry.loads.get('markov'), 1);
      await postJson(other.url, '/api/next', { run: 'markov', text: 'again' });
      assert.equal(other.registry.loads.get('markov'), 1);
      const file = join(fx.runs, 'markov', 'model.safetensors');
      const later = new Date(Date.now() + 5000);
      utimesSync(file, later, later);
      await postJson(other.url, '/api/next', { run: 'markov', text: 'again' });
      assert.equal(other.registry.loads.get('markov'), 2, 'a new checkpoint is loaded');
      assert.deepEqual((await getJson<{ loaded: { id: string; loads: number }[] }>(other.url, '/api/health')).body.loaded, [{ id: 'markov', loads: 2 }]);
    } finally {
      await other.close();
    }
  });

  test('memory stays flat over thousands of requests', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    assert.ok(gc, 'run with --expose-gc (npm test does)');
    const burst = async (n: number) => {
      for (let i = 0; i < n; i += 8) {
        await Promise.all(Array.from({ length: 8 }, (_, k) => {
          const j = i + k;
          return j % 3 === 0 ? postJson(base, '/api/next', { run: 'lowrank', text: `We compared the ${j}` })
            : j % 3 === 1 ? postJson(base, '/api/score', { run: 'transformer', text: `the prevalence of ${j}` })
              : postJson(base, '/api/nope', {});
        }));
      }
    };
    await burst(400); // warm: models loaded, pools filled
    gc!();
    const heap0 = process.memoryUsage().heapUsed;
    await burst(2400);
    gc!();
    const grown = process.memoryUsage().heapUsed - heap0;
    assert.ok(grown < 8 * 2 ** 20, `heap grew ${(grown / 2 ** 20).toFixed(1)} MB over 2,400 requests`);
  });
});

test('cleanup', () => {
  rmSync(fx.work, { recursive: true, force: true });
  assert.ok(readFileSync(secretFile, 'utf8').includes(secret), 'the outside file is untouched');
});
