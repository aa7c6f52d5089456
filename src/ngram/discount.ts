/**
 * Kneser-Ney discounts per order from the count-of-counts, as KenLM estimates them (Chen and
 * Goodman's modified Kneser-Ney): with n_k the number of n-grams whose (adjusted) count is k,
 *   Y = n1 / (n1 + 2 n2),  D1 = 1 − 2Y n2/n1,  D2 = 2 − 3Y n3/n2,  D3+ = 3 − 4Y n4/n3.
 * On small or artificial corpora the count-of-counts break down (no singletons, no count-3
 * n-grams, a discount ≤ 0 or above its count). KenLM stops with an error there; slmkit falls back
 * and says so in the report:
 *   1. absolute discounting with Ney's single D = n1 / (n1 + 2 n2) when n1 > 0 and n2 > 0;
 *   2. otherwise KenLM's --discount_fallback constants D1 = 0.5, D2 = 1, D3+ = 1.5.
 * Every discount stays in (0, k] for count k, so each level keeps mass for the lower order and
 * the interpolated distribution sums to one.
 */

export interface Discounts {
  /** Discount for count 1, 2 and 3 or more. */
  d: [number, number, number];
  /** 'modified-kn' (the estimate above), 'absolute' (fallback 1) or 'fixed' (fallback 2). */
  method: 'modified-kn' | 'absolute' | 'fixed';
  /** n1..n4: how many n-grams of this order have count 1, 2, 3, 4. */
  countOfCounts: [number, number, number, number];
  /** Why the estimate was not used (fallbacks only). */
  reason?: string;
}

/** KenLM's --discount_fallback values. */
export const FALLBACK_DISCOUNTS: [number, number, number] = [0.5, 1, 1.5];

/** Count-of-counts n1..n4 over the positive entries of `counts`. */
export function countOfCounts(counts: ArrayLike<number>): [number, number, number, number] {
  const n: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c >= 1 && c <= 4) n[c - 1]++;
  }
  return n;
}

/** Modified Kneser-Ney discounts of one order, or the documented fallback. */
export function estimateDiscounts(counts: ArrayLike<number>): Discounts {
  const cc = countOfCounts(counts);
  const [n1, n2, n3, n4] = cc;
  const problems: string[] = [];
  if (n1 === 0 || n2 === 0 || n3 === 0 || n4 === 0) {
    problems.push(`count-of-counts n1..n4 = ${cc.join(', ')} include a zero`);
  } else {
    const Y = n1 / (n1 + 2 * n2);
    const d: [number, number, number] = [1 - (2 * Y * n2) / n1, 2 - (3 * Y * n3) / n2, 3 - (4 * Y * n4) / n3];
    d.forEach((x, i) => {
      if (!(x > 0 && x <= i + 1)) problems.push(`D${i + 1}${i === 2 ? '+' : ''} = ${x.toPrecision(4)} is outside (0, ${i + 1}]`);
    });
    if (problems.length === 0) return { d, method: 'modified-kn', countOfCounts: cc };
  }
  if (n1 > 0 && n2 > 0) {
    const D = n1 / (n1 + 2 * n2);
    return { d: [D, D, D], method: 'absolute', countOfCounts: cc, reason: `${problems.join('; ')}: absolute discounting with D = n1/(n1+2n2) = ${D.toPrecision(4)}` };
  }
  return {
    d: [...FALLBACK_DISCOUNTS], method: 'fixed', countOfCounts: cc,
    reason: `${problems.join('; ')}: fixed discounts ${FALLBACK_DISCOUNTS.join(', ')} (KenLM's --discount_fallback)`,
  };
}

/** The discount for a count c ≥ 1. */
export function discountFor(d: readonly [number, number, number], c: number): number {
  return c >= 3 ? d[2] : c === 2 ? d[1] : d[0];
}
