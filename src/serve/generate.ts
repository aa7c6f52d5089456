/**
 * POST /api/generate: the library's generateIds with the options of `slm generate` (same seed,
 * same text), streamed one event per token. Between tokens it gives the event loop a turn, so
 * other requests are answered while a long generation runs, and it stops drawing as soon as the
 * client is gone (a closed tab) instead of finishing into the void.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { generateIds } from '../sample/generate.js';
import { completeText, endStopIds } from '../sample/prompt.js';
import { checkSamplingOptions } from '../sample/sampling.js';
import { Rng } from '../tensor/rng.js';
import { limits, type GenerateEvent } from './api.js';
import { Fields } from './body.js';
import { errorResponse, HttpError } from './errors.js';
import { textIds, tokenText } from './handlers.js';
import type { RunRegistry } from './registry.js';
import { EventStream, nextTurn } from './stream.js';

/** Counters the server reports in /api/health. */
export interface GenerationStats {
  active: number;
  cancelled: number;
  /** Tokens drawn by all generations. */
  tokens: number;
}

export async function generateHandler(reg: RunRegistry, stats: GenerationStats, body: unknown, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const f = new Fields(body);
  const run = f.str('run');
  const prompt = f.str('prompt', { maxLength: limits.textChars });
  const maxNewTokens = f.optInt('maxNewTokens', { min: 0, max: limits.maxNewTokens }) ?? 30;
  const temperature = f.optNum('temperature', { above: 0, max: 100 });
  const topK = f.optInt('topK', { min: 1 });
  const topP = f.optNum('topP', { above: 0, max: 1 });
  const seed = f.optInt('seed', { min: 0, max: 2 ** 32 - 1 }) ?? 42;
  const greedy = f.optBool('greedy');
  const pastEnd = f.optBool('pastEnd') ?? false;
  f.done();
  if (stats.active >= limits.generations) {
    throw new HttpError(503, 'busy', `${stats.active} generations are running, the most this server runs at once`, 'try again in a moment');
  }
  const m = await reg.load(run);
  const start = textIds(m, prompt);
  const tok = m.tokenizer;
  const stopIds = endStopIds(tok, !pastEnd);
  // Checked before the stream starts (a generator checks only at its first draw), so bad options are a 4xx, not an event.
  checkSamplingOptions({ temperature, topK, topP, greedy });
  const draws = generateIds(m.model, start, { maxNewTokens, temperature, topK, topP, greedy, rng: new Rng(seed), stopIds });

  const stream = new EventStream(req, res);
  stats.active++;
  const ids = [...start];
  let shown = completeText(tok.decode(ids));
  let stop: 'end' | 'length' = 'length';
  try {
    await stream.send({ type: 'start', run, promptTokens: start.length, contextSize: m.model.contextSize, cut: start.length > m.model.contextSize } satisfies GenerateEvent);
    let index = 0;
    for (const id of draws) {
      if (stream.closed) break;
      ids.push(id);
      const text = completeText(tok.decode(ids));
      const delta = text.startsWith(shown) ? text.slice(shown.length) : text;
      shown = text;
      stats.tokens++;
      await stream.send({ type: 'token', index: index++, id, token: tokenText(tok, id), delta, text } satisfies GenerateEvent);
      if (stopIds.includes(id)) stop = 'end';
      await nextTurn();
    }
    if (stream.closed) {
      stats.cancelled++;
      return;
    }
    await stream.send({ type: 'done', text: tok.decode(ids), ids: ids.slice(start.length), newTokens: ids.length - start.length, stop } satisfies GenerateEvent);
  } catch (err) {
    const r = errorResponse(err);
    if (r.internal) console.error(err);
    await stream.send({ type: 'error', ...r.body } satisfies GenerateEvent);
  } finally {
    stats.active--;
    stream.end();
  }
}
