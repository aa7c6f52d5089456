/**
 * `slm train`: prepare (or open) the data, build the model, print its summary, parameter count and
 * a memory estimate, then train with a progress display, the notebook's loss every 20 batches and
 * the test loss each epoch. Ctrl-C saves a checkpoint and stops; `--resume RUN_DIR` continues.
 * `--model ngram` counts instead (trainNgram.ts).
 */
import { existsSync } from 'node:fs';
import { freemem } from 'node:os';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { paddingReport } from '../data/batches.js';
import { NEXT, readJson, recoverCheckpoint, RUN_FILES } from '../io/checkpoint.js';
import { LockBusy, tryLockFolder } from '../io/lock.js';
import { findRecipe, listRecipes, readRecipeFile, type RecipeFile } from '../io/recipes.js';
import { checkVocab } from '../io/run.js';
import { resolveFamilyConfig } from '../models/family.js';
import type { LanguageModel } from '../models/model.js';
import { allModelTypes, countParameters, createModel, families, familyOf, resolveModelConfig, type ModelType } from '../models/registry.js';
import { CheckpointError, ConfigError } from '../tensor/errors.js';
import { Rng } from '../tensor/rng.js';
import { withoutRandomInit } from '../tensor/tensor.js';
import { resolveTrainConfig } from '../train/config.js';
import { formatBytes } from '../train/memory.js';
import { train, type TrainResult } from '../train/trainer.js';
import { NGRAM_FILE } from '../ngram/files.js';
import { formatDuration, parseNumOpt, printJson, Progress, say } from './common.js';
import { addModelOptions, addTrainOptions, type FlagTarget } from './flags.js';
import { formatTimeSpent, reportPlan, TrainReporter } from './trainReport.js';
import { trainNgramRun } from './trainNgram.js';
import { tryWriteRunPlot } from './plot.js';
import { tokenizerFromJson } from '../tokenizer/hfTokenizer.js';
import { checkDataFitsRun, corpusOptions, openDataForCli, type CorpusFlags } from './data.js';
import { profileActiveKernels } from '../backend/index.js';
import { formatKernelProfile } from '../backend/profile.js';
import { headBiasOf } from '../train/headBias.js';

interface Opts extends CorpusFlags {
  data?: string;
  model?: string;
  out?: string;
  resume?: string;
  config?: string;
  recipe?: string;
  minutes?: number;
  json?: boolean;
  [key: string]: unknown;
}

let flagTargets: FlagTarget[] = [];

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('train a model on prepared data (or a folder with train.txt/test.txt); --model ngram counts instead')
    .option('--data <dir>', 'a store from slm prepare, or a folder with train.txt and test.txt')
    .addOption(new Option('--model <type>', `model type: ${familyHelp()}`).choices(allModelTypes))
    .option('--out <dir>', 'run folder for checkpoints, metrics and the tokenizer')
    .option('--resume <dir>', 'continue the run saved in this folder')
    .option('--recipe <name>', `a shipped training recipe (${listRecipes().map((r) => r.name).join(', ') || 'none found'}; slm recipes describes them) or a recipe file; flags override it`)
    .option('--config <file>', 'JSON file {"model": {...}, "train": {...}, "data": "..."}; flags override it')
    .option('--minutes <m>', 'stop after this much training time (sets maxSeconds)', parseNumOpt('--minutes', (n) => n > 0, 'a positive number'))
    .option('--json', 'print one final JSON object');
  corpusOptions(cmd);
  flagTargets = [...addModelOptions(cmd), ...addTrainOptions(cmd)];
  cmd.action(async (o: Opts) => runTrain(o));
}

function familyHelp(): string {
  return families.map((f) => `${f.type} (${f.title})`).join('; ');
}

async function runTrain(o: Opts): Promise<void> {
  const outDir = o.resume ?? o.out;
  if (!outDir) throw new ConfigError('slm train needs --out RUN_DIR (or --resume RUN_DIR)');
  // One writer per run folder: taken before anything is read from it (a new folder is locked when train creates it).
  const lock = existsSync(outDir) ? tryLockFolder(outDir, 'run folder') : null;
  if (lock instanceof LockBusy) throw new CheckpointError(lock.why, lock.hint);
  try {
    await runTrainLocked(o, outDir);
  } finally {
    lock?.release();
  }
}

