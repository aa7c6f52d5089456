/**
 * The GPT-2 layout of Hugging Face (model_type gpt2) and slmkit's pre-LN transformer are the same
 * network: learned token and position embeddings, blocks x + attn(ln_1(x)), x + mlp(ln_2(x)) with
 * a GELU MLP of width 4C, a final ln_f, and an output layer tied to the token embedding or not.
 * This file maps one onto the other, browser-safe (tensors and JSON, no files):
 * - names: tok_emb → transformer.wte, pos_emb → wpe, blocks.N → h.N (ln1 → ln_1, ff.0 → mlp.c_fc,
 *   ff.2 → mlp.c_proj, attn.proj → attn.c_proj), ln_f → ln_f, head → lm_head;
 * - layout: GPT-2's Conv1D stores (in, out), the transpose of a Linear's (out, in), and c_attn
 *   holds query, key and value side by side (C, 3C) where slmkit has three Linears;
 * - config.json: n_embd, n_head, n_layer, n_positions, vocab_size, activation_function "gelu"
 *   (HF's exact erf GELU, which slmkit trains; "gelu_new", the tanh approximation of the original
 *   GPT-2, is another function), layer_norm_epsilon 1e-5, tie_word_embeddings.
 * What GPT-2 cannot say is refused with the reason: the post-LN variant (OpenAI GPT, HF's post-LN
 * architecture, has the same block layout but computes "gelu" as the tanh approximation), and an
 * untied output layer with a bias (GPT-2's lm_head has none).
 */
import type { TransformerConfig } from '../models/transformer.js';
import { CheckpointError, ConfigError, formatShape } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';

/** The config.json fields slmkit writes and reads (snake_case, as Hugging Face names them). */
export interface Gpt2Json {
  model_type: 'gpt2';
  architectures: string[];
  vocab_size: number;
  n_positions: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  n_inner: number | null;
  activation_function: string;
  resid_pdrop: number;
  embd_pdrop: number;
  attn_pdrop: number;
  layer_norm_epsilon: number;
  initializer_range: number;
  scale_attn_weights: boolean;
  scale_attn_by_inverse_layer_idx: boolean;
  reorder_and_upcast_attn: boolean;
  tie_word_embeddings: boolean;
  use_cache: boolean;
  bos_token_id: number | null;
  eos_token_id: number | null;
  pad_token_id: number | null;
  torch_dtype: 'float32';
}

export interface SpecialIds {
  bos: number | undefined;
  eos: number | undefined;
  pad: number | undefined;
}

/** LayerNorm epsilon of every slmkit LayerNorm (PyTorch's default). */
export const LAYER_NORM_EPS = 1e-5;

/**
 * Why a transformer configuration cannot be written as GPT-2, or null when it can. `headBiasMax`
 * is the largest |bias| of an untied head (0 when it has none).
 */
export function gpt2Refusal(c: TransformerConfig, headBiasMax: number): string | null {
  if (c.variant !== 'pre-ln') {
    return 'the post-ln variant (the workshop\'s blocks) has no exact Hugging Face architecture: OpenAI GPT (model_type openai-gpt) '
      + 'has the same post-LN block and no final LayerNorm, but its activation "gelu" is the tanh approximation (gelu_new), '
      + 'not the exact erf GELU slmkit trains, and its lm_head has no bias; only variant pre-ln exports (as GPT-2)';
  }
  if (!c.tieWeights && headBiasMax !== 0) {
    return `GPT-2's lm_head has no bias, and this run's untied output layer has one (largest |b| ${headBiasMax.toPrecision(3)}); `
      + 'train with --tie-weights (GPT-2\'s choice) or --no-head-bias to export';
  }
  return null;
}

