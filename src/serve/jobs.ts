/**
 * Training runs started from the page: each is `slm train` in a child process (the same command a
 * learner types, so the page teaches it), writing a new run folder under --runs on the --data
 * folder. Stopping sends SIGINT, as Ctrl-C does: the run saves a checkpoint and can be resumed
 * (`slm train --resume`). Keys are checked before anything starts, so a typo is a 400, not a
 * failed process. The server's event loop never trains; the page follows the run through its
 * metrics stream like any other.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flagOf, type AnyKeySpec } from '../config/keys.js';
import { RUN_FILES } from '../io/checkpoint.js';
import { resolveFamilyConfig } from '../models/family.js';
import { familyOf, type ModelType } from '../models/registry.js';
import { resolveTrainConfig, trainKeys } from '../train/config.js';
import type { JobInfo, TrainRequest } from './api.js';
import { HttpError } from './errors.js';
import { RUN_ID } from './registry.js';

interface Job {
  info: JobInfo;
  child: ChildProcess | null;
  exited: Promise<void>;
}

const cliMain = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const quote = (s: string) => (/^[\w./:=,+-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);

/** `slm train …` with one flag per key that differs from its default: what the page shows. */
export function trainCommand(data: string, out: string, model: Record<string, unknown>, train: Record<string, unknown>, minutes?: number): string {
  const family = familyOf(model.type);
  const parts = ['slm', 'train', '--data', quote(data), '--model', String(model.type)];
  const flags = (specs: Record<string, AnyKeySpec>, values: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(values)) {
      const spec = specs[k];
      if (!spec || v === spec.default || v === undefined) continue;
      const flag = flagOf(k, spec);
      if (!flag) continue;
      if (spec.kind === 'bool') parts.push(v ? flag : `--no-${flag.slice(2)}`);
      else parts.push(flag, quote(String(v)));
    }
  };
  flags(family.keys as Record<string, AnyKeySpec>, model);
  flags(trainKeys as Record<string, AnyKeySpec>, train);
  if (minutes !== undefined) parts.push('--minutes', String(minutes));
  parts.push('--out', quote(out));
  return parts.join(' ');
}

export class TrainingJobs {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly o: { runsRoot: string | null; dataDir: string | null; runsDisplay: string | null; dataDisplay: string | null }) {}

  get canTrain(): boolean {
    return this.o.runsRoot !== null && this.o.dataDir !== null;
  }

  info(id: string): JobInfo | null {
    return this.jobs.get(id)?.info ?? null;
  }

  private need(): { runsRoot: string; dataDir: string } {
    if (this.o.runsRoot === null || this.o.dataDir === null) {
      throw new HttpError(409, 'not-available', 'this server does not train: it was started without --runs and --data',
        'start it as slm serve --runs DIR --data DIR (new runs go into --runs, trained on --data)');
    }
    return { runsRoot: this.o.runsRoot, dataDir: this.o.dataDir };
  }

  /** Starts `slm train` for a new run folder named `req.name` under --runs. */
  start(req: TrainRequest, taken: (id: string) => boolean): JobInfo {
    const { runsRoot, dataDir } = this.need();
    if (!RUN_ID.test(req.name)) throw new HttpError(400, 'bad-request', `run name ${JSON.stringify(req.name)} is not allowed`, 'use letters, digits, dot, dash and underscore (it becomes a folder name)');
    const dir = join(runsRoot, req.name);
    if (existsSync(dir) || taken(req.name) || this.jobs.has(req.name)) {
      throw new HttpError(409, 'conflict', `a run named ${req.name} exists already`, 'choose another name, or resume that run');
    }
    // The library's own checks, with a stand-in vocabulary (the data decides it): 400s before any process starts.
    const family = familyOf(req.model.type);
    resolveFamilyConfig(family, { vocabSize: 1, ...req.model });
    const train = req.train ?? {};
    if (family.kind === 'neural') resolveTrainConfig(req.model.type as ModelType, train);
    else if (Object.keys(train).length > 0) throw new HttpError(400, 'bad-request', `a counted ${family.type} model takes no training settings`, 'leave out "train"');
    const tmp = mkdtempSync(join(tmpdir(), 'slm-serve-'));
    const configPath = join(tmp, 'config.json');
    writeFileSync(configPath, JSON.stringify({ model: req.model, ...(family.kind === 'neural' ? { train } : {}), data: dataDir }));
    const args = ['train', '--config', configPath, '--out', dir, ...(req.minutes !== undefined ? ['--minutes', String(req.minutes)] : [])];
    const command = trainCommand(this.o.dataDisplay ?? dataDir, join(this.o.runsDisplay ?? runsRoot, req.name), req.model, train, req.minutes);
    return this.spawnJob(req.name, args, command, () => rmSync(tmp, { recursive: true, force: true }));
  }

  /** Resumes a stopped run under --runs. */
  resume(id: string, minutes?: number): JobInfo {
    const { runsRoot } = this.need();
    const running = this.jobs.get(id);
    if (running && (running.info.state === 'running' || running.info.state === 'stopping')) {
      throw new HttpError(409, 'conflict', `run ${id} is training already`, 'stop it first');
    }
    const dir = join(runsRoot, id);
    if (!RUN_ID.test(id) || !existsSync(join(dir, RUN_FILES.trainer))) {
      throw new HttpError(404, 'unknown-run', `no resumable run ${JSON.stringify(id)} under --runs`, 'only runs in the --runs folder with a checkpoint can be resumed from the page');
    }
    const args = ['train', '--resume', dir, ...(minutes !== undefined ? ['--minutes', String(minutes)] : [])];
    const command = `slm train --resume ${quote(join(this.o.runsDisplay ?? runsRoot, id))}${minutes !== undefined ? ` --minutes ${minutes}` : ''}`;
    return this.spawnJob(id, args, command, () => {});
  }

  /** Asks a running job to stop (SIGINT: it saves a checkpoint first). */
  stop(id: string): JobInfo {
    const job = this.jobs.get(id);
    if (!job || !job.child || job.info.state !== 'running') {
      throw new HttpError(409, 'conflict', `run ${id} is not training here`, 'only runs started or resumed from this page can be stopped from it');
    }
    job.info.state = 'stopping';
    job.child.kill('SIGINT');
    return job.info;
  }

  private spawnJob(id: string, args: string[], command: string, cleanup: () => void): JobInfo {
    const child = spawn(process.execPath, [cliMain, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    const info: JobInfo = { state: 'running', command, log: [], exitCode: null };
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split(/\r|\n/)) {
        const l = line.trim();
        if (l) info.log.push(l.slice(0, 300));
      }
      if (info.log.length > 30) info.log.splice(0, info.log.length - 30);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const exited = new Promise<void>((resolve) => {
      child.on('error', (err) => {
        info.log.push(`could not start: ${err.message}`);
        info.state = 'failed';
        cleanup();
        resolve();
      });
      child.on('exit', (code, signal) => {
        info.exitCode = code;
        info.state = info.state === 'stopping' || code === 130 || signal === 'SIGINT' ? 'stopped' : code === 0 ? 'done' : 'failed';
        job.child = null;
        cleanup();
        resolve();
      });
    });
    const job: Job = { info, child, exited };
    this.jobs.set(id, job);
    return info;
  }

  /** Stops every running job and waits for each to save (the server is closing). */
  async closeAll(): Promise<void> {
    const running = [...this.jobs.values()].filter((j) => j.child);
    for (const j of running) {
      j.info.state = 'stopping';
      j.child!.kill('SIGINT');
    }
    await Promise.all(running.map((j) => j.exited));
  }
}
