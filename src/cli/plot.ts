/**
 * `slm plot RUN_DIR… [--out FILE.svg|FILE.png] [--x steps|tokens|seconds] [--log-x]`: the loss
 * curves of one or more runs on one chart. The chart itself is src/plot/ (SVG text, browser-safe);
 * this file reads the run folders and writes the file atomically, converting to PNG with resvg
 * (a renderer whose binary ships inside its npm package). `slm run` and `slm train` call
 * writeRunPlot to leave loss.svg in the run folder when they finish.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { DataError } from '../corpus/errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { RUN_FILES } from '../io/checkpoint.js';
import { lossChartSvg, MetricsError, parseMetrics, type LossChartOptions, type RunCurves, type XAxis } from '../plot/index.js';
import { ConfigError, SlmError } from '../tensor/errors.js';
import { printJson, say } from './common.js';

/** The plot `slm run` and `slm train` leave in a run folder. */
export const PLOT_FILE = 'loss.svg';

/** Reads a run folder's metrics.jsonl into curves (a counted run becomes a reference level). */
export function readRunCurves(dir: string): RunCurves {
  if (!existsSync(dir)) throw new DataError(`run folder not found: ${dir}`, 'pass the --out folder of slm train or slm run');
  if (!statSync(dir).isDirectory()) {
    const hint = basename(dir) === RUN_FILES.metrics ? `pass the folder: slm plot ${dirname(dir)}` : 'pass the --out folder of slm train or slm run';
    throw new DataError(`${dir} is a file, not a run folder`, hint);
  }
  const metrics = join(dir, RUN_FILES.metrics);
  if (!existsSync(metrics)) {
    const store = existsSync(join(dir, 'manifest.json')) ? ' (it is a token store from slm prepare)' : '';
    throw new DataError(`${dir} is not a run folder: it has no ${RUN_FILES.metrics}${store}`, 'pass the --out folder of slm train or slm run');
  }
  let counted = false;
  try {
    const config = JSON.parse(readFileSync(join(dir, RUN_FILES.config), 'utf8')) as { model?: { type?: string } };
    counted = config.model?.type === 'ngram';
  } catch {
    // Without a readable config.json the curves are still plotted as a trained run's.
  }
  const name = basename(resolve(dir));
  try {
    return parseMetrics(readFileSync(metrics, 'utf8'), name, counted);
  } catch (err) {
    if (err instanceof MetricsError) throw new DataError(`cannot plot ${metrics}: ${err.message}`, err.hint);
    throw err;
  }
}

/** Renders SVG text to PNG at twice its size (crisp on high-density screens). */
export function svgToPng(svg: string): Uint8Array {
  let Resvg: new (svg: string, opts: object) => { render(): { asPng(): Uint8Array } };
  try {
    ({ Resvg } = createRequire(import.meta.url)('@resvg/resvg-js') as { Resvg: typeof Resvg });
  } catch (err) {
    throw new ConfigError(`PNG output needs @resvg/resvg-js, which did not load: ${(err as Error).message}`,
      'reinstall with npm ci, or write an .svg instead');
  }
  const png = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: 2 },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    background: '#ffffff',
  }).render().asPng();
  return png;
}

/** Checks the output path (an existing folder, .svg or .png) and writes the chart there atomically. */
export function writeChart(svg: string, out: string): void {
  const ext = extname(out).toLowerCase();
  if (ext !== '.svg' && ext !== '.png') throw new ConfigError(`--out ${out}: the chart is written as .svg or .png`, 'name the file loss.svg or loss.png');
  const folder = dirname(resolve(out));
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new ConfigError(`cannot write ${out}: the folder ${dirname(out)} does not exist`, 'create it first, or choose another --out');
  }
  if (existsSync(out) && statSync(out).isDirectory()) throw new ConfigError(`--out ${out} is a folder`, 'give a file name ending in .svg or .png');
  writeFileAtomic(out, ext === '.png' ? svgToPng(svg) : svg);
}

/** Writes RUN_DIR/loss.svg from its metrics; returns the path. */
export function writeRunPlot(dir: string, o: LossChartOptions = {}): string {
  const out = join(dir, PLOT_FILE);
  writeChart(lossChartSvg([readRunCurves(dir)], o), out);
  return out;
}

/**
 * writeRunPlot for the end of a run: a chart that cannot be drawn is a note, never a failed run
 * (the weights are saved by then). Returns the path, or null with the reason.
 */
export function tryWriteRunPlot(dir: string): { path: string | null; note?: string } {
  try {
    return { path: writeRunPlot(dir) };
  } catch (err) {
    if (!(err instanceof SlmError)) throw err;
    return { path: null, note: `no loss curve: ${err.message}` };
  }
}

interface Opts {
  out?: string;
  x: XAxis;
  logX?: boolean;
  title?: string;
  json?: boolean;
}

export function registerPlot(program: Command): void {
  program
    .command('plot')
    .description('draw the train and test loss of one or more runs on one chart (SVG or PNG)')
    .argument('<runs...>', 'run folders written by slm train or slm run (counted n-gram runs appear as reference lines)')
    .option('--out <file>', 'the chart, .svg or .png (default: RUN_DIR/loss.svg for one run, loss.svg for several)')
    .addOption(new Option('--x <axis>', 'what the x axis counts').choices(['steps', 'tokens', 'seconds']).default('steps'))
    .option('--log-x', 'logarithmic x axis')
    .option('--title <text>', 'the chart\'s title')
    .option('--json', 'print {"out", "runs"} as JSON')
    .action((runs: string[], o: Opts) => {
      const curves = runs.map(readRunCurves);
      const out = o.out ?? (runs.length === 1 ? join(runs[0]!, PLOT_FILE) : PLOT_FILE);
      writeChart(lossChartSvg(curves, { x: o.x, logX: o.logX, title: o.title }), out);
      if (o.json) printJson({ out, runs: curves.map((c) => c.name) });
      else say(false, `wrote ${out}`);
    });
}
