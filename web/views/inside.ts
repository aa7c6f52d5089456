/**
 * Inside the model: what only some families have. The transformer's attention maps (per layer and
 * head, or the heads' mean, for the current text); the Markov chains' table row for a token (its
 * top transitions: click a token of the text to see its row); an n-gram's counts and Kneser-Ney
 * back-off, order by order, for the current context. Other families say they have none yet.
 */
import type { InsideResponse } from '../../src/serve/api.js';
import { api } from '../api.js';
import { codeBox, jsString, openRunSnippet, shellQuote } from '../code.js';
import { errorBox, fill, fmtP, h, showToken } from '../dom.js';
import type { PageState } from '../state.js';
import { barsChart } from '../widgets/bars.js';
import { attentionCanvas } from '../widgets/heatmap.js';
import { isAbort, Latest, touches, type Changed, type Ctx, type View } from './view.js';

export function insideView(ctx: Ctx): View {
  const body = h('div', { class: 'inside', id: 'inside' });
  const code = codeBox();
  const latest = new Latest();
  let rowToken: number | undefined;
  let lastView: InsideResponse['view'] | null = null;
  let shownRow: number | undefined; // the row on screen (the text's last token unless one was clicked)
  const el = h('section', { class: 'view' }, h('p', { class: 'lead' },
    'Inside the model: where a transformer looks when it reads each token, a Markov chain\'s table row, an n-gram\'s counts and how it backs off to shorter contexts.'),
  body, code.el);

  function select(label: string, value: number, options: [number, string][], set: (v: number) => void, id: string): HTMLElement {
    return h('label', {}, `${label} `, h('select', { id, onchange: (e: Event) => set(Number((e.target as HTMLSelectElement).value)) },
      ...options.map(([v, t]) => h('option', { value: v, selected: v === value }, t))));
  }

  function draw(r: InsideResponse, s: PageState): void {
    lastView = r.view;
    body.dataset.view = r.view;
    switch (r.view) {
      case 'attention': {
        const layers = Array.from({ length: r.layers }, (_, i): [number, string] => [i, `${i}`]);
        const heads: [number, string][] = [[-1, 'mean of all heads'], ...Array.from({ length: r.heads }, (_, i): [number, string] => [i, `${i}`])];
        fill(body, h('div', { class: 'row' },
          select('layer', r.layer, layers, (v) => ctx.store.set({ layer: v }), 'att-layer'),
          select('head', r.head, heads, (v) => ctx.store.set({ head: v }), 'att-head')),
        attentionCanvas(r.tokens, r.weights));
        return;
      }
      case 'row':
        shownRow = r.token.id;
        fill(body, h('p', {}, `The table's row for `, h('code', {}, showToken(r.token.token)), ` (id ${r.token.id}): after it, these come next. `,
          `${r.aboveUniform.toLocaleString()} of the ${r.vocabSize.toLocaleString()} tokens are above uniform (1/V). Click a token of the text below to see its row.`),
        barsChart(r.top), h('div', { class: 'chips', id: 'row-tokens' }));
        void drawRowPicker(s);
        return;
      case 'ngram':
        fill(body, h('p', {}, `A ${r.order}-gram with ${r.smoothing === 'kn' ? 'interpolated Kneser-Ney' : r.smoothing} smoothing reads at most ${r.order - 1} tokens back. `,
          `Order by order, from the unigram up: the context, how often training saw it, and the probability after that order is mixed in. The estimate comes from order ${r.usedOrder}.`),
        h('table', { class: 'ngram' }, h('thead', {}, h('tr', {}, h('th', {}, 'order'), h('th', {}, 'context'), h('th', {}, 'seen'), h('th', {}, 'c(h •)'), h('th', {}, 'types'),
          h('th', {}, 'back-off γ'), h('th', {}, 'top continuations (count, p)'))),
        h('tbody', {}, ...r.orders.map((o) => h('tr', { class: o.seen ? '' : 'unseen' },
          h('td', {}, String(o.order)), h('td', {}, o.context.length ? o.context.map(showToken).join(' ') : '(none)'), h('td', {}, o.seen ? 'yes' : 'no: backs off'),
          h('td', {}, o.total.toLocaleString()), h('td', {}, o.types.toLocaleString()), h('td', {}, o.backoff === null ? '–' : o.backoff.toFixed(3)),
          h('td', {}, o.top.map((t) => `${showToken(t.token)} (${t.count}, ${fmtP(t.p)})`).join(', ')))))));
        return;
      case 'none':
        fill(body, h('p', {}, r.why));
        return;
      default:
        return r satisfies never;
    }
  }

  async function drawRowPicker(s: PageState): Promise<void> {
    const r = await api.tokenize({ run: s.run, text: s.text });
    const box = body.querySelector('#row-tokens');
    if (!box) return;
    fill(box, ...r.tokens.filter((t) => t.kept && !(t.special && t.token === '[SEP]')).map((t) => h('button', {
      type: 'button', class: 'chip', onclick: () => {
        rowToken = t.id;
        void load(ctx.store.get());
      },
    }, h('span', { class: 'piece' }, showToken(t.token)), h('span', { class: 'id' }, String(t.id)))));
  }

  async function load(s: PageState): Promise<void> {
    const signal = latest.next();
    try {
      const r = await api.inside({ run: s.run, text: s.text, layer: s.layer >= 0 ? s.layer : undefined, head: s.head, token: rowToken, topK: s.bars }, signal);
      draw(r, s);
      setCode(s, r.view);
    } catch (err) {
      if (!isAbort(err)) fill(body, errorBox(err));
    }
  }

  function setCode(s: PageState, view: InsideResponse['view'] | null): void {
    const r = ctx.run(s.run);
    if (!r) return;
    const cmd = `slm inside --model ${shellQuote(r.path)} --text ${shellQuote(s.text)}${view === 'attention' && s.layer >= 0 ? ` --layer ${s.layer}` : ''}${view === 'attention' && s.head >= 0 ? ` --head ${s.head}` : ''}${view === 'row' && shownRow !== undefined ? ` --token ${shownRow}` : ''}`;
    const call = view === 'attention' ? `import { attentionMaps, promptIds } from 'slmkit';\nconst { maps } = attentionMaps(model, promptIds(tokenizer, ${jsString(s.text)})); // maps[layer][head]: (T,T)`
      : view === 'row' ? `import { tableRow } from 'slmkit';\nconst { top } = tableRow(model, ${shownRow ?? 'tokenId'}); // ${shownRow === undefined ? 'a token id' : 'the row shown'}`
        : view === 'ngram' ? `import { explainNgram, promptIds } from 'slmkit';\nconst { orders } = explainNgram(model, promptIds(tokenizer, ${jsString(s.text)}));`
          : `import { insideView } from 'slmkit';\ninsideView(model); // which view a model has`;
    code.set(cmd, `${openRunSnippet(r.path)}\n${call}`);
  }

  return {
    name: 'inside', title: 'Inside the model', el, uses: { text: true, sampling: false, run: true },
    update(s, changed: Changed) {
      if (!ctx.run(s.run)) return;
      if (touches(changed, 'run')) rowToken = undefined;
      if (touches(changed, 'text')) rowToken = undefined;
      if (touches(changed, 'run', 'text', 'layer', 'head', 'bars')) void load(s);
      setCode(s, lastView);
    },
    hide: () => latest.abort(),
  };
}
