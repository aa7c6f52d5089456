/**
 * Run folders. A training run writes into RUN_DIR:
 *   model.safetensors      parameters by PyTorch-style name (readable by Python's safetensors)
 *   optimizer.safetensors  AdamW moments as `<param>.exp_avg` / `<param>.exp_avg_sq`
 *   config.json            {model: ModelConfig, train: TrainConfig, slmkit: version}
 *   tokenizer.json         the tokenizer the data was prepared with
 *   trainer.json           step, epoch, position in the epoch, RNG states, last metrics
 * Each file carries the step it belongs to, and loading checks that they agree. A checkpoint is
 * saved as one transaction (saveCheckpoint): every file is first written completely beside its
 * target as NAME.next, trainer.json.next last — its arrival is the commit — and only then renamed
 * over the old files. A process killed before the commit leaves the previous checkpoint untouched
 * (the .next files are dropped); one killed during the renames leaves a commit that
 * recoverCheckpoint finishes. The tensor files carry CRC-32s (io/safetensors.ts) and trainer.json
 * its own and those of config.json and tokenizer.json (sealJson), so damage is reported, not resumed.
 */
import { existsSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Module } from '../nn/module.js';
import type { Optimizer, OptimizerState } from '../optim/optimizer.js';
import { SlmError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { fsyncDir, removeStaleTemps, writeFileAtomic } from './atomic.js';
import { crc32, crc32Hex } from './checksum.js';
import { faultPoint } from './faults.js';
import { CheckpointError, encodeSafetensorsFile, loadSafetensors, loadSafetensorsAsync, saveSafetensors, type SafetensorsFile } from './safetensors.js';

export const RUN_FILES = {
  model: 'model.safetensors',
  optimizer: 'optimizer.safetensors',
  config: 'config.json',
  tokenizer: 'tokenizer.json',
  trainer: 'trainer.json',
  metrics: 'metrics.jsonl',
} as const;

/** Suffix of a file written for the next checkpoint, before the commit renames it into place. */
export const NEXT = '.next';

/** The files a checkpoint transaction writes, in order; trainer.json (the commit) is last. */
const CHECKPOINT_FILES = [RUN_FILES.optimizer, RUN_FILES.model, RUN_FILES.trainer] as const;

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function readJson<T>(path: string, what: string): T {
  if (!existsSync(path)) throw new CheckpointError(`${what} not found: ${path}`, 'is this a run folder written by slm train?');
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw new CheckpointError(`${path} is not valid JSON (${(err as Error).message})`, 'the file is damaged; restore it or train again');
  }
}

/** The CRC-32 of a file's bytes as 8 hex digits, or null when it does not exist. */
export function fileCrc(path: string): string | null {
  return existsSync(path) ? crc32Hex(crc32(readFileSync(path))) : null;
}

/** JSON text of `value` with a `checksum` field last: the CRC-32 of the same text without it. */
export function sealJson(value: Record<string, unknown>): string {
  const { checksum: _, ...rest } = value;
  const body = JSON.stringify(rest, null, 2);
  return `${JSON.stringify({ ...rest, checksum: `crc32:${crc32Hex(crc32(Buffer.from(body, 'utf8')))}` }, null, 2)}\n`;
}

/**
 * Checks the `checksum` field of parsed JSON written by sealJson; returns whether there was one
 * (files written before checksums have none and are not checked).
 */
export function verifySealedJson(value: Record<string, unknown>, path: string): boolean {
  if (!('checksum' in value)) return false;
  const { checksum, ...rest } = value;
  const want = typeof checksum === 'string' ? /^crc32:([0-9a-f]{8})$/.exec(checksum)?.[1] : undefined;
  const got = crc32Hex(crc32(Buffer.from(JSON.stringify(rest, null, 2), 'utf8')));
  if (want !== got) {
    throw new CheckpointError(`${path} is damaged or was edited: its checksum does not match its content (CRC-32 ${got}, recorded ${String(checksum)})`,
      'restore the file from a copy, or start a new run; slm train writes this file itself, so it should not be edited');
  }
  return true;
}

function modelTensors(model: Module): Record<string, Tensor> {
  return model.stateDict();
}

