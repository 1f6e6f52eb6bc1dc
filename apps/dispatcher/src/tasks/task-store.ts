import { insertRowsStatement, rowsJson, runWriteClauses, sqlRows, type WriteClauses } from '@clearwork/platform';
import type { TaskPostedData } from '@clearwork/contracts';
import type { EntityManager } from 'typeorm';

export interface StoredTask {
  readonly taskId: string;
  readonly spec: TaskPostedData;
  readonly postedAt: string;
}

export interface OpenOffer {
  readonly offerId: string;
  readonly taskId: string;
  readonly replica: number;
  readonly attempt: number;
  readonly workerId: string;
  readonly expiresAt: Date;
}

export interface NewOffer extends Omit<OpenOffer, 'expiresAt'> {
  readonly decisionId: string;
  readonly queue: string;
  readonly expiresAt: string;
}

export interface NewDecision {
  readonly decisionId: string;
  readonly taskId: string;
  readonly replica: number;
  readonly attempt: number;
  readonly decidedAt: string;
  readonly record: unknown;
}

/** A replica's new state; `workerId` is left as it was when absent. */
export interface ReplicaChange {
  readonly taskId: string;
  readonly replica: number;
  readonly state: ReplicaState;
  /** Left as it is when absent. */
  readonly attempts?: number;
  readonly workerId?: string | null;
}

/** The workers who hold a task (an open or accepted offer) or refused it (declined, or let expire), so they are not offered it (again). */
export interface Touching {
  readonly onTask: Set<string>;
  readonly declined: Set<string>;
}

/** A replica about to be attempted again, with its task, the offers it has had and who touched its task (see `lockForAttempts`). */
export interface ReplicaForAttempt {
  readonly taskId: string;
  readonly replica: number;
  readonly state: ReplicaState;
  readonly attempts: number;
  readonly task: StoredTask;
  readonly offersMade: number;
  readonly touching: Touching;
}

/** Adds an offer of the task, by its worker and state, to who touched it. */
function touch(t: Touching, workerId: string, state: string): void {
  if (state === 'open' || state === 'accepted') t.onTask.add(workerId);
  if (state === 'declined' || state === 'expired') t.declined.add(workerId);
}

export type ReplicaState = 'waiting' | 'offered' | 'assigned' | 'cancelled' | 'unassignable';

/**
 * Answers to offers claimed and their offers closed, in one statement. The named offers ($1,
 * with the worker $2, task $3 and event $6 of each answer) are locked in id order, and those open,
 * unexpired at $4 and made to that worker for that task are closed as $5, unless the answer's
 * event was handled before; the events of the answers that closed an offer are claimed as $7,
 * and so are the events $8 (of types $9) not handled before (submissions, claimed with them).
 * Rows: each locked offer as it was, with whether it was closed (`offer`); each event handled
 * before (`prior`); each event claimed (`claimed`). The lock comes first in the same statement
 * (the update reads the locked rows), so concurrent units lock offers in one order, and an offer
 * another transaction closed meanwhile is seen closed once its lock is had.
 */
export const CLOSE_ANSWERED_SQL = `WITH prior AS (
    SELECT event_id FROM dispatcher.processed_events WHERE event_id = ANY($6::uuid[]) OR event_id = ANY($8::uuid[])),
  locked AS (
    SELECT offer_id, task_id, replica, attempt, worker_id, expires_at, state FROM dispatcher.offers
    WHERE offer_id = ANY($1::text[]) ORDER BY offer_id FOR UPDATE),
  closed AS (
    UPDATE dispatcher.offers o SET state = $5, closed_at = clock_timestamp()
    FROM locked l JOIN unnest($1::text[], $2::text[], $3::text[], $6::uuid[]) AS n(offer_id, worker_id, task_id, event_id) ON n.offer_id = l.offer_id
    WHERE o.offer_id = l.offer_id AND l.worker_id = n.worker_id AND l.task_id = n.task_id AND l.state = 'open' AND l.expires_at > $4::timestamptz
      AND n.event_id NOT IN (SELECT event_id FROM prior)
    RETURNING o.offer_id, n.event_id),
  claimed AS (
    INSERT INTO dispatcher.processed_events (event_id, type)
    SELECT event_id, $7 FROM closed
    UNION ALL SELECT e, t FROM unnest($8::uuid[], $9::text[]) AS x(e, t) WHERE e NOT IN (SELECT event_id FROM prior)
    ON CONFLICT DO NOTHING RETURNING event_id)
  SELECT 'offer' AS kind, l.offer_id AS id, l.task_id, l.replica, l.attempt, l.worker_id, l.expires_at, l.state, c.offer_id IS NOT NULL AS closed
    FROM locked l LEFT JOIN closed c USING (offer_id)
  UNION ALL SELECT 'prior', event_id::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM prior
  UNION ALL SELECT 'claimed', event_id::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM claimed`;

/** What `closeAnsweredOffers` found, closed and claimed; event ids in lower case. */
export interface ClosedAnswers {
  /** Each named offer found, as it was before. */
  readonly found: Map<string, OpenOffer & { state: string }>;
  /** The offers closed. */
  readonly closed: Set<string>;
  /** Events handled before: neither their offers closed nor they claimed. */
  readonly prior: Set<string>;
  /** Events claimed: those of the answers that closed an offer, and the others given that were not handled before. */
  readonly claimed: Set<string>;
}

export type OfferClosing = 'accepted' | 'declined' | 'expired' | 'withdrawn';

/** One offer of a queue's window: who had it, and when it was made (microseconds since 1970). */
export interface RecentOffer {
  readonly offerId: string;
  readonly workerId: string;
  readonly atMicros: number;
}

