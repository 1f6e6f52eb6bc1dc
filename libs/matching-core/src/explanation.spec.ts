import type { DecisionRecordedData } from '@clearwork/contracts';
import { explainOutcome } from './explanation';

const candidate = (workerId: string, rank: number, q: number) => ({
  rank, workerId, components: { quality: q }, baseScore: q, adjustments: [], finalScore: q,
});
const decision: DecisionRecordedData = {
  decisionId: 'd-1', taskId: 't-1', replica: 1, attempt: 1, decidedAt: '2026-11-22T10:00:00.000Z', mode: 'online',
  policy: { version: 1, contentHash: 'h' }, poolSize: 3, filteredOut: { offline: 1 },
  topK: [candidate('w-a', 1, 0.9), candidate('w-b', 2, 0.6)], selectedWorkerId: 'w-a', cutoffScore: 0.9,
  inputDigest: 'x', summary: '2/3 workers eligible; 1 offline',
};
const none = { assigned: false, expired: false, declined: false };

describe('explainOutcome', () => {
  it('tells the selected worker they were offered, then assigned', () => {
    expect(explainOutcome('w-a', [decision], none).outcome).toBe('offered');
    expect(explainOutcome('w-a', [decision], { ...none, assigned: true }).outcome).toBe('assigned');
    expect(explainOutcome('w-a', [decision], { ...none, expired: true }).outcome).toBe('expired');
  });

  it('gives a worker ranked below the gap to the selected score without naming the selected worker', () => {
    const answer = explainOutcome('w-b', [decision], none);
    expect(answer.outcome).toBe('ranked_below');
    expect(answer.gap).toEqual({ quality: 0.3, final: 0.3 });
    expect(JSON.stringify(answer)).not.toContain('w-a');
  });

  it('says when a worker was not considered', () => {
    expect(explainOutcome('w-z', [decision], none)).toMatchObject({ outcome: 'not_considered', basis: 'none' });
  });
});
