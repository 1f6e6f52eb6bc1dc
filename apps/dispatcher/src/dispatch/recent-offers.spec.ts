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
    const store = {
      recentOffersMany: async (_m: EntityManager, queues: readonly string[]) => {
        calls.push(`load ${queues.join(',')}`);
        return new Map(queues.map((q) => [q, [o(`${q}-old`, 1)]]));
      },
    };
    return { store, calls };
  }

  it('loads the queues it lacks, and adds what arrives since to the windows it holds', async () => {
    const { store, calls } = fakeStore();
    const recent = new RecentOffers(store);
    // Before the queue is held, what arrives for it is not kept: its load will hold it.
    recent.arrived([{ ...o('early', 0), queue: 'q1' }]);
    expect(await recent.offerees(m, ['q1'], 3)).toEqual(new Map([['q1', ['w-q1-old']]]));
    recent.arrived([{ ...o('n1', 5), queue: 'q1' }, { ...o('n2', 6), queue: 'q-unknown' }]);
    recent.arrived([{ ...o('n3', 7), queue: 'q1' }, { ...o('n1', 5), queue: 'q1' }]); // n1 read again: counted once
    expect(await recent.offerees(m, ['q1'], 3)).toEqual(new Map([['q1', ['w-n3', 'w-n1', 'w-q1-old']]]));
    recent.arrived([{ ...o('n4', 8), queue: 'q1' }]);
    expect(await recent.offerees(m, ['q1'], 3)).toEqual(new Map([['q1', ['w-n4', 'w-n3', 'w-n1']]]));
    expect(calls).toEqual(['load q1']);
    // Asking for nothing reads nothing.
    expect((await recent.offerees(m, [], 3)).size).toBe(0);
    expect(calls.length).toBe(1);
  });

  it('applies arrivals and callers in the order they came', async () => {
    const { store } = fakeStore();
    const recent = new RecentOffers(store);
    await recent.offerees(m, ['q1'], 3);
    const before = recent.offerees(m, ['q1'], 3);
    recent.arrived([{ ...o('n1', 5), queue: 'q1' }]);
    const after = recent.offerees(m, ['q1'], 3);
    expect((await before).get('q1')).toEqual(['w-q1-old']);
    expect((await after).get('q1')).toEqual(['w-n1', 'w-q1-old']);
  });

  it('starts again when the window changes, and takes callers one at a time', async () => {
    const { store, calls } = fakeStore();
    const recent = new RecentOffers(store);
    await Promise.all([recent.offerees(m, ['q1'], 3), recent.offerees(m, ['q1'], 3)]);
    expect(calls).toEqual(['load q1']);
    await recent.offerees(m, ['q1'], 4);
    expect(calls).toEqual(['load q1', 'load q1']);
  });

  it('a failed read leaves the next caller to try again', async () => {
    const { store, calls } = fakeStore();
    let fail = true;
    const flaky = { recentOffersMany: async (mm: EntityManager, queues: readonly string[]) => (fail ? Promise.reject(new Error('connection lost')) : store.recentOffersMany(mm, queues)) };
    const recent = new RecentOffers(flaky);
    await expect(recent.offerees(m, ['q1'], 3)).rejects.toThrow('connection lost');
    fail = false;
    expect(await recent.offerees(m, ['q1'], 3)).toEqual(new Map([['q1', ['w-q1-old']]]));
    expect(calls).toEqual(['load q1']);
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
