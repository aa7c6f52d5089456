/**
 * Crash trials for `slm train` and `slm prepare`, run as child processes on a tiny corpus: each
 * trial kills the command with SIGKILL — at a random, seeded moment, or deterministically at a named
 * point inside a checkpoint or store write (SLM_FAULT, io/faults.ts) — then does what a user would
 * do next (resume the run, or use and rebuild the store) and classifies the outcome:
 *   identical  the resumed run ends byte-identical to an uninterrupted one / the store is complete and equal
 *   refused    the command refused, with a message naming what is missing or damaged
 *   silent     it went on with other weights or a store that is not the complete one: a failure
 * Used by test/crash.test.ts: a few trials in npm test, 20+ of each in npm run fuzz.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadStore } from '../../src/data/open.js';
import { Rng } from '../../src/tensor/rng.js';
import { deep } from './fuzz.js';
import { makeTinyCorpus, type TinyCorpus } from './tinyCorpus.js';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export type Outcome = 'identical' | 'refused' | 'silent';

export interface Trial {
  /** How it was killed: `random after 812 ms`, or the fault point. */
  kill: string;
  /** Whether the kill happened (a random one may come after the command ended: then it is not a trial). */
  killed: boolean;
  outcome: Outcome;
  /** The refusal's first line, or what differed. */
  detail: string;
}

export interface RunResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }

/**
 * Runs `slm ARGS`; with `kill`, sends SIGKILL `afterMs` after `when()` first holds (polled every
 * 5 ms; at once without it).
 */
export function slm(args: string[], env: Record<string, string> = {}, kill?: { afterMs: number; when?: () => boolean }): Promise<RunResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [main, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    let timer: NodeJS.Timeout | null = null;
    const arm = () => { timer = setTimeout(() => child.kill('SIGKILL'), kill!.afterMs); };
    const poll = kill?.when ? setInterval(() => { if (kill.when!()) { clearInterval(poll!); arm(); } }, 5) : null;
    if (kill && !kill.when) arm();
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (poll) clearInterval(poll);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.startsWith('slm:'))?.slice(0, 300) ?? s.trim().split('\n').pop()?.slice(0, 300) ?? '';
}

/** The training run every trial repeats: frequent checkpoints and evaluations, shuffling and dropout (generator state matters). */
export function trainArgs(store: string, out: string, steps: number, embedDim = 8): string[] {
  return ['train', '--data', store, '--model', 'lowrank', '--embed-dim', String(embedDim), '--dropout', '0.1', '--batch-size', '4', '--shuffle',
    '--lr', '0.02', '--max-steps', String(steps), '--save-every', '1', '--eval-every', '4', '--eval-docs', '4', '--out', out];
}

/** The files a resumed run must match byte for byte. */
const RUN_COMPARED = ['model.safetensors', 'optimizer.safetensors', join('best', 'model.safetensors')];

/** Fault points inside a checkpoint: each file's write, its rename, and each rename of the commit. */
export const TRAIN_FAULTS = [
  'write:optimizer.safetensors.next', 'rename:optimizer.safetensors.next', 'write:model.safetensors.next', 'rename:model.safetensors.next',
  'write:trainer.json.next', 'rename:trainer.json.next', 'commit:optimizer.safetensors', 'commit:model.safetensors', 'commit:trainer.json',
  'write:model.safetensors', 'rename:model.safetensors', // best/ weights
];

export interface TrainSetup {
  tiny: TinyCorpus; store: string; ref: string; steps: number; work: string;
  /** When the reference run wrote its first checkpoint, and when it ended (ms after its start). */
  firstCheckpointMs: number; refMs: number;
}

export async function trainSetup(work: string, steps = 40): Promise<TrainSetup> {
  const tiny = makeTinyCorpus(60, 12);
  const store = join(work, 'store');
  const p = await slm(['prepare', '--input', tiny.dir, '--tokenizer', tiny.vocabPath, '--lowercase', '--out', store, '--workers', '1']);
  if (p.code !== 0) throw new Error(`prepare failed: ${p.stderr}`);
  const ref = join(work, 'ref');
  const t0 = performance.now();
  let firstCheckpointMs = 0;
  const poll = setInterval(() => { if (!firstCheckpointMs && existsSync(join(ref, 'trainer.json'))) firstCheckpointMs = performance.now() - t0; }, 5);
  const r = await slm(trainArgs(store, ref, steps));
  clearInterval(poll);
  if (r.code !== 0) throw new Error(`reference run failed: ${r.stderr}`);
  return { tiny, store, ref, steps, refMs: r.ms, firstCheckpointMs: firstCheckpointMs || r.ms / 2, work };
}

