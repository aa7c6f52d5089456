/**
 * Two writers (issue 16): a second `slm train --out` or `--resume` on a run folder that another
 * process is writing is refused, naming the other process; so is a second `slm prepare` into one
 * store. A lock left by a process killed with SIGKILL does not block the folder forever: the next
 * writer on the same host sees its process is gone and takes the lock over — exactly one of
 * several racing for it wins — while a lock from another host is reported, not broken.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LOCK_FILE, LockBusy, processStartTime, tryLockFolder } from '../src/io/lock.js';
import { slm, trainArgs } from './helpers/crash.js';
import { scratch } from './helpers/fuzz.js';
import { makeTinyCorpus } from './helpers/tinyCorpus.js';

const lockModule = fileURLToPath(new URL('../src/io/lock.js', import.meta.url));

async function waitFor(cond: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A pid that no process has now (a finished child's). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('two writers', () => {
  const work = scratch('lock');
  const tiny = makeTinyCorpus(60, 12);
  const store = join(work, 'store');

  test('a second slm train --out or --resume on a folder being written is refused; after a SIGKILL the lock is taken over', async () => {
    const p = await slm(['prepare', '--input', tiny.dir, '--tokenizer', tiny.vocabPath, '--lowercase', '--out', store, '--workers', '1']);
    assert.equal(p.code, 0, p.stderr);
    const run = join(work, 'run');
    const first = spawn(process.execPath, [fileURLToPath(new URL('../src/cli/main.js', import.meta.url)), ...trainArgs(store, run, 100000), '--epochs', '100000'], { stdio: 'ignore' });
    try {
      await waitFor(() => existsSync(join(run, 'trainer.json')));
      const holder = JSON.parse(readFileSync(join(run, LOCK_FILE), 'utf8')) as { pid: number; host: string };
      assert.equal(holder.pid, first.pid);
      assert.equal(holder.host, hostname());
      for (const args of [trainArgs(store, run, 10), ['train', '--resume', run]]) {
        const r = await slm(args);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`${run.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is being written by another slm process \\(pid ${first.pid} on `));
        assert.match(r.stderr, /hint: wait for it to finish, or stop it/);
      }
    } finally {
      // (if it already ended, 'close' has been and gone: waiting for it would hang the file)
      if (first.exitCode === null && first.signalCode === null) {
        const closed = new Promise((r) => first.on('close', r));
        first.kill('SIGKILL');
        await closed;
      }
    }
    assert.ok(existsSync(join(run, LOCK_FILE)), 'SIGKILL leaves the lock file behind');
    const r = await slm(['train', '--resume', run, '--max-steps', '1']);
    assert.equal(r.code, 0, `the stale lock is taken over: ${r.stderr}`);
    assert.ok(!existsSync(join(run, LOCK_FILE)), 'and given back at the end');
  });

  test('a second slm prepare into a store being prepared is refused', async () => {
    const out = join(work, 'store2');
    const args = ['prepare', '--input', tiny.dir, '--tokenizer', tiny.vocabPath, '--lowercase', '--out', out, '--workers', '1'];
    // The first pauses inside its write, holding the lock, for as long as the second needs to start.
    const first = spawn(process.execPath, [fileURLToPath(new URL('../src/cli/main.js', import.meta.url)), ...args],
      { stdio: 'ignore', env: { ...process.env, SLM_FAULT: 'pause:write:train.bin', SLM_FAULT_PAUSE_MS: '3000' } });
    const ended = new Promise((r) => first.on('close', r));
    try {
      await waitFor(() => existsSync(join(out, LOCK_FILE)));
      const r = await slm(args);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /store2 is being written by another slm process \(pid \d+ on .*slm prepare --input/);
      assert.match(r.stderr, /hint: .*prepare into another --out/);
    } finally {
      await ended;
    }
    assert.equal((await slm(args)).code, 0, 'once the first is done, the store is reused');
  });

  test('a lock from a dead process is stale, one from a reused pid too; one from another host is reported with its file', () => {
    const dir = join(work, 'stale');
    mkdirSync(dir, { recursive: true });
    const lockPath = join(dir, LOCK_FILE);
    writeFileSync(lockPath, JSON.stringify({ pid: deadPid(), host: hostname(), processStart: null, since: 'then', command: 'slm train' }));
    const a = tryLockFolder(dir, 'run folder');
    assert.ok(!(a instanceof LockBusy), 'a dead process\'s lock is taken over');
    a.release();
    assert.ok(!existsSync(lockPath));
    // This process's own pid with another start time: the pid was reused, the lock is stale.
    const start = processStartTime(process.pid);
    if (start !== null) {
      writeFileSync(lockPath, JSON.stringify({ pid: process.pid, host: hostname(), processStart: start - 1, since: 'then', command: 'slm train' }));
      const b = tryLockFolder(dir, 'run folder');
      assert.ok(!(b instanceof LockBusy), 'a reused pid does not keep the lock');
      b.release();
    }
    writeFileSync(lockPath, JSON.stringify({ pid: 4242, host: 'elsewhere', processStart: 1, since: 'then', command: 'slm train --out x' }));
    const c = tryLockFolder(dir, 'run folder');
    assert.ok(c instanceof LockBusy);
    assert.match(c.why, /locked by a process on another machine \(pid 4242 on elsewhere, since then: slm train --out x\)/);
    assert.match(c.hint, /if that process is no longer running, delete .*slm\.lock/);
  });

  test('of several processes racing for a stale lock, exactly one wins', async () => {
    const dir = join(work, 'race');
    mkdirSync(dir, { recursive: true });
    for (let round = 0; round < 2; round++) {
      writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: hostname(), processStart: null, since: 'then', command: 'x' }));
      const script = `import { tryLockFolder, LockBusy } from ${JSON.stringify(lockModule)};
        const l = tryLockFolder(${JSON.stringify(dir)}, 'run folder');
        process.stdout.write(l instanceof LockBusy ? 'busy' : 'won');
        setTimeout(() => { if (!(l instanceof LockBusy)) l.release(); }, 800);`;
      const runs = Array.from({ length: 4 }, () => new Promise<string>((resolve) => {
        const c = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        c.stdout.on('data', (d: Buffer) => { out += d.toString(); });
        c.on('close', () => resolve(out));
      }));
      const outs = await Promise.all(runs);
      assert.equal(outs.filter((o) => o === 'won').length, 1, `round ${round}: ${outs.join(',')}`);
    }
  });
});
