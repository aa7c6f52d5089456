/**
 * A kernel profile: every kernel of a backend wrapped to count its calls and wall time, so that a
 * training step's time can be split by kernel and what is left (JavaScript between kernels, the
 * autograd bookkeeping, allocation) can be read off. Browser-safe. `slm train` turns it on with
 * SLM_PROFILE=1 and prints the table at the end; the timing adds two clock reads per call.
 */
import type { Kernels } from './kernels.js';

export interface KernelTime {
  name: string;
  calls: number;
  seconds: number;
}

export interface KernelProfile {
  /** The wrapped kernels (same name as the backend they wrap). */
  kernels: Kernels;
  /** Time per kernel since the start or the last reset, most first. */
  report(): KernelTime[];
  reset(): void;
}

export function profileKernels(k: Kernels, now: () => number = () => performance.now()): KernelProfile {
  const times = new Map<string, { calls: number; ms: number }>();
  const table: Record<string, unknown> = { name: k.name };
  for (const [key, fn] of Object.entries(k)) {
    if (key === 'name' || typeof fn !== 'function') continue;
    const entry = { calls: 0, ms: 0 };
    times.set(key, entry);
    table[key] = (...args: unknown[]) => {
      const t = now();
      try {
        return (fn as (...a: unknown[]) => unknown)(...args);
      } finally {
        entry.ms += now() - t;
        entry.calls++;
      }
    };
  }
  return {
    kernels: table as unknown as Kernels,
    report: () => [...times.entries()].filter(([, e]) => e.calls > 0)
      .map(([name, e]) => ({ name, calls: e.calls, seconds: e.ms / 1000 }))
      .sort((a, b) => b.seconds - a.seconds),
    reset: () => { for (const e of times.values()) { e.calls = 0; e.ms = 0; } },
  };
}

/** The profile as lines: each kernel's share of `totalSeconds`, and the time outside every kernel. */
export function formatKernelProfile(rows: KernelTime[], totalSeconds: number, top = 12): string[] {
  const inKernels = rows.reduce((a, r) => a + r.seconds, 0);
  const pct = (s: number) => `${((100 * s) / Math.max(1e-9, totalSeconds)).toFixed(1)}%`;
  const lines = rows.slice(0, top).map((r) => `  ${r.name.padEnd(28)} ${r.seconds.toFixed(2).padStart(9)} s ${pct(r.seconds).padStart(6)}  ${r.calls.toLocaleString('en-US')} calls`);
  if (rows.length > top) {
    const rest = rows.slice(top).reduce((a, r) => a + r.seconds, 0);
    lines.push(`  ${`${rows.length - top} other kernels`.padEnd(28)} ${rest.toFixed(2).padStart(9)} s ${pct(rest).padStart(6)}`);
  }
  lines.push(`  ${'outside the kernels'.padEnd(28)} ${(totalSeconds - inKernels).toFixed(2).padStart(9)} s ${pct(totalSeconds - inKernels).padStart(6)}`);
  return lines;
}
