/*
 * The pruning of ended tasks (`TaskStore.pruneEnded`, `EndedTasks`) against a real PostgreSQL
 * with the dispatcher's migrations: which tasks go (ended, stored before the cut, nothing since),
 * that all their rows go with them and no other task's, batches, rows another transaction holds,
 * and the service's rounds.
 */
import { PlatformMetrics, sqlRows } from '@clearwork/platform';
import { loadDispatcherConfig } from '../apps/dispatcher/src/config';
import { DispatcherMetrics } from '../apps/dispatcher/src/dispatcher-metrics';
import { EndedTasks } from '../apps/dispatcher/src/tasks/ended-tasks';
import { TaskStore } from '../apps/dispatcher/src/tasks/task-store';
import { dispatcherDatabase } from './support/scratch-database';

const DAY = 86_400_000;

type Replica = 'waiting' | 'offered' | 'assigned' | 'cancelled' | 'unassignable';

interface ReplicaSetup {
  readonly state: Replica;
  /** An offer of it: its state and, unless open, how many days ago it closed. */
  readonly offer?: { readonly state: 'open' | 'accepted' | 'declined' | 'expired' | 'withdrawn'; readonly closedDaysAgo?: number };
  /** An assignment of it: days ago it finished (null: still being worked on), and how. */
  readonly assignment?: { readonly finishedDaysAgo: number | null; readonly outcome?: 'submitted' | 'abandoned' | 'cancelled' };
  /** A decision record of it, made this many days ago. */
  readonly decidedDaysAgo?: number;
}

