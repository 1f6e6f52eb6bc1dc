import fc from 'fast-check';
import { plainRanking } from '@clearwork/testing';
import type { Candidate, MatchContext } from './candidate';
import { ELIGIBILITY_FILTERS } from './eligibility-filters';
import { baseOrder } from './base-order';
import { standingRules } from './standing-rules';
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

describe('fairness adjustments', () => {
  const fairness = { newcomerShare: 0.1, newcomerMaxReviews: 5, maxQueueShare: 0.5, queueShareMinSample: 20, queueSample: 100, draw: 0.5 };
  const veteran = worker('vet', { scores: { quality: 0.9, latency: 0.9, availability: 0.9 }, qualityEvidence: 100 });
  const newcomer = worker('new', { scores: { quality: 0.3, latency: 0.5, availability: 0.5 }, qualityEvidence: 2 });

  it('moves the best newcomer to the top in the decisions the draw reserves, and records why', () => {
    const reserved = rankCandidates({ candidates: [veteran, newcomer], context, weights, topK: 20, fairness: { ...fairness, draw: 0.05 } });
    expect(reserved.ranked[0].workerId).toBe('new');
    expect(reserved.ranked[0].adjustments).toEqual([expect.objectContaining({ kind: 'newcomer_slot', delta: expect.any(Number) })]);
    expect(reserved.ranked[0].finalScore).toBeCloseTo(reserved.ranked[0].baseScore + reserved.ranked[0].adjustments[0].delta, 6);
    const ordinary = rankCandidates({ candidates: [veteran, newcomer], context, weights, topK: 20, fairness });
    expect(ordinary.ranked.map((r) => r.workerId)).toEqual(['vet', 'new']);
    expect(ordinary.ranked.every((r) => r.adjustments.length === 0)).toBe(true);
  });

  it('places a worker above the queue-share cap below the others once the sample is large enough', () => {
    const hog = { ...veteran, queueShare: 0.8 };
    const capped = rankCandidates({ candidates: [hog, newcomer], context, weights, topK: 20, fairness });
    expect(capped.ranked.map((r) => r.workerId)).toEqual(['new', 'vet']);
    expect(capped.ranked[1].adjustments[0]).toMatchObject({ kind: 'queue_share_cap', delta: -1 });
    const small = rankCandidates({ candidates: [hog, newcomer], context, weights, topK: 20, fairness: { ...fairness, queueSample: 5 } });
    expect(small.ranked[0].workerId).toBe('vet');
  });

  it('always ranks by the adjusted score and gives the same decision for the same inputs', () => {
    const arbWorker = fc.record({
      id: fc.stringMatching(/^w[0-9]{1,4}$/),
      q: fc.double({ min: 0, max: 1, noNaN: true }),
      evidence: fc.double({ min: 0, max: 20, noNaN: true }),
      share: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(arbWorker, { selector: (w) => w.id, maxLength: 20 }), fc.double({ min: 0, max: 0.999, noNaN: true }), (ws, draw) => {
        const candidates = ws.map((w) => worker(w.id, { scores: { quality: w.q, latency: 0.5, availability: 0.5 }, qualityEvidence: w.evidence, queueShare: w.share }));
        const input = { candidates, context, weights, topK: 20, fairness: { ...fairness, draw } };
        const a = rankCandidates(input);
        for (const r of a.ranked) {
          expect(r.finalScore).toBeCloseTo(r.baseScore + r.adjustments.reduce((s, x) => s + x.delta, 0), 5);
        }
        for (let i = 1; i < a.ranked.length; i++) expect(a.ranked[i - 1].finalScore).toBeGreaterThanOrEqual(a.ranked[i].finalScore);
        expect(rankCandidates({ ...input, candidates: [...candidates].reverse() }).ranked).toEqual(a.ranked);
      }),
    );
  });

  it('with a limit, gives exactly the first entries of the full ranking, ties and fairness included', () => {
    // Scores on a coarse grid, so many workers tie and the tie hash decides.
    const arbWorker = fc.record({
      id: fc.stringMatching(/^w[0-9]{1,4}$/),
      q: fc.integer({ min: 0, max: 4 }).map((n) => n / 4),
      evidence: fc.integer({ min: 0, max: 10 }),
      share: fc.constantFrom(0, 0.1, 0.9),
      online: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.uniqueArray(arbWorker, { selector: (w) => w.id, maxLength: 60 }), fc.integer({ min: 0, max: 70 }), fc.double({ min: 0, max: 0.999, noNaN: true }), (ws, limit, draw) => {
        const candidates = ws.map((w) => worker(w.id, { online: w.online, scores: { quality: w.q, latency: 0.5, availability: 0.5 }, qualityEvidence: w.evidence, queueShare: w.share }));
        const input = { candidates, context, weights, topK: 20, fairness: { ...fairness, draw } };
        const full = rankCandidates(input);
        const cut = rankCandidates({ ...input, limit });
        expect(cut.ranked).toEqual(full.ranked.slice(0, limit));
        expect(cut.eligible).toBe(full.ranked.length);
        expect(cut.filteredOut).toEqual(full.filteredOut);
      }),
    );
  });
});

