import { Client } from 'pg';
import { RecentOffers } from '../apps/dispatcher/src/dispatch/recent-offers';
import { TaskStore, type RecentOffer } from '../apps/dispatcher/src/tasks/task-store';
import { dispatcherDatabase } from './support/dispatcher-database';

/**
 * The statements of the dispatcher's task store that no service test pins down on its own,
 * against a real PostgreSQL.
 */
describe('TaskStore against PostgreSQL', () => {
  const pg = dispatcherDatabase('cw_store');
  const store = new TaskStore();
  const base = Date.parse('2026-12-01T10:00:00Z');
  let n = 0;
  /** An offer made `secondsAfter` the base time, through `client` (the pg.writer, committing at once, unless told). */
  const offer = (queue: string, workerId: string, secondsAfter: number, client: Pick<Client, 'query'> = pg.writer) =>
    client.query(
      `INSERT INTO dispatcher.offers (offer_id, task_id, queue, replica, attempt, worker_id, decision_id, state, expires_at, created_at)
       VALUES ($1, $2, $3, 1, 1, $4, $1, 'accepted', $5, $5)`,
      [`o-${String(++n).padStart(5, '0')}`, `t-${n}`, queue, workerId, new Date(base + secondsAfter * 1000)],
    );
  const workersOf = async (offers: Promise<Map<string, RecentOffer[]>>) => new Map([...(await offers)].map(([q, list]) => [q, list.map((o) => o.workerId)]));

  it("gives each queue the workers of its last `window` offers, newest first, and no other queue's", async () => {
    // Inserted out of time order, so the answer's order can only come from created_at.
    await offer('q-busy', 'w-1', 1);
    await offer('q-busy', 'w-3', 3);
    await offer('q-busy', 'w-2', 2);
    await offer('q-busy', 'w-1', 5);
    await offer('q-busy', 'w-4', 4);
    await offer('q-quiet', 'w-9', 10);
    await offer('q-other', 'w-8', 20);
    // A busy queue, well past what the window reads, so a plan that reads it all would still answer alike.
    for (let i = 0; i < 2000; i++) await offer('q-crowd', `w-c${i % 7}`, 100 + i);

    const recent = await workersOf(store.recentOffersMany(pg.dataSource.manager, ['q-busy', 'q-quiet', 'q-empty', 'q-crowd'], 3));

    expect([...recent.keys()]).toEqual(['q-busy', 'q-quiet', 'q-empty', 'q-crowd']);
    expect(recent.get('q-busy')).toEqual(['w-1', 'w-4', 'w-3']);
    expect(recent.get('q-quiet')).toEqual(['w-9']);
    expect(recent.get('q-empty')).toEqual([]);
    expect(recent.get('q-crowd')).toEqual([`w-c${1999 % 7}`, `w-c${1998 % 7}`, `w-c${1997 % 7}`]);
    expect((await workersOf(store.recentOffersMany(pg.dataSource.manager, ['q-busy'], 10))).get('q-busy')).toEqual(['w-1', 'w-4', 'w-3', 'w-2', 'w-1']);
    expect((await store.recentOffersMany(pg.dataSource.manager, [], 10)).size).toBe(0);
  });

  it('orders offers made in the same microsecond by offer id, newest first', async () => {
    await offer('q-tie', 'w-x', 7);
    await offer('q-tie', 'w-y', 7);
    await offer('q-tie', 'w-z', 6);
    expect((await workersOf(store.recentOffersMany(pg.dataSource.manager, ['q-tie'], 5))).get('q-tie')).toEqual(['w-y', 'w-x', 'w-z']);
  });

  it('keeps each queue\'s window between reads and answers as a fresh read would, whatever commits late or rolls back', async () => {
    const loads: string[][] = [];
    const counted = {
      offersSince: store.offersSince.bind(store),
      recentOffersMany: (m: Parameters<TaskStore['recentOffersMany']>[0], queues: readonly string[], window: number) => {
        loads.push([...queues]);
        return store.recentOffersMany(m, queues, window);
      },
    };
    const recent = new RecentOffers(counted, 2);
    const W = 4;
    const fresh = async (queues: string[]) => workersOf(store.recentOffersMany(pg.dataSource.manager, queues, W));
    const kept = (queues: string[]) => recent.offerees(pg.dataSource.manager, queues, W);
    const same = async (queues: string[]) => {
      const answer = await kept(queues);
      expect(answer).toEqual(await fresh(queues));
      return answer;
    };

    // Offers from before the feed existed carry no transaction id: they come with the first read.
    await pg.writer.query(`UPDATE dispatcher.offers SET created_xid = NULL WHERE queue = 'q-busy'`);
    expect((await same(['q-busy'])).get('q-busy')).toEqual(['w-1', 'w-4', 'w-3', 'w-2']);
    expect(loads).toEqual([['q-busy']]);

    await offer('q-busy', 'w-5', 30);
    expect((await same(['q-busy'])).get('q-busy')).toEqual(['w-5', 'w-1', 'w-4', 'w-3']);

    // A transaction writes an offer and stays open while others commit and the window is read.
    const slow = new Client({ connectionString: pg.url });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      await offer('q-busy', 'w-slow', 35, slow);
      await offer('q-busy', 'w-6', 40);
      expect((await same(['q-busy'])).get('q-busy')).toEqual(['w-6', 'w-5', 'w-1', 'w-4']);
      await slow.query('COMMIT');
    } finally {
      await slow.end();
    }
    // Committed after the last read, older than the newest offer: it takes its place in the window.
    expect((await same(['q-busy'])).get('q-busy')).toEqual(['w-6', 'w-slow', 'w-5', 'w-1']);

    // A rolled-back offer is never seen.
    await pg.writer.query('BEGIN');
    await offer('q-busy', 'w-gone', 50);
    await pg.writer.query('ROLLBACK');
    expect((await same(['q-busy'])).get('q-busy')).toEqual(['w-6', 'w-slow', 'w-5', 'w-1']);

    // Within a transaction that has written an offer, the window leaves it out until it commits.
    const runner = pg.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await offer('q-busy', 'w-own', 60, { query: (sql: string, params: unknown[]) => runner.query(sql, params) } as unknown as Pick<Client, 'query'>);
      expect((await recent.offerees(runner.manager, ['q-busy'], W)).get('q-busy')).toEqual(['w-6', 'w-slow', 'w-5', 'w-1']);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    expect((await same(['q-busy'])).get('q-busy')).toEqual(['w-own', 'w-6', 'w-slow', 'w-5']);

    // A queue first asked for later is read whole once; two queues are kept, the least recently asked for goes.
    await offer('q-quiet', 'w-10', 70);
    expect((await same(['q-quiet', 'q-busy'])).get('q-quiet')).toEqual(['w-10', 'w-9']);
    await offer('q-busy', 'w-7', 75);
    await same(['q-quiet', 'q-busy']);
    expect(loads).toEqual([['q-busy'], ['q-quiet']]);
    await same(['q-other']); // q-busy was asked for last: q-quiet goes
    await offer('q-quiet', 'w-11', 80);
    await offer('q-other', 'w-12', 80);
    expect((await same(['q-other', 'q-busy'])).get('q-other')).toEqual(['w-12', 'w-8']);
    expect(loads).toEqual([['q-busy'], ['q-quiet'], ['q-other']]);
    expect((await same(['q-quiet'])).get('q-quiet')).toEqual(['w-11', 'w-10', 'w-9']);
    expect(loads).toEqual([['q-busy'], ['q-quiet'], ['q-other'], ['q-quiet']]);

    // A window of another length starts again.
    expect(await recent.offerees(pg.dataSource.manager, ['q-busy'], 2)).toEqual(await workersOf(store.recentOffersMany(pg.dataSource.manager, ['q-busy'], 2)));
    expect(loads.length).toBe(5);
  });
});
