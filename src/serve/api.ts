/**
 * The JSON API of `slm serve`, described once for both sides: the server (src/serve/) answers
 * these routes and the page (web/) calls them, type-checked against the same declarations. Runs
 * are named by id, never by a path. Every error is `{error: {code, message, hint}}` with a 4xx
 * (the request) or 5xx (the server) status. This file imports nothing, so the page bundles it.
 */

/** Every route: method and path (`:id` is a run id or a training job's run id). */
export const routes = {
  runs: { method: 'GET', path: '/api/runs', doc: 'the runs served, their families and training jobs' },
  run: { method: 'GET', path: '/api/runs/:id', doc: "one run's info and config.json" },
  tokenizerJson: { method: 'GET', path: '/api/runs/:id/tokenizer', doc: "the run's tokenizer.json (for the page's in-tab model)" },
  checkpoint: { method: 'GET', path: '/api/runs/:id/checkpoint', doc: 'the weights (model.safetensors) or counts (model.ngram), as bytes, for the in-tab model' },
  metrics: { method: 'GET', path: '/api/runs/:id/metrics', doc: 'metrics.jsonl as a live stream (SSE: event metrics {run, lines, reset}); ?once=1 for one JSON answer' },
  metricsMany: { method: 'GET', path: '/api/metrics', doc: 'the same for several runs on one stream: ?runs=id,id,… (a browser holds few connections per server)' },
  next: { method: 'POST', path: '/api/next', doc: 'the most likely next tokens after a text' },
  generate: { method: 'POST', path: '/api/generate', doc: 'a continuation, streamed token by token (NDJSON, or SSE with Accept: text/event-stream)' },
  tokenize: { method: 'POST', path: '/api/tokenize', doc: "a text as the run's tokenizer splits it" },
  score: { method: 'POST', path: '/api/score', doc: 'the loss (surprisal) of every token of a text' },
  inside: { method: 'POST', path: '/api/inside', doc: "a model-specific view: attention maps, the Markov table's row, n-gram counts and back-off" },
  train: { method: 'POST', path: '/api/train', doc: 'start training a new run on the server (needs --runs and --data)' },
  stop: { method: 'POST', path: '/api/train/:id/stop', doc: 'stop a training run (it saves a checkpoint)' },
  resume: { method: 'POST', path: '/api/train/:id/resume', doc: 'resume a stopped run' },
  health: { method: 'GET', path: '/api/health', doc: "the server's memory and work in progress" },
} as const;

export type RouteName = keyof typeof routes;

/** Limits the server enforces (and the page respects). */
export const limits = {
  /** Request bodies, bytes. */
  bodyBytes: 64 * 1024,
  /** Characters of text or prompt. */
  textChars: 20_000,
  /** Tokens of a text to score or look inside (models without a context limit). */
  tokens: 2048,
  /** Tokens one generation may draw. */
  maxNewTokens: 2000,
  /** topK of /api/next and /api/inside. */
  topK: 200,
  /** Tokens of a text whose attention maps are drawn. */
  attentionTokens: 256,
  /** Runs on one metrics stream. */
  metricsRuns: 64,
  /** Generations running at once. */
  generations: 16,
  /** Checkpoints larger than this are not sent to the page (the 3.4 GB Markov table). */
  inTabBytes: 256 * 1024 * 1024,
} as const;

export type ApiErrorCode =
  | 'bad-request' | 'bad-json' | 'unsupported-media-type' | 'too-large' | 'not-found' | 'method-not-allowed' | 'forbidden'
  | 'unknown-run' | 'prompt-too-long' | 'no-checkpoint' | 'busy' | 'conflict' | 'not-available' | 'internal'
  // slmkit's own typed errors keep their codes
  | 'config' | 'shape' | 'dtype' | 'grad' | 'data' | 'checkpoint' | 'training' | 'ngram-format' | 'slm';

export interface ApiError {
  error: { code: ApiErrorCode; message: string; hint?: string };
}