/** config.json for a pre-LN transformer. */
export function gpt2ConfigJson(c: TransformerConfig, ids: SpecialIds): Gpt2Json {
  return {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    vocab_size: c.vocabSize,
    n_positions: c.maxLen,
    n_embd: c.embedDim,
    n_layer: c.layers,
    n_head: c.heads,
    n_inner: null,
    activation_function: 'gelu',
    resid_pdrop: c.dropout,
    embd_pdrop: c.dropout,
    attn_pdrop: 0, // slmkit drops residual branches and embeddings, never attention weights
    layer_norm_epsilon: LAYER_NORM_EPS,
    initializer_range: 0.02,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    reorder_and_upcast_attn: false,
    tie_word_embeddings: c.tieWeights,
    use_cache: true,
    bos_token_id: ids.bos ?? null,
    eos_token_id: ids.eos ?? null,
    pad_token_id: ids.pad ?? null,
    torch_dtype: 'float32',
  };
}

function transpose2d(t: Tensor): Tensor {
  const [r, c] = t.shape as [number, number];
  const src = t.f32();
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = src[i * c + j]!;
  return new Tensor(out, [c, r]);
}

/** Linear (out,in) weights side by side as one Conv1D (in, out₁+out₂+…). */
function conv1dOf(...linears: Tensor[]): Tensor {
  const t = linears.map(transpose2d); // each (in, out_k)
  const rows = t[0]!.shape[0]!;
  const width = t.reduce((a, x) => a + x.shape[1]!, 0);
  const out = new Float32Array(rows * width);
  let col = 0;
  for (const x of t) {
    const w = x.shape[1]!;
    const src = x.f32();
    for (let i = 0; i < rows; i++) out.set(src.subarray(i * w, (i + 1) * w), i * width + col);
    col += w;
  }
  return new Tensor(out, [rows, width]);
}

function concat1d(...ts: Tensor[]): Tensor {
  const out = new Float32Array(ts.reduce((a, t) => a + t.size, 0));
  let at = 0;
  for (const t of ts) {
    out.set(t.f32(), at);
    at += t.size;
  }
  return new Tensor(out, [out.length]);
}

/** slmkit's state dict (parameter name → tensor) as GPT-2's, names prefixed as GPT2LMHeadModel saves them. */
export function toGpt2Tensors(c: TransformerConfig, sd: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
  const get = (n: string) => {
    const t = sd[n];
    if (!t) throw new CheckpointError(`the model has no parameter ${n}`, 'is this a transformer run?');
    return t;
  };
  const out: Record<string, Tensor> = {
    'transformer.wte.weight': get('tok_emb.weight'),
    'transformer.wpe.weight': get('pos_emb.weight'),
    'transformer.ln_f.weight': get('ln_f.weight'),
    'transformer.ln_f.bias': get('ln_f.bias'),
  };
  for (let i = 0; i < c.layers; i++) {
    const b = `blocks.${i}.`;
    const h = `transformer.h.${i}.`;
    out[`${h}ln_1.weight`] = get(`${b}ln1.weight`);
    out[`${h}ln_1.bias`] = get(`${b}ln1.bias`);
    out[`${h}attn.c_attn.weight`] = conv1dOf(get(`${b}attn.query.weight`), get(`${b}attn.key.weight`), get(`${b}attn.value.weight`));
    out[`${h}attn.c_attn.bias`] = concat1d(get(`${b}attn.query.bias`), get(`${b}attn.key.bias`), get(`${b}attn.value.bias`));
    out[`${h}attn.c_proj.weight`] = conv1dOf(get(`${b}attn.proj.weight`));
    out[`${h}attn.c_proj.bias`] = get(`${b}attn.proj.bias`);
    out[`${h}ln_2.weight`] = get(`${b}ln2.weight`);
    out[`${h}ln_2.bias`] = get(`${b}ln2.bias`);
    out[`${h}mlp.c_fc.weight`] = conv1dOf(get(`${b}ff.0.weight`));
    out[`${h}mlp.c_fc.bias`] = get(`${b}ff.0.bias`);
    out[`${h}mlp.c_proj.weight`] = conv1dOf(get(`${b}ff.2.weight`));
    out[`${h}mlp.c_proj.bias`] = get(`${b}ff.2.bias`);
  }
  if (!c.tieWeights) out['lm_head.weight'] = get('head.weight'); // nn.Linear (V,C): the same layout
  return out;
}

