import { randomBytes } from 'node:crypto';
import { openDataSource } from '@clearwork/platform';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { DISPATCHER_MIGRATIONS } from '../apps/dispatcher/src/dispatcher.module';
import { TaskStore } from '../apps/dispatcher/src/tasks/task-store';
import { createScratchDatabase, requireRealServers } from './support/servers';

/**
 * The statements of the dispatcher's task store that no service test pins down on its own,
 * against a real PostgreSQL.
 */
describe('TaskStore against PostgreSQL', () => {
  let db: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let writer: Client;
  const store = new TaskStore();
  const base = Date.parse('2026-12-01T10:00:00Z');
  let n = 0;
  const offer = (queue: string, workerId: string, secondsAfter: number) =>
    writer.query(
      `INSERT INTO dispatcher.offers (offer_id, task_id, queue, replica, attempt, worker_id, decision_id, state, expires_at, created_at)
       VALUES ($1, $2, $3, 1, 1, $4, $1, 'accepted', $5, $5)`,
      [`o-${++n}`, `t-${n}`, queue, workerId, new Date(base + secondsAfter * 1000)],
    );

  beforeAll(async () => {
    await requireRealServers();
    db = await createScratchDatabase(`cw_store_${randomBytes(4).toString('hex')}`);
    dataSource = await openDataSource({ url: db.url, schema: 'dispatcher', migrations: DISPATCHER_MIGRATIONS });
    writer = new Client({ connectionString: db.url });
    await writer.connect();
  });

  afterAll(async () => {
    await writer?.end();
    await dataSource?.destroy();
    await db?.drop();
  });

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

    const recent = await store.recentOffereesMany(dataSource.manager, ['q-busy', 'q-quiet', 'q-empty', 'q-crowd'], 3);

    expect([...recent.keys()]).toEqual(['q-busy', 'q-quiet', 'q-empty', 'q-crowd']);
    expect(recent.get('q-busy')).toEqual(['w-1', 'w-4', 'w-3']);
    expect(recent.get('q-quiet')).toEqual(['w-9']);
    expect(recent.get('q-empty')).toEqual([]);
    expect(recent.get('q-crowd')).toEqual([`w-c${1999 % 7}`, `w-c${1998 % 7}`, `w-c${1997 % 7}`]);
    expect((await store.recentOffereesMany(dataSource.manager, ['q-busy'], 10)).get('q-busy')).toEqual(['w-1', 'w-4', 'w-3', 'w-2', 'w-1']);
    expect((await store.recentOffereesMany(dataSource.manager, [], 10)).size).toBe(0);
  });
});