/** A training job started from the page. */
export interface JobInfo {
  state: 'running' | 'stopping' | 'stopped' | 'done' | 'failed';
  /** The command the server ran, as you would type it. */
  command: string;
  /** The last lines it printed. */
  log: string[];
  exitCode: number | null;
}

export interface TokenizerInfo {
  vocabSize: number;
  /** The tokenizer's model: WordPiece, BPE, … */
  model: string;
  lowercase: boolean;
  /** The run's document limit in tokens (its data's --max-tokens), when recorded. */
  maxLength: number | null;
}

export interface RunInfo {
  id: string;
  /** The model type (markov, lowrank, transformer, ngram, …). */
  type: string;
  kind: 'neural' | 'counted';
  /** "transformer post-ln 6×128", "ngram 3 kn". */
  description: string;
  /** The family's one-line title. */
  title: string;
  /** Trainable parameters (neural), or stored n-grams (counted). */
  parameters: number;
  /** Tokens the next-token distribution depends on (null until the model is loaded, for neural runs). */
  contextSize: number | null;
  /** The longest input the model reads (null: any length, or not loaded yet). */
  maxSequence: number | null;
  tokenizer: TokenizerInfo;
  /** Where the run lives, for the commands the page shows. */
  path: string;
  /** A checkpoint is there to load. */
  ready: boolean;
  /** Steps trained (0 for counted models), as the checkpoint says. */
  step: number;
  /** The last held-out loss recorded, nats per token. */
  testLoss: number | null;
  /** Bytes of the checkpoint file. */
  checkpointBytes: number;
  /** Small enough for the page to load in the tab. */
  inTab: boolean;
  /** Its weights are in the server's memory. */
  loaded: boolean;
  /** A training job the server started, when there is one. */
  job: JobInfo | null;
}

export interface FamilyInfo {
  type: string;
  kind: 'neural' | 'counted';
  title: string;
  /** Settable keys with defaults (the model's configuration door). */
  keys: { key: string; kind: string; default: unknown; doc: string; choices?: readonly string[] }[];
  /** A small configuration that trains in seconds (for the page's in-tab model). */
  tiny: Record<string, unknown>;
}

export interface RunsResponse {
  runs: RunInfo[];
  families: FamilyInfo[];
  /** POST /api/train works (the server was given --runs and --data). */
  canTrain: boolean;
  /** The data folder training uses, for the commands shown. */
  data: string | null;
}

export interface RunResponse {
  info: RunInfo;
  /** config.json as written by slm train. */
  config: Record<string, unknown>;
}

export interface NextRequest {
  run: string;
  text: string;
  /** Default 10, at most limits.topK. */
  topK?: number;
  /** Default 1. */
  temperature?: number;
}

export interface TokenP {
  id: number;
  token: string;
  p: number;
}

export interface NextResponse {
  run: string;
  /** append: the text choosing this token adds (a leading space for a new word, none for a ## piece). */
  tokens: (TokenP & { logit: number; append: string })[];
  /** Tokens of the text (special tokens included, the end token dropped). */
  promptTokens: number;
  /** Tokens the model read (its context). */
  contextTokens: number;
  /** Entropy of the distribution, nats. */
  entropy: number;
}

export interface GenerateRequest {
  run: string;
  prompt: string;
  /** Default 30 (the notebook's), at most limits.maxNewTokens. */
  maxNewTokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  /** Default 42, as slm generate. */
  seed?: number;
  greedy?: boolean;
  /** Keep drawing past the end-of-document token (slm generate --past-end). */
  pastEnd?: boolean;
}

/** One line of the NDJSON stream (or one SSE event, named by `type`). */
export type GenerateEvent =
  | { type: 'start'; run: string; promptTokens: number; contextSize: number; cut: boolean }
  | { type: 'token'; index: number; id: number; token: string; delta: string; text: string }
  | { type: 'done'; text: string; ids: number[]; newTokens: number; stop: 'end' | 'length' }
  | ({ type: 'error' } & ApiError);

