/**
 * `slm info`: the backend in use, the backends available, and the runtime; with `--peak`, this
 * machine's fp32 FMA peak and memory bandwidth measured now on the kernels' threads (a second or
 * two; backend/native/peak.ts), against which the benchmarks' fractions are taken.
 */
import type { Command } from 'commander';
import os from 'node:os';
import { availableBackends, kernels, nativeInfo } from '../backend/index.js';
import type { BackendInfo } from '../backend/index.js';
import { describePeak, measurePeak, type PeakResult } from '../backend/native/peak.js';
import { packageVersion } from './version.js';
import { hasLargeAllocator, LARGE_BYTES } from '../tensor/alloc.js';

export interface Info {
  version: string;
  backend: string;
  backends: string[];
  node: string;
  platform: string;
  cpus: number;
  totalMemoryGiB: number;
  /** The native addon's build, or null when it is not loaded. */
  native: BackendInfo | null;
  /** Where tensors' large buffers come from. */
  largeBuffers: string;
  /** With --peak: the measured FMA peak and bandwidth, or why there is none. */
  peak?: PeakResult;
}

export function collectInfo(): Info {
  return {
    version: packageVersion(),
    backend: kernels().name,
    backends: availableBackends(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: os.availableParallelism(),
    totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    native: nativeInfo(),
    largeBuffers: hasLargeAllocator()
      ? `from ${LARGE_BYTES >> 20} MiB: own mappings advised for huge pages (SLM_HUGE_PAGES=0 turns it off)`
      : 'plain typed arrays' + (process.env.SLM_HUGE_PAGES === '0' ? ' (SLM_HUGE_PAGES=0)' : ''),
  };
}

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('print the compute backend, the available backends and the runtime')
    .option('--json', 'print one JSON object')
    .option('--peak', "measure this machine's fp32 FMA peak and memory bandwidth on the kernels' threads (about 1 s)")
    .action((opts: { json?: boolean; peak?: boolean }) => {
      const info = collectInfo();
      if (opts.peak) info.peak = measurePeak();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(info)}\n`);
        return;
      }
      const rows: [string, string][] = [
        ['slmkit', info.version],
        ['backend', info.backend],
        ['available', info.backends.join(', ')],
        ['node', `${info.node} (${info.platform})`],
        ['cpus', String(info.cpus)],
        ['memory', `${info.totalMemoryGiB} GiB`],
      ];
      const n = info.native;
      if (n) {
        rows.push(['threads', `${n.threads} (SLM_THREADS overrides)`], ['vectors', `${n.vectorWidth} (${n.vectorBits} bits)`],
          ['compiler', n.compiler], ['flags', n.flags], ['sgemm', n.sgemm], ['addon', n.path]);
        if (n.fallbacks.length > 0) rows.push(['fallbacks', n.fallbacks.join(', ')]);
      } else rows.push(['native', 'not loaded (see the warning above, or SLM_BACKEND)']);
      rows.push(['buffers', info.largeBuffers]);
      if (info.peak) rows.push(['peak', describePeak(info.peak).replace(/^peak /, '')]);
      for (const [k, v] of rows) process.stdout.write(`${k.padEnd(10)} ${v}\n`);
    });
}
