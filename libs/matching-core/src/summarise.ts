import type { FilterReason } from '@clearwork/contracts';

/** A one-line account of a decision, like "1/5 workers eligible; 3 offline, 1 skill_missing". */
export function summariseFiltering(poolSize: number, filteredOut: Partial<Record<FilterReason, number>>): string {
  const eligible = poolSize - Object.values(filteredOut).reduce((a, b) => a + (b ?? 0), 0);
  const reasons = Object.entries(filteredOut)
    .sort(([ra, a], [rb, b]) => (b ?? 0) - (a ?? 0) || ra.localeCompare(rb))
    .map(([reason, n]) => `${n} ${reason}`);
  return `${eligible}/${poolSize} workers eligible${reasons.length ? `; ${reasons.join(', ')}` : ''}`;
}
