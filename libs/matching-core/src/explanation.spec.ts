import type { DecisionRecordedData } from '@clearwork/contracts';
import { explainOutcome, type ExplainInput, type OfferFacts } from './explanation';

const weights = { quality: 0.5, latency: 0.2, availability: 0.3 };
const candidate = (workerId: string, rank: number, c: Record<string, number>) => {
  const base = Math.round(Object.entries(weights).reduce((s, [k, w]) => s + w * (c[k] ?? 0), 0) * 1e6) / 1e6;
  return { rank, workerId, components: c, baseScore: base, adjustments: [], finalScore: base };
};
const decision: DecisionRecordedData = {
  decisionId: 'd-1', taskId: 't-1', replica: 1, attempt: 1, decidedAt: '2026-11-22T10:00:00.000Z', mode: 'online',
  policy: { version: 3, contentHash: 'h' }, poolSize: 5, filteredOut: { offline: 1, skill_missing: 1 },
  topK: [candidate('w-a', 1, { quality: 0.9, latency: 0.8, availability: 0.9 }), candidate('w-b', 2, { quality: 0.7, latency: 0.8, availability: 0.9 })],
  selectedWorkerId: 'w-a', cutoffScore: 0.78, inputDigest: 'x', summary: '3/5 workers eligible',
};
const noOffers: OfferFacts = { offeredBy: [], assigned: false, declined: false, expired: false, withdrawn: false };
const explain = (workerId: string, over: Partial<ExplainInput> = {}) =>
  explainOutcome({ workerId, decisions: [decision], offers: noOffers, weightsOf: (v) => (v === 3 ? weights : null), reconstruction: null, ...over });

describe('explainOutcome', () => {
  it('tells the selected worker they were offered, assigned, declined or let the offer expire', () => {
    const offered = { ...noOffers, offeredBy: ['d-1'] };
    expect(explain('w-a', { offers: offered }).outcome).toBe('offered');
    expect(explain('w-a', { offers: { ...offered, assigned: true } }).outcome).toBe('assigned');
    expect(explain('w-a', { offers: { ...offered, declined: true } }).outcome).toBe('declined');
    expect(explain('w-a', { offers: { ...offered, expired: true } }).outcome).toBe('expired');
    expect(explain('w-a', { offers: { ...offered, withdrawn: true } }).reasons.map((r) => r.code)).toEqual(['expired', 'offer_withdrawn']);
  });

  it('gives a worker ranked below the gap per component and the smallest winning change, never the selected identity', () => {
    const answer = explain('w-b');
    expect(answer).toMatchObject({ outcome: 'ranked_below', basis: 'recorded', decisionId: 'd-1', policy: { version: 3, weights } });
    expect(answer.gap).toEqual({ quality: 0.2, latency: 0, availability: 0, final: 0.1 });
    expect(answer.counterfactual).toMatchObject({ kind: 'improvement', component: 'quality', from: 0.7 });
    expect(JSON.stringify(answer)).not.toContain('w-a');
  });

  it('names the rule for a worker a hard rule excluded, as a reconstruction', () => {
    const answer = explain('w-z', { reconstruction: { decisionId: 'd-1', registered: true, rule: 'skill_missing', components: { quality: 1 } } });
    expect(answer).toMatchObject({ outcome: 'ineligible', basis: 'reconstructed', counterfactual: { kind: 'rule', rule: 'skill_missing' } });
    expect(answer.reasons.map((r) => r.code)).toEqual(['ineligible', 'skill_missing']);
  });

  it('answers an eligible worker outside the recorded top-K from their score at the time', () => {
    const answer = explain('w-y', { reconstruction: { decisionId: 'd-1', registered: true, rule: null, components: { quality: 0.5, latency: 0.5, availability: 0.5 } } });
    expect(answer).toMatchObject({ outcome: 'ranked_below', basis: 'reconstructed', yours: { finalScore: 0.5, rank: null } });
    expect(answer.counterfactual?.kind).toBe('none');
  });

  it('says when a worker was not considered at all', () => {
    expect(explain('w-q', { reconstruction: { decisionId: 'd-1', registered: false, rule: null, components: null } })).toMatchObject({ outcome: 'not_considered' });
    expect(explain('w-q', { decisions: [] })).toMatchObject({ outcome: 'not_considered', basis: 'none' });
  });
});
