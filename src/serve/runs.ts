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

/** metrics.jsonl as SSE `metrics` events while the client listens, or once as JSON (?once=1). */
export function metricsHandler(reg: RunRegistry, roots: Roots, id: string, once: boolean, req: IncomingMessage, res: ServerResponse): void {
  const e = reg.entry(id);
  const locate = () => roots.maybeFile(e.dir, RUN_FILES.metrics);
  if (once) {
    const path = locate();
    const text = path ? readFileSync(path, 'utf8') : '';
    const body = JSON.stringify({ run: id, text });
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(body);
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
  res.flushHeaders();
  const follow = followMetrics(id, locate, (ev) => {
    if (!res.writableEnded) res.write(`event: metrics\ndata: ${JSON.stringify(ev)}\n\n`);
  });
  const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
  ping.unref();
  const stop = () => {
    follow.stop();
    clearInterval(ping);
  };
  req.on('close', stop);
  res.on('close', stop);
}
