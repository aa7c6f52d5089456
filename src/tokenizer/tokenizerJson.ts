/**
 * The Hugging Face `tokenizer.json` format, typed as far as slmkit reads it, and the check that
 * turns an untrusted parsed JSON value into one: required parts present, model type supported,
 * ids integers. Component configs (normalizer, pre_tokenizer, …) stay plain JSON objects; the
 * `@huggingface/tokenizers` runtime interprets them. Field names are the file's (snake_case).
 */
import { ConfigError } from '../tensor/errors.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

/** One entry of `added_tokens`: a token matched in raw text before the model runs. */
export type AddedTokenJson = {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
};

export type TokenizerJson = {
  version: string;
  truncation: JsonObject | null;
  padding: JsonObject | null;
  added_tokens: AddedTokenJson[];
  normalizer: JsonObject | null;
  pre_tokenizer: JsonObject | null;
  post_processor: JsonObject | null;
  decoder: JsonObject | null;
  model: JsonObject & { type: string };
};

/** Model types the runtime can encode with (WordLevel is Rust-only). */
export const supportedModelTypes = ['WordPiece', 'BPE', 'Unigram'] as const;

const componentKeys = ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder'] as const;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value).slice(0, 60) : typeof value;
}

/** An added_tokens entry with the defaults Hugging Face writes for the fields left out. */
export function makeAddedToken(id: number, content: string, special = true): AddedTokenJson {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: !special, special };
}

/**
 * Checks a parsed tokenizer.json and returns a normalised deep copy (missing optional parts
 * become null or []). `source` names the file or object in error messages.
 */
export function parseTokenizerJson(value: unknown, source = 'tokenizer.json'): TokenizerJson {
  const hint = 'expected a Hugging Face tokenizer.json (an object with "model", "added_tokens", …)';
  if (!isObject(value)) throw new ConfigError(`${source}: top level is ${describe(value)}, not an object`, hint);
  const json = structuredClone(value);
  const model = json['model'];
  if (!isObject(model)) throw new ConfigError(`${source}: "model" is ${describe(model)}, not an object`, hint);
  const type = model['type'];
  if (typeof type !== 'string' || !(supportedModelTypes as readonly string[]).includes(type)) {
    throw new ConfigError(
      `${source}: model type ${describe(type)} is not supported`,
      `supported: ${supportedModelTypes.join(', ')}`,
    );
  }
  const vocab = model['vocab'];
  if (type === 'Unigram' ? !Array.isArray(vocab) : !isObject(vocab)) {
    throw new ConfigError(`${source}: model.vocab is ${describe(vocab)}`, `a ${type} model needs its vocabulary`);
  }
  for (const key of componentKeys) {
    const part = json[key] ?? null;
    if (part !== null && !isObject(part)) throw new ConfigError(`${source}: "${key}" is ${describe(part)}`, hint);
    json[key] = part;
  }
  const added = json['added_tokens'] ?? [];
  if (!Array.isArray(added)) throw new ConfigError(`${source}: "added_tokens" is ${describe(added)}`, hint);
  const addedTokens = added.map((entry, i): AddedTokenJson => {
    if (!isObject(entry) || !Number.isInteger(entry['id']) || typeof entry['content'] !== 'string') {
      throw new ConfigError(`${source}: added_tokens[${i}] is not {id: integer, content: string}`, hint);
    }
    const special = entry['special'] === true;
    const flag = (key: string, fallback: boolean): boolean =>
      typeof entry[key] === 'boolean' ? (entry[key] as boolean) : fallback;
    return {
      id: entry['id'] as number,
      content: entry['content'],
      single_word: flag('single_word', false),
      lstrip: flag('lstrip', false),
      rstrip: flag('rstrip', false),
      normalized: flag('normalized', !special),
      special,
    };
  });
  return {
    version: typeof json['version'] === 'string' ? json['version'] : '1.0',
    truncation: isObject(json['truncation']) ? json['truncation'] : null,
    padding: isObject(json['padding']) ? json['padding'] : null,
    added_tokens: addedTokens,
    normalizer: json['normalizer'] as JsonObject | null,
    pre_tokenizer: json['pre_tokenizer'] as JsonObject | null,
    post_processor: json['post_processor'] as JsonObject | null,
    decoder: json['decoder'] as JsonObject | null,
    model: model as JsonObject & { type: string },
  };
}

/** Every (token, id) pair of the model's own vocabulary (added tokens not included). */
export function modelVocabEntries(model: TokenizerJson['model']): Array<[string, number]> {
  const vocab = model['vocab'];
  if (Array.isArray(vocab)) {
    // Unigram: [[piece, score], …], the id is the position.
    return vocab.map((entry, id): [string, number] => [Array.isArray(entry) ? String(entry[0]) : '', id]);
  }
  if (!isObject(vocab)) return [];
  return Object.entries(vocab).map(([token, id]): [string, number] => {
    if (!Number.isInteger(id) || (id as number) < 0) {
      throw new ConfigError(`model.vocab[${JSON.stringify(token)}] = ${String(id)} is not a non-negative integer id`);
    }
    return [token, id as number];
  });
}
