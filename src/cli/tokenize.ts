/** `slm tokenize`: shows the ids and tokens a model sees for a text or each line of a file. */
import type { Command } from 'commander';
import { readLines } from '../corpus/lines.js';
import { ConfigError } from '../tensor/errors.js';
import { parseIntOpt, printJson } from './common.js';
import { resolveTokenizer } from './tokenizerSpec.js';

interface Opts {
  tokenizer: string;
  lowercase?: boolean;
  text?: string;
  input?: string;
  maxTokens: number;
  json?: boolean;
}

export function registerTokenize(program: Command): void {
  program
    .command('tokenize')
    .description('print the token ids and tokens of a text (or of each line of a file)')
    .requiredOption('--tokenizer <path>', "vocab.txt, tokenizer.json, or 'notebook'")
    .option('--lowercase', 'lowercase (BERT vocab.txt only; notebook lowercases by default)')
    .option('--text <text>', 'the text to tokenize')
    .option('--input <file>', 'tokenize each line of this file')
    .option('--max-tokens <n>', 'truncate to this many tokens, special tokens included', parseIntOpt('--max-tokens', 2), 512)
    .option('--json', 'one JSON object per text: {text, ids, tokens}')
    .action(async (o: Opts) => {
      if ((o.text === undefined) === (o.input === undefined)) throw new ConfigError('give exactly one of --text or --input');
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
      if (o.text !== undefined) show(o.text);
      else for await (const l of readLines(o.input!)) show(l.text);
    });
}
