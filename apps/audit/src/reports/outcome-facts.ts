import type { WorkerOutcome } from '@clearwork/audit-core';

/** One presence change of a worker, in time order or not. */
export interface PresenceChange {
  readonly workerId: string;
  readonly online: boolean;
  readonly at: number;
}

/**
 * Seconds each worker was online within [from, to): intervals between going online and going
 * offline, clipped to the period; a worker still online at the end counts up to `to`.
 */
export function activeSeconds(changes: readonly PresenceChange[], from: number, to: number): Map<string, number> {
  const byWorker = new Map<string, PresenceChange[]>();
  for (const c of changes) byWorker.set(c.workerId, [...(byWorker.get(c.workerId) ?? []), c]);
  const result = new Map<string, number>();
  for (const [workerId, list] of byWorker) {
    list.sort((a, b) => a.at - b.at);
    let since: number | null = null;
    let total = 0;
    for (const c of list) {
      if (c.online && since === null) since = c.at;
      if (!c.online && since !== null) {
        total += Math.max(0, Math.min(c.at, to) - Math.max(since, from));
        since = null;
      }
    }
    if (since !== null) total += Math.max(0, to - Math.max(since, from));
    result.set(workerId, total / 1000);
  }
  return result;
}

/** Per-worker counts gathered by the caller, merged into the rows the report maths takes. */
export function workerOutcomes(input: {
  workers: ReadonlySet<string>;
  group: (workerId: string) => string | null;
  candidacies: ReadonlyMap<string, number>;
  offers: ReadonlyMap<string, number>;
  assignments: ReadonlyMap<string, number>;
  pay: ReadonlyMap<string, number>;
  active: ReadonlyMap<string, number>;
  reviewsBefore: ReadonlyMap<string, number>;
  newcomerMaxReviews: number;
}): WorkerOutcome[] {
  return [...input.workers].sort().map((workerId) => ({
    workerId,
    group: input.group(workerId),
    candidacies: input.candidacies.get(workerId) ?? 0,
    offers: input.offers.get(workerId) ?? 0,
    assignments: input.assignments.get(workerId) ?? 0,
    newcomer: (input.reviewsBefore.get(workerId) ?? 0) < input.newcomerMaxReviews,
    payCents: input.pay.get(workerId) ?? 0,
    activeSeconds: input.active.get(workerId) ?? 0,
  }));
}
