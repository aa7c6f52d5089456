/**
 * Crash safety under SIGKILL (issue 16): `slm train` killed at random moments and at every point
 * inside a checkpoint write resumes to weights byte-identical to an uninterrupted run, or is
 * refused with a message naming what is missing — never resumed silently to other weights; `slm
 * prepare` killed anywhere never leaves a store that is used as if complete, and running it again
 * rebuilds the store. npm test runs a few seeded trials; npm run fuzz (SLM_FUZZ=deep) runs 24 and
 * 20 and writes their outcomes to SLM_FUZZ_REPORT.
 */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { NEXT, recoverCheckpoint } from '../src/io/checkpoint.js';
import { Rng } from '../src/tensor/rng.js';
import {
  PREPARE_FAULTS, prepareSetup, prepareTrial, summarize, TRAIN_FAULTS, trainSetup, trainTrial, type Trial,
} from './helpers/crash.js';
import { deep, scratch } from './helpers/fuzz.js';

const seed = deep ? Number(process.env.SLM_FUZZ_SEED ?? Date.now() % 2 ** 31) : 16;

function report(name: string, trials: Trial[], inputs: string): void {
  for (const t of trials) if (deep || t.outcome === 'silent') process.stdout.write(`# ${name}: ${t.kill}${t.killed ? '' : ' (ended before the kill)'} -> ${t.outcome} ${t.detail}\n`);
  process.stdout.write(`# ${name}: ${summarize(trials)}\n`);
  if (process.env.SLM_FUZZ_REPORT) {
    const n = (o: string) => trials.filter((t) => t.outcome === o).length;
    appendFileSync(process.env.SLM_FUZZ_REPORT, `${JSON.stringify({ name, trials: trials.length, inputs, seed, identical: n('identical'), refused: n('refused'), silent: n('silent'), refusals: [...new Set(trials.filter((t) => t.outcome === 'refused').map((t) => t.detail.replace(/\/\S+/g, 'PATH')))] })}\n`);
  }
}

describe('crash safety: slm train under SIGKILL', () => {
  test(`killed at random moments and inside checkpoint writes, it resumes byte-identical or refuses with a message`, async () => {
    const work = scratch('crash-train');
    const s = await trainSetup(work, deep ? 40 : 12);
    const rng = new Rng(seed);
    const randomTrials = deep ? 12 : 1;
    const faults = deep ? [...TRAIN_FAULTS, TRAIN_FAULTS[rng.int(TRAIN_FAULTS.length)]!] : ['commit:model.safetensors'];
    const trials: Trial[] = [];
    for (let i = 0; i < randomTrials + faults.length; i++) {
      const t = await trainTrial(s, i, rng, i < randomTrials ? undefined : faults[i - randomTrials]);
      if (t.killed) trials.push(t);
      else process.stdout.write(`# slm train SIGKILL: ${t.kill}: ${t.detail} (not a trial)\n`);
    }
    report('slm train SIGKILL', trials, `random moments (${randomTrials}) and each checkpoint write point (${faults.length}); save every step, shuffle, dropout, eval every 4`);
    assert.deepEqual(trials.filter((t) => t.outcome === 'silent'), [], 'no trial may resume silently to other weights');
    for (const t of trials.filter((x) => x.outcome === 'refused')) assert.match(t.detail, /trainer\.json|safetensors|checkpoint|damaged|missing/, 'a refusal names what is wrong');
    // Killed inside a checkpoint, the run must resume, not merely refuse: the transaction keeps one whole checkpoint.
    for (const t of trials.filter((x) => x.kill.startsWith('at '))) assert.equal(t.outcome, 'identical', `${t.kill}: ${t.detail}`);
  });
});

describe('crash safety: slm prepare under SIGKILL', () => {
  test('a killed prepare never leaves a store that is used as if complete; preparing again rebuilds it', async () => {
    const work = scratch('crash-prep');
    const s = await prepareSetup(work);
    const rng = new Rng(seed + 1);
    const randomTrials = deep ? 10 : 0;
    const faults = deep ? [...PREPARE_FAULTS, PREPARE_FAULTS[rng.int(PREPARE_FAULTS.length)]!, PREPARE_FAULTS[rng.int(PREPARE_FAULTS.length)]!] : ['rename:test.bin'];
    const trials: Trial[] = [];
    for (let i = 0; i < randomTrials + faults.length; i++) {
      const t = await prepareTrial(s, i, rng, i < randomTrials ? undefined : faults[i - randomTrials]);
      if (t.killed) trials.push(t);
    }
    report('slm prepare SIGKILL', trials, `random moments (${randomTrials}) and each store write point (${faults.length}); half the trials replace a complete store with --force`);
    assert.deepEqual(trials.filter((t) => t.outcome === 'silent'), []);
  });
});

describe('the checkpoint transaction, file by file', () => {
  test('a committed checkpoint is completed, an uncommitted one dropped', () => {
    const dir = scratch('txn');
    mkdirSync(dir, { recursive: true });
    const put = (name: string, text: string) => writeFileSync(join(dir, name), text);
    const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : null);
    for (const f of ['model.safetensors', 'optimizer.safetensors', 'trainer.json']) put(f, 'old');
    // Killed before the commit: both tensor files written, trainer.json.next not yet there.
    put(`model.safetensors${NEXT}`, 'new');
    put(`optimizer.safetensors${NEXT}`, 'new');
    put(`trainer.json${NEXT}.tmp-999999`, 'half');
    assert.equal(recoverCheckpoint(dir), 'discarded');
    assert.deepEqual(['model.safetensors', 'optimizer.safetensors', 'trainer.json'].map(read), ['old', 'old', 'old']);
    assert.equal(read(`model.safetensors${NEXT}`), null);
    assert.equal(read(`trainer.json${NEXT}.tmp-999999`), null, 'a dead writer\'s temporary file is removed');
    // Killed during the commit: the optimizer renamed already, model and trainer.json not.
    put('optimizer.safetensors', 'new');
    put(`model.safetensors${NEXT}`, 'new');
    put(`trainer.json${NEXT}`, 'new');
    assert.equal(recoverCheckpoint(dir), 'completed');
    assert.deepEqual(['model.safetensors', 'optimizer.safetensors', 'trainer.json'].map(read), ['new', 'new', 'new']);
    assert.equal(recoverCheckpoint(dir), 'none');
  });
});
