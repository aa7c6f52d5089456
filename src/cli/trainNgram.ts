/**
 * `slm train --model ngram`: counts instead of gradient steps. Counts the training split, builds
 * the estimator (--smoothing mle | addk | kn, --order N, --k), scores the test split and the
 * training split on the neural models' tokens and mask, and writes a run folder that slm eval and
 * slm generate open like any other: config.json (with the counting report), tokenizer.json,
 * model.ngram and one metrics line.
 *
 * --json prints {trainLoss, testLoss, testBatchMeanLoss, steps: 0, tokens, seconds, tokensPerSecond,
 * interrupted: false, runDir, ...}: `tokens` are the training targets counted, `seconds` the
 * counting and estimation time (scoring excluded, in evalSeconds), trainLoss the training-set loss
 * (for a bigram under mle, the lowest loss the notebook's full-rank Markov chain can reach).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenedData } from '../data/open.js';
import { RUN_FILES, writeJsonAtomic } from '../io/checkpoint.js';
import { writeFileAtomic } from '../io/atomic.js';
import { LockBusy, tryLockFolder } from '../io/lock.js';
import { checkVocab } from '../io/run.js';
import { buildNgramModel } from '../ngram/build.js';
import { resolveNgramConfig } from '../ngram/config.js';
import { evaluateNgram, type NgramEvalResult } from '../ngram/evaluate.js';
import { NGRAM_FILE, saveNgramModel } from '../ngram/files.js';
import { CheckpointError, ConfigError } from '../tensor/errors.js';
import { peakRss } from '../train/trainer.js';
import { formatDuration, printJson, say } from './common.js';

export interface NgramTrainArgs {
  json?: boolean;
  resume?: string;
  outDir: string;
  dataPath: string;
  data: OpenedData;
  modelRaw: Record<string, unknown>;
  trainRaw: Record<string, unknown>;
}

export async function trainNgramRun(a: NgramTrainArgs): Promise<void> {
  if (a.resume) throw new ConfigError('an n-gram model is counted in one pass: there is nothing to resume', 'count it again with --out DIR');
  const extra = Object.keys(a.trainRaw);
  if (extra.length > 0) {
    throw new ConfigError(`training options (${extra.join(', ')}) do not apply to --model ngram`,
      'an n-gram model is counted, not trained by gradient steps; its options are --order, --smoothing and --k');
  }
  const config = resolveNgramConfig(a.modelRaw);
  checkVocab(a.data.tokenizer, config, 'the config');
  const { data, json } = a;
  say(json, `counting ${config.order}-grams of the training split (${(data.train.offsets.length - 1).toLocaleString('en-US')} documents) ...`);
  const { model, report } = buildNgramModel(data.train, config);
  say(json, model.summary());
  for (const note of report.notes) say(json, `note: ${note}`);
  const seconds = report.countSeconds + report.estimateSeconds;
  say(json, `scoring the test and training splits (${(data.test.ids.length + data.train.ids.length).toLocaleString('en-US')} tokens) ...`);
  const t0 = performance.now();
  const test = evaluateNgram(model, data.test, { batchSize: 32 });
  const train = evaluateNgram(model, data.train, { batchSize: 32 });
  const evalSeconds = (performance.now() - t0) / 1000;

  mkdirSync(a.outDir, { recursive: true });
  const lock = tryLockFolder(a.outDir, 'run folder');
  if (lock instanceof LockBusy) throw new CheckpointError(lock.why, lock.hint);
  let fileBytes: number;
  try {
    fileBytes = saveNgramModel(join(a.outDir, NGRAM_FILE), model);
    const zero = (r: NgramEvalResult) => ({ zeroProbTokens: r.zeroProbTokens, zeroProbShare: r.zeroProbShare });
    writeJsonAtomic(join(a.outDir, RUN_FILES.config), {
      slmkit: 1, model: config, data: a.dataPath,
      report: { ...report, fileBytes, peakRssBytes: peakRss(), test: { loss: test.loss, tokens: test.tokens, ...zero(test) }, train: { loss: train.loss, ...zero(train) } },
    });
    writeJsonAtomic(join(a.outDir, RUN_FILES.tokenizer), data.tokenizer.toJSON());
    writeFileAtomic(join(a.outDir, RUN_FILES.metrics), `${JSON.stringify({
      step: 0, epoch: 0, trainLoss: train.loss, testLoss: test.loss, testBatchMeanLoss: test.batchMeanLoss, testTokens: test.tokens,
    })}\n`);
  } finally {
    lock.release();
  }

  const result = {
    trainLoss: train.loss, testLoss: test.loss, testBatchMeanLoss: test.batchMeanLoss, steps: 0, tokens: model.tokens, seconds,
    tokensPerSecond: model.tokens / Math.max(1e-9, seconds), interrupted: false, runDir: a.outDir,
    model: config, ngrams: report.ngrams, countSeconds: report.countSeconds, evalSeconds, fileBytes,
    testZeroProbTokens: test.zeroProbTokens, testZeroProbShare: test.zeroProbShare, trainZeroProbTokens: train.zeroProbTokens,
    discounts: report.discounts, notes: report.notes,
  };
  if (json) {
    printJson(result);
    return;
  }
  say(false, `done: counted ${model.tokens.toLocaleString('en-US')} tokens in ${formatDuration(seconds)} `
    + `(${Math.round(result.tokensPerSecond).toLocaleString('en-US')} tokens/s, no gradient steps); `
    + `train loss ${train.loss.toFixed(4)}, test loss ${test.loss.toFixed(4)} nats/token (perplexity ${test.perplexity.toFixed(1)})`);
  if (test.zeroProbTokens > 0) {
    say(false, `${test.zeroProbTokens.toLocaleString('en-US')} test tokens (${(100 * test.zeroProbShare).toFixed(2)}%) have probability zero `
      + `under maximum likelihood; the test loss is over the other ${(test.tokens - test.zeroProbTokens).toLocaleString('en-US')}`);
  }
  say(false, `run saved in ${a.outDir} (${NGRAM_FILE}: ${(fileBytes / 2 ** 20).toFixed(1)} MiB)`);
}
