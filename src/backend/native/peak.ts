/**
 * Node only: this machine's measured limits — fp32 FMA peak and memory bandwidth — from the C++
 * addon's probes (native/peak.cc), on the same thread pool and thread count as the kernels, and
 * the kernels' thread count itself. Benchmarks report achieved work as a fraction of the peak
 * measured in the same run, because machines of the same name differ and a shared one gives what
 * it gives. Without the addon there is no peak to speak of (the reference backend's loops are not
 * what the hardware can do): measurePeak says so instead of inventing a figure.
 */
import { ConfigError } from '../../tensor/errors.js';
import { loadNativeAddon, type NativeMachine } from './addon.js';

/** The machine's limits as measured now. */
export interface MachinePeak {
  available: true;
  /** fp32 FMA throughput, GFLOP/s (2 FLOPs per FMA), all kernel threads. */
  fmaGflops: number;
  /** Streaming read, GB/s (10^9 bytes). */
  readGBs: number;
  /** STREAM triad a = b + s·c, GB/s, 12 bytes per element. */
  triadGBs: number;
  /** Threads the probes (and the kernels) used. */
  threads: number;
  /** Vector width of the build: 512, 256 or 0 (scalar). */
  vectorBits: number;
  /** Independent FMA chains per thread. */
  chains: number;
  /** Size of the bandwidth buffer, bytes. */
  bufferBytes: number;
  /** Wall time the probes took, seconds. */
  seconds: number;
}

/** Why there is no peak (no addon, or one built before the probes). */
export interface PeakUnavailable {
  available: false;
  reason: string;
}

export type PeakResult = MachinePeak | PeakUnavailable;

export interface PeakOptions {
  /** Time budget of each probe, seconds (default 0.5): the best round within it counts. */
  seconds?: number;
  /** Bandwidth buffer, bytes (default 256 MiB: far past any last-level cache on a small machine). */
  bufferBytes?: number;
}

function machine(): NativeMachine | string {
  const res = loadNativeAddon();
  if (!res.ok) return `native addon not available: ${res.reason}`;
  if (!res.machine) return 'the native addon predates the peak probes; rebuild it with `npm run build:native`';
  return res.machine;
}

/** Measures the FMA peak and memory bandwidth on the kernels' threads, or says why it cannot. */
export function measurePeak(opts: PeakOptions = {}): PeakResult {
  const m = machine();
  if (typeof m === 'string') return { available: false, reason: m };
  const seconds = opts.seconds ?? 0.5;
  const bufferBytes = opts.bufferBytes ?? 256 * 2 ** 20;
  if (!(seconds >= 0 && Number.isFinite(seconds))) throw new ConfigError(`peak probe: seconds = ${seconds} is not a finite number >= 0`, 'use e.g. 0.5');
  if (!(Number.isInteger(bufferBytes) && bufferBytes > 0)) throw new ConfigError(`peak probe: bufferBytes = ${bufferBytes} is not a positive integer`, 'use e.g. 268435456 (256 MiB)');
  const t0 = performance.now();
  const f = m.fmaPeak(seconds);
  const b = m.memoryBandwidth(bufferBytes, seconds);
  return {
    available: true, fmaGflops: f.gflops, readGBs: b.readGBs, triadGBs: b.triadGBs, threads: f.threads,
    vectorBits: f.vectorBits, chains: f.chains, bufferBytes: b.bytes, seconds: (performance.now() - t0) / 1000,
  };
}

/** Threads the native kernels use now and the most they can use, or null without the addon. */
export function nativeThreads(): { threads: number; maxThreads: number } | null {
  const m = machine();
  return typeof m === 'string' ? null : m.threads();
}

/**
 * Makes the native kernels use `n` threads from now on (at most the pool's size: hardware threads,
 * or SLM_THREADS at start-up); returns the previous count. A ConfigError without the addon.
 */
export function setNativeThreads(n: number): number {
  if (!(Number.isInteger(n) && n >= 1)) throw new ConfigError(`threads = ${n} is not a positive integer`, 'use 1, 2, … up to the number of cores');
  const m = machine();
  if (typeof m === 'string') throw new ConfigError(`cannot set the kernels' threads: ${m}`, 'build the addon (`npm run build:native`), or set SLM_THREADS before start-up');
  return m.setThreads(n);
}

/** One line for logs: "peak 234 GFLOP/s fp32 FMA, 19.4 GB/s read, 23.0 GB/s triad (2 threads, avx512)". */
export function describePeak(p: PeakResult): string {
  if (!p.available) return `peak n/a (${p.reason})`;
  const width = p.vectorBits === 512 ? 'avx512' : p.vectorBits === 256 ? 'avx2' : 'scalar';
  return `peak ${p.fmaGflops.toFixed(0)} GFLOP/s fp32 FMA, ${p.readGBs.toFixed(1)} GB/s read, ${p.triadGBs.toFixed(1)} GB/s triad ` +
    `(${p.threads} thread${p.threads === 1 ? '' : 's'}, ${width})`;
}
