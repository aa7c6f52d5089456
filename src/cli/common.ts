/**
 * Shared CLI pieces: option parsers that name the bad value, JSON output, and progress display —
 * a live bar on a terminal, plain log lines when output goes to a file or a pipe.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';

export function parseIntOpt(what: string, min = 0): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${what} must be a whole number ≥ ${min}, got '${v}'`);
    return n;
  };
}

export function parseNumOpt(what: string, check: (n: number) => boolean = Number.isFinite, want = 'a number'): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !check(n)) throw new InvalidArgumentError(`${what} must be ${want}, got '${v}'`);
    return n;
  };
}

/** Accepts 512m, 2g, 1.5G, or plain bytes. */
export function parseBytes(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`memory budget must look like 512m or 2g, got '${v}'`);
  const mult = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * mult);
}

/** The options of commands that score runs on a split (eval, compare): --data, --split, --batch-size, --memory-budget. */
export function scoringOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--data <dir>', 'a store from slm prepare, or a folder with train.txt and test.txt')
    .addOption(new Option('--split <name>', 'the split to score').choices(['test', 'train']).default('test'))
    .option('--batch-size <n>', 'documents per batch', parseIntOpt('--batch-size', 1), 32)
    .option('--memory-budget <bytes>', 'activation memory per micro-batch, e.g. 512m', parseBytes, 1 << 30);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Messages for people go to stderr when stdout carries JSON, so `--json` output stays parseable. */
export function say(json: boolean | undefined, line: string): void {
  (json ? process.stderr : process.stdout).write(`${line}\n`);
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A progress display: a bar on a TTY, otherwise a line every `every` updates. */
export class Progress {
  private bar: cliProgress.SingleBar | null = null;
  private count = 0;
  constructor(private readonly stream: NodeJS.WriteStream, private readonly every = 20) {}

  start(total: number, label: string): void {
    if (this.stream.isTTY) {
      this.bar = new cliProgress.SingleBar({
        format: `${label} [{bar}] {value}/{total} {text}`, stream: this.stream, hideCursor: true, barsize: 24,
        etaBuffer: 50, fps: 5,
      }, cliProgress.Presets.shades_classic);
      this.bar.start(total, 0, { text: '' });
    }
  }

  /** Updates the bar; `line` is printed as a log line when there is no bar (every `every` calls, or when forced). */
  update(value: number, text: string, line: string, force = false): void {
    this.count++;
    if (this.bar) this.bar.update(value, { text });
    else if (force || this.count % this.every === 0) this.stream.write(`${line}\n`);
  }

  /** Prints a line above the bar (or as a log line). */
  log(line: string): void {
    if (this.bar) {
      this.bar.stop();
      this.stream.write(`${line}\n`);
      const b = this.bar as unknown as { value: number; total: number };
      this.bar.start(b.total, b.value, { text: '' });
    } else this.stream.write(`${line}\n`);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
