/**
 * Parity with PyTorch for the MLP, causal CNN, RNN, LSTM and GRU on committed golden fixtures
 * (test/fixtures/golden/*.json, written by scripts/golden/architectures.py with nn.Conv1d,
 * nn.RNN/LSTM/GRU and oneDNN off): the same weights and the same right-padded batch (rows of 16,
 * 10, 3, 1, 0 and 0 real inputs) give the same logits at real positions, masked loss, every
 * parameter gradient, 3 AdamW steps and the parameters after them, each within 1e-4 of the
 * tensor's largest value (test/helpers/golden.ts), on every backend. The loss and gradients are
 * checked twice: through forward() and the masked cross-entropy, and through the training step's
 * fused output layer (train/step.ts), which only ever sees real positions.
 *
 * A test also shows that the GRU fixture pins down where b_hn goes: a plain-loop GRU with b_hn
 * inside the reset product reproduces the fixture's logits, the same loop with b_hn added outside
 * it misses by far more than the tolerance.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { availableBackends, useBackend } from '../src/backend/index.js';
import '../src/backend/native/autoload.js'; // registers the native backend when the addon is built
import type { LanguageModel } from '../src/models/model.js';
import type { RecurrentConfig } from '../src/models/recurrent.js';
import { createModel, resolveModelConfig, type ModelConfig } from '../src/models/registry.js';
import { maskedCrossEntropy } from '../src/ops/index.js';
import { AdamW } from '../src/optim/index.js';
import { Rng } from '../src/tensor/rng.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { runBatch } from '../src/train/step.js';
import { Checker, floatTensor, intTensor, loadFixture, type Fixture } from './helpers/golden.js';
import { skip } from './helpers/nativeTwin.js';

const FIXTURES = ['mlp', 'cnn', 'cnn-k2', 'rnn', 'lstm', 'gru', 'gru-h17'];

/** Through the registry, as slm train builds it (the fixture's config must resolve unchanged). */
function buildModel(config: ModelConfig): LanguageModel {
  const resolved = resolveModelConfig(config as unknown as Record<string, unknown>);
  assert.deepEqual(resolved, config, 'the fixture config is complete and valid');
  return createModel(resolved, new Rng(0)); // the weights are replaced by loadStateDict
}

/** The rows of logits (B,T,V) at positions where mask (B,T) is 1, as one flat array. */
function realRows(logits: ArrayLike<number>, mask: ArrayLike<number>, V: number): Float32Array {
  const out: number[] = [];
  for (let p = 0; p < mask.length; p++) if (mask[p] !== 0) for (let v = 0; v < V; v++) out.push(logits[p * V + v]!);
  return Float32Array.from(out);
}

test('the fixtures run on the native backend too when the addon is built', { skip }, () => {
  assert.deepEqual(availableBackends().sort(), ['native', 'reference']);
});

for (const backend of availableBackends()) {
  for (const name of FIXTURES) {
    test(`golden ${name} matches PyTorch (${backend} backend)`, (t) => {
      const prev = useBackend(backend);
      try {
        const fx = loadFixture<ModelConfig>(name);
        const V = fx.config.vocabSize;
        const model = buildModel(fx.config);
        model.train(); // dropout is 0 in the fixtures, so training mode is deterministic
        model.loadStateDict(Object.fromEntries(Object.entries(fx.state_dict).map(([k, v]) => [k, floatTensor(v)])));
        const params = model.namedParameters();
        assert.deepEqual(params.map(([n]) => n).sort(), Object.keys(fx.grads).sort(), 'parameter names');

        const inputs = intTensor(fx.batch.inputs); // (B,T)
        const inMask = intTensor(fx.batch.input_mask); // (B,T)
        const targets = intTensor(fx.batch.targets); // (B,T)
        const mask = intTensor(fx.batch.mask); // (B,T)
        const tokens = mask.i32().reduce((a, b) => a + b, 0);
        const real = fx.logits_mask!.data;
        const lossOf = (logits: Tensor): Tensor => maskedCrossEntropy(logits, targets, mask);
        const check = new Checker();
        const checkGrads = (how: string) => {
          for (const [n, p] of params) {
            assert.ok(p.grad, `${n}: no gradient (${how})`);
            check.close(`grad ${n} (${how})`, p.grad.f32(), fx.grads[n]!.data);
          }
        };

        // forward and backward from the fixture's initial weights
        const logits = model.forward(inputs, inMask); // (B,T,V)
        assert.deepEqual([...logits.shape], fx.logits.shape, 'logits shape');
        check.close('logits at real positions', realRows(logits.f32(), real, V), realRows(fx.logits.data, real, V));
        const loss = lossOf(logits);
        check.close('loss', [loss.item()], [fx.loss]);
        loss.backward();
        checkGrads('forward');

        // the same through the training step's fused output layer
        model.zeroGrad();
        const fused = runBatch(model, { inputs, targets, mask, inputMask: inMask, tokens }, inputs.shape[0]!, true);
        check.close('loss (fused)', [fused.loss], [fx.loss]);
        checkGrads('fused');

        const o = fx.optimizer;
        const opt = new AdamW(model.parameters(), { lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay });
        fx.step_losses.forEach((expected, s) => {
          opt.zeroGrad();
          const l = lossOf(model.forward(inputs, inMask));
          check.close(`step ${s} loss`, [l.item()], [expected]);
          l.backward();
          opt.step();
        });
        for (const [n, p] of params) {
          const want = fx.final_state_dict[n]!;
          assert.deepEqual([...p.shape], want.shape, `final ${n} shape`);
          check.close(`final ${n}`, p.f32(), want.data);
        }
        assert.equal(check.failures.length, 0, `${check.failures.length} comparisons failed:\n${check.failures.join('\n')}`);
        t.diagnostic(`worst: ${(100 * check.worstRatio).toFixed(1)}% of tolerance at ${check.worst}`);
      } finally {
        useBackend(prev);
      }
    });
  }
}

