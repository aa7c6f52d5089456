/**
 * Hugging Face model folders in the GPT-2 layout, both ways, on disk:
 * - export (`slm export --model RUN --format hf|onnx`): config.json, model.safetensors (GPT-2 names,
 *   Conv1D layout, metadata format "pt"), tokenizer.json, tokenizer_config.json,
 *   generation_config.json, and for onnx also onnx/model.onnx (onnx.ts), so transformers (Python)
 *   and transformers.js load the folder as they load any GPT-2;
 * - import (`slm import DIR`): such a folder, whether slmkit or a PyTorch run wrote it, into a run
 *   folder that eval, generate, compare and serve open like any other.
 * The mapping itself is gpt2.ts; this file reads and writes the files, each folder atomically.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Transformer, type TransformerConfig } from '../models/transformer.js';
import { writeFolderAtomic, writeFileAtomic } from '../io/atomic.js';
import { readJson, RUN_FILES, saveModelWeights, writeJsonAtomic } from '../io/checkpoint.js';
import { checkRunPath, isNgramRun, openRun } from '../io/run.js';
import { encodeSafetensors, loadSafetensors } from '../io/safetensors.js';
import { endId } from '../sample/prompt.js';
import { CheckpointError, ConfigError, SlmError } from '../tensor/errors.js';
import { withoutRandomInit } from '../tensor/tensor.js';
import { tokenizerFromJson } from '../tokenizer/hfTokenizer.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { fromGpt2Tensors, gpt2ConfigJson, gpt2Refusal, toGpt2Tensors, transformerConfigFromGpt2, type SpecialIds } from './gpt2.js';
import { gpt2Onnx, ONNX_OPSET } from './onnx.js';

export type ModelFormat = 'hf' | 'onnx';
export const modelFormats: readonly ModelFormat[] = ['hf', 'onnx'];

export const HF_FILES = {
  config: 'config.json',
  model: 'model.safetensors',
  tokenizer: 'tokenizer.json',
  tokenizerConfig: 'tokenizer_config.json',
  generationConfig: 'generation_config.json',
  onnx: 'onnx/model.onnx',
} as const;

/** What each kind of run exports to, for refusals (the whole table, so the user sees the way). */
export const EXPORT_SUPPORT = 'what each model type exports to: transformer variant pre-ln → hf, onnx (as GPT-2); '
  + 'transformer post-ln → none (no exact Hugging Face architecture); markov, lowrank, mlp, cnn, rnn, lstm, gru → none '
  + '(their model.safetensors already has PyTorch names: scripts/golden/load_run.py loads it); ngram → none (counts in model.ngram); '
  + 'token stores (--data) → nanogpt, llmc';

export interface ModelExportReport {
  out: string;
  format: ModelFormat;
  files: string[];
  parameters: number;
  tied: boolean;
}

function specialIds(t: Tokenizer): SpecialIds {
  return { bos: t.bosId ?? t.clsId, eos: endId(t), pad: t.padId };
}

function tokenName(t: Tokenizer, id: number | undefined): string | null {
  return id === undefined ? null : t.idToToken(id) ?? null;
}

/** Exports a pre-LN transformer run as a GPT-2 folder (and, for onnx, its ONNX graph). */
export async function exportModel(runDir: string, o: { format: ModelFormat; out: string; force?: boolean }): Promise<ModelExportReport> {
  checkRunPath(runDir);
  const run = openRun(runDir);
  if (isNgramRun(run) || run.modelConfig.type !== 'transformer') {
    throw new ConfigError(`${runDir} is a ${run.modelConfig.type} run; --format ${o.format} takes transformer runs of variant pre-ln`, EXPORT_SUPPORT);
  }
  const c = run.modelConfig as TransformerConfig;
  const model = run.model as Transformer;
  const bias = model.head?.bias?.f32();
  const refusal = gpt2Refusal(c, bias ? bias.reduce((a, b) => Math.max(a, Math.abs(b)), 0) : 0);
  if (refusal) throw new ConfigError(`${runDir} cannot be exported as --format ${o.format}: ${refusal}`, EXPORT_SUPPORT);
  const tok = run.tokenizer;
  const ids = specialIds(tok);
  const tensors = toGpt2Tensors(c, model.stateDict());
  const files = await writeFolderAtomic(o.out, o.force ?? false, (tmp) => {
    writeJsonAtomic(join(tmp, HF_FILES.config), gpt2ConfigJson(c, ids));
    writeFileAtomic(join(tmp, HF_FILES.model), encodeSafetensors(tensors, { format: 'pt', step: String(run.step) }));
    copyFileSync(join(runDir, RUN_FILES.tokenizer), join(tmp, HF_FILES.tokenizer));
    writeJsonAtomic(join(tmp, HF_FILES.tokenizerConfig), {
      tokenizer_class: 'PreTrainedTokenizerFast',
      model_max_length: c.maxLen,
      bos_token: tokenName(tok, ids.bos), eos_token: tokenName(tok, ids.eos), pad_token: tokenName(tok, ids.pad),
      unk_token: tokenName(tok, tok.unkId), cls_token: tokenName(tok, tok.clsId), sep_token: tokenName(tok, tok.sepId),
      mask_token: tokenName(tok, tok.maskId),
      clean_up_tokenization_spaces: false,
    });
    writeJsonAtomic(join(tmp, HF_FILES.generationConfig), {
      bos_token_id: ids.bos ?? null, eos_token_id: ids.eos ?? null, pad_token_id: ids.pad ?? null,
    });
    const written: string[] = [HF_FILES.config, HF_FILES.model, HF_FILES.tokenizer, HF_FILES.tokenizerConfig, HF_FILES.generationConfig];
    if (o.format === 'onnx') {
      mkdirSync(join(tmp, 'onnx'));
      writeFileAtomic(join(tmp, HF_FILES.onnx), gpt2Onnx(c, tensors, { producer: 'slmkit', opset: ONNX_OPSET }));
      written.push(HF_FILES.onnx);
    }
    return written;
  });
  return { out: o.out, format: o.format, files, parameters: model.numParameters(), tied: c.tieWeights };
}

