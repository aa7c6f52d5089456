/**
 * The transformer's key/value cache, for generation: each layer keeps the keys and values of the
 * positions read so far, so a new token costs one position (its projections, and one query row
 * against the cached keys) instead of the whole prefix. A prefill runs the ordinary causal
 * attention op over the prompt and stores its keys and values; each step after it attends one
 * query with three kernel calls per head (scores, softmax, weighted sum). Position embeddings are
 * absolute, so once the window is full and the oldest token must go, every position shifts and
 * the cache is rebuilt from the window (a prefill): exactly what forward() on that window gives.
 */
import { kernels } from '../backend/index.js';
import * as F from '../ops/index.js';
import { ShapeError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { checkWindow, inEvalMode } from './decoder.js';
import type { Decoder } from './model.js';
import type { Transformer } from './transformer.js';

/** One layer's cache: k and v (H,L,D), L = capacity; positions [0, length) hold data. */
export class LayerKV {
  readonly k: Float32Array;
  readonly v: Float32Array;
  length = 0;
  private readonly scores: Float32Array; // (L) one query's attention logits
  private readonly probs: Float32Array; // (L) their softmax

  constructor(readonly heads: number, readonly headDim: number, readonly capacity: number) {
    const n = heads * capacity * headDim;
    this.k = new Float32Array(n);
    this.v = new Float32Array(n);
    this.scores = new Float32Array(capacity);
    this.probs = new Float32Array(capacity);
  }

  /**
   * q, k, v (1,T,C) for the T positions after those held → attention output (1,T,C); stores k and
   * v. An empty cache takes any T (a prefill); after that, one position at a time.
   */
  attend(q: Tensor, k: Tensor, v: Tensor): Tensor {
    const [B, T] = q.shape as [number, number, number];
    const start = this.length;
    if (B !== 1) throw new ShapeError(`LayerKV.attend: the cache holds one sequence, got a batch of ${B}`);
    if (start + T > this.capacity) {
      throw new ShapeError(`LayerKV.attend: ${start} cached + ${T} new positions exceed the capacity ${this.capacity}`);
    }
    if (start > 0 && T !== 1) {
      throw new ShapeError(`LayerKV.attend: after the prefill, positions come one at a time, got ${T}`, 'clear() and prefill instead');
    }
    this.store(k.f32('cached k'), this.k, start, T);
    this.store(v.f32('cached v'), this.v, start, T);
    this.length = start + T;
    if (start === 0) return F.causalAttention(q, k, v, this.heads, null);
    return this.attendLast(q.f32('cached q'));
  }

  /** Copies src (T,H,D) into dst (H,L,D) at positions [start, start + T). */
  private store(src: Float32Array, dst: Float32Array, start: number, T: number): void {
    const H = this.heads;
    const D = this.headDim;
    const L = this.capacity;
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < H; h++) {
        const from = (t * H + h) * D;
        dst.set(src.subarray(from, from + D), (h * L + start + t) * D);
      }
    }
  }

  /** q (H,D) of the newest position, which sees every cached one → (1,1,C). */
  private attendLast(q: Float32Array): Tensor {
    const kern = kernels();
    const H = this.heads;
    const D = this.headDim;
    const L = this.capacity;
    const n = this.length;
    const out = new Float32Array(H * D);
    const s = this.scores.subarray(0, n); // (n)
    const p = this.probs.subarray(0, n); // (n)
    for (let h = 0; h < H; h++) {
      const qh = q.subarray(h * D, (h + 1) * D); // (1,D)
      const kh = this.k.subarray(h * L * D, (h * L + n) * D); // (n,D)
      const vh = this.v.subarray(h * L * D, (h * L + n) * D); // (n,D)
      kern.sgemm(false, true, 1, n, D, qh, kh, s, false); // s (1,n) = q_h k_h^T
      kern.scaleShift(s, 1 / Math.sqrt(D), 0, s);
      kern.softmaxForward(s, p, 1, n);
      kern.sgemm(false, false, 1, D, n, p, vh, out.subarray(h * D, (h + 1) * D), false); // (1,D) = p v_h
    }
    return new Tensor(out, [1, 1, H * D]);
  }
}

/** Every layer's cache, filled together (all layers hold the same positions). */
export class KVCache {
  readonly layers: LayerKV[];
  constructor(layers: number, heads: number, headDim: number, capacity: number) {
    if (layers < 1) throw new ShapeError(`KVCache: a model of ${layers} layers has nothing to cache`, 'decode it with forwardDecoder');
    this.layers = Array.from({ length: layers }, () => new LayerKV(heads, headDim, capacity));
  }

  /** Positions held (the next position's index). */
  get length(): number {
    return this.layers[0]!.length;
  }

  clear(): void {
    for (const l of this.layers) l.length = 0;
  }
}

/** The transformer's Decoder: a KVCache and the window of ids it holds (to rebuild it once full). */
export class TransformerDecoder implements Decoder {
  readonly contextSize: number;
  private readonly cache: KVCache;
  private window: number[] = [];

  constructor(private readonly model: Transformer) {
    const c = model.config;
    this.contextSize = model.contextSize;
    this.cache = new KVCache(c.layers, c.heads, c.embedDim / c.heads, c.maxLen);
  }

  get length(): number {
    return this.window.length;
  }

  prefill(ids: readonly number[]): Float32Array {
    checkWindow(ids, this.contextSize, 'TransformerDecoder');
    this.window = [];
    this.cache.clear();
    const logits = this.read(ids);
    this.window = [...ids];
    return logits;
  }

  step(id: number): Float32Array {
    if (this.window.length === 0) throw new ShapeError('TransformerDecoder.step: nothing read yet', 'call prefill(ids) first');
    if (this.window.length < this.contextSize) {
      const logits = this.read([id]);
      this.window.push(id);
      return logits;
    }
    return this.prefill([...this.window.slice(1), id]);
  }

  /** Reads ids at the next positions → logits (V) of the last one. */
  private read(ids: readonly number[]): Float32Array {
    const m = this.model;
    return inEvalMode(m, () => {
      const T = ids.length;
      const C = m.config.embedDim;
      const x = m.hidden(new Tensor(Int32Array.from(ids), [1, T]), null, this.cache); // (1,T,C)
      const last = new Tensor(x.f32().slice((T - 1) * C, T * C), [1, 1, C]); // only the last row needs the head
      return m.project(last).f32().slice(); // (V)
    });
  }
}