interface OfferRow {
  offer_id: string;
  queue: string;
  worker_id: string;
  at_us: string;
}

/** An offer of the feed of offers written since a refresh (see CandidateIndex.followOffers), with its queue. */
export interface FeedOffer extends RecentOffer {
  readonly queue: string;
}

/** An offer's created_at in whole microseconds since 1970: as exact as PostgreSQL keeps it, and below 2^53. */
export const MICROS = `(extract(epoch FROM created_at) * 1000000)::bigint`;

/** Not written by the caller's own transaction (true when it has written nothing, and for offers from before the feed, without an id). */
const NOT_OWN = `coalesce(created_xid <> pg_current_xact_id_if_assigned(), true)`;

const recentOffer = (r: OfferRow): RecentOffer => ({ offerId: r.offer_id, workerId: r.worker_id, atMicros: Number(r.at_us) });

/**
 * One batch of `TaskStore.pruneEnded`: the oldest ended tasks stored before `$1`, after the task
 * (`$4`, stored at `$3`) the batch before ended with, in the order of the index
 * `tasks_by_storage` on `tasks.updated_at` (when the task was stored: nothing changes it since)
 * and the task id. Each check is a subquery a task, through the index on its task id: written as
 * `NOT EXISTS`, the planner made them joins that read every replica and offer once a batch. The
 * deletes take the ids as an array, so each goes down its table's task id index rather than
 * hashing the whole table. The rows of a task go in one statement, so no half-deleted task is
 * ever seen; the replicas' rows go before the check of their foreign key, which runs at the
 * statement's end. Returns how many tasks went, and the last one (its storage time and id).
 */
const PRUNE_ENDED_SQL = `WITH ended AS (
    SELECT t.task_id, t.updated_at FROM dispatcher.tasks t
    WHERE (t.updated_at, t.task_id) > ($3::timestamptz, $4::text) AND t.updated_at < $1
      AND (SELECT count(*) FROM dispatcher.task_replicas r WHERE r.task_id = t.task_id AND r.state NOT IN ('assigned', 'cancelled', 'unassignable')) = 0
      AND (SELECT count(*) FROM dispatcher.assignments a WHERE a.task_id = t.task_id AND (a.finished_at IS NULL OR a.finished_at >= $1)) = 0
      AND (SELECT count(*) FROM dispatcher.offers o WHERE o.task_id = t.task_id AND (o.state = 'open' OR o.closed_at >= $1)) = 0
      AND (SELECT count(*) FROM dispatcher.decisions d WHERE d.task_id = t.task_id AND d.decided_at >= $1) = 0
    ORDER BY t.updated_at, t.task_id
    LIMIT $2
    FOR UPDATE OF t SKIP LOCKED
  ), ids AS (
    SELECT ARRAY(SELECT task_id FROM ended) AS ids
  ), o AS (
    DELETE FROM dispatcher.offers WHERE task_id = ANY((SELECT ids FROM ids)::text[])
  ), d AS (
    DELETE FROM dispatcher.decisions WHERE task_id = ANY((SELECT ids FROM ids)::text[])
  ), a AS (
    DELETE FROM dispatcher.assignments WHERE task_id = ANY((SELECT ids FROM ids)::text[])
  ), r AS (
    DELETE FROM dispatcher.task_replicas WHERE task_id = ANY((SELECT ids FROM ids)::text[])
  ), t AS (
    DELETE FROM dispatcher.tasks WHERE task_id = ANY((SELECT ids FROM ids)::text[]) RETURNING updated_at, task_id
  )
  SELECT (SELECT count(*)::int FROM t) AS n, last.updated_at AS last_at, last.task_id AS last_task
  FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT updated_at, task_id FROM t ORDER BY updated_at DESC, task_id DESC LIMIT 1) AS last ON true`;

