/**
 * "Show the code": under each view, the `slm` command and the library call that give the same
 * result, built from the page's state, so what a learner sees here they can do in a terminal or
 * a script. Commands quote their arguments for a POSIX shell.
 */
import { h, fill } from './dom.js';

export function shellQuote(s: string): string {
  return /^[\w./:=,+@%-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/** A JavaScript string literal for the library snippets. */
export function jsString(s: string): string {
  return JSON.stringify(s);
}

export interface CodeBox {
  el: HTMLElement;
  set(command: string | null, library: string): void;
}

export function codeBox(): CodeBox {
  const cmd = h('pre', { class: 'cmd' });
  const lib = h('pre', { class: 'lib' });
  const el = h('details', { class: 'code', open: true }, h('summary', {}, 'the same in a terminal and in code'),
    h('div', { class: 'label' }, 'shell'), cmd, h('div', { class: 'label' }, 'library (slmkit)'), lib);
  return {
    el,
    set(command, library) {
      fill(cmd, command ?? '(no slm command for this view yet: the library call below)');
      fill(lib, library);
    },
  };
}

/** The import line and run loading every library snippet starts with. */
export function openRunSnippet(path: string): string {
  return `import { openRun } from 'slmkit/node';\nconst { model, tokenizer } = openRun(${jsString(path)});`;
}
