import type { Adjustment, DecisionRecordedData, FilterReason, RankedCandidate } from '@clearwork/contracts';
import { smallestWinningImprovement, type Counterfactual } from './counterfactual';
import { tieBreaker, tieBreakRuleOf } from './tie-break';

export type Outcome = 'assigned' | 'offered' | 'declined' | 'expired' | 'ranked_below' | 'ineligible' | 'not_considered';

/** What happened to the offers a worker received for the task, from the offers topic and the worker's answers. */
export interface OfferFacts {
  /** Decisions that made this worker an offer for the task. */
  readonly offeredBy: readonly string[];
  readonly assigned: boolean;
  readonly declined: boolean;
  readonly expired: boolean;
  readonly withdrawn: boolean;
}

/** For a worker outside every recorded top-K: the hard rules and score at decision time, rebuilt from history. */
export interface Reconstruction {
  readonly decisionId: string;
  readonly registered: boolean;
  /** The first hard rule the worker failed, or null when eligible. */
  readonly rule: FilterReason | null;
  /** Score components at decision time, or null when the worker had none. */
  readonly components: Readonly<Record<string, number>> | null;
}

export interface ExplainInput {
  readonly workerId: string;
  readonly decisions: readonly DecisionRecordedData[];
  readonly offers: OfferFacts;
  /** The weights of a policy version as recorded, or null if the log does not hold it. */
  readonly weightsOf: (version: number) => Readonly<Record<string, number>> | null;
  readonly reconstruction: Reconstruction | null;
}

export interface ScoreBreakdown {
  readonly components: Record<string, number>;
  readonly baseScore: number;
  readonly adjustments: readonly Adjustment[];
  readonly finalScore: number;
  readonly rank: number | null;
}

export interface Explanation {
  readonly outcome: Outcome;
  readonly reasons: { code: string; text: string }[];
  /** Recorded: read from the decision record. Reconstructed: rebuilt from history at decision time. */
  readonly basis: 'recorded' | 'reconstructed' | 'none';
  readonly decisionId: string | null;
  readonly decidedAt: string | null;
  readonly policy: (DecisionRecordedData['policy'] & { weights: Record<string, number> | null }) | null;
  readonly yours: ScoreBreakdown | null;
  /** The selected worker's components and score; never their identity. */
  readonly selected: { components: Record<string, number>; finalScore: number } | null;
  /** Selected minus yours, per component and for the final score. */
  readonly gap: Record<string, number> | null;
  readonly counterfactual: Counterfactual | null;
  readonly candidates: { poolSize: number; recorded: number; filteredOut: DecisionRecordedData['filteredOut'] } | null;
}

const TEXT: Record<Outcome, string> = {
  assigned: 'You were offered this task and accepted it.',
  offered: 'You were selected and offered this task; the offer is open.',
  declined: 'You were offered this task and declined it.',
  expired: 'You were offered this task but did not answer before the offer expired.',
  ranked_below: 'You were eligible, but another eligible worker had a higher score under the published policy.',
  ineligible: 'A hard rule made you ineligible for this task.',
  not_considered: 'You were not among the workers considered for this task.',
};

/** Plain-language text of each hard rule. */
export const RULE_TEXT: Record<FilterReason, string> = {
  excluded: 'The task was posted with you excluded from it.',
  suspended: 'Your account was suspended when the task was dispatched.',
  skill_missing: 'The task needs a skill your profile did not list.',
  language_mismatch: 'The task needs a language your profile did not list.',
  qualification_missing: 'The task needs a qualification your profile did not list.',
  already_on_task: 'You already held another copy of this task, and copies go to different workers.',
  declined_before: 'You had declined this task, or let an offer for it expire, before.',
  offline: 'You were offline (no heartbeat within the presence window) when the task was dispatched.',
  at_capacity: 'You already held as many tasks as your capacity allows.',
};

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * Answers "why did I (not) get this task?" from the recorded decisions about it, the offer
 * facts and, for a worker outside every recorded top-K, a reconstruction. Pure.
 */
