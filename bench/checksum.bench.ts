/**
 * What checksums cost (issue 16): CRC-32 throughput (zlib's native one and the pure-TypeScript
 * one the browser uses), and the time to save and load a 1 GiB tensor — the scale of the 3.4 GB
 * Markov table and its 6.8 GB of AdamW moments — with and without the CRC-32s in its metadata.
 * Writes to BENCH_DIR (default the system's temporary folder); prints one JSON line.
 *   npx tsc -p . && node dist/bench/checksum.bench.js   (BENCH_GIB=1, BENCH_REPEATS=3)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 as crc32Pure } from '../src/formats/crc32.js';
import { encodeSafetensors } from '../src/formats/safetensors.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { crc32, nativeCrc32 } from '../src/io/checksum.js';
import { loadSafetensors, saveSafetensors } from '../src/io/safetensors.js';
import { Tensor } from '../src/tensor/tensor.js';

const gib = Number(process.env.BENCH_GIB ?? 1);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'slm-crc-bench-'));

function best(f: () => void): number {
  let t = Infinity;
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    f();
    t = Math.min(t, (performance.now() - t0) / 1000);
  }
  return t;
}

const n = Math.round((gib * 2 ** 30) / 4);
const data = new Float32Array(n);
for (let i = 0; i < n; i++) data[i] = Math.sin(i) * 0.02; // touched: no lazy zero pages
const bytes = new Uint8Array(data.buffer);
const t = new Tensor(data, [n / 1024, 1024]);
const sample = bytes.subarray(0, 256 * 2 ** 20);

const zlibSec = best(() => crc32(bytes));
const pureSec = best(() => crc32Pure(sample)) * (bytes.length / sample.length);
const plain = join(dir, 'plain.safetensors');
const summed = join(dir, 'summed.safetensors');
const saveWithout = best(() => writeFileAtomic(plain, encodeSafetensors({ w: t }, { step: '1' })));
const saveWith = best(() => saveSafetensors(summed, { w: t }, { step: '1' }));
const into = new Tensor(new Float32Array(n), [n / 1024, 1024]);
const loadWithout = best(() => loadSafetensors(plain, { w: into }));
const loadWith = best(() => loadSafetensors(summed, { w: into }));
rmSync(dir, { recursive: true, force: true });

const gbs = (sec: number) => +(bytes.length / 1e9 / sec).toFixed(2);
console.log(JSON.stringify({
  tensorBytes: bytes.length, nativeCrc32, repeats, loadavg: loadavg().map((x) => +x.toFixed(2)),
  crc32GBps: { zlib: gbs(zlibSec), pure: gbs(pureSec) },
  saveSeconds: { without: +saveWithout.toFixed(2), with: +saveWith.toFixed(2) },
  loadSeconds: { without: +loadWithout.toFixed(2), with: +loadWith.toFixed(2) },
}));
