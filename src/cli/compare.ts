/**
 * `slm compare RUN_DIR… --data DIR`: the model ladder. Scores every run on the same split and
 * prints one table (model, parameters, test loss, perplexity, bits per token and per byte, training
 * time, peak memory), with one sample per run when --prompt is given. --json prints {split, rows: [...]}.
 * Raw text as --data is tokenized with the first run's tokenizer.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { isStore } from '../data/open.js';
import { readJson, RUN_FILES } from '../io/checkpoint.js';
import { checkRunPath } from '../io/run.js';
import { ConfigError } from '../tensor/errors.js';
import { tokenizerFromJson } from '../tokenizer/hfTokenizer.js';
import { compareRuns, type CompareRow } from '../train/compare.js';
import { formatBytes } from '../train/memory.js';
import { formatDuration, parseIntOpt, printJson, say, scoringOptions } from './common.js';
import { checkDataFitsRun, corpusOptions, openDataForCli, type CorpusFlags } from './data.js';

interface Opts extends CorpusFlags {
  data: string;
  split: 'test' | 'train';
  batchSize: number;
  memoryBudget: number;
  prompt?: string;
  maxNewTokens: number;
  seed: number;
  json?: boolean;
}

export function registerCompare(program: Command): void {
  corpusOptions(scoringOptions(program
    .command('compare')
    .description('score several trained runs on the same split and print one table (the model ladder)')
    .argument('<runs...>', 'run folders written by slm train (neural or --model ngram)')))
    .option('--prompt <text>', 'also draw one sample from each run for this prompt')
    .option('--max-new-tokens <n>', 'tokens per sample', parseIntOpt('--max-new-tokens', 0), 30)
    .option('--seed <n>', 'seed of the samples', parseIntOpt('--seed'), 42)
    .option('--json', 'print {"split", "rows": [...]} as JSON')
    .action(async (runs: string[], o: Opts) => {
      // Tokenizers are read from the small files first: raw text is tokenized with the first run's,
      // and a run whose tokenizer differs from the data's fails before any model is loaded.
      const tokenizers = runs.map((d) => {
        checkRunPath(d);
        if (!existsSync(join(d, RUN_FILES.config))) throw new ConfigError(`${d} is not a run folder: no ${RUN_FILES.config}`, 'pass folders written by slm train --out');
        const path = join(d, RUN_FILES.tokenizer);
        return { dir: d, tokenizer: tokenizerFromJson(readJson<object>(path, 'tokenizer'), { source: path }) };
      });
      const data = await openDataForCli(o.data, o, isStore(o.data) ? undefined : { tokenizer: tokenizers[0]!.tokenizer, label: runs[0]! });
      for (const t of tokenizers) checkDataFitsRun(data, t, o.data);
      const rows = await compareRuns(runs, data, {
        split: o.split, batchSize: o.batchSize, memoryBudget: o.memoryBudget, prompt: o.prompt, maxNewTokens: o.maxNewTokens, seed: o.seed,
        onRun: (dir, i, n) => process.stderr.write(`scoring ${dir} (${i + 1}/${n}) ...\n`),
      });
      if (o.json) return printJson({ split: o.split, rows });
      say(false, formatTable(rows, o.split));
      if (rows.some((r) => r.zeroProbTokens > 0)) {
        say(false, '* an MLE n-gram gives some tokens probability 0; its loss leaves them out (with them it is infinite), so it is not comparable');
      }
      const windowed = rows.filter((r) => r.windowed > 0);
      if (windowed.length > 0) {
        say(false, `documents longer than a model's context were scored in sliding windows (every target once, each with at least half the context; slm eval --stride sets the step): ${windowed.map((r) => `${r.run} ${r.windowed.toLocaleString('en-US')}`).join(', ')}`);
      }
      if (rows.some((r) => r.sample !== undefined)) {
        say(false, '');
        for (const r of rows) say(false, `${r.run}: ${r.sample ?? ''}`);
      }
    });
}

export function formatTable(rows: CompareRow[], split: string): string {
  const head = ['run', 'model', 'parameters', 'steps', 'train time', 'peak memory', `${split} loss`, 'perplexity', 'bits/token', 'bits/byte'];
  const body = rows.map((r) => [
    r.run, r.model,
    `${r.parameters.toLocaleString('en-US')}${r.parameterKind === 'ngrams' ? ' n-grams' : ''}`,
    r.steps === null ? '?' : String(r.steps),
    r.trainSeconds === null ? '?' : formatDuration(r.trainSeconds),
    r.peakRssBytes === null ? '?' : formatBytes(r.peakRssBytes),
    `${r.loss.toFixed(4)}${r.zeroProbTokens > 0 ? '*' : ''}`, r.perplexity.toFixed(1), r.bitsPerToken.toFixed(3),
    r.bitsPerByte === null ? '–' : r.bitsPerByte.toFixed(4),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const numeric = new Set([2, 3, 4, 5, 6, 7, 8, 9]);
  const line = (cells: string[]) => cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
