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
  const plugins: Readonly<Record<string, ScorePlugin>> = input.plugins ?? SCORE_PLUGINS;
  // Components are rounded before weighting, so a replay from the recorded components gives the same base score.
  const componentsOf = (candidate: Candidate) =>
    Object.fromEntries(Object.keys(input.weights).map((name) => [name, round(plugins[name]?.score(candidate) ?? 0)]));
  const components = new Map(eligible.map((c) => [c.workerId, componentsOf(c)]));
  const scored: Scored[] = eligible.map((candidate) => {
    const mine = components.get(candidate.workerId)!;
    return { candidate, finalScore: weightedScore(mine, input.weights), adjustments: [] };
  });
  const base = new Map(scored.map((s) => [s.candidate.workerId, s.finalScore]));
  if (input.fairness) applyFairness(scored, input.fairness, input.context.task.queue, taskId);
  const ranked = scored
    .map((s) => ({ ...s, finalScore: round(s.finalScore), tie: tieBreak(taskId, s.candidate.workerId) }))
    .sort((a, b) => b.finalScore - a.finalScore || a.tie - b.tie || (a.candidate.workerId < b.candidate.workerId ? -1 : 1))
    .map((s, i): RankedCandidate => ({
      rank: i + 1,
      workerId: s.candidate.workerId,
      components: components.get(s.candidate.workerId)!,
      baseScore: base.get(s.candidate.workerId)!,
      adjustments: s.adjustments,
      finalScore: s.finalScore,
    }));
  return { poolSize: input.candidates.length, filteredOut, ineligible, ranked };
}

/** The policy's weighted sum of recorded components, rounded as recorded: the base score. */
export function weightedScore(components: Readonly<Record<string, number>>, weights: Readonly<Record<string, number>>): number {
  return round(Object.entries(weights).reduce((sum, [name, weight]) => sum + weight * (components[name] ?? 0), 0));
}

/** Scores are recorded to 6 decimals so a replay from the JSON record compares exactly. */
function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
