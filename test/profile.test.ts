/**
 * The kernel profile (backend/profile.ts): wrapped kernels give the same results, each call is
 * counted with its time, the table puts the largest first with the time outside every kernel, and
 * stopping puts the plain kernels back; `SLM_PROFILE=1 slm train` prints it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { kernels, profileActiveKernels } from '../src/backend/index.js';
import { formatKernelProfile, profileKernels } from '../src/backend/profile.js';
import { referenceKernels } from '../src/backend/reference/index.js';
import { cliRunner } from './helpers/cli.js';
import { makeTinyCorpus } from './helpers/tinyCorpus.js';

test('profiled kernels compute the same and count every call with its time', () => {
  let clock = 0;
  const p = profileKernels(referenceKernels, () => (clock += 5)); // each call: 5 ms between its two clock reads
  const x = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const out = new Float32Array(3);
  p.kernels.sumRows(x, out, 2, 3, false);
  assert.deepEqual([...out], [5, 7, 9]);
  p.kernels.sumRows(x, out, 2, 3, true);
  assert.deepEqual([...out], [10, 14, 18]);
  const y = new Float32Array(6);
  p.kernels.reluForward(Float32Array.from([-1, 2, -3, 4, -5, 6]), y);
  assert.deepEqual([...y], [0, 2, 0, 4, 0, 6]);
  assert.deepEqual(p.report(), [{ name: 'sumRows', calls: 2, seconds: 0.01 }, { name: 'reluForward', calls: 1, seconds: 0.005 }]);
  const lines = formatKernelProfile(p.report(), 0.1, 1);
  assert.match(lines[0]!, /^ {2}sumRows +0\.01 s +10\.0% {2}2 calls$/);
  assert.match(lines[1]!, /^ {2}1 other kernels +0\.01 s +5\.0%$/);
  assert.match(lines[2]!, /^ {2}outside the kernels +0\.09 s +85\.0%$/);
  p.reset();
  assert.deepEqual(p.report(), []);
});

test('profiling the active backend wraps it until stopped; SLM_PROFILE=1 slm train prints the table', () => {
  const plain = kernels();
  const prof = profileActiveKernels();
  assert.notEqual(kernels(), plain);
  assert.equal(kernels().name, plain.name);
  prof.stop();
  assert.equal(kernels(), plain);
  const tiny = makeTinyCorpus(20, 4);
  const { work, slm } = cliRunner('profile');
  const prev = process.env.SLM_PROFILE;
  process.env.SLM_PROFILE = '1';
  try {
    const r = slm('train', '--data', tiny.dir, '--model', 'lowrank', '--embed-dim', '4', '--batch-size', '4', '--max-steps', '2', '--no-eval', '--out', join(work, 'run'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /kernel time over the run \(SLM_PROFILE=1\):\n {2}\w+ +\d+\.\d\d s +\d+\.\d%/);
    assert.match(r.stdout, /outside the kernels +-?\d+\.\d\d s/);
  } finally {
    if (prev === undefined) delete process.env.SLM_PROFILE;
    else process.env.SLM_PROFILE = prev;
  }
});
