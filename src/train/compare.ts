/**
 * The model ladder: any set of run folders (neural or counted) scored on one split with one
 * tokenizer, so their losses per token compare. Each row carries what the run folder recorded
 * about its training (steps, time, peak memory) and, on request, one sample for a prompt.
 * Runs are opened one at a time, so comparing the 3.4 GB Markov table beside others needs only
 * its own memory.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { OpenedData } from '../data/open.js';
import type { TokenSplit } from '../data/split.js';
import { readJson, RUN_FILES } from '../io/checkpoint.js';
import { checkVocab, isNgramRun, openRun, type LoadedNgramRun, type LoadedRun } from '../io/run.js';
import { describeModel } from '../models/registry.js';
import { evaluateNgram } from '../ngram/evaluate.js';
import { generateIds } from '../sample/generate.js';
import { endStopIds, promptIds } from '../sample/prompt.js';
import { ConfigError } from '../tensor/errors.js';
import { Rng } from '../tensor/rng.js';
import { tokenizerFromJson } from '../tokenizer/hfTokenizer.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { evaluate, paddedLength } from './evaluate.js';
import { chooseMicroRows } from './memory.js';

export interface CompareOptions {
  split?: 'test' | 'train';
  /** Documents per evaluation batch (default 32). */
  batchSize?: number;
  /** Activation memory per micro-batch, bytes (default 1 GiB). */
  memoryBudget?: number;
  /** Draw one sample per run from this prompt. */
  prompt?: string;
  maxNewTokens?: number;
  seed?: number;
  /** Called before each run is opened. */
  onRun?: (dir: string, index: number, total: number) => void;
}

export interface CompareRow {
  run: string;
  /** Short description: type and shape ("lowrank d256", "ngram 3 kn", ...). */
  model: string;
  /** Trainable weights, or for an n-gram model the n-grams it stores (all orders). */
  parameters: number;
  parameterKind: 'weights' | 'ngrams';
  /** Optimizer steps (0 for a counted model), null when the run did not record them. */
  steps: number | null;
  /** Training (or counting) time, seconds. */
  trainSeconds: number | null;
  /** Peak resident memory while training, bytes; null for runs written before slmkit recorded it. */
  peakRssBytes: number | null;
  loss: number;
  perplexity: number;
  bitsPerToken: number;
  /** Bits per UTF-8 byte and per character of the text: comparable across tokenizers (null: unknown, see EvalResult). */
  bitsPerByte: number | null;
  bitsPerChar: number | null;
  tokens: number;
  /** Tokens left out of the loss because the model gives them probability 0 (MLE n-grams). */
  zeroProbTokens: number;
  /** Documents longer than the model's context, scored in sliding windows (see evaluate()); 0 for n-grams. */
  windowed: number;
  sample?: string;
}

/** Scores every run on the same split of `data`; fails before any work if a run's tokenizer differs. */
export async function compareRuns(dirs: string[], data: OpenedData, o: CompareOptions = {}): Promise<CompareRow[]> {
  if (dirs.length === 0) throw new ConfigError('nothing to compare', 'give one or more run folders written by slm train');
  // Every folder and tokenizer is checked (small files only) before any model is loaded or scored.
  const want = tokenizerSignature(data.tokenizer);
  for (const d of dirs) {
    if (!existsSync(join(d, RUN_FILES.config))) throw new ConfigError(`${d} is not a run folder: no ${RUN_FILES.config}`, 'pass folders written by slm train --out');
    const path = join(d, RUN_FILES.tokenizer);
    if (tokenizerSignature(tokenizerFromJson(readJson<object>(path, 'tokenizer'), { source: path })) !== want) {
      throw new ConfigError(`${d} was trained with a different tokenizer than the data`,
        'losses per token only compare under one tokenizer: prepare the data with that run\'s tokenizer.json, or compare runs trained on the same data');
    }
  }
  const split = data[o.split ?? 'test'];
  const rows: CompareRow[] = [];
  for (const [i, dir] of dirs.entries()) {
    o.onRun?.(dir, i, dirs.length);
    const run = openRun(dir);
    checkVocab(data.tokenizer, run.modelConfig, dir);
    rows.push(await scoreRun(run, split, o));
  }
  return rows;
}

async function scoreRun(run: LoadedRun | LoadedNgramRun, split: TokenSplit, o: CompareOptions): Promise<CompareRow> {
  const batchSize = o.batchSize ?? 32;
  const base = { run: basename(run.dir) || run.dir };
  let row: CompareRow;
  if (isNgramRun(run)) {
    const r = evaluateNgram(run.model, split, { batchSize });
    const report = (run.config.report ?? {}) as { countSeconds?: number; estimateSeconds?: number; peakRssBytes?: number };
    row = {
      ...base, model: describeModel(run.modelConfig),
      parameters: run.model.ngramCounts().reduce((a, x) => a + x, 0), parameterKind: 'ngrams', steps: 0,
      trainSeconds: report.countSeconds !== undefined ? report.countSeconds + (report.estimateSeconds ?? 0) : null,
      peakRssBytes: report.peakRssBytes ?? null,
      loss: r.loss, perplexity: r.perplexity, bitsPerToken: r.bitsPerToken, bitsPerByte: r.bitsPerByte, bitsPerChar: r.bitsPerChar,
      tokens: r.tokens, zeroProbTokens: r.zeroProbTokens, windowed: 0,
    };
  } else {
    const T = paddedLength(run.model, split);
    const microRows = chooseMicroRows(run.modelConfig, batchSize, Math.max(1, T - 1), o.memoryBudget ?? 1 << 30);
    const r = await evaluate(run.model, split, { batchSize, microRows });
    const st = existsSync(join(run.dir, RUN_FILES.trainer))
      ? readJson<{ step?: number; seconds?: number; peakRssBytes?: number }>(join(run.dir, RUN_FILES.trainer), 'trainer state') : {};
    row = {
      ...base, model: describeModel(run.modelConfig), parameters: run.model.numParameters(), parameterKind: 'weights',
      steps: st.step ?? run.step, trainSeconds: st.seconds ?? null, peakRssBytes: st.peakRssBytes ?? null,
      loss: r.loss, perplexity: r.perplexity, bitsPerToken: r.bitsPerToken, bitsPerByte: r.bitsPerByte, bitsPerChar: r.bitsPerChar,
      tokens: r.tokens, zeroProbTokens: 0, windowed: r.windowed,
    };
  }
  if (o.prompt !== undefined) {
    const ids = promptIds(run.tokenizer, o.prompt);
    const out = [...ids];
    const stopIds = endStopIds(run.tokenizer); // a sample ends with its document
    for (const id of generateIds(run.model, ids, { maxNewTokens: o.maxNewTokens ?? 30, rng: new Rng(o.seed ?? 42), stopIds })) out.push(id);
    row.sample = run.tokenizer.decode(out);
  }
  return row;
}

/** Losses per token only compare under one tokenization: same vocabulary, normalisation, pre-tokenizer. */
export function tokenizerSignature(t: Tokenizer): string {
  const j = t.toJSON();
  return JSON.stringify([j.normalizer, j.pre_tokenizer, j.model]);
}
