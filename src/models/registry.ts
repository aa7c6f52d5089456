/**
 * The registry: the list of model families (one descriptor per family file, models/family.ts).
 * Configuration types, the list of `--model` types, building, parameter counts, memory estimates
 * and descriptions all derive from it, so adding a family is one new file plus one line here.
 */
import { ngramFamily, type NgramConfig } from '../ngram/config.js';
import { ConfigError } from '../tensor/errors.js';
import { defaultRng, type Rng } from '../tensor/rng.js';
import { resolveFamilyConfig, type ConfigOf, type ModelFamily, type NeuralFamily } from './family.js';
import { cnnFamily } from './cnn.js';
import { lowrankFamily } from './lowrank.js';
import { markovFamily } from './markov.js';
import { mlpFamily } from './mlp.js';
import type { LanguageModel } from './model.js';
import { gruFamily, lstmFamily, rnnFamily } from './recurrent.js';
import { transformerFamily } from './transformer.js';

/** Families trained by gradient descent, in the notebook's historical order. */
export const neuralFamilies = [markovFamily, lowrankFamily, mlpFamily, cnnFamily, rnnFamily, lstmFamily, gruFamily, transformerFamily] as const;
/** Every family: the neural ones, then those built by counting. */
export const families: readonly ModelFamily[] = [...neuralFamilies, ngramFamily] as unknown as readonly ModelFamily[];

/** A neural model's configuration (what createModel builds and the trainer trains). */
export type ModelConfig = ConfigOf<(typeof neuralFamilies)[number]>;
export type ModelType = ModelConfig['type'];
/** Any model's configuration, counted ones included. */
export type AnyModelConfig = ModelConfig | NgramConfig;
export type AnyModelType = AnyModelConfig['type'];

export const modelTypes: readonly ModelType[] = neuralFamilies.map((f) => f.type);
export const allModelTypes: readonly AnyModelType[] = families.map((f) => f.type as AnyModelType);

/** The family of a model type (any kind); a ConfigError naming every type otherwise. */
export function familyOf(type: unknown): ModelFamily {
  const f = families.find((x) => x.type === type);
  if (!f) throw new ConfigError(`unknown model type ${JSON.stringify(type)}`, `choose one of: ${allModelTypes.join(', ')}`);
  return f;
}

/** The family of a neural model type; a counted type is refused with a pointer to counting. */
export function neuralFamilyOf(type: unknown): NeuralFamily {
  const f = familyOf(type);
  if (f.kind !== 'neural') {
    throw new ConfigError(`model type ${f.type} is counted, not trained by gradient descent`, `count it with slm train --model ${f.type}, or open it with openRun`);
  }
  return f;
}

/** Completes and checks a (partial) configuration of any model type. */
export function resolveAnyConfig(raw: Record<string, unknown>): AnyModelConfig {
  return resolveFamilyConfig(familyOf(raw.type), raw) as AnyModelConfig;
}

/** Completes and checks a (partial) neural model configuration. */
export function resolveModelConfig(raw: Record<string, unknown>): ModelConfig {
  return resolveFamilyConfig(neuralFamilyOf(raw.type), raw) as ModelConfig;
}

/** Builds a freshly initialised model. */
export function createModel(config: ModelConfig, rng: Rng = defaultRng()): LanguageModel {
  return neuralFamilyOf(config.type).create(config, rng);
}

/** Parameter count without allocating the model. */
export function countParameters(c: ModelConfig): number {
  return neuralFamilyOf(c.type).countParameters(c);
}

/** Short description for tables: "lowrank d256", "ngram 3 kn". */
export function describeModel(c: AnyModelConfig): string {
  return familyOf(c.type).describe(c);
}
