/** `slm prepare`: tokenizes a corpus once into a token store. */
import type { Command } from 'commander';
import { prepare, type PrepareReport } from '../data/prepare.js';
import type { CorpusFormat } from '../corpus/readers.js';
import { ConfigError } from '../tensor/errors.js';
import { parseIntOpt, parseNumOpt, printJson, say } from './common.js';
import { resolveTokenizer, trainerSpec } from './tokenizerSpec.js';

interface Opts {
  input: string;
  format?: string;
  column?: string;
  testFraction: number;
  seed: number;
  tokenizer: string;
  lowercase?: boolean;
  maxTokens: number;
  out: string;
  workers?: number;
  force?: boolean;
  json?: boolean;
}

const formats = ['notebook', 'lines', 'csv', 'jsonl', 'dir'];

export function describePrepare(r: PrepareReport): string[] {
  const lines = [`${r.reused ? 'reused' : 'prepared'} ${r.out} (vocabulary ${r.vocabSize}) in ${r.seconds.toFixed(1)}s`];
  for (const [name, s] of [['train', r.train], ['test', r.test]] as const) {
    lines.push(`  ${name.padEnd(5)} ${s.documents.toLocaleString('en-US')} documents, ${s.tokens.toLocaleString('en-US')} tokens, `
      + `${s.meanTokens.toFixed(1)} per document (max ${s.maxTokens}), [UNK] ${(s.unknownRate * 100).toFixed(3)}%, truncated ${s.truncated}`);
  }
  return lines;
}

export function registerPrepare(program: Command): void {
  program
    .command('prepare')
    .description('tokenize a corpus once into a binary token store (train.bin, test.bin, tokenizer.json, manifest.json)')
    .requiredOption('--input <path>', 'a corpus file, or a folder holding train.txt and test.txt')
    .option('--format <format>', `${formats.join('|')} (default: from the path)`)
    .option('--column <name>', 'the CSV column or JSONL field holding the text')
    .option('--test-fraction <x>', 'share held out for test when splitting one file', parseNumOpt('--test-fraction', (n) => n >= 0 && n < 1, 'in [0, 1)'), 0.1)
    .option('--seed <n>', 'seed of the train/test split', parseIntOpt('--seed'), 42)
    .option('--tokenizer <spec>', "vocab.txt, tokenizer.json, 'notebook' (BERT cased vocabulary, lowercasing), or train one: wordpiece:N, bpe:N, char", 'notebook')
    .option('--lowercase', 'lowercase the text (BERT vocab.txt)')
    .option('--max-tokens <n>', 'truncate documents to this many tokens', parseIntOpt('--max-tokens', 2), 512)
    .requiredOption('--out <dir>', 'the store folder to write')
    .option('--workers <n>', 'tokenizing threads (default: all cores)', parseIntOpt('--workers', 1))
    .option('--force', 'tokenize again even if the store matches its inputs')
    .option('--json', 'print the report as one JSON object')
    .action(async (o: Opts) => {
      if (o.format !== undefined && !formats.includes(o.format)) throw new ConfigError(`unknown format '${o.format}'`, `use one of ${formats.join(', ')}`);
      const trainer = trainerSpec(o.tokenizer, o.lowercase);
      const { tokenizer, id } = trainer
        ? { tokenizer: async (texts: () => AsyncIterable<string>) => {
          if (!o.json) say(false, `training tokenizer ${trainer.id} on the training split ...`);
          return trainer.make(texts);
        }, id: trainer.id }
        : await resolveTokenizer(o.tokenizer, o.lowercase);
      let last = 0;
      const r = await prepare({
        corpus: { input: o.input, format: o.format as CorpusFormat | 'dir' | undefined, column: o.column, testFraction: o.testFraction, seed: o.seed },
        tokenizer, tokenizerId: id, maxTokens: o.maxTokens, out: o.out, workers: o.workers, force: o.force,
        onProgress: (split, docs, toks) => {
          if (o.json || !process.stderr.isTTY || Date.now() - last < 250) return;
          last = Date.now();
          process.stderr.write(`\r${split}: ${docs.toLocaleString('en-US')} documents, ${toks.toLocaleString('en-US')} tokens`);
        },
      });
      if (!o.json && process.stderr.isTTY) process.stderr.write('\r\x1b[K');
      if (o.json) printJson(r);
      else for (const l of describePrepare(r)) say(false, l);
    });
}
