/**
 * `slm train`: prepare (or open) the data, build the model, print its summary, parameter count and
 * a memory estimate, then train with a progress display, the notebook's loss every 20 batches and
 * the test loss each epoch. Ctrl-C saves a checkpoint and stops; `--resume RUN_DIR` continues.
 * `--model ngram` counts instead (trainNgram.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { paddingReport } from '../data/batches.js';
import { readJson, RUN_FILES } from '../io/checkpoint.js';
import { checkVocab } from '../io/run.js';
import { countParameters, createModel, modelTypes, resolveModelConfig, type ModelType } from '../models/registry.js';
import { ConfigError } from '../tensor/errors.js';
import { Rng } from '../tensor/rng.js';
import { withoutRandomInit } from '../tensor/tensor.js';
import { resolveTrainConfig } from '../train/config.js';
import { formatBytes } from '../train/memory.js';
import { train, type TrainEvent } from '../train/trainer.js';
import { NGRAM_FILE } from '../ngram/files.js';
import { formatDuration, parseBytes, parseIntOpt, parseNumOpt, printJson, Progress, say } from './common.js';
import { trainNgramRun } from './trainNgram.js';
import { tryWriteRunPlot } from './plot.js';
import { tokenizerFromJson } from '../tokenizer/hfTokenizer.js';
import { checkDataFitsRun, corpusOptions, openDataForCli, type CorpusFlags } from './data.js';

interface Opts extends CorpusFlags {
  data?: string;
  model?: string;
  out?: string;
  resume?: string;
  config?: string;
  json?: boolean;
  [key: string]: unknown;
}

/** CLI flag → [section, key] in the config. */
const flagKeys: Record<string, ['model' | 'train', string]> = {
  epochs: ['train', 'epochs'], batchSize: ['train', 'batchSize'], lr: ['train', 'lr'], maxSteps: ['train', 'maxSteps'],
  seed: ['train', 'seed'], saveEvery: ['train', 'saveEvery'], memoryBudget: ['train', 'memoryBudget'], shuffle: ['train', 'shuffle'],
  batching: ['train', 'batching'], blockSize: ['train', 'blockSize'], gradClip: ['train', 'gradClip'],
  warmupSteps: ['train', 'warmupSteps'], schedule: ['train', 'schedule'], weightDecay: ['train', 'weightDecay'],
  logEvery: ['train', 'logEvery'],
  embedDim: ['model', 'embedDim'], dropout: ['model', 'dropout'], heads: ['model', 'heads'], layers: ['model', 'layers'],
  maxLen: ['model', 'maxLen'], variant: ['model', 'variant'], tieWeights: ['model', 'tieWeights'],
  order: ['model', 'order'], smoothing: ['model', 'smoothing'], k: ['model', 'k'],
};

const allModelTypes = [...modelTypes, 'ngram'].join(', ');

export function registerTrain(program: Command): void {
  const pos = (name: string) => parseIntOpt(name, 1);
  corpusOptions(program
    .command('train')
    .description('train a model on prepared data (or a folder with train.txt/test.txt)')
    .option('--data <dir>', 'a store from slm prepare, or a folder with train.txt and test.txt'))
    .option('--model <type>', `model type: ${allModelTypes} (ngram is counted, not trained)`)
    .option('--out <dir>', 'run folder for checkpoints, metrics and the tokenizer')
    .option('--resume <dir>', 'continue the run saved in this folder')
    .option('--config <file>', 'JSON file {"model": {...}, "train": {...}}; flags override it')
    .option('--epochs <n>', 'passes over the training split (default 2)', pos('--epochs'))
    .option('--batch-size <n>', 'documents per batch (default 128; transformer 64)', pos('--batch-size'))
    .option('--lr <x>', 'AdamW learning rate (default: markov 0.1, lowrank 0.001, transformer 0.002)', parseNumOpt('--lr', (n) => n > 0, 'a positive number'))
    .option('--weight-decay <x>', 'AdamW weight decay (default 0.01)', parseNumOpt('--weight-decay', (n) => n >= 0, '≥ 0'))
    .option('--max-steps <n>', 'stop after this many steps', pos('--max-steps'))
    .option('--seed <n>', 'seed for init, dropout and shuffling (default 42)', parseIntOpt('--seed'))
    .option('--shuffle', 'shuffle documents each epoch (the notebook does not)')
    .option('--batching <mode>', 'padded (the notebook) or packed')
    .option('--block-size <n>', 'tokens per packed row (default 512)', pos('--block-size'))
    .option('--embed-dim <n>', 'embedding width (lowrank 256, transformer 128)', pos('--embed-dim'))
    .option('--dropout <p>', 'dropout probability', parseNumOpt('--dropout', (n) => n >= 0 && n < 1, 'in [0, 1)'))
    .option('--heads <n>', 'transformer attention heads (4)', pos('--heads'))
    .option('--layers <n>', 'transformer blocks (6)', pos('--layers'))
    .option('--max-len <n>', 'transformer context length (512)', pos('--max-len'))
    .option('--variant <v>', 'transformer blocks: post-ln (workshop) or pre-ln (GPT-2)')
    .option('--tie-weights', 'share the token embedding with the output layer (pre-ln)')
    .option('--order <n>', 'ngram: N, the next token from the previous N-1 (1 to 10; default 3)', pos('--order'))
    .option('--smoothing <s>', 'ngram: mle, addk or kn (interpolated modified Kneser-Ney, the default)')
    .option('--k <x>', 'ngram: the k of add-k (default 1)', parseNumOpt('--k', (n) => n > 0, 'a positive number'))
    .option('--grad-clip <x>', 'clip the global gradient norm', parseNumOpt('--grad-clip', (n) => n > 0, 'a positive number'))
    .option('--warmup-steps <n>', 'linear warmup steps', parseIntOpt('--warmup-steps'))
    .option('--schedule <s>', 'constant or cosine')
    .option('--log-every <n>', 'print the training loss every n steps (20)', pos('--log-every'))
    .option('--save-every <n>', 'checkpoint every n steps (besides each epoch end)', pos('--save-every'))
    .option('--memory-budget <bytes>', 'activation memory per micro-batch, e.g. 512m, 2g (default 1g)', parseBytes)
    .option('--json', 'print one final JSON object')
    .action(async (o: Opts) => runTrain(o));
}

