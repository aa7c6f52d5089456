/**
 * Native (C++) kernels of the sequence models against the reference: tanh and ReLU (special
 * values included), the LSTM and GRU cells with and without a previous state, and the causal
 * convolution (lengths, no bias, optional gradients, accumulation, dilations past the sequence;
 * both its parallel-over-sequences and one-sequence-at-a-time paths), on widths around the vector
 * width, written into guarded views. Bad arguments throw instead of touching memory. Skipped, with
 * the reason, when the addon is not built.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { referenceKernels as ref } from '../src/backend/reference/index.js';
import type { Rng } from '../src/tensor/rng.js';
import { type Inputs, nat, ODD, skip, twin } from './helpers/nativeTwin.js';

const SPECIAL = [0, -0, 1e-8, -1e-8, 0.3, 0.624, 0.626, -0.626, 9, -9, 50, -50, 90, Infinity, -Infinity, Number.NaN];
const wide = (r: Rng) => (r.uniform() < 0.1 ? 12 * r.normal() : 2 * r.normal());
/** Row counts and hidden widths around the vector width (16 floats with AVX-512, 8 with AVX2). */
const CELLS: [number, number][] = [[0, 3], [1, 1], [3, 5], [2, 8], [4, 16], [3, 17], [5, 33], [70, 40]];