/** Row `row` of the (·,n) matrix m, dotted with v. */
function dot(m: number[], row: number, v: ArrayLike<number>, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += m[row * n + i]! * v[i]!;
  return s;
}

/**
 * A GRU language model in plain loops, straight from PyTorch's documented equations, on the
 * fixture's weights → logits at real positions. bhnInside false adds b_hn outside the reset gate's
 * product (n = tanh(W_in x + b_in + b_hn + r * W_hn h)), the common slip this must catch.
 */
function plainGruLogits(fx: Fixture<RecurrentConfig>, bhnInside: boolean): Float32Array {
  const { vocabSize: V, embedDim: E, hiddenDim: H, layers: L } = fx.config;
  const w = (k: string) => fx.state_dict[k]!.data;
  const [B, T] = fx.batch.inputs.shape as [number, number];
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    const h = Array.from({ length: L }, () => new Float64Array(H));
    for (let t = 0; t < T && fx.batch.input_mask.data[b * T + t] !== 0; t++) {
      const id = fx.batch.inputs.data[b * T + t]!;
      let x: ArrayLike<number> = w('embed.weight').slice(id * E, (id + 1) * E);
      for (let l = 0; l < L; l++) {
        const [wih, whh, bih, bhh] = ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((k) => w(`rnn.${k}_l${l}`));
        const In = x.length;
        const next = new Float64Array(H);
        for (let j = 0; j < H; j++) {
          const gi = [0, 1, 2].map((g) => dot(wih!, g * H + j, x, In) + bih![g * H + j]!);
          const ghw = [0, 1, 2].map((g) => dot(whh!, g * H + j, h[l]!, H));
          const r = sig(gi[0]! + ghw[0]! + bhh![j]!);
          const z = sig(gi[1]! + ghw[1]! + bhh![H + j]!);
          const bhn = bhh![2 * H + j]!;
          const n = Math.tanh(bhnInside ? gi[2]! + r * (ghw[2]! + bhn) : gi[2]! + bhn + r * ghw[2]!);
          next[j] = (1 - z) * n + z * h[l]![j]!;
        }
        h[l] = next;
        x = next;
      }
      for (let v = 0; v < V; v++) out.push(dot(w('head.weight'), v, x, H) + w('head.bias')[v]!);
    }
  }
  return Float32Array.from(out);
}

test('the GRU fixtures catch b_hn added outside the reset product', (t) => {
  for (const name of ['gru', 'gru-h17']) {
    const fx = loadFixture<RecurrentConfig>(name);
    const want = realRows(fx.logits.data, fx.logits_mask!.data, fx.config.vocabSize);
    const check = new Checker();
    const inside = check.close(`${name}, b_hn inside r * (W_hn h + b_hn)`, plainGruLogits(fx, true), want);
    assert.ok(inside <= 1, check.failures.join('\n'));
    const misplaced = check.close(`${name}, b_hn outside`, plainGruLogits(fx, false), want);
    assert.ok(misplaced > 100, `${name}: b_hn outside the product should miss by far more than the tolerance, got ${misplaced.toFixed(1)}x`);
    t.diagnostic(`${name}: b_hn inside the product ${(100 * inside).toFixed(1)}% of the tolerance, outside ${misplaced.toFixed(0)}x it`);
  }
});
