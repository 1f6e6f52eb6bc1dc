import { enqueue } from '@clearwork/platform';
import { aTaskPosted } from '@clearwork/testing';
import { Client } from 'pg';
import { RecentOffers } from '../apps/dispatcher/src/dispatch/recent-offers';
import { CandidateIndex } from '../apps/dispatcher/src/workers/candidate-index';
import { recordClauses, TaskStore, type RecentOffer, type RecordRows } from '../apps/dispatcher/src/tasks/task-store';
import { dispatcherDatabase } from './support/scratch-database';

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

  it('keeps each queue\'s window between reads, fed by the candidate index\'s refresh, and answers as a fresh read would, whatever commits late or rolls back', async () => {
    const loads: string[][] = [];
    const counted = {
      recentOffersMany: (m: Parameters<TaskStore['recentOffersMany']>[0], queues: readonly string[], window: number) => {
        loads.push([...queues]);
        return store.recentOffersMany(m, queues, window);
      },
    };
    const recent = new RecentOffers(counted, 2);
    // The offers written since come with the candidate index's refresh, as before each unit.
    const index = new CandidateIndex(pg.dataSource);
    index.followOffers(recent);
    const W = 4;
    const fresh = async (queues: string[]) => workersOf(store.recentOffersMany(pg.dataSource.manager, queues, W));
    const kept = async (queues: string[]) => {
      await index.refresh();
      return recent.offerees(pg.dataSource.manager, queues, W);
    };
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
      await index.refresh();
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
    await index.refresh();
    expect(await recent.offerees(pg.dataSource.manager, ['q-busy'], 2)).toEqual(await workersOf(store.recentOffersMany(pg.dataSource.manager, ['q-busy'], 2)));
    expect(loads.length).toBe(5);
  });

  it('closes in one statement the answered offers that are open, unexpired and the named worker\'s for the named task, claims those answers and the other events given, passes over events handled before, and waits for a transaction holding an offer', async () => {
    const at = (seconds: number) => new Date(base + seconds * 1000);
    const open = (offerId: string, workerId: string, taskId: string, expiresAt: Date, state = 'open') =>
      pg.writer.query(
        `INSERT INTO dispatcher.offers (offer_id, task_id, queue, replica, attempt, worker_id, decision_id, state, expires_at, created_at)
         VALUES ($1, $2, 'q-answers', 1, 1, $3, $1, $4, $5, $6)`,
        [offerId, taskId, workerId, state, expiresAt, at(0)],
      );
    await open('a-ok', 'w-1', 't-a1', at(60));
    await open('a-late', 'w-2', 't-a2', at(30));
    await open('a-done', 'w-3', 't-a3', at(60), 'declined');
    await open('a-other', 'w-4', 't-a4', at(60));
    await open('a-held', 'w-5', 't-a5', at(60));
    await open('a-held2', 'w-6', 't-a6', at(60));
    await open('a-prior', 'w-8', 't-a8', at(60)); // open, but its answer was handled before
    const ev = (n: number) => `00000000-0000-4000-8000-0000000a00${String(n).padStart(2, '0')}`;
    await pg.writer.query(`INSERT INTO dispatcher.processed_events (event_id, type) VALUES ($1, 'OfferAccepted'), ($2, 'TaskSubmitted')`, [ev(8), ev(21)]);
    const answer = (n: number, offerId: string, workerId: string, taskId: string) => ({ offerId, workerId, taskId, eventId: ev(n).toUpperCase(), type: 'OfferAccepted' });
    // Another transaction holds two of them: one it closes, one it leaves open.
    const other = new Client({ connectionString: pg.url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`UPDATE dispatcher.offers SET state = 'expired' WHERE offer_id = 'a-held'`);
      await other.query(`SELECT 1 FROM dispatcher.offers WHERE offer_id = 'a-held2' FOR UPDATE`);
      let settled = false;
      const closing = store
        .closeAnsweredOffers(
          pg.dataSource.manager,
          [
            answer(1, 'a-ok', 'w-1', 't-a1'),
            answer(2, 'a-late', 'w-2', 't-a2'),
            answer(3, 'a-done', 'w-3', 't-a3'),
            answer(4, 'a-other', 'w-9', 't-a4'),
            answer(5, 'a-held', 'w-5', 't-a5'),
            answer(6, 'a-held2', 'w-6', 't-a6'),
            answer(7, 'a-missing', 'w-7', 't-a7'),
            answer(8, 'a-prior', 'w-8', 't-a8'),
          ],
          'accepted',
          at(45),
          // Submissions claimed with them: a new one (given twice), and one handled before.
          [{ eventId: ev(20), type: 'TaskSubmitted' }, { eventId: ev(20), type: 'TaskSubmitted' }, { eventId: ev(21), type: 'TaskSubmitted' }],
        )
        .finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(settled).toBe(false);
      await other.query('COMMIT');
      const { found, closed, prior, claimed } = await closing;
      expect([...closed].sort()).toEqual(['a-held2', 'a-ok']);
      expect([...prior].sort()).toEqual([ev(8), ev(21)]);
      expect([...claimed].sort()).toEqual([ev(1), ev(6), ev(20)]);
      const handled = await pg.writer.query(`SELECT event_id::text, type FROM dispatcher.processed_events WHERE event_id::text LIKE '00000000-0000-4000-8000-0000000a%' ORDER BY 1`);
      expect(handled.rows.map((r) => `${r.event_id.slice(-2)} ${r.type}`)).toEqual(['01 OfferAccepted', '06 OfferAccepted', '08 OfferAccepted', '20 TaskSubmitted', '21 TaskSubmitted']);
      expect(Object.fromEntries([...found].map(([id, o]) => [id, `${o.workerId} ${o.taskId} ${o.state} ${o.expiresAt.toISOString()}`]))).toEqual({
        'a-ok': `w-1 t-a1 open ${at(60).toISOString()}`,
        'a-late': `w-2 t-a2 open ${at(30).toISOString()}`,
        'a-done': `w-3 t-a3 declined ${at(60).toISOString()}`,
        'a-other': `w-4 t-a4 open ${at(60).toISOString()}`,
        'a-held': `w-5 t-a5 expired ${at(60).toISOString()}`,
        'a-held2': `w-6 t-a6 open ${at(60).toISOString()}`,
        'a-prior': `w-8 t-a8 open ${at(60).toISOString()}`,
      });
      const { rows } = await pg.writer.query(`SELECT offer_id, state, closed_at IS NOT NULL AS closed FROM dispatcher.offers WHERE queue = 'q-answers' ORDER BY offer_id`);
      expect(rows.map((r) => `${r.offer_id} ${r.state} ${r.closed}`)).toEqual([
        'a-done declined false', 'a-held expired false', 'a-held2 accepted true', 'a-late open false', 'a-ok accepted true', 'a-other open false', 'a-prior open false',
      ]);
      const none = { found: new Map(), closed: new Set(), prior: new Set(), claimed: new Set() };
      expect(await store.closeAnsweredOffers(pg.dataSource.manager, [], 'declined', at(45))).toEqual(none);
      // Other events alone: claimed where new.
      expect(await store.closeAnsweredOffers(pg.dataSource.manager, [], 'declined', at(45), [{ eventId: ev(20), type: 'TaskSubmitted' }, { eventId: ev(22), type: 'TaskSubmitted' }]))
        .toEqual({ ...none, prior: new Set([ev(20)]), claimed: new Set([ev(22)]) });
      await expect(store.closeAnsweredOffers(pg.dataSource.manager, [answer(30, 'a-late', 'w-2', 't-a2'), { ...answer(31, 'a-other', 'w-4', 't-a4'), type: 'OfferDeclined' }], 'declined', at(45)))
        .rejects.toThrow('answers of one kind at a time');
    } finally {
      await other.end();
    }
  });

  it('finds the replicas left between two offers, and locks one for a new attempt only while it is still at the offer it was found at', async () => {
    const tasks = [aTaskPosted({ taskId: 'bo-1', replicas: 2 }), aTaskPosted({ taskId: 'bo-2' }), aTaskPosted({ taskId: 'bo-3' })];
    const offered = (taskId: string, replica: number): RecordRows => ({
      decisions: [{ decisionId: `d-${taskId}-${replica}`, taskId, replica, attempt: 1, decidedAt: '2026-12-01T10:00:00.000Z', record: {} }],
      offers: [{ offerId: `o-${taskId}-${replica}`, taskId, queue: 'labelling', replica, attempt: 1, workerId: 'w-1', decisionId: `d-${taskId}-${replica}`, expiresAt: '2099-01-01T00:00:00.000Z' }],
      replicas: [{ taskId, replica, state: 'offered', attempts: 1, workerId: 'w-1' }],
    });
    const planned = [offered('bo-1', 1), offered('bo-1', 2), offered('bo-2', 1)];
    await store.postTasks(pg.dataSource.manager, tasks, { decisions: planned.flatMap((p) => p.decisions), offers: planned.flatMap((p) => p.offers), replicas: planned.flatMap((p) => p.replicas) }, []);
    const between = async (limit = 100) => (await store.replicasBetweenOffers(pg.dataSource.manager, limit)).filter((r) => r.taskId.startsWith('bo-'));
    // Every replica offered, or waiting (bo-3): none between two offers.
    expect(await between()).toEqual([]);
    // Two offers declined, and not yet offered again; bo-1's second replica is still out on offer.
    await pg.writer.query(`UPDATE dispatcher.offers SET state = 'declined', closed_at = now() WHERE offer_id IN ('o-bo-1-1', 'o-bo-2-1')`);
    const found = await between();
    expect(found.map((r) => `${r.taskId}/${r.replica}@${r.offeredAt}`).sort()).toEqual(['bo-1/1@1', 'bo-2/1@1']);
    expect((await store.replicasBetweenOffers(pg.dataSource.manager, 1))).toHaveLength(1);

    // Another transaction attempts bo-2 again (attempt 2) while holding its row; the lock waits for it, then leaves bo-2 out.
    const other = new Client({ connectionString: pg.url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`UPDATE dispatcher.task_replicas SET attempts = 2 WHERE task_id = 'bo-2'`);
      let settled = false;
      const locking = pg.dataSource
        .transaction((m) => store.lockForAttempts(m, [...found, { taskId: 'bo-1', replica: 2, offeredAt: 1 }, { taskId: 'bo-3', replica: 1, offeredAt: 0 }]))
        .finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(settled).toBe(false);
      await other.query('COMMIT');
      const locked = await locking;
      // bo-1/2 is offered at attempt 1 too (its offer open): the caller names only replicas it found between offers.
      expect(locked.map((r) => `${r.taskId}/${r.replica} ${r.state} ${r.attempts} ${r.offersMade}`)).toEqual(['bo-1/1 offered 1 1', 'bo-1/2 offered 1 1']);
      // Who touched the task comes with the lock: bo-1's two offers, one declined, one open, both w-1's.
      expect(locked.map((r) => [[...r.touching.onTask], [...r.touching.declined]])).toEqual([[['w-1'], ['w-1']], [['w-1'], ['w-1']]]);
    } finally {
      await other.end();
    }
    // Without offeredAt every named replica is locked, whatever its state.
    const all = await pg.dataSource.transaction((m) => store.lockForAttempts(m, [{ taskId: 'bo-2', replica: 1 }, { taskId: 'bo-3', replica: 1 }]));
    expect(all.map((r) => `${r.taskId}/${r.replica} ${r.state} ${r.attempts} ${r.offersMade} ${r.touching.declined.size}`)).toEqual(['bo-2/1 offered 2 1 1', 'bo-3/1 waiting 0 0 0']);
    expect(await store.lockForAttempts(pg.dataSource.manager, [])).toEqual([]);
  });

  it('makes assignments of accepted offers and ends open ones in one statement, leaving alone an end it cannot see made', async () => {
    const offered = (taskId: string): RecordRows => ({
      decisions: [],
      offers: [{ offerId: `o-${taskId}`, taskId, queue: 'labelling', replica: 1, attempt: 1, workerId: `w-${taskId}`, decisionId: `d-${taskId}`, expiresAt: '2099-01-01T00:00:00.000Z' }],
      replicas: [{ taskId, replica: 1, state: 'offered', attempts: 1, workerId: `w-${taskId}` }],
    });
    const ids = ['af-1', 'af-2', 'af-3', 'af-4'];
    const planned = ids.map(offered);
    await store.postTasks(pg.dataSource.manager, ids.map((taskId) => aTaskPosted({ taskId })), { decisions: [], offers: planned.flatMap((p) => p.offers), replicas: planned.flatMap((p) => p.replicas) }, []);
    const open = (taskId: string) => ({ offerId: `o-${taskId}`, taskId, replica: 1, attempt: 1, workerId: `w-${taskId}`, expiresAt: new Date('2099-01-01T00:00:00Z') });
    // af-3 assigned before and still open, af-4 assigned and finished before.
    await store.assign(pg.dataSource.manager, [open('af-3'), open('af-4')]);
    await store.finishAssignments(pg.dataSource.manager, [{ taskId: 'af-4', workerId: 'w-af-4' }], 'abandoned');

    const finished = await store.assignAndFinish(pg.dataSource.manager, [open('af-1'), open('af-2')], [
      { taskId: 'af-3', workerId: 'w-af-3' }, // open: ends
      { taskId: 'af-4', workerId: 'w-af-4' }, // ended before: left
      { taskId: 'af-3', workerId: 'w-other' }, // not that worker's
      { taskId: 'af-2', workerId: 'w-af-2' }, // made by this very statement: not seen
    ], 'submitted');
    expect([...finished]).toEqual([['af-3\tw-af-3', 1]]);
    const rows = await pg.writer.query(
      `SELECT a.task_id, a.worker_id, a.outcome, a.finished_at IS NOT NULL AS finished, r.state, r.worker_id AS replica_worker
       FROM dispatcher.assignments a JOIN dispatcher.task_replicas r USING (task_id, replica) WHERE a.task_id LIKE 'af-%' ORDER BY a.task_id`);
    expect(rows.rows.map((r) => `${r.task_id} ${r.worker_id} ${r.outcome} ${r.finished} ${r.state} ${r.replica_worker}`)).toEqual([
      'af-1 w-af-1 null false assigned w-af-1',
      'af-2 w-af-2 null false assigned w-af-2',
      'af-3 w-af-3 submitted true assigned w-af-3',
      'af-4 w-af-4 abandoned true assigned w-af-4',
    ]);
    // Either list empty: the one statement it needs.
    expect(await store.assignAndFinish(pg.dataSource.manager, [], [{ taskId: 'af-2', workerId: 'w-af-2' }], 'submitted')).toEqual(new Map([['af-2\tw-af-2', 1]]));
    expect(await store.assignAndFinish(pg.dataSource.manager, [], [], 'submitted')).toEqual(new Map());
    await expect(store.assignAndFinish(pg.dataSource.manager, [open('af-1')], [], 'submitted')).rejects.toThrow(/duplicate key/);
  });

  it('stores a run of TaskPosted events with the records and events of the tasks it stored, in one statement', async () => {
    const none: RecordRows = { decisions: [], offers: [], replicas: [] };
    const a = aTaskPosted({ taskId: 'cl-1', replicas: 2 });
    const b = aTaskPosted({ taskId: 'cl-2' });
    // The same event again, its id in capitals and other data: it counts at its first place only.
    const aAgain = { ...aTaskPosted({ taskId: 'cl-3' }), eventId: a.eventId.toUpperCase() };
    const c = aTaskPosted({ taskId: 'cl-1', queue: 'other' }); // another event posting cl-1
    const planned: RecordRows = {
      decisions: [{ decisionId: 'd-cl-1', taskId: 'cl-1', replica: 1, attempt: 1, decidedAt: '2026-12-01T10:00:00.000Z', record: { taskId: 'cl-1' } }],
      offers: [{ offerId: 'o-cl-1', taskId: 'cl-1', queue: 'labelling', replica: 1, attempt: 1, workerId: 'w-1', decisionId: 'd-cl-1', expiresAt: '2026-12-01T10:01:00.000Z' }],
      replicas: [{ taskId: 'cl-1', replica: 1, state: 'offered', attempts: 1, workerId: 'w-1' }],
    };
    const outbox = (taskId: string, i: number) => ({ topic: 'gig.offers.v1', key: taskId, value: { eventId: `00000000-0000-4000-8000-0000000001${i}`, taskId } });
    const first = await store.postTasks(pg.dataSource.manager, [a, b, aAgain, c], planned, [outbox('cl-1', 10), outbox('cl-3', 11), outbox('cl-2', 12), outbox('cl-1', 13)]);
    expect(first.prior).toEqual(new Set());
    expect(first.claimed).toEqual(new Set([a.eventId, b.eventId]));
    expect(first.inserted).toEqual(new Set(['cl-1', 'cl-2']));
    const tasks = await pg.writer.query(`SELECT task_id, queue FROM dispatcher.tasks WHERE task_id LIKE 'cl-%' ORDER BY task_id`);
    expect(tasks.rows).toEqual([{ task_id: 'cl-1', queue: 'labelling' }, { task_id: 'cl-2', queue: 'labelling' }]);
    const replicas = await pg.writer.query(`SELECT task_id, replica, state, attempts, worker_id FROM dispatcher.task_replicas WHERE task_id LIKE 'cl-%' ORDER BY task_id, replica`);
    expect(replicas.rows).toEqual([
      { task_id: 'cl-1', replica: 1, state: 'offered', attempts: 1, worker_id: 'w-1' },
      { task_id: 'cl-1', replica: 2, state: 'waiting', attempts: 0, worker_id: null },
      { task_id: 'cl-2', replica: 1, state: 'waiting', attempts: 0, worker_id: null },
    ]);
    expect((await pg.writer.query(`SELECT decision_id FROM dispatcher.decisions WHERE task_id LIKE 'cl-%'`)).rows).toEqual([{ decision_id: 'd-cl-1' }]);
    expect((await pg.writer.query(`SELECT offer_id, state FROM dispatcher.offers WHERE task_id LIKE 'cl-%'`)).rows).toEqual([{ offer_id: 'o-cl-1', state: 'open' }]);
    // The events of the tasks stored, in the order given, with their rows' ids in that order.
    const rows = await pg.writer.query(`SELECT o.id::text AS id, o.key, o.value->>'eventId' AS event FROM dispatcher.outbox o WHERE o.key LIKE 'cl-%' ORDER BY o.id`);
    expect(rows.rows.map((r) => [r.key, r.event])).toEqual([['cl-1', outbox('cl-1', 10).value.eventId], ['cl-2', outbox('cl-2', 12).value.eventId], ['cl-1', outbox('cl-1', 13).value.eventId]]);
    expect(first.outboxIds).toEqual(rows.rows.map((r) => r.id));
    // Only the events that stored a task are recorded as handled: c, which posted cl-1 again, is not.
    const handled = await pg.writer.query(`SELECT event_id::text FROM dispatcher.processed_events WHERE event_id = ANY($1::uuid[]) ORDER BY 1`, [[a.eventId, b.eventId, c.eventId]]);
    expect(handled.rows.map((r) => r.event_id)).toEqual([a.eventId, b.eventId].sort());

    // Redelivered events are handled before and store nothing; a new event posting a stored task id stores nothing and is not claimed.
    const d = aTaskPosted({ taskId: 'cl-2' });
    const again = await store.postTasks(pg.dataSource.manager, [a, b, d], planned, [outbox('cl-1', 14)]);
    expect(again).toEqual({ prior: new Set([a.eventId, b.eventId]), claimed: new Set(), inserted: new Set(), outboxIds: [] });
    expect((await pg.writer.query(`SELECT count(*)::int AS n FROM dispatcher.decisions WHERE task_id LIKE 'cl-%'`)).rows).toEqual([{ n: 1 }]);
    expect(await store.postTasks(pg.dataSource.manager, [], none, [])).toEqual({ prior: new Set(), claimed: new Set(), inserted: new Set(), outboxIds: [] });
  });

  it("takes a decision's record from its DecisionRecorded event when the event is in the run, sending it once", async () => {
    const decision = (taskId: string) => ({ decisionId: `d-${taskId}`, taskId, replica: 1, attempt: 1, decidedAt: '2026-12-01T10:00:00.000Z', record: { decisionId: `d-${taskId}`, from: 'row' } });
    const planned: RecordRows = { decisions: [decision('rd-1'), decision('rd-2')], offers: [], replicas: [] };
    // Only rd-2's event is in the run; its data differs from the row's record here, to show which one is stored.
    const recorded = { topic: 'gig.decisions.v1', key: 'rd-2', value: { eventId: '00000000-0000-4000-8000-000000000201', type: 'DecisionRecorded', occurredAt: '2026-12-01T10:00:00.000Z', data: { decisionId: 'd-rd-2', from: 'event' } } };
    const posted = await store.postTasks(pg.dataSource.manager, [aTaskPosted({ taskId: 'rd-1' }), aTaskPosted({ taskId: 'rd-2' })], planned, [recorded]);
    expect(posted.inserted).toEqual(new Set(['rd-1', 'rd-2']));
    const records = await pg.writer.query(`SELECT decision_id, record FROM dispatcher.decisions WHERE task_id LIKE 'rd-%' ORDER BY decision_id`);
    expect(records.rows).toEqual([
      { decision_id: 'd-rd-1', record: { decisionId: 'd-rd-1', from: 'row' } },
      { decision_id: 'd-rd-2', record: { decisionId: 'd-rd-2', from: 'event' } },
    ]);
    const stored = await pg.writer.query(`SELECT value FROM dispatcher.outbox WHERE key = 'rd-2'`);
    expect(stored.rows).toEqual([{ value: recorded.value }]);
  });

  it("writes a unit's records in its outbox insert, or alone when it has no events, and not at all when it rolls back", async () => {
    await store.postTasks(pg.dataSource.manager, [aTaskPosted({ taskId: 'rec-1', replicas: 2 }), aTaskPosted({ taskId: 'rec-2' })], { decisions: [], offers: [], replicas: [] }, []);
    const rows = (taskId: string, replica: number, offered: boolean): RecordRows => ({
      decisions: [{ decisionId: `d-${taskId}-${replica}`, taskId, replica, attempt: 1, decidedAt: '2026-12-01T10:00:00.000Z', record: { taskId, replica } }],
      offers: offered ? [{ offerId: `o-${taskId}-${replica}`, taskId, queue: 'labelling', replica, attempt: 1, workerId: 'w-1', decisionId: `d-${taskId}-${replica}`, expiresAt: '2026-12-01T10:01:00.000Z' }] : [],
      replicas: [{ taskId, replica, state: offered ? 'offered' : 'waiting', attempts: 1, ...(offered ? { workerId: 'w-1' } : {}) }],
    });
    const events = [1, 2, 3].map((i) => ({ topic: 'gig.offers.v1', key: 'rec-1', value: { eventId: `00000000-0000-4000-8000-00000000000${i}`, n: i } }));
    const state = async () => (await pg.writer.query(
      `SELECT r.task_id, r.replica, r.state, r.attempts, r.worker_id, (SELECT count(*)::int FROM dispatcher.decisions d WHERE d.task_id = r.task_id AND d.replica = r.replica) AS decisions,
         (SELECT count(*)::int FROM dispatcher.offers o WHERE o.task_id = r.task_id AND o.replica = r.replica) AS offers
       FROM dispatcher.task_replicas r WHERE r.task_id LIKE 'rec-%' ORDER BY r.task_id, r.replica`)).rows;

    const rolledBack = pg.dataSource.transaction(async (m) => {
      await enqueue(m, 'dispatcher', events, recordClauses(rows('rec-1', 1, true)));
      throw new Error('the unit failed');
    });
    await expect(rolledBack).rejects.toThrow('the unit failed');
    expect((await state()).every((r) => r.state === 'waiting' && r.decisions === 0 && r.offers === 0)).toBe(true);

    const enqueued = await pg.dataSource.transaction((m) => enqueue(m, 'dispatcher', events, recordClauses(rows('rec-1', 1, true))));
    expect(enqueued.map((e) => e.value)).toEqual(events.map((e) => e.value));
    const outbox = await pg.writer.query(`SELECT o.id::text AS id, o.value FROM dispatcher.outbox o WHERE o.key = 'rec-1' ORDER BY o.id`);
    expect(outbox.rows).toEqual(enqueued.map((e) => ({ id: e.id, value: e.value })));
    // No events: the writes still land, as a statement of their own.
    expect(await pg.dataSource.transaction((m) => enqueue(m, 'dispatcher', [], recordClauses(rows('rec-2', 1, false))))).toEqual([]);
    expect(await state()).toEqual([
      { task_id: 'rec-1', replica: 1, state: 'offered', attempts: 1, worker_id: 'w-1', decisions: 1, offers: 1 },
      { task_id: 'rec-1', replica: 2, state: 'waiting', attempts: 0, worker_id: null, decisions: 0, offers: 0 },
      { task_id: 'rec-2', replica: 1, state: 'waiting', attempts: 1, worker_id: null, decisions: 1, offers: 0 },
    ]);
  });
});
