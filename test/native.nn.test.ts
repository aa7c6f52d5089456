/**
 * Native (C++) network, optimizer and random kernels against the reference: layer norm, GELU,
 * attention, dropout masks, AdamW (dense and row-sparse), gathered-row softmax, normal draws, bad
 * arguments, and the backend's registration. Skipped, with the reason, when the addon is not built.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { availableBackends, kernels, nativeInfo } from '../src/backend/index.js';
import type { Kernels } from '../src/backend/kernels.js';
import { referenceKernels as ref } from '../src/backend/reference/index.js';
import { Rng } from '../src/tensor/rng.js';
import { GUARD, Inputs, nat, ODD, SENTINEL, skip, twin } from './helpers/nativeTwin.js';

/** attentionForward and attentionBackward on both backends; `mask` draws the key mask (null: none). */
function attentionTwins([B, T, H, D]: number[], mask: ((g: Inputs) => Float32Array) | null, seed: number): void {
  const what = `B=${B} T=${T} H=${H} D=${D} mask=${mask !== null}`;
  const C = H! * D!;
  const n = B! * T! * C;
  const scale = 1 / Math.sqrt(D!);
  twin(`attentionForward ${what}`, seed,
    (g) => [g.f32(n), g.f32(n), g.f32(n), mask?.(g) ?? null, g.f32(B! * H! * T! * T!), g.f32(n)] as const,
    (k, [q, kk, v, m, att, out]) => k.attentionForward(q, kk, v, m, att, out, B!, T!, H!, D!, scale));
  twin(`attentionBackward ${what}`, seed + 1, (g) => {
    const [q, kk, v] = [g.f32(n), g.f32(n), g.f32(n)];
    const att = g.f32(B! * H! * T! * T!);
    ref.attentionForward(q, kk, v, mask?.(g) ?? null, att, new Float32Array(n), B!, T!, H!, D!, scale);
    return [q, kk, v, att, g.f32(n), g.f32(n), g.f32(n), g.f32(n)] as const;
  }, (k, [q, kk, v, att, gOut, gq, gk, gv]) => k.attentionBackward(q, kk, v, att, gOut, gq, gk, gv, B!, T!, H!, D!, scale),
  { rtol: 1e-5, atol: 1e-5 });
}