/**
 * A GPT-2 config.json as slmkit's transformer configuration; a ConfigError naming `source` and
 * the field for anything slmkit's pre-LN block does not compute exactly.
 */
export function transformerConfigFromGpt2(raw: unknown, source: string): TransformerConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${source} is not a JSON object`);
  const j = raw as Record<string, unknown>;
  if (j.model_type !== 'gpt2') {
    throw new ConfigError(`${source} has model_type ${JSON.stringify(j.model_type)}; slm import reads the GPT-2 layout (model_type "gpt2")`,
      'export the model as GPT-2 (GPT2LMHeadModel.save_pretrained, or scripts/ddp/train_gpt2.py)');
  }
  const int = (k: string, dflt?: number): number => {
    const v = j[k] ?? dflt;
    if (!(typeof v === 'number' && Number.isInteger(v) && v > 0)) throw new ConfigError(`${source}: ${k} must be a positive whole number, got ${JSON.stringify(j[k])}`);
    return v;
  };
  const bad = (what: string) => new ConfigError(`${source}: ${what}, which slmkit's transformer does not compute`,
    'slm import reads GPT-2 models with activation_function "gelu", n_inner 4·n_embd, layer_norm_epsilon 1e-5 and scaled attention');
  const C = int('n_embd', 768);
  const H = int('n_head', 12);
  if (C % H !== 0) throw new ConfigError(`${source}: n_embd ${C} is not divisible by n_head ${H}`);
  const act = j.activation_function ?? 'gelu_new';
  if (act !== 'gelu') {
    throw bad(`activation_function is ${JSON.stringify(act)}${act === 'gelu_new' ? ' (the tanh approximation of GELU)' : ''}, not "gelu" (the exact erf GELU)`);
  }
  if (j.n_inner !== undefined && j.n_inner !== null && j.n_inner !== 4 * C) throw bad(`n_inner is ${j.n_inner}, not 4·n_embd = ${4 * C}`);
  const eps = j.layer_norm_epsilon ?? 1e-5;
  if (typeof eps !== 'number' || Math.abs(eps - LAYER_NORM_EPS) > 1e-12) throw bad(`layer_norm_epsilon is ${JSON.stringify(eps)}, not 1e-5`);
  if (j.scale_attn_weights === false) throw bad('scale_attn_weights is false');
  if (j.scale_attn_by_inverse_layer_idx === true) throw bad('scale_attn_by_inverse_layer_idx is true');
  if (j.add_cross_attention === true) throw bad('add_cross_attention is true');
  const p = j.resid_pdrop ?? 0.1;
  const dropout = typeof p === 'number' && p >= 0 && p < 1 ? p : 0;
  return {
    type: 'transformer', vocabSize: int('vocab_size', 50257), embedDim: C, heads: H, layers: int('n_layer', 12),
    maxLen: int('n_positions', 1024), dropout, variant: 'pre-ln', tieWeights: j.tie_word_embeddings !== false, headBias: false, init: 'auto',
  };
}

