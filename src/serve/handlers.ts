/**
 * The JSON endpoints that read a model: next-token bars, tokenization, per-token surprisal and the
 * model-specific views. Each checks its fields, finds the run, and makes one library call
 * (nextTokens, encode, scoreIds, attentionMaps / tableRow / explainNgram); no model code here.
 */
import { insideView } from '../models/inspect.js';
import { explainNgram } from '../ngram/explain.js';
import { attentionMaps, tableRow } from '../models/inspect.js';
import { nextTokens, scoreIds } from '../sample/next.js';
import { promptIds } from '../sample/prompt.js';
import { defaultMaxLength } from '../tokenizer/hfTokenizer.js';
import type { Tokenizer } from '../tokenizer/types.js';
import {
  limits, type InsideResponse, type NextResponse, type ScoreResponse, type TokenizeResponse, type TokenPiece,
} from './api.js';
import { Fields } from './body.js';
import { HttpError } from './errors.js';
import type { LoadedModel, RunRegistry } from './registry.js';

/** A token's text for display (its vocabulary entry). */
export function tokenText(t: Tokenizer, id: number): string {
  return t.idToToken(id) ?? `[${id}]`;
}

/**
 * The ids a model reads for `text` (special tokens, no trailing end token, as generation uses);
 * a text longer than the model's context is a 400 naming both lengths.
 */
export function textIds(m: LoadedModel, text: string, cap: number = limits.tokens): number[] {
  const ids = promptIds(m.tokenizer, text);
  const max = Math.min(m.model.maxSequence ?? Infinity, cap);
  if (ids.length > max) {
    throw new HttpError(400, 'prompt-too-long', `the text is ${ids.length} tokens; ${m.model.maxSequence !== undefined && m.model.maxSequence <= cap
      ? `run ${m.id} reads at most ${m.model.maxSequence} (its context)` : `this view takes at most ${cap}`}`, `shorten it to at most ${max} tokens`);
  }
  return ids;
}

const round = (x: number, digits = 6) => (Number.isFinite(x) ? +x.toPrecision(digits) : null);

/** The most likely next tokens after `text`, each with the text it would append. */
export function computeNext(m: LoadedModel, text: string, topK = 10, temperature = 1): NextResponse {
  const ids = textIds(m, text);
  const r = nextTokens(m.model, ids, { topK, temperature });
  const base = m.tokenizer.decode(ids);
  return {
    run: m.id, promptTokens: ids.length, contextTokens: r.contextTokens, entropy: r.entropy,
    tokens: r.tokens.map((t) => {
      // What choosing this token adds to the text as decoded (WordPiece joins ## pieces; specials add nothing).
      const next = m.tokenizer.decode([...ids, t.id]);
      return { id: t.id, token: tokenText(m.tokenizer, t.id), p: t.p, logit: t.logit, append: next.startsWith(base) ? next.slice(base.length) : ` ${next}` };
    }),
  };
}

export async function nextHandler(reg: RunRegistry, body: unknown): Promise<NextResponse> {
  const f = new Fields(body);
  const run = f.str('run');
  const text = f.str('text', { maxLength: limits.textChars });
  const topK = f.optInt('topK', { min: 1, max: limits.topK }) ?? 10;
  const temperature = f.optNum('temperature', { above: 0, max: 100 }) ?? 1;
  f.done();
  return computeNext(await reg.load(run), text, topK, temperature);
}

export function tokenizeHandler(reg: RunRegistry, body: unknown): TokenizeResponse {
  const f = new Fields(body);
  const run = f.str('run');
  const text = f.str('text', { maxLength: limits.textChars });
  const maxLength = f.optInt('maxLength', { min: 2, max: 100_000 }) ?? defaultMaxLength;
  const lowercase = f.optBool('lowercase');
  f.done();
  const e = reg.entry(run);
  const base = reg.tokenizerOf(e);
  const tok = lowercase === undefined ? base.tokenizer : reg.tokenizerVariant(e, lowercase);
  const full = tok.encode(text, { maxLength: Infinity });
  const cut = tok.encode(text, { maxLength });
  // Truncation drops tokens before the trailing special tokens ([SEP]), which stay.
  let tail = 0;
  while (tail < cut.ids.length && tok.specialIds.has(cut.ids[cut.ids.length - 1 - tail]!)) tail++;
  const keptHead = cut.ids.length - tail;
  const tokens: TokenPiece[] = full.ids.map((id, i) => ({
    id, token: full.tokens[i]!, special: tok.specialIds.has(id), continuation: full.tokens[i]!.startsWith('##'),
    kept: i < keptHead || i >= full.ids.length - tail,
  }));
  return {
    run, tokens, dropped: full.ids.length - cut.ids.length, maxLength, lowercase: lowercase ?? base.info.lowercase,
    runLowercases: base.info.lowercase, decoded: tok.decode(cut.ids),
  };
}

