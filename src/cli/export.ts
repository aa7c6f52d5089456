/**
 * `slm export`: out of slmkit into other tools. A token store (--data) as nanoGPT's or llm.c's
 * token files, for training elsewhere (scripts/ddp/train_gpt2.py, nanoGPT, llm.c); a pre-LN
 * transformer run (--model) as a Hugging Face GPT-2 folder, with its ONNX graph for
 * transformers.js when --format onnx. Every output folder appears whole or not at all.
 */
import { type Command, Option } from 'commander';
import { resolve } from 'node:path';
import { exportModel, EXPORT_SUPPORT, modelFormats, type ModelFormat } from '../interop/hf.js';
import { exportTokens, tokenFormats, type TokenFormat } from '../interop/tokens.js';
import { ConfigError } from '../tensor/errors.js';
import { parseIntOpt, printJson, say } from './common.js';
import { openDataForCli } from './data.js';
import { packageVersion } from './version.js';

interface Opts {
  data?: string;
  model?: string;
  format: TokenFormat | ModelFormat;
  out: string;
  shardTokens?: number;
  name?: string;
  force?: boolean;
  json?: boolean;
}

const isTokenFormat = (f: string): f is TokenFormat => (tokenFormats as readonly string[]).includes(f);

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write a token store as nanoGPT/llm.c token files, or a pre-LN transformer run as a Hugging Face GPT-2 folder (with ONNX for transformers.js)')
    .option('--data <dir>', 'a token store from slm prepare (or raw text, prepared with the notebook\'s tokenizer): --format nanogpt | llmc')
    .option('--model <dir>', 'a transformer run folder (variant pre-ln): --format hf | onnx')
    .addOption(new Option('--format <name>', 'nanogpt (train.bin, val.bin, meta.pkl), llmc (shards), hf (GPT-2 folder), onnx (hf + onnx/model.onnx)')
      .choices([...tokenFormats, ...modelFormats]).makeOptionMandatory())
    .requiredOption('--out <dir>', 'the folder to write (must not exist, unless --force)')
    .option('--shard-tokens <n>', 'llmc: tokens per training shard (default 100,000,000, as llm.c)', parseIntOpt('--shard-tokens', 1))
    .option('--name <prefix>', 'llmc: the shards\' name prefix (NAME_val_000000.bin)', 'slm')
    .option('--force', 'replace --out if it exists (only once the new folder is complete)')
    .option('--json', 'print the report as one JSON object')
    .action(async (o: Opts) => {
      if ((o.data === undefined) === (o.model === undefined)) {
        throw new ConfigError('give exactly one of --data STORE (for nanogpt, llmc) or --model RUN_DIR (for hf, onnx)');
      }
      if (o.data !== undefined) {
        if (!isTokenFormat(o.format)) throw new ConfigError(`--format ${o.format} exports a model: pass --model RUN_DIR`, `--data exports token files: --format ${tokenFormats.join(' | ')}`);
        const data = await openDataForCli(o.data, { json: o.json });
        const r = await exportTokens(data, {
          format: o.format, out: o.out, force: o.force, shardTokens: o.shardTokens, name: o.name,
          source: resolve(data.dir), slmkitVersion: packageVersion(),
        });
        if (o.json) return printJson(r);
        const m = r.meta;
        say(false, `wrote ${o.out}: ${m.format} token files, vocabulary ${m.vocab_size}, documents joined with id ${m.eot_id}`);
        say(false, `  train ${m.train.documents.toLocaleString('en-US')} documents, ${m.train.tokens.toLocaleString('en-US')} tokens in ${m.train.files.join(', ')}`);
        say(false, `  val   ${m.val.documents.toLocaleString('en-US')} documents, ${m.val.tokens.toLocaleString('en-US')} tokens in ${m.val.files.join(', ')}`);
        say(false, `  in ${r.seconds.toFixed(2)}s (${Math.round(r.tokensPerSecond).toLocaleString('en-US')} tokens/s); also meta.json and tokenizer.json`);
        return;
      }
      if (isTokenFormat(o.format)) {
        throw new ConfigError(`--format ${o.format} writes token files from a store: pass --data STORE`, EXPORT_SUPPORT);
      }
      const r = await exportModel(o.model!, { format: o.format, out: o.out, force: o.force });
      if (o.json) return printJson(r);
      say(false, `wrote ${o.out}: GPT-2 layout (${r.parameters.toLocaleString('en-US')} parameters, ${r.tied ? 'tied' : 'untied'} head): ${r.files.join(', ')}`);
    });
}
