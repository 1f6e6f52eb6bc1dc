import type { Adjustment } from '@clearwork/contracts';
import type { Candidate } from './candidate';
import { tieBreak } from './tie-break';

/** The policy's fairness parameters and the facts of this decision they need. */
export interface FairnessInput {
  readonly newcomerShare: number;
  readonly newcomerMaxReviews: number;
  readonly maxQueueShare: number;
  readonly queueShareMinSample: number;
  /** Recent offers in the task's queue that shares are measured over. */
  readonly queueSample: number;
  /** A number in [0, 1) fixed by the decision's identity (see `decisionDraw`). */
  readonly draw: number;
}

export interface Scored {
  readonly candidate: Candidate;
  finalScore: number;
  readonly adjustments: Adjustment[];
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/**
 * Applies the policy's fairness rules in place, each as an explicit, recorded adjustment:
 * first the queue-share cap (a worker above it is placed below everyone under it), then, in
 * the share of decisions the draw selects, the best eligible newcomer is moved to the top.
 */
export function applyFairness(scored: Scored[], f: FairnessInput, queue: string, taskId: string): void {
  if (f.queueSample >= f.queueShareMinSample) {
    for (const s of scored) {
      const share = s.candidate.queueShare ?? 0;
      if (share > f.maxQueueShare) {
        s.finalScore -= 1;
        s.adjustments.push({ kind: 'queue_share_cap', delta: -1, reason: `held ${pct(share)} of the last ${f.queueSample} offers in queue ${queue}; the cap is ${pct(f.maxQueueShare)}` });
      }
    }
  }
  if (f.draw >= f.newcomerShare || scored.length < 2) return;
  const isNewcomer = (s: Scored) => (s.candidate.qualityEvidence ?? 0) < f.newcomerMaxReviews;
  let top = -Infinity;
  for (const s of scored) top = Math.max(top, s.finalScore);
  const order = (s: Scored) => tieBreak(taskId, s.candidate.workerId);
  const before = (a: Scored, b: Scored) => b.finalScore - a.finalScore || order(a) - order(b) || (a.candidate.workerId < b.candidate.workerId ? -1 : 1);
  // The best newcomer by the ranking's order, found in one pass.
  let best: Scored | undefined;
  for (const s of scored) if (isNewcomer(s) && (!best || before(s, best) < 0)) best = s;
  if (!best || best.finalScore >= top) return;
  const delta = Math.round((top - best.finalScore + 1e-6) * 1e6) / 1e6;
  best.finalScore += delta;
  best.adjustments.push({
    kind: 'newcomer_slot',
    delta,
    reason: `${pct(f.newcomerShare)} of decisions are reserved for workers with fewer than ${f.newcomerMaxReviews} reviews; this one was (draw ${f.draw.toFixed(3)})`,
  });
}
