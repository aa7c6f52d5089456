/**
 * Backend selection. Ops call `kernels()` for the active backend; the reference backend is always
 * there. In Node, the native backend (the C++ addon) loads when this module is imported and becomes
 * the active one, unless SLM_BACKEND=reference; SLM_BACKEND=native without a usable addon is a
 * ConfigError. `useBackend` switches explicitly (tests run the same suite on each available backend).
 * The Node-only loading lives in ./native/ and is imported dynamically, so this file stays
 * browser-safe.
 */
import { ConfigError } from '../tensor/errors.js';
import type { Kernels } from './kernels.js';
import type { NativeInfo, NativeLoad } from './native/addon.js';
import { referenceKernels } from './reference/index.js';

const registry = new Map<string, Kernels>([['reference', referenceKernels]]);
let active: Kernels = referenceKernels;
let native: NativeInfo | null = null;

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

/** How the native addon was built (threads, vector width, flags), or null when it is not loaded. */
export function nativeInfo(): NativeInfo | null {
  return native;
}

/** Loads the addon when running in Node; picks the active backend from SLM_BACKEND. */
async function loadDefaultBackend(): Promise<void> {
  const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  if (!isNode) return;
  const wanted = process.env.SLM_BACKEND;
  if (wanted !== undefined && wanted !== '' && wanted !== 'reference' && wanted !== 'native') {
    throw new ConfigError(`SLM_BACKEND='${wanted}' is not a backend`, 'use SLM_BACKEND=native or SLM_BACKEND=reference');
  }
  let res: NativeLoad;
  try {
    const { loadNativeAddon } = await import('./native/addon.js');
    res = loadNativeAddon();
  } catch (e) {
    res = { ok: false, reason: (e as Error).message };
  }
  if (res.ok) {
    native = res.info;
    registerBackend(res.kernels);
    if (wanted !== 'reference') active = res.kernels;
    return;
  }
  if (wanted === 'native') {
    throw new ConfigError(`SLM_BACKEND=native but the native addon is not available: ${res.reason}`,
      'build it with `npm install` (or `npx node-gyp rebuild`), or unset SLM_BACKEND');
  }
  if (wanted !== 'reference') {
    process.stderr.write(`slmkit: native addon not available (${res.reason}); using the reference backend\n`);
  }
}

await loadDefaultBackend();

export type { Kernels } from './kernels.js';
export type { NativeInfo } from './native/addon.js';
