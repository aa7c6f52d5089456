/**
 * The page's few DOM helpers: `h` builds an element from a tag, attributes (on* become listeners)
 * and children; number formats for probabilities and losses; debounce for live sliders. No
 * framework: each view owns its elements and redraws them from the page state.
 */

export type Child = Node | string | number | null | undefined | false;
type AttrValue = string | number | boolean | null | undefined | ((e: Event) => void);

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, AttrValue> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'class') el.className = String(v);
    else if (k === 'value' && 'value' in el) (el as HTMLInputElement).value = String(v);
    else if (k === 'checked' && el instanceof HTMLInputElement) el.checked = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : c);
  }
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

/** A probability as a short percentage: 41.2%, 0.31%, 0.0042%. */
export function fmtP(p: number): string {
  const pct = p * 100;
  if (pct >= 10) return `${pct.toFixed(1)}%`;
  if (pct >= 0.1) return `${pct.toFixed(2)}%`;
  return `${pct.toPrecision(2)}%`;
}

export function fmtNum(x: number | null, digits = 3): string {
  return x === null || !Number.isFinite(x) ? '∞' : x.toFixed(digits);
}

/** Calls fn at most once per `ms`, with the latest arguments (live sliders). */
export function debounce<A extends unknown[]>(fn: (...a: A) => void, ms: number): (...a: A) => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return (...a: A) => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn(...a);
    }, ms);
  };
}

/** Shows a token so spaces and specials are visible: "␣" for a space, "⏎" for a newline. */
export function showToken(t: string): string {
  return t.replace(/ /g, '␣').replace(/\n/g, '⏎').replace(/\t/g, '⇥');
}

/** An error box with the API's message and hint. */
export function errorBox(err: unknown): HTMLElement {
  const e = err as { message?: string; hint?: string; code?: string };
  return h('div', { class: 'error', role: 'alert' }, h('strong', {}, e.message ?? String(err)), e.hint ? h('div', { class: 'hint' }, `hint: ${e.hint}`) : null);
}
