/**
 * Training from the page: POST /api/train starts `slm train` on the server's --data into a new
 * folder under --runs; the run appears in the listing and its metrics stream while it trains;
 * stop sends Ctrl-C (a checkpoint is saved, the job says stopped) and resume continues from that
 * checkpoint. Bad requests are refused before any process starts.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ApiError, JobResponse, MetricsEvent, RunsResponse } from '../src/serve/api.js';
import { startServer, type SlmServer } from '../src/serve/server.js';
import { getJson, postJson } from './helpers/http.js';
import { makeServeRuns, type ServeRuns } from './helpers/serveRuns.js';

let fx: ServeRuns;
let s: SlmServer;

before(async () => {
  fx = await makeServeRuns();
  s = await startServer({ runsRoot: fx.runs, dataDir: fx.store, log: () => {} });
});
after(async () => {
  await s?.close();
  rmSync(fx.work, { recursive: true, force: true });
});

const until = async (cond: () => boolean | Promise<boolean>, what: string, ms = 60_000) => {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const runInfo = async (id: string) => (await getJson<RunsResponse>(s.url, '/api/runs')).body.runs.find((r) => r.id === id);

test('start, follow, stop and resume a run from the page', async () => {
  const start = await postJson<JobResponse>(s.url, '/api/train', {
    name: 'job1', model: { type: 'lowrank', embedDim: 8 }, train: { epochs: 1000, maxSteps: 100000, batchSize: 4, evalEvery: 25, evalDocs: 5, saveEvery: 10 }, minutes: 2,
  });
  assert.equal(start.status, 202, JSON.stringify(start.body));
  assert.equal(start.body.job.state, 'running');
  assert.match(start.body.job.command, /^slm train --data \S+ --model lowrank --embed-dim 8 --epochs 1000 --max-steps 100000 --batch-size 4 --eval-every 25 --eval-docs 5 --save-every 10 --minutes 2 --out \S+job1$/);
  assert.ok((await getJson<RunsResponse>(s.url, '/api/runs')).body.canTrain);

  // The live metrics stream: steps arrive while the run trains.
  await until(async () => (await runInfo('job1')) !== undefined, 'the run folder appeared');
  const ac = new AbortController();
  const res = await fetch(new URL('/api/runs/job1/metrics', s.url), { signal: ac.signal });
  assert.equal(res.status, 200);
  let steps: number[] = [];
  let stream: Promise<void> = Promise.resolve();
  {
    stream = (async () => {
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buf += value;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (!data || !block.startsWith('event: metrics')) continue;
            const e = JSON.parse(data) as MetricsEvent;
            if (e.reset) steps = [];
            for (const l of e.lines) {
              const row = JSON.parse(l) as { step: number; loss?: number };
              if (row.loss !== undefined) steps.push(row.step);
            }
          }
        }
      } catch {
        // aborted
      }
    })();
  }
  await until(() => steps.length >= 30, 'the stream carried 30 steps');
  assert.deepEqual(steps.slice(0, 30), Array.from({ length: 30 }, (_, i) => i + 1), 'every step once, in order');
  const listed = await runInfo('job1');
  assert.equal(listed?.job?.state, 'running');

  const stop = await postJson<JobResponse>(s.url, '/api/train/job1/stop', {});
  assert.equal(stop.status, 202);
  await until(async () => (await runInfo('job1'))?.job?.state === 'stopped', 'the job stopped');
  const trainer = JSON.parse(readFileSync(join(fx.runs, 'job1', 'trainer.json'), 'utf8')) as { step: number; done: boolean };
  assert.ok(trainer.step >= 30, `checkpoint at step ${trainer.step}`);
  assert.equal(trainer.done, false);
  const stopped = await runInfo('job1');
  assert.equal(stopped!.step, trainer.step);
  assert.equal(stopped!.ready, true);

  const again = await postJson<JobResponse>(s.url, '/api/train/job1/resume', { minutes: 0.05 });
  assert.equal(again.status, 202, JSON.stringify(again.body));
  assert.match(again.body.job.command, /^slm train --resume \S+job1 --minutes 0.05$/);
  await until(async () => (await runInfo('job1'))?.job?.state === 'done', 'the resumed job finished', 90_000);
  const resumed = JSON.parse(readFileSync(join(fx.runs, 'job1', 'trainer.json'), 'utf8')) as { step: number };
  assert.ok(resumed.step > trainer.step, `resumed from ${trainer.step} to ${resumed.step}`);
  await until(() => steps.includes(trainer.step + 1), 'the stream carried the resumed steps');
  ac.abort();
  await stream;
  assert.equal(new Set(steps).size, steps.length, 'each step once: the stream restarted with the rewritten file');
});

test('bad training requests are refused before anything starts', async () => {
  const cases: [Record<string, unknown>, number, RegExp][] = [
    [{ name: '../escape', model: { type: 'lowrank' } }, 400, /run name "\.\.\/escape" is not allowed/],
    [{ name: 'lowrank', model: { type: 'lowrank' } }, 409, /a run named lowrank exists already/],
    [{ name: 'x1', model: { type: 'lowrank', embedDims: 8 } }, 400, /embedDims/],
    [{ name: 'x2', model: { type: 'nope' } }, 400, /unknown model type "nope"/],
    [{ name: 'x3', model: { type: 'lowrank' }, train: { lr: -1 } }, 400, /lr/],
    [{ name: 'x4', model: { type: 'ngram', order: 3 }, train: { maxSteps: 3 } }, 400, /takes no training settings/],
    [{ name: 'x5' }, 400, /lacks 'model'/],
  ];
  for (const [body, status, pattern] of cases) {
    const r = await postJson<ApiError>(s.url, '/api/train', body);
    assert.equal(r.status, status, JSON.stringify(body));
    assert.match(r.body.error.message, pattern);
  }
  for (const n of ['x1', 'x2', 'x3', 'x4', 'x5']) assert.ok(!existsSync(join(fx.runs, n)), `nothing written for ${n}`);
  assert.equal((await postJson<ApiError>(s.url, '/api/train/lowrank/stop', {})).status, 409);
  assert.equal((await postJson<ApiError>(s.url, '/api/train/nope/resume', {})).status, 404);
});
