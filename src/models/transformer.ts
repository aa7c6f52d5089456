/**
 * A small decoder-only transformer, as the workshop's next notebook builds it, in two variants:
 * - `post-ln` (the workshop's): z = LN1(x + attn(x)); out = LN2(z + ff(z)).
 * - `pre-ln` (GPT-2): z = x + attn(LN1(x)); out = z + ff(LN2(z)); a final LayerNorm before the head;
 *   optionally the output layer shares the token embedding's weight.
 * Token + learned position embeddings; attention with separate query, key and value projections
 * (the workshop's code reuses the key projection for v; this one uses the value projection) and an
 * output projection; a GELU MLP of width 4C; dropout on embeddings and on each residual branch.
 * Padding (mask 0) neither attends nor is attended to. Generation reads one token at a time
 * through a key/value cache (kvcache.ts) that the same forward code fills.
 */
import * as F from '../ops/index.js';
import { Dropout, Embedding, GELU, LayerNorm, Linear, Sequential } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { ConfigError, formatShape, ShapeError } from '../tensor/errors.js';
import { defaultRng, type Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';
import { type KVCache, type LayerKV, TransformerDecoder } from './kvcache.js';
import { defineFamily, linearHeadBytes } from './family.js';
import { initGpt2, type InitScheme } from './init.js';
import type { Decoder, FusedHead, LanguageModel } from './model.js';

export interface TransformerConfig {
  type: 'transformer';
  vocabSize: number;
  /** Embedding width C (workshop: 128). */
  embedDim: number;
  /** Attention heads H; C must divide by H (workshop: 4). */
  heads: number;
  /** Number of blocks (workshop: 6). */
  layers: number;
  /** Longest sequence the position embedding covers (workshop: 512). */
  maxLen: number;
  /** Dropout probability (workshop: 0.2). */
  dropout: number;
  /** 'post-ln' (workshop) or 'pre-ln' (GPT-2). */
  variant: 'post-ln' | 'pre-ln';
  /** Share the token embedding with the output layer (pre-ln only). */
  tieWeights: boolean;
  /** A bias on the untied output layer (the workshop's Linear has one; GPT-2's lm_head has none). */
  headBias: boolean;
  /** Initialisation: 'pytorch' (each layer's default, the workshop's), 'gpt2' (nanoGPT's), 'auto' (gpt2 for pre-ln, pytorch for post-ln). */
  init: 'auto' | InitScheme;
}

/** The scheme 'auto' stands for: GPT-2's for GPT-2's blocks, PyTorch's for the workshop's. */
export function initScheme(c: Pick<TransformerConfig, 'init' | 'variant'>): InitScheme {
  return c.init !== 'auto' ? c.init : c.variant === 'pre-ln' ? 'gpt2' : 'pytorch';
}

/** Sequences laid end to end in one (1,N,C) row: sequence s on rows [offsets[s], offsets[s+1]). */
export class Segments {
  constructor(readonly offsets: Int32Array) {}
}

export class CausalSelfAttention extends Module {
  readonly typeName: string = 'CausalSelfAttention';
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly proj: Linear;
  /**
   * Sees each forward's queries and keys (1,T,C) when set: how models/inspect.ts draws attention
   * maps without a second copy of the forward pass. Null (the default) costs nothing.
   */
  probe: ((q: Tensor, k: Tensor) => void) | null = null;
  constructor(readonly embedDim: number, readonly heads: number, rng: Rng) {
    super();
    if (embedDim % heads !== 0) throw new ConfigError(`embedDim ${embedDim} is not divisible by heads ${heads}`);
    this.query = this.child('query', new Linear(embedDim, embedDim, { rng }));
    this.key = this.child('key', new Linear(embedDim, embedDim, { rng }));
    this.value = this.child('value', new Linear(embedDim, embedDim, { rng }));
    this.proj = this.child('proj', new Linear(embedDim, embedDim, { rng }));
  }

  /**
   * x (B,T,C), mask (B,T) or null → (B,T,C); with kv (B = 1), x follows the cached positions; with
   * segments, x (1,N,C) holds sequences end to end (see F.causalAttentionSegments).
   */
  forward(x: Tensor, mask: Tensor | Segments | null, kv?: LayerKV): Tensor {
    const q = this.query.forward(x);
    const k = this.key.forward(x);
    const v = this.value.forward(x);
    this.probe?.(q, k);
    const y = kv ? kv.attend(q, k, v)
      : mask instanceof Segments ? F.causalAttentionSegments(q, k, v, this.heads, mask.offsets)
        : F.causalAttention(q, k, v, this.heads, mask);
    return this.proj.forward(y);
  }
}

export class Block extends Module {
  readonly typeName: string = 'Block';
  readonly attn: CausalSelfAttention;
  readonly ln1: LayerNorm;
  readonly ff: Sequential;
  readonly ln2: LayerNorm;
  readonly drop: Dropout;
  constructor(readonly cfg: TransformerConfig, rng: Rng, index = 0) {
    super();
    const C = cfg.embedDim;
    this.attn = this.child('attn', new CausalSelfAttention(C, cfg.heads, rng));
    this.ln1 = this.child('ln1', new LayerNorm(C));
    this.ff = this.child('ff', new Sequential(
      new Linear(C, 4 * C, { rng }), new GELU(), new Linear(4 * C, C, { rng })));
    this.ln2 = this.child('ln2', new LayerNorm(C));
    this.drop = this.child('drop', new Dropout(cfg.dropout, rng.fork(`block-dropout-${index}`)));
  }

  /** x (B,T,C) → (B,T,C); kv: this layer's cache, mask or segments: see CausalSelfAttention. */
  forward(x: Tensor, mask: Tensor | Segments | null, kv?: LayerKV): Tensor {
    if (this.cfg.variant === 'post-ln') {
      const z = this.ln1.forward(F.add(x, this.drop.forward(this.attn.forward(x, mask, kv))));
      return this.ln2.forward(F.add(z, this.drop.forward(this.ff.forward(z))));
    }
    const z = F.add(x, this.drop.forward(this.attn.forward(this.ln1.forward(x), mask, kv)));
    return F.add(z, this.drop.forward(this.ff.forward(this.ln2.forward(z))));
  }
}

export class Transformer extends Module implements LanguageModel {
  readonly typeName: string = 'Transformer';
  readonly tokEmb: Embedding;
  readonly posEmb: Embedding;
  readonly drop: Dropout;
  readonly blocks: Block[];
  readonly lnF: LayerNorm | null;
  readonly head: Linear | null;

  get contextSize(): number {
    return this.config.maxLen;
  }

  get maxSequence(): number {
    return this.config.maxLen;
  }

  constructor(readonly config: TransformerConfig, rng: Rng = defaultRng()) {
    super();
    const c = config;
    if (c.tieWeights && c.variant !== 'pre-ln') throw new ConfigError('tieWeights needs variant pre-ln');
    if (c.tieWeights && initScheme(c) !== 'gpt2') throw new ConfigError('tieWeights needs init gpt2 (or auto): PyTorch\'s N(0, 1) embedding would make the first logits huge');
    this.tokEmb = this.child('tok_emb', new Embedding(c.vocabSize, c.embedDim, rng));
    this.posEmb = this.child('pos_emb', new Embedding(c.maxLen, c.embedDim, rng));
    this.drop = this.child('drop', new Dropout(c.dropout, rng.fork('emb-dropout')));
    this.blocks = [];
    for (let i = 0; i < c.layers; i++) this.blocks.push(this.child(`blocks.${i}`, new Block(c, rng, i)));
    this.lnF = c.variant === 'pre-ln' ? this.child('ln_f', new LayerNorm(c.embedDim)) : null;
    this.head = c.tieWeights ? null : this.child('head', new Linear(c.embedDim, c.vocabSize, { rng, bias: c.headBias }));
    if (initScheme(c) === 'gpt2') initGpt2(this, rng, c.layers, (n) => /\.(attn\.proj|ff\.2)\.weight$/.test(n));
  }

  /** ids (B,T), mask (B,T) or null → logits (B,T,V). */
  forward(ids: Tensor, mask: Tensor | null = null): Tensor {
    return this.project(this.hidden(ids, mask)); // (B,T,C) → (B,T,V)
  }

  /** The output layer: hidden (B,T,C) → logits (B,T,V). */
  project(x: Tensor): Tensor {
    if (this.head) return this.head.forward(x);
    return F.matmul(x, this.tokEmb.weight, { transB: true }); // tied: x @ tok_emb^T
  }

  /** A key/value-cached decoder for generation. */
  decoder(): Decoder {
    return new TransformerDecoder(this);
  }

  fusedHead(): FusedHead {
    return {
      kind: 'linear', positionwise: false, hidden: (ids, mask) => this.hidden(ids, mask),
      realHidden: (ids, mask) => this.realHidden(ids, mask),
      weight: this.head ? this.head.weight : this.tokEmb.weight, bias: this.head ? this.head.bias : null,
    };
  }

  /**
   * ids (B,T), mask (B,T) or null → the last hidden state (B,T,C), before the output layer.
   * With a cache (B = 1, no mask), ids are the positions after those it holds, and it keeps theirs.
   */
  hidden(ids: Tensor, mask: Tensor | null = null, cache?: KVCache): Tensor {
    if (ids.ndim !== 2) throw new ShapeError(`Transformer.forward: ids must be (B, T), got ${formatShape(ids.shape)}`);
    if (cache && mask) throw new ShapeError('Transformer.hidden: a cached sequence has no padding mask', 'pass mask null');
    const T = ids.shape[1]!;
    const start = cache ? cache.length : 0;
    if (start + T > this.config.maxLen) {
      throw new ShapeError(`Transformer.forward: sequence of ${start + T} tokens is longer than maxLen ${this.config.maxLen}`,
        'truncate the input or train with a larger maxLen');
    }
    const pos = new Tensor(Int32Array.from({ length: T }, (_, i) => start + i), [T]);
    return this.blocksFrom(ids, pos, mask, cache);
  }

  /**
   * The hidden states (1,N,C) of a right-padded batch's N real positions alone, row after row
   * (`rows`: the flat b·T + t position of each), or null when the mask has no padding to skip or
   * is not right padding. Every real position's state is the one hidden() gives it: padding is
   * only ever masked out of attention, so the blocks never need it, and a batch with a third of
   * its positions padded (the notebook's) costs a third less in every position-wise layer.
   */
  realHidden(ids: Tensor, mask: Tensor | null): { hidden: Tensor; rows: Int32Array } | null {
    if (!mask || ids.ndim !== 2 || mask.ndim !== 2 || mask.shape[0] !== ids.shape[0] || mask.shape[1] !== ids.shape[1]) return null;
    const [B, T] = ids.shape as [number, number];
    if (T > this.config.maxLen) return null; // hidden() says why
    const lengths = F.rightPaddedLengths(mask);
    if (typeof lengths === 'string') return null; // a real token after padding: hidden() handles any mask
    const offsets = new Int32Array(B + 1);
    for (let b = 0; b < B; b++) offsets[b + 1] = offsets[b]! + lengths[b]!;
    const N = offsets[B]!;
    if (N === B * T) return null;
    const rows = new Int32Array(N);
    const pos = new Int32Array(N);
    const sel = new Int32Array(N);
    const I = ids.i32('Transformer ids');
    for (let b = 0; b < B; b++) {
      for (let j = offsets[b]!, t = 0; j < offsets[b + 1]!; j++, t++) {
        rows[j] = b * T + t;
        pos[j] = t;
        sel[j] = I[b * T + t]!;
      }
    }
    return { hidden: this.blocksFrom(new Tensor(sel, [1, N]), new Tensor(pos, [N]), new Segments(offsets)), rows };
  }

  /** Embeddings of ids at positions pos, through every block (and the final LayerNorm). */
  private blocksFrom(ids: Tensor, pos: Tensor, mask: Tensor | Segments | null, cache?: KVCache): Tensor {
    let x = this.drop.forward(F.add(this.tokEmb.forward(ids), this.posEmb.forward(pos))); // (B,T,C)
    this.blocks.forEach((b, i) => {
      x = b.forward(x, mask, cache?.layers[i]);
    });
    if (this.lnF) x = this.lnF.forward(x);
    return x;
  }
}

export const transformerFamily = defineFamily<TransformerConfig>({
  kind: 'neural',
  type: 'transformer',
  title: "a decoder-only transformer: the workshop's post-LN blocks, or GPT-2's pre-LN",
  keys: {
    embedDim: { kind: 'int', min: 1, default: 128, doc: 'embedding width C (workshop: 128)' },
    heads: { kind: 'int', min: 1, default: 4, doc: 'attention heads H; C must divide by H (workshop: 4)' },
    layers: { kind: 'int', min: 1, default: 6, doc: 'transformer blocks (workshop: 6)' },
    maxLen: { kind: 'int', min: 1, default: 512, doc: "context length: positions the position embedding covers (workshop: 512, the tokenizer's truncation)" },
    dropout: { kind: 'number', min: 0, below: 1, default: 0.2, doc: 'dropout on embeddings and residual branches (workshop: 0.2)' },
    variant: { kind: 'choice', choices: ['post-ln', 'pre-ln'], default: 'post-ln', doc: 'post-ln (the workshop) or pre-ln (GPT-2) blocks' },
    tieWeights: { kind: 'bool', default: false, doc: 'share the token embedding with the output layer (GPT-2 does; pre-ln only)' },
    headBias: { kind: 'bool', default: true, doc: "a bias on the untied output layer (--no-head-bias: none, as GPT-2's lm_head; needed to export an untied head to Hugging Face)" },
    init: {
      kind: 'choice', choices: ['auto', 'pytorch', 'gpt2'], default: 'auto',
      doc: "initialisation: pytorch (each layer's default, the workshop's), gpt2 (N(0, 0.02), residual projections scaled by 1/√(2·layers)), auto (gpt2 for pre-ln, else pytorch)",
    },
  },
  check(c) {
    if (c.embedDim % c.heads !== 0) throw new ConfigError(`embedDim ${c.embedDim} is not divisible by heads ${c.heads}`, 'choose heads that divide the width, e.g. 4 for 128');
    if (c.tieWeights && c.variant !== 'pre-ln') throw new ConfigError('tieWeights needs variant pre-ln', 'add --variant pre-ln, or leave the weights untied');
    if (c.tieWeights && c.init === 'pytorch') {
      throw new ConfigError('tieWeights with init pytorch makes the output logits N(0, 1)-sized embeddings (a first loss near 60)', 'use --init gpt2 (or leave init at auto)');
    }
  },
  tiny: { embedDim: 8, heads: 2, layers: 2, maxLen: 16 },
  describe: (c) => `transformer ${c.variant} ${c.layers}×${c.embedDim}${c.tieWeights ? ' tied' : c.headBias ? '' : ' head without bias'}${initScheme(c) === 'gpt2' && c.variant === 'post-ln' ? ' gpt2-init' : ''}`,
  create: (c, rng) => new Transformer(c, rng),
  countParameters(c) {
    const C = c.embedDim;
    const block = 4 * (C * C + C) + 2 * 2 * C + (C * 4 * C + 4 * C) + (4 * C * C + C);
    const head = c.tieWeights ? 0 : C * c.vocabSize + (c.headBias ? c.vocabSize : 0);
    return c.vocabSize * C + c.maxLen * C + c.layers * block + (c.variant === 'pre-ln' ? 2 * C : 0) + head;
  },
  activationBytesPerRow(c, T) {
    const C = c.embedDim;
    // per block: q,k,v,attn out, proj, 2 residual sums, 2 LN outputs (9 C) + MLP 4C×2 + output C,
    // each with a gradient; attention probabilities (H,T,T) kept for backward (their gradient is
    // never materialised: the kernels work row by row).
    const perBlock = 2 * T * (18 * C) * 4 + c.heads * T * T * 4;
    return c.layers * perBlock + 6 * T * C * 4;
  },
  headBytes: (c, batchTokens) => linearHeadBytes(c.vocabSize, c.embedDim, batchTokens),
  training: { lr: 0.002, batchSize: 64 }, // the workshop's
});
