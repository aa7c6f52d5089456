/**
 * `slm eval`: held-out loss of a trained run on a data split. An n-gram run is scored by
 * evaluateNgram on the same tokens and mask, and also reports its zero-probability tokens (mle).
 * Raw text as --data is tokenized with the run's own tokenizer; a store must have been prepared
 * with it. Besides nats per token: bits per byte and per character of the text, which compare
 * across tokenizers.
 */
import type { Command } from 'commander';
import { isStore } from '../data/open.js';
import { checkVocab, isNgramRun, openRun, type LoadedNgramRun } from '../io/run.js';
import type { TokenSplit } from '../data/split.js';
import { evaluateNgram } from '../ngram/evaluate.js';
import { evaluate, paddedLength } from '../train/evaluate.js';
import { chooseMicroRows } from '../train/memory.js';
import { parseIntOpt, printJson, Progress, say, scoringOptions } from './common.js';
import { checkDataFitsRun, corpusOptions, openDataForCli, type CorpusFlags } from './data.js';

interface Opts extends CorpusFlags {
  model: string;
  data: string;
  split: 'test' | 'train';
  batchSize: number;
  memoryBudget: number;
  stride?: number;
  json?: boolean;
}

export function registerEval(program: Command): void {
  corpusOptions(scoringOptions(program
    .command('eval')
    .description('token-weighted masked cross-entropy of a trained run on a split: loss, perplexity, bits per token, per byte and per character')
    .requiredOption('--model <dir>', 'a run folder written by slm train')))
    .option('--stride <n>', 'a transformer scores documents longer than its context in windows that move on by n tokens (default: half the context)', parseIntOpt('--stride', 1))
    .option('--json', 'print {loss, perplexity, bitsPerToken, bitsPerByte, bitsPerChar, tokens, ...} as JSON')
    .action(async (o: Opts) => {
      const run = openRun(o.model);
      const data = await openDataForCli(o.data, o, isStore(o.data) ? undefined : { tokenizer: run.tokenizer, label: o.model });
      checkDataFitsRun(data, run, o.data);
      checkVocab(data.tokenizer, run.modelConfig, o.model);
      const split = data[o.split];
      if (isNgramRun(run)) return evalNgram(run, split, o);
      const T = paddedLength(run.model, split);
      const microRows = chooseMicroRows(run.modelConfig, o.batchSize, Math.max(1, T - 1), o.memoryBudget);
      const p = new Progress(process.stderr, 50);
      let started = false;
      const r = await evaluate(run.model, split, {
        batchSize: o.batchSize, microRows, stride: o.stride,
        onProgress: (done, total) => {
          if (!started) { p.start(total, 'eval'); started = true; }
          p.update(done, '', `eval batch ${done}/${total}`);
        },
      });
      p.stop();
      const out = {
        loss: r.loss, perplexity: r.perplexity, bitsPerToken: r.bitsPerToken, bitsPerByte: r.bitsPerByte, bitsPerChar: r.bitsPerChar,
        tokens: r.tokens, batchMeanLoss: r.batchMeanLoss, split: o.split, model: o.model, windowed: r.windowed,
      };
      if (o.json) printJson(out);
      else {
        say(false, `${o.split} loss ${r.loss.toFixed(4)} nats/token, perplexity ${r.perplexity.toFixed(2)}, ${r.bitsPerToken.toFixed(3)} bits/token over ${r.tokens.toLocaleString('en-US')} tokens`);
        say(false, describeBits(r.bitsPerByte, r.bitsPerChar, 'the model\'s context cuts some documents short'));
        if (r.windowed > 0) {
          const ctx = run.model.maxSequence!;
          say(false, `${r.windowed.toLocaleString('en-US')} documents are longer than the model's ${ctx} positions: scored in sliding windows `
            + `moving ${o.stride ?? Math.max(1, Math.floor(ctx / 2))} tokens at a time, every token once (--stride)`);
        }
        say(false, `(mean of ${r.batches} per-batch losses, the notebook's figure: ${r.batchMeanLoss.toFixed(4)})`);
      }
    });
}

/** "1.234 bits/byte, 1.240 bits/character (comparable across tokenizers)", or why there is none. */
export function describeBits(bpb: number | null, bpc: number | null, otherReason: string): string {
  if (bpb === null || bpc === null) {
    return `bits per byte: not available (${otherReason}, or the store was prepared by an older slmkit: prepare it again)`;
  }
  return `${bpb.toFixed(4)} bits/byte, ${bpc.toFixed(4)} bits/character of the text (comparable across tokenizers)`;
}

function evalNgram(run: LoadedNgramRun, split: TokenSplit, o: Opts): void {
  const r = evaluateNgram(run.model, split, { batchSize: o.batchSize });
  const out = {
    loss: r.loss, perplexity: r.perplexity, bitsPerToken: r.bitsPerToken, bitsPerByte: r.bitsPerByte, bitsPerChar: r.bitsPerChar,
    tokens: r.tokens, batchMeanLoss: r.batchMeanLoss, split: o.split, model: o.model,
    zeroProbTokens: r.zeroProbTokens, zeroProbShare: r.zeroProbShare,
  };
  if (o.json) return printJson(out);
  say(false, `${o.split} loss ${r.loss.toFixed(4)} nats/token, perplexity ${r.perplexity.toFixed(2)}, ${r.bitsPerToken.toFixed(3)} bits/token over ${(r.tokens - r.zeroProbTokens).toLocaleString('en-US')} tokens`);
  say(false, describeBits(r.bitsPerByte, r.bitsPerChar, 'some tokens have probability zero'));
  if (r.zeroProbTokens > 0) {
    say(false, `${r.zeroProbTokens.toLocaleString('en-US')} of ${r.tokens.toLocaleString('en-US')} tokens (${(100 * r.zeroProbShare).toFixed(2)}%) have probability zero `
      + 'under maximum likelihood and are left out of the loss (with them it is infinite); a smoothed model (--smoothing kn) has none');
  }
  say(false, `(mean of ${r.batches} per-batch losses, the notebook's figure: ${r.batchMeanLoss.toFixed(4)})`);
}
