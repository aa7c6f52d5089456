/**
 * An attention map drawn on a canvas: row i (a query position) shows how it spreads its attention
 * over positions 0..i (the keys), darker for more; the tokens label both axes. A canvas, not SVG,
 * because a 256-token text is 33k cells.
 */
import { h } from '../dom.js';

export function attentionCanvas(tokens: readonly string[], weights: readonly (readonly number[])[]): HTMLElement {
  const T = tokens.length;
  const cell = Math.max(4, Math.min(22, Math.floor(640 / Math.max(1, T))));
  const label = T <= 64 ? 90 : 0;
  const canvas = h('canvas', { class: 'heatmap', width: label + T * cell + 2, height: label + T * cell + 2, 'data-tokens': T });
  const ctx = canvas.getContext('2d');
  if (ctx) {
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    for (let i = 0; i < T; i++) {
      const row = weights[i] ?? [];
      for (let j = 0; j <= i; j++) {
        const w = row[j] ?? 0;
        ctx.fillStyle = `rgba(0, 90, 170, ${Math.min(1, Math.sqrt(w)).toFixed(3)})`;
        ctx.fillRect(label + j * cell, label + i * cell, cell - (cell > 6 ? 1 : 0), cell - (cell > 6 ? 1 : 0));
      }
    }
    if (label > 0) {
      ctx.fillStyle = '#222';
      ctx.font = `${Math.min(12, cell)}px sans-serif`;
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      tokens.forEach((t, i) => ctx.fillText(t.slice(0, 12), label - 4, label + i * cell + cell / 2));
      tokens.forEach((t, j) => {
        ctx.save();
        ctx.translate(label + j * cell + cell / 2, label - 4);
        ctx.rotate(-Math.PI / 2);
        ctx.textAlign = 'left';
        ctx.fillText(t.slice(0, 12), 0, 0);
        ctx.restore();
      });
    }
  }
  return h('figure', { class: 'attention' }, canvas,
    h('figcaption', {}, 'rows: the position reading (query); columns: the positions it looks at (keys); darker = more attention. Each row sums to 1.'));
}
