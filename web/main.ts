/**
 * The playground's shell: loads the run list, builds the shared controls (run, text, sampling)
 * and one tab per view, keeps the state in the URL, and tells the visible view what changed.
 * Everything the page shows comes from the JSON API or from the slmkit core running here.
 */
import type { FamilyInfo, RunInfo } from '../src/serve/api.js';
import { api } from './api.js';
import { debounce, errorBox, fill, h } from './dom.js';
import { readState, Store, type PageState } from './state.js';
import { compareView } from './views/compare.js';
import { generateView } from './views/generate.js';
import { insideView } from './views/inside.js';
import { nextView } from './views/next.js';
import { tabView } from './views/tab.js';
import { tokenizerView } from './views/tokenizer.js';
import { trainingView } from './views/training.js';
import type { Ctx, View } from './views/view.js';

async function boot(): Promise<void> {
  const root = document.getElementById('app')!;
  let runs: RunInfo[] = [];
  let families: FamilyInfo[] = [];
  let canTrain = false;
  let data: string | null = null;
  const refreshRuns = async () => {
    const r = await api.runs();
    runs = r.runs;
    families = r.families;
    canTrain = r.canTrain;
    data = r.data;
  };
  try {
    await refreshRuns();
  } catch (err) {
    fill(root, errorBox(err));
    return;
  }
  const state = readState(location.search);
  if (!runs.some((r) => r.id === state.run)) state.run = runs.find((r) => r.ready)?.id ?? runs[0]?.id ?? '';
  const store = new Store(state);
  const ctx: Ctx = {
    store, runs: () => runs, run: (id) => runs.find((r) => r.id === id), families: () => families, canTrain: () => canTrain, data: () => data, refreshRuns,
  };
  const views: View[] = [generateView(ctx), nextView(ctx), compareView(ctx), tokenizerView(ctx), insideView(ctx), trainingView(ctx), tabView(ctx)];
  const byName = new Map(views.map((v) => [v.name, v]));

  // Shared controls.
  const runSel = h('select', { id: 'run', onchange: (e: Event) => store.set({ run: (e.target as HTMLSelectElement).value, layer: -1, head: -1 }) });
  const drawRuns = () => fill(runSel, ...runs.map((r) => h('option', { value: r.id, selected: r.id === store.get().run, disabled: !r.ready },
    `${r.id} — ${r.description}${r.ready ? '' : ' (no checkpoint yet)'}`)));
  drawRuns();
  const setText = debounce((v: string) => store.set({ text: v }), 250);
  const text = h('textarea', { id: 'text', rows: 3, spellcheck: false, oninput: (e: Event) => setText((e.target as HTMLTextAreaElement).value) }, state.text);
  const num = (key: 'temperature' | 'topK' | 'topP' | 'seed' | 'maxNewTokens' | 'bars', attrs: Record<string, string | number>, label: string) => {
    const out = h('output', {}, String(state[key]));
    const input = h('input', {
      id: `ctl-${key}`, ...attrs, value: state[key],
      oninput: (e: Event) => {
        const v = Number((e.target as HTMLInputElement).value);
        out.textContent = String(v);
        if (Number.isFinite(v)) store.set({ [key]: v } as Partial<PageState>);
      },
    });
    return { el: h('label', { class: 'ctl' }, `${label} `, input, attrs.type === 'range' ? out : null), input, out };
  };
  const temp = num('temperature', { type: 'range', min: 0.05, max: 3, step: 0.05 }, 'temperature');
  const bars = num('bars', { type: 'number', min: 1, max: 200, step: 1, size: 4 }, 'bars');
  const topK = num('topK', { type: 'number', min: 0, max: 100000, step: 1, size: 6 }, 'top-k (0: off)');
  const topP = num('topP', { type: 'range', min: 0.05, max: 1, step: 0.05 }, 'top-p');
  const seed = num('seed', { type: 'number', min: 0, step: 1, size: 6 }, 'seed');
  const maxNew = num('maxNewTokens', { type: 'number', min: 0, max: 2000, step: 1, size: 5 }, 'tokens');
  const greedy = h('input', { type: 'checkbox', id: 'ctl-greedy', checked: state.greedy, onchange: (e: Event) => store.set({ greedy: (e.target as HTMLInputElement).checked }) });
  const pastEnd = h('input', { type: 'checkbox', id: 'ctl-pastEnd', checked: state.pastEnd, onchange: (e: Event) => store.set({ pastEnd: (e.target as HTMLInputElement).checked }) });
  const sampling = h('div', { class: 'controls' }, temp.el, bars.el, topK.el, topP.el, seed.el, maxNew.el,
    h('label', { class: 'ctl' }, greedy, ' greedy'), h('label', { class: 'ctl' }, pastEnd, ' past the end'));
  const runRow = h('div', { class: 'row' }, h('label', {}, 'run ', runSel));
  const textRow = h('div', { class: 'text-row' }, h('label', { for: 'text' }, 'text'), text);
  const tabs = h('nav', { class: 'tabs', role: 'tablist' }, ...views.map((v) => h('button', {
    type: 'button', role: 'tab', id: `nav-${v.name}`, 'data-view': v.name, onclick: () => store.set({ view: v.name }),
  }, v.title)));
  const holder = h('main', {}, ...views.map((v) => v.el));
  fill(root, h('header', {}, h('h1', {}, 'slmkit playground'), h('span', { class: 'sub' }, `${runs.length} run${runs.length === 1 ? '' : 's'} · everything computed on this machine`)),
    tabs, runRow, textRow, sampling, holder);

  let shown: View | null = null;
  const show = (s: PageState) => {
    const v = byName.get(s.view) ?? byName.get('next')!;
    if (shown !== v) {
      shown?.hide?.();
      for (const x of views) x.el.hidden = x !== v;
      for (const b of tabs.querySelectorAll('button')) b.setAttribute('aria-selected', String(b.dataset.view === v.name));
      runRow.hidden = !v.uses.run;
      textRow.hidden = !v.uses.text;
      sampling.hidden = !v.uses.sampling;
      shown = v;
      v.update(s, 'shown');
    }
  };
  store.listen((s, changed) => {
    if (changed.has('text') && text.value !== s.text) text.value = s.text;
    if (changed.has('run')) drawRuns();
    if (changed.has('view')) show(s);
    else shown?.update(s, changed);
  });
  window.addEventListener('popstate', () => location.reload());
  show(store.get());
  document.body.dataset.ready = '1';
}

void boot();
