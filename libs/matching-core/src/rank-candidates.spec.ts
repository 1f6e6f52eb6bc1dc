import fc from 'fast-check';
import type { Candidate, MatchContext } from './candidate';
import { rankCandidates } from './rank-candidates';
import { summariseFiltering } from './summarise';

const weights = { quality: 0.5, latency: 0.2, availability: 0.3 };
const task = { taskId: 't-1', queue: 'q', requiredSkills: ['label'], languages: ['en'], requiredQualifications: [], excludedWorkerIds: [] };
const context: MatchContext = { task, onTask: new Set(), declined: new Set() };

function worker(id: string, overrides: Partial<Candidate> = {}): Candidate {
  return {
    workerId: id, skills: ['label'], languages: ['en'], qualifications: [], online: true, suspended: false,
    capacity: 1, activeTasks: 0, scores: { quality: 0.5, latency: 0.5, availability: 0.5 }, ...overrides,
  };
}

describe('rankCandidates', () => {
  it('filters with a reason per rule and ranks the eligible by weighted score', () => {
    const ranking = rankCandidates({
      weights, topK: 20, context: { ...context, task: { ...task, excludedWorkerIds: ['x'] }, onTask: new Set(['r']), declined: new Set(['d']) },
      candidates: [
        worker('good', { scores: { quality: 0.9, latency: 0.5, availability: 0.5 } }),
        worker('better', { scores: { quality: 1, latency: 1, availability: 1 } }),
        worker('offline', { online: false }),
        worker('busy', { activeTasks: 1 }),
        worker('noskill', { skills: ['audio'] }),
        worker('french', { languages: ['fr'] }),
        worker('susp', { suspended: true }),
        worker('x'), worker('r'), worker('d'),
      ],
    });
    expect(ranking.ranked.map((r) => r.workerId)).toEqual(['better', 'good']);
    expect(ranking.ranked[1].finalScore).toBeCloseTo(0.5 * 0.9 + 0.2 * 0.5 + 0.3 * 0.5);
    expect(ranking.filteredOut).toEqual({
      offline: 1, at_capacity: 1, skill_missing: 1, language_mismatch: 1, suspended: 1, excluded: 1, already_on_task: 1, declined_before: 1,
    });
    expect(ranking.ineligible.get('offline')).toBe('offline');
    expect(summariseFiltering(ranking.poolSize, ranking.filteredOut)).toMatch(/^2\/10 workers eligible; 1 /);
  });

  const arbCandidate = fc.record({
    workerId: fc.stringMatching(/^w[0-9a-f]{1,6}$/),
    skills: fc.subarray(['label', 'audio', 'code']),
    languages: fc.subarray(['en', 'fr']),
    qualifications: fc.constant([]),
    online: fc.boolean(),
    suspended: fc.boolean(),
    capacity: fc.integer({ min: 1, max: 3 }),
    activeTasks: fc.integer({ min: 0, max: 3 }),
    scores: fc.record({ quality: fc.double({ min: 0, max: 1, noNaN: true }), latency: fc.double({ min: 0, max: 1, noNaN: true }), availability: fc.double({ min: 0, max: 1, noNaN: true }) }),
  });
  const arbPool = fc.uniqueArray(arbCandidate, { selector: (c) => c.workerId, maxLength: 30 });

  it('never ranks an ineligible worker, ranks best first, and is deterministic under reordering', () => {
    fc.assert(
      fc.property(arbPool, (pool) => {
        const ranking = rankCandidates({ candidates: pool, context, weights, topK: 20 });
        for (const r of ranking.ranked) {
          const c = pool.find((p) => p.workerId === r.workerId)!;
          expect(c.online && !c.suspended && c.activeTasks < c.capacity && c.skills.includes('label') && c.languages.includes('en')).toBe(true);
        }
        for (let i = 1; i < ranking.ranked.length; i++) {
          expect(ranking.ranked[i - 1].finalScore).toBeGreaterThanOrEqual(ranking.ranked[i].finalScore);
        }
        const reversed = rankCandidates({ candidates: [...pool].reverse(), context, weights, topK: 20 });
        expect(reversed.ranked).toEqual(ranking.ranked);
        expect(ranking.ranked.length + ranking.ineligible.size).toBe(pool.length);
      }),
    );
  });
});
