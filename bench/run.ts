/**
 * `npm run bench`: runs every compiled benchmark (dist/bench/*.bench.js) one after another, each
 * in its own Node process so that no two heavy benchmarks share the machine, in a fixed order
 * (tokenizer, tokenizer training, sgemm, prepare, training step, then any others by name). Each
 * one's output is shown and also kept in bench/results/NAME.log; at the end it lists the result
 * files the run wrote and how long each benchmark took, and prints the README's performance tables
 * generated from the results (bench/report.ts).
 *
 *   npm run bench                         (builds first)
 *   node dist/bench/run.js [NAME ...]     only these, e.g. `node dist/bench/run.js trainStep prepare`
 *   BENCH_ONLY=sgemm,prepare              the same through the environment
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tables } from './report.js';

const here = fileURLToPath(new URL('.', import.meta.url)); // dist/bench/
const resultsDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
const preferred = ['tokenize', 'trainTokenizer', 'sgemm', 'prepare', 'trainStep'];

const found = readdirSync(here).filter((f) => f.endsWith('.bench.js')).map((f) => f.slice(0, -'.bench.js'.length));
const ordered = [...preferred.filter((n) => found.includes(n)), ...found.filter((n) => !preferred.includes(n)).sort()];
const wanted = [...process.argv.slice(2), ...(process.env.BENCH_ONLY ?? '').split(',')].map((s) => s.trim()).filter(Boolean);
for (const w of wanted) {
  if (!found.includes(w)) {
    console.error(`no benchmark '${w}' in ${here}; found: ${ordered.join(', ')}`);
    process.exit(2);
  }
}
const selected = wanted.length ? ordered.filter((n) => wanted.includes(n)) : ordered;

/** Runs one benchmark, echoing its output and keeping a copy in bench/results/NAME.log. */
function runOne(name: string): Promise<{ code: number | null; seconds: number }> {
  const log = createWriteStream(join(resultsDir, `${name}.log`));
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(here, `${name}.bench.js`)], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d: Buffer) => { process.stdout.write(d); log.write(d); });
  child.stderr.on('data', (d: Buffer) => { process.stderr.write(d); log.write(d); });
  return new Promise((resolve) => {
    child.on('close', (code) => {
      log.end();
      resolve({ code, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

mkdirSync(resultsDir, { recursive: true });
const started = Date.now();
const summary: { name: string; code: number | null; seconds: number }[] = [];
console.log(`benchmarks: ${selected.join(', ')}`);
for (const name of selected) {
  console.log(`\n===== ${name} =====`);
  const r = await runOne(name);
  summary.push({ name, ...r });
  if (r.code !== 0) console.log(`${name} exited with code ${r.code}`);
}

console.log('\n===== summary =====');
for (const s of summary) console.log(`${s.name.padEnd(16)} ${s.code === 0 ? 'ok    ' : `exit ${s.code}`} ${s.seconds.toFixed(1).padStart(8)} s`);
const written = existsSync(resultsDir)
  ? readdirSync(resultsDir).filter((f) => statSync(join(resultsDir, f)).mtimeMs >= started - 1000).sort()
  : [];
console.log(`\nresults in ${resultsDir}:`);
for (const f of written) console.log(`  ${f}`);
const generated = tables();
if (generated.size) {
  console.log(`\nREADME tables from these results (\`node dist/bench/report.js --write README.md\` puts them in place):\n`);
  for (const [name, table] of generated) console.log(`<!-- bench:${name} -->\n${table}\n<!-- /bench:${name} -->\n`);
}
if (summary.some((s) => s.code !== 0)) process.exitCode = 1;
