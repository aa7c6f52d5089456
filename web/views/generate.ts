/**
 * Generate: the text as a prompt, continued token by token as the server draws them (streamed),
 * with the temperature, top-k, top-p, seed and greedy controls. A seed gives the same text as
 * `slm generate` with the same options. Stop (or closing the tab) cancels the draws on the server.
 */
import type { PageState } from '../state.js';
import { streamGenerate } from '../api.js';
import { codeBox, jsString, openRunSnippet, shellQuote } from '../code.js';
import { errorBox, fill, h } from '../dom.js';
import { isAbort, type Changed, type Ctx, type View } from './view.js';

export function generateCommand(path: string, s: PageState): string {
  const parts = ['slm generate', '--model', shellQuote(path), '--prompt', shellQuote(s.text)];
  if (s.maxNewTokens !== 30) parts.push('--max-new-tokens', String(s.maxNewTokens));
  if (s.greedy) parts.push('--greedy');
  else {
    if (s.temperature !== 1) parts.push('--temperature', String(s.temperature));
    if (s.topK > 0) parts.push('--top-k', String(s.topK));
    if (s.topP < 1) parts.push('--top-p', String(s.topP));
  }
  if (s.seed !== 42) parts.push('--seed', String(s.seed));
  if (s.pastEnd) parts.push('--past-end');
  return parts.join(' ');
}

export function generateView(ctx: Ctx): View {
  const out = h('div', { class: 'gen-output', id: 'gen-output', 'data-state': 'idle' });
  const status = h('div', { class: 'status' });
  const code = codeBox();
  let ac: AbortController | null = null;
  const go = h('button', { class: 'primary', id: 'gen-go', type: 'button', onclick: () => void run() }, 'Generate');
  const stop = h('button', { type: 'button', id: 'gen-stop', disabled: true, onclick: () => ac?.abort() }, 'Stop');
  const el = h('section', { class: 'view' }, h('p', { class: 'lead' },
    'The model continues your text one token at a time: each token is drawn from its next-token distribution, reshaped by the temperature and cut by top-k and top-p. Greedy always takes the most likely token.'),
  h('div', { class: 'row' }, go, stop), out, status, code.el);

  async function run(): Promise<void> {
    const s = ctx.store.get();
    ac?.abort();
    ac = new AbortController();
    const prompt = h('span', { class: 'prompt' }, s.text);
    const gen = h('span', { class: 'generated' });
    fill(out, prompt, gen);
    out.dataset.state = 'running';
    go.disabled = true;
    stop.disabled = false;
    const t0 = performance.now();
    let first: number | null = null;
    let n = 0;
    try {
      for await (const e of streamGenerate({
        run: s.run, prompt: s.text, maxNewTokens: s.maxNewTokens, temperature: s.temperature, topK: s.topK > 0 ? s.topK : undefined,
        topP: s.topP < 1 ? s.topP : undefined, seed: s.seed, greedy: s.greedy, pastEnd: s.pastEnd,
      }, ac.signal)) {
        if (e.type === 'token') {
          first ??= performance.now() - t0;
          n++;
          gen.append(h('span', { class: 'gtok', title: `${e.token} (id ${e.id})` }, e.delta));
          status.textContent = `${n} tokens; first after ${first.toFixed(0)} ms`;
        } else if (e.type === 'done') {
          out.dataset.state = 'done';
          out.dataset.text = e.text;
          status.textContent = `${e.newTokens} tokens in ${(performance.now() - t0).toFixed(0)} ms (first after ${(first ?? 0).toFixed(0)} ms); ${e.stop === 'end' ? 'stopped at the end-of-document token' : 'reached the token limit'}. Final text: ${e.text}`;
        } else if (e.type === 'error') {
          out.append(errorBox(e.error));
        }
      }
    } catch (err) {
      if (isAbort(err)) {
        out.dataset.state = 'stopped';
        status.textContent = `stopped after ${n} tokens (the server stops drawing too)`;
      } else out.append(errorBox(err));
    } finally {
      if (out.dataset.state === 'running') out.dataset.state = 'done';
      go.disabled = false;
      stop.disabled = true;
    }
  }

  return {
    name: 'generate', title: 'Generate', el, uses: { text: true, sampling: true, run: true },
    update(s: PageState, _changed: Changed) {
      const r = ctx.run(s.run);
      if (!r) return;
      code.set(generateCommand(r.path, s),
        `${openRunSnippet(r.path)}\nimport { generate, Rng } from 'slmkit';\nfor await (const t of generate(model, tokenizer, ${jsString(s.text)}, {\n  maxNewTokens: ${s.maxNewTokens}, ${s.greedy ? 'greedy: true' : `temperature: ${s.temperature}${s.topK > 0 ? `, topK: ${s.topK}` : ''}${s.topP < 1 ? `, topP: ${s.topP}` : ''}`}, stopAtEnd: ${!s.pastEnd}, rng: new Rng(${s.seed}),\n})) process.stdout.write(t.delta);`);
    },
    hide() {
      ac?.abort();
    },
  };
}
