/** What every view of the page has, and the context the page gives it. */
import type { FamilyInfo, RunInfo } from '../../src/serve/api.js';
import type { PageState, Store, ViewName } from '../state.js';

export interface Ctx {
  store: Store;
  runs(): RunInfo[];
  run(id: string): RunInfo | undefined;
  families(): FamilyInfo[];
  canTrain(): boolean;
  data(): string | null;
  /** Fetches GET /api/runs again (a run started, a checkpoint landed). */
  refreshRuns(): Promise<void>;
}

export type Changed = ReadonlySet<keyof PageState> | 'shown';

export interface View {
  readonly name: ViewName;
  readonly title: string;
  readonly el: HTMLElement;
  /** Which shared controls the page shows above this view. */
  readonly uses: { text: boolean; sampling: boolean; run: boolean };
  /** Redraw from the state: when shown, and on each change while shown. */
  update(s: PageState, changed: Changed): void;
  /** The view was hidden (stop live work). */
  hide?(): void;
}

/** True when any of `keys` changed (or the view was just shown). */
export function touches(changed: Changed, ...keys: (keyof PageState)[]): boolean {
  return changed === 'shown' || keys.some((k) => changed.has(k));
}

/** Aborts the previous request whenever a new one starts (live sliders). */
export class Latest {
  private ac: AbortController | null = null;
  next(): AbortSignal {
    this.ac?.abort();
    this.ac = new AbortController();
    return this.ac.signal;
  }
  abort(): void {
    this.ac?.abort();
    this.ac = null;
  }
}

export function isAbort(err: unknown): boolean {
  return (err as { name?: string })?.name === 'AbortError';
}