/** GPT-2 tensors (with or without the "transformer." prefix) as slmkit's state dict; shapes checked against `c`. */
export function fromGpt2Tensors(c: TransformerConfig, tensors: Readonly<Record<string, Tensor>>, source: string): Record<string, Tensor> {
  const C = c.embedDim;
  const used = new Set<string>();
  const get = (name: string, shape: number[], why: string): Tensor => {
    const key = Object.hasOwn(tensors, `transformer.${name}`) ? `transformer.${name}` : name;
    const t = tensors[key];
    if (!t) throw new CheckpointError(`${source} has no tensor ${name} (looked for transformer.${name} and ${name})`, 'the file is incomplete or not a GPT-2 model');
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new CheckpointError(`${source}: ${key} has shape ${formatShape(t.shape)} but config.json says ${formatShape(shape)} (${why})`,
        'the weights and config.json come from different models');
    }
    used.add(key);
    return t;
  };
  const split3 = (w: Tensor): Tensor[] => { // (C, 3C) → three Linear weights (C, C)
    const src = w.f32();
    return [0, 1, 2].map((k) => {
      const out = new Float32Array(C * C);
      for (let i = 0; i < C; i++) for (let o = 0; o < C; o++) out[o * C + i] = src[i * 3 * C + k * C + o]!;
      return new Tensor(out, [C, C]);
    });
  };
  const sd: Record<string, Tensor> = {
    'tok_emb.weight': get('wte.weight', [c.vocabSize, C], 'vocab_size × n_embd'),
    'pos_emb.weight': get('wpe.weight', [c.maxLen, C], 'n_positions × n_embd'),
    'ln_f.weight': get('ln_f.weight', [C], 'n_embd'),
    'ln_f.bias': get('ln_f.bias', [C], 'n_embd'),
  };
  for (let i = 0; i < c.layers; i++) {
    const h = `h.${i}.`;
    const b = `blocks.${i}.`;
    sd[`${b}ln1.weight`] = get(`${h}ln_1.weight`, [C], 'n_embd');
    sd[`${b}ln1.bias`] = get(`${h}ln_1.bias`, [C], 'n_embd');
    const [q, k, v] = split3(get(`${h}attn.c_attn.weight`, [C, 3 * C], 'n_embd × 3·n_embd'));
    const qkvBias = get(`${h}attn.c_attn.bias`, [3 * C], '3·n_embd').f32();
    sd[`${b}attn.query.weight`] = q!;
    sd[`${b}attn.key.weight`] = k!;
    sd[`${b}attn.value.weight`] = v!;
    sd[`${b}attn.query.bias`] = new Tensor(qkvBias.slice(0, C), [C]);
    sd[`${b}attn.key.bias`] = new Tensor(qkvBias.slice(C, 2 * C), [C]);
    sd[`${b}attn.value.bias`] = new Tensor(qkvBias.slice(2 * C), [C]);
    sd[`${b}attn.proj.weight`] = transpose2d(get(`${h}attn.c_proj.weight`, [C, C], 'n_embd × n_embd'));
    sd[`${b}attn.proj.bias`] = get(`${h}attn.c_proj.bias`, [C], 'n_embd');
    sd[`${b}ln2.weight`] = get(`${h}ln_2.weight`, [C], 'n_embd');
    sd[`${b}ln2.bias`] = get(`${h}ln_2.bias`, [C], 'n_embd');
    sd[`${b}ff.0.weight`] = transpose2d(get(`${h}mlp.c_fc.weight`, [C, 4 * C], 'n_embd × 4·n_embd'));
    sd[`${b}ff.0.bias`] = get(`${h}mlp.c_fc.bias`, [4 * C], '4·n_embd');
    sd[`${b}ff.2.weight`] = transpose2d(get(`${h}mlp.c_proj.weight`, [4 * C, C], '4·n_embd × n_embd'));
    sd[`${b}ff.2.bias`] = get(`${h}mlp.c_proj.bias`, [C], 'n_embd');
  }
  if (!c.tieWeights) {
    const t = tensors['lm_head.weight'];
    if (!t) throw new CheckpointError(`${source} has no lm_head.weight, and config.json says tie_word_embeddings false`, 'the file is incomplete');
    used.add('lm_head.weight');
    sd['head.weight'] = get('lm_head.weight', [c.vocabSize, C], 'vocab_size × n_embd');
  } else if (tensors['lm_head.weight']) used.add('lm_head.weight'); // tied: GPT2LMHeadModel uses wte whatever the file holds
  // The causal-mask buffers older checkpoints saved are not parameters.
  const extra = Object.keys(tensors).filter((k) => !used.has(k) && !/(^|\.)attn\.(bias|masked_bias)$/.test(k));
  if (extra.length > 0) {
    throw new CheckpointError(`${source} holds tensors a GPT-2 of this config.json has no place for: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? `, … (${extra.length})` : ''}`,
      'config.json and the weights disagree (n_layer?), or the model is not a plain GPT2LMHeadModel');
  }
  return sd;
}
