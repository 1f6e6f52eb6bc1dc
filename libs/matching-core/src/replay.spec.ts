import type { DecisionRecordedData } from '@clearwork/contracts';
import { rankCandidates } from './rank-candidates';
import { replayDecision } from './replay';

const weights = { quality: 0.5, latency: 0.2, availability: 0.3 };
const worker = (workerId: string, q: number, l: number, a: number) => ({
  workerId, skills: ['s'], languages: [], qualifications: [], online: true, suspended: false, capacity: 2, activeTasks: 0,
  scores: { quality: q, latency: l, availability: a },
});

function recorded(taskId = 't-9'): DecisionRecordedData {
  const ranking = rankCandidates({
    candidates: [worker('w-1', 0.91234567, 0.5, 0.7), worker('w-2', 0.8, 0.9, 0.7), worker('w-3', 0.8, 0.9, 0.7), worker('w-4', 0.2, 0.1, 0.3)],
    context: { task: { taskId, queue: 'q', requiredSkills: ['s'], languages: [], requiredQualifications: [], excludedWorkerIds: [] }, onTask: new Set(), declined: new Set() },
    weights, topK: 3,
  });
  return {
    decisionId: 'd-9', taskId, replica: 1, attempt: 1, decidedAt: '2026-11-22T10:00:00.000Z', mode: 'online',
    policy: { version: 2, contentHash: 'h' }, poolSize: 4, filteredOut: {}, topK: ranking.ranked.slice(0, 3),
    selectedWorkerId: ranking.ranked[0].workerId, cutoffScore: ranking.ranked[0].finalScore, inputDigest: 'x', summary: '', tieBreak: ranking.tieBreak,
  };
}

describe('replayDecision', () => {
  it('given a decision the ranking produced, when replayed under its weights, then it is identical', () => {
    const result = replayDecision(recorded(), weights);
    expect(result.differences).toEqual([]);
    expect(result.identical).toBe(true);
  });

  it('reports the exact field when a score in the record does not follow from its components', () => {
    const d = recorded();
    d.topK[1] = { ...d.topK[1], baseScore: d.topK[1].baseScore + 0.01 };
    expect(replayDecision(d, weights).differences).toContainEqual({ path: `topK[${d.topK[1].workerId}].baseScore`, recorded: d.topK[1].baseScore, recomputed: d.topK[1].baseScore - 0.01 });
  });

  it('catches a selection the policy would not make, and different weights', () => {
    const d = recorded();
    const wrong = { ...d, selectedWorkerId: d.topK[2].workerId, cutoffScore: d.topK[2].finalScore };
    expect(replayDecision(wrong, weights).differences.map((x) => x.path)).toContain('selectedWorkerId');
    expect(replayDecision(d, { quality: 0.2, latency: 0.6, availability: 0.2 }).identical).toBe(false);
  });

  it('accepts a lower-ranked selection when the higher ones lost their capacity slot', () => {
    const d = recorded();
    const raced = { ...d, filteredOut: { at_capacity: 1 }, selectedWorkerId: d.topK[1].workerId, cutoffScore: d.topK[1].finalScore };
    expect(replayDecision(raced, weights)).toMatchObject({ identical: true, notes: [expect.stringMatching(/no free capacity slot/)] });
  });

  describe('the tie-break rule the record names', () => {
    // On t-0, w-2 and w-3 (equal scores, the best) go w-2 first by fmix32-keys and w-3 first by fnv1a-pair.
    const ranks = (d: DecisionRecordedData) => Object.fromEntries(d.topK.map((c) => [c.workerId, c.rank]));

    it('replays a record of today\'s rule under it', () => {
      const d = recorded('t-0');
      expect(d.tieBreak).toBe('fmix32-keys');
      expect(ranks(d)).toMatchObject({ 'w-2': 1, 'w-3': 2 });
      expect(d.selectedWorkerId).toBe('w-2');
      expect(replayDecision(d, weights).identical).toBe(true);
    });

    it('replays a record that names no rule under fnv1a-pair, the rule such records were ranked by', () => {
      const { tieBreak: _rule, ...d } = recorded('t-0');
      const swapped = (c: DecisionRecordedData['topK'][number]) => ({ ...c, rank: c.workerId === 'w-2' ? 2 : c.workerId === 'w-3' ? 1 : c.rank });
      const before: DecisionRecordedData = { ...d, topK: d.topK.map(swapped), selectedWorkerId: 'w-3' };
      expect(replayDecision(before, weights).identical).toBe(true);
      // The same record under the other rule differs in both tied ranks and in who was selected.
      expect(replayDecision({ ...before, tieBreak: 'fmix32-keys' }, weights).differences.map((x) => x.path).sort()).toEqual(['selectedWorkerId', 'topK[w-2].rank', 'topK[w-3].rank']);
      expect(replayDecision({ ...before, tieBreak: 'fnv1a-pair' }, weights).identical).toBe(true);
    });
  });
});
