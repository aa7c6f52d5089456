/**
 * `slm serve`: the web playground. Parses the options, starts the server (src/serve/) and prints
 * the URL; Ctrl-C stops it (training runs it started save a checkpoint first). --open starts the
 * system's browser on the URL when there is one.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { startServer } from '../serve/server.js';
import { ConfigError } from '../tensor/errors.js';
import { parseIntOpt, printJson } from './common.js';

interface Opts {
  runs?: string;
  data?: string;
  host: string;
  port: number;
  open?: boolean;
  json?: boolean;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('a local web playground: next-token bars, streaming generation, runs side by side, attention maps, live loss curves')
    .argument('[runDirs...]', 'run folders to serve (slm train --out or slm run folders)')
    .option('--runs <dir>', 'serve every run folder inside DIR (new ones as they appear); runs started from the page go here')
    .option('--data <dir>', 'the data runs started from the page train on (a store or a folder with train.txt and test.txt)')
    .option('--host <host>', 'address to listen on (127.0.0.1: this machine only)', '127.0.0.1')
    .option('--port <n>', 'port (0: any free one)', parseIntOpt('--port', 0), 8080)
    .option('--open', 'open the page in the system browser')
    .option('--json', 'print {"url"} once listening')
    .action(async (runDirs: string[], o: Opts) => {
      if (o.port > 65535) throw new ConfigError(`--port must be at most 65535, got ${o.port}`);
      if (runDirs.length === 0 && !o.runs) {
        throw new ConfigError('slm serve needs runs to show', 'give run folders (slm serve runs/quickstart) or a folder of runs (--runs runs/); slm run makes one');
      }
      const s = await startServer({ runDirs, runsRoot: o.runs ?? null, dataDir: o.data ?? null, host: o.host, port: o.port });
      const n = s.registry.entries().length;
      if (o.json) printJson({ url: s.url, runs: n });
      else process.stdout.write(`slm serve: ${n} run${n === 1 ? '' : 's'} at ${s.url} (Ctrl-C to stop)\n`);
      if (o.open) {
        const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
        spawn(opener, [s.url], { stdio: 'ignore', detached: true }).on('error', () => process.stderr.write(`could not start a browser (${opener}): open ${s.url} yourself\n`)).unref();
      }
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          process.stderr.write('slm serve: stopping\n');
          void s.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
