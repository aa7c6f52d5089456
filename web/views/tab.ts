/**
 * In the tab: the same core computing in the browser, no server compute. (1) A run's checkpoint
 * (its bytes, config and tokenizer.json, fetched by run id) loaded into a model here, its
 * next-token probabilities set beside the server's: they agree within 1e-4. (2) A tiny model of
 * any registered family trained here on pasted text, character by character, with its loss curve
 * drawn live and a sample every few steps (recurrentjs's demo, with slmkit's models).
 */
import {
  countBatches, createModel, createOptimizer, decodeNgramModel, decodeSafetensors, evaluate, generateIds, nextTokens, paddedBatches, promptIds,
  resolveModelConfig, resolveTrainConfig, Rng, tokenizerFromJson, trainCharLevel, trainLoop, type LanguageModel, type ModelType, type TokenSplit,
  type Tokenizer,
} from 'slmkit';
import { api } from '../api.js';
import { codeBox, jsString } from '../code.js';
import { nextCommand } from './next.js';
import { errorBox, fill, fmtP, h, showToken } from '../dom.js';
import type { PageState } from '../state.js';
import { curvesOf, lossChart } from '../widgets/chart.js';
import { isAbort, Latest, touches, type Changed, type Ctx, type View } from './view.js';

const sampleText = `A language model assigns a probability to the next token given the tokens before it.
Training lowers the loss, the mean of minus the log probability of each next token.
A bigram reads one token back; a transformer reads the whole context.
The model samples a token, appends it, and reads again.
Temperature below one sharpens the distribution; above one flattens it.`;

interface TabModel {
  id: string;
  model: LanguageModel;
  tokenizer: Tokenizer;
}

/** A run's model built in the tab from its config, tokenizer.json and checkpoint bytes. */
async function loadInTab(id: string): Promise<TabModel> {
  const [{ config }, tokJson, ckpt] = await Promise.all([api.run(id), api.tokenizerJson(id), api.checkpoint(id)]);
  const tokenizer = tokenizerFromJson(tokJson, { source: `${id}/tokenizer.json` });
  if (ckpt.format === 'ngram') return { id, model: decodeNgramModel(ckpt.bytes, `${id}/model.ngram`), tokenizer };
  const model = createModel(resolveModelConfig(config.model as Record<string, unknown>), new Rng(0));
  const { tensors } = decodeSafetensors(ckpt.bytes, model.stateDict(), `${id}/model.safetensors`);
  model.loadStateDict(tensors);
  model.eval();
  return { id, model, tokenizer };
}

/** Lines of the text cut into documents of at most `n` characters. */
function documents(text: string, n: number): string[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).flatMap((l) => Array.from({ length: Math.ceil(l.length / n) }, (_, i) => l.slice(i * n, (i + 1) * n)));
}

function splitOf(docs: number[][], vocabSize: number): TokenSplit {
  const offsets = new Float64Array(docs.length + 1);
  docs.forEach((d, i) => { offsets[i + 1] = offsets[i]! + d.length; });
  return { ids: Uint32Array.from(docs.flat()), offsets, vocabSize };
}