describe('rankCandidates against the plain ranking', () => {
  it('gives the same filtering, order, scores and adjustments, whole or cut, for any pool, task and fairness', () => {
    const arbWorker = fc.record({
      id: fc.stringMatching(/^w[0-9]{1,3}$/),
      skills: fc.subarray(['label', 'audio']),
      languages: fc.subarray(['en', 'fr']),
      qualifications: fc.subarray(['nda', 'medical']),
      online: fc.oneof(fc.constant(true), fc.constant(true), fc.constant(true), fc.constant(false)),
      suspended: fc.boolean(),
      capacity: fc.integer({ min: 1, max: 3 }),
      activeTasks: fc.integer({ min: 0, max: 3 }),
      // A coarse grid, so scores tie and the tie hash decides; fine values too.
      q: fc.oneof(fc.integer({ min: 0, max: 4 }).map((n) => n / 4), fc.double({ min: -0.5, max: 1.5, noNaN: true })),
      l: fc.integer({ min: 0, max: 2 }).map((n) => n / 2),
      evidence: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
      share: fc.option(fc.constantFrom(0, 0.1, 0.5, 0.9), { nil: undefined }),
    });
    const arbFairness = fc.option(
      fc.record({
        newcomerShare: fc.constantFrom(0, 0.1, 1),
        newcomerMaxReviews: fc.integer({ min: 0, max: 8 }),
        maxQueueShare: fc.constantFrom(0.3, 0.5),
        queueShareMinSample: fc.constantFrom(10, 20),
        queueSample: fc.integer({ min: 0, max: 40 }),
        draw: fc.double({ min: 0, max: 0.999, noNaN: true }),
      }),
      { nil: undefined },
    );
    const arbWeights = fc.constantFrom<Record<string, number>>(weights, { quality: 1 }, { latency: 0.3, quality: 0.7, unknown: 0.1 }, {});
    fc.assert(
      fc.property(
        fc.uniqueArray(arbWorker, { selector: (w) => w.id, maxLength: 50 }), arbFairness, arbWeights, fc.integer({ min: 0, max: 60 }),
        fc.subarray(['w1', 'w2', 'w3', 'w10', 'w11']), fc.subarray(['w4', 'w5', 'w12']), fc.subarray(['en', 'fr']),
        fc.subarray(['w6', 'w7', 'w13']), fc.subarray(['nda', 'medical']), fc.subarray(['label', 'audio']),
        (ws, fairness, w, limit, onTask, declined, languages, excluded, qualifications, skills) => {
          const candidates = ws.map((x) => worker(x.id, {
            skills: x.skills, languages: x.languages, qualifications: x.qualifications, online: x.online, suspended: x.suspended, capacity: x.capacity, activeTasks: x.activeTasks,
            scores: { quality: x.q, latency: x.l, availability: 0.5 }, qualityEvidence: x.evidence, queueShare: x.share,
          }));
          const ctx: MatchContext = {
            task: { ...task, requiredSkills: skills, languages, requiredQualifications: qualifications, excludedWorkerIds: excluded },
            onTask: new Set(onTask), declined: new Set(declined),
          };
          const plain = plainRanking(candidates, ctx, w, fairness);
          const whole = rankCandidates({ candidates, context: ctx, weights: w, topK: 20, fairness });
          expect(whole.ranked).toEqual(plain.ranked);
          expect(whole.filteredOut).toEqual(plain.filteredOut);
          expect(whole.eligible).toBe(plain.ranked.length);
          // Each ineligible worker under the first rule's closure it fails.
          expect(whole.ineligible).toEqual(new Map(candidates.flatMap((c) => {
            const failed = ELIGIBILITY_FILTERS.find((f) => !f.passes(c, ctx));
            return failed ? [[c.workerId, failed.reason] as const] : [];
          })));
          const cut = rankCandidates({ candidates, context: ctx, weights: w, topK: 20, fairness, limit });
          expect(cut.ranked).toEqual(plain.ranked.slice(0, limit));
          // The pool of the task's skills, as the dispatcher ranks it: the skill rule is not checked, and nothing changes.
          const holders = candidates.filter((c) => skills.every((s) => c.skills.includes(s)));
          const pooled = rankCandidates({ candidates: holders, context: ctx, weights: w, topK: 20, fairness, limit, skillsHeld: true });
          const plainPooled = plainRanking(holders, ctx, w, fairness);
          expect(pooled.ranked).toEqual(plainPooled.ranked.slice(0, limit));
          expect(pooled.filteredOut).toEqual(plainPooled.filteredOut);
          // Walking the pool's base order gives the same, counts included.
          const walked = rankCandidates({ candidates: holders, context: ctx, weights: w, topK: 20, fairness, limit, skillsHeld: true, standing: baseOrder(holders, w) });
          expect(walked.ranked).toEqual(plainPooled.ranked.slice(0, limit));
          expect(walked.filteredOut).toEqual(plainPooled.filteredOut);
          expect(walked.eligible).toBe(plainPooled.ranked.length);
          // And told which members hold a share of the queue, reading no one else's.
          const sharing = holders.flatMap((c, at) => ((c.queueShare ?? 0) > 0 ? [at] : []));
          const told = rankCandidates({ candidates: holders, context: ctx, weights: w, topK: 20, fairness, limit, skillsHeld: true, standing: baseOrder(holders, w), sharing });
          expect(told.ranked).toEqual(plainPooled.ranked.slice(0, limit));
          expect(told.tieBreak).toBe('fmix32-keys');
          // So does judging by the pool's standing rules, with the workers this attempt's facts touch checked afresh.
          const touched = new Set([...excluded, ...onTask, ...declined]);
          const recheck = holders.flatMap((c, at) => (touched.has(c.workerId) ? [at] : []));
          const rules = standingRules(holders, ctx.task, { skillsHeld: true });
          for (const standing of [undefined, baseOrder(holders, w)]) {
            const judged = rankCandidates({ candidates: holders, context: ctx, weights: w, topK: 20, fairness, limit, skillsHeld: true, standing, standingRules: { rules, recheck } });
            expect(judged.ranked).toEqual(plainPooled.ranked.slice(0, limit));
            expect(judged.filteredOut).toEqual(plainPooled.filteredOut);
            expect(judged.ineligible).toEqual(pooled.ineligible);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('rankCandidates walking a base order', () => {
  // Pools larger than the limit, scores on coarse grids (many ties), newcomers rare or common,
  // some workers over the queue-share cap: the walk must stop exactly where the full ranking agrees.
  const arbWorker = fc.record({
    id: fc.stringMatching(/^w[0-9]{1,4}$/),
    q: fc.integer({ min: 0, max: 5 }).map((n) => n / 5),
    l: fc.integer({ min: 0, max: 2 }).map((n) => n / 2),
    online: fc.oneof(fc.constant(true), fc.constant(true), fc.constant(false)),
    activeTasks: fc.integer({ min: 0, max: 2 }),
    newcomer: fc.integer({ min: 0, max: 99 }),
    share: fc.integer({ min: 0, max: 99 }),
    french: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  });
  const arbFairness = fc.record({
    newcomerShare: fc.constantFrom(0, 0.5, 1),
    newcomerMaxReviews: fc.constantFrom(1, 3),
    maxQueueShare: fc.constant(0.5),
    queueShareMinSample: fc.constant(20),
    queueSample: fc.constantFrom(0, 40),
    draw: fc.double({ min: 0, max: 0.999, noNaN: true }),
  });

  it('gives the first entries of the full ranking for any limit, fairness and pool', () => {
    // Per pool, the percentage of newcomers and of workers over the cap: none, a few, most or all.
    const percent = fc.constantFrom(0, 1, 30, 90, 100);
    fc.assert(
      fc.property(fc.uniqueArray(arbWorker, { selector: (w) => w.id, maxLength: 200 }), arbFairness, fc.integer({ min: 0, max: 12 }), percent, percent, (ws, fairness, limit, newcomers, capped) => {
        const candidates = ws.map((x) => worker(x.id, {
          online: x.online, capacity: 2, activeTasks: x.activeTasks, languages: x.french ? ['fr'] : ['en'],
          scores: { quality: x.q, latency: x.l, availability: 0.5 }, qualityEvidence: x.newcomer < newcomers ? 0 : 10, queueShare: x.share < capped ? 0.9 : x.share % 2 === 0 ? 0.1 : 0,
        }));
        const sharing = candidates.flatMap((c, at) => (c.queueShare! > 0 ? [at] : []));
        const input = { candidates, context, weights, topK: 5, fairness, limit, skillsHeld: true };
        const full = rankCandidates({ ...input, limit: undefined });
        const walked = rankCandidates({ ...input, standing: baseOrder(candidates, weights) });
        expect(walked.ranked).toEqual(full.ranked.slice(0, limit));
        expect(walked.filteredOut).toEqual(full.filteredOut);
        expect(walked.eligible).toBe(full.eligible);
        // Told who holds a share (the members over the cap among them), the walk reads no one else's and agrees.
        expect(rankCandidates({ ...input, standing: baseOrder(candidates, weights), sharing }).ranked).toEqual(full.ranked.slice(0, limit));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses an order made for another pool', () => {
    const candidates = [worker('a'), worker('b')];
    expect(() => rankCandidates({ candidates, context, weights, topK: 1, limit: 1, standing: baseOrder([worker('a')], weights) })).toThrow(/holds 1 candidates, not 2/);
  });
});

/**
 * Positions a caller could tell a mend about: every one whose candidate changed, and every third
 * one besides (more than changed is allowed), each once, highest first.
 */
function toldPositions(before: readonly Candidate[], after: readonly Candidate[]): number[] {
  return after.flatMap((c, i) => (c !== before[i] || i % 3 === 0 ? [i] : [])).reverse();
}

describe('baseOrder', () => {
  const arbScores = fc.array(fc.record({ q: fc.integer({ min: 0, max: 4 }).map((n) => n / 4), l: fc.double({ min: 0, max: 1, noNaN: true }) }), { maxLength: 80 });

  it('mended from an earlier version of the pool equals one made afresh', () => {
    fc.assert(
      fc.property(arbScores, fc.array(fc.record({ at: fc.nat(), q: fc.integer({ min: 0, max: 4 }).map((n) => n / 4), same: fc.boolean() }), { maxLength: 10 }), (scores, changes) => {
        const before = scores.map((s, i) => worker(`w${i}`, { scores: { quality: s.q, latency: s.l, availability: 0.5 } }));
        const after = before.slice();
        for (const c of changes) {
          if (after.length === 0) break;
          const at = c.at % after.length;
          // A new object for the worker: its scores changed, or only what the base score does not read.
          after[at] = c.same ? { ...after[at], activeTasks: 1 } : { ...after[at], scores: { ...after[at].scores, quality: c.q } };
        }
        const previous = baseOrder(before, weights);
        const fresh = baseOrder(after, weights);
        // Found by comparing the versions, or told by the caller (here more than changed, newest first).
        const told = toldPositions(before, after);
        for (const mended of [
          baseOrder(after, weights, { previous: { candidates: before, order: previous } }),
          baseOrder(after, weights, { previous: { candidates: before, order: previous, replaced: told } }),
        ]) {
          expect(Array.from(mended.base)).toEqual(Array.from(fresh.base));
          expect([...mended.order].sort((a, b) => a - b)).toEqual(after.map((_, i) => i));
          for (let k = 1; k < mended.order.length; k++) expect(mended.base[mended.order[k - 1]]).toBeGreaterThanOrEqual(mended.base[mended.order[k]]);
          if (changes.every((c) => c.same)) expect(mended).toBe(previous);
        }
      }),
    );
  });

  it('takes the positions the caller tells as the only ones to check, without comparing the versions', () => {
    const before = [worker('a'), worker('b')];
    const after = [before[0], worker('b', { scores: { quality: 1, latency: 1, availability: 1 } })];
    const previous = baseOrder(before, weights);
    // Told nothing changed, it keeps the previous order: the versions were not compared.
    expect(baseOrder(after, weights, { previous: { candidates: before, order: previous, replaced: [] } })).toBe(previous);
    expect(Array.from(baseOrder(after, weights, { previous: { candidates: before, order: previous, replaced: [1] } }).order)).toEqual([1, 0]);
    const rules = standingRules(before, task);
    expect(standingRules([before[0], worker('b', { online: false })], task, { previous: { candidates: before, rules, replaced: [] } })).toBe(rules);
  });

  it('is made afresh when the earlier version holds other workers', () => {
    const before = [worker('a'), worker('b', { scores: { quality: 1, latency: 1, availability: 1 } })];
    const after = [worker('c', { scores: { quality: 1, latency: 1, availability: 1 } }), worker('b')];
    const order = baseOrder(after, weights, { previous: { candidates: before, order: baseOrder(before, weights) } });
    expect(Array.from(order.order)).toEqual([0, 1]);
    expect(Array.from(order.base)).toEqual(Array.from(baseOrder(after, weights).base));
  });
});

describe('standingRules', () => {
  const ctxFor = (languages: string[]): MatchContext => ({ task: { ...task, languages }, onTask: new Set(), declined: new Set() });

  it('judges as the rules do for an attempt with no per-attempt facts, and counts by rule', () => {
    const pool = [worker('a'), worker('b', { online: false }), worker('c', { languages: ['fr'] }), worker('d', { activeTasks: 1 }), worker('e', { suspended: true })];
    const rules = standingRules(pool, ctxFor(['en']).task);
    expect(Array.from(rules.rule).map((r) => (r < 0 ? 'eligible' : ELIGIBILITY_FILTERS[r].reason))).toEqual(['eligible', 'offline', 'language_mismatch', 'at_capacity', 'suspended']);
    expect(Array.from(rules.counts).reduce((a, b) => a + b, 0)).toBe(4);
  });

  it('with a worker whose capacity was taken since, checked afresh, counts them at capacity', () => {
    const pool = [worker('a'), worker('b')];
    const rules = standingRules(pool, task);
    const busy = [{ ...pool[0], activeTasks: 1 }, pool[1]];
    const judged = rankCandidates({ candidates: busy, context, weights, topK: 5, limit: 5, standingRules: { rules, recheck: [0] } });
    expect(judged.filteredOut).toEqual({ at_capacity: 1 });
    expect(judged.ranked.map((r) => r.workerId)).toEqual(['b']);
    expect(() => rankCandidates({ candidates: busy, context, weights, topK: 5, standingRules: { rules: standingRules([pool[0]], task), recheck: [] } })).toThrow(/hold 1 candidates, not 2/);
    expect(() => rankCandidates({ candidates: busy, context, weights, topK: 5, filters: ELIGIBILITY_FILTERS, standingRules: { rules, recheck: [] } })).toThrow(/either filters or standing rules/);
  });

  it('mended from an earlier version of the pool equals rules made afresh', () => {
    const arbWorker = fc.record({ online: fc.boolean(), french: fc.boolean(), active: fc.integer({ min: 0, max: 1 }) });
    fc.assert(
      fc.property(fc.array(arbWorker, { maxLength: 40 }), fc.array(fc.record({ at: fc.nat(), w: arbWorker }), { maxLength: 8 }), (ws, changes) => {
        const make = (x: { online: boolean; french: boolean; active: number }, id: string) => worker(id, { online: x.online, languages: x.french ? ['fr'] : ['en'], activeTasks: x.active });
        const before = ws.map((x, i) => make(x, `w${i}`));
        const after = before.slice();
        for (const c of changes) if (after.length > 0) after[c.at % after.length] = make(c.w, after[c.at % after.length].workerId);
        const previous = standingRules(before, task);
        const fresh = standingRules(after, task);
        for (const mended of [
          standingRules(after, task, { previous: { candidates: before, rules: previous } }),
          standingRules(after, task, { previous: { candidates: before, rules: previous, replaced: toldPositions(before, after) } }),
        ]) {
          expect(Array.from(mended.rule)).toEqual(Array.from(fresh.rule));
          expect(Array.from(mended.counts)).toEqual(Array.from(fresh.counts));
        }
      }),
    );
  });
});
