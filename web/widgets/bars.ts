/**
 * Next-token bars: one row per candidate token, its probability as a bar (scaled to the most
 * likely one, so the shape shows) and as a percentage; a row is a button when picking a token
 * appends it to the text (generation by hand).
 */
import { h, fmtP, showToken } from '../dom.js';

export interface Bar {
  id: number;
  token: string;
  p: number;
}

export function barsChart<B extends Bar>(bars: readonly B[], onPick?: (b: B) => void): HTMLElement {
  const max = Math.max(1e-12, ...bars.map((b) => b.p));
  return h('ol', { class: 'bars' }, ...bars.map((b) => {
    const row = h(onPick ? 'button' : 'div', {
      class: 'bar-row', title: `id ${b.id}: p = ${b.p.toPrecision(6)}`, 'data-token': b.token, 'data-p': b.p, type: onPick ? 'button' : undefined,
      onclick: onPick ? () => onPick(b) : undefined,
    },
    h('span', { class: 'bar-token' }, showToken(b.token)),
    h('span', { class: 'bar-track' }, h('span', { class: 'bar-fill', style: `width:${((b.p / max) * 100).toFixed(2)}%` })),
    h('span', { class: 'bar-p' }, fmtP(b.p)));
    return h('li', {}, row);
  }));
}
