/**
 * `slm run`: the notebook's whole flow on a corpus folder in one command, for a first look —
 * prepare the data with the notebook's tokenizer, train the low-rank Markov chain for a short time
 * budget, evaluate on held-out documents, and sample from the notebook's prompt — then a short
 * report and the loss curve (loss.svg in the run folder). With no corpus it runs on the PubMed
 * sample that ships with slmkit (corpora/pubmed-sample). Every step is also its own command
 * (prepare, train, eval, generate, plot) for real runs.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { availableBackends, kernels } from '../backend/index.js';
import { firstDocuments, numDocuments } from '../data/store.js';
import { createModel, resolveModelConfig } from '../models/registry.js';
import { buildNgramModel, evaluateNgram, resolveNgramConfig } from '../ngram/index.js';
import type { LanguageModel } from '../models/model.js';
import { generateIds } from '../sample/generate.js';
import { Rng } from '../tensor/rng.js';
import { resolveTrainConfig } from '../train/config.js';
import { evaluate } from '../train/evaluate.js';
import { train } from '../train/trainer.js';
import { stopText } from './train.js';
import { corpusOptions, openDataForCli, type CorpusFlags } from './data.js';
import { builtinCorpus } from '../data/open.js';
import { formatDuration, parseIntOpt, parseNumOpt, printJson, say } from './common.js';
import { tryWriteRunPlot } from './plot.js';
import { endStopIds, promptIds } from '../sample/prompt.js';

interface Opts extends CorpusFlags {
  out: string;
  minutes: number;
  batchSize: number;
  evalDocs: number;
  prompt: string;
  samples: number;
  seed: number;
  lr: number;
  json?: boolean;
}

export function registerRun(program: Command): void {
  corpusOptions(program
    .command('run')
    .description("the notebook's flow in one go: prepare, train the low-rank model briefly, evaluate, generate, plot")
    .argument('[corpus]', 'a folder holding train.txt and test.txt (or .txt.gz; one document per line), or one corpus file; '
      + 'default: the PubMed sample that ships with slmkit'))
    .option('--out <dir>', 'run folder', 'runs/quickstart')
    .option('--minutes <m>', 'training time budget', parseNumOpt('--minutes', (n) => n > 0, 'a positive number'), 2)
    .option('--batch-size <n>', 'documents per batch (the notebook uses 128; smaller takes more steps in a short budget)', parseIntOpt('--batch-size', 1), 16)
    .option('--eval-docs <n>', 'held-out documents to evaluate on (all: use slm eval)', parseIntOpt('--eval-docs', 1), 200)
    .option('--prompt <text>', 'prompt to sample from', 'We compared the prevalence of')
    .option('--samples <n>', 'samples to draw', parseIntOpt('--samples', 1), 3)
    .option('--seed <n>', 'seed for init, dropout and sampling', parseIntOpt('--seed'), 42)
    .option('--lr <x>', 'AdamW learning rate (the notebook uses 0.001 over two full epochs; a short run needs more)',
      parseNumOpt('--lr', (n) => n > 0, 'a positive number'), 0.01)
    .option('--json', 'print the report as one JSON object')
    .action(async (given: string | undefined, o: Opts) => {
      const log = (l: string) => say(o.json, l);
      const corpus = given ?? builtinCorpus;
      if (given === undefined) {
        log(`no corpus given: running on the PubMed sample that ships with slmkit (2,292 abstracts, ${corpus}); `
          + 'slm run FOLDER for your own');
      }
      log(`backend: ${kernels().name} (available: ${availableBackends().join(', ')})`);
      const data = await openDataForCli(corpus, o, undefined, true);
      const modelConfig = resolveModelConfig({ type: 'lowrank', vocabSize: data.tokenizer.vocabSize });
      // The time budget ends the run: on a small corpus that means several epochs.
      const config = resolveTrainConfig('lowrank', {
        batchSize: o.batchSize, maxSeconds: o.minutes * 60, seed: o.seed, epochs: 1000, logEvery: 10, lr: o.lr, keepBest: false,
      });
      const model = createModel(modelConfig, new Rng(o.seed));
      log(model.summary());
      const evalSplit = firstDocuments(data.test, o.evalDocs);
      const before = await evaluate(model, evalSplit, { batchSize: o.batchSize });
      log(`test loss before training: ${before.loss.toFixed(4)} (${numDocuments(evalSplit)} held-out documents)`);
      log(`training for ${o.minutes} min at batch ${o.batchSize}, AdamW lr ${o.lr} ...`);
      const r = await train({
        model, modelConfig, config, train: data.train, test: evalSplit, outDir: o.out,
        tokenizerJson: data.tokenizer.toJSON(), extraConfig: { data: corpus },
        onEvent: (e) => {
          if (e.kind === 'step' && e.log) log(`  step ${e.step} loss ${e.avgLoss.toFixed(4)} (${Math.round(e.tokensPerSecond)} tokens/s)`);
        },
      });
      const start = promptIds(data.tokenizer, o.prompt);
      const sample = (m: LanguageModel): string[] => {
        const rng = new Rng(o.seed);
        return Array.from({ length: o.samples }, () => data.tokenizer.decode([...start, ...generateIds(m, start, { maxNewTokens: 30, rng, stopIds: endStopIds(data.tokenizer) })]));
      };
      const samples = sample(model);
      // The notebook's remark, measured: the same bigram estimated by counting (Kneser-Ney).
      const t0 = performance.now();
      const { model: bigram } = buildNgramModel(data.train, resolveNgramConfig({ type: 'ngram', vocabSize: data.tokenizer.vocabSize, order: 2, smoothing: 'kn' }));
      const bigramSeconds = (performance.now() - t0) / 1000;
      const bigramLoss = evaluateNgram(bigram, evalSplit).loss;
      const bigramSamples = sample(bigram);
      const plot = tryWriteRunPlot(o.out);
      const report = {
        backend: kernels().name, runDir: o.out, corpus, plot: plot.path, parameters: model.numParameters(), steps: r.steps, tokens: r.tokens,
        seconds: r.seconds, tokensPerSecond: r.tokensPerSecond, trainLoss: r.trainLoss, testLossBefore: before.loss,
        testLoss: r.testLoss, evalDocuments: numDocuments(evalSplit), prompt: o.prompt, samples,
        bigram: { seconds: bigramSeconds, testLoss: bigramLoss, samples: bigramSamples },
      };
      if (o.json) {
        printJson(report);
        return;
      }
      log('');
      const epochs = r.tokens / Math.max(1, data.train.ids.length);
      log(`trained ${r.steps} steps (${r.tokens.toLocaleString('en-US')} tokens, ${epochs < 0.1 ? `${(100 * epochs).toFixed(1)}% of an epoch` : `${epochs.toFixed(1)} epochs`}) `
        + `in ${formatDuration(r.seconds)}, ${Math.round(r.tokensPerSecond)} tokens/s; ${stopText(r.stop)}`);
      log(`train loss ${r.trainLoss.toFixed(4)}; test loss ${before.loss.toFixed(4)} → ${(r.testLoss ?? Number.NaN).toFixed(4)} on ${numDocuments(evalSplit)} held-out documents`);
      log(`samples for "${o.prompt}":`);
      for (const s of samples) log(`  ${s}`);
      log('');
      log(`a bigram model by counting instead (Kneser-Ney, slm train --model ngram --order 2): ${bigramSeconds.toFixed(1)}s, test loss ${bigramLoss.toFixed(4)}`);
      for (const s of bigramSamples) log(`  ${s}`);
      log(`run saved in ${o.out}; next: slm serve ${o.out} (the playground in a browser), slm eval --model ${o.out} --data ${corpus}, slm generate --model ${o.out} --prompt "..."`);
      log(`model: ${join(o.out, 'model.safetensors')}`);
      log(plot.path ? `loss curve: ${plot.path} (slm plot ${o.out} --out loss.png for a PNG)` : `note: ${plot.note}`);
    });
}
