/**
 * The endpoints about runs rather than text: the listing (with every registered model family, so
 * a family added to slmkit appears on the page without page changes), one run's config, its
 * tokenizer.json and checkpoint bytes for the page's in-tab model, and its metrics as a live
 * stream. Files are named by run id and read only through the roots check.
 */
import { createReadStream, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AnyKeySpec } from '../config/keys.js';
import { RUN_FILES } from '../io/checkpoint.js';
import { families } from '../models/registry.js';
import { limits, type FamilyInfo, type RunResponse, type RunsResponse } from './api.js';
import { HttpError } from './errors.js';
import type { TrainingJobs } from './jobs.js';
import { followMetrics } from './metrics.js';
import type { RunRegistry } from './registry.js';
import type { Roots } from './roots.js';

export function familyInfos(): FamilyInfo[] {
  return families.map((f) => ({
    type: f.type, kind: f.kind, title: f.title, tiny: { ...f.tiny },
    keys: Object.entries(f.keys as Record<string, AnyKeySpec>).map(([key, s]) => ({
      key, kind: s.kind, default: s.default, doc: s.doc, ...(s.kind === 'choice' ? { choices: s.choices } : {}),
    })),
  }));
}

export function runsHandler(reg: RunRegistry, jobs: TrainingJobs, dataDisplay: string | null): RunsResponse {
  return {
    runs: reg.entries().map((e) => reg.info(e, jobs.info(e.id))),
    families: familyInfos(), canTrain: jobs.canTrain, data: dataDisplay,
  };
}

export function runHandler(reg: RunRegistry, roots: Roots, jobs: TrainingJobs, id: string): RunResponse {
  const e = reg.entry(id);
  const config = JSON.parse(readFileSync(roots.file(e.dir, RUN_FILES.config), 'utf8')) as Record<string, unknown>;
  return { info: reg.info(e, jobs.info(e.id)), config };
}

export function tokenizerJsonHandler(reg: RunRegistry, roots: Roots, id: string, res: ServerResponse): void {
  const e = reg.entry(id);
  const body = readFileSync(roots.file(e.dir, RUN_FILES.tokenizer));
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-cache' });
  res.end(body);
}

/** The checkpoint's bytes, streamed from disk; the page decodes them with the same core. */
export function checkpointHandler(reg: RunRegistry, id: string, res: ServerResponse): void {
  const e = reg.entry(id);
  const file = reg.modelFile(e);
  if (file === null) throw new HttpError(409, 'no-checkpoint', `run ${id} has no checkpoint yet`, 'wait for its first checkpoint');
  const info = reg.info(e, null);
  if (!info.inTab) {
    throw new HttpError(409, 'not-available', `run ${id}'s checkpoint is ${(info.checkpointBytes / 2 ** 20).toFixed(0)} MiB, too large for a browser tab (at most ${limits.inTabBytes / 2 ** 20} MiB)`,
      'use the server-side views for this run; the tab takes small checkpoints');
  }
  res.writeHead(200, {
    'Content-Type': 'application/octet-stream', 'Content-Length': info.checkpointBytes, 'Cache-Control': 'no-cache',
    'X-Slm-Format': file.endsWith('.ngram') ? 'ngram' : 'safetensors',
  });
  const s = createReadStream(file);
  s.on('error', () => res.destroy());
  res.on('close', () => s.destroy());
  s.pipe(res);
}

/**
 * metrics.jsonl of one or more runs as SSE `metrics` events while the client listens (one stream
 * for all: a browser keeps only about six connections per server), or once as JSON (?once=1).
 */
export function metricsHandler(reg: RunRegistry, roots: Roots, ids: readonly string[], once: boolean, req: IncomingMessage, res: ServerResponse): void {
  if (ids.length === 0) throw new HttpError(400, 'bad-request', 'no run to follow', 'add ?runs=ID,ID');
  if (ids.length > limits.metricsRuns) throw new HttpError(400, 'bad-request', `${ids.length} runs on one stream, more than the ${limits.metricsRuns} allowed`, 'open several streams');
  const entries = ids.map((id) => reg.entry(id));
  const locate = (dir: string) => () => roots.maybeFile(dir, RUN_FILES.metrics);
  if (once) {
    const texts = entries.map((e) => {
      const path = locate(e.dir)();
      return { run: e.id, text: path ? readFileSync(path, 'utf8') : '' };
    });
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(texts.length === 1 ? texts[0] : { runs: texts }));
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
  res.flushHeaders();
  const follows = entries.map((e) => followMetrics(e.id, locate(e.dir), (ev) => {
    if (!res.writableEnded) res.write(`event: metrics\ndata: ${JSON.stringify(ev)}\n\n`);
  }));
  const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
  ping.unref();
  const stop = () => {
    for (const f of follows) f.stop();
    clearInterval(ping);
  };
  req.on('close', stop);
  res.on('close', stop);
}
