/**
 * Side by side: the same text through several runs at once — each run's next-token bars and the
 * text coloured by its surprisal, with the total loss and bits per token — so a learner sees where
 * a bigram is lost and a longer context is not. Every registered model family appears here
 * through the same two calls (scoreIds, nextTokens).
 */
import type { RunInfo } from '../../src/serve/api.js';
import { api } from '../api.js';
import { codeBox, jsString, shellQuote } from '../code.js';
import { errorBox, fill, h } from '../dom.js';
import type { PageState } from '../state.js';
import { barsChart } from '../widgets/bars.js';
import { lossLegend, surprisalText } from '../widgets/surprisal.js';
import { isAbort, Latest, touches, type Changed, type Ctx, type View } from './view.js';

/** The runs to compare: those chosen, else every run with a checkpoint. */
export function comparedRuns(ctx: Ctx, s: PageState): RunInfo[] {
  const chosen = s.runs.map((id) => ctx.run(id)).filter((r): r is RunInfo => r !== undefined);
  return chosen.length > 0 ? chosen : ctx.runs().filter((r) => r.ready);
}

export function compareView(ctx: Ctx): View {
  const picks = h('div', { class: 'picks' });
  const grid = h('div', { class: 'compare-grid', id: 'compare-grid' });
  const code = codeBox();
  const latest = new Latest();
  const el = h('section', { class: 'view' }, h('p', { class: 'lead' },
    'One text, several models. Each token is coloured by how surprised the model was to see it (−ln p): a bigram reads one token back, a transformer reads the whole text, and the colours show where that matters.'),
  picks, lossLegend(), grid, code.el);

  function drawPicks(s: PageState): void {
    const shown = new Set(comparedRuns(ctx, s).map((r) => r.id));
    fill(picks, 'runs: ', ...ctx.runs().map((r) => h('label', { class: 'pick' }, h('input', {
      type: 'checkbox', checked: shown.has(r.id), disabled: !r.ready, 'data-run': r.id,
      onchange: (e: Event) => {
        const on = (e.target as HTMLInputElement).checked;
        const now = comparedRuns(ctx, ctx.store.get()).map((x) => x.id);
        ctx.store.set({ runs: on ? [...now, r.id] : now.filter((x) => x !== r.id) });
      },
    }), ` ${r.id} `, h('small', {}, r.description))));
  }

  async function load(s: PageState): Promise<void> {
    const signal = latest.next();
    const runs = comparedRuns(ctx, s);
    fill(grid, ...runs.map((r) => h('article', { class: 'card', 'data-run': r.id }, h('h3', {}, r.id, ' ', h('small', {}, r.description)), h('div', { class: 'loading' }, 'computing…'))));
    await Promise.all(runs.map(async (r, i) => {
      const card = grid.children[i] as HTMLElement;
      try {
        const [score, next] = await Promise.all([
          api.score({ run: r.id, text: s.text }, signal),
          api.next({ run: r.id, text: s.text, topK: 5, temperature: s.temperature }, signal),
        ]);
        card.dataset.meanLoss = String(score.meanLoss);
        fill(card, h('h3', {}, r.id, ' ', h('small', {}, r.description)), surprisalText(score), h('div', { class: 'label' }, 'next token'), barsChart(next.tokens));
      } catch (err) {
        if (!isAbort(err)) fill(card, h('h3', {}, r.id), errorBox(err));
      }
    }));
  }

  return {
    name: 'compare', title: 'Side by side', el, uses: { text: true, sampling: false, run: false },
    update(s, changed: Changed) {
      if (touches(changed, 'runs')) drawPicks(s);
      if (touches(changed, 'runs', 'text', 'temperature')) void load(s);
      const runs = comparedRuns(ctx, s);
      code.set(runs.map((r) => `slm score --model ${shellQuote(r.path)} --text ${shellQuote(s.text)}`).join('\n'),
        `import { openRun } from 'slmkit/node';\nimport { promptIds, scoreIds } from 'slmkit';\nfor (const dir of ${JSON.stringify(runs.map((r) => r.path))}) {\n  const { model, tokenizer } = openRun(dir);\n  const { meanLoss, tokens } = scoreIds(model, promptIds(tokenizer, ${jsString(s.text)}));\n}`);
    },
    hide: () => latest.abort(),
  };
}
