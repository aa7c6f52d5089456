/** `slm prepare`: tokenizes a corpus once into a token store. */
import type { Command } from 'commander';
import { prepare } from '../data/prepare.js';
import { parseIntOpt, parseNumOpt, printJson, say } from './common.js';
import { corpusOptions, describePrepare, type CorpusFlags } from './data.js';
import { resolveTokenizer, trainerSpec } from './tokenizerSpec.js';

interface Opts extends CorpusFlags {
  input: string;
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

export function registerPrepare(program: Command): void {
  corpusOptions(program
    .command('prepare')
    .description('tokenize a corpus once into a binary token store (train.bin, test.bin, tokenizer.json, manifest.json)')
    .requiredOption('--input <path>', 'a corpus file (.gz too), or a folder holding train.txt and test.txt (or .txt.gz)'))
    .option('--test-fraction <x>', 'share held out for test when splitting one file', parseNumOpt('--test-fraction', (n) => n >= 0 && n < 1, 'in [0, 1)'), 0.1)
    .option('--seed <n>', 'seed of the train/test split', parseIntOpt('--seed'), 42)
    .option('--tokenizer <spec>', "vocab.txt, tokenizer.json, 'notebook' (BERT cased vocabulary, lowercasing), or train one: wordpiece:N, bpe:N, char", 'notebook')
    .option('--lowercase', 'lowercase the text (BERT vocab.txt)')
    .option('--max-tokens <n>', 'truncate documents to this many tokens', parseIntOpt('--max-tokens', 2), 512)
    .requiredOption('--out <dir>', 'the store folder to write')
    .option('--workers <n>', 'tokenizing threads (default: all cores)', parseIntOpt('--workers', 1))
    .option('--force', 'tokenize again even if the store matches its inputs, and replace a store prepared with other options')
    .option('--json', 'print the report as one JSON object')
    .action(async (o: Opts) => {
      const trainer = trainerSpec(o.tokenizer, o.lowercase);
      const { tokenizer, id } = trainer
        ? { tokenizer: async (texts: () => AsyncIterable<string>) => {
          if (!o.json) say(false, `training tokenizer ${trainer.id} on the training split ...`);
          return trainer.make(texts);
        }, id: trainer.id }
        : await resolveTokenizer(o.tokenizer, o.lowercase);
      let last = 0;
      const r = await prepare({
        corpus: { input: o.input, format: o.format, column: o.column, testFraction: o.testFraction, seed: o.seed },
        tokenizer, tokenizerId: id, maxTokens: o.maxTokens, out: o.out, workers: o.workers, force: o.force, replace: o.force,
        onProgress: (split, docs, toks) => {
          if (o.json || !process.stderr.isTTY || Date.now() - last < 250) return;
          last = Date.now();
          process.stderr.write(`\r${split}: ${docs.toLocaleString('en-US')} documents, ${toks.toLocaleString('en-US')} tokens`);
        },
      });
      if (!o.json && process.stderr.isTTY) process.stderr.write('\r\x1b[K');
      if (o.json) printJson(r);
      else {
        for (const l of r.readings) say(false, l);
        if (r.replaced) say(false, `replaced the store that was prepared with ${r.replaced}`);
        for (const l of describePrepare(r)) say(false, l);
      }
      const note = smallVocabNote(o.tokenizer, r.vocabSize);
      if (note) say(o.json, note);
    });
}

/** A note when a trained tokenizer came out smaller than asked (a corpus too small to learn more). */
export function smallVocabNote(spec: string, vocabSize: number): string | null {
  const m = /^(wordpiece|bpe|char):(\d+)$/i.exec(spec);
  if (!m || vocabSize >= Number(m[2])) return null;
  const what = m[1]!.toLowerCase() === 'char' ? 'distinct characters' : 'word pieces frequent enough to merge';
  return `note: the vocabulary has ${vocabSize.toLocaleString('en-US')} tokens, fewer than the ${Number(m[2]).toLocaleString('en-US')} asked for: `
    + `the training split has no more ${what}; a larger corpus gives a larger vocabulary`;
}
