/**
 * The runs the server serves, by id: the run folders it was given and the folders inside --runs
 * (scanned again on every listing, so a run started by `slm train` in another terminal appears).
 * Each run's model is loaded on first use, once, and shared by every request (the 3.4 GB Markov
 * table is read one time, however many requests arrive while it loads); a newer checkpoint (a run
 * still training) is loaded on the next use after it lands. Run info is read from the small files
 * of the folder and cached until they change.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, relative, isAbsolute } from 'node:path';
import { RUN_FILES } from '../io/checkpoint.js';
import { checkRunPath, openRunAsync } from '../io/run.js';
import type { LanguageModel } from '../models/model.js';
import { countParameters, describeModel, families, resolveAnyConfig, resolveModelConfig } from '../models/registry.js';
import { NGRAM_FILE } from '../ngram/files.js';
import { CheckpointError } from '../tensor/errors.js';
import { tokenizerFromJson } from '../tokenizer/hfTokenizer.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { lowercases, withLowercase } from '../tokenizer/variants.js';
import { limits, type JobInfo, type RunInfo, type TokenizerInfo } from './api.js';
import { HttpError } from './errors.js';
import type { Roots } from './roots.js';

/** Run ids: what the URL and the API name a run by. */
export const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export interface RunEntry {
  id: string;
  /** Real path of the folder. */
  dir: string;
  /** The path as the user would type it (relative to the working folder when inside it). */
  display: string;
}

/** A run's model in memory, shared by all requests. */
export interface LoadedModel {
  id: string;
  model: LanguageModel;
  tokenizer: Tokenizer;
  config: Record<string, unknown>;
  step: number;
}

interface CacheSlot<T> {
  key: string;
  value: T;
}

/** A file's identity for caches: mtime and size, or '-' when absent. */
function stamp(path: string | null): string {
  if (path === null) return '-';
  try {
    const s = statSync(path);
    return `${s.mtimeMs}:${s.size}`;
  } catch {
    return '-';
  }
}

function readJsonFile(path: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof v === 'object' && v !== null ? v as Record<string, unknown> : null;
  } catch {
    return null; // half-written by a run in progress, or damaged: the listing says what it can
  }
}

export class RunRegistry {
  private readonly given: RunEntry[] = [];
  private readonly idsByDir = new Map<string, string>();
  private readonly infos = new Map<string, CacheSlot<Omit<RunInfo, 'loaded' | 'job'>>>();
  private readonly tokenizers = new Map<string, CacheSlot<{ tokenizer: Tokenizer; info: TokenizerInfo }>>();
  private readonly variants = new Map<string, CacheSlot<Tokenizer>>();
  private readonly models = new Map<string, { key: string; promise: Promise<LoadedModel> }>();
  private readonly inMemory = new Map<string, LoadedModel>();
  /** Loads per run id (a test and /api/health read it: the Markov table must load once). */
  readonly loads = new Map<string, number>();

  constructor(private readonly roots: Roots, o: { runDirs: readonly string[]; runsRoot?: string | null; cwd?: string }) {
    this.cwd = o.cwd ?? process.cwd();
    this.runsRoot = o.runsRoot ? roots.add(o.runsRoot) : null;
    for (const d of o.runDirs) {
      checkRunPath(d);
      if (!existsSync(`${d}/${RUN_FILES.config}`)) {
        throw new CheckpointError(`${d} is not a run folder: it has no ${RUN_FILES.config}`, 'pass the --out folder of slm train or slm run');
      }
      const dir = roots.add(d);
      if (this.given.some((e) => e.dir === dir)) continue;
      this.given.push({ id: this.idFor(dir), dir, display: this.displayPath(dir) });
    }
  }

  private readonly cwd: string;
  readonly runsRoot: string | null;

  private displayPath(dir: string): string {
    const rel = relative(this.cwd, dir);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : dir;
  }

