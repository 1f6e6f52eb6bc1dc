import fc from 'fast-check';
import { decayFactor, EMPTY_EVIDENCE, observe, readEvidence } from './evidence';
import { COMPONENTS, DEFAULT_POLICY, type PolicyDocument } from './policy';
import { evolve, movesOnlyLastSeen, NEW_WORKER, scoreOf, withLastSeen, type ScoringEvent, type WorkerScoreState } from './worker-score';

const T0 = Date.UTC(2026, 10, 1);
const DAY = 86_400_000;
const NOW = T0 + 60 * DAY;
const at = (ms: number) => new Date(ms).toISOString();

const arbTime = fc.integer({ min: T0, max: NOW });
const arbReason = fc.constantFrom('unavailable', 'personal_emergency', 'platform_issue', 'not_qualified', 'other', undefined);
const arbEvent: fc.Arbitrary<ScoringEvent> = fc.oneof(
  fc.record({ type: fc.constant('TaskReviewed' as const), verdict: fc.constantFrom('approved' as const, 'rejected' as const), gold: fc.boolean(), t: arbTime }),
  fc.record({ type: fc.constant('TaskSubmitted' as const), durationSeconds: fc.integer({ min: 0, max: 10_000 }), estimatedSeconds: fc.integer({ min: 1, max: 5_000 }), t: arbTime }),
  fc.record({ type: fc.constantFrom('OfferAccepted' as const, 'OfferDeclined' as const), responseSeconds: fc.integer({ min: 0, max: 600 }), reason: arbReason, t: arbTime }),
  fc.record({ type: fc.constant('OfferExpired' as const), t: arbTime }),
  fc.record({ type: fc.constant('TaskAbandoned' as const), reason: arbReason, t: arbTime }),
  fc.record({ type: fc.constantFrom('WorkerWentOnline' as const, 'WorkerHeartbeat' as const, 'WorkerWentOffline' as const), t: arbTime }),
).map(({ t, ...rest }) => ({ ...rest, eventId: `e-${t}-${rest.type}`, occurredAt: at(t) }) as ScoringEvent);

const fold = (events: readonly ScoringEvent[], policy: PolicyDocument = DEFAULT_POLICY): WorkerScoreState =>
  events.reduce((s, e) => evolve(policy, s, e), evolve(policy, NEW_WORKER, { type: 'WorkerRegistered', eventId: 'reg', occurredAt: at(T0) }));

