/**
 * Opening a run folder for evaluation or generation: config.json → model, model.safetensors →
 * weights, tokenizer.json → tokenizer, with the checks that catch a mismatched or damaged folder.
 * `openRun` also opens count-based n-gram runs (config.json says type 'ngram'; the counts are in
 * model.ngram), which evaluate and sample through the same LanguageModel interface.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createModel, families, resolveModelConfig, type ModelConfig } from '../models/registry.js';
import type { LanguageModel } from '../models/model.js';
import { resolveNgramConfig, type NgramConfig } from '../ngram/config.js';
import { loadNgramModel, NGRAM_FILE } from '../ngram/files.js';
import type { NgramModel } from '../ngram/model.js';
import { ConfigError } from '../tensor/errors.js';
import { withoutRandomInit } from '../tensor/tensor.js';
import { tokenizerFromJson } from '../tokenizer/hfTokenizer.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { loadModelWeights, loadModelWeightsAsync, readJson, RUN_FILES } from './checkpoint.js';
import { CheckpointError } from './safetensors.js';

export interface LoadedRun {
  dir: string;
  model: LanguageModel;
  modelConfig: ModelConfig;
  tokenizer: Tokenizer;
  /** The whole config.json (model, train, data settings). */
  config: Record<string, unknown>;
  step: number;
}

/** A counted n-gram run: config.json (type 'ngram'), tokenizer.json and model.ngram. */
export interface LoadedNgramRun {
  dir: string;
  model: NgramModel;
  modelConfig: NgramConfig;
  tokenizer: Tokenizer;
  config: Record<string, unknown>;
  step: 0;
}

export function isNgramRun(run: LoadedRun | LoadedNgramRun): run is LoadedNgramRun {
  return run.modelConfig.type === 'ngram';
}

/** The files a run folder holds, for recognising one passed instead of its folder. */
const runFileNames = new Set([...Object.values(RUN_FILES), NGRAM_FILE, 'loss.svg']);

/**
 * Throws when `path` is nearly a run folder: a file inside one (pass the folder), or a token
 * store from slm prepare (data, not a model).
 */
export function checkRunPath(path: string): void {
  if (!existsSync(path)) throw new CheckpointError(`run folder not found: ${path}`, 'pass the --out folder of a slm train run');
  if (!statSync(path).isDirectory()) {
    const parent = dirname(path);
    if (runFileNames.has(basename(path)) && existsSync(join(parent, RUN_FILES.config))) {
      throw new CheckpointError(`${path} is a file inside the run folder ${parent}`, `pass the folder: --model ${parent}`);
    }
    throw new CheckpointError(`${path} is a file, not a run folder`, 'pass the --out folder of a slm train run');
  }
  if (existsSync(join(path, 'manifest.json')) && existsSync(join(path, 'train.bin'))) {
    throw new CheckpointError(`${path} is a token store from slm prepare (data), not a run folder`,
      'pass it as --data; --model takes the --out folder of slm train or slm run');
  }
}

/** Whether config.json names a counted family (an n-gram run). */
function isCountedRun(dir: string): boolean {
  if (!existsSync(join(dir, RUN_FILES.config))) return false;
  const model = readJson<Record<string, unknown>>(join(dir, RUN_FILES.config), 'run config').model as { type?: unknown } | null | undefined;
  return typeof model === 'object' && model !== null && families.some((f) => f.kind === 'counted' && f.type === model.type);
}

/** Opens a neural or an n-gram run (isNgramRun tells them apart). */
export function openRun(dir: string): LoadedRun | LoadedNgramRun {
  checkRunPath(dir);
  if (!isCountedRun(dir)) return loadRun(dir); // its errors name what is missing
  const config = readJson<Record<string, unknown>>(join(dir, RUN_FILES.config), 'run config');
  const model = config.model as Record<string, unknown>;
  const modelConfig = resolveNgramConfig(model);
  const tokJson = readJson<object>(join(dir, RUN_FILES.tokenizer), 'tokenizer');
  const tokenizer = tokenizerFromJson(tokJson, { source: join(dir, RUN_FILES.tokenizer) });
  checkVocab(tokenizer, modelConfig, dir);
  const ngram = loadNgramModel(join(dir, NGRAM_FILE));
  const saved = ngram.config;
  if (saved.order !== modelConfig.order || saved.smoothing !== modelConfig.smoothing || saved.vocabSize !== modelConfig.vocabSize
    || (saved.smoothing === 'addk' && saved.k !== modelConfig.k)) {
    throw new CheckpointError(`${join(dir, NGRAM_FILE)} holds ${JSON.stringify(saved)} but ${join(dir, RUN_FILES.config)} says ${JSON.stringify(modelConfig)}`,
      'the files come from different runs; count the model again');
  }
  return { dir, model: ngram, modelConfig, tokenizer, config, step: 0 };
}

/** A neural run folder's config, tokenizer and model without its weights (the checks first). */
function runShell(dir: string): Omit<LoadedRun, 'step'> {
  checkRunPath(dir);
  if (existsSync(join(dir, NGRAM_FILE)) && !existsSync(join(dir, RUN_FILES.model))) {
    throw new CheckpointError(`${dir} holds a count-based n-gram model, not a neural checkpoint`, 'open it with openRun (slm eval and slm generate do)');
  }
  if (!existsSync(join(dir, RUN_FILES.model))) {
    throw new CheckpointError(`no checkpoint in ${dir}: ${RUN_FILES.model} is missing`, 'train first (slm train --out DIR), or wait for the first checkpoint');
  }
  const config = readJson<Record<string, unknown>>(join(dir, RUN_FILES.config), 'run config');
  if (typeof config.model !== 'object' || config.model === null) throw new CheckpointError(`${join(dir, RUN_FILES.config)} has no model section`);
  const modelConfig = resolveModelConfig(config.model as Record<string, unknown>);
  const tokJson = readJson<object>(join(dir, RUN_FILES.tokenizer), 'tokenizer');
  const tokenizer = tokenizerFromJson(tokJson, { source: join(dir, RUN_FILES.tokenizer) });
  checkVocab(tokenizer, modelConfig, dir);
  const model = withoutRandomInit(() => createModel(modelConfig)); // weights come from the checkpoint
  return { dir, model, modelConfig, tokenizer, config };
}

export function loadRun(dir: string): LoadedRun {
  const shell = runShell(dir);
  const step = loadModelWeights(dir, shell.model);
  shell.model.eval();
  return { ...shell, step };
}

/**
 * openRun reading the weights in pieces with the thread free between them: what a server uses, so
 * loading the 3.4 GB Markov table does not hold up its other requests. (N-gram files are read whole.)
 */
export async function openRunAsync(dir: string): Promise<LoadedRun | LoadedNgramRun> {
  if (isCountedRun(dir)) return openRun(dir);
  const shell = runShell(dir);
  const step = await loadModelWeightsAsync(dir, shell.model);
  shell.model.eval();
  return { ...shell, step };
}

/** A tokenizer whose ids do not fit the model's vocabulary is an error, never a silent clamp. */
export function checkVocab(tokenizer: Tokenizer, model: { readonly vocabSize: number }, where: string): void {
  if (tokenizer.vocabSize !== model.vocabSize) {
    throw new ConfigError(`the tokenizer has ${tokenizer.vocabSize} tokens but the model in ${where} was built for ${model.vocabSize}`,
      'use the tokenizer the model was trained with (the run folder\'s tokenizer.json), or prepare the data with it');
  }
}