/** SQL for tasks, their replicas, offers, assignments and decision records. */
export class TaskStore {
  /**
   * A run of TaskPosted events stored with their first attempts' records and events, in one
   * statement and so with no transaction around it: of the events not handled before (an id
   * given twice counts at its first place), the first of each task id, in the order given,
   * inserts its task (a task id stored before is skipped); only the events that inserted a task
   * are claimed, and only the records, replicas and outbox events of those tasks are written (the
   * caller planned every task of the run: what the others planned is dropped). Replicas not in
   * `rows` are stored waiting. `outbox` events are keyed by their task id; a decision whose
   * `DecisionRecorded` event is among them takes its record from the event (the record is that
   * event's data), so the record, about 4 KB with its candidates, is sent and parsed once
   * instead of twice.
   * Returns the ids (lower case) of the events handled before and of those claimed, the task ids
   * inserted, and the outbox rows' ids in the order of the events written.
   */
  async postTasks(
    m: EntityManager,
    events: readonly { eventId: string; occurredAt: string; data: TaskPostedData }[],
    rows: RecordRows,
    outbox: readonly { topic: string; key: string; value: unknown }[],
  ): Promise<PostedTasks> {
    const posted: PostedTasks = { prior: new Set(), claimed: new Set(), inserted: new Set(), outboxIds: [] };
    if (events.length === 0) return posted;
    const recorded = new Set(outbox.flatMap((e) => (isDecisionRecorded(e.value) ? [e.value.data.decisionId] : [])));
    const result = await sqlRows<{ kind: string; id: string }>(m,
      `WITH prior AS (
         SELECT event_id FROM dispatcher.processed_events WHERE event_id = ANY($1::uuid[])
       ), firsts AS (
         SELECT DISTINCT ON (s->>'taskId') e, s, p FROM (
           SELECT DISTINCT ON (e) e, s, p, n FROM unnest($1::uuid[], $2::jsonb[], $3::timestamptz[]) WITH ORDINALITY AS u(e, s, p, n)
           WHERE e NOT IN (SELECT event_id FROM prior) ORDER BY e, n
         ) f ORDER BY s->>'taskId', n
       ), t AS (
         INSERT INTO dispatcher.tasks (task_id, queue, priority, required_skills, spec, posted_at)
         SELECT s->>'taskId', s->>'queue', (s->>'priority')::int, ARRAY(SELECT jsonb_array_elements_text(s->'requiredSkills')), s, p FROM firsts
         ON CONFLICT DO NOTHING RETURNING task_id, priority, posted_at, (spec->>'replicas')::int AS replicas
       ), c AS (
         INSERT INTO dispatcher.processed_events (event_id, type)
         SELECT f.e, 'TaskPosted' FROM firsts f JOIN t ON t.task_id = f.s->>'taskId' ON CONFLICT DO NOTHING RETURNING event_id
       ), r AS (
         INSERT INTO dispatcher.task_replicas (task_id, replica, state, attempts, worker_id, priority, posted_at)
         SELECT t.task_id, n, coalesce(x.state, 'waiting'), coalesce(x.attempts, 0), x.worker_id, t.priority, t.posted_at
         FROM t CROSS JOIN generate_series(1, t.replicas) AS n
         LEFT JOIN unnest($4::text[], $5::int[], $6::text[], $7::int[], $8::text[], $9::boolean[]) AS x(task_id, replica, state, attempts, worker_id, set_worker) ON x.task_id = t.task_id AND x.replica = n
       ), ev AS (
         SELECT topic, key, value, n FROM unnest($12::text[], $13::text[], $14::jsonb[]) WITH ORDINALITY AS e(topic, key, value, n)
       ), d AS (
         INSERT INTO dispatcher.decisions (decision_id, task_id, replica, attempt, record, decided_at)
         SELECT x.decision_id, x.task_id, x.replica, x.attempt, coalesce(x.record, ev.value->'data'), x.decided_at
         FROM json_populate_recordset(NULL::dispatcher.decisions, $10::json) x
         LEFT JOIN ev ON ev.value->>'type' = 'DecisionRecorded' AND ev.value->'data'->>'decisionId' = x.decision_id
         WHERE x.task_id IN (SELECT task_id FROM t)
       ), o AS (
         INSERT INTO dispatcher.offers (offer_id, task_id, queue, replica, attempt, worker_id, decision_id, state, expires_at)
         SELECT offer_id, task_id, queue, replica, attempt, worker_id, decision_id, state, expires_at FROM json_populate_recordset(NULL::dispatcher.offers, $11::json)
         WHERE task_id IN (SELECT task_id FROM t)
       ), ob AS (
         INSERT INTO dispatcher.outbox (topic, key, value)
         SELECT topic, key, value FROM ev WHERE key IN (SELECT task_id FROM t) ORDER BY n RETURNING id
       )
       SELECT 'prior' AS kind, event_id::text AS id FROM prior
       UNION ALL SELECT 'claimed', event_id::text FROM c
       UNION ALL SELECT 'inserted', task_id FROM t
       UNION ALL SELECT 'outbox', id::text FROM ob`,
      [
        events.map((e) => e.eventId), events.map((e) => JSON.stringify(e.data)), events.map((e) => e.occurredAt),
        ...replicaParams(rows.replicas),
        // A record whose DecisionRecorded event is in `outbox` goes once, in the event, and the statement takes it from there.
        rowsJson(DECISION_COLUMNS, rows.decisions.map((d) => decisionRow(recorded.has(d.decisionId) ? { ...d, record: null } : d))),
        rowsJson(OFFER_COLUMNS, rows.offers.map(offerRow)),
        outbox.map((e) => e.topic), outbox.map((e) => e.key), outbox.map((e) => JSON.stringify(e.value)),
      ],
    );
    const ids: bigint[] = [];
    for (const r of result) {
      if (r.kind === 'prior') posted.prior.add(r.id);
      else if (r.kind === 'claimed') posted.claimed.add(r.id);
      else if (r.kind === 'inserted') posted.inserted.add(r.id);
      else ids.push(BigInt(r.id));
    }
    // Ids are drawn in insertion order, which the ORDER BY fixes: sorting them restores the events' order.
    ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    posted.outboxIds.push(...ids.map(String));
    return posted;
  }

  async findTask(m: EntityManager, taskId: string): Promise<StoredTask | undefined> {
    const rows: { task_id: string; spec: TaskPostedData; posted_at: Date }[] = await sqlRows(m, 
      `SELECT task_id, spec, posted_at FROM dispatcher.tasks WHERE task_id = $1`,
      [taskId],
    );
    return rows[0] && { taskId: rows[0].task_id, spec: rows[0].spec, postedAt: rows[0].posted_at.toISOString() };
  }

  async lockReplicas(m: EntityManager, taskId: string): Promise<{ replica: number; state: ReplicaState; workerId: string | null }[]> {
    const rows: { replica: number; state: ReplicaState; worker_id: string | null }[] = await sqlRows(m, 
      `SELECT replica, state, worker_id FROM dispatcher.task_replicas WHERE task_id = $1 ORDER BY replica FOR UPDATE`,
      [taskId],
    );
    return rows.map((r) => ({ replica: r.replica, state: r.state, workerId: r.worker_id }));
  }

