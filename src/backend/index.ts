/**
 * Backend selection. Ops call `kernels()` for the active backend; the reference backend (pure
 * TypeScript) is always there. This module is browser-safe and loads nothing: in Node, the entry
 * points (`slmkit` under Node's `node` export condition, `slmkit/node`, the `slm` command) import
 * backend/native/autoload.ts, which loads the C++ addon, registers it and makes it the active
 * backend unless SLM_BACKEND=reference. `useBackend` switches explicitly (tests run the same suite
 * on each available backend).
 */
import { ConfigError } from '../tensor/errors.js';
import type { Kernels } from './kernels.js';
import { profileKernels, type KernelProfile } from './profile.js';
import { referenceKernels } from './reference/index.js';

/** How the native addon was built, for `slm info` (filled in by the Node loader). */
export interface BackendInfo {
  /** Absolute path of the loaded .node file. */
  path: string;
  /** Threads the kernels use (hardware threads, or SLM_THREADS) when the addon was loaded. */
  threads: number;
  /** The pool's size: the most threads setNativeThreads can give the kernels (absent in older builds). */
  maxThreads?: number;
  /** Vector width compiled in: 512 (AVX-512), 256 (AVX2), 0 (scalar). */
  vectorBits: number;
  /** 'avx512' | 'avx2' | 'scalar'. */
  vectorWidth: string;
  compiler: string;
  flags: string;
  /** sgemm blocking parameters. */
  sgemm: string;
  /** Kernels the addon does not provide, served by the reference backend instead. */
  fallbacks: string[];
}

const registry = new Map<string, Kernels>([['reference', referenceKernels]]);
let active: Kernels = referenceKernels;
let native: BackendInfo | null = null;
/** A one-line notice to print when kernels are first used (the addon could not be loaded). */
let notice: (() => void) | null = null;

/** The kernels every op calls. */
export function kernels(): Kernels {
  if (notice !== null) {
    const say = notice;
    notice = null;
    say();
  }
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

/**
 * Wraps the active backend's kernels to time every call (backend/profile.ts) until the returned
 * stop() puts the plain ones back; report() reads the times.
 */
export function profileActiveKernels(): KernelProfile & { stop(): void } {
  const plain = active;
  const p = profileKernels(plain);
  active = p.kernels;
  return { ...p, stop: () => { if (active === p.kernels) active = plain; } };
}

/** How the native addon was built (threads, vector width, flags), or null when it is not loaded. */
export function nativeInfo(): BackendInfo | null {
  return native;
}

/** For the Node loader: records the addon's build info. */
export function setNativeInfo(info: BackendInfo): void {
  native = info;
}

/** For the Node loader: a notice shown once, when kernels are first used (never at import time). */
export function setBackendNotice(say: (() => void) | null): void {
  notice = say;
}

export type { Kernels } from './kernels.js';