describe('native kernels match the reference: nn, optimizer, random', { skip }, () => {
  test('layer norm forward and backward, optional gradients', () => {
    let seed = 600;
    for (const [R, C] of [[1, 1], [2, 3], [3, 17], [4, 33], [5, 65], [300, 256], [0, 8]]) {
      twin(`layerNormForward ${R}x${C}`, seed++,
        (g) => [g.f32(R! * C!, (r) => 2 + 3 * r.normal()), g.f32(C!), g.f32(C!), g.f32(R! * C!), g.f32(R!), g.f32(R!)] as const,
        (k, [x, gamma, beta, y, mean, rstd]) => k.layerNormForward(x, gamma, beta, y, mean, rstd, R!, C!, 1e-5));
      for (const [wantX, wantG, wantB] of [[true, true, true], [true, false, false], [false, true, false], [false, false, true]]) {
        for (const acc of [false, true]) {
          twin(`layerNormBackward ${R}x${C} gx=${wantX} gGamma=${wantG} gBeta=${wantB} acc=${acc}`, seed++, (g) => {
            const x = g.f32(R! * C!, (r) => 2 + 3 * r.normal());
            const gamma = g.f32(C!);
            const mean = g.f32(R!);
            const rstd = g.f32(R!);
            ref.layerNormForward(x, gamma, new Float32Array(C!), new Float32Array(R! * C!), mean, rstd, R!, C!, 1e-5);
            return [x, gamma, mean, rstd, g.f32(R! * C!), wantX ? g.f32(R! * C!) : null, wantG ? g.f32(C!) : null,
              wantB ? g.f32(C!) : null] as const;
          }, (k, [x, gamma, mean, rstd, gy, gx, gG, gB]) => k.layerNormBackward(x, gamma, mean, rstd, gy, gx, gG, gB, R!, C!, acc),
          { rtol: 1e-5, atol: 1e-5 });
        }
      }
    }
  });

  test('GELU forward and backward, tails included', () => {
    let seed = 700;
    const wide = (r: Rng) => (r.uniform() < 0.1 ? 12 * r.normal() : 2 * r.normal());
    for (const n of [0, ...ODD, 50001]) {
      twin(`geluForward n=${n}`, seed++, (g) => [g.f32(n, wide), g.f32(n)] as const, (k, [x, y]) => k.geluForward(x, y));
      for (const acc of [false, true]) {
        twin(`geluBackward n=${n} acc=${acc}`, seed++, (g) => [g.f32(n, wide), g.f32(n), g.f32(n)] as const,
          (k, [x, gy, gx]) => k.geluBackward(x, gy, gx, acc));
      }
    }
  });

  test('attention forward and backward, with and without a key mask', () => {
    let seed = 800;
    for (const [B, T, H, D] of [[1, 1, 1, 1], [2, 5, 3, 7], [2, 17, 2, 16], [1, 33, 4, 8], [3, 0, 2, 4]]) {
      for (const masked of [false, true]) {
        // Sequence b: T - 2b real tokens (at least one), then padding.
        const mask = (g: Inputs): Float32Array => {
          const m = g.f32(B! * T!, () => 0);
          for (let b = 0; b < B!; b++) for (let t = 0; t < Math.max(1, T! - 2 * b); t++) m[b * T! + t] = 1;
          return m;
        };
        attentionTwins([B!, T!, H!, D!], masked ? mask : null, seed);
        seed += 2;
      }
    }
  });

  test('attention over sequences end to end: forward and backward, empty and long sequences, any order of lengths', () => {
    let seed = 830;
    for (const [lens, H, D] of [[[1], 1, 1], [[5, 0, 17, 3], 2, 7], [[33, 70, 9], 4, 16], [[0, 0], 2, 4], [[12, 40, 1, 1, 25], 3, 5]] as [number[], number, number][]) {
      const offsets = Int32Array.from([0, ...lens.map((_, i) => lens.slice(0, i + 1).reduce((a, b) => a + b, 0))]);
      const N = offsets[offsets.length - 1]!;
      const n = N * H * D;
      const attSize = lens.reduce((a, L) => a + H * L * L, 0);
      const scale = 1 / Math.sqrt(D);
      const what = `lengths ${lens.join(',')} H=${H} D=${D}`;
      twin(`attentionForwardSegments ${what}`, seed++,
        (g) => [g.f32(n), g.f32(n), g.f32(n), g.f32(attSize), g.f32(n)] as const,
        (k, [q, kk, v, att, out]) => k.attentionForwardSegments(q, kk, v, offsets, att, out, H, D, scale));
      twin(`attentionBackwardSegments ${what}`, seed++, (g) => {
        const [q, kk, v] = [g.f32(n), g.f32(n), g.f32(n)];
        const att = g.f32(attSize);
        ref.attentionForwardSegments(q, kk, v, offsets, att, new Float32Array(n), H, D, scale);
        return [q, kk, v, att, g.f32(n), g.f32(n), g.f32(n), g.f32(n)] as const;
      }, (k, [q, kk, v, att, gOut, gq, gk, gv]) => k.attentionBackwardSegments(q, kk, v, att, gOut, gq, gk, gv, offsets, H, D, scale),
      { rtol: 1e-5, atol: 1e-5 });
    }
    // The addon checks the offsets and the buffers' sizes before touching memory.
    const buf = new Float32Array(64);
    assert.throws(() => nat!.attentionForwardSegments(buf, buf, buf, Int32Array.of(0, 5, 3), buf, buf, 1, 1, 1), /offsets must start at 0 and never decrease/);
    assert.throws(() => nat!.attentionForwardSegments(buf, buf, buf, Int32Array.of(1, 5), buf, buf, 1, 1, 1), /offsets must start at 0/);
    assert.throws(() => nat!.attentionForwardSegments(buf, buf, buf, Int32Array.of(0, 9), buf, buf, 1, 1, 1), /att/);
  });

  test('attention over several row blocks: T up to 70, head sizes off the vector width, masks with holes', () => {
    let seed = 850;
    // Masks per batch row: all real, right padding, a fully padded row, left padding and a hole.
    const pattern = (b: number, t: number, T: number): number => {
      switch (b % 4) {
        case 0: return 1;
        case 1: return t < Math.max(1, T - 11) ? 1 : 0;
        case 2: return 0;
        default: return t >= 3 && t !== T - 2 ? 1 : 0;
      }
    };
    for (const [B, T, H, D] of [[4, 9, 1, 1], [4, 19, 2, 5], [4, 40, 1, 17], [4, 33, 2, 32], [2, 70, 2, 33], [1, 64, 1, 48]]) {
      for (const masked of [false, true]) {
        const mask = (g: Inputs): Float32Array => {
          const m = g.f32(B! * T!, () => 0);
          for (let b = 0; b < B!; b++) for (let t = 0; t < T!; t++) m[b * T! + t] = pattern(b, t, T!);
          return m;
        };
        attentionTwins([B!, T!, H!, D!], masked ? mask : null, seed);
        seed += 2;
      }
    }
  });

  test('dropoutMask: the same bits as the reference and as Rng.uniform() >= p', () => {
    let seed = 870;
    for (const n of [0, ...ODD, 100003]) {
      for (const p of [0.2, 0.5, 1 / 3, 2 ** -24, 1 - 2 ** -24, 0, 1]) {
        twin(`dropoutMask n=${n} p=${p}`, seed++, (g) => [g.i32([0, 0, 0, 0].map(() => g.rng.nextUint32() | 0)), g.u8(n, 0.5)] as const,
          (k, [state, mask]) => k.dropoutMask(state, p, mask), { rtol: 0, atol: 0 });
      }
    }
    for (const p of [0.2, 0.7, 2 ** -24]) {
      const rng = new Rng(31);
      const st = rng.getState();
      const state = Int32Array.of(st[0]!, st[1]!, st[2]!, st[3]!);
      const mask = new Uint8Array(1000);
      nat.dropoutMask(state, p, mask);
      for (let i = 0; i < mask.length; i++) assert.equal(mask[i], rng.uniform() >= p ? 1 : 0, `p=${p} element ${i}`);
      assert.deepEqual(Array.from(state), rng.getState().slice(0, 4), `p=${p}: state after the draw`);
    }
    assert.throws(() => nat.dropoutMask(new Int32Array(3), 0.5, new Uint8Array(4)), RangeError);
  });

  test('AdamW step in place', () => {
    let seed = 900;
    for (const n of [0, ...ODD, 70001]) {
      twin(`adamwStep n=${n}`, seed++, (g) => [g.f32(n), g.f32(n), g.f32(n, (r) => 0.1 * r.normal()),
        g.f32(n, (r) => 0.01 * r.uniform())] as const,
      (k, [p, gr, m, v]) => k.adamwStep(p, gr, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.1, 1 - 0.9 ** 3, 1 - 0.999 ** 3));
    }
  });

  test('AdamW step on row-sparse gradients', () => {
    const refRows = ref.adamwStepRows?.bind(ref);
    const natRows = nat.adamwStepRows?.bind(nat);
    assert.ok(refRows && natRows, 'both backends implement adamwStepRows');
    let seed = 950;
    for (const [R, C, rows] of [[1, 1, [0]], [5, 3, [1, 4]], [40, 17, [0, 3, 4, 39]], [300, 65, [2, 100, 299]], [6, 4, []]] as const) {
      twin(`adamwStepRows R=${R} C=${C}`, seed++, (g) => [g.f32(R * C), g.f32(R * C, (r) => 0.1 * r.normal()),
        g.f32(R * C, (r) => 0.01 * r.uniform()), g.i32([...rows]), g.f32(rows.length * C)] as const,
      (k, [p, m, v, rw, gr]) => (k === ref ? refRows : natRows)(p, m, v, rw, gr, C, 1e-3, 0.9, 0.999, 1e-8, 0.1,
        1 - 0.9 ** 3, 1 - 0.999 ** 3));
    }
  });

  test('logsumexp and scaled softmax of gathered table rows', () => {
    let seed = 980;
    // [R, V, rows]: odd widths around the vector width, repeated and unsorted rows, no rows, V = 0,
    // a row long enough to span several exp chunks, and enough rows for the thread pool.
    const many = Array.from({ length: 70 }, (_, i) => (i * 37) % 90);
    for (const [R, V, rows] of [[1, 1, [0]], [5, 3, [4, 1, 1]], [40, 17, [0, 3, 39]], [9, 65, [8, 2, 5, 0]], [300, 33, []],
      [3, 1000, [2, 0]], [4, 0, [1, 3]], [90, 300, many]] as const) {
      const table = (g: Inputs) => g.f32(R * V, (r) => 4 * r.normal());
      twin(`gatherLogSumExp R=${R} V=${V} n=${rows.length}`, seed++, (g) => [table(g), g.i32([...rows]), g.f32(rows.length)] as const,
        (k, [t, rw, lse]) => k.gatherLogSumExp(t, rw, lse, V));
      twin(`gatherSoftmax R=${R} V=${V} n=${rows.length}`, seed++, (g) => {
        const t = table(g);
        const rw = g.i32([...rows]);
        const lse = g.f32(rows.length);
        ref.gatherLogSumExp(t, rw, lse, V);
        return [t, rw, lse, g.f32(rows.length, (r) => r.uniform() - 0.2), g.f32(rows.length * V)] as const;
      }, (k, [t, rw, lse, scale, out]) => k.gatherSoftmax(t, rw, lse, scale, out, V));
    }
    assert.throws(() => nat.gatherLogSumExp(new Float32Array(6), new Int32Array([2]), new Float32Array(1), 3), RangeError);
    assert.throws(() => nat.gatherSoftmax(new Float32Array(6), new Int32Array([1]), new Float32Array(1), new Float32Array(1),
      new Float32Array(2), 3), RangeError);
  });

  test('fillNormal draws bit for bit the reference normals, state and spare included', () => {
    // Lengths: empty, odd and even, around the native kernel's block of 2^16 pairs, and several
    // blocks; written into views with guards. State [1, 0, 2, 3] makes the very first draw 0, the
    // value Box-Muller must skip.
    const states = [[1, 2, 3, 4], [1, 0, 2, 3], [-123456789, 987654321, -5, 0x7fffffff]];
    let c = 0;
    for (const n of [0, 1, 2, 3, ...ODD, 4097, 131071, 131072, 131073, 300001]) {
      const [mean, std] = [[0, 1], [-10, 1], [0.25, 0.02]][c % 3]!;
      const st = states[c++ % states.length]!;
      const run = (k: Kernels) => {
        const whole = new Float32Array(n + 2 * GUARD).fill(SENTINEL);
        const state = Int32Array.from(st);
        const spare = new Float64Array(1);
        k.fillNormal(state, whole.subarray(GUARD, GUARD + n), mean!, std!, spare);
        return { whole, state, spare: spare[0]! };
      };
      const r = run(ref);
      const x = run(nat);
      const what = `fillNormal n=${n} mean=${mean} std=${std} state=${st}`;
      for (let i = 0; i < r.whole.length; i++) {
        if (!Object.is(x.whole[i], r.whole[i])) assert.fail(`${what}: [${i - GUARD}] native ${x.whole[i]} vs reference ${r.whole[i]}`);
      }
      assert.deepEqual([...x.state], [...r.state], `${what}: state`);
      assert.ok(Object.is(x.spare, r.spare), `${what}: spare native ${x.spare} vs reference ${r.spare}`);
      assert.equal(Number.isNaN(r.spare), n % 2 === 0, `${what}: a spare exactly when n is odd`);
    }
  });

  test('bad arguments throw instead of touching memory', () => {
    const a = new Float32Array(6);
    assert.throws(() => nat.sgemm(false, false, 2, 3, 4, a, a, a, false), RangeError);
    assert.throws(() => nat.embeddingForward(new Int32Array([0, 5]), new Float32Array(8), new Float32Array(8), 4), RangeError);
    assert.throws(() => nat.embeddingBackward(new Int32Array([-1]), new Float32Array(4), new Float32Array(8), 4), RangeError);
    assert.throws(() => nat.crossEntropyForward(a, new Int32Array([3, 0]), a, a, 2, 3), RangeError);
    assert.throws(() => nat.geluForward(new Float64Array(3) as unknown as Float32Array, a), TypeError);
    assert.throws(() => nat.softmaxForward(a, new Float32Array(5), 2, 3), RangeError);
  });
});

describe('native backend registration', { skip }, () => {
  test('registered at import, active unless SLM_BACKEND=reference, with build info', (t) => {
    assert.ok(availableBackends().includes('native'));
    assert.equal(kernels().name, process.env.SLM_BACKEND === 'reference' ? 'reference' : 'native');
    const info = nativeInfo();
    assert.ok(info);
    assert.ok(info.threads >= 1);
    assert.ok([0, 256, 512].includes(info.vectorBits));
    // Kernels added to the interface after the addon was written fall back to the reference.
    if (info.fallbacks.length > 0) t.diagnostic(`reference fallbacks: ${info.fallbacks.join(', ')}`);
    for (const core of ['sgemm', 'crossEntropyForward', 'crossEntropyBackward', 'attentionForward', 'adamwStep']) {
      assert.ok(!info.fallbacks.includes(core), `${core} should be native`);
    }
    assert.match(info.flags, /-O3/);
  });
});
