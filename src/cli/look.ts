/**
 * `slm next`, `slm score`, `slm inside`: the web playground's readings of a text in a terminal —
 * the most likely next tokens, every token's surprisal, and the model-specific view (attention,
 * the Markov table's row, n-gram counts and back-off). They compute exactly what the page's API
 * answers (the same functions in serve/handlers.ts), and `--json` prints the same JSON.
 */
import type { Command } from 'commander';
import { openRun } from '../io/run.js';
import type { InsideResponse } from '../serve/api.js';
import { computeInside, computeNext, computeScore } from '../serve/handlers.js';
import type { LoadedModel } from '../serve/registry.js';
import { ConfigError } from '../tensor/errors.js';
import { errorResponse } from '../serve/errors.js';
import { parseIntOpt, parseNumOpt, printJson } from './common.js';

interface Common {
  model: string;
  text: string;
  json?: boolean;
}

function load(dir: string): LoadedModel {
  const run = openRun(dir);
  return { id: dir, model: run.model, tokenizer: run.tokenizer, config: run.config, step: run.step };
}

/** The serve layer's request errors (a text too long) become the CLI's typed errors. */
function asCli<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    const r = errorResponse(err);
    if (r.internal) throw err;
    throw new ConfigError(r.body.error.message, r.body.error.hint);
  }
}

const pct = (p: number) => `${(p * 100).toFixed(p >= 0.1 ? 1 : 3)}%`;

export function registerLook(program: Command): void {
  program
    .command('next')
    .description("the most likely next tokens after a text, with their probabilities (the playground's bars)")
    .requiredOption('--model <dir>', 'a run folder')
    .requiredOption('--text <text>', 'the text so far')
    .option('--top-k <k>', 'how many tokens', parseIntOpt('--top-k', 1), 10)
    .option('--temperature <t>', 'divide the logits by this first', parseNumOpt('--temperature', (n) => n > 0, 'a positive number'), 1)
    .option('--json', 'print the JSON the playground API answers')
    .action((o: Common & { topK: number; temperature: number }) => {
      const r = asCli(() => computeNext(load(o.model), o.text, o.topK, o.temperature));
      if (o.json) return printJson(r);
      for (const t of r.tokens) process.stdout.write(`${pct(t.p).padStart(8)}  ${t.token}\n`);
      process.stdout.write(`(read ${r.contextTokens} of ${r.promptTokens} tokens; entropy ${r.entropy.toFixed(3)} nats)\n`);
    });

  program
    .command('score')
    .description('the surprisal −ln p of every token of a text, its total and mean loss')
    .requiredOption('--model <dir>', 'a run folder')
    .requiredOption('--text <text>', 'the text to score')
    .option('--json', 'print the JSON the playground API answers')
    .action((o: Common) => {
      const r = asCli(() => computeScore(load(o.model), o.text));
      if (o.json) return printJson(r);
      for (const t of r.tokens) process.stdout.write(`${t.loss === null ? '   given' : t.loss.toFixed(3).padStart(8)}  ${t.token}\n`);
      process.stdout.write(r.meanLoss === null ? 'some tokens have probability 0: the loss is infinite\n'
        : `total ${r.totalLoss!.toFixed(3)} nats over ${r.scored} tokens: mean ${r.meanLoss.toFixed(4)} nats, ${r.bitsPerToken!.toFixed(3)} bits per token\n`);
    });

  program
    .command('inside')
    .description("inside the model for a text: the transformer's attention, the Markov table's row, an n-gram's counts and back-off")
    .requiredOption('--model <dir>', 'a run folder')
    .requiredOption('--text <text>', 'the text')
    .option('--layer <n>', 'attention: the layer (default the last)', parseIntOpt('--layer', 0))
    .option('--head <n>', 'attention: the head (default: the mean of all heads)', parseIntOpt('--head', 0))
    .option('--token <id>', "row: the token whose row to show (default the text's last)", parseIntOpt('--token', 0))
    .option('--top-k <k>', 'how many entries', parseIntOpt('--top-k', 1), 10)
    .option('--json', 'print the JSON the playground API answers')
    .action((o: Common & { layer?: number; head?: number; token?: number; topK: number }) => {
      const r = asCli(() => computeInside(load(o.model), o.text, { layer: o.layer, head: o.head, token: o.token, topK: o.topK }));
      if (o.json) return printJson(r);
      process.stdout.write(insideText(r));
    });
}

function insideText(r: InsideResponse): string {
  switch (r.view) {
    case 'attention': {
      const lines = [`attention, layer ${r.layer} of ${r.layers}, ${r.head < 0 ? `mean of ${r.heads} heads` : `head ${r.head}`}: where each token looks (its top 3)`];
      r.weights.forEach((row, i) => {
        const top = row.map((w, j) => [w, j] as const).sort((a, b) => b[0] - a[0]).slice(0, 3);
        lines.push(`${r.tokens[i]!.padEnd(14)} → ${top.map(([w, j]) => `${r.tokens[j]} ${pct(w)}`).join(', ')}`);
      });
      return `${lines.join('\n')}\n`;
    }
    case 'row':
      return `the table's row for ${r.token.token} (id ${r.token.id}); ${r.aboveUniform} of ${r.vocabSize} tokens above uniform\n`
        + r.top.map((t) => `${pct(t.p).padStart(8)}  ${t.token}  (logit ${t.logit.toFixed(3)})`).join('\n') + '\n';
    case 'ngram':
      return `${r.order}-gram, ${r.smoothing}; the estimate comes from order ${r.usedOrder}\n` + r.orders.map((o) => `order ${o.order}, context [${o.context.join(' ')}]: `
        + (o.seen ? `seen ${o.total} times, ${o.types} continuations${o.backoff === null ? '' : `, back-off γ ${o.backoff.toFixed(3)}`}; `
          + o.top.map((t) => `${t.token} (${t.count}, ${pct(t.p)})`).join(', ') : 'never seen: backs off')).join('\n') + '\n';
    case 'none':
      return `${r.why}\n`;
    default:
      return r satisfies never;
  }
}
