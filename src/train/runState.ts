/**
 * trainer.json, the state a run resumes from, and the checks a resume makes before it trusts a
 * run folder (Node). Version 3 is sealed with its own CRC-32 and records those of config.json and
 * tokenizer.json; every field of every version is checked for type and range, the weights and
 * optimizer state must be at the same step, and the log is cut back to the checkpoint. A folder
 * that fails any check is refused with the file and the fault named — never resumed from.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { fileCrc, loadModelWeights, loadOptimizer, readJson, RUN_FILES, verifySealedJson } from '../io/checkpoint.js';
import type { LanguageModel } from '../models/model.js';
import type { Optimizer } from '../optim/optimizer.js';
import { CheckpointError } from '../tensor/errors.js';
import type { LoopState } from './loop.js';

export interface TrainerState extends LoopState {
  version: 3;
  /** Every module generator's state by name (Module.namedRngs). */
  rngs: Record<string, number[]>;
  lastTestLoss: number | null;
  bestTestLoss: number | null;
  bestStep: number | null;
  done: boolean;
  /** False when checkpoints carry no optimizer state (saveOptimizer off): such a run cannot resume. */
  resumable: boolean;
  /** Highest resident memory of any process that worked on this run, bytes. */
  peakRssBytes?: number;
  /** CRC-32 of config.json and tokenizer.json as the run wrote them. */
  files: Record<string, string>;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

/** Checks every field trainer.json may hold; returns the state upgraded to version 3. */
export function checkTrainerState(raw: unknown, model: LanguageModel, path: string): TrainerState {
  const bad = (why: string) => new CheckpointError(`${path} is damaged: ${why}`, 'restore the file from a copy, or start a new run');
  if (!isObj(raw)) throw bad('it is not a JSON object');
  const version = raw.version;
  if (version !== 1 && version !== 2 && version !== 3) {
    throw new CheckpointError(`${path} has version ${JSON.stringify(version)}; this slmkit reads versions 1 to 3`, 'update slmkit, or start a new run');
  }
  if (version === 3 && !verifySealedJson(raw, path)) throw bad('a version 3 state without its checksum');
  for (const k of ['step', 'epoch', 'batchInEpoch', 'tokens'] as const) if (!count(raw[k])) throw bad(`"${k}" is ${JSON.stringify(raw[k])}, not a count`);
  if (!(typeof raw.seconds === 'number' && Number.isFinite(raw.seconds) && raw.seconds >= 0)) throw bad(`"seconds" is ${JSON.stringify(raw.seconds)}`);
  if (raw.skipped !== undefined && !count(raw.skipped)) throw bad(`"skipped" is ${JSON.stringify(raw.skipped)}`);
  for (const k of ['lastTestLoss', 'bestTestLoss'] as const) {
    if (raw[k] !== undefined && raw[k] !== null && typeof raw[k] !== 'number') throw bad(`"${k}" is ${JSON.stringify(raw[k])}`);
  }
  if (raw.bestStep !== undefined && raw.bestStep !== null && !count(raw.bestStep)) throw bad(`"bestStep" is ${JSON.stringify(raw.bestStep)}`);
  if (typeof raw.done !== 'boolean') throw bad(`"done" is ${JSON.stringify(raw.done)}`);
  if (version >= 2 && typeof raw.resumable !== 'boolean') throw bad(`"resumable" is ${JSON.stringify(raw.resumable)}`);
  if (raw.peakRssBytes !== undefined && !(typeof raw.peakRssBytes === 'number' && raw.peakRssBytes >= 0)) throw bad(`"peakRssBytes" is ${JSON.stringify(raw.peakRssBytes)}`);
  if (raw.time !== undefined) {
    const t = raw.time;
    const seconds = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
    if (!isObj(t) || !['total', 'steps', 'data', 'evaluation', 'checkpoints'].every((k) => seconds(t[k]))) throw bad(`"time" is ${JSON.stringify(t)}`);
  }
  // A generator's state: numbers, with null where JSON wrote NaN (no spare normal draw held).
  const stateList = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => x === null || Number.isFinite(x));
  const names = model.namedRngs();
  let rngs: Record<string, number[]>;
  if (version === 1) {
    // Version 1 kept dropout generators' states as a list in module order; later versions name them.
    const list = raw.rngStates ?? [];
    if (!Array.isArray(list) || !list.every(stateList)) throw bad('"rngStates" is not a list of generator states');
    if (list.length !== names.length) throw new CheckpointError(`${path} holds ${list.length} generator states; the model has ${names.length}`);
    rngs = Object.fromEntries(names.map(([n], i) => [n, list[i] as number[]]));
  } else {
    if (!isObj(raw.rngs) || !Object.values(raw.rngs).every(stateList)) throw bad('"rngs" is not a map of generator states');
    rngs = raw.rngs as Record<string, number[]>;
  }
  for (const [name, r] of names) {
    const saved = rngs[name];
    if (!saved) throw new CheckpointError(`${path} has no state for the generator '${name}'`, 'the run was saved by a model with other random parts; start a new run');
    if (saved.length !== r.getState().length) throw bad(`the state of generator '${name}' has ${saved.length} numbers, not ${r.getState().length}`);
  }
  if (version === 3 && !(isObj(raw.files) && Object.values(raw.files).every((v) => typeof v === 'string'))) throw bad('"files" is not a map of checksums');
  const { rngStates: _, checksum: __, ...rest } = raw;
  return {
    ...(rest as unknown as TrainerState), version: 3, rngs, skipped: (raw.skipped as number | undefined) ?? 0,
    lastTestLoss: (raw.lastTestLoss as number | null | undefined) ?? null, bestTestLoss: (raw.bestTestLoss as number | null | undefined) ?? null,
    bestStep: (raw.bestStep as number | null | undefined) ?? null, resumable: version === 1 ? true : raw.resumable as boolean,
    files: version === 3 ? raw.files as Record<string, string> : {},
  };
}

