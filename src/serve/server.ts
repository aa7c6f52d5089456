/**
 * `slm serve`'s HTTP server: routes → library calls. It binds 127.0.0.1 unless told otherwise,
 * serves its own page (from memory) and the runs it was given (by id), and answers every failure
 * with a JSON error and a 4xx or 5xx while it keeps serving. Requests from another origin (a web
 * site trying to reach a local server) and Host names a loopback server does not have (DNS
 * rebinding) are refused. Training jobs it started are stopped (with a checkpoint) when it closes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { relative, isAbsolute } from 'node:path';
import { ConfigError } from '../tensor/errors.js';
import { limits, routes, type HealthResponse, type RouteName } from './api.js';
import { Fields, readJsonBody } from './body.js';
import { errorResponse, HttpError, notFound } from './errors.js';
import { generateHandler, type GenerationStats } from './generate.js';
import { insideHandler, nextHandler, scoreHandler, tokenizeHandler } from './handlers.js';
import { TrainingJobs } from './jobs.js';
import { RunRegistry } from './registry.js';
import { Roots } from './roots.js';
import { checkpointHandler, metricsHandler, runHandler, runsHandler, tokenizerJsonHandler } from './runs.js';
import { defaultWebDir, loadAssets, type Asset } from './static.js';

export interface ServeOptions {
  /** Run folders to serve. */
  runDirs?: readonly string[];
  /** A folder of runs: each subfolder is served, new ones as they appear; page-started runs go here. */
  runsRoot?: string | null;
  /** The data page-started runs train on (a store or a corpus folder). */
  dataDir?: string | null;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** The built page (default dist/web). */
  webDir?: string;
  /** Where warnings and internal errors go (default stderr). */
  log?: (line: string) => void;
}

export interface SlmServer {
  url: string;
  host: string;
  port: number;
  server: Server;
  registry: RunRegistry;
  jobs: TrainingJobs;
  roots: Roots;
  stats: GenerationStats & { requests: number };
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

/** Route name and :id for a method and path, or null. */
function matchRoute(method: string, segments: string[]): { name: RouteName; id?: string } | 'wrong-method' | null {
  let wrongMethod = false;
  for (const [name, r] of Object.entries(routes) as [RouteName, (typeof routes)[RouteName]][]) {
    const parts = r.path.split('/').slice(1);
    if (parts.length !== segments.length) continue;
    let id: string | undefined;
    if (!parts.every((p, i) => (p === ':id' ? (id = segments[i]!, true) : p === segments[i]))) continue;
    if (r.method !== method && !(r.method === 'GET' && method === 'HEAD')) {
      wrongMethod = true;
      continue;
    }
    return { name, id };
  }
  return wrongMethod ? 'wrong-method' : null;
}

function display(path: string | null | undefined): string | null {
  if (!path) return null;
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

export async function startServer(o: ServeOptions = {}): Promise<SlmServer> {
  const host = o.host ?? '127.0.0.1';
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const roots = new Roots();
  const assets = loadAssets(o.webDir ?? defaultWebDir(), roots);
  const registry = new RunRegistry(roots, { runDirs: o.runDirs ?? [], runsRoot: o.runsRoot ?? null });
  const dataDir = o.dataDir ? roots.add(o.dataDir) : null;
  const jobs = new TrainingJobs({ runsRoot: registry.runsRoot, dataDir, runsDisplay: display(o.runsRoot), dataDisplay: display(o.dataDir) });
  const stats = { active: 0, cancelled: 0, tokens: 0, requests: 0 };
  const started = performance.now();
  let port = 0;

  const json = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) => {
    const body = JSON.stringify(value);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
    res.end(body);
  };

  const sendAsset = (req: IncomingMessage, res: ServerResponse, a: Asset) => {
    if (req.headers['if-none-match'] === a.etag) {
      res.writeHead(304, { ETag: a.etag });
      res.end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': a.type, 'Content-Length': a.body.length, ETag: a.etag, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
      'Referrer-Policy': 'no-referrer',
    });
    res.end(req.method === 'HEAD' ? undefined : a.body);
  };

  /** Refuses other origins and, on loopback, Host names that are not this server's. */
  const checkCaller = (req: IncomingMessage) => {
    const hostHeader = req.headers.host ?? '';
    if (isLoopback(host)) {
      const name = hostHeader.replace(/:\d+$/, '');
      if (!LOOPBACK.has(name)) throw new HttpError(403, 'forbidden', `Host ${JSON.stringify(hostHeader)} is not this server`, `open http://127.0.0.1:${port}/`);
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== 'null') {
      let originHost = '';
      try {
        originHost = new URL(origin).host;
      } catch {
        originHost = '';
      }
      if (originHost !== hostHeader) throw new HttpError(403, 'forbidden', `requests from ${origin} are not allowed`, 'use the page this server serves');
    }
  };