/** The surprisal of every token of `text` after the first. */
export function computeScore(m: LoadedModel, text: string): ScoreResponse {
  const ids = textIds(m, text);
  if (ids.length < 2) throw new HttpError(400, 'bad-request', 'the text has no token to score', 'type a word or more');
  const r = scoreIds(m.model, ids);
  const finite = Number.isFinite(r.totalLoss);
  return {
    run: m.id, scored: r.tokens.length,
    tokens: [
      { id: ids[0]!, token: tokenText(m.tokenizer, ids[0]!), p: 1, loss: null },
      ...r.tokens.map((t) => ({ id: t.id, token: tokenText(m.tokenizer, t.id), p: t.p, loss: round(t.loss) })),
    ],
    totalLoss: finite ? r.totalLoss : null, meanLoss: finite ? r.meanLoss : null, bitsPerToken: finite ? r.bitsPerToken : null,
  };
}

export async function scoreHandler(reg: RunRegistry, body: unknown): Promise<ScoreResponse> {
  const f = new Fields(body);
  const run = f.str('run');
  const text = f.str('text', { maxLength: limits.textChars });
  f.done();
  return computeScore(await reg.load(run), text);
}

export async function insideHandler(reg: RunRegistry, body: unknown): Promise<InsideResponse> {
  const f = new Fields(body);
  const run = f.str('run');
  const text = f.str('text', { maxLength: limits.textChars });
  const layer = f.optInt('layer', { min: 0 });
  const head = f.optInt('head', { min: -1 });
  const token = f.optInt('token', { min: 0 });
  const topK = f.optInt('topK', { min: 1, max: limits.topK }) ?? 10;
  f.done();
  return computeInside(await reg.load(run), text, { layer, head, token, topK });
}

/** The model-specific view of `text`: attention maps, the table row, or the n-gram's counts and back-off. */
export function computeInside(m: LoadedModel, text: string, o: { layer?: number; head?: number; token?: number; topK?: number } = {}): InsideResponse {
  const { layer, head, token } = o;
  const topK = o.topK ?? 10;
  const run = m.id;
  const tok = m.tokenizer;
  const v = insideView(m.model);
  switch (v.view) {
    case 'attention': {
      const ids = textIds(m, text, limits.attentionTokens);
      const { layers, heads, maps } = attentionMaps(v.model, ids);
      const l = layer ?? layers - 1;
      const h = head ?? -1;
      if (l >= layers) throw new HttpError(400, 'bad-request', `layer ${l} does not exist: the model has ${layers} (0 to ${layers - 1})`);
      if (h >= heads) throw new HttpError(400, 'bad-request', `head ${h} does not exist: the model has ${heads} per layer (0 to ${heads - 1}, or -1 for their mean)`);
      const T = ids.length;
      const pick = h >= 0 ? [maps[l]![h]!] : maps[l]!;
      const weights = Array.from({ length: T }, (_, i) => Array.from({ length: i + 1 }, (_, j) => {
        let s = 0;
        for (const mp of pick) s += mp[i * T + j]!;
        return +(s / pick.length).toFixed(4);
      }));
      return { view: 'attention', run, layers, heads, layer: l, head: h, tokens: ids.map((id) => tokenText(tok, id)), weights };
    }
    case 'row': {
      const ids = textIds(m, text);
      const t = token ?? ids[ids.length - 1]!;
      const r = tableRow(v.model, t, topK);
      return {
        view: 'row', run, token: { id: t, token: tokenText(tok, t), p: 1 }, aboveUniform: r.aboveUniform, vocabSize: m.model.config.vocabSize,
        top: r.top.map((x) => ({ id: x.id, token: tokenText(tok, x.id), p: x.p, logit: x.logit })),
      };
    }
    case 'ngram': {
      const ids = textIds(m, text);
      const x = explainNgram(v.model, ids, topK);
      return {
        view: 'ngram', run, order: v.model.order, smoothing: x.smoothing, usedOrder: x.usedOrder,
        orders: x.orders.map((o) => ({
          ...o, context: o.context.map((id) => tokenText(tok, id)),
          top: o.top.map((t) => ({ id: t.id, token: tokenText(tok, t.id), count: t.count, p: t.p })),
        })),
      };
    }
    case 'none':
      return { view: 'none', run, why: `no inside view for ${m.model.config.type} models yet; the next-token bars and surprisal work for every model` };
    default:
      return v satisfies never;
  }
}
