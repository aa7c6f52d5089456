/**
 * GPT-2 as an ONNX graph (opset 17), written by slmkit itself, with the inputs and outputs Hugging
 * Face's exporter gives a GPT-2 decoder with a cache, so transformers.js (and onnxruntime) run it
 * as they run any exported GPT-2:
 *   inputs   input_ids (B,S) int64, attention_mask (B,P+S) int64, position_ids (B,S) int64,
 *            past_key_values.N.key / .value (B,H,P,D) float32
 *   outputs  logits (B,S,V) float32, present.N.key / .value (B,H,P+S,D) float32
 * P is the number of cached positions (0 on the first call). The network is gpt2.ts's: embeddings
 * plus positions, pre-LN blocks (LayerNormalization, attention through c_attn's (C,3C) product
 * split into q, k, v, the exact erf GELU as 0.5·x·(1 + erf(x/√2))), ln_f, and logits against wte
 * (tied) or lm_head. A key is visible to a query when it is not after it (causal, counting the
 * cached positions) and its attention_mask is 1; masked scores take float32's lowest value, as
 * transformers does, so a row with no visible key gives no NaN.
 * The protobuf field numbers below are ONNX's (onnx.proto); protobuf.ts writes the bytes.
 */
import type { TransformerConfig } from '../models/transformer.js';
import { ConfigError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { LAYER_NORM_EPS } from './gpt2.js';
import { ProtoMessage } from './protobuf.js';

export const ONNX_OPSET = 17;
/** The IR version that goes with opset 17. */
const IR_VERSION = 8;
/** A protobuf message may not exceed 2 GB; larger models need ONNX's external data, not written here. */
const MAX_ONNX_BYTES = 2 ** 31 - 2 ** 24;

const FLOAT = 1;
const INT64 = 7;
const BOOL = 9;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

type Dim = number | string;
type AttrValue = { float: number } | { int: number } | { ints: number[] };

/** A graph under construction: nodes in order, initializers, and the names it has handed out. */
class GraphBuilder {
  readonly nodes: ProtoMessage[] = [];
  readonly inits: ProtoMessage[] = [];
  private readonly named = new Set<string>();
  private n = 0;

  /** Adds a node; returns its output names (fresh unless given). */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs?: string[]): string[] {
    const outs = outputs ?? [`${op.toLowerCase()}_${this.n}`];
    const m = new ProtoMessage();
    for (const i of inputs) m.string(1, i);
    for (const o of outs) m.string(2, o);
    m.string(3, `${op}_${this.n++}`).string(4, op);
    for (const [name, v] of Object.entries(attrs)) {
      const a = new ProtoMessage().string(1, name);
      if ('float' in v) a.float(2, v.float).int(20, ATTR_FLOAT);
      else if ('int' in v) a.int(3, v.int).int(20, ATTR_INT);
      else a.packedInts(8, v.ints).int(20, ATTR_INTS);
      m.message(5, a);
    }
    this.nodes.push(m);
    return outs;
  }

  one(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.node(op, inputs, attrs)[0]!;
  }

  /** A float32 initializer from a tensor's data (little-endian, as every platform slmkit runs on). */
  floats(name: string, dims: number[], data: Float32Array): string {
    if (this.named.has(name)) return name; // a tied weight is stored once
    this.named.add(name);
    const m = new ProtoMessage().packedInts(1, dims).int(2, FLOAT).string(8, name);
    m.bytesField(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.inits.push(m);
    return name;
  }

  ints(name: string, dims: number[], values: number[]): string {
    const raw = new Uint8Array(values.length * 8);
    const dv = new DataView(raw.buffer);
    values.forEach((v, i) => dv.setBigInt64(8 * i, BigInt(v), true));
    this.inits.push(new ProtoMessage().packedInts(1, dims).int(2, INT64).string(8, name).bytesField(9, raw));
    return name;
  }
}

function valueInfo(name: string, elemType: number, dims: Dim[]): ProtoMessage {
  const shape = new ProtoMessage();
  for (const d of dims) shape.message(1, typeof d === 'number' ? new ProtoMessage().int(1, d) : new ProtoMessage().string(2, d));
  const tensorType = new ProtoMessage().int(1, elemType).message(2, shape);
  return new ProtoMessage().string(1, name).message(2, new ProtoMessage().message(1, tensorType));
}

/**
 * The ONNX model of a GPT-2 (tensors named as toGpt2Tensors names them), as byte chunks of one
 * file. Throws a ConfigError past protobuf's 2 GB.
 */
export function gpt2Onnx(c: TransformerConfig, t: Readonly<Record<string, Tensor>>, o: { producer: string; opset: number }): Uint8Array[] {
  const bytes = Object.values(t).reduce((a, x) => a + x.size * 4, 0);
  if (bytes > MAX_ONNX_BYTES) {
    throw new ConfigError(`the model's weights take ${(bytes / 2 ** 30).toFixed(2)} GB; an ONNX file holds at most 2 GB without external data, which slmkit does not write`,
      'export --format hf for this model, and convert it with Hugging Face\'s exporter');
  }
  const C = c.embedDim;
  const H = c.heads;
  const D = C / H;
  const g = new GraphBuilder();
  const w = (name: string) => {
    const x = t[name]!;
    return g.floats(name, [...x.shape], x.f32());
  };
  const LN = (x: string, prefix: string) => g.one('LayerNormalization', [x, w(`${prefix}.weight`), w(`${prefix}.bias`)],
    { axis: { int: -1 }, epsilon: { float: LAYER_NORM_EPS } });
  const linear = (x: string, prefix: string) => g.one('Add', [g.one('MatMul', [x, w(`${prefix}.weight`)]), w(`${prefix}.bias`)]);

  // Constants.
  const one = g.ints('const_one', [], [1]);
  const zero = g.ints('const_zero', [], [0]);
  const axis0 = g.ints('const_axes_0', [1], [0]);
  const axis1 = g.ints('const_axes_1', [1], [1]);
  const axes12 = g.ints('const_axes_1_2', [2], [1, 2]);
  const headsShape = g.ints('const_shape_heads', [4], [0, 0, H, D]);
  const mergedShape = g.ints('const_shape_merged', [3], [0, 0, C]);
  const split3 = g.ints('const_split_qkv', [3], [C, C, C]);
  const scale = g.floats('const_scale', [], Float32Array.of(1 / Math.sqrt(D)));
  const lowest = g.floats('const_lowest', [], Float32Array.of(-3.4028234663852886e38));
  const half = g.floats('const_half', [], Float32Array.of(0.5));
  const oneF = g.floats('const_one_f', [], Float32Array.of(1));
  const sqrt2 = g.floats('const_sqrt2', [], Float32Array.of(Math.SQRT2));

  // Which keys each query sees: (B,1,S,P+S) bool.
  const S = g.one('Gather', [g.one('Shape', ['input_ids']), one], { axis: { int: 0 } });
  const total = g.one('Gather', [g.one('Shape', ['attention_mask']), one], { axis: { int: 0 } });
  const past = g.one('Sub', [total, S]);
  const keyPos = g.one('Unsqueeze', [g.one('Range', [zero, total, one]), axis0]); // (1,P+S)
  const queryPos = g.one('Unsqueeze', [g.one('Range', [past, total, one]), axis1]); // (S,1)
  const causal = g.one('LessOrEqual', [keyPos, queryPos]); // (S,P+S)
  const real = g.one('Unsqueeze', [g.one('Cast', ['attention_mask'], { to: { int: BOOL } }), axes12]); // (B,1,1,P+S)
  const visible = g.one('And', [causal, real]);

  let x = g.one('Add', [
    g.one('Gather', [w('transformer.wte.weight'), 'input_ids'], { axis: { int: 0 } }),
    g.one('Gather', [w('transformer.wpe.weight'), 'position_ids'], { axis: { int: 0 } }),
  ]); // (B,S,C)
  const heads = (y: string) => g.one('Transpose', [g.one('Reshape', [y, headsShape])], { perm: { ints: [0, 2, 1, 3] } }); // (B,H,S,D)
  for (let i = 0; i < c.layers; i++) {
    const h = `transformer.h.${i}`;
    const qkv = linear(LN(x, `${h}.ln_1`), `${h}.attn.c_attn`); // (B,S,3C)
    const [q, k, v] = g.node('Split', [qkv, split3], { axis: { int: 2 } }, [`q_${i}`, `k_${i}`, `v_${i}`]);
    const keys = g.node('Concat', [`past_key_values.${i}.key`, heads(k!)], { axis: { int: 2 } }, [`present.${i}.key`])[0]!;
    const values = g.node('Concat', [`past_key_values.${i}.value`, heads(v!)], { axis: { int: 2 } }, [`present.${i}.value`])[0]!;
    const kT = g.one('Transpose', [keys], { perm: { ints: [0, 1, 3, 2] } });
    const scores = g.one('Mul', [g.one('MatMul', [heads(q!), kT]), scale]); // (B,H,S,P+S)
    const probs = g.one('Softmax', [g.one('Where', [visible, scores, lowest])], { axis: { int: -1 } });
    const y = g.one('Transpose', [g.one('MatMul', [probs, values])], { perm: { ints: [0, 2, 1, 3] } }); // (B,S,H,D)
    x = g.one('Add', [x, linear(g.one('Reshape', [y, mergedShape]), `${h}.attn.c_proj`)]);
    const f = linear(LN(x, `${h}.ln_2`), `${h}.mlp.c_fc`); // (B,S,4C)
    const gelu = g.one('Mul', [g.one('Mul', [f, half]), g.one('Add', [g.one('Erf', [g.one('Div', [f, sqrt2])]), oneF])]);
    x = g.one('Add', [x, linear(gelu, `${h}.mlp.c_proj`)]);
  }
  const xf = LN(x, 'transformer.ln_f');
  const headT = c.tieWeights
    ? g.one('Transpose', [w('transformer.wte.weight')], { perm: { ints: [1, 0] } })
    : g.floats('lm_head.weight.T', [C, c.vocabSize], transposed(t['lm_head.weight']!));
  g.node('MatMul', [xf, headT], {}, ['logits']);

  const graph = new ProtoMessage();
  for (const n of g.nodes) graph.message(1, n);
  graph.string(2, 'gpt2');
  for (const init of g.inits) graph.message(5, init);
  graph.message(11, valueInfo('input_ids', INT64, ['batch_size', 'sequence_length']));
  graph.message(11, valueInfo('attention_mask', INT64, ['batch_size', 'past_sequence_length + sequence_length']));
  graph.message(11, valueInfo('position_ids', INT64, ['batch_size', 'sequence_length']));
  for (let i = 0; i < c.layers; i++) {
    for (const kv of ['key', 'value']) graph.message(11, valueInfo(`past_key_values.${i}.${kv}`, FLOAT, ['batch_size', H, 'past_sequence_length', D]));
  }
  graph.message(12, valueInfo('logits', FLOAT, ['batch_size', 'sequence_length', c.vocabSize]));
  for (let i = 0; i < c.layers; i++) {
    for (const kv of ['key', 'value']) graph.message(12, valueInfo(`present.${i}.${kv}`, FLOAT, ['batch_size', H, 'past_sequence_length + sequence_length', D]));
  }
  const model = new ProtoMessage()
    .int(1, IR_VERSION)
    .string(2, o.producer)
    .message(7, graph)
    .message(8, new ProtoMessage().string(1, '').int(2, o.opset));
  return model.parts();
}

function transposed(x: Tensor): Float32Array {
  const [r, c] = x.shape as [number, number];
  const src = x.f32();
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = src[i * c + j]!;
  return out;
}
