/**
 * Model configurations and the registry that builds a model from one. Every model type has its
 * defaults in one block (the notebook's and the workshop's settings); `resolveModelConfig` fills
 * them in and rejects unknown keys and wrong types, so a typo never silently trains the default.
 */
import { ConfigError } from '../tensor/errors.js';
import type { Rng } from '../tensor/rng.js';
import { MarkovChain, MarkovChainLowRank, type LowRankConfig, type MarkovConfig } from './markov.js';
import type { LanguageModel } from './model.js';
import { Transformer, type TransformerConfig } from './transformer.js';

export type ModelConfig = MarkovConfig | LowRankConfig | TransformerConfig;
export type ModelType = ModelConfig['type'];
export const modelTypes: readonly ModelType[] = ['markov', 'lowrank', 'transformer'];

/** Defaults per type, without vocabSize (that comes from the tokenizer). */
export const modelDefaults = {
  markov: {},
  lowrank: {
    embedDim: 256, // the notebook's embedding_dim
    dropout: 0.1, // the notebook's Dropout(0.1)
  },
  transformer: {
    embedDim: 128, // workshop: embed 128
    heads: 4, // workshop: 4 heads
    layers: 6, // workshop: 6 blocks
    maxLen: 512, // workshop: max 512 tokens (the tokenizer's truncation)
    dropout: 0.2, // workshop: dropout 0.2
    variant: 'post-ln', // workshop: post-LayerNorm blocks
    tieWeights: false, // GPT-2 ties; the workshop does not
  },
} as const;

/** Completes and checks a (partial) model configuration. */
export function resolveModelConfig(raw: Record<string, unknown>): ModelConfig {
  const type = raw.type;
  if (typeof type !== 'string' || !(modelTypes as readonly string[]).includes(type)) {
    throw new ConfigError(`unknown model type ${JSON.stringify(type)}`, `choose one of: ${modelTypes.join(', ')}`);
  }
  const defaults = modelDefaults[type as ModelType] as Record<string, unknown>;
  const allowed = new Set(['type', 'vocabSize', ...Object.keys(defaults)]);
  for (const k of Object.keys(raw)) {
    if (!allowed.has(k)) throw new ConfigError(`unknown key '${k}' for model type ${type}`, `known keys: ${[...allowed].join(', ')}`);
  }
  const cfg: Record<string, unknown> = { ...defaults, ...raw };
  for (const [k, v] of Object.entries(cfg)) {
    if (v === undefined) continue;
    const want = k === 'type' ? 'string' : typeof (defaults[k] ?? 0);
    if (typeof v !== want) throw new ConfigError(`model key '${k}' must be a ${want}, got ${JSON.stringify(v)}`);
  }
  const intKeys = ['vocabSize', 'embedDim', 'heads', 'layers', 'maxLen'];
  for (const k of intKeys) {
    if (k in cfg && !(Number.isInteger(cfg[k]) && (cfg[k] as number) > 0)) {
      throw new ConfigError(`model key '${k}' must be a positive integer, got ${JSON.stringify(cfg[k])}`);
    }
  }
  if (!('vocabSize' in cfg)) throw new ConfigError('model config lacks vocabSize', 'it comes from the tokenizer');
  if ('dropout' in cfg && !((cfg.dropout as number) >= 0 && (cfg.dropout as number) < 1)) {
    throw new ConfigError(`dropout must be in [0, 1), got ${cfg.dropout}`);
  }
  if (type === 'transformer') {
    if (cfg.variant !== 'post-ln' && cfg.variant !== 'pre-ln') throw new ConfigError(`variant must be post-ln or pre-ln, got ${JSON.stringify(cfg.variant)}`);
    if ((cfg.embedDim as number) % (cfg.heads as number) !== 0) {
      throw new ConfigError(`embedDim ${cfg.embedDim} is not divisible by heads ${cfg.heads}`);
    }
  }
  return cfg as unknown as ModelConfig;
}

/** Builds a freshly initialised model. */
export function createModel(config: ModelConfig, rng?: Rng): LanguageModel {
  switch (config.type) {
    case 'markov':
      return new MarkovChain(config, rng);
    case 'lowrank':
      return new MarkovChainLowRank(config, rng);
    case 'transformer':
      return new Transformer(config, rng);
    default:
      throw new ConfigError(`unknown model type '${(config satisfies never as { type: string }).type}'`);
  }
}

/** Parameter count without allocating the model (the Markov table alone is 3.4 GB at V = 28,996). */
export function countParameters(c: ModelConfig): number {
  switch (c.type) {
    case 'markov':
      return c.vocabSize * c.vocabSize;
    case 'lowrank':
      return 2 * c.vocabSize * c.embedDim;
    case 'transformer': {
      const C = c.embedDim;
      const block = 4 * (C * C + C) + 2 * 2 * C + (C * 4 * C + 4 * C) + (4 * C * C + C);
      const head = c.tieWeights ? 0 : C * c.vocabSize + c.vocabSize;
      return c.vocabSize * C + c.maxLen * C + c.layers * block + (c.variant === 'pre-ln' ? 2 * C : 0) + head;
    }
    default:
      throw new ConfigError(`unknown model type '${(c satisfies never as { type: string }).type}'`);
  }
}