  async setReplica(m: EntityManager, taskId: string, replica: number, state: ReplicaState, change: { attempts?: number; workerId?: string | null } = {}): Promise<void> {
    await sqlRows(m, 
      `UPDATE dispatcher.task_replicas SET state = $3, attempts = COALESCE($4, attempts),
         worker_id = CASE WHEN $6 THEN $5 ELSE worker_id END
       WHERE task_id = $1 AND replica = $2`,
      [taskId, replica, state, change.attempts ?? null, change.workerId ?? null, change.workerId !== undefined],
    );
  }

  /** Sets many replicas' states in one statement; each (task, replica) at most once. */
  async setReplicas(m: EntityManager, changes: readonly ReplicaChange[]): Promise<void> {
    if (changes.length === 0) return;
    await sqlRows(m, setReplicasSql(1), replicaParams(changes));
  }

  /**
   * What dispatch attempts write, in one statement (one round trip instead of three): their
   * decision records and offers inserted, their replicas' states set (see `recordClauses`).
   */
  async writeRecords(m: EntityManager, w: RecordRows): Promise<void> {
    await runWriteClauses(m, recordClauses(w));
  }

  /** For each task, the workers who hold it or refused it, so they are not offered it (again). */
  async workersTouchingMany(m: EntityManager, taskIds: readonly string[]): Promise<Map<string, Touching>> {
    const touching = new Map(taskIds.map((id): [string, Touching] => [id, { onTask: new Set(), declined: new Set() }]));
    if (taskIds.length === 0) return touching;
    const rows = await sqlRows<{ task_id: string; worker_id: string; state: string }>(m,
      `SELECT task_id, worker_id, state FROM dispatcher.offers WHERE task_id = ANY($1::text[])`,
      [taskIds],
    );
    for (const r of rows) touch(touching.get(r.task_id)!, r.worker_id, r.state);
    return touching;
  }

  /**
   * For each queue, its last `window` offers, newest first, in one statement; offers of the
   * caller's own transaction are left out (not committed: a window kept past it must not hold them).
   */
  async recentOffersMany(m: EntityManager, queues: readonly string[], window: number): Promise<Map<string, RecentOffer[]>> {
    const recent = new Map(queues.map((q) => [q, [] as RecentOffer[]]));
    if (queues.length === 0) return recent;
    // One branch per queue, each with the queue as its own parameter: planned for that queue, a busy
    // one reads its newest offers down the (queue, created_at) index. Joined to a list of queues
    // instead, the planner assumed an average queue's few offers and read and sorted every offer of
    // the queue (5 ms and growing with 20,000 workers on a few busy queues).
    const branches = queues.map((_, i) =>
      `(SELECT offer_id, queue, worker_id, created_at FROM dispatcher.offers WHERE queue = $${i + 2} AND ${NOT_OWN} ORDER BY created_at DESC, offer_id DESC LIMIT $1)`);
    const rows = await sqlRows<OfferRow>(m,
      `SELECT offer_id, queue, worker_id, ${MICROS} AS at_us FROM (${branches.join(' UNION ALL ')}) o ORDER BY queue, created_at DESC, offer_id DESC`,
      [window, ...queues],
    );
    for (const r of rows) recent.get(r.queue)!.push(recentOffer(r));
    return recent;
  }

  /**
   * What a next attempt needs of each replica, in one statement: its state and attempts (the row
   * locked for the rest of the transaction, in (task, replica) order so two units cannot lock
   * each other's rows crosswise), the task, how many offers the replica has had, and who touched
   * the task (as `workersTouchingMany`, read with the lock instead of in a statement after). Replicas
   * that do not exist are absent, and so is one given with `offeredAt` unless it is still
   * `offered` at that attempt once locked (a replica between two offers, see
   * `replicasBetweenOffers`: one attempted again meanwhile, cancelled or assigned is left out).
   */
  async lockForAttempts(m: EntityManager, replicas: readonly { taskId: string; replica: number; offeredAt?: number }[]): Promise<ReplicaForAttempt[]> {
    if (replicas.length === 0) return [];
    // The condition on r is checked again on the row's newest version when the lock had to wait for it.
    const rows = await sqlRows<{ task_id: string; replica: number; state: ReplicaState; attempts: number; spec: TaskPostedData; posted_at: Date; offers: [string, string, number][] }>(m,
      `SELECT r.task_id, r.replica, r.state, r.attempts, t.spec, t.posted_at,
         (SELECT coalesce(json_agg(json_build_array(o.worker_id, o.state, o.replica)), '[]') FROM dispatcher.offers o WHERE o.task_id = r.task_id) AS offers
       FROM unnest($1::text[], $2::int[], $3::int[]) AS u(task_id, replica, offered_at)
       JOIN dispatcher.task_replicas r ON r.task_id = u.task_id AND r.replica = u.replica
       JOIN dispatcher.tasks t ON t.task_id = r.task_id
       WHERE u.offered_at IS NULL OR (r.state = 'offered' AND r.attempts = u.offered_at)
       ORDER BY r.task_id, r.replica FOR UPDATE OF r`,
      [replicas.map((r) => r.taskId), replicas.map((r) => r.replica), replicas.map((r) => r.offeredAt ?? null)],
    );
    return rows.map((r) => {
      const touching: Touching = { onTask: new Set(), declined: new Set() };
      for (const [workerId, state] of r.offers) touch(touching, workerId, state);
      return {
        taskId: r.task_id, replica: r.replica, state: r.state, attempts: r.attempts,
        task: { taskId: r.task_id, spec: r.spec, postedAt: r.posted_at.toISOString() },
        offersMade: r.offers.filter(([, , replica]) => replica === r.replica).length, touching,
      };
    });
  }

