/**
 * An n-gram model's reasoning for one context, order by order, for teaching: at each order n the
 * context (the last n − 1 tokens), whether training saw it, its continuations' counts, the
 * Kneser-Ney discounts and back-off weight γ, and the distribution the model has once that order
 * is interpolated (or, for mle and add-k, the estimate from that context). Browser-safe.
 */
import { ConfigError } from '../tensor/errors.js';
import { topIndices } from '../sample/next.js';
import { discountFor } from './discount.js';
import type { NgramModel } from './model.js';

export interface NgramOrderView {
  /** n: this level reads n − 1 tokens of context. */
  order: number;
  /** The context's token ids (n − 1 of them, fewer when the text is shorter). */
  context: number[];
  /** Training saw this context followed by something (always true at order 1). */
  seen: boolean;
  /** c(h •): the continuations' counts summed (kn below the top order: continuation counts). */
  total: number;
  /** Distinct continuations of the context. */
  types: number;
  /** Kneser-Ney discounts D1, D2, D3+ of this order (null for mle and add-k). */
  discounts: [number, number, number] | null;
  /** γ(h): the probability mass this order hands down to order n − 1 (kn only; null otherwise). */
  backoff: number | null;
  /** The most frequent continuations: count, and p after this order. */
  top: { id: number; count: number; p: number }[];
}

export interface NgramExplanation {
  smoothing: NgramModel['config']['smoothing'];
  /** One view per order, 1 to N. */
  orders: NgramOrderView[];
  /** The longest order whose context was seen: where the estimate comes from. */
  usedOrder: number;
}

/** How `model` reaches its next-token distribution after `context` (token ids). */
export function explainNgram(model: NgramModel, context: readonly number[], k = 8): NgramExplanation {
  const V = model.vocabSize;
  for (const id of context) {
    if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new ConfigError(`context token ${id} is outside the model's vocabulary of ${V}`);
  }
  const N = model.order;
  const kn = model.config.smoothing === 'kn';
  const orders: NgramOrderView[] = [];
  let usedOrder = 1;
  let prefix = -1; // id at order n − 1 of the context's last n − 1 tokens
  for (let n = 1; n <= N; n++) {
    const len = n - 1;
    if (len > context.length) break;
    const ctx = context.slice(context.length - len);
    let counts = new Map<number, number>();
    if (n === 1) {
      const c1 = model.levels[0]!.counts;
      for (let w = 0; w < V; w++) if (c1[w]! > 0) counts.set(w, c1[w]!);
    } else {
      // The (n − 1)-gram of the context's last n − 1 tokens: walk from its first token down the trie.
      prefix = ctx[0]!;
      for (let j = 2; j <= len && prefix >= 0; j++) prefix = model.find(j, prefix, ctx[j - 1]!);
      if (prefix >= 0) {
        const lv = model.levels[n - 1]!;
        for (let j = lv.childStart![prefix]!; j < lv.childStart![prefix + 1]!; j++) counts.set(lv.words![j]!, lv.counts[j]!);
      }
    }
    let total = 0;
    let mass = 0;
    const d = kn ? model.discounts![n - 1]!.d : null;
    for (const c of counts.values()) {
      total += c;
      if (d) mass += discountFor(d, c);
    }
    const seen = total > 0;
    if (!seen) counts = new Map();
    else usedOrder = n;
    const p = model.nextDistribution(ctx);
    const ids = [...counts.keys()];
    const byCount = topIndices(ids.map((w) => counts.get(w)! + p[w]!), k).map((i) => ids[i]!);
    orders.push({
      order: n, context: ctx, seen, total, types: counts.size, discounts: d ? [d[0], d[1], d[2]] : null,
      backoff: kn && seen && n > 1 ? mass / total : null,
      top: byCount.map((id) => ({ id, count: counts.get(id)!, p: p[id]! })),
    });
    if (!seen && n > 1) break; // a longer context ends with this one: unseen too
  }
  return { smoothing: model.config.smoothing, orders, usedOrder };
}
