/*
 * Claims of handled events (`processed_events`) against a real PostgreSQL with the dispatcher's
 * migrations: those older than the retention are deleted a batch at a time, younger ones stay
 * and keep a redelivery from being applied twice; a failed round is logged and changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { claimEvents, ProcessedEventsPruner, pruneProcessedEvents, sqlRows } from '@clearwork/platform';
import { DISPATCHER_MIGRATIONS } from '../apps/dispatcher/src/dispatcher.module';
import { scratchDatabase } from './support/scratch-database';

const HOUR = 3_600_000;

describe('pruning the claims of handled events against a real PostgreSQL', () => {
  const pg = scratchDatabase('clearwork_prune', { schema: 'dispatcher', migrations: DISPATCHER_MIGRATIONS });

  /** Claims `n` new events, dated `hoursAgo` hours back; returns their ids. */
  async function claimed(n: number, hoursAgo: number): Promise<string[]> {
    const events = Array.from({ length: n }, () => ({ eventId: randomUUID(), type: 'WorkerProfileUpdated' }));
    await pg.dataSource.transaction((m) => claimEvents(m, 'dispatcher', events));
    const ids = events.map((e) => e.eventId);
    await pg.dataSource.query(`UPDATE dispatcher.processed_events SET processed_at = now() - make_interval(hours => $2) WHERE event_id = ANY($1::uuid[])`, [ids, hoursAgo]);
    return ids;
  }
  const remembered = async (ids: readonly string[]) =>
    (await sqlRows<{ event_id: string }>(pg.dataSource.manager, `SELECT event_id::text FROM dispatcher.processed_events WHERE event_id = ANY($1::uuid[])`, [ids])).map((r) => r.event_id).sort();

  it('has an index by age for the pruning', async () => {
    const [index] = await sqlRows<{ indexdef: string }>(pg.dataSource.manager, `SELECT indexdef FROM pg_indexes WHERE schemaname = 'dispatcher' AND indexname = 'processed_events_by_age'`);
    expect(index.indexdef).toContain('USING brin (processed_at)');
  });

  it('deletes the claims older than the cut, a batch at a time, and keeps the younger ones, which still stop a redelivery', async () => {
    const old = await claimed(5, 3);
    const young = await claimed(3, 0);
    expect(await pruneProcessedEvents(pg.dataSource.manager, 'dispatcher', new Date(Date.now() - HOUR), 2)).toBe(5);
    expect(await remembered([...old, ...young])).toEqual([...young].sort());
    // A younger event delivered again is still known; a pruned one would be applied again.
    const again = await pg.dataSource.transaction((m) => claimEvents(m, 'dispatcher', [...young, old[0]].map((eventId) => ({ eventId, type: 'WorkerProfileUpdated' }))));
    expect([...again]).toEqual([old[0]]);
  });

  it('prunes in rounds by the retention, and a failed round is logged and deletes nothing', async () => {
    const old = await claimed(4, 50);
    const young = await claimed(2, 20);
    const logged: string[] = [];
    const log = { log: (m: string) => logged.push(m), warn: (m: string) => logged.push(`warn: ${m}`) };
    const pruner = new ProcessedEventsPruner((olderThan) => pruneProcessedEvents(pg.dataSource.manager, 'dispatcher', olderThan), 48 * HOUR, 60_000, log);
    expect(await pruner.round()).toBeGreaterThanOrEqual(4);
    expect(await remembered([...old, ...young])).toEqual([...young].sort());
    expect(logged.at(-1)).toMatch(/^deleted \d+ claims of handled events older than 2 days$/);

    const failing = new ProcessedEventsPruner(() => Promise.reject(new Error('connection lost')), HOUR, 60_000, log);
    expect(await failing.round()).toBe(0);
    expect(logged.at(-1)).toBe('warn: pruning claims of handled events failed (connection lost); trying again in 60 s');
    expect(await remembered(young)).toEqual([...young].sort());
  });
});
