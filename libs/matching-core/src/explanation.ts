import type { DecisionRecordedData, RankedCandidate } from '@clearwork/contracts';

export type Outcome = 'assigned' | 'offered' | 'declined' | 'expired' | 'ranked_below' | 'ineligible' | 'not_considered';

/** What happened to the offers a worker received for the task, as the offers topic told it. */
export interface OfferFacts {
  readonly assigned: boolean;
  readonly expired: boolean;
  readonly declined: boolean;
}

export interface Explanation {
  readonly outcome: Outcome;
  readonly reasons: { code: string; text: string }[];
  readonly basis: 'recorded' | 'reconstructed' | 'none';
  readonly decisionId: string | null;
  readonly policy: DecisionRecordedData['policy'] | null;
  /** The worker's own components and those of the worker selected; never the selected worker's identity. */
  readonly yours: Record<string, number> | null;
  readonly selected: Record<string, number> | null;
  /** Selected minus yours, per component and for the final score. */
  readonly gap: Record<string, number> | null;
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

/**
 * Answers "why did I (not) get this task?" from the recorded decisions about it. Pure: the
 * caller supplies the records and the offer facts.
 */
export function explainOutcome(workerId: string, decisions: readonly DecisionRecordedData[], offers: OfferFacts): Explanation {
  const ordered = [...decisions].sort((a, b) => a.decidedAt.localeCompare(b.decidedAt));
  const mine = ordered.filter((d) => d.selectedWorkerId === workerId);
  const ranked = ordered.filter((d) => d.topK.some((c) => c.workerId === workerId));
  const decision = mine.at(-1) ?? ranked.at(-1) ?? null;
  const outcome: Outcome = offers.assigned
    ? 'assigned'
    : offers.declined
      ? 'declined'
      : offers.expired
        ? 'expired'
        : mine.length > 0
          ? 'offered'
          : ranked.length > 0
            ? 'ranked_below'
            : 'not_considered';
  if (!decision) {
    return { outcome, reasons: [{ code: outcome, text: TEXT[outcome] }], basis: 'none', decisionId: null, policy: null, yours: null, selected: null, gap: null };
  }
  const own = decision.topK.find((c) => c.workerId === workerId);
  const winner = decision.topK.find((c) => c.workerId === decision.selectedWorkerId);
  return {
    outcome,
    reasons: [{ code: outcome, text: TEXT[outcome] }],
    basis: 'recorded',
    decisionId: decision.decisionId,
    policy: decision.policy,
    yours: own ? scoresOf(own) : null,
    selected: winner ? scoresOf(winner) : null,
    gap: own && winner ? difference(scoresOf(winner), scoresOf(own)) : null,
  };
}

function scoresOf(c: RankedCandidate): Record<string, number> {
  return { ...c.components, final: c.finalScore };
}

function difference(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(a).map((k) => [k, Math.round(((a[k] ?? 0) - (b[k] ?? 0)) * 1e6) / 1e6]));
}
