/**
 * A tokenizer with lowercasing switched on or off, everything else kept: how the web page shows
 * what lowercasing does to a text (the notebook's tokenizer lowercases; a cased one keeps
 * "Sheikh" as pieces of its own). Works on the standard tokenizer.json: a BertNormalizer's
 * `lowercase` flag (accents stay as they were), or a Lowercase normalizer added or removed.
 */
import { tokenizerFromJson } from './hfTokenizer.js';
import type { JsonObject } from './tokenizerJson.js';
import type { Tokenizer } from './types.js';

function isLowercasing(n: JsonObject | null | undefined): boolean {
  if (!n) return false;
  switch (n['type']) {
    case 'BertNormalizer':
      return n['lowercase'] !== false; // Rust's default is true
    case 'Lowercase':
      return true;
    case 'Sequence':
      return Array.isArray(n['normalizers']) && (n['normalizers'] as JsonObject[]).some((c) => isLowercasing(c));
    default:
      return false;
  }
}

/** Whether the tokenizer lowercases text before splitting it. */
export function lowercases(tokenizer: Tokenizer): boolean {
  return isLowercasing(tokenizer.toJSON().normalizer);
}

function setLowercase(n: JsonObject | null, on: boolean): JsonObject | null {
  if (n === null) return on ? { type: 'Lowercase' } : null;
  switch (n['type']) {
    case 'BertNormalizer': {
      const was = n['lowercase'] !== false;
      // Rust ties strip_accents to lowercase when it is null: pin it so only the case changes.
      return { ...n, lowercase: on, strip_accents: typeof n['strip_accents'] === 'boolean' ? n['strip_accents'] : was };
    }
    case 'Lowercase':
      return on ? n : null;
    case 'Sequence': {
      const children = (Array.isArray(n['normalizers']) ? n['normalizers'] : []) as JsonObject[];
      const kept = children.map((c) => setLowercase(c, on && c['type'] === 'BertNormalizer')).filter((c): c is JsonObject => c !== null);
      if (on && !kept.some((c) => isLowercasing(c))) kept.push({ type: 'Lowercase' });
      return { ...n, normalizers: kept };
    }
    default:
      return on ? { type: 'Sequence', normalizers: [n, { type: 'Lowercase' }] } : n;
  }
}

/** The same tokenizer with lowercasing on or off (itself when it already is). */
export function withLowercase(tokenizer: Tokenizer, on: boolean): Tokenizer {
  const json = tokenizer.toJSON();
  if (isLowercasing(json.normalizer) === on) return tokenizer;
  return tokenizerFromJson({ ...json, normalizer: setLowercase(json.normalizer, on) }, { source: 'tokenizer with lowercasing switched' });
}