/** Saves the model's parameters with the step in the metadata (best/ weights, weights-only runs). */
export function saveModelWeights(dir: string, model: Module, step: number, name: string = RUN_FILES.model): void {
  saveSafetensors(join(dir, name), modelTensors(model), { format: 'pt', step: String(step) });
}

function modelFile(dir: string): string {
  const path = join(dir, RUN_FILES.model);
  if (!existsSync(path)) {
    throw new CheckpointError(`no checkpoint in ${dir}: ${RUN_FILES.model} is missing`, 'train a model with slm train --out DIR first');
  }
  return path;
}

/** Puts the tensors read from `path` into `model`; returns the file's step. */
function fillModel(path: string, model: Module, { tensors, metadata }: SafetensorsFile): number {
  try {
    model.loadStateDict(tensors);
  } catch (err) {
    throw new CheckpointError(`${path} does not fit the model in ${RUN_FILES.config}: ${(err as Error).message}`, err instanceof SlmError ? err.hint : undefined);
  }
  return stepOf(metadata, path);
}

/** Loads model.safetensors into `model` (shapes, names and checksums checked); returns the file's step. */
export function loadModelWeights(dir: string, model: Module): number {
  const path = modelFile(dir);
  // Parameters whose name and shape match are read straight into (no second copy of the weights).
  return fillModel(path, model, loadSafetensors(path, Object.fromEntries(model.namedParameters())));
}

/** loadModelWeights reading in pieces, the thread free between them (a server stays responsive). */
export async function loadModelWeightsAsync(dir: string, model: Module): Promise<number> {
  const path = modelFile(dir);
  return fillModel(path, model, await loadSafetensorsAsync(path, Object.fromEntries(model.namedParameters())));
}

function stepOf(metadata: Record<string, string>, path: string): number {
  const step = Number(metadata.step ?? 0);
  if (!Number.isSafeInteger(step) || step < 0) throw new CheckpointError(`${path} records step ${JSON.stringify(metadata.step)}, not a step number`, 'the file is damaged; restore it or start a new run');
  return step;
}

/** The optimizer's moments by parameter name, and step/lr for the metadata. */
function optimizerFile(model: Module, opt: Optimizer, step: number): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const names = optimizerNames(model, opt);
  const st = opt.stateDict();
  const tensors: [string, Tensor][] = [];
  st.params.forEach((ps, i) => {
    for (const [k, buf] of Object.entries(ps)) tensors.push([`${names[i]}.${snake(k)}`, new Tensor(buf, [buf.length])]);
  });
  return { tensors: Object.fromEntries(tensors), metadata: { step: String(step), optimizerStep: String(st.step), lr: String(st.lr) } };
}

/** Saves optimizer moments by parameter name, and step/lr in the metadata. */
export function saveOptimizer(dir: string, model: Module, opt: Optimizer, step: number): void {
  const f = optimizerFile(model, opt, step);
  saveSafetensors(join(dir, RUN_FILES.optimizer), f.tensors, f.metadata);
}

/** Restores optimizer moments saved by saveOptimizer; returns the file's step. */
export function loadOptimizer(dir: string, model: Module, opt: Optimizer): number {
  const path = join(dir, RUN_FILES.optimizer);
  const { tensors, metadata } = loadSafetensors(path);
  const names = optimizerNames(model, opt);
  const params = names.map((n) => {
    const ps: Record<string, Float32Array> = {};
    for (const [key, t] of Object.entries(tensors)) {
      if (key.startsWith(`${n}.`) && !key.slice(n.length + 1).includes('.')) ps[camel(key.slice(n.length + 1))] = t.f32(key);
    }
    return ps;
  });
  const optimizerStep = Number(metadata.optimizerStep ?? 0);
  const lr = Number(metadata.lr ?? opt.lr);
  if (!Number.isSafeInteger(optimizerStep) || optimizerStep < 0 || !Number.isFinite(lr)) {
    throw new CheckpointError(`${path} records optimizer step ${JSON.stringify(metadata.optimizerStep)} and lr ${JSON.stringify(metadata.lr)}`, 'the file is damaged; restore it or start a new run');
  }
  const state: OptimizerState = { step: optimizerStep, lr, params };
  try {
    opt.loadStateDict(state);
  } catch (err) {
    throw new CheckpointError(`${path} does not fit the optimizer: ${(err as Error).message}`, err instanceof SlmError ? err.hint : 'the file is damaged or comes from another run');
  }
  return stepOf(metadata, path);
}

