/**
 * Settings for the property and fuzz tests (fast-check). `npm test` runs each property a fixed,
 * small number of times from a fixed seed, bounded in time, so the suite stays quick and a failure
 * reproduces; `npm run fuzz` (SLM_FUZZ=deep) runs many more cases from a fresh seed, printed with
 * any failure, and appends one JSON line per property to SLM_FUZZ_REPORT for the README's figures.
 */
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { SlmError } from '../../src/tensor/errors.js';

export const deep = process.env.SLM_FUZZ === 'deep';
const seed = deep ? Number(process.env.SLM_FUZZ_SEED ?? Date.now() % 2 ** 31) : 20260611;

export interface FuzzBudget {
  /** Cases in npm test. */
  quick: number;
  /** Cases in npm run fuzz (default 100 × quick). */
  deep?: number;
}

/** Runs a property; fails the test with fast-check's report (seed and shrunk counterexample). */
export async function fuzz<T>(name: string, arb: fc.Arbitrary<T>, check: (value: T) => void | Promise<void>, budget: FuzzBudget): Promise<void> {
  const numRuns = deep ? (budget.deep ?? budget.quick * 100) : budget.quick;
  const t0 = performance.now();
  const details = await fc.check(fc.asyncProperty(arb, async (v) => { await check(v); }), {
    seed, numRuns, interruptAfterTimeLimit: deep ? 300_000 : 20_000, markInterruptAsFailure: false,
  });
  const seconds = (performance.now() - t0) / 1000;
  if (process.env.SLM_FUZZ_REPORT) {
    appendFileSync(process.env.SLM_FUZZ_REPORT, `${JSON.stringify({ name, runs: details.numRuns, seed, failed: details.failed, seconds: +seconds.toFixed(1) })}\n`);
  }
  if (details.failed) {
    const cause = details.errorInstance instanceof Error ? details.errorInstance.stack ?? details.errorInstance.message : String(details.errorInstance);
    throw new Error(`${name}: ${fc.defaultReportMessage(details) ?? 'failed'}\nerror: ${cause}`);
  }
}

/** A scratch folder for one test file. */
export function scratch(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `slm-fuzz-${prefix}-`));
}

/** Passes for slmkit's typed errors (and the extra classes given); rethrows anything else. */
export function expectTyped(err: unknown, ...also: (abstract new (...a: never[]) => Error)[]): void {
  if (err instanceof SlmError || also.some((c) => err instanceof c)) return;
  throw err;
}

/** Calls `f`; returns its value, or undefined when it threw a typed error (anything else propagates). */
export async function typedOrValue<T>(f: () => T | Promise<T>, ...also: (abstract new (...a: never[]) => Error)[]): Promise<T | undefined> {
  try {
    return await f();
  } catch (err) {
    expectTyped(err, ...also);
    return undefined;
  }
}

/** `bytes` with `count` bytes replaced at the given positions (mod length) by the given values. */
export function mutate(bytes: Uint8Array, edits: { at: number; value: number }[]): Uint8Array {
  const out = new Uint8Array(bytes); // a copy (Buffer.slice would be a view)
  for (const e of edits) {
    const i = e.at % out.length;
    out[i] = e.value === out[i] ? (e.value + 1) & 0xff : e.value;
  }
  return out;
}

/** Arbitrary byte edits: 1 to 4 positions with new values. */
export const edits = fc.array(fc.record({ at: fc.noBias(fc.nat()), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 });