/** One train trial: kill (at `fault`, or after a random delay drawn from `rng`), resume, compare. */
export async function trainTrial(s: TrainSetup, i: number, rng: Rng, fault?: string): Promise<Trial> {
  const out = join(s.work, `run-${i}`);
  rmSync(out, { recursive: true, force: true });
  // The Nth time the point is reached: from the second checkpoint on (before the first there is nothing
  // to resume), and among the few saves of the best weights for best/'s points.
  const n = fault === 'write:model.safetensors' || fault === 'rename:model.safetensors' ? 1 + rng.int(3) : 2 + rng.int(Math.max(1, s.steps - 3));
  const at = fault ? `${fault}@${n}` : undefined;
  // Random moments: a quarter anywhere in the run (start-up included, where there is nothing to
  // resume yet), the rest once the first checkpoint is on disk (start-up time varies with the load).
  const anywhere = rng.uniform() < 0.25;
  const delay = Math.round(rng.uniform() * (anywhere ? s.refMs : s.refMs - s.firstCheckpointMs));
  const when = anywhere ? undefined : () => existsSync(join(out, 'trainer.json'));
  const r = at ? await slm(trainArgs(s.store, out, s.steps), { SLM_FAULT: `kill:${at}` }) : await slm(trainArgs(s.store, out, s.steps), {}, { afterMs: delay, when });
  const kill = at ? `at ${at}` : `random, ${delay} ms after ${anywhere ? 'the start' : 'the first checkpoint'}`;
  const killed = r.signal === 'SIGKILL';
  const resumed = await slm(['train', '--resume', out]);
  if (!killed) return { kill, killed, outcome: 'identical', detail: `not killed: exit ${r.code} ${firstLine(r.stderr)}` };
  if (resumed.code !== 0) return { kill, killed, outcome: 'refused', detail: firstLine(resumed.stderr) };
  for (const f of RUN_COMPARED) {
    const a = join(s.ref, f);
    const b = join(out, f);
    if (existsSync(a) !== existsSync(b) || (existsSync(a) && !readFileSync(a).equals(readFileSync(b)))) {
      return { kill, killed, outcome: 'silent', detail: `${f} differs from the uninterrupted run's` };
    }
  }
  rmSync(out, { recursive: true, force: true });
  return { kill, killed, outcome: 'identical', detail: '' };
}

export interface PrepareSetup { corpus: TinyCorpus; vocab: string; ref: string; old: string; refMs: number; work: string }

const STORE_COMPARED = ['train.bin', 'test.bin', 'tokenizer.json'];

export const PREPARE_FAULTS = ['write:train.bin', 'rename:train.bin', 'write:test.bin', 'rename:test.bin', 'write:tokenizer.json',
  'rename:tokenizer.json', 'write:manifest.json', 'rename:manifest.json'];

function prepareArgs(input: string, vocab: string, out: string, maxTokens: number, force: boolean): string[] {
  return ['prepare', '--input', input, '--tokenizer', vocab, '--lowercase', '--max-tokens', String(maxTokens), '--out', out, '--workers', '1',
    ...(force ? ['--force'] : [])];
}

export async function prepareSetup(work: string): Promise<PrepareSetup> {
  const corpus = deep ? makeTinyCorpus(6000, 600) : makeTinyCorpus(200, 20); // deep: long enough that random kills land mid-prepare
  const ref = join(work, 'pref');
  const r = await slm(prepareArgs(corpus.dir, corpus.vocabPath, ref, 64, false));
  if (r.code !== 0) throw new Error(`reference prepare failed: ${r.stderr}`);
  // A complete store made with other options: trials that replace it (--force) start from a copy.
  const old = join(work, 'pold');
  const o = await slm(prepareArgs(corpus.dir, corpus.vocabPath, old, 16, false));
  if (o.code !== 0) throw new Error(`old prepare failed: ${o.stderr}`);
  return { corpus, vocab: corpus.vocabPath, ref, old, refMs: r.ms, work };
}

function sameFiles(a: string, b: string): boolean {
  return STORE_COMPARED.every((f) => existsSync(join(a, f)) && existsSync(join(b, f)) && readFileSync(join(a, f)).equals(readFileSync(join(b, f))));
}

/**
 * One prepare trial, into a new folder or replacing a complete store (--force): kill it, then (1)
 * open the folder as training would — it must be refused, or be exactly the old or the new complete
 * store — and (2) run the same prepare again, which must end with the complete new store.
 */
export async function prepareTrial(s: PrepareSetup, i: number, rng: Rng, fault?: string): Promise<Trial> {
  const out = join(s.work, `store-${i}`);
  rmSync(out, { recursive: true, force: true });
  const replacing = rng.uniform() < 0.5;
  if (replacing) cpSync(s.old, out, { recursive: true });
  const args = prepareArgs(s.corpus.dir, s.vocab, out, 64, replacing);
  const delay = Math.round((0.05 + 0.75 * rng.uniform()) * s.refMs); // the load varies: stay inside the reference run's time
  const r = fault ? await slm(args, { SLM_FAULT: `kill:${fault}` }) : await slm(args, {}, { afterMs: delay });
  const kill = `${fault ? `at ${fault}` : `random after ${delay} ms`}${replacing ? ', replacing a store' : ''}`;
  const killed = r.signal === 'SIGKILL';
  let opened: string;
  try {
    loadStore(out);
    opened = sameFiles(out, s.ref) ? 'new' : replacing && sameFiles(out, s.old) ? 'old' : 'mixed';
  } catch (err) {
    opened = `refused: ${(err as Error).message.slice(0, 200)}`;
  }
  if (opened === 'mixed') return { kill, killed, outcome: 'silent', detail: 'the store opened but is neither the old nor the new one' };
  const again = await slm(args);
  if (again.code !== 0) return { kill, killed, outcome: 'silent', detail: `prepare again failed: ${again.stderr.slice(-2000)}` };
  if (!sameFiles(out, s.ref)) return { kill, killed, outcome: 'silent', detail: 'prepare again did not rebuild the complete store' };
  rmSync(out, { recursive: true, force: true });
  return { kill, killed, outcome: opened.startsWith('refused') ? 'refused' : 'identical', detail: opened };
}

/** One line per outcome for reports: "20 trials: 17 identical, 3 refused, 0 silent". */
export function summarize(trials: Trial[]): string {
  const n = (o: Outcome) => trials.filter((t) => t.outcome === o).length;
  return `${trials.length} trials: ${n('identical')} byte-identical, ${n('refused')} refused with a message, ${n('silent')} silent`;
}