export interface CheckpointParts {
  model: Module;
  /** Absent for weights-only runs (saveOptimizer off). */
  optimizer?: Optimizer;
  step: number;
  /** trainer.json's content; sealed with its checksum here. */
  state: Record<string, unknown>;
}

/**
 * Saves a checkpoint as one transaction (see the file comment): after it returns, the folder holds
 * the new checkpoint; if the process dies inside it, the folder holds the old one or a commit that
 * recoverCheckpoint completes. On an error (a full disk) the .next files are removed, the old
 * checkpoint stays as it was, and the error is rethrown.
 */
export function saveCheckpoint(dir: string, p: CheckpointParts): void {
  if (existsSync(join(dir, RUN_FILES.trainer + NEXT))) commitNext(dir); // an earlier commit cut short: finish it first
  discardNext(dir);
  try {
    if (p.optimizer) {
      const f = optimizerFile(p.model, p.optimizer, p.step);
      writeFileAtomic(join(dir, RUN_FILES.optimizer + NEXT), encodeSafetensorsFile(f.tensors, f.metadata));
    }
    writeFileAtomic(join(dir, RUN_FILES.model + NEXT), encodeSafetensorsFile(modelTensors(p.model), { format: 'pt', step: String(p.step) }));
    writeFileAtomic(join(dir, RUN_FILES.trainer + NEXT), sealJson(p.state)); // the commit
  } catch (err) {
    discardNext(dir);
    throw err;
  }
  commitNext(dir);
}

/** Renames the .next files over the old ones, trainer.json last (idempotent: renamed ones are gone). */
function commitNext(dir: string): void {
  for (const name of CHECKPOINT_FILES) {
    const next = join(dir, name + NEXT);
    if (!existsSync(next)) continue;
    faultPoint(`commit:${name}`);
    renameSync(next, join(dir, name));
  }
  fsyncDir(dir);
}

function discardNext(dir: string): void {
  for (const name of CHECKPOINT_FILES) {
    try { unlinkSync(join(dir, name + NEXT)); } catch { /* absent */ }
  }
  removeStaleTemps(dir, CHECKPOINT_FILES.map((n) => n + NEXT));
}

/** Drops an unfinished checkpoint transaction and dead writers' temporary files (a fresh run in an old folder). */
export function discardPendingCheckpoint(dir: string): void {
  discardNext(dir);
  removeStaleTemps(dir, [...CHECKPOINT_FILES, RUN_FILES.config, RUN_FILES.tokenizer, RUN_FILES.metrics]);
}

/**
 * Brings a run folder whose writer died back to one whole checkpoint (call it holding the folder's
 * lock): a committed transaction (trainer.json.next present) is completed, an uncommitted one is
 * dropped, and temporary files of dead writers are removed. Returns what it did.
 */
export function recoverCheckpoint(dir: string): 'none' | 'completed' | 'discarded' {
  const names = [...CHECKPOINT_FILES, ...CHECKPOINT_FILES.map((n) => n + NEXT), RUN_FILES.config, RUN_FILES.tokenizer, RUN_FILES.metrics];
  removeStaleTemps(dir, names);
  if (existsSync(join(dir, RUN_FILES.trainer + NEXT))) {
    commitNext(dir);
    return 'completed';
  }
  const pending = CHECKPOINT_FILES.some((n) => existsSync(join(dir, n + NEXT)));
  discardNext(dir);
  return pending ? 'discarded' : 'none';
}

/** The model's name of each of the optimizer's parameters, in the optimizer's order (its groups may reorder them). */
function optimizerNames(model: Module, opt: Optimizer): string[] {
  const byTensor = new Map(model.namedParameters().map(([n, t]) => [t, n]));
  return opt.params.map((p, i) => {
    const n = byTensor.get(p);
    if (n === undefined) throw new CheckpointError(`the optimizer's parameter ${i} is not a parameter of the model`, 'build the optimizer from model.parameters()');
    return n;
  });
}

function snake(k: string): string {
  return k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function camel(k: string): string {
  return k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}
