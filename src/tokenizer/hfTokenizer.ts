/**
 * HfTokenizer: slmkit's Tokenizer over any supported Hugging Face tokenizer.json. Normalizing,
 * pre-tokenizing, the model (WordPiece/BPE/Unigram) and the decoder run in the pure-TS
 * `@huggingface/tokenizers` runtime; slmkit adds what it leaves out or gets wrong against the
 * Rust reference: truncation that reserves room for special tokens, the post-processor's special
 * tokens, decoding without the transformers-only clean-up pass (and of an empty id list), id
 * checks, lone surrogates read as U+FFFD (as UTF-8 conversion does), exact normalizers
 * (normalizers.ts) and a faster exact WordPiece (wordPieceModel.ts). Golden fixtures from the
 * Rust `tokenizers` package hold it to the reference, id for id.
 */
import { ConfigError } from '../tensor/errors.js';
import { exactNormalizer } from './normalizers.js';
import { FastWordPiece } from './wordPieceModel.js';
import { readAffixes, type Affixes } from './postProcessor.js';
import { RuntimeTokenizerClass, type RuntimeTokenizer } from './runtime.js';
import { modelVocabEntries, parseTokenizerJson, type TokenizerJson } from './tokenizerJson.js';
import type { DecodeOptions, EncodeOptions, Encoding, Tokenizer } from './types.js';

/** Roles a special token can play; `specialTokens` options map a role to the token's text. */
export type SpecialRole = 'pad' | 'unk' | 'cls' | 'sep' | 'mask' | 'bos' | 'eos';

export interface HfTokenizerOptions {
  /** Names the source in error messages (a path, "vocab.txt", …). */
  source?: string;
  /** Which token plays which role, where the conventional names below do not fit. */
  specialTokens?: Partial<Record<SpecialRole, string>>;
}

/** Conventional spellings, tried in order when a role is not given explicitly. */
const conventionalNames: Record<SpecialRole, string[]> = {
  pad: ['[PAD]', '<pad>', '<|pad|>'],
  unk: ['[UNK]', '<unk>', '<|unk|>'],
  cls: ['[CLS]', '<cls>'],
  sep: ['[SEP]', '<sep>'],
  mask: ['[MASK]', '<mask>'],
  bos: ['[BOS]', '<s>', '<bos>', '<|startoftext|>', '<|begin_of_text|>'],
  eos: ['[EOS]', '</s>', '<eos>', '<|endoftext|>', '<|end_of_text|>'],
};

export const defaultMaxLength = 512;

/** Ids at or above this are refused (16,777,216; the largest vocabularies in use hold about 260,000 tokens). */
export const MAX_VOCAB = 2 ** 24;

const loneSurrogate = '[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
const hasSurrogateRe = /[\ud800-\udfff]/;
const loneSurrogatesRe = new RegExp(loneSurrogate, 'g');