describe('scoring maths (default policy)', () => {
  it('keeps every score in [0, 1]', () => {
    fc.assert(
      fc.property(fc.array(arbEvent, { maxLength: 60 }), (events) => {
        const s = scoreOf(DEFAULT_POLICY, fold(events), NOW);
        for (const c of COMPONENTS) {
          expect(s.components[c].value).toBeGreaterThanOrEqual(0);
          expect(s.components[c].value).toBeLessThanOrEqual(1);
          expect(s.components[c].uncertainty).toBeGreaterThanOrEqual(0);
          expect(s.components[c].uncertainty).toBeLessThanOrEqual(0.5);
        }
        expect(s.composite).toBeGreaterThanOrEqual(0);
        expect(s.composite).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('never lowers quality on an approval and never raises it on a rejection', () => {
    fc.assert(
      fc.property(fc.array(arbEvent, { maxLength: 40 }), arbTime, fc.boolean(), (events, t, gold) => {
        const before = fold(events);
        const q = (s: WorkerScoreState) => scoreOf(DEFAULT_POLICY, s, NOW).components.quality.value;
        const review = (verdict: 'approved' | 'rejected') => evolve(DEFAULT_POLICY, before, { type: 'TaskReviewed', verdict, gold, eventId: 'r', occurredAt: at(t) });
        expect(q(review('approved'))).toBeGreaterThanOrEqual(q(before));
        expect(q(review('rejected'))).toBeLessThanOrEqual(q(before));
      }),
    );
  });

  it('weighs evidence half after one half-life', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 365, noNaN: true }), arbTime, fc.double({ min: 0.1, max: 10, noNaN: true }), (halfLife, t, weight) => {
        const e = observe(EMPTY_EVIDENCE, 1, weight, t, halfLife);
        const then = readEvidence(e, t, halfLife).weight;
        const later = readEvidence(e, t + halfLife * DAY, halfLife).weight;
        expect(later / then).toBeCloseTo(0.5, 12);
      }),
    );
    expect(decayFactor(30 * DAY, 30)).toBeCloseTo(0.5, 15);
  });

  it('gives the same scores for the same events in any order of delivery', () => {
    fc.assert(
      fc.property(
        fc.array(arbEvent.filter((e) => !e.type.startsWith('Worker')), { maxLength: 40 }).chain((events) =>
          fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length })),
        ),
        ([events, shuffled]) => {
          const a = scoreOf(DEFAULT_POLICY, fold(events), NOW);
          const b = scoreOf(DEFAULT_POLICY, fold(shuffled), NOW);
          for (const c of COMPONENTS) expect(Math.abs(a.components[c].value - b.components[c].value)).toBeLessThanOrEqual(2e-6);
          expect(Math.abs(a.composite - b.composite)).toBeLessThanOrEqual(2e-6);
          expect(scoreOf(DEFAULT_POLICY, fold(events), NOW)).toEqual(a);
        },
      ),
    );
  });

  it('never lowers availability for a decline or abandonment with a legitimate reason', () => {
    fc.assert(
      fc.property(
        fc.array(arbEvent, { maxLength: 40 }),
        arbTime,
        fc.constantFrom('personal_emergency' as const, 'platform_issue' as const),
        fc.constantFrom('OfferDeclined' as const, 'TaskAbandoned' as const),
        (events, t, reason, type) => {
          const before = fold(events);
          const after = evolve(DEFAULT_POLICY, before, { type, reason, eventId: 'x', occurredAt: at(t), responseSeconds: 5 } as ScoringEvent);
          const avail = (s: WorkerScoreState) => scoreOf(DEFAULT_POLICY, s, NOW).components.availability.value;
          expect(avail(after)).toBeGreaterThanOrEqual(avail(before));
        },
      ),
    );
  });

  it('lets an event type the policy does not list change nothing', () => {
    const silent: PolicyDocument = { ...DEFAULT_POLICY, events: { quality: [], latency: [], availability: [] } };
    fc.assert(
      fc.property(fc.array(arbEvent, { maxLength: 30 }), arbEvent, (events, extra) => {
        const before = fold(events, silent);
        const after = evolve(silent, before, extra);
        if (extra.type.startsWith('Worker')) return; // presence is not evidence and is always kept
        expect(after).toBe(before);
      }),
    );
  });

  it('reports a worker with 2 reviews with wide uncertainty, never above a proven worker with the same approval rate', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 3, max: 50 }), (approvedOfTwo, scale) => {
        const reviews = (approved: number, total: number) =>
          Array.from({ length: total }, (_, i): ScoringEvent => ({
            type: 'TaskReviewed', verdict: i < approved ? 'approved' : 'rejected', gold: false, eventId: `r${i}`, occurredAt: at(NOW - DAY),
          }));
        const newcomer = scoreOf(DEFAULT_POLICY, fold(reviews(approvedOfTwo, 2)), NOW);
        const proven = scoreOf(DEFAULT_POLICY, fold(reviews(approvedOfTwo * scale, 2 * scale)), NOW);
        expect(newcomer.components.quality.value).toBeLessThanOrEqual(proven.components.quality.value);
        expect(newcomer.composite).toBeLessThanOrEqual(proven.composite);
        expect(newcomer.components.quality.uncertainty).toBeGreaterThan(proven.components.quality.uncertainty);
        expect(newcomer.components.quality.uncertainty).toBeGreaterThanOrEqual(0.3);
      }),
    );
  });

  it('lapses presence after the heartbeat TTL with no further event', () => {
    const s = fold([{ type: 'WorkerWentOnline', eventId: 'on', occurredAt: at(NOW - 10 * 60_000) }]);
    const ttl = DEFAULT_POLICY.presence.heartbeatTtlSeconds * 1000;
    const online = scoreOf(DEFAULT_POLICY, s, NOW - 10 * 60_000 + ttl - 1).components.availability.value;
    expect(online).toBeGreaterThan(0);
    const { isOnline } = jest.requireActual('./worker-score') as typeof import('./worker-score');
    expect(isOnline(DEFAULT_POLICY, s, NOW - 10 * 60_000 + ttl)).toBe(true);
    expect(isOnline(DEFAULT_POLICY, s, NOW - 10 * 60_000 + ttl + 1)).toBe(false);
  });

  it('says when an event moved the time last seen alone, and that time put back gives the whole state', () => {
    fc.assert(
      fc.property(fc.array(arbEvent, { maxLength: 40 }), arbEvent, (events, e) => {
        const before = fold(events);
        const after = evolve(DEFAULT_POLICY, before, e);
        if (!movesOnlyLastSeen(before, after)) return;
        expect(withLastSeen(before, after.presence.lastSeen!)).toEqual(after);
        expect(scoreOf(DEFAULT_POLICY, withLastSeen(before, after.presence.lastSeen!), NOW)).toEqual(scoreOf(DEFAULT_POLICY, after, NOW));
      }),
    );
    const online = fold([{ type: 'WorkerWentOnline', eventId: 'on', occurredAt: at(NOW - 10 * 60_000) }]);
    const beat = (ms: number): ScoringEvent => ({ type: 'WorkerHeartbeat', eventId: `hb-${ms}`, occurredAt: at(ms) });
    const ttl = DEFAULT_POLICY.presence.heartbeatTtlSeconds * 1000;
    // A heartbeat within the TTL, and the same heartbeat again: the time alone.
    const next = evolve(DEFAULT_POLICY, online, beat(NOW - 10 * 60_000 + 60_000));
    expect(movesOnlyLastSeen(online, next)).toBe(true);
    expect(movesOnlyLastSeen(next, evolve(DEFAULT_POLICY, next, beat(NOW - 10 * 60_000 + 60_000)))).toBe(true);
    // After a lapse the online interval closes: more than the time.
    expect(movesOnlyLastSeen(online, evolve(DEFAULT_POLICY, online, beat(NOW - 10 * 60_000 + ttl + 1)))).toBe(false);
    // Going offline, and evidence, are more than the time.
    expect(movesOnlyLastSeen(online, evolve(DEFAULT_POLICY, online, { type: 'WorkerWentOffline', eventId: 'off', occurredAt: at(NOW - 60_000) }))).toBe(false);
    expect(movesOnlyLastSeen(online, evolve(DEFAULT_POLICY, online, { type: 'OfferExpired', eventId: 'x', occurredAt: at(NOW - 60_000) }))).toBe(false);
  });
});
