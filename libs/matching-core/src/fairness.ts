import type { Adjustment } from '@clearwork/contracts';
import type { Candidate } from './candidate';

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

/** What the fairness rules did to one ranking, by position among the candidates (see `applyFairness`). */
export interface FairnessOutcome {
  /** Whether the queue-share cap lowered the worker at each position (absent: it lowered no one). */
  readonly capped?: Uint8Array;
  /** The newcomer the draw moved to the top, and by how much. */
  readonly newcomer?: { readonly at: number; readonly delta: number };
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/**
 * Applies the policy's fairness rules to `scores` (by position among the candidates, in place,
 * for the positions in `eligible`; `tie` is the ranking's tie hash by position, so ties go as the
 * ranking breaks them): first the queue-share cap (a worker above it is placed below everyone
 * under it), then, in the share of decisions the draw selects, the best eligible newcomer is
 * moved to the top. Each change is recorded as an explicit adjustment (`adjustmentsAt`) for the
 * workers a decision lists; with thousands eligible, only those few get the objects and the text.
 */
export function applyFairness(candidates: readonly Candidate[], eligible: readonly number[], scores: Float64Array, f: FairnessInput, tie: (i: number) => number): FairnessOutcome {
  let capped: Uint8Array | undefined;
  if (f.queueSample >= f.queueShareMinSample) {
    for (const i of eligible) {
      if ((candidates[i].queueShare ?? 0) > f.maxQueueShare) {
        scores[i] -= 1;
        (capped ??= new Uint8Array(candidates.length))[i] = 1;
      }
    }
  }
  if (f.draw >= f.newcomerShare || eligible.length < 2) return { capped };
  let top = -Infinity;
  for (const i of eligible) top = Math.max(top, scores[i]);
  const before = (a: number, b: number) => scores[b] - scores[a] || tie(a) - tie(b) || (candidates[a].workerId < candidates[b].workerId ? -1 : 1);
  // The best newcomer by the ranking's order, found in one pass.
  let best = -1;
  for (const i of eligible) {
    if ((candidates[i].qualityEvidence ?? 0) < f.newcomerMaxReviews && (best < 0 || before(i, best) < 0)) best = i;
  }
  if (best < 0 || scores[best] >= top) return { capped };
  const delta = Math.round((top - scores[best] + 1e-6) * 1e6) / 1e6;
  scores[best] += delta;
  return { capped, newcomer: { at: best, delta } };
}

/** The adjustments the fairness rules made to the eligible candidate at position `i`, in the order applied. */
export function adjustmentsAt(i: number, candidate: Candidate, outcome: FairnessOutcome, f: FairnessInput, queue: string): Adjustment[] {
  const adjustments: Adjustment[] = [];
  if (outcome.capped?.[i]) {
    adjustments.push({ kind: 'queue_share_cap', delta: -1, reason: `held ${pct(candidate.queueShare ?? 0)} of the last ${f.queueSample} offers in queue ${queue}; the cap is ${pct(f.maxQueueShare)}` });
  }
  if (outcome.newcomer?.at === i) {
    adjustments.push({
      kind: 'newcomer_slot',
      delta: outcome.newcomer.delta,
      reason: `${pct(f.newcomerShare)} of decisions are reserved for workers with fewer than ${f.newcomerMaxReviews} reviews; this one was (draw ${f.draw.toFixed(3)})`,
    });
  }
  return adjustments;
}