  /** A stable id per folder: its name, made URL-safe, with -2, -3 … when taken. */
  private idFor(dir: string): string {
    const known = this.idsByDir.get(dir);
    if (known) return known;
    const base = basename(dir).replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 90) || 'run';
    const taken = new Set(this.idsByDir.values());
    let id = base;
    for (let k = 2; taken.has(id); k++) id = `${base}-${k}`;
    this.idsByDir.set(dir, id);
    return id;
  }

  /** Every run: the given folders, then those inside --runs (sorted by name). */
  entries(): RunEntry[] {
    const out = [...this.given];
    if (this.runsRoot) {
      let names: string[] = [];
      try {
        names = readdirSync(this.runsRoot, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
      } catch {
        names = [];
      }
      for (const name of names) {
        const dir = this.roots.resolve(`${this.runsRoot}/${name}`);
        if (!dir || out.some((e) => e.dir === dir) || !this.roots.maybeFile(dir, RUN_FILES.config)) continue;
        out.push({ id: this.idFor(dir), dir, display: this.displayPath(dir) });
      }
    }
    return out;
  }

  /** The run with this id; a 404 naming the known ids otherwise. */
  entry(id: string): RunEntry {
    const e = RUN_ID.test(id) ? this.entries().find((x) => x.id === id) : undefined;
    if (!e) {
      const known = this.entries().map((x) => x.id);
      throw new HttpError(404, 'unknown-run', `no run with id ${JSON.stringify(id.slice(0, 120))}`,
        known.length ? `the runs served: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', …' : ''} (GET /api/runs)` : 'the server serves no runs: start it with slm serve RUN_DIR…');
    }
    return e;
  }

  /** The model file of a run: model.safetensors, or model.ngram for counted runs. */
  modelFile(e: RunEntry): string | null {
    return this.roots.maybeFile(e.dir, RUN_FILES.model) ?? this.roots.maybeFile(e.dir, NGRAM_FILE);
  }

  /** The run's tokenizer and what the page shows about it (cached while tokenizer.json is unchanged). */
  tokenizerOf(e: RunEntry): { tokenizer: Tokenizer; info: TokenizerInfo } {
    const path = this.roots.file(e.dir, RUN_FILES.tokenizer);
    const key = stamp(path);
    const slot = this.tokenizers.get(e.dir);
    if (slot && slot.key === key) return slot.value;
    const json = JSON.parse(readFileSync(path, 'utf8')) as { model?: { type?: unknown } };
    const tokenizer = tokenizerFromJson(json, { source: path });
    const value = {
      tokenizer,
      info: { vocabSize: tokenizer.vocabSize, model: String(json.model?.type ?? 'unknown'), lowercase: lowercases(tokenizer), maxLength: null },
    };
    this.tokenizers.set(e.dir, { key, value });
    return value;
  }

  /** The run's tokenizer with lowercasing forced on or off (cached like tokenizerOf). */
  tokenizerVariant(e: RunEntry, lowercase: boolean): Tokenizer {
    const base = this.tokenizerOf(e);
    if (base.info.lowercase === lowercase) return base.tokenizer;
    const key = `${this.tokenizers.get(e.dir)!.key}|${lowercase}`;
    const slot = this.variants.get(e.dir);
    if (slot && slot.key === key) return slot.value;
    const value = withLowercase(base.tokenizer, lowercase);
    this.variants.set(e.dir, { key, value });
    return value;
  }

  /** What GET /api/runs says about a run. */
  info(e: RunEntry, job: JobInfo | null): RunInfo {
    const files = [RUN_FILES.config, RUN_FILES.trainer, RUN_FILES.tokenizer, RUN_FILES.model, NGRAM_FILE].map((n) => this.roots.maybeFile(e.dir, n));
    const key = files.map(stamp).join('|');
    let slot = this.infos.get(e.dir);
    if (!slot || slot.key !== key) {
      slot = { key, value: this.readInfo(e, files) };
      this.infos.set(e.dir, slot);
    }
    const loaded = this.inMemory.get(e.id);
    if (!loaded) return { ...slot.value, loaded: false, job };
    return { ...slot.value, contextSize: loaded.model.contextSize, maxSequence: loaded.model.maxSequence ?? null, loaded: true, job };
  }

  private readInfo(e: RunEntry, [configPath, trainerPath, , modelPath, ngramPath]: (string | null)[]): Omit<RunInfo, 'loaded' | 'job'> {
    const config = configPath ? readJsonFile(configPath) ?? {} : {};
    const raw = (typeof config.model === 'object' && config.model !== null ? config.model : {}) as Record<string, unknown>;
    const type = typeof raw.type === 'string' ? raw.type : 'unknown';
    const family = families.find((f) => f.type === type);
    let description = type;
    let parameters = 0;
    let contextSize: number | null = null;
    try {
      const resolved = resolveAnyConfig(raw);
      description = describeModel(resolved);
      if (family?.kind === 'neural') parameters = countParameters(resolveModelConfig(raw));
    } catch {
      description = `${type} (a configuration this slmkit cannot read)`;
    }
    const report = (config.report ?? {}) as { ngrams?: unknown; test?: { loss?: unknown } };
    if (family?.kind === 'counted') {
      parameters = Array.isArray(report.ngrams) ? report.ngrams.reduce((a: number, x) => a + (typeof x === 'number' ? x : 0), 0) : 0;
      contextSize = typeof raw.order === 'number' ? Math.max(1, raw.order - 1) : null;
    }
    const trainer = trainerPath ? readJsonFile(trainerPath) : null;
    const modelFile = modelPath ?? ngramPath;
    let tokenizer: TokenizerInfo = { vocabSize: typeof raw.vocabSize === 'number' ? raw.vocabSize : 0, model: 'unknown', lowercase: false, maxLength: null };
    try {
      tokenizer = this.tokenizerOf(e).info;
    } catch {
      // no tokenizer.json yet (a run just starting): the listing shows the vocabulary from the config
    }
    const bytes = modelFile ? statSync(modelFile).size : 0;
    const testLoss = family?.kind === 'counted' ? report.test?.loss : trainer?.lastTestLoss;
    return {
      id: e.id, type, kind: family?.kind ?? 'neural', description, title: family?.title ?? 'a model family this slmkit does not know',
      parameters, contextSize, maxSequence: null, tokenizer, path: e.display,
      ready: modelFile !== null,
      step: typeof trainer?.step === 'number' ? trainer.step : 0,
      testLoss: typeof testLoss === 'number' ? testLoss : null,
      checkpointBytes: bytes, inTab: modelFile !== null && bytes <= limits.inTabBytes,
    };
  }

  /**
   * The run's model, loaded on first use and shared; requests that arrive while it loads wait for
   * the same load. A checkpoint newer than the one in memory is loaded on the next call.
   */
  load(id: string): Promise<LoadedModel> {
    const e = this.entry(id);
    const file = this.modelFile(e);
    if (file === null) {
      throw new HttpError(409, 'no-checkpoint', `run ${id} has no checkpoint yet`, 'wait for its first checkpoint (slm train saves one each epoch, or every --save-every steps)');
    }
    const key = stamp(file);
    const cached = this.models.get(id);
    if (cached && (cached.key === key || cached.key === 'loading')) return cached.promise;
    const slot = { key: 'loading', promise: Promise.resolve() as unknown as Promise<LoadedModel> };
    this.models.set(id, slot); // before any work, so that a load failing at once is not kept
    // Weights are read in pieces (openRunAsync): other requests are answered while a big table loads.
    slot.promise = (async () => {
      try {
        for (const n of [RUN_FILES.config, RUN_FILES.tokenizer]) this.roots.file(e.dir, n);
        const run = await openRunAsync(e.dir);
        this.loads.set(id, (this.loads.get(id) ?? 0) + 1);
        slot.key = key;
        const loaded = { id, model: run.model, tokenizer: run.tokenizer, config: run.config, step: run.step };
        this.inMemory.set(id, loaded);
        return loaded;
      } catch (err) {
        this.models.delete(id);
        throw err;
      }
    })();
    return slot.promise;
  }

  /** Runs in memory and how often each was loaded. */
  loadedRuns(): { id: string; loads: number }[] {
    return [...this.inMemory.keys()].map((id) => ({ id, loads: this.loads.get(id) ?? 0 }));
  }
}
