/**
 * The data side of the commands that take `--data` or a corpus (run, train, eval, compare): the
 * --format/--column options, opening the data with a line per step for people (which reading of
 * a text file was chosen, whether a store was prepared or reused), and the check that a run and a
 * store were made with the same tokenizer, which names the way back when they were not.
 */
import { type Command, Option } from 'commander';
import { join } from 'node:path';
import type { CorpusFormat } from '../corpus/readers.js';
import { openData, tokenizerId, type OpenedData } from '../data/open.js';
import { describeManifest, readManifest, type PrepareReport } from '../data/prepare.js';
import { ConfigError } from '../tensor/errors.js';
import { tokenizerSignature } from '../train/compare.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { say } from './common.js';

export const corpusFormats = ['notebook', 'lines', 'csv', 'jsonl', 'dir'] as const;

export interface CorpusFlags {
  format?: CorpusFormat | 'dir';
  column?: string;
  json?: boolean;
}

/** --format and --column, for every command that reads a raw corpus. */
export function corpusOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--format <format>', 'how to read a raw corpus (default: from the name; a .txt is read as CSV-quoted lines when it is, else as plain lines)')
      .choices(corpusFormats))
    .option('--column <name>', 'the CSV column or JSONL field holding the text');
}

/**
 * Opens `path` as data (a store, or raw text prepared on the fly with `tokenizer`, default the
 * notebook's), printing what was read and prepared unless `quiet`; `verbose` prints the whole
 * prepare report (slm run), otherwise one line.
 */
export async function openDataForCli(path: string, o: CorpusFlags, tokenizer?: { tokenizer: Tokenizer; label: string },
  verbose = false): Promise<OpenedData> {
  const tty = process.stderr.isTTY && !o.json;
  const data = await openData(path, {
    format: o.format, column: o.column,
    tokenizer: tokenizer && { tokenizer: tokenizer.tokenizer, id: tokenizerId(tokenizer.tokenizer, tokenizer.label) },
    onProgress: (split, docs) => { if (tty) process.stderr.write(`\rpreparing ${split}: ${docs} documents`); },
  });
  if (tty && data.prepared) process.stderr.write('\r\x1b[K');
  if (data.prepared) {
    for (const r of data.prepared.readings) say(o.json, r);
    if (verbose) for (const l of describePrepare(data.prepared)) say(o.json, l);
    else say(o.json, `data: ${data.prepared.reused ? 'reused' : 'prepared'} ${data.dir}${tokenizer ? ` with the tokenizer of ${tokenizer.label}` : ''}`);
  }
  return data;
}

/**
 * Throws a ConfigError when a store was prepared with another tokenizer than the run's: the
 * message says what the store was prepared with, and the hint how to tokenize the same text with
 * the run's own tokenizer.json.
 */
export function checkDataFitsRun(data: OpenedData, run: { tokenizer: Tokenizer; dir: string }, dataPath: string): void {
  if (tokenizerSignature(data.tokenizer) === tokenizerSignature(run.tokenizer)) return;
  const m = data.prepared ? null : readManifest(data.dir);
  const input = m?.inputs.map((i) => i.path).join(' ') ?? 'YOUR_CORPUS';
  const from = m ? ` (${describeManifest(m)})` : '';
  const a = data.tokenizer.vocabSize;
  const b = run.tokenizer.vocabSize;
  const sizes = a === b ? `both have ${a} tokens but split or normalise text differently` : `the data's has ${a} tokens, the run's ${b}`;
  throw new ConfigError(`${dataPath} was prepared with another tokenizer than the run ${run.dir} was trained with (${sizes}); `
    + `the data was prepared with ${from ? from.slice(2, -1) : 'a tokenizer of its own'}`,
  `the run keeps its tokenizer: prepare the text again with it, slm prepare --input ${m?.inputs.length === 2 ? m.inputs[0]!.path.replace(/\/train\.txt(\.gz)?$/, '') : input} `
    + `--tokenizer ${join(run.dir, 'tokenizer.json')} --out NEW_DIR, or pass the raw text as --data and it is tokenized with the run's tokenizer`);
}

/** The prepare report in a few lines: store, vocabulary, time, and per split its documents and tokens. */
export function describePrepare(r: PrepareReport): string[] {
  const lines = [`${r.reused ? 'reused' : 'prepared'} ${r.out} (vocabulary ${r.vocabSize}) in ${r.seconds.toFixed(1)}s`];
  for (const [name, s] of [['train', r.train], ['test', r.test]] as const) {
    lines.push(`  ${name.padEnd(5)} ${s.documents.toLocaleString('en-US')} documents, ${s.tokens.toLocaleString('en-US')} tokens, `
      + `${s.meanTokens.toFixed(1)} per document (max ${s.maxTokens}), [UNK] ${(s.unknownRate * 100).toFixed(3)}%, truncated ${s.truncated}`);
  }
  return lines;
}