  /**
   * Closes as `state`, in one statement, those of the named offers that are open, not expired at
   * `now`, and were made to the named worker for the named task, and claims the answers' events
   * that closed one; each offer may be named once. An answer whose event was handled before
   * closes nothing. `others` (events of other kinds) are claimed in the same statement where not
   * handled before. The offers are locked in id order first, as a read and lock of their own
   * would. Returns every named offer found, as it was before (the reason an answer is refused is
   * read from it), the ids of those it closed, and the events handled before and claimed (see
   * CLOSE_ANSWERED_SQL).
   */
  async closeAnsweredOffers(
    m: EntityManager,
    named: readonly { offerId: string; workerId: string; taskId: string; eventId: string; type: string }[],
    state: OfferClosing,
    now: Date,
    others: readonly { eventId: string; type: string }[] = [],
  ): Promise<ClosedAnswers> {
    const answers: ClosedAnswers = { found: new Map(), closed: new Set(), prior: new Set(), claimed: new Set() };
    if (named.length === 0 && others.length === 0) return answers;
    const types = new Set(named.map((n) => n.type));
    if (types.size > 1) throw new Error(`answers of one kind at a time, not ${[...types].join(' and ')}`);
    const rows: { kind: string; id: string; task_id: string; replica: number; attempt: number; worker_id: string; expires_at: Date; state: string; closed: boolean }[] =
      await sqlRows(m, CLOSE_ANSWERED_SQL, [
        named.map((n) => n.offerId), named.map((n) => n.workerId), named.map((n) => n.taskId), now.toISOString(), state,
        named.map((n) => n.eventId), named[0]?.type ?? 'none', others.map((o) => o.eventId), others.map((o) => o.type),
      ]);
    for (const r of rows) {
      if (r.kind === 'prior') answers.prior.add(r.id);
      else if (r.kind === 'claimed') answers.claimed.add(r.id);
      else {
        answers.found.set(r.id, { offerId: r.id, taskId: r.task_id, replica: r.replica, attempt: r.attempt, workerId: r.worker_id, expiresAt: r.expires_at, state: r.state });
        if (r.closed) answers.closed.add(r.id);
      }
    }
    return answers;
  }

  async closeOffers(m: EntityManager, offerIds: readonly string[], state: OfferClosing): Promise<void> {
    if (offerIds.length === 0) return;
    await sqlRows(m, `UPDATE dispatcher.offers SET state = $2, closed_at = clock_timestamp() WHERE offer_id = ANY($1::text[])`, [offerIds, state]);
  }

  async closeOffer(m: EntityManager, offerId: string, state: OfferClosing): Promise<void> {
    await sqlRows(m, `UPDATE dispatcher.offers SET state = $2, closed_at = clock_timestamp() WHERE offer_id = $1`, [offerId, state]);
  }

  async openOffersOf(m: EntityManager, taskId: string): Promise<OpenOffer[]> {
    const rows: { offer_id: string; task_id: string; replica: number; attempt: number; worker_id: string; expires_at: Date }[] = await sqlRows(m, 
      `SELECT * FROM dispatcher.offers WHERE task_id = $1 AND state = 'open' FOR UPDATE`,
      [taskId],
    );
    return rows.map((r) => ({ offerId: r.offer_id, taskId: r.task_id, replica: r.replica, attempt: r.attempt, workerId: r.worker_id, expiresAt: r.expires_at }));
  }

