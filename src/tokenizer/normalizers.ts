/**
 * Normalizers exactly as the Rust `tokenizers` crate runs them, put in place of those in
 * `@huggingface/tokenizers` (0.2.0), which differ from Rust in places the golden fixtures
 * catch: (1) they lowercase whole strings, so a final capital sigma becomes ς where Rust maps
 * each character alone (Σ → σ) — BertNormalizer and Lowercase; (2) BertNormalizer scans UTF-16
 * units, so CJK ideographs outside the Basic Multilingual Plane (U+20000…) get no spaces around
 * them, and its range list has U+2B820 where Rust has U+2B920. BERT steps, in Rust's order:
 * clean text, space out CJK, strip accents, lowercase.
 */
import type { JsonObject, JsonValue } from './tokenizerJson.js';
import { RuntimeBertNormalizer, RuntimeLowercaseNormalizer, type RuntimeNormalizer } from './runtime.js';

export interface BertNormalizerOptions {
  cleanText: boolean;
  handleChineseChars: boolean;
  stripAccents: boolean;
  lowercase: boolean;
}

// Rust `is_control`: categories Cc, Cf, Co, Cs except \t \n \r; NUL and U+FFFD are dropped too.
const dropRe = /[\u0000\ufffd]|(?![\t\n\r])[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/gu;
// Rust `char::is_whitespace` (Unicode White_Space), applied after the drop: all become ' '.
const whitespaceRe = /(?! )\p{White_Space}/gu;
// Rust `is_chinese_char` ranges, verbatim.
const cjkRe =
  /[\u4e00-\u9fff\u3400-\u4dbf\u{20000}-\u{2a6df}\u{2a700}-\u{2b73f}\u{2b740}-\u{2b81f}\u{2b920}-\u{2ceaf}\uf900-\ufaff\u{2f800}-\u{2fa1f}]/gu;
const nonAsciiRe = /[^\x20-\x7e]/;
const nonspacingMarkRe = /\p{Mn}/gu;

/** Normalizes like Rust's BertNormalizer; a pure function, usable on its own. */
export function normalizeBert(text: string, options: BertNormalizerOptions): string {
  if (!nonAsciiRe.test(text)) {
    // Printable ASCII only: every step but lowercasing is the identity.
    return options.lowercase ? text.toLowerCase() : text;
  }
  if (options.cleanText) {
    text = text.replace(dropRe, '');
    text = text.replace(whitespaceRe, ' ');
  }
  if (options.handleChineseChars) text = text.replace(cjkRe, ' $& ');
  if (options.stripAccents && nonAsciiRe.test(text)) {
    text = text.normalize('NFD').replace(nonspacingMarkRe, '');
  }
  if (options.lowercase) text = lowercaseByChar(text);
  return text;
}

/** Lowercases code point by code point (no final-sigma rule), as Rust's `char::to_lowercase`. */
export function lowercaseByChar(text: string): string {
  if (!text.includes('\u03a3')) return text.toLowerCase(); // only Σ lowercases by context
  let out = '';
  for (const c of text) out += c.toLowerCase();
  return out;
}

/** A drop-in for the runtime's BertNormalizer that calls `normalizeBert`. */
export class ExactBertNormalizer extends RuntimeBertNormalizer {
  private readonly options: BertNormalizerOptions;

  /** `config` is the tokenizer.json normalizer object; absent fields take Rust's defaults. */
  constructor(config: { readonly [key: string]: unknown }) {
    const flag = (key: string): boolean | undefined =>
      typeof config[key] === 'boolean' ? (config[key] as boolean) : undefined;
    const lowercase = flag('lowercase') ?? true;
    const options: BertNormalizerOptions = {
      cleanText: flag('clean_text') ?? true,
      handleChineseChars: flag('handle_chinese_chars') ?? true,
      // Rust: strip_accents left null follows lowercase.
      stripAccents: flag('strip_accents') ?? lowercase,
      lowercase,
    };
    super({ type: 'BertNormalizer', clean_text: options.cleanText, handle_chinese_chars: options.handleChineseChars,
      strip_accents: options.stripAccents, lowercase });
    this.options = options;
  }

  override normalize(text: string): string {
    return normalizeBert(text, this.options);
  }
}

/** The Lowercase normalizer with Rust's per-character mapping. */
export class ExactLowercase extends RuntimeLowercaseNormalizer {
  constructor() {
    super({ type: 'Lowercase' });
  }

  override normalize(text: string): string {
    return lowercaseByChar(text);
  }
}

function asObject(value: JsonValue | undefined): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
}

/**
 * Returns the runtime normalizer built from `config` with the inexact parts swapped for the
 * exact ones above (inside Sequence normalizers too).
 */
export function exactNormalizer(built: RuntimeNormalizer | null, config: JsonObject | null): RuntimeNormalizer | null {
  if (built === null || config === null) return built;
  switch (config['type']) {
    case 'BertNormalizer':
      return new ExactBertNormalizer(config);
    case 'Lowercase':
      return new ExactLowercase();
    case 'Sequence': {
      const children = config['normalizers'];
      const inner = built.normalizers;
      if (Array.isArray(children) && inner !== undefined) {
        inner.forEach((child, i) => (inner[i] = exactNormalizer(child, asObject(children[i]) ?? null)));
      }
      return built;
    }
    default:
      return built;
  }
}
