import type { FilterReason, RankedCandidate } from '@clearwork/contracts';
import type { Candidate, FilterPlugin, MatchContext } from './candidate';
import { ELIGIBILITY_FILTERS } from './eligibility-filters';

export interface RankingInput {
  readonly candidates: readonly Candidate[];
  readonly context: MatchContext;
  /** Policy weight per score component; components missing from a candidate count as 0. */
  readonly weights: Readonly<Record<string, number>>;
  readonly topK: number;
  readonly filters?: readonly FilterPlugin[];
}

export interface Ranking {
  readonly poolSize: number;
  readonly filteredOut: Partial<Record<FilterReason, number>>;
  /** Per worker, the first rule it failed. */
  readonly ineligible: ReadonlyMap<string, FilterReason>;
  /** Every eligible worker, best first. */
  readonly ranked: readonly RankedCandidate[];
}

/**
 * Filter, score and rank. Pure and deterministic: ties on score are broken by a hash of
 * (taskId, workerId), so equal workers share tasks fairly yet a replay gives the same order.
 */
export function rankCandidates(input: RankingInput): Ranking {
  const filters = input.filters ?? ELIGIBILITY_FILTERS;
  const filteredOut: Partial<Record<FilterReason, number>> = {};
  const ineligible = new Map<string, FilterReason>();
  const eligible: Candidate[] = [];
  for (const candidate of input.candidates) {
    const failed = filters.find((f) => !f.passes(candidate, input.context));
    if (failed) {
      filteredOut[failed.reason] = (filteredOut[failed.reason] ?? 0) + 1;
      ineligible.set(candidate.workerId, failed.reason);
    } else {
      eligible.push(candidate);
    }
  }
  const taskId = input.context.task.taskId;
  const scored = eligible.map((c) => {
    const components = Object.fromEntries(Object.keys(input.weights).map((k) => [k, round(c.scores[k] ?? 0)]));
    const baseScore = round(Object.entries(input.weights).reduce((sum, [k, w]) => sum + w * (c.scores[k] ?? 0), 0));
    return { workerId: c.workerId, components, baseScore, adjustments: [], finalScore: baseScore, tie: tieBreak(taskId, c.workerId) };
  });
  scored.sort((a, b) => b.finalScore - a.finalScore || a.tie - b.tie || (a.workerId < b.workerId ? -1 : 1));
  const ranked = scored.map(({ tie: _tie, ...rest }, i) => ({ rank: i + 1, ...rest }));
  return { poolSize: input.candidates.length, filteredOut, ineligible, ranked };
}

/** Scores are recorded to 6 decimals so a replay from the JSON record compares exactly. */
function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** FNV-1a over `taskId:workerId`: cheap, stable across processes and versions. */
export function tieBreak(taskId: string, workerId: string): number {
  let h = 0x811c9dc5;
  const s = `${taskId}:${workerId}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