async function runTrainLocked(o: Opts, outDir: string): Promise<void> {
  let file: RecipeFile = {};
  if (o.resume && existsSync(o.resume)) {
    const recovered = recoverCheckpoint(o.resume);
    if (recovered === 'completed') say(o.json, 'the previous session was stopped while committing a checkpoint: finished it');
    if (recovered === 'discarded') say(o.json, 'the previous session was stopped while writing a checkpoint: dropped the unfinished one, resuming from the one before');
  }
  if (o.resume) {
    if (!existsSync(join(o.resume, RUN_FILES.trainer))) {
      if (existsSync(join(o.resume, RUN_FILES.config))) {
        throw new CheckpointError(`nothing to resume in ${o.resume}: the run stopped before its first checkpoint (no ${RUN_FILES.trainer})`,
          `start it again: slm train --out ${o.resume} with the same flags`);
      }
      throw new ConfigError(`nothing to resume in ${o.resume}: no ${RUN_FILES.trainer}`, 'start a run with --out first');
    }
    file = readJson(join(o.resume, RUN_FILES.config), 'run config');
  } else if (o.config || o.recipe) {
    if (o.config && o.recipe) throw new ConfigError('give --recipe or --config, not both', 'a recipe is a config file that ships with slmkit');
    const found = o.recipe ? findRecipe(o.recipe) : { path: o.config!, file: readRecipeFile(o.config!) };
    file = found.file;
    if (o.recipe) say(o.json, `recipe ${o.recipe} (${found.path})${file.recipe?.description ? `: ${file.recipe.description}` : ''}`);
  }
  if (!o.resume && [RUN_FILES.trainer, RUN_FILES.trainer + NEXT, NGRAM_FILE].some((f) => existsSync(join(outDir, f)))) {
    throw new ConfigError(`${outDir} already holds a run`, `continue it with --resume ${outDir}, or choose another --out`);
  }
  const modelRaw: Record<string, unknown> = { ...(file.model ?? {}) };
  const trainRaw: Record<string, unknown> = { ...(file.train ?? {}) };
  if (o.model) {
    if (o.resume && modelRaw.type !== o.model) throw new ConfigError(`--model ${o.model} differs from the run's ${String(modelRaw.type)}`);
    modelRaw.type = o.model;
  }
  for (const t of flagTargets) {
    // A --no-x flag's option is true unless given: only an explicit false counts.
    if (o[t.attr] === undefined || (t.negated && o[t.attr] === true)) continue;
    if (o.resume && t.section === 'model') throw new ConfigError(`${t.flag} cannot change when resuming`, 'the model is rebuilt from the run\'s config.json');
    (t.section === 'model' ? modelRaw : trainRaw)[t.key] = o[t.attr];
  }
  if (o.minutes !== undefined) trainRaw.maxSeconds = o.minutes * 60;
  if (modelRaw.type === undefined) throw new ConfigError('slm train needs --model', `one of: ${allModelTypes.join(', ')}`);
  const dataPath = o.data ?? file.data;
  if (!dataPath) throw new ConfigError('slm train needs --data DIR');
  // Every key is checked before any data is opened (and possibly tokenized) or anything written;
  // the vocabulary size comes from the data, so a stand-in fills it for this first check.
  const family = familyOf(modelRaw.type);
  resolveFamilyConfig(family, { vocabSize: 1, ...modelRaw });
  if (family.kind === 'neural') resolveTrainConfig(modelRaw.type as ModelType, trainRaw);

  const data = await openDataForCli(dataPath, o);
  if (o.resume) {
    const path = join(o.resume, RUN_FILES.tokenizer);
    checkDataFitsRun(data, { tokenizer: tokenizerFromJson(readJson<object>(path, 'tokenizer'), { source: path }), dir: o.resume }, dataPath);
  }
  modelRaw.vocabSize ??= data.tokenizer.vocabSize;
  if (family.kind === 'counted') return trainNgramRun({ json: o.json, resume: o.resume, outDir, dataPath, data, modelRaw, trainRaw });
  const modelConfig = resolveModelConfig(modelRaw);
  checkVocab(data.tokenizer, modelConfig, 'the config');
  const config = resolveTrainConfig(modelRaw.type as ModelType, trainRaw);
  // A model without an output bias is refused before its weights (3.4 GB for markov) are drawn: asked of a stand-in with 8 tokens.
  if (!o.resume && config.headBiasInit === 'unigram') headBiasOf(createModel(resolveModelConfig({ ...modelConfig, vocabSize: 8 }), new Rng(0)), modelConfig.type);
  // Resuming loads every weight from the checkpoint, so drawing the initial ones is wasted time.
  const build = () => createModel(modelConfig, new Rng(config.seed));
  const nParams = countParameters(modelConfig);
  if (!o.resume && nParams > 1e8) say(o.json, `initialising ${nParams.toLocaleString('en-US')} parameters (about ${Math.max(1, Math.round(nParams / 6e7))} s) ...`);
  const model = o.resume ? withoutRandomInit(build) : build();

  const pad = paddingReport(data.train, { batchSize: config.batchSize, mode: config.batching, blockSize: config.blockSize });
  say(o.json, model.summary());
  say(o.json, `batches: ${config.batching}, ${(pad.paddingShare * 100).toFixed(1)}% of the positions are padding`
    + (pad.paddingShare > 0 ? (skipsPadding(model) ? ' (skipped by every layer)' : ' (computed by the hidden layers, skipped by the output layer)') : ''));
  // Measured on PubMed (README, Training recipes): a tied head under AdamW at lr 3e-3 without clipping stalled at a unigram's loss.
  const tied = 'tieWeights' in modelConfig && modelConfig.tieWeights === true;
  if (!o.resume && tied && config.optimizer === 'adamw' && config.gradClip === null) {
    say(o.json, 'note: tied weights under AdamW without gradient clipping stalled at a unigram\'s loss in slmkit\'s measurements; '
      + 'GPT-2\'s recipes clip: --grad-clip 1 --beta2 0.95 (or --recipe gpt-small --tie-weights)');
  }

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
  const reporter = new TrainReporter(progress, o.json);
  // SLM_PROFILE=1: time every kernel call and print where the run's time went, kernel by kernel.
  const profile = process.env.SLM_PROFILE === '1' ? profileActiveKernels() : null;
  try {
    const r = await train({
      model, modelConfig, config, train: data.train, test: data.test, outDir, resume: !!o.resume, signal: ac.signal,
      tokenizerJson: data.tokenizer.toJSON(), extraConfig: { data: dataPath },
      // The estimate counts the weights (and, resuming, the optimizer moments) this process already
      // holds, so they count as available: free memory alone would count them twice.
      checkPlan: (plan) => reportPlan(plan, freemem() + process.memoryUsage().rss, o.json),
      onEvent: (e) => reporter.onEvent(e),
    });
    progress.stop();
    if (o.json) printJson({ ...r, runDir: outDir });
    else {
      say(false, `${stopText(r.stop)}: ${r.steps} steps, ${r.tokens.toLocaleString('en-US')} tokens in ${formatDuration(r.seconds)} `
        + `(${Math.round(r.tokensPerSecond)} tokens/s, peak memory ${formatBytes(r.peakRssBytes)}); train loss ${r.trainLoss.toFixed(4)}`
        + (r.testLoss !== null ? `, test loss ${r.testLoss.toFixed(4)}` : ''));
      say(false, formatTimeSpent(r.time));
      if (profile) say(false, ['kernel time over the run (SLM_PROFILE=1):', ...formatKernelProfile(profile.report(), r.time.total)].join('\n'));
      if (r.skippedSteps > 0) say(false, `${r.skippedSteps} steps were skipped for a non-finite loss or gradient (--skip-nonfinite ${config.skipNonfinite})`);
      say(false, `run saved in ${outDir}${r.interrupted ? ` (continue with slm train --resume ${outDir})` : ''}`);
    }
    const plot = tryWriteRunPlot(outDir);
    say(o.json, plot.path ? `loss curve: ${plot.path}` : `note: ${plot.note}`);
    if (r.interrupted) process.exitCode = 130;
  } finally {
    profile?.stop();
    progress.stop();
    process.off('SIGINT', onSigint);
  }
}

/** Why the run ended, in words. */
export function stopText(stop: TrainResult['stop']): string {
  switch (stop) {
    case 'epochs': return 'done (every epoch)';
    case 'steps': return 'done (--max-steps reached)';
    case 'tokens': return 'done (--max-tokens reached)';
    case 'time': return 'done (time budget used)';
    case 'interrupt': return 'stopped';
    default: return stop satisfies never;
  }
}

/**
 * Whether a model does no work for padded positions: a table lookup or position-wise hidden
 * states, a transformer's blocks over the real positions alone, or recurrent layers over packed
 * sequences. The MLP and the CNN compute every position of a padded row.
 */
function skipsPadding(model: LanguageModel): boolean {
  const head = model.fusedHead?.();
  if (!head) return false;
  return head.kind === 'table' || head.positionwise || head.realHidden !== undefined || ['rnn', 'lstm', 'gru'].includes(model.config.type);
}