  const api = async (req: IncomingMessage, res: ServerResponse, segments: string[], query: URLSearchParams) => {
    const m = matchRoute(req.method ?? 'GET', segments);
    if (m === 'wrong-method') {
      throw new HttpError(405, 'method-not-allowed', `${req.method} is not allowed on /${segments.join('/')}`, 'see the API table in the README', { Allow: 'GET, POST' });
    }
    if (!m) throw notFound(`no API route /${segments.join('/')}`, 'the routes are listed in the README (GET /api/runs, POST /api/next, …)');
    const body = () => readJsonBody(req, limits.bodyBytes);
    const id = m.id ?? '';
    switch (m.name) {
      case 'runs': return json(res, 200, runsHandler(registry, jobs, display(o.dataDir)));
      case 'run': return json(res, 200, runHandler(registry, roots, jobs, id));
      case 'tokenizerJson': return tokenizerJsonHandler(registry, roots, id, res);
      case 'checkpoint': return checkpointHandler(registry, id, res);
      case 'metrics': return metricsHandler(registry, roots, [id], query.get('once') === '1', req, res);
      case 'metricsMany': return metricsHandler(registry, roots, (query.get('runs') ?? '').split(',').filter(Boolean), query.get('once') === '1', req, res);
      case 'next': return json(res, 200, await nextHandler(registry, await body()));
      case 'tokenize': return json(res, 200, tokenizeHandler(registry, await body()));
      case 'score': return json(res, 200, await scoreHandler(registry, await body()));
      case 'inside': return json(res, 200, await insideHandler(registry, await body()));
      case 'generate': return generateHandler(registry, stats, await body(), req, res);
      case 'train': {
        const f = new Fields(await body());
        const name = f.str('name');
        const model = f.optObject('model');
        const train = f.optObject('train');
        const minutes = f.optNum('minutes', { above: 0, max: 24 * 60 });
        f.done();
        if (!model) throw new HttpError(400, 'bad-request', "the request lacks 'model'", 'add "model": {"type": "transformer", …}');
        const job = jobs.start({ name, model, train, minutes }, (x) => registry.entries().some((e) => e.id === x));
        return json(res, 202, { run: name, job });
      }
      case 'stop': {
        registry.entry(id);
        return json(res, 202, { run: id, job: jobs.stop(id) });
      }
      case 'resume': {
        const f = new Fields(await body());
        const minutes = f.optNum('minutes', { above: 0, max: 24 * 60 });
        f.done();
        return json(res, 202, { run: id, job: jobs.resume(id, minutes) });
      }
      case 'health': {
        const mem = process.memoryUsage();
        const cpu = process.cpuUsage();
        const h: HealthResponse = {
          ok: true, uptimeSeconds: (performance.now() - started) / 1000, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, cpuSeconds: (cpu.user + cpu.system) / 1e6,
          activeGenerations: stats.active, cancelledGenerations: stats.cancelled, requests: stats.requests, loaded: registry.loadedRuns(),
        };
        return json(res, 200, h);
      }
      default:
        return m.name satisfies never;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    stats.requests++;
    try {
      checkCaller(req);
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://localhost');
      } catch {
        throw notFound();
      }
      let segments: string[];
      try {
        segments = url.pathname.split('/').slice(1).map((s) => decodeURIComponent(s));
      } catch {
        throw notFound('the path is not valid percent-encoding');
      }
      if (segments[0] === 'api') return await api(req, res, segments, url.searchParams);
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method-not-allowed', `${req.method} is not allowed here`, undefined, { Allow: 'GET, HEAD' });
      // Looked up in the table of built files by the raw pathname: nothing is joined to a folder.
      const a = assets.get(url.pathname);
      if (!a) throw notFound(`no page file ${url.pathname.slice(0, 200)}`, 'the page is at /');
      sendAsset(req, res, a);
    } catch (err) {
      const r = errorResponse(err);
      if (r.internal) log(`slm serve: internal error on ${req.method} ${req.url}: ${(err as Error)?.stack ?? String(err)}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // A body we stopped reading (too large) cannot be drained safely: answer, then close.
      const close: Record<string, string> = r.status === 413 ? { Connection: 'close' } : {};
      json(res, r.status, r.body, { ...r.headers, ...close });
      if (r.status === 413) res.on('finish', () => req.destroy());
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new ConfigError(`port ${o.port} on ${host} is taken`, 'choose another with --port N, or --port 0 for any free one'));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new ConfigError(`cannot listen on ${host}: ${err.code}`, 'use --host 127.0.0.1, or an address of this machine'));
      else reject(err);
    });
    server.listen(o.port ?? 0, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  if (!isLoopback(host)) {
    log(`slm serve: warning: listening on ${host}, not only this machine: anyone who can reach it can use these runs (and start training if --runs and --data are set)`);
  }
  return {
    url: `http://${urlHost}:${port}/`, host, port, server, registry, jobs, roots, stats,
    close: async () => {
      await jobs.closeAll();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
