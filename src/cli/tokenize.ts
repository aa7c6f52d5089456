/**
 * `slm tokenize`: shows the ids and tokens a model sees for a text, or for each document of a
 * corpus file read as `slm prepare` reads it (--format, --column; .gz inflated as it streams).
 */
import type { Command } from 'commander';
import { checkInputFile } from '../corpus/lines.js';
import { guessFormat, readDocuments, type CorpusFormat } from '../corpus/readers.js';
import { describeReading, sniffReading } from '../corpus/sniff.js';
import { ConfigError } from '../tensor/errors.js';
import { parseIntOpt, printJson } from './common.js';
import { corpusOptions, type CorpusFlags } from './data.js';
import { resolveTokenizer } from './tokenizerSpec.js';

interface Opts extends CorpusFlags {
  tokenizer: string;
  lowercase?: boolean;
  text?: string;
  input?: string;
  maxTokens: number;
  json?: boolean;
}

export function registerTokenize(program: Command): void {
  corpusOptions(program
    .command('tokenize')
    .description('print the token ids and tokens of a text (or of each document of a corpus file)')
    .requiredOption('--tokenizer <path>', "vocab.txt, tokenizer.json, or 'notebook'")
    .option('--lowercase', 'lowercase (BERT vocab.txt only; notebook lowercases by default)')
    .option('--text <text>', 'the text to tokenize')
    .option('--input <file>', 'tokenize each document of this corpus file (.gz too)'))
    .option('--max-tokens <n>', 'truncate to this many tokens, special tokens included', parseIntOpt('--max-tokens', 2), 512)
    .option('--json', 'one JSON object per text: {text, ids, tokens}')
    .action(async (o: Opts) => {
      if ((o.text === undefined) === (o.input === undefined)) throw new ConfigError('give exactly one of --text or --input');
      if (o.text !== undefined && (o.format !== undefined || o.column !== undefined)) {
        throw new ConfigError('--format and --column describe an --input file', 'drop them with --text');
      }
      if (o.format === 'dir') throw new ConfigError('slm tokenize reads one file; --format dir is for slm prepare', 'give --input FOLDER/train.txt');
      const { tokenizer } = await resolveTokenizer(o.tokenizer, o.lowercase);
      const show = (text: string) => {
        const e = tokenizer.encode(text, { maxLength: o.maxTokens });
        if (o.json) printJson({ text, ids: e.ids, tokens: e.tokens });
        else {
          process.stdout.write(`${e.ids.join(' ')}\n`);
          process.stdout.write(`${e.tokens.join(' ')}\n`);
          process.stdout.write(`(${e.ids.length} tokens)\n`);
        }
      };
      if (o.text !== undefined) return show(o.text);
      const input = o.input!;
      checkInputFile(input);
      let format: CorpusFormat = o.format ?? guessFormat(input);
      if (o.format === undefined && format === 'notebook') {
        const r = await sniffReading(input);
        format = r.format;
        process.stderr.write(`${describeReading(input, r)}\n`);
      }
      for await (const d of readDocuments(input, { format, column: o.column })) show(d.text);
    });
}