export interface TokenizeRequest {
  run: string;
  text: string;
  /** Truncate to this many tokens, special tokens included (default: the run's limit, else 512). */
  maxLength?: number;
  /** Force lowercasing on or off (default: as the run's tokenizer does). */
  lowercase?: boolean;
}

export interface TokenPiece {
  id: number;
  token: string;
  /** A special token ([CLS], [SEP], <s>, …). */
  special: boolean;
  /** A word-piece continuation (## in WordPiece). */
  continuation: boolean;
  /** False for the tokens truncation drops. */
  kept: boolean;
}

export interface TokenizeResponse {
  run: string;
  /** Every token of the text; those truncation drops have kept: false. */
  tokens: TokenPiece[];
  /** Tokens dropped by truncation. */
  dropped: number;
  maxLength: number;
  /** Lowercasing as applied here, and as the run's tokenizer does it. */
  lowercase: boolean;
  runLowercases: boolean;
  /** The kept ids decoded back to text. */
  decoded: string;
}

export interface ScoreRequest {
  run: string;
  text: string;
}

export interface ScoredPiece extends TokenP {
  /** −ln p, nats; null for the first token (given, not predicted) and where p is 0. */
  loss: number | null;
}

export interface ScoreResponse {
  run: string;
  tokens: ScoredPiece[];
  totalLoss: number | null;
  meanLoss: number | null;
  bitsPerToken: number | null;
  /** Tokens scored (all but the first). */
  scored: number;
}

export interface InsideRequest {
  run: string;
  text: string;
  /** Attention: the layer to draw (default the last). */
  layer?: number;
  /** Attention: the head (default: the mean over heads, -1). */
  head?: number;
  /** Row: the token whose row to show (default the text's last). */
  token?: number;
  topK?: number;
}

export type InsideResponse =
  | {
    view: 'attention'; run: string; layers: number; heads: number; layer: number; head: number;
    /** The tokens read. */
    tokens: string[];
    /** (T,T): row i is how position i spreads its attention over positions 0..i. */
    weights: number[][];
  }
  | { view: 'row'; run: string; token: TokenP & { p: 1 }; top: (TokenP & { logit: number })[]; aboveUniform: number; vocabSize: number }
  | {
    view: 'ngram'; run: string; order: number; smoothing: string; usedOrder: number;
    orders: {
      order: number; context: string[]; seen: boolean; total: number; types: number;
      discounts: [number, number, number] | null; backoff: number | null; top: (TokenP & { count: number })[];
    }[];
  }
  | { view: 'none'; run: string; why: string };

export interface TrainRequest {
  /** The new run's id (its folder under --runs). */
  name: string;
  /** Model section of the run's config (type and its keys). */
  model: Record<string, unknown>;
  /** Training section (maxSteps, batchSize, lr, evalEvery, …). */
  train?: Record<string, unknown>;
  /** Stop after this many minutes of training. */
  minutes?: number;
}

export interface ResumeRequest {
  minutes?: number;
}

export interface JobResponse {
  run: string;
  job: JobInfo;
}

/** One SSE `metrics` event: complete lines of metrics.jsonl; reset: replace what came before. */
export interface MetricsEvent {
  run: string;
  lines: string[];
  reset: boolean;
}

export interface HealthResponse {
  ok: true;
  uptimeSeconds: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** CPU time the server process has used (user + system), seconds. */
  cpuSeconds: number;
  activeGenerations: number;
  cancelledGenerations: number;
  requests: number;
  /** Runs whose weights are in memory, and how often each was loaded. */
  loaded: { id: string; loads: number }[];
}

/** The path of a route with its :id filled in. */
export function routePath(name: RouteName, id?: string): string {
  const p: string = routes[name].path;
  return id === undefined ? p : p.replace(':id', encodeURIComponent(id));
}
