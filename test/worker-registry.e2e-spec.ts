import { Client } from 'pg';
import { WorkerRegistry } from '../apps/dispatcher/src/workers/worker-registry';
import { dispatcherDatabase } from './support/scratch-database';

/**
 * The registry's statements that change many workers' rows at once take their locks in worker id
 * order, whatever order they are given the workers in: heartbeats' presence (held until the worker
 * events' unit commits) and the scores' update otherwise deadlocked each other now and then under
 * load. Against a real PostgreSQL: a row held by another transaction makes the statement wait,
 * and what it has locked by then shows which rows it took first.
 */
describe('WorkerRegistry against PostgreSQL', () => {
  const pg = dispatcherDatabase('cw_registry');
  const registry = new WorkerRegistry();
  const ids = ['w-a', 'w-b', 'w-c', 'w-d', 'w-e'];
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

  it('updates scores taking the rows in worker id order', async () => {
    const { locked } = await lockedWhileWaiting(() =>
      registry.setScoresMany(pg.dataSource.manager, given.map((workerId, i) => ({ workerId, scores: { composite: i / 10 }, policyVersion: 2 }))),
    );
    // Waiting on w-c, it holds the rows before it in id order and none after.
    expect(locked).toEqual(['w-a', 'w-b']);
    const rows = await pg.writer.query<{ worker_id: string; composite: number; version: number }>(
      `SELECT worker_id, (scores->>'composite')::float AS composite, score_policy_version AS version FROM dispatcher.workers ORDER BY worker_id`,
    );
    expect(rows.rows).toEqual(ids.map((id) => ({ worker_id: id, composite: given.indexOf(id) / 10, version: 2 })));
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
