/**
 * Next token: the most likely next tokens after the text, as bars. The sliders reshape them live
 * (a temperature below 1 sharpens the distribution, above 1 flattens it); clicking a bar appends
 * that token to the text — generation by hand.
 */
import type { NextResponse } from '../../src/serve/api.js';
import { api } from '../api.js';
import { codeBox, jsString, openRunSnippet, shellQuote } from '../code.js';
import { errorBox, fill, fmtNum, h } from '../dom.js';
import type { PageState } from '../state.js';
import { barsChart } from '../widgets/bars.js';
import { isAbort, Latest, touches, type Changed, type Ctx, type View } from './view.js';

export function nextCommand(path: string, s: PageState): string {
  return `slm next --model ${shellQuote(path)} --text ${shellQuote(s.text)} --top-k ${s.bars}${s.temperature !== 1 ? ` --temperature ${s.temperature}` : ''}`;
}

export function nextLibrary(path: string, s: PageState): string {
  return `${openRunSnippet(path)}\nimport { nextTokens, promptIds } from 'slmkit';\nconst { tokens } = nextTokens(model, promptIds(tokenizer, ${jsString(s.text)}), { topK: ${s.bars}, temperature: ${s.temperature} });`;
}

export function nextView(ctx: Ctx): View {
  const bars = h('div', { class: 'next-bars', id: 'next-bars' });
  const info = h('div', { class: 'status' });
  const code = codeBox();
  const latest = new Latest();
  const el = h('section', { class: 'view' }, h('p', { class: 'lead' },
    'What the model thinks comes next, for the text as it stands. Move the temperature: below 1 the likely tokens take more of the probability, above 1 the rare ones catch up. Click a token to append it.'),
  bars, info, code.el);

  async function load(s: PageState): Promise<void> {
    const signal = latest.next();
    try {
      const r: NextResponse = await api.next({ run: s.run, text: s.text, topK: s.bars, temperature: s.temperature }, signal);
      fill(bars, barsChart(r.tokens, (t) => ctx.store.set({ text: ctx.store.get().text + t.append })));
      bars.dataset.run = r.run;
      bars.dataset.temperature = String(s.temperature);
      const shown = r.tokens.reduce((a, t) => a + t.p, 0);
      info.textContent = `read ${r.contextTokens} of the text's ${r.promptTokens} tokens; the ${r.tokens.length} bars hold ${(shown * 100).toFixed(1)}% of the probability; entropy ${fmtNum(r.entropy, 2)} nats`;
    } catch (err) {
      if (!isAbort(err)) fill(bars, errorBox(err));
    }
  }

  return {
    name: 'next', title: 'Next token', el, uses: { text: true, sampling: true, run: true },
    update(s, changed: Changed) {
      const r = ctx.run(s.run);
      if (!r) return;
      if (touches(changed, 'run', 'text', 'temperature', 'bars')) void load(s);
      code.set(nextCommand(r.path, s), nextLibrary(r.path, s));
    },
    hide: () => latest.abort(),
  };
}