export class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly padId: number | undefined;
  readonly unkId: number | undefined;
  readonly clsId: number | undefined;
  readonly sepId: number | undefined;
  readonly maskId: number | undefined;
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  readonly specialIds: ReadonlySet<number>;

  private readonly json: TokenizerJson;
  private readonly runtime: RuntimeTokenizer;
  private readonly affixes: Affixes;
  private readonly nAdded: number;
  private readonly idTable: Array<string | undefined>; // id → token, V entries, holes undefined
  private readonly tokenIds: Map<string, number>;

  /** Builds from a parsed tokenizer.json (checked here); throws ConfigError on bad input. */
  constructor(tokenizerJson: unknown, options: HfTokenizerOptions = {}) {
    const source = options.source ?? 'tokenizer.json';
    this.json = parseTokenizerJson(tokenizerJson, source);
    try {
      this.runtime = new RuntimeTokenizerClass(structuredClone(this.json), {});
    } catch (err) {
      throw new ConfigError(`${source}: cannot build a tokenizer: ${(err as Error).message}`,
        'the @huggingface/tokenizers runtime rejected this configuration');
    }
    this.runtime.normalizer = exactNormalizer(this.runtime.normalizer, this.json.normalizer);
    if (this.json.model.type === 'WordPiece') {
      const model = new FastWordPiece(this.json.model);
      for (const added of this.json.added_tokens) model.tokens_to_ids.set(added.content, added.id); // as the runtime does
      this.runtime.model = model;
    }
    this.runtime.post_processor = null; // special tokens are added here, after truncation
    this.affixes = readAffixes(this.json.post_processor);
    this.nAdded = this.affixes.prefixIds.length + this.affixes.suffixIds.length;

    this.tokenIds = new Map(modelVocabEntries(this.json.model));
    for (const added of this.json.added_tokens) this.tokenIds.set(added.content, added.id);
    let maxId = -1;
    for (const [token, id] of this.tokenIds) {
      // The id table has one entry per id up to the largest: a damaged id must not ask for gigabytes.
      if (!(Number.isInteger(id) && id >= 0 && id < MAX_VOCAB)) {
        throw new ConfigError(`${source}: token ${JSON.stringify(token).slice(0, 40)} has id ${id}, outside [0, ${MAX_VOCAB})`,
          'ids are the positions of a vocabulary; the file is damaged, or its vocabulary is larger than slmkit supports');
      }
      maxId = Math.max(maxId, id);
    }
    this.vocabSize = maxId + 1;
    // The post-processor's special tokens are added to every encoding: their ids must be tokens too.
    for (const id of [...this.affixes.prefixIds, ...this.affixes.suffixIds]) {
      if (!(Number.isInteger(id) && id >= 0 && id < this.vocabSize)) {
        throw new ConfigError(`${source}: the post_processor adds id ${id}, which is not in the vocabulary of ${this.vocabSize}`,
          'its special_tokens ids must be ids of model.vocab or added_tokens; the file is damaged or inconsistent');
      }
    }
    this.idTable = new Array<string | undefined>(this.vocabSize);
    for (const [token, id] of this.tokenIds) this.idTable[id] = token;
    for (const added of this.json.added_tokens) this.idTable[added.id] = added.content;
    this.specialIds = new Set(this.json.added_tokens.filter((t) => t.special).map((t) => t.id));

    const unkToken = this.json.model['unk_token'];
    if (this.json.model.type === 'WordPiece' && !(typeof unkToken === 'string' && this.tokenIds.has(unkToken))) {
      throw new ConfigError(`${source}: WordPiece unk_token ${JSON.stringify(unkToken)} is not in the vocabulary`,
        'WordPiece needs its unknown token ([UNK]) in model.vocab');
    }
    const roles = this.findRoles(source, options.specialTokens ?? {}, typeof unkToken === 'string' ? unkToken : undefined);
    this.padId = roles.pad;
    this.unkId = roles.unk;
    this.clsId = roles.cls;
    this.sepId = roles.sep;
    this.maskId = roles.mask;
    this.bosId = roles.bos;
    this.eosId = roles.eos;
  }

  private findRoles(source: string, given: Partial<Record<SpecialRole, string>>, unkToken: string | undefined):
    Record<SpecialRole, number | undefined> {
    const out = {} as Record<SpecialRole, number | undefined>;
    for (const role of Object.keys(conventionalNames) as SpecialRole[]) {
      const name = given[role];
      if (name !== undefined) {
        const id = this.tokenIds.get(name);
        if (id === undefined) {
          throw new ConfigError(`${source}: special token ${JSON.stringify(name)} (for ${role}) is not in the vocabulary`);
        }
        out[role] = id;
        continue;
      }
      // bos/eos: the single token encode puts before/after the text ([CLS]/[SEP] for BERT).
      const { prefixIds, suffixIds } = this.affixes;
      if (role === 'bos' && prefixIds.length === 1) out.bos = prefixIds[0];
      else if (role === 'eos' && suffixIds.length === 1) out.eos = suffixIds[0];
      else {
        const names = role === 'unk' && unkToken !== undefined ? [unkToken] : conventionalNames[role];
        out[role] = names.map((n) => this.tokenIds.get(n)).find((id) => id !== undefined);
      }
    }
    return out;
  }

  encode(text: string, options: EncodeOptions = {}): Encoding {
    if (typeof text !== 'string') throw new ConfigError(`encode: text is ${typeof text}, not a string`);
    const addSpecial = options.addSpecialTokens ?? true;
    const maxLength = options.maxLength ?? defaultMaxLength;
    const reserved = addSpecial ? this.nAdded : 0;
    if (!(maxLength === Infinity || (Number.isInteger(maxLength) && maxLength >= Math.max(reserved, 1)))) {
      throw new ConfigError(`encode: maxLength ${maxLength} is invalid`,
        `use an integer ≥ ${Math.max(reserved, 1)} (room for the special tokens), or Infinity for no truncation`);
    }
    // Text reaches Rust as UTF-8, where a lone surrogate has become U+FFFD; do the same.
    if (hasSurrogateRe.test(text)) text = text.replace(loneSurrogatesRe, '\ufffd');
    const encoded = this.runtime.encode(text, { add_special_tokens: false });
    let tokens = encoded.tokens;
    let ids: number[];
    if (encoded.ids.includes(undefined)) {
      // A model without an unknown token drops what it cannot encode, as the Rust crate does.
      tokens = tokens.filter((_, i) => encoded.ids[i] !== undefined);
      ids = encoded.ids.filter((id): id is number => id !== undefined);
    } else {
      ids = encoded.ids as number[];
    }
    const room = maxLength - reserved;
    const dropped = Math.max(0, ids.length - room);
    if (dropped > 0) {
      ids.length = room;
      tokens.length = room;
    }
    if (reserved === 0) return { ids, tokens, dropped };
    const a = this.affixes;
    return {
      ids: [...a.prefixIds, ...ids, ...a.suffixIds],
      tokens: [...a.prefixTokens, ...tokens, ...a.suffixTokens],
      dropped,
    };
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const skipSpecial = options.skipSpecialTokens ?? true;
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      const token = this.idTable[id];
      if (token === undefined) {
        throw new ConfigError(`decode: ids[${i}] = ${id} is not a token id`,
          `ids are integers in [0, ${this.vocabSize}) that name a vocabulary entry`);
      }
      if (!(skipSpecial && this.specialIds.has(id))) tokens.push(token);
    }
    const decoder = this.runtime.decoder;
    return decoder === null ? tokens.join(' ') : decoder(tokens);
  }

  tokenToId(token: string): number | undefined {
    return this.tokenIds.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.idTable[id];
  }

  toJSON(): TokenizerJson {
    return structuredClone(this.json);
  }
}

/** A Tokenizer from a tokenizer.json, given as text or as the parsed object. */
export function tokenizerFromJson(json: string | object, options: HfTokenizerOptions = {}): HfTokenizer {
  const source = options.source ?? 'tokenizer.json';
  let value: unknown = json;
  if (typeof json === 'string') {
    if (json.trim() === '') throw new ConfigError(`${source} is empty`, 'expected a Hugging Face tokenizer.json');
    try {
      value = JSON.parse(json);
    } catch (err) {
      throw new ConfigError(`${source} is not valid JSON: ${(err as Error).message}`,
        'expected a Hugging Face tokenizer.json');
    }
  }
  return new HfTokenizer(value, options);
}
