/**
 * Run folders. A training run writes into RUN_DIR:
 *   model.safetensors      parameters by PyTorch-style name (readable by Python's safetensors)
 *   optimizer.safetensors  AdamW moments as `<param>.exp_avg` / `<param>.exp_avg_sq`
 *   config.json            {model: ModelConfig, train: TrainConfig, slmkit: version}
 *   tokenizer.json         the tokenizer the data was prepared with
 *   trainer.json           step, epoch, position in the epoch, RNG states, last metrics
 * Each file is written atomically, and each carries the step it belongs to; loading checks that
 * they agree, so a checkpoint interrupted between two files is reported instead of resumed wrongly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Module } from '../nn/module.js';
import type { Optimizer, OptimizerState } from '../optim/optimizer.js';
import { SlmError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { writeFileAtomic } from './atomic.js';
import { CheckpointError, loadSafetensors, saveSafetensors } from './safetensors.js';

export const RUN_FILES = {
  model: 'model.safetensors',
  optimizer: 'optimizer.safetensors',
  config: 'config.json',
  tokenizer: 'tokenizer.json',
  trainer: 'trainer.json',
  metrics: 'metrics.jsonl',
} as const;

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

/** Saves the model's parameters with the step in the metadata. */
export function saveModelWeights(dir: string, model: Module, step: number): void {
  saveSafetensors(join(dir, RUN_FILES.model), model.stateDict(), { format: 'pt', step: String(step) });
}

/** Loads model.safetensors into `model` (shapes and names checked); returns the file's step. */
export function loadModelWeights(dir: string, model: Module): number {
  const path = join(dir, RUN_FILES.model);
  if (!existsSync(path)) {
    throw new CheckpointError(`no checkpoint in ${dir}: ${RUN_FILES.model} is missing`, 'train a model with slm train --out DIR first');
  }
  // Parameters whose name and shape match are read straight into (no second copy of the weights).
  const { tensors, metadata } = loadSafetensors(path, Object.fromEntries(model.namedParameters()));
  try {
    model.loadStateDict(tensors);
  } catch (err) {
    throw new CheckpointError(`${path} does not fit the model in ${RUN_FILES.config}: ${(err as Error).message}`, err instanceof SlmError ? err.hint : undefined);
  }
  return Number(metadata.step ?? 0);
}

/** Saves optimizer moments by parameter name, and step/lr in the metadata. */
export function saveOptimizer(dir: string, model: Module, opt: Optimizer, step: number): void {
  const names = optimizerNames(model, opt);
  const st = opt.stateDict();
  const tensors: Record<string, Tensor> = {};
  st.params.forEach((ps, i) => {
    for (const [k, buf] of Object.entries(ps)) tensors[`${names[i]}.${snake(k)}`] = new Tensor(buf, [buf.length]);
  });
  saveSafetensors(join(dir, RUN_FILES.optimizer), tensors, {
    step: String(step), optimizerStep: String(st.step), lr: String(st.lr),
  });
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
  const state: OptimizerState = { step: Number(metadata.optimizerStep ?? 0), lr: Number(metadata.lr ?? opt.lr), params };
  opt.loadStateDict(state);
  return Number(metadata.step ?? 0);
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
