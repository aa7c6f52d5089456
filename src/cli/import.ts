/**
 * `slm import`: a Hugging Face GPT-2 folder (exported by slmkit, saved by transformers or by
 * scripts/ddp/train_gpt2.py) into a run folder that eval, generate, compare and serve open like
 * any other.
 */
import type { Command } from 'commander';
import { importModel } from '../interop/hf.js';
import { describeModel } from '../models/registry.js';
import { printJson, say } from './common.js';

interface Opts {
  out: string;
  tokenizer?: string;
  force?: boolean;
  json?: boolean;
}

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('read a GPT-2-layout folder (config.json, model.safetensors, tokenizer.json) into a slmkit run folder')
    .argument('<dir>', 'the model folder')
    .requiredOption('--out <dir>', 'the run folder to write (must not exist, unless --force)')
    .option('--tokenizer <file>', 'the tokenizer.json the model was trained with, when the folder has none')
    .option('--force', 'replace --out if it exists (only once the new folder is complete)')
    .option('--json', 'print the report as one JSON object')
    .action(async (dir: string, o: Opts) => {
      const r = await importModel(dir, { out: o.out, force: o.force, tokenizer: o.tokenizer });
      if (o.json) return printJson(r);
      say(false, `imported ${dir} into ${o.out}: ${describeModel(r.model)}, ${r.parameters.toLocaleString('en-US')} parameters, step ${r.step}`);
      say(false, `next: slm eval --model ${o.out} --data DATA, slm generate --model ${o.out} --prompt TEXT`);
    });
}