/**
 * Reads trainer.json (versions 1 to 3), checks it and the files it vouches for, loads the weights
 * and optimizer state that go with it (checksums verified as they are read), checks that all are at
 * one step, and cuts metrics.jsonl back to that step. `batchesPerEpoch` is the data's: a state past
 * it means the data changed under the run.
 */
export function resumeState(outDir: string, model: LanguageModel, opt: Optimizer, batchesPerEpoch?: number): TrainerState {
  const path = join(outDir, RUN_FILES.trainer);
  const st = checkTrainerState(readJson<unknown>(path, 'trainer state'), model, path);
  if (!st.resumable) {
    throw new CheckpointError(`${outDir} was saved without optimizer state (saveOptimizer off), so it cannot be resumed exactly`,
      'start a new run from its weights, or train again with optimizer state saved');
  }
  for (const [name, want] of Object.entries(st.files)) {
    const got = fileCrc(join(outDir, name));
    if (got !== want) {
      throw new CheckpointError(`${join(outDir, name)} ${got === null ? 'is missing' : `was changed after the run started (CRC-32 ${got}, recorded ${want})`}: edited or damaged`,
        'restore it from a copy (training flags given to --resume override the config without editing it), or start a new run');
    }
  }
  if (batchesPerEpoch !== undefined && st.batchInEpoch > batchesPerEpoch) {
    throw new CheckpointError(`${path} is at batch ${st.batchInEpoch} of its epoch, but the data has ${batchesPerEpoch} batches per epoch`,
      'resume with the data (and batch size) the run was started with');
  }
  const mStep = loadModelWeights(outDir, model);
  const oStep = loadOptimizer(outDir, model, opt);
  if (mStep !== st.step || oStep !== st.step) {
    throw new CheckpointError(`checkpoint files in ${outDir} disagree: trainer at step ${st.step}, model at ${mStep}, optimizer at ${oStep}`,
      'the files come from different checkpoints (copied or restored separately); restore them together, or start a new run');
  }
  keepMetricsUpTo(join(outDir, RUN_FILES.metrics), st.step);
  return st;
}

/** Drops metric lines written after the checkpoint (and lines that are not records), so the log has each step once. */
export function keepMetricsUpTo(path: string, step: number): void {
  if (!existsSync(path)) return;
  const kept = readFileSync(path, 'utf8').split('\n').filter((l) => {
    if (!l) return false;
    try {
      const rec = JSON.parse(l) as unknown;
      // Only a number counts as a step: `false <= 3` and `null <= 3` are true in JavaScript.
      return isObj(rec) && typeof rec.step === 'number' && Number.isFinite(rec.step) && rec.step <= step;
    } catch {
      return false;
    }
  });
  writeFileAtomic(path, kept.map((l) => `${l}\n`).join(''));
}
