/**
 * `slm generate`: tokenize each prompt, cut the trailing [SEP] (as the notebook does), draw tokens
 * one at a time and stream the decoded text as it grows. The same --seed gives the same text.
 * A prompt longer than the model's context is cut from the left, with one line on stderr. A sample
 * ends at the end-of-document token unless --past-end asks for the notebook's behaviour.
 */
import { type Command, Option } from 'commander';
import { openRun } from '../io/run.js';
import { generateIds, type PromptCut } from '../sample/generate.js';
import { completeText, endStopIds, promptIds } from '../sample/prompt.js';
import { ConfigError } from '../tensor/errors.js';
import { Rng } from '../tensor/rng.js';
import { parseIntOpt, parseNumOpt, printJson } from './common.js';

interface Opts {
  model: string;
  prompt: string[];
  numSamples: number;
  maxNewTokens: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  greedy?: boolean;
  stopAtSep?: boolean;
  pastEnd?: boolean;
  seed: number;
  json?: boolean;
}

export function registerGenerate(program: Command): void {
  const collect = (v: string, prev: string[]) => [...prev, v];
  program
    .command('generate')
    .description('sample text from a trained run, streaming tokens as they are drawn')
    .requiredOption('--model <dir>', 'a run folder written by slm train')
    .option('--prompt <text>', 'prompt text (repeat for several)', collect, [])
    .option('--num-samples <n>', 'samples per prompt', parseIntOpt('--num-samples', 1), 1)
    .option('--max-new-tokens <n>', 'tokens to draw', parseIntOpt('--max-new-tokens', 0), 30)
    .option('--temperature <t>', 'softmax temperature (1: the model\'s distribution)', parseNumOpt('--temperature', (n) => n > 0, 'a positive number'))
    .option('--top-k <k>', 'draw only from the k most likely tokens', parseIntOpt('--top-k', 1))
    .option('--top-p <p>', 'draw only from the most likely tokens up to cumulative probability p', parseNumOpt('--top-p', (n) => n > 0 && n <= 1, 'in (0, 1]'))
    .option('--greedy', 'always take the most likely token')
    .option('--past-end', 'keep drawing after the end-of-document token ([SEP], </s>), as the notebook does (default: a sample ends there)')
    .addOption(new Option('--stop-at-sep', 'stop at the end-of-document token (the default now)').hideHelp())
    .option('--seed <n>', 'seed of the draws', parseIntOpt('--seed'), 42)
    .option('--json', 'print {"samples":[{"prompt","text","ids"}]}')
    .action(async (o: Opts) => {
      if (o.prompt.length === 0) throw new ConfigError('give at least one --prompt TEXT');
      const run = openRun(o.model); // a neural or an n-gram run: both sample through generateIds
      const tok = run.tokenizer;
      const rng = new Rng(o.seed);
      const samples: { prompt: string; text: string; ids: number[] }[] = [];
      for (const prompt of o.prompt) {
        const start = promptIds(tok, prompt);
        // Once per prompt; the Markov chains read one token by design, so a line for them would be noise.
        let told = run.model.contextSize === 1;
        const onPromptCut = (c: PromptCut) => {
          if (!told) process.stderr.write(`prompt is ${c.promptTokens} tokens; the model's context is ${c.contextSize}: keeping the last ${c.kept}\n`);
          told = true;
        };
        for (let s = 0; s < o.numSamples; s++) {
          const ids = [...start];
          let shown = '';
          const stream = !o.json && process.stdout.isTTY;
          for (const id of generateIds(run.model, start, {
            maxNewTokens: o.maxNewTokens, temperature: o.temperature, topK: o.topK, topP: o.topP, greedy: o.greedy, rng, onPromptCut,
            stopIds: endStopIds(tok, !o.pastEnd),
          })) {
            ids.push(id);
            if (stream) {
              // Half a UTF-8 character (byte-level BPE) decodes to U+FFFD: wait for the rest of it.
              const text = completeText(tok.decode(ids));
              // Print only what was added; WordPiece may rewrite the tail ("##" joins), so reprint the line then.
              if (text.startsWith(shown)) process.stdout.write(text.slice(shown.length));
              else process.stdout.write(`\r\x1b[K${text}`);
              shown = text;
            }
          }
          const text = tok.decode(ids);
          samples.push({ prompt, text, ids });
          if (stream) process.stdout.write('\n');
          else if (!o.json) process.stdout.write(`${text}\n`);
        }
      }
      if (o.json) printJson({ samples });
    });
}
