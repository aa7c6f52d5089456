/**
 * The library calls behind the playground's views, each against a computation done here by hand:
 * next-token probabilities (softmax of the logits over the temperature), per-token surprisal (the
 * cross-entropy of each target), the transformer's attention maps (q kᵀ / √D from the model's own
 * weights, first layer recomputed in plain loops), the Markov table's row, an n-gram's counts and
 * back-off for a context, and a tokenizer with lowercasing switched.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildNgramModel } from '../src/ngram/build.js';
import { resolveNgramConfig } from '../src/ngram/config.js';
import { explainNgram } from '../src/ngram/explain.js';
import { attentionMaps, insideView, tableRow } from '../src/models/inspect.js';
import { createModel, resolveModelConfig } from '../src/models/registry.js';
import type { Transformer } from '../src/models/transformer.js';
import type { MarkovChain } from '../src/models/markov.js';
import { nextLogits, nextTokens, scoreIds, softmaxAt, topIndices } from '../src/sample/next.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { noGrad } from '../src/tensor/autograd.js';
import { tokenizerFromVocabTxt } from '../src/tokenizer/bertVocab.js';
import { lowercases, withLowercase } from '../src/tokenizer/variants.js';

const V = 23;
const ids = [2, 7, 11, 3, 19, 5, 8];

test('nextTokens: the softmax of the last logits over the temperature, most likely first, with its entropy', () => {
  const model = createModel(resolveModelConfig({ type: 'transformer', vocabSize: V, embedDim: 8, heads: 2, layers: 2, maxLen: 16, dropout: 0.3 }), new Rng(3));
  model.train(); // dropout on: nextTokens must read in eval mode and leave the mode as it was
  const logits = noGrad(() => {
    model.eval();
    const out = model.forward(new Tensor(Int32Array.from(ids), [1, ids.length])).f32().slice((ids.length - 1) * V);
    model.train();
    return out;
  });
  for (const temperature of [0.5, 1, 2]) {
    const r = nextTokens(model, ids, { topK: 5, temperature });
    const z = Array.from(logits, (x) => x / temperature);
    const m = Math.max(...z);
    const sum = z.reduce((a, x) => a + Math.exp(x - m), 0);
    const p = z.map((x) => Math.exp(x - m) / sum);
    const order = p.map((x, i) => [x, i] as const).sort((a, b) => b[0] - a[0]).slice(0, 5);
    assert.deepEqual(r.tokens.map((t) => t.id), order.map(([, i]) => i));
    r.tokens.forEach((t, k) => {
      assert.ok(Math.abs(t.p - order[k]![0]) < 1e-6);
      assert.ok(Math.abs(t.logit - logits[t.id]!) < 1e-5);
    });
    assert.ok(Math.abs(r.entropy - -p.reduce((a, x) => a + x * Math.log(x), 0)) < 1e-5);
  }
  assert.equal(model.training, true, 'the mode is restored');
  assert.deepEqual(topIndices([1, 5, 3, 5, 0], 3), [1, 3, 2], 'ties keep the smaller id first');
  assert.ok(Math.abs(softmaxAt([0, Math.log(3)]).at(1)! - 0.75) < 1e-12);
  assert.throws(() => nextTokens(model, [], {}), /no tokens to continue/);
  assert.throws(() => nextTokens(model, ids, { temperature: 0 }), /temperature must be > 0/);
});

test('nextTokens reads only the model\'s context: the Markov chains the last token, the transformer its window', () => {
  const markov = createModel(resolveModelConfig({ type: 'markov', vocabSize: V }), new Rng(1));
  assert.deepEqual(nextLogits(markov, [4, 9, 12]), nextLogits(markov, [12]));
  const t = createModel(resolveModelConfig({ type: 'transformer', vocabSize: V, embedDim: 8, heads: 2, layers: 1, maxLen: 4, dropout: 0 }), new Rng(1));
  const long = [1, 2, 3, 4, 5, 6];
  assert.deepEqual(nextLogits(t, long), nextLogits(t, long.slice(-4)));
  assert.equal(nextTokens(t, long).contextTokens, 4);
});

test('scoreIds: each token\'s −ln p from the tokens before it; the mean is the cross-entropy training reports', () => {
  const model = createModel(resolveModelConfig({ type: 'lowrank', vocabSize: V, embedDim: 6 }), new Rng(5));
  const r = scoreIds(model, ids);
  assert.equal(r.tokens.length, ids.length - 1);
  let total = 0;
  for (let t = 1; t < ids.length; t++) {
    const logits = nextLogits(model, ids.slice(0, t));
    const m = Math.max(...logits);
    const lse = m + Math.log(Array.from(logits).reduce((a, x) => a + Math.exp(x - m), 0));
    const loss = lse - logits[ids[t]!]!;
    assert.ok(Math.abs(r.tokens[t - 1]!.loss - loss) < 1e-5);
    assert.equal(r.tokens[t - 1]!.id, ids[t]);
    total += loss;
  }
  assert.ok(Math.abs(r.totalLoss - total) < 1e-4);
  assert.ok(Math.abs(r.meanLoss - total / (ids.length - 1)) < 1e-5);
  assert.ok(Math.abs(r.bitsPerToken - r.meanLoss / Math.LN2) < 1e-12);
  assert.throws(() => scoreIds(model, [2]), /at least two tokens/);
  const t = createModel(resolveModelConfig({ type: 'transformer', vocabSize: V, embedDim: 8, heads: 2, layers: 1, maxLen: 4, dropout: 0 }), new Rng(1));
  assert.throws(() => scoreIds(t, [1, 2, 3, 4, 5, 6]), /6 tokens do not fit the model's context of 4/);
});

test("attentionMaps: softmax(q kᵀ/√D) per layer and head, causal; layer 0 recomputed from the model's weights", () => {
  for (const variant of ['post-ln', 'pre-ln'] as const) {
    const C = 8;
    const H = 2;
    const D = C / H;
    const model = createModel(resolveModelConfig({ type: 'transformer', vocabSize: V, embedDim: C, heads: H, layers: 2, maxLen: 16, dropout: 0.5, variant }), new Rng(9)) as Transformer;
    const before = nextLogits(model, ids);
    const a = attentionMaps(model, ids);
    const T = ids.length;
    assert.equal(a.layers, 2);
    assert.equal(a.heads, H);
    assert.equal(a.maps.length, 2);
    for (const layer of a.maps) {
      for (const m of layer) {
        for (let i = 0; i < T; i++) {
          let sum = 0;
          for (let j = 0; j < T; j++) {
            if (j > i) assert.equal(m[i * T + j], 0, 'no looking ahead');
            sum += m[i * T + j]!;
          }
          assert.ok(Math.abs(sum - 1) < 1e-5);
        }
      }
    }
    // Layer 0 by hand: x = tok_emb + pos_emb (dropout off), LayerNorm first for pre-ln; q = x Wqᵀ + bq, k likewise.
    const tok = model.tokEmb.weight.f32();
    const pos = model.posEmb.weight.f32();
    const x = ids.map((id, t) => Array.from({ length: C }, (_, c) => tok[id * C + c]! + pos[t * C + c]!));
    const ln = model.blocks[0]!.ln1;
    const input = variant === 'post-ln' ? x : x.map((row) => {
      const mean = row.reduce((s, v) => s + v, 0) / C;
      const varc = row.reduce((s, v) => s + (v - mean) ** 2, 0) / C;
      return row.map((v, c) => ((v - mean) / Math.sqrt(varc + 1e-5)) * ln.weight.f32()[c]! + ln.bias!.f32()[c]!);
    });
    const proj = (lin: { weight: Tensor; bias: Tensor | null }) => input.map((row) => Array.from({ length: C }, (_, o) => row.reduce((s, v, c) => s + v * lin.weight.f32()[o * C + c]!, lin.bias!.f32()[o]!)));
    const q = proj(model.blocks[0]!.attn.query);
    const k = proj(model.blocks[0]!.attn.key);
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        const s = Array.from({ length: i + 1 }, (_, j) => q[i]!.slice(h * D, (h + 1) * D).reduce((acc, v, d) => acc + v * k[j]![h * D + d]!, 0) / Math.sqrt(D));
        const m = Math.max(...s);
        const z = s.reduce((acc, v) => acc + Math.exp(v - m), 0);
        s.forEach((v, j) => assert.ok(Math.abs(a.maps[0]![h]![i * T + j]! - Math.exp(v - m) / z) < 1e-5, `${variant} head ${h} (${i}, ${j})`));
      }
    }
    assert.deepEqual(nextLogits(model, ids), before, 'looking inside changes nothing');
    assert.ok(model.blocks.every((b) => b.attn.probe === null), 'the probes are removed');
    assert.equal(insideView(model).view, 'attention');
    assert.throws(() => attentionMaps(model, Array.from({ length: 17 }, () => 1)), /17 tokens do not fit the transformer's context of 16/);
  }
});

test("tableRow: a Markov chain's row is the softmax of its table row; the views by model kind", () => {
  const model = createModel(resolveModelConfig({ type: 'markov', vocabSize: V }), new Rng(2)) as MarkovChain;
  const row = model.tLogits.weight.f32().slice(7 * V, 8 * V);
  const r = tableRow(model, 7, 4);
  const p = softmaxAt(row);
  assert.deepEqual(r.top.map((t) => t.id), topIndices(p, 4));
  r.top.forEach((t) => {
    assert.ok(Math.abs(t.p - p[t.id]!) < 1e-9);
    assert.equal(t.logit, row[t.id]);
  });
  assert.equal(r.aboveUniform, Array.from(p).filter((x) => x > 1 / V).length);
  assert.equal(insideView(model).view, 'row');
  assert.equal(insideView(createModel(resolveModelConfig({ type: 'lowrank', vocabSize: V, embedDim: 4 }))).view, 'row');
  assert.throws(() => tableRow(model, V), /outside the vocabulary/);
});

test('explainNgram: counts, continuations and back-off per order match counting by hand', () => {
  // Documents over tokens 0..5 (1 starts a document, 2 ends it).
  const docs = [[1, 3, 4, 3, 4, 5, 2], [1, 3, 4, 4, 2], [1, 4, 3, 5, 2], [1, 3, 5, 2]];
  const offsets = new Float64Array(docs.length + 1);
  docs.forEach((d, i) => { offsets[i + 1] = offsets[i]! + d.length; });
  const split = { ids: Uint32Array.from(docs.flat()), offsets, vocabSize: 6 };
  for (const smoothing of ['kn', 'mle', 'addk'] as const) {
    const { model } = buildNgramModel(split, resolveNgramConfig({ type: 'ngram', vocabSize: 6, order: 3, smoothing }));
    const x = explainNgram(model, [1, 3, 4], 6);
    assert.deepEqual(x.orders.map((o) => o.context), [[], [4], [3, 4]]);
    const top = x.orders[2]!;
    // Trigram continuations of (3, 4): 3 once, 5 once, 4 once (documents 1 and 2).
    assert.equal(top.seen, true);
    assert.equal(top.total, 3);
    assert.equal(top.types, 3);
    assert.deepEqual(top.top.map((t) => [t.id, t.count]).sort(), [[3, 1], [4, 1], [5, 1]]);
    if (smoothing !== 'kn') {
      // The highest order's raw bigram counts after 4: 3 twice, 5 once, 4 once, 2 once.
      assert.deepEqual(x.orders[1]!.top.map((t) => [t.id, t.count]).sort(), [[2, 1], [3, 2], [4, 1], [5, 1]]);
      assert.equal(x.orders[1]!.backoff, null);
    } else {
      const d = model.discounts![2]!.d;
      assert.ok(Math.abs(top.backoff! - 3 * d[0] / 3) < 1e-12, 'γ = D1·N1(h•) / c(h•)');
    }
    for (const o of x.orders) for (const t of o.top) assert.ok(Math.abs(t.p - model.prob([1, 3, 4].slice(3 - (o.order - 1)), t.id)) < 1e-6);
    assert.equal(x.usedOrder, 3);
    const unseen = explainNgram(model, [1, 5, 5], 3);
    assert.equal(unseen.orders.at(-1)!.seen, false, 'the pair (5, 5) never occurs');
    assert.ok(unseen.usedOrder < 3);
  }
});

test('withLowercase: the same tokenizer with lowercasing switched, nothing else changed', () => {
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hello', 'Hello', 'world', '##s', 'café', 'cafe'].join('\n');
  const cased = tokenizerFromVocabTxt(vocab, { lowercase: false });
  assert.equal(lowercases(cased), false);
  const lower = withLowercase(cased, true);
  assert.equal(lowercases(lower), true);
  assert.deepEqual(cased.encode('Hello worlds').tokens, ['[CLS]', 'Hello', 'world', '##s', '[SEP]']);
  assert.deepEqual(lower.encode('Hello worlds').tokens, ['[CLS]', 'hello', 'world', '##s', '[SEP]']);
  assert.deepEqual(lower.encode('café').tokens, cased.encode('café').tokens, 'accents are kept as they were (only the case changes)');
  assert.equal(withLowercase(cased, false), cased, 'already so: the same object');
  const uncased = tokenizerFromVocabTxt(vocab, { lowercase: true });
  assert.equal(lowercases(uncased), true);
  assert.deepEqual(withLowercase(uncased, false).encode('Hello').tokens, ['[CLS]', 'Hello', '[SEP]']);
  assert.deepEqual(withLowercase(uncased, false).encode('café').tokens, uncased.encode('café').tokens, 'its accent stripping stays');
});
