import type { FilterReason, RankedCandidate } from '@clearwork/contracts';
import type { Candidate, FilterPlugin, MatchContext } from './candidate';
import { ELIGIBILITY_FILTERS, firstFailedRule } from './eligibility-filters';
import { adjustmentsAt, applyFairness, type FairnessInput } from './fairness';
import { SCORE_PLUGINS, type ScorePlugin } from './score-plugins';
import { tieBreaker } from './tie-break';

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
  /**
   * Every candidate is known to hold the task's required skills (they are the pool of those
   * skills): the skill rule is not checked. Only with the default filters.
   */
  readonly skillsHeld?: boolean;
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

/**
 * Filter, score and rank. Pure and deterministic: ties on score are broken by a hash of
 * (taskId, workerId), so equal workers share tasks fairly yet a replay gives the same order.
 * With a `limit`, the best are picked without sorting everyone (a pool can hold thousands), and
 * the tie hash is computed only where scores are equal. Scores are kept in typed arrays while
 * everyone eligible is scored; components and adjustments are made only for the workers ranked.
 */
export function rankCandidates(input: RankingInput): Ranking {
  const filters = input.filters ?? ELIGIBILITY_FILTERS;
  const { context, weights } = input;
  const filteredOut: Partial<Record<FilterReason, number>> = {};
  const { candidates } = input;
  /** Per candidate, the index in `filters` of the first rule it failed, or -1. */
  const failedRule = new Int8Array(candidates.length);
  const eligible: Candidate[] = [];
  const skillsHeld = input.skillsHeld === true;
  for (let i = 0; i < candidates.length; i++) {
    const candidate = candidates[i];
    let failed = -1;
    if (!input.filters) {
      failed = firstFailedRule(candidate, context, skillsHeld);
    } else {
      for (let f = 0; f < filters.length; f++) {
        if (!filters[f].passes(candidate, context)) {
          failed = f;
          break;
        }
      }
    }
    failedRule[i] = failed;
    if (failed >= 0) {
      const reason = filters[failed].reason;
      filteredOut[reason] = (filteredOut[reason] ?? 0) + 1;
    } else {
      eligible.push(candidate);
    }
  }
  const taskId = context.task.taskId;
  const plugins: Readonly<Record<string, ScorePlugin>> = input.plugins ?? SCORE_PLUGINS;
  const parts = Object.entries(weights).map(([name, weight]) => ({ name, weight, plugin: plugins[name] }));
  // Components are rounded before weighting, so a replay from the recorded components gives the same base score.
  const componentOf = (c: Candidate, part: (typeof parts)[number]) => round(part.plugin?.score(c) ?? 0);
  const base = new Float64Array(eligible.length);
  for (let i = 0; i < eligible.length; i++) {
    let sum = 0;
    for (const part of parts) sum += part.weight * componentOf(eligible[i], part);
    base[i] = round(sum);
  }
  const ties = new Float64Array(eligible.length).fill(-1);
  const tieOf = tieBreaker(taskId);
  const tie = (i: number) => (ties[i] >= 0 ? ties[i] : (ties[i] = tieOf(eligible[i].workerId)));
  const final = Float64Array.from(base);
  const fairness = input.fairness ? applyFairness(eligible, final, input.fairness, tie) : {};
  for (let i = 0; i < final.length; i++) final[i] = round(final[i]);
  /** Negative when the candidate at `a` ranks before the one at `b`. */
  const order = (a: number, b: number) =>
    final[b] - final[a] || tie(a) - tie(b) || (eligible[a].workerId < eligible[b].workerId ? -1 : 1);
  const all = Array.from(eligible, (_, i) => i);
  const best = input.limit !== undefined && input.limit < all.length ? bestOf(all, input.limit, order) : all.sort(order);
  const ranked = best.map((i, at): RankedCandidate => {
    const candidate = eligible[i];
    const components: Record<string, number> = {};
    for (const part of parts) components[part.name] = componentOf(candidate, part);
    return {
      rank: at + 1,
      workerId: candidate.workerId,
      components,
      baseScore: base[i],
      adjustments: input.fairness ? adjustmentsAt(i, candidate, fairness, input.fairness, context.task.queue) : [],
      finalScore: final[i],
    };
  });
  let ineligible: Map<string, FilterReason> | undefined;
  return {
    poolSize: candidates.length, filteredOut, ranked, eligible: eligible.length,
    // Read by tests and tools, not by the dispatcher: made only when asked for.
    get ineligible() {
      if (!ineligible) {
        ineligible = new Map();
        for (let i = 0; i < candidates.length; i++) if (failedRule[i] >= 0) ineligible.set(candidates[i].workerId, filters[failedRule[i]].reason);
      }
      return ineligible;
    },
  };
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