describe('ended tasks pruned against a real PostgreSQL', () => {
  const pg = dispatcherDatabase('cw_ended');
  const store = new TaskStore();
  const now = Date.now();
  const ago = (days: number) => new Date(now - days * DAY);
  const cut = ago(30);

  beforeEach(() => pg.writer.query('TRUNCATE dispatcher.tasks, dispatcher.task_replicas, dispatcher.offers, dispatcher.assignments, dispatcher.decisions'));

  /** A task stored `storedDaysAgo` days ago with its replicas' rows as given. */
  async function task(taskId: string, storedDaysAgo: number, replicas: readonly ReplicaSetup[]): Promise<void> {
    const stored = ago(storedDaysAgo);
    await pg.writer.query(
      `INSERT INTO dispatcher.tasks (task_id, queue, priority, required_skills, spec, posted_at, updated_at) VALUES ($1, 'q', 5, '{}', '{}', $2, $2)`,
      [taskId, stored],
    );
    for (const [i, r] of replicas.entries()) {
      const replica = i + 1;
      const id = `${taskId}-${replica}`;
      await pg.writer.query(
        `INSERT INTO dispatcher.task_replicas (task_id, replica, state, attempts, worker_id, priority, posted_at) VALUES ($1, $2, $3, 1, $4, 5, $5)`,
        [taskId, replica, r.state, r.assignment ? `w-${id}` : null, stored],
      );
      if (r.offer) {
        await pg.writer.query(
          `INSERT INTO dispatcher.offers (offer_id, task_id, queue, replica, attempt, worker_id, decision_id, state, expires_at, created_at, closed_at)
           VALUES ($1, $2, 'q', $3, 1, $4, $5, $6, $7, $7, $8)`,
          [`o-${id}`, taskId, replica, `w-${id}`, `d-${id}`, r.offer.state, stored, r.offer.closedDaysAgo === undefined ? null : ago(r.offer.closedDaysAgo)],
        );
      }
      if (r.assignment) {
        const { finishedDaysAgo, outcome } = r.assignment;
        await pg.writer.query(
          `INSERT INTO dispatcher.assignments (task_id, replica, worker_id, offer_id, assigned_at, finished_at, outcome) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [taskId, replica, `w-${id}`, `o-${id}`, stored, finishedDaysAgo === null ? null : ago(finishedDaysAgo), outcome ?? null],
        );
      }
      if (r.decidedDaysAgo !== undefined) {
        await pg.writer.query(
          `INSERT INTO dispatcher.decisions (decision_id, task_id, replica, attempt, record, decided_at) VALUES ($1, $2, $3, 1, '{"k": 1}', $4)`,
          [`d-${id}`, taskId, replica, ago(r.decidedDaysAgo)],
        );
      }
    }
  }

  /** Per table, the task ids it has rows of, among `taskIds`. */
  async function rowsOf(taskIds: readonly string[]): Promise<Record<string, string[]>> {
    const tables = ['tasks', 'task_replicas', 'offers', 'assignments', 'decisions'];
    const found: Record<string, string[]> = {};
    for (const table of tables) {
      const rows = await sqlRows<{ task_id: string }>(pg.dataSource.manager, `SELECT DISTINCT task_id FROM dispatcher.${table} WHERE task_id = ANY($1::text[]) ORDER BY task_id`, [taskIds]);
      found[table] = rows.map((r) => r.task_id);
    }
    return found;
  }

  const done: ReplicaSetup = { state: 'assigned', offer: { state: 'accepted', closedDaysAgo: 39 }, assignment: { finishedDaysAgo: 35, outcome: 'submitted' }, decidedDaysAgo: 39 };

  it('has an index on when tasks were stored, for finding the old ones in order', async () => {
    const [index] = await sqlRows<{ indexdef: string }>(pg.dataSource.manager, `SELECT indexdef FROM pg_indexes WHERE schemaname = 'dispatcher' AND indexname = 'tasks_by_storage'`);
    expect(index.indexdef).toContain('USING btree (updated_at, task_id)');
  });

  it('deletes every row of the tasks that ended before the cut, a batch at a time, and keeps every other task whole', async () => {
    const gone: Record<string, readonly ReplicaSetup[]> = {
      'a-submitted': [done],
      'a-cancelled': [{ state: 'cancelled' }],
      'a-withdrawn': [{ state: 'cancelled', offer: { state: 'withdrawn', closedDaysAgo: 38 }, decidedDaysAgo: 38 }],
      'a-unassignable': [{ state: 'unassignable', decidedDaysAgo: 38 }],
      'a-assignment-cancelled': [{ state: 'cancelled', offer: { state: 'accepted', closedDaysAgo: 39 }, assignment: { finishedDaysAgo: 37, outcome: 'cancelled' }, decidedDaysAgo: 39 }],
      'a-replicas-all-ended': [done, { state: 'unassignable', offer: { state: 'declined', closedDaysAgo: 36 }, decidedDaysAgo: 36 }, { state: 'cancelled' }],
    };
    const kept: Record<string, readonly ReplicaSetup[]> = {
      'k-being-worked-on': [{ ...done, assignment: { finishedDaysAgo: null } }],
      'k-waiting': [{ state: 'waiting', offer: { state: 'declined', closedDaysAgo: 39 }, decidedDaysAgo: 39 }],
      'k-abandoned-waiting': [{ state: 'waiting', offer: { state: 'accepted', closedDaysAgo: 39 }, assignment: { finishedDaysAgo: 38, outcome: 'abandoned' }, decidedDaysAgo: 39 }],
      'k-offered': [{ state: 'offered', offer: { state: 'open' }, decidedDaysAgo: 31 }],
      'k-one-replica-open': [done, { state: 'waiting' }],
      'k-finished-lately': [{ ...done, assignment: { finishedDaysAgo: 2, outcome: 'submitted' } }],
      'k-declined-lately': [{ state: 'unassignable', offer: { state: 'declined', closedDaysAgo: 1 }, decidedDaysAgo: 31 }],
      'k-gave-up-lately': [{ state: 'unassignable', decidedDaysAgo: 1 }],
      'k-stored-lately': [{ state: 'cancelled' }],
    };
    for (const [id, replicas] of Object.entries(gone)) await task(id, 40, replicas);
    for (const [id, replicas] of Object.entries(kept)) await task(id, id === 'k-stored-lately' ? 29 : 40, replicas);
    const all = [...Object.keys(gone), ...Object.keys(kept)];
    const before = await rowsOf(all);

    // Batches of 4 for 6 tasks: two statements (4, then 2).
    expect(await store.pruneEnded(pg.dataSource.manager, cut, { batchSize: 4 })).toBe(Object.keys(gone).length);

    const after = await rowsOf(all);
    const keptIds = Object.keys(kept);
    for (const table of Object.keys(before)) expect(after[table]).toEqual(before[table].filter((id) => keptIds.includes(id)));
    expect(after.tasks).toEqual([...keptIds].sort());
    // Nothing left to do: a second round deletes nothing.
    expect(await store.pruneEnded(pg.dataSource.manager, cut, { batchSize: 4 })).toBe(0);
  });

  it('takes batches in the order tasks were stored, each from where the last ended, past tasks still running', async () => {
    for (let d = 31; d <= 36; d++) await task(`b-${d}`, d, [d === 33 ? { ...done, assignment: { finishedDaysAgo: null } } : done]);
    // The caller hears each batch and may end the round: here after the second.
    const heard: number[] = [];
    const afterBatch = (deleted: number, ms: number) => {
      expect(ms).toBeGreaterThan(0);
      heard.push(deleted);
      return heard.length < 2;
    };
    expect(await store.pruneEnded(pg.dataSource.manager, cut, { batchSize: 1, afterBatch })).toBe(2);
    expect((await rowsOf(['b-35', 'b-36'])).tasks).toEqual([]);
    expect(await store.pruneEnded(pg.dataSource.manager, cut, { batchSize: 1 })).toBe(3);
    expect((await rowsOf(['b-31', 'b-32', 'b-33', 'b-34', 'b-35', 'b-36'])).tasks).toEqual(['b-33']);
  });

  it('skips a task another transaction holds, and deletes it in a later round', async () => {
    await task('h-held', 45, [done]);
    await task('h-free', 45, [done]);
    await pg.writer.query('BEGIN');
    try {
      await pg.writer.query(`SELECT 1 FROM dispatcher.tasks WHERE task_id = 'h-held' FOR UPDATE`);
      expect(await store.pruneEnded(pg.dataSource.manager, cut)).toBe(1);
      expect((await rowsOf(['h-held', 'h-free'])).tasks).toEqual(['h-held']);
    } finally {
      await pg.writer.query('ROLLBACK');
    }
    expect(await store.pruneEnded(pg.dataSource.manager, cut)).toBe(1);
    expect((await rowsOf(['h-held'])).task_replicas).toEqual([]);
  });

  it('prunes in rounds by DISPATCHER_TASK_RETENTION_DAYS, counting what it deleted, and not at all when it is 0', async () => {
    await task('r-old', 12, [{ ...done, offer: { state: 'accepted', closedDaysAgo: 12 }, assignment: { finishedDaysAgo: 11, outcome: 'submitted' }, decidedDaysAgo: 12 }]);
    await task('r-newer', 8, [{ state: 'cancelled' }]);
    const config = (days: string) => loadDispatcherConfig({ DISPATCHER_TASK_RETENTION_DAYS: days });
    const metrics = new DispatcherMetrics(new PlatformMetrics('ended-tasks-test'), async () => 0);
    const pruned = async () => (await metrics.tasksPruned.get()).values[0]?.value ?? 0;
    const off = new EndedTasks(pg.dataSource, store, config('0'), metrics);
    expect(off.pruning).toBe(false);
    expect(await off.round()).toBe(0);
    expect((await rowsOf(['r-old', 'r-newer'])).tasks).toEqual(['r-newer', 'r-old']);

    expect(await pruned()).toBe(0);
    const tenDays = new EndedTasks(pg.dataSource, store, config('10'), metrics);
    expect(tenDays.pruning).toBe(true);
    expect(await tenDays.round()).toBe(1);
    expect(await pruned()).toBe(1);
    expect((await rowsOf(['r-old', 'r-newer'])).tasks).toEqual(['r-newer']);
  });
});
