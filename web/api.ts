/**
 * The page's client of the JSON API: one typed function per route, with the request and response
 * types the server is checked against (src/serve/api.ts). Errors come back as ApiFailure with the
 * server's code, message and hint; generation is read as NDJSON while it streams, and a run's
 * metrics arrive through an EventSource.
 */
import {
  routePath, type ApiError, type GenerateEvent, type GenerateRequest, type InsideRequest, type InsideResponse, type JobResponse, type MetricsEvent,
  type NextRequest, type NextResponse, type ResumeRequest, type RunResponse, type RunsResponse, type ScoreRequest, type ScoreResponse,
  type TokenizeRequest, type TokenizeResponse, type TrainRequest,
} from '../src/serve/api.js';

export class ApiFailure extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly hint?: string) {
    super(message);
  }
}

async function failure(res: Response): Promise<ApiFailure> {
  try {
    const body = (await res.json()) as ApiError;
    return new ApiFailure(res.status, body.error.code, body.error.message, body.error.hint);
  } catch {
    return new ApiFailure(res.status, 'http', `the server answered ${res.status} ${res.statusText}`);
  }
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { signal, headers: { Accept: 'application/json' } });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

async function postJson<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { method: 'POST', signal, headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

export const api = {
  runs: () => getJson<RunsResponse>(routePath('runs')),
  run: (id: string) => getJson<RunResponse>(routePath('run', id)),
  next: (r: NextRequest, signal?: AbortSignal) => postJson<NextResponse>(routePath('next'), r, signal),
  score: (r: ScoreRequest, signal?: AbortSignal) => postJson<ScoreResponse>(routePath('score'), r, signal),
  tokenize: (r: TokenizeRequest, signal?: AbortSignal) => postJson<TokenizeResponse>(routePath('tokenize'), r, signal),
  inside: (r: InsideRequest, signal?: AbortSignal) => postJson<InsideResponse>(routePath('inside'), r, signal),
  train: (r: TrainRequest) => postJson<JobResponse>(routePath('train'), r),
  stop: (id: string) => postJson<JobResponse>(routePath('stop', id), {}),
  resume: (id: string, r: ResumeRequest) => postJson<JobResponse>(routePath('resume', id), r),
  tokenizerJson: (id: string) => getJson<object>(routePath('tokenizerJson', id)),
  checkpoint: async (id: string): Promise<{ bytes: Uint8Array; format: string }> => {
    const res = await fetch(routePath('checkpoint', id));
    if (!res.ok) throw await failure(res);
    return { bytes: new Uint8Array(await res.arrayBuffer()), format: res.headers.get('X-Slm-Format') ?? 'safetensors' };
  },
};

/** POST /api/generate, yielding each event of the NDJSON stream as it arrives. */
export async function* streamGenerate(r: GenerateRequest, signal: AbortSignal): AsyncGenerator<GenerateEvent> {
  const res = await fetch(routePath('generate'), {
    method: 'POST', signal, headers: { 'Content-Type': 'application/json', Accept: 'application/x-ndjson' }, body: JSON.stringify(r),
  });
  if (!res.ok || !res.body) throw await failure(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim()) yield JSON.parse(line) as GenerateEvent;
    }
  }
}

/** Follows the metrics.jsonl of runs on one stream; returns a function that stops following. */
export function followMetrics(ids: readonly string[], onEvent: (e: MetricsEvent) => void): () => void {
  const es = new EventSource(`${routePath('metricsMany')}?runs=${ids.map(encodeURIComponent).join(',')}`);
  es.addEventListener('metrics', (m) => onEvent(JSON.parse((m as MessageEvent<string>).data) as MetricsEvent));
  return () => es.close();
}
