/**
 * Recency-weighted evidence. Each observation's weight halves every `halfLifeDays`. Sums are
 * kept as of a reference time `ref` (the newest observation so far): an older observation is
 * added already decayed, a newer one first decays the sums to its own time. Every factor is at
 * most 1, so nothing overflows, and the result is the same (to rounding) in any order.
 */
export interface Evidence {
  /** Sum of decayed weights, as of `ref`. */
  readonly w: number;
  /** Sum of decayed weight times value (each value in [0, 1]), as of `ref`. */
  readonly s: number;
  /** Epoch milliseconds the sums are expressed at; 0 when empty. */
  readonly ref: number;
}

export const EMPTY_EVIDENCE: Evidence = { w: 0, s: 0, ref: 0 };
const DAY_MS = 86_400_000;

export function decayFactor(elapsedMs: number, halfLifeDays: number): number {
  return 2 ** (-elapsedMs / (halfLifeDays * DAY_MS));
}

/** Adds one observation of `value` in [0, 1] with `weight`, made at `atMs`. */
export function observe(e: Evidence, value: number, weight: number, atMs: number, halfLifeDays: number): Evidence {
  if (e.w === 0 && e.s === 0) return { w: weight, s: weight * value, ref: atMs };
  if (atMs >= e.ref) {
    const k = decayFactor(atMs - e.ref, halfLifeDays);
    return { w: e.w * k + weight, s: e.s * k + weight * value, ref: atMs };
  }
  const k = decayFactor(e.ref - atMs, halfLifeDays);
  return { w: e.w + weight * k, s: e.s + weight * value * k, ref: e.ref };
}

/** The evidence as of `nowMs`: its effective weight and weighted sum of values. */
export function readEvidence(e: Evidence, nowMs: number, halfLifeDays: number): { weight: number; sum: number } {
  if (e.w === 0) return { weight: 0, sum: 0 };
  const k = decayFactor(nowMs - e.ref, halfLifeDays);
  return { weight: e.w * k, sum: e.s * k };
}

/**
 * The decayed length of the interval [fromMs, toMs] as of `nowMs`, in days: time long ago
 * counts less. With `fromMs` at registration it is the decayed length of the whole history.
 */
export function decayedDays(fromMs: number, toMs: number, nowMs: number, halfLifeDays: number): number {
  if (toMs <= fromMs) return 0;
  const lambda = Math.LN2 / halfLifeDays;
  const ageEnd = Math.max(0, nowMs - toMs) / DAY_MS;
  const ageStart = Math.max(0, nowMs - fromMs) / DAY_MS;
  return (Math.exp(-lambda * ageEnd) - Math.exp(-lambda * ageStart)) / lambda;
}
