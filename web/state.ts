/**
 * The page's state, kept in the URL so a teacher can share a link: which view, which runs, the
 * text, and the sampling controls. Only values that differ from the defaults are written, with
 * history.replaceState (typing does not flood the back button). The store tells its listeners
 * which keys changed, so each view redraws only what depends on them.
 */

export const viewNames = ['generate', 'next', 'compare', 'tokenizer', 'inside', 'training', 'tab'] as const;
export type ViewName = (typeof viewNames)[number];

export interface PageState {
  view: ViewName;
  /** The run most views look at. */
  run: string;
  /** Runs shown side by side. */
  runs: string[];
  text: string;
  temperature: number;
  /** Top-k of sampling (0: off). */
  topK: number;
  /** Bars shown for the next token. */
  bars: number;
  topP: number;
  seed: number;
  greedy: boolean;
  maxNewTokens: number;
  pastEnd: boolean;
  /** Attention: layer (−1: the last) and head (−1: mean over heads). */
  layer: number;
  head: number;
  /** Tokenizer: truncation length and lowercasing (run: as the run's tokenizer does). */
  maxLength: number;
  lowercase: 'run' | 'on' | 'off';
}

export const defaults: PageState = {
  view: 'next', run: '', runs: [], text: 'We compared the prevalence of', temperature: 1, topK: 0, bars: 10, topP: 1, seed: 42, greedy: false,
  maxNewTokens: 30, pastEnd: false, layer: -1, head: -1, maxLength: 512, lowercase: 'run',
};

type Key = keyof PageState;
const shortNames: Record<Key, string> = {
  view: 'view', run: 'run', runs: 'runs', text: 'text', temperature: 't', topK: 'k', bars: 'bars', topP: 'p', seed: 'seed', greedy: 'greedy',
  maxNewTokens: 'n', pastEnd: 'pastEnd', layer: 'layer', head: 'head', maxLength: 'max', lowercase: 'lower',
};

function parse(key: Key, raw: string): PageState[Key] | undefined {
  const d = defaults[key];
  if (key === 'view') return (viewNames as readonly string[]).includes(raw) ? raw as ViewName : undefined;
  if (key === 'lowercase') return raw === 'on' || raw === 'off' || raw === 'run' ? raw : undefined;
  if (Array.isArray(d)) return raw.split(',').filter(Boolean);
  if (typeof d === 'boolean') return raw === '1' || raw === 'true';
  if (typeof d === 'number') {
    const n = Number(raw);
    return Number.isFinite(n) ? n : undefined;
  }
  return raw;
}

function show(v: PageState[Key]): string {
  if (Array.isArray(v)) return v.join(',');
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v);
}

/** The state a URL query describes, over the defaults. */
export function readState(search: string): PageState {
  const q = new URLSearchParams(search);
  const s: PageState = { ...defaults, runs: [] };
  for (const key of Object.keys(shortNames) as Key[]) {
    const raw = q.get(shortNames[key]);
    if (raw === null) continue;
    const v = parse(key, raw);
    if (v !== undefined) (s as unknown as Record<Key, unknown>)[key] = v;
  }
  return s;
}

/** The query string for a state (defaults left out). */
export function stateQuery(s: PageState): string {
  const q = new URLSearchParams();
  for (const key of Object.keys(shortNames) as Key[]) {
    const v = show(s[key]);
    if (v !== show(defaults[key])) q.set(shortNames[key], v);
  }
  const str = q.toString();
  return str ? `?${str}` : '';
}

export type Listener = (s: PageState, changed: ReadonlySet<Key>) => void;

export class Store {
  private s: PageState;
  private readonly listeners: Listener[] = [];

  constructor(initial: PageState) {
    this.s = initial;
  }

  get(): PageState {
    return this.s;
  }

  set(patch: Partial<PageState>): void {
    const changed = new Set<Key>();
    for (const [k, v] of Object.entries(patch) as [Key, PageState[Key]][]) {
      if (show(this.s[k]) !== show(v)) changed.add(k);
    }
    if (changed.size === 0) return;
    this.s = { ...this.s, ...patch };
    history.replaceState(null, '', `${location.pathname}${stateQuery(this.s)}`);
    for (const l of this.listeners) l(this.s, changed);
  }

  listen(l: Listener): void {
    this.listeners.push(l);
  }
}
