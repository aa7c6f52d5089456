/**
 * Opening a run folder for evaluation or generation: config.json → model, model.safetensors →
 * weights, tokenizer.json → tokenizer, with the checks that catch a mismatched or damaged folder.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createModel, resolveModelConfig, type ModelConfig } from '../models/registry.js';
import type { LanguageModel } from '../models/model.js';
import { ConfigError } from '../tensor/errors.js';
import { tokenizerFromJson } from '../tokenizer/hfTokenizer.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { loadModelWeights, readJson, RUN_FILES } from './checkpoint.js';
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

export function loadRun(dir: string): LoadedRun {
  if (!existsSync(dir)) throw new CheckpointError(`run folder not found: ${dir}`, 'pass the --out folder of a slm train run');
  if (!existsSync(join(dir, RUN_FILES.model))) {
    throw new CheckpointError(`no checkpoint in ${dir}: ${RUN_FILES.model} is missing`, 'train first (slm train --out DIR), or wait for the first checkpoint');
  }
  const config = readJson<Record<string, unknown>>(join(dir, RUN_FILES.config), 'run config');
  if (typeof config.model !== 'object' || config.model === null) throw new CheckpointError(`${join(dir, RUN_FILES.config)} has no model section`);
  const modelConfig = resolveModelConfig(config.model as Record<string, unknown>);
  const tokJson = readJson<object>(join(dir, RUN_FILES.tokenizer), 'tokenizer');
  const tokenizer = tokenizerFromJson(tokJson, { source: join(dir, RUN_FILES.tokenizer) });
  checkVocab(tokenizer, modelConfig, dir);
  const model = createModel(modelConfig);
  const step = loadModelWeights(dir, model);
  model.eval();
  return { dir, model, modelConfig, tokenizer, config, step };
}

/** A tokenizer whose ids do not fit the model's vocabulary is an error, never a silent clamp. */
export function checkVocab(tokenizer: Tokenizer, model: ModelConfig, where: string): void {
  if (tokenizer.vocabSize !== model.vocabSize) {
    throw new ConfigError(`the tokenizer has ${tokenizer.vocabSize} tokens but the model in ${where} was built for ${model.vocabSize}`,
      'use the tokenizer the model was trained with (the run folder\'s tokenizer.json), or prepare the data with it');
  }
}
