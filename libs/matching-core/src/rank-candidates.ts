import type { FilterReason, RankedCandidate } from '@clearwork/contracts';
import type { Candidate, FilterPlugin, MatchContext } from './candidate';
import { ELIGIBILITY_FILTERS } from './eligibility-filters';
import { applyFairness, type FairnessInput, type Scored } from './fairness';
import { SCORE_PLUGINS, type ScorePlugin } from './score-plugins';
import { tieBreak } from './tie-break';

export interface RankingInput {
  readonly candidates: readonly Candidate[];
  readonly context: MatchContext;
  /** Policy weight per score component; components missing from a candidate count as 0. */
  readonly weights: Readonly<Record<string, number>>;
  readonly topK: number;
  readonly filters?: readonly FilterPlugin[];
  readonly plugins?: Readonly<Record<string, ScorePlugin>>;
  /** Fairness rules; without them the ranking is by weighted score alone. */
  readonly fairness?: FairnessInput;
  /** Rank only the best this many (the order is the same as in the full ranking); all when absent. */
  readonly limit?: number;
}

export interface Ranking {
  readonly poolSize: number;
  readonly filteredOut: Partial<Record<FilterReason, number>>;
  /** Per worker, the first rule it failed. */
  readonly ineligible: ReadonlyMap<string, FilterReason>;
  /** The eligible workers, best first: every one, or the best `limit`. */
  readonly ranked: readonly RankedCandidate[];
  /** How many workers were eligible (more than `ranked` holds when a limit cut it). */
  readonly eligible: number;
}

interface Entry extends Scored {
  readonly components: Record<string, number>;
  readonly baseScore: number;
  tie?: number;
}

/**
 * Filter, score and rank. Pure and deterministic: ties on score are broken by a hash of
 * (taskId, workerId), so equal workers share tasks fairly yet a replay gives the same order.
 * With a `limit`, the best are picked without sorting everyone (a pool can hold thousands), and
 * the tie hash is computed only where scores are equal.
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
  const plugins: Readonly<Record<string, ScorePlugin>> = input.plugins ?? SCORE_PLUGINS;
  const names = Object.keys(input.weights);
  const entries: Entry[] = eligible.map((candidate) => {
    // Components are rounded before weighting, so a replay from the recorded components gives the same base score.
    const components: Record<string, number> = {};
    for (const name of names) components[name] = round(plugins[name]?.score(candidate) ?? 0);
    const baseScore = weightedScore(components, input.weights);
    return { candidate, components, baseScore, finalScore: baseScore, adjustments: [] };
  });
  if (input.fairness) applyFairness(entries, input.fairness, input.context.task.queue, taskId);
  for (const e of entries) e.finalScore = round(e.finalScore);
  const tie = (e: Entry) => (e.tie ??= tieBreak(taskId, e.candidate.workerId));
  /** Negative when `a` ranks before `b`. */
  const order = (a: Entry, b: Entry) =>
    b.finalScore - a.finalScore || tie(a) - tie(b) || (a.candidate.workerId < b.candidate.workerId ? -1 : 1);
  const best = input.limit !== undefined && input.limit < entries.length ? bestOf(entries, input.limit, order) : entries.sort(order);
  const ranked = best.map((e, i): RankedCandidate => ({
    rank: i + 1,
    workerId: e.candidate.workerId,
    components: e.components,
    baseScore: e.baseScore,
    adjustments: e.adjustments,
    finalScore: e.finalScore,
  }));
  return { poolSize: input.candidates.length, filteredOut, ineligible, ranked, eligible: entries.length };
}

/** The first `n` of `items` under `order`, in order: one pass keeping the best n, sorted as it goes. */
function bestOf<T>(items: readonly T[], n: number, order: (a: T, b: T) => number): T[] {
  const best: T[] = [];
  if (n <= 0) return best;
  for (const item of items) {
    if (best.length === n && order(item, best[n - 1]) >= 0) continue;
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (order(item, best[mid]) < 0) hi = mid;
      else lo = mid + 1;
    }
    best.splice(lo, 0, item);
    if (best.length > n) best.pop();
  }
  return best;
}

/** The policy's weighted sum of recorded components, rounded as recorded: the base score. */
export function weightedScore(components: Readonly<Record<string, number>>, weights: Readonly<Record<string, number>>): number {
  return round(Object.entries(weights).reduce((sum, [name, weight]) => sum + weight * (components[name] ?? 0), 0));
}

/** Scores are recorded to 6 decimals so a replay from the JSON record compares exactly. */
function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
