/**
 * Running the `slm` command from tests: a child process on the built CLI with its own cache
 * folder, and the two ways tests read its result (the last stdout line as JSON; exit and stderr).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The built CLI's entry file. */
export const cliMain = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** A work folder named after `prefix`, and `slm(...args)` running there with SLM_CACHE inside it. */
export function cliRunner(prefix: string): { work: string; slm: (...args: string[]) => CliResult } {
  const work = mkdtempSync(join(tmpdir(), `slm-${prefix}-`));
  const slm = (...args: string[]): CliResult => {
    const r = spawnSync(process.execPath, [cliMain, ...args], { encoding: 'utf8', env: { ...process.env, SLM_CACHE: join(work, 'cache') } });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  return { work, slm };
}

/** The command's --json result (its last stdout line), asserting it exited 0. */
export function cliJson<T = Record<string, unknown>>(r: CliResult): T {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}
