/**
 * Node-only loader for the C++ addon (build/Release/slmkit_native.node, built by `npm install`
 * through scripts/build-native.mjs). It wraps the addon's functions as a `Kernels` object named
 * 'native'; a kernel the addon lacks (an older build) falls back to the reference one and is
 * listed in `NativeInfo.fallbacks`. autoload.ts registers it; the browser-safe backend/index.ts
 * never imports this file.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendInfo } from '../index.js';
import type { Kernels } from '../kernels.js';
import { referenceKernels } from '../reference/index.js';

/** What the addon was built with, for `slm info` (the browser-safe backend/index.ts declares it). */
export type NativeInfo = BackendInfo;

/** Hooks for tests, not kernels: setSgemmScratchLimit caps sgemm's packing scratch (in floats) so
 * small products take its chunked paths, and returns the previous cap. */
export interface NativeTestHooks {
  setSgemmScratchLimit: ((floats: number) => number) | null;
}

/** What the addon's probes return (native/peak.cc). */
export interface FmaProbe { gflops: number; threads: number; vectorBits: number; chains: number }
export interface BandwidthProbe { readGBs: number; triadGBs: number; bytes: number; threads: number }

/**
 * The addon's machine controls, not kernels: the kernels' thread count (settable at run time up to
 * the pool's size) and the peak probes. Null in a build that predates them.
 */
export interface NativeMachine {
  /** Kernels use n threads from now on (clamped to [1, pool size]); returns the previous count. */
  setThreads(n: number): number;
  /** Threads the kernels use now, and the pool's size. */
  threads(): { threads: number; maxThreads: number };
  /** fp32 FMA GFLOP/s on every kernel thread, best round within `seconds`. */
  fmaPeak(seconds: number): FmaProbe;
  /** Streaming read and triad GB/s over a `bytes` buffer, best round within `seconds`. */
  memoryBandwidth(bytes: number, seconds: number): BandwidthProbe;
  /** A zeroed buffer of `bytes` in its own mapping advised for huge pages (null: a build without it, or not Linux/macOS). */
  allocLarge: ((bytes: number) => ArrayBuffer) | null;
}

/** A loaded addon: its kernels and build info, or why it could not be loaded. */
export type NativeLoad = { ok: true; kernels: Kernels; info: NativeInfo; hooks: NativeTestHooks; machine: NativeMachine | null } | { ok: false; reason: string };

type KernelName = Exclude<keyof Kernels, 'name'>;
type AddonInfo = Omit<NativeInfo, 'path' | 'fallbacks'>;
type Addon = Partial<Pick<Kernels, KernelName>> & {
  info?: () => AddonInfo; setSgemmScratchLimit?: (floats: number) => number;
  setThreads?: NativeMachine['setThreads']; fmaPeak?: NativeMachine['fmaPeak']; memoryBandwidth?: NativeMachine['memoryBandwidth'];
  allocLarge?: (bytes: number) => ArrayBuffer;
};

/** The repository (or installed package) root: src/backend/native/ sits three levels down, under dist/ or not. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return dirname(fileURLToPath(import.meta.url));
}

/** Loads the addon from `path` (default: $SLM_NATIVE_ADDON, else <package root>/build/Release/slmkit_native.node). */
export function loadNativeAddon(path?: string): NativeLoad {
  const file = path ?? (process.env.SLM_NATIVE_ADDON || join(packageRoot(), 'build', 'Release', 'slmkit_native.node'));
  if (!existsSync(file)) return { ok: false, reason: `${file} not found; run \`npm install\` or \`npx node-gyp rebuild\`` };
  let addon: Addon;
  try {
    addon = createRequire(import.meta.url)(file) as Addon;
  } catch (e) {
    return { ok: false, reason: `${file} failed to load: ${(e as Error).message.split('\n')[0]}` };
  }
  const fallbacks: string[] = [];
  const table: Record<string, unknown> = { name: 'native' };
  for (const key of Object.keys(referenceKernels) as (keyof Kernels)[]) {
    if (key === 'name') continue;
    const fn = addon[key];
    if (typeof fn === 'function') table[key] = fn;
    else {
      table[key] = referenceKernels[key];
      fallbacks.push(key);
    }
  }
  const built: AddonInfo = typeof addon.info === 'function'
    ? addon.info()
    : { threads: 1, vectorBits: 0, vectorWidth: 'unknown', compiler: 'unknown', flags: 'unknown', sgemm: 'unknown' };
  const hooks: NativeTestHooks = { setSgemmScratchLimit: addon.setSgemmScratchLimit ?? null };
  const { setThreads, fmaPeak, memoryBandwidth, info } = addon;
  const machine: NativeMachine | null = setThreads && fmaPeak && memoryBandwidth && info
    ? {
      setThreads, fmaPeak, memoryBandwidth, allocLarge: addon.allocLarge ?? null,
      threads: () => {
        const i = info();
        return { threads: i.threads, maxThreads: i.maxThreads ?? i.threads };
      },
    }
    : null;
  return { ok: true, kernels: table as unknown as Kernels, info: { path: file, ...built, fallbacks }, hooks, machine };
}