async function runTrain(o: Opts): Promise<void> {
  let file: { model?: Record<string, unknown>; train?: Record<string, unknown>; data?: string } = {};
  const outDir = o.resume ?? o.out;
  if (!outDir) throw new ConfigError('slm train needs --out RUN_DIR (or --resume RUN_DIR)');
  if (o.resume) {
    if (!existsSync(join(o.resume, RUN_FILES.trainer))) {
      throw new ConfigError(`nothing to resume in ${o.resume}: no ${RUN_FILES.trainer}`, 'start a run with --out first');
    }
    file = readJson(join(o.resume, RUN_FILES.config), 'run config');
  } else if (o.config) {
    try {
      file = JSON.parse(readFileSync(o.config, 'utf8')) as typeof file;
    } catch (err) {
      throw new ConfigError(`cannot read config ${o.config}: ${(err as Error).message}`);
    }
    for (const k of Object.keys(file)) if (!['model', 'train', 'data'].includes(k)) throw new ConfigError(`unknown section '${k}' in ${o.config}`, 'use model, train and data');
  }
  if (!o.resume && (existsSync(join(outDir, RUN_FILES.trainer)) || existsSync(join(outDir, NGRAM_FILE)))) {
    throw new ConfigError(`${outDir} already holds a run`, `continue it with --resume ${outDir}, or choose another --out`);
  }
  const modelRaw: Record<string, unknown> = { ...(file.model ?? {}) };
  const trainRaw: Record<string, unknown> = { ...(file.train ?? {}) };
  if (o.model) {
    if (o.resume && modelRaw.type !== o.model) throw new ConfigError(`--model ${o.model} differs from the run's ${String(modelRaw.type)}`);
    modelRaw.type = o.model;
  }
  for (const [flag, [section, key]] of Object.entries(flagKeys)) {
    if (o[flag] === undefined) continue;
    if (o.resume && section === 'model') throw new ConfigError(`--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} cannot change when resuming`);
    (section === 'model' ? modelRaw : trainRaw)[key] = o[flag];
  }
  if (modelRaw.type === undefined) throw new ConfigError('slm train needs --model', `one of: ${allModelTypes}`);
  const dataPath = o.data ?? file.data;
  if (!dataPath) throw new ConfigError('slm train needs --data DIR');

  const data = await openDataForCli(dataPath, o);
  if (o.resume) {
    const path = join(o.resume, RUN_FILES.tokenizer);
    checkDataFitsRun(data, { tokenizer: tokenizerFromJson(readJson<object>(path, 'tokenizer'), { source: path }), dir: o.resume }, dataPath);
  }
  modelRaw.vocabSize ??= data.tokenizer.vocabSize;
  if (modelRaw.type === 'ngram') return trainNgramRun({ json: o.json, resume: o.resume, outDir, dataPath, data, modelRaw, trainRaw });
  const modelConfig = resolveModelConfig(modelRaw);
  checkVocab(data.tokenizer, modelConfig, 'the config');
  const config = resolveTrainConfig(modelRaw.type as ModelType, trainRaw);
  // Resuming loads every weight from the checkpoint, so drawing the initial ones is wasted time.
  const build = () => createModel(modelConfig, new Rng(config.seed));
  const nParams = countParameters(modelConfig);
  if (!o.resume && nParams > 1e8) say(o.json, `initialising ${nParams.toLocaleString('en-US')} parameters (about ${Math.max(1, Math.round(nParams / 6e7))} s) ...`);
  const model = o.resume ? withoutRandomInit(build) : build();

  const pad = paddingReport(data.train, { batchSize: config.batchSize, mode: config.batching, blockSize: config.blockSize });
  say(o.json, model.summary());
  say(o.json, `batches: ${config.batching}, ${(pad.paddingShare * 100).toFixed(1)}% of computed positions are padding`);

  const ac = new AbortController();
  let presses = 0;
  const onSigint = () => {
    presses++;
    if (presses > 1) process.exit(130);
    say(o.json, '\ninterrupted: saving a checkpoint (Ctrl-C again to quit at once)');
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  const progress = new Progress(process.stderr, config.logEvery);
  try {
    const r = await train({
      model, modelConfig, config, train: data.train, test: data.test, outDir, resume: !!o.resume, signal: ac.signal,
      tokenizerJson: data.tokenizer.toJSON(), extraConfig: { data: dataPath },
      // The estimate counts the weights (and, resuming, the optimizer moments) this process already
      // holds, so they count as available: free memory alone would count them twice.
      onEvent: (e) => onEvent(e, progress, o.json, freemem() + process.memoryUsage().rss),
    });
    progress.stop();
    if (o.json) printJson({ ...r, runDir: outDir });
    else {
      say(false, `${r.interrupted ? 'stopped' : 'done'}: ${r.steps} steps, ${r.tokens.toLocaleString('en-US')} tokens in ${formatDuration(r.seconds)} `
        + `(${Math.round(r.tokensPerSecond)} tokens/s, peak memory ${formatBytes(r.peakRssBytes)}); train loss ${r.trainLoss.toFixed(4)}`
        + (r.testLoss !== null ? `, test loss ${r.testLoss.toFixed(4)}` : ''));
      say(false, `run saved in ${outDir}${r.interrupted ? ` (continue with slm train --resume ${outDir})` : ''}`);
    }
    const plot = tryWriteRunPlot(outDir);
    say(o.json, plot.path ? `loss curve: ${plot.path}` : `note: ${plot.note}`);
    if (r.interrupted) process.exitCode = 130;
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
  }
}

function onEvent(e: TrainEvent, p: Progress, json: boolean | undefined, free: number): void {
  switch (e.kind) {
    case 'start': {
      const m = e.estimate;
      say(json, `memory estimate: ${formatBytes(m.total)} (parameters ${formatBytes(m.parameters)}, gradients ${formatBytes(m.gradients)}, `
        + `AdamW ${formatBytes(m.optimizer)}, activations ${formatBytes(m.activations)} in micro-batches of ${m.microRows} rows); available ${formatBytes(free)}`);
      if (m.total > free * 0.95) {
        throw new ConfigError(`training needs about ${formatBytes(m.total)} but only ${formatBytes(free)} is available`,
          'lower --memory-budget or --batch-size, or choose a smaller model');
      }
      if (e.cutDocuments > 0) {
        say(json, `note: ${e.cutDocuments.toLocaleString('en-US')} training documents are longer than the model's ${e.documentLimit! - 1} positions and are cut to `
          + `${e.documentLimit} tokens; --batching packed trains on every token`);
      }
      if (e.resumedAt > 0) say(json, `resuming at step ${e.resumedAt}`);
      if (!json) p.start(e.totalSteps, 'train');
      return;
    }
    case 'step': {
      const text = `epoch ${e.epoch} loss ${e.loss.toFixed(4)} ${Math.round(e.tokensPerSecond)} tok/s ETA ${formatDuration(e.etaSeconds)}`;
      const line = `step ${e.step}/${e.totalSteps} epoch ${e.epoch} batch ${e.batch}/${e.batchesPerEpoch} loss ${e.loss.toFixed(4)} `
        + `(avg ${e.avgLoss.toFixed(4)}) ${Math.round(e.tokensPerSecond)} tok/s ETA ${formatDuration(e.etaSeconds)}`;
      if (json) {
        if (e.log) process.stderr.write(`${line}\n`);
        return;
      }
      p.update(e.step, text, line, e.log);
      return;
    }
    case 'eval': {
      const r = e.result;
      const line = `after step ${e.step} (${e.epoch} epochs done): test loss ${r.loss.toFixed(4)} per token (${r.tokens.toLocaleString('en-US')} tokens), `
        + `${r.batchMeanLoss.toFixed(4)} as the mean of ${r.batches} batch losses (the notebook's figure); perplexity ${r.perplexity.toFixed(1)}`;
      if (json) process.stderr.write(`${line}\n`);
      else p.log(line);
      return;
    }
    case 'checkpoint':
      if (!json && e.reason !== 'end') p.log(`checkpoint at step ${e.step} (${e.reason})`);
      return;
    default:
      e satisfies never;
  }
}
