/**
 * Tokenizer: the text as the run's tokenizer splits it — WordPiece pieces with their ids, `##`
 * continuations and special tokens visible — and what lowercasing (forced on or off) and
 * truncation (the tokens past the limit, greyed out) do to it.
 */
import { api } from '../api.js';
import { codeBox, jsString, openRunSnippet, shellQuote } from '../code.js';
import { errorBox, fill, h, showToken } from '../dom.js';
import type { PageState } from '../state.js';
import { isAbort, Latest, touches, type Changed, type Ctx, type View } from './view.js';

export function tokenizerView(ctx: Ctx): View {
  const maxLen = h('input', { type: 'number', min: 2, max: 100000, step: 1, id: 'tok-max', onchange: (e: Event) => ctx.store.set({ maxLength: Math.max(2, Number((e.target as HTMLInputElement).value) || 512) }) });
  const lower = h('select', { id: 'tok-lower', onchange: (e: Event) => ctx.store.set({ lowercase: (e.target as HTMLSelectElement).value as PageState['lowercase'] }) },
    h('option', { value: 'run' }, "as the run's tokenizer does"), h('option', { value: 'on' }, 'lowercase on'), h('option', { value: 'off' }, 'lowercase off'));
  const chips = h('div', { class: 'chips', id: 'tok-chips' });
  const info = h('div', { class: 'status' });
  const code = codeBox();
  const latest = new Latest();
  const el = h('section', { class: 'view' }, h('p', { class: 'lead' },
    'A model never sees letters, only token ids. WordPiece splits rare words into pieces (## marks a piece that continues a word); [CLS] starts a document and [SEP] ends it. Truncation drops what does not fit, keeping the end token.'),
  h('div', { class: 'row' }, h('label', {}, 'truncate to ', maxLen, ' tokens'), h('label', {}, ' lowercasing: ', lower)), chips, info, code.el);

  async function load(s: PageState): Promise<void> {
    const signal = latest.next();
    try {
      const r = await api.tokenize({ run: s.run, text: s.text, maxLength: s.maxLength, lowercase: s.lowercase === 'run' ? undefined : s.lowercase === 'on' }, signal);
      fill(chips, ...r.tokens.map((t) => h('span', {
        class: `chip${t.special ? ' special' : ''}${t.continuation ? ' cont' : ''}${t.kept ? '' : ' dropped'}`, title: t.kept ? `id ${t.id}` : `id ${t.id}: dropped by truncation`,
      }, h('span', { class: 'piece' }, showToken(t.token)), h('span', { class: 'id' }, String(t.id)))));
      chips.dataset.count = String(r.tokens.length);
      info.textContent = `${r.tokens.length} tokens${r.dropped ? `, ${r.dropped} dropped by truncation to ${r.maxLength}` : ''}; lowercasing ${r.lowercase ? 'on' : 'off'} (the run's tokenizer: ${r.runLowercases ? 'on' : 'off'}); decoded back: “${r.decoded}”`;
    } catch (err) {
      if (!isAbort(err)) fill(chips, errorBox(err));
    }
  }

  return {
    name: 'tokenizer', title: 'Tokenizer', el, uses: { text: true, sampling: false, run: true },
    update(s, changed: Changed) {
      const r = ctx.run(s.run);
      if (!r) return;
      maxLen.value = String(s.maxLength);
      lower.value = s.lowercase;
      if (touches(changed, 'run', 'text', 'maxLength', 'lowercase')) void load(s);
      const lc = s.lowercase === 'run' ? '' : `withLowercase(tokenizer, ${s.lowercase === 'on'})`;
      code.set(`slm tokenize --tokenizer ${shellQuote(`${r.path}/tokenizer.json`)} --text ${shellQuote(s.text)} --max-tokens ${s.maxLength}`,
        `${openRunSnippet(r.path)}\n${lc ? "import { withLowercase } from 'slmkit';\n" : ''}const { ids, tokens } = ${lc || 'tokenizer'}.encode(${jsString(s.text)}, { maxLength: ${s.maxLength} });`);
    },
    hide: () => latest.abort(),
  };
}
