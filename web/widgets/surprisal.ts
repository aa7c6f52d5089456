/**
 * Surprisal: the text as its tokens, each coloured by −ln p(token | before it) — white where the
 * model expected it, deep red where it was lost — with p and the loss on hover, and the total loss
 * and bits per token underneath. The first token is given, not predicted, so it stays grey.
 */
import type { ScoreResponse } from '../../src/serve/api.js';
import { h, fmtNum, fmtP, showToken } from '../dom.js';

/** Background for a loss in nats: 0 → white, 10 or more → deep red. */
export function lossColor(loss: number | null): string {
  if (loss === null) return 'hsl(0 0% 90%)';
  const x = Math.min(1, Math.max(0, loss / 10));
  return `hsl(${(50 - 50 * x).toFixed(0)} 95% ${(97 - 47 * x).toFixed(0)}%)`;
}

export function surprisalText(r: ScoreResponse): HTMLElement {
  const tokens = r.tokens.map((t, i) => h('span', {
    class: `tok${i === 0 ? ' given' : ''}`, style: `background:${lossColor(i === 0 ? null : t.loss)}`,
    title: i === 0 ? `${t.token}: given (the start of the document)` : `${t.token}: p = ${fmtP(t.p)}, −ln p = ${fmtNum(t.loss, 2)} nats`,
    'data-loss': t.loss === null ? '' : t.loss,
  }, showToken(t.token)));
  const summary = r.meanLoss === null
    ? `${r.scored} tokens scored; some have probability 0 (an unseen pair under maximum likelihood): the loss is infinite`
    : `${r.scored} tokens: total ${fmtNum(r.totalLoss, 2)} nats, mean ${fmtNum(r.meanLoss)} nats = ${fmtNum(r.bitsPerToken, 2)} bits per token (perplexity ${fmtNum(Math.exp(r.meanLoss), 1)})`;
  return h('div', { class: 'surprisal' }, h('div', { class: 'tokens' }, ...tokens), h('div', { class: 'summary' }, summary));
}

export function lossLegend(): HTMLElement {
  return h('div', { class: 'legend' }, 'surprisal −ln p: ', ...[0, 2, 4, 6, 8, 10].map((x) => h('span', { class: 'tok', style: `background:${lossColor(x)}` }, `${x}${x === 10 ? '+' : ''}`)), ' nats');
}
