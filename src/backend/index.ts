/**
 * Backend selection. Ops call `kernels()` for the active backend; the reference backend is always
 * there. A native backend registers itself when its addon loads (a later step), and
 * `useBackend` switches explicitly (tests run the same suite on each available backend).
 */
import { ConfigError } from '../tensor/errors.js';
import type { Kernels } from './kernels.js';
import { referenceKernels } from './reference/index.js';

const registry = new Map<string, Kernels>([['reference', referenceKernels]]);
let active: Kernels = referenceKernels;

/** The kernels every op calls. */
export function kernels(): Kernels {
  return active;
}

/** Makes a backend available by its name (the native loader calls this). */
export function registerBackend(k: Kernels): void {
  registry.set(k.name, k);
}

/** Names of the backends available in this process. */
export function availableBackends(): string[] {
  return [...registry.keys()];
}

/** Switches the active backend; returns the previous one's name. */
export function useBackend(name: string): string {
  const k = registry.get(name);
  if (!k) {
    throw new ConfigError(`unknown backend '${name}'`, `available here: ${availableBackends().join(', ')}`);
  }
  const prev = active.name;
  active = k;
  return prev;
}

export type { Kernels } from './kernels.js';