export interface ImportReport {
  out: string;
  from: string;
  model: TransformerConfig;
  parameters: number;
  step: number;
}

/** Reads a GPT-2-layout folder (config.json, model.safetensors, tokenizer.json) into a run folder. */
export async function importModel(dir: string, o: { out: string; force?: boolean; tokenizer?: string }): Promise<ImportReport> {
  if (!existsSync(dir)) throw new CheckpointError(`model folder not found: ${dir}`, 'pass a folder holding config.json, model.safetensors and tokenizer.json');
  if (!statSync(dir).isDirectory()) throw new CheckpointError(`${dir} is a file, not a model folder`, 'pass the folder that holds config.json');
  const need = (name: string, hint: string): string => {
    const p = join(dir, name);
    if (!existsSync(p)) throw new CheckpointError(`${p} is missing: a GPT-2 model folder holds config.json, model.safetensors and tokenizer.json`, hint);
    return p;
  };
  const configPath = need(HF_FILES.config, 'save the model with save_pretrained, or export it with slm export --format hf');
  const cfg = transformerConfigFromGpt2(readJson<unknown>(configPath, 'model config'), configPath);
  const weightsPath = need(HF_FILES.model, existsSync(join(dir, 'pytorch_model.bin'))
    ? 'the folder has pytorch_model.bin (a pickle, which slmkit does not read): save it again with save_pretrained(DIR, safe_serialization=True)'
    : 'the weights are in model.safetensors; save them with save_pretrained or scripts/ddp/train_gpt2.py');
  const tokPath = o.tokenizer ?? need(HF_FILES.tokenizer, 'pass the tokenizer the model was trained with: --tokenizer PATH/tokenizer.json');
  const tokenizer = tokenizerFromJson(readJson<object>(tokPath, 'tokenizer'), { source: tokPath });
  if (tokenizer.vocabSize !== cfg.vocabSize) {
    throw new ConfigError(`the tokenizer ${tokPath} has ${tokenizer.vocabSize} tokens but ${configPath} says vocab_size ${cfg.vocabSize}`,
      'the tokenizer does not belong to this model: pass the one it was trained with (--tokenizer PATH)');
  }
  const { tensors, metadata } = loadSafetensors(weightsPath);
  const sd = fromGpt2Tensors(cfg, tensors, weightsPath);
  const model = withoutRandomInit(() => new Transformer(cfg));
  try {
    model.loadStateDict(sd);
  } catch (err) {
    throw new CheckpointError(`${weightsPath} does not fit ${configPath}: ${(err as Error).message}`, err instanceof SlmError ? err.hint : undefined);
  }
  const step = Number.isInteger(Number(metadata.step)) ? Number(metadata.step) : 0;
  await writeFolderAtomic(o.out, o.force ?? false, (tmp) => {
    writeJsonAtomic(join(tmp, RUN_FILES.config), { model: cfg, imported: { from: resolve(dir), format: 'gpt2' } });
    saveModelWeights(tmp, model, step);
    writeFileAtomic(join(tmp, RUN_FILES.tokenizer), readFileSync(tokPath));
  });
  return { out: o.out, from: dir, model: cfg, parameters: model.numParameters(), step };
}