describe('native kernels match the reference: sequence models', { skip }, () => {
  test('tanh and ReLU forward and backward, special values and every length', () => {
    let seed = 1100;
    for (const n of [0, ...ODD, 50001]) {
      for (const [name, fwd, bwd] of [['tanh', 'tanhForward', 'tanhBackward'], ['relu', 'reluForward', 'reluBackward']] as const) {
        twin(`${fwd} n=${n}`, seed++, (g) => [g.f32(n, wide), g.f32(n)] as const, (k, [x, y]) => k[fwd](x, y),
          { rtol: name === 'relu' ? 0 : 2e-6, atol: name === 'relu' ? 0 : 1e-7 });
        for (const acc of [false, true]) {
          twin(`${bwd} n=${n} acc=${acc}`, seed++, (g) => {
            const y = g.f32(n, wide);
            ref[fwd](y, y); // a genuine output
            return [y, g.f32(n), g.f32(n)] as const;
          }, (k, [y, gy, gx]) => k[bwd](y, gy, gx, acc));
        }
      }
    }
    const x = Float32Array.from(SPECIAL);
    for (const fwd of ['tanhForward', 'reluForward'] as const) {
      const want = new Float32Array(x.length);
      const got = new Float32Array(x.length);
      ref[fwd](x, want);
      nat[fwd](x, got);
      got.forEach((v, i) => assert.ok(Object.is(v, want[i]) || Math.abs(v - want[i]!) <= 2e-7 * Math.abs(want[i]!),
        `${fwd}(${x[i]}): native ${v}, reference ${want[i]}`));
    }
    const inPlace = Float32Array.from([-3, -0.5, 0, 0.5, 3]);
    const expect = inPlace.map((v) => Math.tanh(v));
    nat.tanhForward(inPlace, inPlace);
    inPlace.forEach((v, i) => assert.ok(Math.abs(v - expect[i]!) < 2e-7, `tanh in place [${i}]`));
  });

  test('LSTM cell forward and backward, with and without a previous cell state', () => {
    let seed = 1200;
    for (const [n, H] of CELLS) {
      for (const first of [false, true]) {
        const what = `n=${n} H=${H} cPrev=${!first}`;
        twin(`lstmCellForward ${what}`, seed++,
          (g) => [g.f32(n * 4 * H, wide), first ? null : g.f32(n * H), g.f32(n * H), g.f32(n * H)] as const,
          (k, [gates, cPrev, c, h]) => k.lstmCellForward(gates, cPrev, c, h, n, H), { rtol: 1e-5, atol: 1e-6 });
        twin(`lstmCellBackward ${what}`, seed++, (g) => {
          const gates = g.f32(n * 4 * H, wide);
          const cPrev = first ? null : g.f32(n * H);
          const c = g.f32(n * H);
          ref.lstmCellForward(gates, cPrev, c, new Float32Array(n * H), n, H);
          return [gates, cPrev, c, g.f32(n * H), g.f32(n * H), g.f32(n * 4 * H)] as const;
        }, (k, [gates, cPrev, c, dh, dc, dG]) => k.lstmCellBackward(gates, cPrev, c, dh, dc, dG, n, H), { rtol: 1e-5, atol: 1e-6 });
      }
    }
  });

  test('GRU cell forward and backward, with and without a previous state', () => {
    let seed = 1300;
    for (const [n, H] of CELLS) {
      for (const first of [false, true]) {
        for (const wantPrevGrad of first ? [false] : [false, true]) {
          const what = `n=${n} H=${H} hPrev=${!first} dhPrev=${wantPrevGrad}`;
          if (!wantPrevGrad) {
            twin(`gruCellForward ${what}`, seed++, (g) => [g.f32(n * 3 * H, wide), first ? null : g.f32(n * 3 * H, wide),
              g.f32(3 * H), first ? null : g.f32(n * H), g.f32(n * H), g.f32(n * H)] as const,
            (k, [gx, gh, bhh, hPrev, hn, h]) => k.gruCellForward(gx, gh, bhh, hPrev, hn, h, n, H), { rtol: 1e-5, atol: 1e-6 });
          }
          twin(`gruCellBackward ${what}`, seed++, (g: Inputs) => {
            const gates = g.f32(n * 3 * H, wide);
            const hPrev = first ? null : g.f32(n * H);
            const hn = g.f32(n * H);
            ref.gruCellForward(gates, first ? null : g.f32(n * 3 * H), g.f32(3 * H), hPrev, hn, new Float32Array(n * H), n, H);
            return [gates, hn, hPrev, g.f32(n * H), g.f32(n * 3 * H), g.f32(n * 3 * H), wantPrevGrad ? g.f32(n * H) : null] as const;
          }, (k, [gates, hn, hPrev, dh, dGx, dGh, dhPrev]) => k.gruCellBackward(gates, hn, hPrev, dh, dGx, dGh, dhPrev, n, H),
          { rtol: 1e-5, atol: 1e-6 });
        }
      }
    }
  });

  test('causal convolution forward and backward', () => {
    let seed = 1400;
    // [B, T, Cin, Cout, K, dilation, lengths]: 1 x 1, widths off the vector width, dilations past
    // T, rows of length 0, many sequences (parallel over them) and one long one (threaded products).
    const cases: [number, number, number, number, number, number, number[] | null][] = [
      [1, 1, 1, 1, 1, 1, null],
      [2, 5, 3, 4, 2, 1, [5, 2]],
      [3, 7, 17, 5, 3, 2, [7, 0, 1]],
      [2, 6, 16, 33, 3, 4, null],
      [2, 3, 2, 3, 4, 8, [3, 3]],
      [9, 20, 24, 40, 3, 2, [20, 19, 0, 7, 20, 1, 13, 20, 2]],
      [1, 200, 128, 130, 3, 16, null],
    ];
    for (const [B, T, Cin, Cout, K, d, lens] of cases) {
      const what = `B=${B} T=${T} Cin=${Cin} Cout=${Cout} K=${K} d=${d} lengths=${lens ? 'yes' : 'none'}`;
      const lengthsOf = (g: Inputs) => (lens ? g.i32(lens) : null);
      for (const withBias of [true, false]) {
        twin(`causalConv1dForward ${what} bias=${withBias}`, seed++, (g) => [g.f32(B * T * Cin), g.f32(Cout * Cin * K),
          withBias ? g.f32(Cout) : null, lengthsOf(g), g.f32(B * T * Cout)] as const,
        (k, [x, w, b, l, y]) => k.causalConv1dForward(x, w, b, l, y, B, T, Cin, Cout, K, d), { rtol: 1e-5, atol: 2e-5 });
      }
      for (const [wantX, wantW, wantB] of [[true, true, true], [true, false, false], [false, true, false], [false, false, true]]) {
        for (const acc of [false, true]) {
          twin(`causalConv1dBackward ${what} gx=${wantX} gw=${wantW} gb=${wantB} acc=${acc}`, seed++, (g) => [g.f32(B * T * Cin),
            g.f32(Cout * Cin * K), lengthsOf(g), g.f32(B * T * Cout), wantX ? g.f32(B * T * Cin) : null,
            wantW ? g.f32(Cout * Cin * K) : null, wantB ? g.f32(Cout) : null] as const,
          (k, [x, w, l, gy, gx, gw, gb]) => k.causalConv1dBackward(x, w, l, gy, gx, gw, gb, B, T, Cin, Cout, K, d, acc),
          { rtol: 1e-4, atol: 2e-4 });
        }
      }
    }
  });

  test('bad arguments throw instead of touching memory', () => {
    const a = new Float32Array(12);
    assert.throws(() => nat.tanhForward(a, new Float32Array(11)), RangeError);
    assert.throws(() => nat.lstmCellForward(new Float32Array(7), null, a, a, 1, 2), RangeError);
    assert.throws(() => nat.gruCellForward(a, null, new Float32Array(5), null, a, a, 1, 2), RangeError);
    assert.throws(() => nat.gruCellBackward(a, a, new Float32Array(1), a, a, a, null, 2, 2), RangeError);
    assert.throws(() => nat.causalConv1dForward(a, a, null, Int32Array.of(3), a, 1, 2, 2, 2, 1, 1), /lengths\[0\] = 3 is outside \[0, 2\]/);
    assert.throws(() => nat.causalConv1dForward(a, new Float32Array(3), null, null, a, 1, 2, 2, 2, 1, 1), RangeError);
    assert.throws(() => nat.causalConv1dBackward(a, a, Int32Array.of(-1), a, a, null, null, 1, 2, 2, 2, 1, 1, false), RangeError);
  });
});
