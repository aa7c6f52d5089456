/**
 * BERT `vocab.txt` → the tokenizer.json Hugging Face itself builds for it (the same object the
 * Rust crate saves for WordPiece.fromFile + BertNormalizer + BertPreTokenizer + `[CLS] $A [SEP]`
 * + WordPiece decoder, and transformers' BertConverter writes): BertNormalizer(clean_text,
 * handle_chinese_chars, strip_accents = lowercase, lowercase), WordPiece with `[UNK]`, `##`,
 * 100 characters per word at most. The text arrives as a string; reading files is io/'s job.
 */
import { ConfigError } from '../tensor/errors.js';
import { HfTokenizer } from './hfTokenizer.js';
import { makeAddedToken, type JsonObject, type TokenizerJson } from './tokenizerJson.js';

export interface BertVocabOptions {
  /** Lowercase the text first (uncased models, and the notebook's BioBERT). Required: no guess. */
  lowercase: boolean;
  /** Remove accents (NFD, then drop non-spacing marks). Default: same as `lowercase`. */
  stripAccents?: boolean;
  /** Put spaces around CJK ideographs so each is a word. Default true. */
  handleChineseChars?: boolean;
  /** Names the vocabulary in error messages. */
  source?: string;
}

/** Tokens every BERT-style vocabulary must hold; [MASK] is used when present. */
export const requiredBertTokens = ['[PAD]', '[UNK]', '[CLS]', '[SEP]'] as const;
const optionalBertTokens = ['[MASK]'] as const;

/**
 * Parses vocab.txt the way the Rust crate does: one token per line, the id is the line number,
 * trailing whitespace (and \r) trimmed, a later duplicate wins. A leading BOM is dropped.
 */
export function parseVocabTxt(text: string, source = 'vocab.txt'): Map<string, number> {
  if (text.startsWith('\ufeff')) text = text.slice(1);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop(); // final newline ends the last line
  if (lines.length === 0) {
    throw new ConfigError(`${source} is empty`, 'a vocab.txt lists one token per line, [PAD] first');
  }
  const vocab = new Map<string, number>();
  lines.forEach((line, id) => vocab.set(line.replace(/\p{White_Space}+$/u, ''), id));
  return vocab;
}

/** The tokenizer.json object for a BERT WordPiece vocabulary (token → id). */
export function bertTokenizerJson(vocab: ReadonlyMap<string, number>, options: BertVocabOptions): TokenizerJson {
  const source = options.source ?? 'vocab.txt';
  if (typeof options.lowercase !== 'boolean') {
    throw new ConfigError(`${source}: lowercase is ${String(options.lowercase)}`,
      'say whether the model is uncased (lowercase: true) or cased (lowercase: false)');
  }
  const missing = requiredBertTokens.filter((t) => !vocab.has(t));
  if (missing.length > 0) {
    throw new ConfigError(
      `${source}: missing special token${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ` +
        `(vocabulary of ${vocab.size} tokens)`,
      'a BERT vocab.txt holds [PAD], [UNK], [CLS], [SEP] (and usually [MASK]), one token per line; ' +
        'for other vocabularies load a tokenizer.json',
    );
  }
  const idOf = (token: string): number => vocab.get(token) as number;
  const specials = [...requiredBertTokens, ...optionalBertTokens.filter((t) => vocab.has(t))];
  const special = (id: string, typeId: number): JsonObject => ({ SpecialToken: { id, type_id: typeId } });
  const sequence = (id: string, typeId: number): JsonObject => ({ Sequence: { id, type_id: typeId } });
  // fromEntries, not assignment: a token may be spelled "__proto__".
  const modelVocab: JsonObject = Object.fromEntries([...vocab].sort((a, b) => a[1] - b[1]));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((t) => makeAddedToken(idOf(t), t)).sort((a, b) => a.id - b.id),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: options.handleChineseChars ?? true,
      strip_accents: options.stripAccents ?? options.lowercase,
      lowercase: options.lowercase,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]', 0), sequence('A', 0), special('[SEP]', 0)],
      pair: [special('[CLS]', 0), sequence('A', 0), special('[SEP]', 0), sequence('B', 1), special('[SEP]', 1)],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [idOf('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [idOf('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: modelVocab,
    },
  };
}

/** A Tokenizer from the text of a BERT vocab.txt. */
export function tokenizerFromVocabTxt(text: string, options: BertVocabOptions): HfTokenizer {
  const source = options.source ?? 'vocab.txt';
  return new HfTokenizer(bertTokenizerJson(parseVocabTxt(text, source), options), { source });
}