export function explainOutcome(input: ExplainInput): Explanation {
  const { workerId, offers } = input;
  const ordered = [...input.decisions].sort((a, b) => a.decidedAt.localeCompare(b.decidedAt));
  const ranked = ordered.filter((d) => d.topK.some((c) => c.workerId === workerId));
  const offeredBy = ordered.filter((d) => offers.offeredBy.includes(d.decisionId) || d.selectedWorkerId === workerId);
  const reasons: { code: string; text: string }[] = [];
  let outcome: Outcome;
  if (offers.assigned) outcome = 'assigned';
  else if (offers.declined) outcome = 'declined';
  else if (offers.expired) outcome = 'expired';
  else if (offers.withdrawn) {
    outcome = 'expired';
    reasons.push({ code: 'offer_withdrawn', text: 'The offer was withdrawn (the task was cancelled or filled) before you answered.' });
  } else if (offeredBy.length > 0) outcome = 'offered';
  else if (ranked.length > 0) outcome = 'ranked_below';
  else if (input.reconstruction?.registered && input.reconstruction.rule) outcome = 'ineligible';
  else if (input.reconstruction?.registered) outcome = 'ranked_below';
  else outcome = 'not_considered';
  reasons.unshift({ code: outcome, text: TEXT[outcome] });

  const decision = offeredBy.at(-1) ?? ranked.at(-1) ?? ordered.find((d) => d.decisionId === input.reconstruction?.decisionId) ?? ordered.at(-1) ?? null;
  if (!decision) return { outcome, reasons, basis: 'none', decisionId: null, decidedAt: null, policy: null, yours: null, selected: null, gap: null, counterfactual: null, candidates: null };

  const weights = input.weightsOf(decision.policy.version);
  const winner = decision.topK.find((c) => c.workerId === decision.selectedWorkerId) ?? null;
  const own = decision.topK.find((c) => c.workerId === workerId) ?? null;
  const recon = own ? null : input.reconstruction;
  const yours = own ? breakdown(own) : recon?.registered ? reconstructedBreakdown(recon, weights) : null;
  if (recon?.rule) reasons.push({ code: recon.rule, text: RULE_TEXT[recon.rule] });
  if (recon && !recon.registered) reasons.push({ code: 'not_registered', text: 'You were not registered as a worker when the task was dispatched.' });
  const lowestRecorded = decision.topK.at(-1)?.finalScore;
  if (outcome === 'ranked_below' && recon && yours && lowestRecorded !== undefined && yours.finalScore > lowestRecorded) {
    reasons.push({ code: 'reconstruction_uncertain', text: 'Your score at the time would have placed you among the recorded candidates; a factor the record does not hold (such as the queue-share cap) kept you out.' });
  }
  const selected = winner ? { components: { ...winner.components }, finalScore: winner.finalScore } : null;
  const counterfactual = counterfactualFor(outcome, recon?.rule ?? null, decision, yours, winner, weights, workerId);
  return {
    outcome,
    reasons,
    basis: own ? 'recorded' : recon ? 'reconstructed' : 'none',
    decisionId: decision.decisionId,
    decidedAt: decision.decidedAt,
    policy: { ...decision.policy, weights: weights ? { ...weights } : null },
    yours,
    selected,
    gap: yours && selected ? difference({ ...selected.components, final: selected.finalScore }, { ...yours.components, final: yours.finalScore }) : null,
    counterfactual,
    candidates: { poolSize: decision.poolSize, recorded: decision.topK.length, filteredOut: decision.filteredOut },
  };
}

function counterfactualFor(
  outcome: Outcome,
  rule: FilterReason | null,
  decision: DecisionRecordedData,
  yours: ScoreBreakdown | null,
  winner: RankedCandidate | null,
  weights: Readonly<Record<string, number>> | null,
  workerId: string,
): Counterfactual | null {
  if (rule) return { kind: 'rule', rule, text: `No score would have helped until this rule was met: ${RULE_TEXT[rule]}` };
  if (outcome !== 'ranked_below' || !yours || !winner || !weights) return null;
  const tieOf = tieBreaker(decision.taskId, tieBreakRuleOf(decision));
  const winsTies = tieOf(workerId) < tieOf(winner.workerId);
  return smallestWinningImprovement({ yours: yours.components, yourFinal: yours.finalScore, selectedFinal: winner.finalScore, weights, winsTies });
}

function breakdown(c: RankedCandidate): ScoreBreakdown {
  return { components: { ...c.components }, baseScore: c.baseScore, adjustments: c.adjustments, finalScore: c.finalScore, rank: c.rank };
}

function reconstructedBreakdown(r: Reconstruction, weights: Readonly<Record<string, number>> | null): ScoreBreakdown {
  const components = Object.fromEntries(Object.keys(weights ?? r.components ?? {}).map((k) => [k, round(Math.min(1, Math.max(0, r.components?.[k] ?? 0)))]));
  const base = round(Object.entries(weights ?? {}).reduce((s, [k, w]) => s + w * (components[k] ?? 0), 0));
  return { components, baseScore: base, adjustments: [], finalScore: base, rank: null };
}

function difference(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(a).map((k) => [k, round((a[k] ?? 0) - (b[k] ?? 0))]));
}
