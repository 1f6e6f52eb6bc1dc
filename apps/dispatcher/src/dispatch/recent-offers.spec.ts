import fc from 'fast-check';
import type { EntityManager } from 'typeorm';
import type { RecentOffer } from '../tasks/task-store';
import { newest, RecentOffers } from './recent-offers';

const o = (offerId: string, atMicros: number, workerId = `w-${offerId}`): RecentOffer => ({ offerId, workerId, atMicros });
const ids = (list: readonly RecentOffer[]) => list.map((x) => x.offerId);

describe('newest', () => {
  it('merges two lists newest first, ties by offer id descending, each offer once, at most `window`', () => {
    const held = [o('b', 30), o('a', 10)];
    expect(ids(newest(held, [o('c', 20), o('b', 30), o('d', 30)], 10))).toEqual(['d', 'b', 'c', 'a']);
    expect(ids(newest(held, [o('c', 20), o('d', 30)], 2))).toEqual(['d', 'b']);
    expect(ids(newest(held, [o('z', 1)], 2))).toEqual(['b', 'a']);
    expect(ids(newest([], [], 3))).toEqual([]);
  });
});

describe('RecentOffers', () => {
  const m = {} as EntityManager;

  function fakeStore() {
    const calls: string[] = [];
    let feed: (RecentOffer & { queue: string })[] = [];
    const store = {
      offersSince: async (_m: EntityManager, seenBefore: string | null) => {
        calls.push(`since ${seenBefore}`);
        const offers = feed;
        feed = [];
        return { xmin: String(calls.length), offers };
      },
      recentOffersMany: async (_m: EntityManager, queues: readonly string[]) => {
        calls.push(`load ${queues.join(',')}`);
        return new Map(queues.map((q) => [q, [o(`${q}-old`, 1)]]));
      },
    };
    return { store, calls, arrive: (offers: (RecentOffer & { queue: string })[]) => void (feed = offers) };
  }

  it('reads what was written since before loading the queues it lacks, and keeps the xmin it was given', async () => {
    const { store, calls, arrive } = fakeStore();
    const recent = new RecentOffers(store);
    expect(await recent.offerees(m, ['q1'], 3)).toEqual(new Map([['q1', ['w-q1-old']]]));
    arrive([{ ...o('n1', 5), queue: 'q1' }, { ...o('n2', 6), queue: 'q-unknown' }]);
    expect(await recent.offerees(m, ['q1'], 3)).toEqual(new Map([['q1', ['w-n1', 'w-q1-old']]]));
    expect(calls).toEqual(['since null', 'load q1', 'since 1']);
    // Asking for nothing reads nothing.
    expect((await recent.offerees(m, [], 3)).size).toBe(0);
    expect(calls.length).toBe(3);
  });

  it('starts again when the window changes, and takes callers one at a time', async () => {
    const { store, calls } = fakeStore();
    const recent = new RecentOffers(store);
    await Promise.all([recent.offerees(m, ['q1'], 3), recent.offerees(m, ['q1'], 3)]);
    expect(calls).toEqual(['since null', 'load q1', 'since 1']);
    await recent.offerees(m, ['q1'], 4);
    expect(calls.slice(3)).toEqual(['since 3', 'load q1']);
  });

  it('a failed read leaves the next caller to try again', async () => {
    const { store, calls } = fakeStore();
    let fail = true;
    const flaky = { ...store, offersSince: async (mm: EntityManager, seen: string | null) => (fail ? Promise.reject(new Error('connection lost')) : store.offersSince(mm, seen)) };
    const recent = new RecentOffers(flaky);
    await expect(recent.offerees(m, ['q1'], 3)).rejects.toThrow('connection lost');
    fail = false;
    expect(await recent.offerees(m, ['q1'], 3)).toEqual(new Map([['q1', ['w-q1-old']]]));
    expect(calls).toEqual(['since null', 'load q1']);
  });
});

describe('newest, against sorting everything', () => {
  it('gives what merging, dropping repeats and sorting the lot would, for any lists', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ offerId: fc.string({ maxLength: 3 }), atMicros: fc.integer({ min: 0, max: 20 }) }), { selector: (x) => x.offerId, maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.integer({ min: 1, max: 25 }),
        fc.integer({ min: 0, max: 40 }),
        (pool, picks, window, heldCount) => {
          const offers = pool.map((x) => o(x.offerId, x.atMicros));
          const sorted = (list: RecentOffer[]) => [...list].sort((a, b) => b.atMicros - a.atMicros || (a.offerId < b.offerId ? 1 : a.offerId > b.offerId ? -1 : 0));
          const held = sorted(offers.slice(0, heldCount)).slice(0, window);
          // Arrivals: some new, some repeats of held ones, some twice.
          const arrived = picks.map((p) => offers[p % Math.max(1, offers.length)]).filter(Boolean);
          const everyone = new Map([...held, ...arrived].map((x) => [x.offerId, x]));
          expect(ids(newest(held, arrived, window))).toEqual(ids(sorted([...everyone.values()]).slice(0, window)));
        },
      ),
      { numRuns: 500 },
    );
  });
});
