import type { DecisionRecordedData } from '@clearwork/contracts';
import { roundScore } from './base-order';
import { weightedScore } from './rank-candidates';
import { tieBreaker, tieBreakRuleOf } from './tie-break';

/** One field where the recomputation disagrees with the record. */
export interface ReplayDifference {
  readonly path: string;
  readonly recorded: unknown;
  readonly recomputed: unknown;
}

export interface ReplayResult {
  readonly identical: boolean;
  readonly differences: readonly ReplayDifference[];
  /** How the selection was checked, in plain language. */
  readonly notes: readonly string[];
  readonly recomputed: { workerId: string; baseScore: number; finalScore: number; rank: number }[];
}

/**
 * Recomputes a decision's ranking and selection from its own record under the weights of its
 * recorded policy version: each candidate's base score from its components, its final score
 * from the base and the recorded adjustments, the order (score, then the tie-break rule the record
 * names, or `fnv1a-pair` for records from before rules were named),
 * and whether the selected worker is the one the rules pick. Reports every disagreement.
 */
export function replayDecision(decision: DecisionRecordedData, weights: Readonly<Record<string, number>>): ReplayResult {
  const differences: ReplayDifference[] = [];
  const notes: string[] = [];
  const tieOf = tieBreaker(decision.taskId, tieBreakRuleOf(decision));
  const recomputed = decision.topK.map((c) => {
    const baseScore = weightedScore(c.components, weights);
    const finalScore = roundScore(baseScore + c.adjustments.reduce((s, a) => s + a.delta, 0));
    if (baseScore !== c.baseScore) differences.push({ path: `topK[${c.workerId}].baseScore`, recorded: c.baseScore, recomputed: baseScore });
    if (finalScore !== c.finalScore) differences.push({ path: `topK[${c.workerId}].finalScore`, recorded: c.finalScore, recomputed: finalScore });
    for (const [name, value] of Object.entries(c.components)) {
      if (!(value >= 0 && value <= 1)) differences.push({ path: `topK[${c.workerId}].components.${name}`, recorded: value, recomputed: Math.min(1, Math.max(0, value)) });
    }
    return { workerId: c.workerId, baseScore, finalScore, tie: tieOf(c.workerId) };
  });
  const order = [...recomputed].sort((a, b) => b.finalScore - a.finalScore || a.tie - b.tie || (a.workerId < b.workerId ? -1 : 1));
  const ranks = new Map(order.map((r, i) => [r.workerId, i + 1]));
  for (const c of decision.topK) {
    if (ranks.get(c.workerId) !== c.rank) differences.push({ path: `topK[${c.workerId}].rank`, recorded: c.rank, recomputed: ranks.get(c.workerId) });
  }
  checkSelection(decision, order.map((r) => r.workerId), differences, notes);
  return {
    identical: differences.length === 0,
    differences,
    notes,
    recomputed: order.map(({ workerId, baseScore, finalScore }) => ({ workerId, baseScore, finalScore, rank: ranks.get(workerId)! })),
  };
}

function checkSelection(decision: DecisionRecordedData, order: readonly string[], differences: ReplayDifference[], notes: string[]): void {
  const selected = decision.selectedWorkerId;
  if (selected === null) {
    if (order.length > 0 && (decision.filteredOut.at_capacity ?? 0) < order.length && decision.mode === 'online') {
      differences.push({ path: 'selectedWorkerId', recorded: null, recomputed: order[0] });
    } else notes.push('No worker was selected: every ranked candidate was at capacity or none was eligible.');
    return;
  }
  const position = order.indexOf(selected);
  if (position < 0) {
    differences.push({ path: 'selectedWorkerId', recorded: selected, recomputed: order[0] ?? null });
    return;
  }
  if (decision.mode === 'batch') {
    notes.push(`Selected in a batch (${decision.batch?.batchId ?? 'unknown'}) that maximised the total score: objective ${decision.batch?.objective}, against ${decision.batch?.greedyObjective} for greedy order; the selected worker ranks ${position + 1} here.`);
    return;
  }
  const races = decision.filteredOut.at_capacity ?? 0;
  if (position === 0) notes.push('The selected worker ranks first, as the policy requires.');
  else if (position <= races) notes.push(`The ${position} higher-ranked candidate(s) had no free capacity slot when claimed (counted under at_capacity), so the next was selected.`);
  else differences.push({ path: 'selectedWorkerId', recorded: selected, recomputed: order[0] });
  const winner = decision.topK.find((c) => c.workerId === selected);
  if (winner && decision.cutoffScore !== null && winner.finalScore !== decision.cutoffScore) {
    differences.push({ path: 'cutoffScore', recorded: decision.cutoffScore, recomputed: winner.finalScore });
  }
}
