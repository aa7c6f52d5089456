/**
 * Training: the loss curves (train and test) of every run served, live while a run trains —
 * `slm train` in another terminal, or a run started, stopped and resumed here when the server was
 * given --runs and --data. Curves arrive as metrics.jsonl grows (one event stream per run) and are
 * drawn by the same chart code as `slm plot`.
 */
import type { FamilyInfo, RunInfo } from '../../src/serve/api.js';
import { api, followMetrics } from '../api.js';
import { codeBox, shellQuote } from '../code.js';
import { debounce, errorBox, fill, fmtNum, h } from '../dom.js';
import { curvesOf, lossChart } from '../widgets/chart.js';
import type { XAxis } from 'slmkit';
import type { Ctx, View } from './view.js';

export function trainingView(ctx: Ctx): View {
  const texts = new Map<string, string>();
  let stream: { ids: string; stop: () => void } | null = null;
  const chartBox = h('div', { id: 'train-chart' });
  const table = h('div', { class: 'runs-table' });
  const form = h('div', { class: 'train-form' });
  const note = h('div', { class: 'status' });
  const code = codeBox();
  let x: XAxis = 'steps';
  let poll: ReturnType<typeof setInterval> | null = null;
  const xSel = h('select', { onchange: (e: Event) => { x = (e.target as HTMLSelectElement).value as XAxis; draw(); } },
    h('option', { value: 'steps' }, 'steps'), h('option', { value: 'tokens' }, 'tokens seen'), h('option', { value: 'seconds' }, 'time'));
  const el = h('section', { class: 'view' }, h('p', { class: 'lead' },
    'Loss per token as the runs train: the training loss at every step (faint) and smoothed, the held-out test loss at each evaluation (dashed), counted n-grams as dotted levels. A run trained in another terminal appears here as it writes its metrics.'),
  h('div', { class: 'row' }, h('label', {}, 'x axis: ', xSel)), chartBox, table, form, note, code.el);

  const draw = debounce(() => {
    const curves = curvesOf(ctx.runs().map((r) => ({ name: r.id, text: texts.get(r.id) ?? '', counted: r.kind === 'counted' })));
    fill(chartBox, lossChart(curves, { x, title: 'Loss per token (live)' }));
  }, 150);

  /** One stream for every run (reopened when runs appear: it starts with each run's whole file). */
  function follow(): void {
    const ids = ctx.runs().map((r) => r.id);
    if (stream?.ids === ids.join(',') || ids.length === 0) return;
    stream?.stop();
    stream = {
      ids: ids.join(','),
      stop: followMetrics(ids, (e) => {
        texts.set(e.run, (e.reset ? '' : texts.get(e.run) ?? '') + e.lines.map((l) => `${l}\n`).join(''));
        draw();
      }),
    };
  }

  function drawTable(): void {
    const rows = ctx.runs().map((r: RunInfo) => h('tr', { 'data-run': r.id },
      h('td', {}, r.id), h('td', {}, r.description), h('td', {}, String(r.step)), h('td', {}, r.testLoss === null ? '–' : fmtNum(r.testLoss, 4)),
      h('td', {}, r.job ? `${r.job.state}${r.job.exitCode !== null ? ` (exit ${r.job.exitCode})` : ''}` : r.ready ? 'ready' : 'no checkpoint yet'),
      h('td', {}, r.job?.state === 'running' ? h('button', { type: 'button', class: 'stop', onclick: () => void act(() => api.stop(r.id)) }, 'Stop')
        : ctx.canTrain() && r.kind === 'neural' && r.step > 0 ? h('button', { type: 'button', class: 'resume', onclick: () => void act(() => api.resume(r.id, {})) }, 'Resume') : null)));
    fill(table, h('table', {}, h('thead', {}, h('tr', {}, ...['run', 'model', 'steps', 'test loss', 'state', ''].map((t) => h('th', {}, t)))), h('tbody', {}, ...rows)));
    const job = ctx.runs().find((r) => r.job)?.job;
    if (job) note.textContent = `${job.command}\n${job.log.slice(-3).join('\n')}`;
  }

  async function act(f: () => Promise<unknown>): Promise<void> {
    try {
      await f();
      await ctx.refreshRuns();
    } catch (err) {
      fill(note, errorBox(err));
    }
  }

  function drawForm(): void {
    if (!ctx.canTrain()) {
      fill(form, h('p', { class: 'hint' }, 'To start runs from this page, start the server with a folder for them and data to train on: slm serve --runs runs/ --data corpora/pubmed-sample'));
      return;
    }
    const fams = ctx.families();
    const name = h('input', { id: 'train-name', value: `run-${Date.now().toString(36).slice(-4)}`, size: 14 });
    const family = h('select', { id: 'train-family' }, ...fams.map((f) => h('option', { value: f.type }, f.type)));
    const keysBox = h('span', { class: 'keys' });
    const steps = h('input', { id: 'train-steps', type: 'number', min: 1, value: 100, size: 6 });
    const evalEvery = h('input', { id: 'train-eval', type: 'number', min: 1, value: 20, size: 5 });
    const batch = h('input', { id: 'train-batch', type: 'number', min: 1, value: 16, size: 5 });
    const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
    const drawKeys = () => {
      const f = fams.find((x) => x.type === family.value) as FamilyInfo;
      inputs.clear();
      fill(keysBox, ...f.keys.map((k) => {
        const start = (f.tiny as Record<string, unknown>)[k.key] ?? k.default;
        const input = k.choices
          ? h('select', { 'data-key': k.key }, ...k.choices.map((c) => h('option', { value: c, selected: c === start }, c)))
          : k.kind === 'bool' ? h('input', { type: 'checkbox', 'data-key': k.key, checked: Boolean(start) })
            : h('input', { type: 'number', 'data-key': k.key, value: start === null ? '' : String(start), size: 6, step: 'any' });
        inputs.set(k.key, input);
        return h('label', { title: k.doc }, ` ${k.key} `, input);
      }));
    };
    family.addEventListener('change', drawKeys);
    drawKeys();
    const start = h('button', {
      type: 'button', class: 'primary', id: 'train-start', onclick: () => void act(async () => {
        const f = fams.find((x) => x.type === family.value) as FamilyInfo;
        const model: Record<string, unknown> = { type: f.type };
        for (const [k, input] of inputs) {
          const spec = f.keys.find((x) => x.key === k)!;
          if (input instanceof HTMLInputElement && input.type === 'checkbox') model[k] = input.checked;
          else if (spec.kind === 'int' || spec.kind === 'number') { if (input.value !== '') model[k] = Number(input.value); } else model[k] = input.value;
        }
        const train = f.kind === 'neural' ? { maxSteps: Number(steps.value), evalEvery: Number(evalEvery.value), batchSize: Number(batch.value), evalDocs: 50 } : undefined;
        const r = await api.train({ name: name.value, model, train });
        code.set(r.job.command, `import { train } from 'slmkit/node'; // the run folder, checkpoints and metrics around the loop\nawait train({ model, modelConfig, config, train: data.train, test: data.test, outDir: ${JSON.stringify(name.value)} });`);
      }),
    }, 'Start training');
    fill(form, h('h3', {}, `Train a new run on ${ctx.data() ?? 'the data'}`), h('div', { class: 'row' }, h('label', {}, 'name ', name), h('label', {}, ' model ', family), keysBox),
      h('div', { class: 'row' }, h('label', {}, 'steps ', steps), h('label', {}, ' evaluate every ', evalEvery), h('label', {}, ' batch ', batch), ' ', start));
  }

  return {
    name: 'training', title: 'Training', el, uses: { text: false, sampling: false, run: false },
    update(_s, changed) {
      follow();
      drawTable();
      if (changed === 'shown') {
        drawForm();
        draw();
        poll ??= setInterval(() => void ctx.refreshRuns().then(() => { follow(); drawTable(); }), 3000);
      }
      const runs = ctx.runs();
      if (!runs.some((r) => r.job)) {
        code.set(`slm plot ${runs.map((r) => shellQuote(r.path)).join(' ')} --x ${x} --out loss.svg`,
          `import { lossChartSvg, parseMetrics } from 'slmkit';\nconst svg = lossChartSvg(runs.map((r) => parseMetrics(metricsText(r), r.name)), { x: '${x}' });`);
      }
    },
    hide() {
      stream?.stop();
      stream = null;
      texts.clear();
      if (poll) clearInterval(poll);
      poll = null;
    },
  };
}