  /** Open offers past their expiry, locked so only one instance expires each. */
  async lockDueOffers(m: EntityManager, now: Date, limit: number): Promise<OpenOffer[]> {
    const rows: { offer_id: string; task_id: string; replica: number; attempt: number; worker_id: string; expires_at: Date }[] = await sqlRows(m, 
      `SELECT * FROM dispatcher.offers WHERE state = 'open' AND expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now.toISOString(), limit],
    );
    return rows.map((r) => ({ offerId: r.offer_id, taskId: r.task_id, replica: r.replica, attempt: r.attempt, workerId: r.worker_id, expiresAt: r.expires_at }));
  }

  /** The earliest expiry among open offers, so the sweeper can sleep until then. */
  async nextExpiry(m: EntityManager): Promise<Date | undefined> {
    const rows: { next: Date | null }[] = await sqlRows(m, `SELECT min(expires_at) AS next FROM dispatcher.offers WHERE state = 'open'`);
    return rows[0]?.next ?? undefined;
  }

    /**
   * Records assignments of accepted offers and sets their replicas assigned to those workers, in
   * one statement; the primary key on (task, replica) makes a second assignment impossible.
   */
  async assign(m: EntityManager, offers: readonly OpenOffer[]): Promise<void> {
    if (offers.length === 0) return;
    const { insert, params } = assignParts(offers);
    await sqlRows(m, `WITH a AS (${insert}) ${setReplicasSql(2)}`, params);
  }

  /**
   * `assign` and `finishAssignments` in one statement: the accepted offers become assignments
   * and the named (task, worker) pairs' open assignments end. The end cannot see an assignment
   * the same statement makes, so no pair may be one of the accepted offers' (the caller ends
   * those after). Returns what `finishAssignments` returns.
   */
  async assignAndFinish(m: EntityManager, offers: readonly OpenOffer[], ends: readonly { taskId: string; workerId: string }[], outcome: 'submitted' | 'abandoned'): Promise<Map<string, number>> {
    if (offers.length === 0) return this.finishAssignments(m, ends, outcome);
    if (ends.length === 0) {
      await this.assign(m, offers);
      return new Map();
    }
    const { insert, params } = assignParts(offers);
    const rows = await sqlRows<{ task_id: string; worker_id: string; replica: number }>(m,
      `WITH a AS (${insert}), r AS (${setReplicasSql(2)}), ${FINISH_AFTER_ASSIGN_SQL}`,
      [...params, ends.map((e) => e.taskId), ends.map((e) => e.workerId), outcome],
    );
    return new Map(rows.map((r) => [`${r.task_id}\t${r.worker_id}`, r.replica]));
  }

  /**
   * `finishAssignment` for several (task, worker) pairs in one statement, each pair at most once;
   * returns the replica of each pair that held an open assignment, keyed `taskId\tworkerId`.
   */
  async finishAssignments(m: EntityManager, ends: readonly { taskId: string; workerId: string }[], outcome: 'submitted' | 'abandoned'): Promise<Map<string, number>> {
    if (ends.length === 0) return new Map();
    const rows = await sqlRows<{ task_id: string; worker_id: string; replica: number }>(m,
      `UPDATE dispatcher.assignments a SET finished_at = clock_timestamp(), outcome = $3
       FROM unnest($1::text[], $2::text[]) AS u(task_id, worker_id)
       WHERE a.task_id = u.task_id AND a.worker_id = u.worker_id AND a.finished_at IS NULL
       RETURNING a.task_id, a.worker_id, a.replica`,
      [ends.map((e) => e.taskId), ends.map((e) => e.workerId), outcome],
    );
    return new Map(rows.map((r) => [`${r.task_id}\t${r.worker_id}`, r.replica]));
  }

  /**
   * Ends the worker's open assignment on a task; returns its replica, or undefined when the
   * worker holds no open assignment there.
   */
  async finishAssignment(m: EntityManager, taskId: string, workerId: string, outcome: 'submitted' | 'abandoned' | 'cancelled'): Promise<number | undefined> {
    const rows: { replica: number }[] = await sqlRows(m, 
      `UPDATE dispatcher.assignments SET finished_at = clock_timestamp(), outcome = $3
       WHERE task_id = $1 AND worker_id = $2 AND finished_at IS NULL RETURNING replica`,
      [taskId, workerId, outcome],
    );
    return rows[0]?.replica;
  }

  /** Waiting replicas a worker with these skills could take, highest priority then oldest first. */
  async lockWaiting(m: EntityManager, limit: number): Promise<{ taskId: string; replica: number }[]> {
    const rows: { task_id: string; replica: number }[] = await sqlRows(m,
      `SELECT task_id, replica FROM dispatcher.task_replicas WHERE state = 'waiting'
       ORDER BY priority DESC, posted_at, task_id, replica LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    return rows.map((r) => ({ taskId: r.task_id, replica: r.replica }));
  }

  /**
   * Replicas out on offer with no open offer, at most `limit`, highest priority then oldest, with
   * the attempt their last offer was: those whose offer was declined and which have not yet been
   * attempted again (see TaskLifecycle.offersDeclinedIn). Not locked: `lockForAttempts` with
   * `offeredAt` locks them and leaves out any attempted meanwhile.
   */
  async replicasBetweenOffers(m: EntityManager, limit: number): Promise<{ taskId: string; replica: number; offeredAt: number }[]> {
    const rows = await sqlRows<{ task_id: string; replica: number; attempts: number }>(m,
      `SELECT r.task_id, r.replica, r.attempts FROM dispatcher.task_replicas r
       WHERE r.state = 'offered'
         AND NOT EXISTS (SELECT 1 FROM dispatcher.offers o WHERE o.task_id = r.task_id AND o.replica = r.replica AND o.state = 'open')
       ORDER BY r.priority DESC, r.posted_at, r.task_id, r.replica LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ taskId: r.task_id, replica: r.replica, offeredAt: r.attempts }));
  }

  /** Whether any replica waits at all (the partial index answers without reading the table). */
  async anyWaiting(m: EntityManager): Promise<boolean> {
    const rows = await sqlRows<{ any: boolean }>(m, `SELECT EXISTS (SELECT 1 FROM dispatcher.task_replicas WHERE state = 'waiting') AS any`);
    return rows[0].any;
  }

  /**
   * Deletes ended tasks, with their replicas, offers, decision records and assignments, at most
   * `batchSize` tasks a statement (each its own short transaction); returns how many tasks. A
   * task has ended when every replica is cancelled, unassignable, or assigned and finished
   * (submitted or cancelled), with no offer open. It goes once it was stored before `before` and
   * nothing happened to it since: no offer closed, assignment finished or decision made at or
   * after `before`. Tasks another transaction holds are skipped until the next round. The
   * audit log keeps every decision and outcome; this is the dispatcher's working copy.
   * `afterBatch` hears how many each committed batch deleted, how long it took and whether
   * another follows; before one that follows it may wait (to leave the database to dispatch), and
   * it stops the round by returning false.
   */
  async pruneEnded(
    m: EntityManager,
    before: Date,
    { batchSize = 1_000, afterBatch }: { batchSize?: number; afterBatch?: (deleted: number, ms: number, more: boolean) => Promise<boolean> | boolean } = {},
  ): Promise<number> {
    let total = 0;
    // Each batch starts after the last task of the one before, in the index's order, so no batch
    // walks the index over what the batches before it deleted.
    let from: { at: Date | string; taskId: string } = { at: '-infinity', taskId: '' };
    for (;;) {
      const started = performance.now();
      // The planner cannot tell how many tasks pass the checks, so it costs the batch as reading
      // every old task: the services' sessions have JIT off (openDataSource), or PostgreSQL
      // would compile the batch first, some 0.3 s each.
      const [{ n, last_at, last_task }] = await sqlRows<{ n: number; last_at: Date | null; last_task: string | null }>(m, PRUNE_ENDED_SQL, [before, batchSize, from.at, from.taskId]);
      total += n;
      const more = n === batchSize && last_at !== null && last_task !== null;
      const goOn = (await afterBatch?.(n, performance.now() - started, more)) ?? true;
      if (!more || !goOn) return total;
      from = { at: last_at, taskId: last_task };
    }
  }

  /** How many replicas wait (read off the partial index), for the metrics. */
  async countWaiting(m: EntityManager): Promise<number> {
    const rows = await sqlRows<{ n: string }>(m, `SELECT count(*) AS n FROM dispatcher.task_replicas WHERE state = 'waiting'`);
    return Number(rows[0].n);
  }

  /**
   * Waiting replicas that at least one of `workerIds` could be offered now, highest priority
   * then oldest, as many as their capacities add up to (at most `limit`), locked (skipping
   * those another transaction holds). "Could" applies the hard
   * rules that need no Redis: present and not suspended, every skill and qualification, a
   * language in common, not excluded, never offered the task before. A replica none of them
   * could take is left alone rather than attempted again to the same end, which under load
   * would re-record the same waiting decision every time anyone freed a slot.
   */
  async lockWaitingForAny(m: EntityManager, workerIds: readonly string[], limit: number): Promise<{ taskId: string; replica: number }[]> {
    const rows: { task_id: string; replica: number }[] = await sqlRows(m,
      `SELECT r.task_id, r.replica FROM dispatcher.task_replicas r JOIN dispatcher.tasks t USING (task_id)
       WHERE r.state = 'waiting'
         AND EXISTS (
           SELECT 1 FROM dispatcher.workers w
           WHERE w.worker_id = ANY($1::text[]) AND w.online AND NOT w.suspended
             AND t.required_skills <@ w.skills
             AND (jsonb_array_length(COALESCE(t.spec->'languages', '[]')) = 0 OR (t.spec->'languages') ?| w.languages)
             AND COALESCE(t.spec->'requiredQualifications', '[]') <@ to_jsonb(w.qualifications)
             AND NOT COALESCE(t.spec->'excludedWorkerIds', '[]') ? w.worker_id
             AND NOT EXISTS (SELECT 1 FROM dispatcher.offers o WHERE o.task_id = r.task_id AND o.worker_id = w.worker_id))
       ORDER BY r.priority DESC, r.posted_at, r.task_id, r.replica
       LIMIT least($2, (SELECT sum(capacity) FROM dispatcher.workers WHERE worker_id = ANY($1::text[]))) FOR UPDATE OF r SKIP LOCKED`,
      [workerIds, limit],
    );
    return rows.map((r) => ({ taskId: r.task_id, replica: r.replica }));
  }

  /** Replicas posted in batch mode and not yet attempted, highest priority then oldest, locked. */
  async lockPending(m: EntityManager, limit: number): Promise<{ taskId: string; replica: number }[]> {
    const rows = await sqlRows<{ task_id: string; replica: number }>(m,
      `SELECT task_id, replica FROM dispatcher.task_replicas WHERE state = 'waiting' AND attempts = 0
       ORDER BY priority DESC, posted_at, task_id, replica LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    return rows.map((r) => ({ taskId: r.task_id, replica: r.replica }));
  }

  /** Waiting replicas of tasks posted before `postedBefore`, locked for this transaction. */
  async lockOverdueWaiting(m: EntityManager, postedBefore: Date, limit: number): Promise<{ taskId: string; replica: number }[]> {
    const rows = await sqlRows<{ task_id: string; replica: number }>(m,
      `SELECT task_id, replica FROM dispatcher.task_replicas WHERE state = 'waiting' AND posted_at < $1
       ORDER BY posted_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [postedBefore.toISOString(), limit],
    );
    return rows.map((r) => ({ taskId: r.task_id, replica: r.replica }));
  }

  /** Everything known about one task, for `GET /v1/tasks/{taskId}`. */
  async history(m: EntityManager, taskId: string) {
    const task = await this.findTask(m, taskId);
    if (!task) return undefined;
    const replicas = await sqlRows<{ replica: number; state: ReplicaState; attempts: number; worker_id: string | null }>(m,
      `SELECT replica, state, attempts, worker_id FROM dispatcher.task_replicas WHERE task_id = $1 ORDER BY replica`, [taskId]);
    const offers = await sqlRows<{ offer_id: string; replica: number; attempt: number; worker_id: string; decision_id: string; state: string; expires_at: Date; created_at: Date; closed_at: Date | null }>(m,
      `SELECT offer_id, replica, attempt, worker_id, decision_id, state, expires_at, created_at, closed_at FROM dispatcher.offers WHERE task_id = $1 ORDER BY created_at, offer_id`, [taskId]);
    const decisions = await sqlRows<{ record: unknown }>(m, `SELECT record FROM dispatcher.decisions WHERE task_id = $1 ORDER BY decided_at, decision_id`, [taskId]);
    const assignments = await sqlRows<{ replica: number; worker_id: string; offer_id: string; assigned_at: Date; finished_at: Date | null; outcome: string | null }>(m,
      `SELECT replica, worker_id, offer_id, assigned_at, finished_at, outcome FROM dispatcher.assignments WHERE task_id = $1 ORDER BY replica`, [taskId]);
    return {
      task,
      replicas: replicas.map((r) => ({ replica: r.replica, state: r.state, attempts: r.attempts, workerId: r.worker_id })),
      offers: offers.map((o) => ({
        offerId: o.offer_id, replica: o.replica, attempt: o.attempt, workerId: o.worker_id, decisionId: o.decision_id, state: o.state,
        expiresAt: o.expires_at.toISOString(), createdAt: o.created_at.toISOString(), closedAt: o.closed_at?.toISOString() ?? null,
      })),
      decisions: decisions.map((d) => d.record),
      assignments: assignments.map((a) => ({
        replica: a.replica, workerId: a.worker_id, offerId: a.offer_id, assignedAt: a.assigned_at.toISOString(),
        finishedAt: a.finished_at?.toISOString() ?? null, outcome: a.outcome,
      })),
    };
  }
}

/** What `TaskStore.postTasks` did: event ids (lower case) handled before and claimed, task ids inserted, outbox rows' ids in order. */
export interface PostedTasks {
  readonly prior: Set<string>;
  readonly claimed: Set<string>;
  readonly inserted: Set<string>;
  readonly outboxIds: string[];
}

/** Rows dispatch attempts write: decision records, offers, replicas' new states. */
export interface RecordRows {
  readonly decisions: readonly NewDecision[];
  readonly offers: readonly NewOffer[];
  readonly replicas: readonly ReplicaChange[];
}

function isDecisionRecorded(value: unknown): value is { data: { decisionId: string } } {
  const v = value as { type?: unknown; data?: { decisionId?: unknown } } | null;
  return v?.type === 'DecisionRecorded' && typeof v.data?.decisionId === 'string';
}

const DECISION_COLUMNS = ['decision_id', 'task_id', 'replica', 'attempt', 'record', 'decided_at'];
const decisionRow = (d: NewDecision) => [d.decisionId, d.taskId, d.replica, d.attempt, d.record, d.decidedAt];
const OFFER_COLUMNS = ['offer_id', 'task_id', 'queue', 'replica', 'attempt', 'worker_id', 'decision_id', 'state', 'expires_at'];
const offerRow = (o: NewOffer) => [o.offerId, o.taskId, o.queue, o.replica, o.attempt, o.workerId, o.decisionId, 'open', o.expiresAt];

/**
 * What dispatch attempts write, as data-modifying `WITH` clauses of one statement: their
 * decision records and offers inserted, their replicas' states set. PostgreSQL runs each to
 * completion; no clause reads what another writes. Run alone (`TaskStore.writeRecords`) or
 * with the unit's outbox insert (see UnitScope.writeAtCommit).
 */
export function recordClauses(w: RecordRows): WriteClauses {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const insert = (name: 'd' | 'o', table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]) => {
    if (rows.length === 0) return;
    const { sql, param } = insertRowsStatement(table, columns, rows, params.length + 1);
    params.push(param);
    clauses.push(`${name} AS (${sql})`);
  };
  insert('d', 'dispatcher.decisions', DECISION_COLUMNS, w.decisions.map(decisionRow));
  insert('o', 'dispatcher.offers', OFFER_COLUMNS, w.offers.map(offerRow));
  if (w.replicas.length > 0) {
    clauses.push(`r AS (${setReplicasSql(params.length + 1)})`);
    params.push(...replicaParams(w.replicas));
  }
  return { clauses, params };
}

/** The replica-state update, its six array parameters numbered from `first`. */
/** What `assign` writes: the assignments' insert ($1) and, for `setReplicasSql(2)`, the replicas set assigned ($2 to $7). */
function assignParts(offers: readonly OpenOffer[]): { insert: string; params: unknown[] } {
  const { sql, param } = insertRowsStatement('dispatcher.assignments', ['task_id', 'replica', 'worker_id', 'offer_id'], offers.map((o) => [o.taskId, o.replica, o.workerId, o.offerId]), 1);
  const replicas = offers.map((o): ReplicaChange => ({ taskId: o.taskId, replica: o.replica, state: 'assigned', workerId: o.workerId }));
  return { insert: sql, params: [param, ...replicaParams(replicas)] };
}

/** The end of `assignAndFinish`: the open assignments of the pairs $8 (tasks) and $9 (workers) ended as $10; returns each ended one. */
const FINISH_AFTER_ASSIGN_SQL = `f AS (
    UPDATE dispatcher.assignments x SET finished_at = clock_timestamp(), outcome = $10
    FROM unnest($8::text[], $9::text[]) AS u(task_id, worker_id)
    WHERE x.task_id = u.task_id AND x.worker_id = u.worker_id AND x.finished_at IS NULL
    RETURNING x.task_id, x.worker_id, x.replica)
  SELECT task_id, worker_id, replica FROM f`;

function setReplicasSql(first: number): string {
  const p = (i: number) => `$${first + i}`;
  return `UPDATE dispatcher.task_replicas r SET state = u.state, attempts = COALESCE(u.attempts, r.attempts),
         worker_id = CASE WHEN u.set_worker THEN u.worker_id ELSE r.worker_id END
       FROM unnest(${p(0)}::text[], ${p(1)}::int[], ${p(2)}::text[], ${p(3)}::int[], ${p(4)}::text[], ${p(5)}::boolean[]) AS u(task_id, replica, state, attempts, worker_id, set_worker)
       WHERE r.task_id = u.task_id AND r.replica = u.replica`;
}

function replicaParams(changes: readonly ReplicaChange[]): unknown[] {
  return [
    changes.map((c) => c.taskId), changes.map((c) => c.replica), changes.map((c) => c.state), changes.map((c) => c.attempts ?? null),
    changes.map((c) => c.workerId ?? null), changes.map((c) => c.workerId !== undefined),
  ];
}