export function tabView(ctx: Ctx): View {
  // Part 1: a checkpoint computed here.
  const runSel = h('select', { id: 'tab-run' });
  const loadBtn = h('button', { type: 'button', id: 'tab-load', class: 'primary', onclick: () => void load() }, 'Load into this tab');
  const loadInfo = h('div', { class: 'status', id: 'tab-load-info' });
  const compare = h('div', { id: 'tab-compare' });
  let tabModel: TabModel | null = null;
  const latest = new Latest();
  // Part 2: a tiny model trained here.
  const text = h('textarea', { id: 'tab-text', rows: 6, cols: 80 }, sampleText);
  const famSel = h('select', { id: 'tab-family' });
  const steps = h('input', { id: 'tab-steps', type: 'number', min: 1, value: 150, size: 6 });
  const lr = h('input', { id: 'tab-lr', type: 'number', step: 'any', value: 0.01, size: 6 });
  const trainBtn = h('button', { type: 'button', id: 'tab-train', class: 'primary', onclick: () => void trainHere() }, 'Train here');
  const stopBtn = h('button', { type: 'button', id: 'tab-stop', disabled: true, onclick: () => trainAc?.abort() }, 'Stop');
  const chart = h('div', { id: 'tab-chart' });
  const sample = h('pre', { class: 'sample', id: 'tab-sample' });
  const code = codeBox();
  let trainAc: AbortController | null = null;

  const el = h('section', { class: 'view' },
    h('h3', {}, 'A checkpoint computed in this tab'),
    h('p', { class: 'lead' }, 'The page fetches the run\'s weights and tokenizer and runs the same slmkit core here, in JavaScript: no server compute. Its next-token probabilities match the server\'s.'),
    h('div', { class: 'row' }, h('label', {}, 'run ', runSel), ' ', loadBtn), loadInfo, compare,
    h('h3', {}, 'Train a tiny model in this tab'),
    h('p', { class: 'lead' }, 'Paste any text: a character tokenizer is built from it and a small model learns to continue it, here, while you watch the loss fall and the samples improve.'),
    text, h('div', { class: 'row' }, h('label', {}, 'model ', famSel), h('label', {}, ' steps ', steps), h('label', {}, ' learning rate ', lr), ' ', trainBtn, stopBtn),
    chart, sample, code.el);

  async function load(): Promise<void> {
    const id = runSel.value;
    fill(loadInfo, `loading ${id}…`);
    const t0 = performance.now();
    try {
      tabModel = await loadInTab(id);
      fill(loadInfo, `${id} loaded in this tab in ${(performance.now() - t0).toFixed(0)} ms (${tabModel.model.numParameters().toLocaleString()} parameters)`);
      loadInfo.dataset.loaded = id;
      void recompute(ctx.store.get());
    } catch (err) {
      fill(loadInfo, errorBox(err));
    }
  }

  async function recompute(s: PageState): Promise<void> {
    if (!tabModel) return;
    const m = tabModel;
    const signal = latest.next();
    try {
      const k = s.bars;
      const here = nextTokens(m.model, promptIds(m.tokenizer, s.text), { topK: k, temperature: s.temperature });
      const server = await api.next({ run: m.id, text: s.text, topK: k, temperature: s.temperature }, signal);
      const byId = new Map(server.tokens.map((t) => [t.id, t.p]));
      let maxDiff = 0;
      for (const t of here.tokens) maxDiff = Math.max(maxDiff, Math.abs(t.p - (byId.get(t.id) ?? 0)));
      compare.dataset.maxDiff = String(maxDiff);
      compare.dataset.run = m.id;
      fill(compare, h('table', { class: 'tab-table' }, h('thead', {}, h('tr', {}, h('th', {}, 'token'), h('th', {}, 'p in this tab'), h('th', {}, 'p on the server'), h('th', {}, '|difference|'))),
        h('tbody', {}, ...here.tokens.map((t) => {
          const sp = byId.get(t.id) ?? 0;
          return h('tr', {}, h('td', {}, showToken(m.tokenizer.idToToken(t.id) ?? String(t.id))), h('td', {}, fmtP(t.p)), h('td', {}, fmtP(sp)), h('td', {}, Math.abs(t.p - sp).toExponential(1)));
        }))), h('div', { class: 'status' }, `largest difference ${maxDiff.toExponential(2)} (the tab runs the TypeScript kernels, the server its native ones)`));
    } catch (err) {
      if (!isAbort(err)) fill(compare, errorBox(err));
    }
  }

  async function trainHere(): Promise<void> {
    trainAc?.abort();
    trainAc = new AbortController();
    const signal = trainAc.signal;
    trainBtn.disabled = true;
    stopBtn.disabled = false;
    try {
      const type = famSel.value as ModelType;
      const tok = await trainCharLevel([text.value]);
      const docs = documents(text.value, 64).map((d) => tok.encode(d, { maxLength: 66 }).ids);
      if (docs.length < 2) throw new Error('paste at least two lines of text');
      const nTest = Math.max(1, Math.floor(docs.length / 10));
      const train = splitOf(docs.slice(0, docs.length - nTest), tok.vocabSize);
      const test = splitOf(docs.slice(docs.length - nTest), tok.vocabSize);
      const fam = ctx.families().find((f) => f.type === type)!;
      const keys = new Set(fam.keys.map((k) => k.key));
      const small: Record<string, unknown> = { ...fam.tiny };
      for (const [k, v] of Object.entries({ embedDim: 32, maxLen: 66, heads: 2, dropout: 0 })) if (keys.has(k)) small[k] = v;
      const model = createModel(resolveModelConfig({ type, vocabSize: tok.vocabSize, ...small }), new Rng(1));
      const batchSize = 8;
      const config = resolveTrainConfig(type, { maxSteps: Number(steps.value), epochs: 100_000, batchSize, lr: Number(lr.value), logEvery: 10, shuffle: true, seed: 1 });
      const opt = createOptimizer(model, config);
      let metrics = '';
      const rng = new Rng(7);
      const start = promptIds(tok, '');
      const draw = () => fill(chart, lossChart(curvesOf([{ name: `${type} (in this tab)`, text: metrics, counted: false }]), { title: 'Loss per character (in this tab)', width: 760, height: 320 }));
      const showSample = (step: number) => {
        const ids = [...start, ...generateIds(model, start, { maxNewTokens: 120, temperature: 0.8, rng, stopIds: tok.eosId === undefined ? [] : [tok.eosId] })];
        sample.textContent = `step ${step}: ${tok.decode(ids)}`;
      };
      code.set(`slm prepare --input pasted.txt --format lines --tokenizer char --out data/pasted\nslm train --data data/pasted --model ${type}${Object.entries(small).map(([k, v]) => ` --${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${String(v)}`).join('')} --max-steps ${steps.value} --batch-size ${batchSize} --lr ${lr.value} --out runs/pasted`,
        `import { createModel, createOptimizer, paddedBatches, resolveModelConfig, resolveTrainConfig, trainCharLevel, trainLoop } from 'slmkit';\nconst tok = await trainCharLevel([text]);\nconst model = createModel(resolveModelConfig(${JSON.stringify({ type, vocabSize: tok.vocabSize, ...small })}));\nconst config = resolveTrainConfig(${jsString(type)}, { maxSteps: ${steps.value}, batchSize: ${batchSize}, lr: ${lr.value} });\nawait trainLoop({ model, optimizer: createOptimizer(model, config), config, batches: { epoch: (e, b) => paddedBatches(split, { batchSize: ${batchSize}, epoch: e, startBatch: b, shuffle: true }) }, batchesPerEpoch, microRows: ${batchSize} });`);
      await trainLoop({
        model, optimizer: opt, config, signal, microRows: batchSize, batchesPerEpoch: countBatches(train, { batchSize }),
        batches: { epoch: (epoch, startBatch) => paddedBatches(train, { batchSize, shuffle: true, seed: 1, epoch, startBatch, maxLen: model.maxSequence === undefined ? undefined : model.maxSequence + 1 }) },
        hooks: {
          step: (r) => {
            metrics += `${JSON.stringify({ step: r.step, loss: r.loss, tokens: r.tokens, seconds: r.seconds })}\n`;
            if (r.step % 5 === 0) draw();
            if (r.step % 25 === 0) showSample(r.step);
            chart.dataset.step = String(r.step);
          },
          evaluate: async () => {
            const e = await evaluate(model, test, { batchSize, maxLen: model.maxSequence === undefined ? undefined : model.maxSequence + 1 });
            const last = metrics.trimEnd().split('\n').at(-1);
            const step = last ? (JSON.parse(last) as { step: number }).step : 0;
            metrics += `${JSON.stringify({ step, testLoss: e.loss })}\n`;
            draw();
            return true;
          },
        },
      });
      draw();
      showSample(Number(chart.dataset.step ?? 0));
    } catch (err) {
      if (!isAbort(err)) fill(sample, errorBox(err));
    } finally {
      trainBtn.disabled = false;
      stopBtn.disabled = true;
    }
  }

  return {
    name: 'tab', title: 'In the tab', el, uses: { text: true, sampling: true, run: false },
    update(s, changed: Changed) {
      if (touches(changed, 'run') || changed === 'shown') {
        const inTab = ctx.runs().filter((r) => r.inTab);
        const keep = runSel.value;
        fill(runSel, ...inTab.map((r) => h('option', { value: r.id, selected: r.id === (keep || s.run) }, `${r.id} (${(r.checkpointBytes / 2 ** 20).toFixed(1)} MiB)`)));
        fill(famSel, ...ctx.families().filter((f) => f.kind === 'neural').map((f) => h('option', { value: f.type, selected: f.type === 'lowrank' }, f.type)));
      }
      if (touches(changed, 'text', 'temperature', 'bars')) void recompute(s);
      if (!trainAc) {
        const r = ctx.run(runSel.value);
        if (r) code.set(`${nextCommand(r.path, s)}   # the same numbers, computed by the server`, `import { createModel, decodeSafetensors, nextTokens, promptIds, resolveModelConfig, tokenizerFromJson } from 'slmkit';\nconst model = createModel(resolveModelConfig(config.model));\nmodel.loadStateDict(decodeSafetensors(bytes, model.stateDict()).tensors); // bytes: ${r.path}/model.safetensors\nconst { tokens } = nextTokens(model, promptIds(tokenizer, ${jsString(s.text)}), { topK: ${s.bars}, temperature: ${s.temperature} });`);
      }
    },
    hide: () => latest.abort(),
  };
}
