/**
 * The `post_processor` of a tokenizer.json, reduced to what a single sequence needs: the special
 * tokens that go before and after the text ([CLS] and [SEP] for BERT). slmkit applies them
 * itself, after truncation, so that truncation reserves room for them exactly as Hugging Face
 * does (keep the first maxLength − added text tokens, then add [CLS] … [SEP]).
 */
import { ConfigError } from '../tensor/errors.js';
import type { JsonObject, JsonValue } from './tokenizerJson.js';

/** Special tokens placed around one sequence. */
export interface Affixes {
  prefixIds: number[];
  prefixTokens: string[];
  suffixIds: number[];
  suffixTokens: string[];
}

const none = (): Affixes => ({ prefixIds: [], prefixTokens: [], suffixIds: [], suffixTokens: [] });

function asObject(value: JsonValue | undefined): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
}

/** A `[token, id]` pair as BertProcessing and RobertaProcessing store it. */
function readPair(config: JsonObject, key: string): [string, number] {
  const pair = config[key];
  if (!Array.isArray(pair) || typeof pair[0] !== 'string' || !Number.isInteger(pair[1])) {
    throw new ConfigError(`post_processor ${String(config['type'])}: "${key}" is ${JSON.stringify(pair)}`,
      'expected ["[TOKEN]", id]');
  }
  return [pair[0], pair[1] as number];
}

function templateAffixes(config: JsonObject): Affixes {
  const out = none();
  const single = config['single'];
  const specials = asObject(config['special_tokens']) ?? {};
  if (!Array.isArray(single)) throw new ConfigError('post_processor TemplateProcessing: "single" is not a list');
  let seenSequence = false;
  for (const item of single) {
    const entry = asObject(item);
    const special = asObject(entry?.['SpecialToken']);
    if (special === undefined) {
      if (asObject(entry?.['Sequence']) === undefined) {
        throw new ConfigError(`post_processor TemplateProcessing: unknown template item ${JSON.stringify(item)}`);
      }
      seenSequence = true;
      continue;
    }
    const name = String(special['id']);
    const spec = asObject(specials[name]);
    const ids = spec?.['ids'];
    const tokens = spec?.['tokens'];
    if (!Array.isArray(ids) || !Array.isArray(tokens) || !ids.every((id) => Number.isInteger(id))) {
      throw new ConfigError(`post_processor TemplateProcessing: special token ${JSON.stringify(name)} has no ids`,
        'each template special token needs an entry in "special_tokens" with "ids" and "tokens"');
    }
    (seenSequence ? out.suffixIds : out.prefixIds).push(...(ids as number[]));
    (seenSequence ? out.suffixTokens : out.prefixTokens).push(...tokens.map(String));
  }
  return out;
}

/** Reads the single-sequence affixes of a post_processor config (null means none). */
export function readAffixes(config: JsonObject | null): Affixes {
  if (config === null) return none();
  const type = config['type'];
  switch (type) {
    case 'TemplateProcessing':
      return templateAffixes(config);
    case 'BertProcessing':
    case 'RobertaProcessing': {
      const [cls, clsId] = readPair(config, 'cls');
      const [sep, sepId] = readPair(config, 'sep');
      return { prefixIds: [clsId], prefixTokens: [cls], suffixIds: [sepId], suffixTokens: [sep] };
    }
    case 'ByteLevel':
      return none(); // only adjusts offsets
    case 'Sequence': {
      // Each processor wraps the output of the one before it.
      const out = none();
      const processors = config['processors'];
      for (const p of Array.isArray(processors) ? processors : []) {
        const inner = readAffixes(asObject(p) ?? null);
        out.prefixIds.unshift(...inner.prefixIds);
        out.prefixTokens.unshift(...inner.prefixTokens);
        out.suffixIds.push(...inner.suffixIds);
        out.suffixTokens.push(...inner.suffixTokens);
      }
      return out;
    }
    default:
      throw new ConfigError(`post_processor type ${JSON.stringify(type)} is not supported`,
        'supported: TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence');
  }
}
