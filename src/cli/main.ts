#!/usr/bin/env node
/**
 * The `slm` command line: one subcommand per file in this folder, each parsing its options into a
 * library call. Only this layer decides exit codes: typed SlmErrors print their message and hint
 * and exit 1; anything else is a bug and prints its stack.
 */
import { Command } from 'commander';
import '../backend/native/autoload.js';
import { SlmError } from '../tensor/errors.js';
import { registerCompare } from './compare.js';
import { registerEval } from './eval.js';
import { registerExport } from './export.js';
import { registerGenerate } from './generate.js';
import { registerImport } from './import.js';
import { registerInfo } from './info.js';
import { registerPlot } from './plot.js';
import { registerPrepare } from './prepare.js';
import { registerRecipes } from './recipes.js';
import { registerRun } from './run.js';
import { registerTokenize } from './tokenize.js';
import { registerTrain } from './train.js';
import { packageVersion } from './version.js';

export function buildProgram(): Command {
  const program = new Command('slm')
    .description('slmkit: train, evaluate and sample small autoregressive language models')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run slm --help for usage)');
  registerRun(program);
  registerPrepare(program);
  registerTrain(program);
  registerRecipes(program);
  registerEval(program);
  registerCompare(program);
  registerGenerate(program);
  registerExport(program);
  registerImport(program);
  registerPlot(program);
  registerTokenize(program);
  registerInfo(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof SlmError) {
      process.stderr.write(`slm: ${err.describe()}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}

// `slm … | head` closes the pipe early: stop quietly, as Unix tools do, instead of a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

await main(process.argv);
