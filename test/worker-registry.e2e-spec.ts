import { Client } from 'pg';
import { WorkerRegistry } from '../apps/dispatcher/src/workers/worker-registry';
import { dispatcherDatabase } from './support/scratch-database';

/**
 * Heartbeats' presence (held until the worker events' unit commits) and the scores' update
 * deadlocked each other now and then under load. Presence takes its locks in worker id order,
 * whatever order it is given the workers in; the scores' update never holds one worker's row
 * while it waits for another's. Against a real PostgreSQL: a row held by another transaction makes
 * the statement wait, and what it holds by then shows how it takes its locks.
 */
describe('WorkerRegistry against PostgreSQL', () => {
  const pg = dispatcherDatabase('cw_registry');
  const registry = new WorkerRegistry();
  const ids = ['w-a', 'w-b', 'w-c', 'w-d', 'w-e'];
  /** When the scores of the first test were computed; the ordering test's come later. */
  const T0 = '2026-12-07T10:00:00.000Z';
  /** The order the statements are given the workers in: neither sorted nor reversed. */
  const given = ['w-e', 'w-a', 'w-d', 'w-c', 'w-b'];

  beforeAll(async () => {
    await registry.registerMany(pg.dataSource.manager, given.map((workerId) => ({ workerId, skills: ['s'], languages: ['en'], qualifications: [], capacity: 1 })));
  });

  /** Runs `statement` while another transaction holds w-c; returns the rows it had locked while it waited, then lets it finish. */
  async function lockedWhileWaiting<T>(statement: () => Promise<T>): Promise<{ locked: string[]; result: T }> {
    const holder = new Client({ connectionString: pg.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM dispatcher.workers WHERE worker_id = 'w-c' FOR UPDATE`);
      const running = statement();
      running.catch(() => undefined);
      await waitForLockWait(pg.writer);
      const free = await pg.writer.query<{ worker_id: string }>(
        `SELECT worker_id FROM dispatcher.workers WHERE worker_id = ANY($1::text[]) ORDER BY worker_id FOR UPDATE SKIP LOCKED`,
        [ids],
      );
      const freeIds = new Set(free.rows.map((r) => r.worker_id));
      await holder.query('COMMIT');
      return { locked: ids.filter((id) => id !== 'w-c' && !freeIds.has(id)), result: await running };
    } finally {
      await holder.end();
    }
  }

  it('updates scores without holding any worker while it waits for one, so a unit locking workers twice cannot deadlock with it', async () => {
    // A worker events' unit that locks w-d (presence), then, in a second statement, w-a (a registration's split run, say).
    const unit = new Client({ connectionString: pg.url });
    await unit.connect();
    try {
      await unit.query('BEGIN');
      await unit.query(`SELECT 1 FROM dispatcher.workers WHERE worker_id = 'w-d' FOR UPDATE`);
      const scoring = registry.setScoresMany(pg.dataSource.manager, given.map((workerId, i) => ({ workerId, scores: { composite: i / 10 }, policyVersion: 2, scoredAt: T0 })));
      scoring.catch(() => undefined);
      await waitForLockWait(pg.writer);
      // Waiting for w-d, the scores' update holds no other row: the unit gets w-a at once. (Ordered
      // locking alone held w-a, w-b and w-c here, and this lock closed a deadlock.)
      const free = await pg.writer.query<{ worker_id: string }>(
        `SELECT worker_id FROM dispatcher.workers WHERE worker_id = ANY($1::text[]) ORDER BY worker_id FOR UPDATE SKIP LOCKED`,
        [ids],
      );
      expect(free.rows.map((r) => r.worker_id)).toEqual(ids.filter((id) => id !== 'w-d'));
      await unit.query(`SET lock_timeout = '2s'`);
      await unit.query(`SELECT 1 FROM dispatcher.workers WHERE worker_id = 'w-a' FOR UPDATE`);
      await unit.query('COMMIT');
      await scoring;
    } finally {
      await unit.end();
    }
    const rows = await pg.writer.query<{ worker_id: string; composite: number; version: number }>(
      `SELECT worker_id, (scores->>'composite')::float AS composite, score_policy_version AS version FROM dispatcher.workers ORDER BY worker_id`,
    );
    expect(rows.rows).toEqual(ids.map((id) => ({ worker_id: id, composite: given.indexOf(id) / 10, version: 2 })));
    // Scores of a worker not registered change nothing, and cost no statement of their own.
    await registry.setScoresMany(pg.dataSource.manager, [{ workerId: 'w-unknown', scores: { composite: 1 }, policyVersion: 3, scoredAt: T0 }]);
    expect((await pg.writer.query(`SELECT count(*)::int AS n FROM dispatcher.workers WHERE score_policy_version = 3`)).rows).toEqual([{ n: 0 }]);
  });

  it('keeps the score scored last, whatever order the scores arrive in, on both of its paths', async () => {
    const at = (s: number) => new Date(Date.parse(T0) + 60_000 + s * 1000).toISOString();
    const score = (workerId: string, composite: number, s: number, policyVersion = 4) => ({ workerId, scores: { composite }, policyVersion, scoredAt: at(s) });
    const held = async () =>
      (await pg.writer.query<{ worker_id: string; composite: number; version: number }>(
        `SELECT worker_id, (scores->>'composite')::float AS composite, score_policy_version AS version FROM dispatcher.workers WHERE worker_id IN ('w-a', 'w-b') ORDER BY worker_id`,
      )).rows;
    // A newer score, then an older one published late (the outbox's polling after a refused send):
    // the older one changes nothing. One scored at the same moment as the one held replaces it.
    await registry.setScoresMany(pg.dataSource.manager, [score('w-a', 0.7, 2), score('w-b', 0.6, 2)]);
    await registry.setScoresMany(pg.dataSource.manager, [score('w-a', 0.1, 1, 3), score('w-b', 0.65, 2)]);
    expect(await held()).toEqual([{ worker_id: 'w-a', composite: 0.7, version: 4 }, { worker_id: 'w-b', composite: 0.65, version: 4 }]);
    // Within one call, the later scored wins, not the later given.
    await registry.setScoresMany(pg.dataSource.manager, [score('w-a', 0.9, 5), score('w-a', 0.3, 4)]);
    expect((await held())[0]).toEqual({ worker_id: 'w-a', composite: 0.9, version: 4 });
    // A row another transaction holds is updated by a statement of its own once it is free, under
    // the same rule: an older score does not even wait for the row, and changes nothing; a newer
    // one waits, and applies.
    const c = async () => (await pg.writer.query<{ composite: number }>(`SELECT (scores->>'composite')::float AS composite FROM dispatcher.workers WHERE worker_id = 'w-c'`)).rows[0];
    await registry.setScoresMany(pg.dataSource.manager, [score('w-c', 0.8, 7)]);
    const holder = new Client({ connectionString: pg.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM dispatcher.workers WHERE worker_id = 'w-c' FOR UPDATE`);
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise((r) => (timer = setTimeout(() => r('waited 3 s for the held row'), 3_000)));
      const older = registry.setScoresMany(pg.dataSource.manager, [score('w-c', 0.2, 6)]).then(() => 'done');
      await expect(Promise.race([older, waited]).finally(() => clearTimeout(timer))).resolves.toBe('done');
    } finally {
      await holder.query('COMMIT');
      await holder.end();
    }
    expect(await c()).toEqual({ composite: 0.8 });
    expect((await lockedWhileWaiting(() => registry.setScoresMany(pg.dataSource.manager, [score('w-c', 0.85, 8)]))).locked).toEqual([]);
    expect(await c()).toEqual({ composite: 0.85 });
  });

  it('applies presence taking the rows in worker id order, and answers which workers are known', async () => {
    const at = '2026-12-06T12:00:00.000Z';
    const { locked, result } = await lockedWhileWaiting(() =>
      pg.dataSource.transaction((m) => registry.presenceMany(m, [...given, 'w-unknown'].map((workerId) => ({ workerId, online: true, at })))),
    );
    expect(locked).toEqual(['w-a', 'w-b']);
    expect([...result].sort()).toEqual(ids);
    const rows = await pg.writer.query<{ n: string }>(`SELECT count(*) AS n FROM dispatcher.workers WHERE online AND last_seen_at = $1`, [at]);
    expect(Number(rows.rows[0].n)).toBe(ids.length);
  });
});

/** Waits until a statement of the test's database waits for a row lock; fails after 5 s. */
async function waitForLockWait(client: Client): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (Number(rows[0].n) > 0) return;
    if (Date.now() > deadline) throw new Error('no statement waited for the held row within 5 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}
