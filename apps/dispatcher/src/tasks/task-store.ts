import { sqlRows } from '@clearwork/platform';
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

export type ReplicaState = 'waiting' | 'offered' | 'assigned' | 'cancelled' | 'unassignable';
export type OfferClosing = 'accepted' | 'declined' | 'expired' | 'withdrawn';

/** SQL for tasks, their replicas, offers, assignments and decision records. */
export class TaskStore {
  /** Inserts the task and its replicas; false when a task with this id already exists. */
  async insertTask(m: EntityManager, spec: TaskPostedData, postedAt: string): Promise<boolean> {
    const rows: unknown[] = await sqlRows(m, 
      `INSERT INTO dispatcher.tasks (task_id, queue, priority, required_skills, spec, posted_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING task_id`,
      [spec.taskId, spec.queue, spec.priority, spec.requiredSkills, JSON.stringify(spec), postedAt],
    );
    if (rows.length === 0) return false;
    await sqlRows(m, 
      `INSERT INTO dispatcher.task_replicas (task_id, replica, state, priority, posted_at)
       SELECT $1, r, 'waiting', $2, $3 FROM generate_series(1, $4::int) AS r`,
      [spec.taskId, spec.priority, postedAt, spec.replicas],
    );
    return true;
  }

  async findTask(m: EntityManager, taskId: string): Promise<StoredTask | undefined> {
    const rows: { task_id: string; spec: TaskPostedData; posted_at: Date }[] = await sqlRows(m, 
      `SELECT task_id, spec, posted_at FROM dispatcher.tasks WHERE task_id = $1`,
      [taskId],
    );
    return rows[0] && { taskId: rows[0].task_id, spec: rows[0].spec, postedAt: rows[0].posted_at.toISOString() };
  }

  /** Locks one replica row for the rest of the transaction and returns its state and attempts. */
  async lockReplica(m: EntityManager, taskId: string, replica: number): Promise<{ state: ReplicaState; attempts: number } | undefined> {
    const rows: { state: ReplicaState; attempts: number }[] = await sqlRows(m, 
      `SELECT state, attempts FROM dispatcher.task_replicas WHERE task_id = $1 AND replica = $2 FOR UPDATE`,
      [taskId, replica],
    );
    return rows[0];
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

  /** Workers who hold this task or refused it, so they are not offered it (again). */
  async workersTouching(m: EntityManager, taskId: string): Promise<{ onTask: Set<string>; declined: Set<string> }> {
    const rows: { worker_id: string; state: string }[] = await sqlRows(m, 
      `SELECT worker_id, state FROM dispatcher.offers WHERE task_id = $1`,
      [taskId],
    );
    const onTask = new Set(rows.filter((r) => r.state === 'open' || r.state === 'accepted').map((r) => r.worker_id));
    const declined = new Set(rows.filter((r) => r.state === 'declined' || r.state === 'expired').map((r) => r.worker_id));
    return { onTask, declined };
  }

  /** Each worker's count among the queue's last `window` offers, and how many offers that window holds. */
  async queueShares(m: EntityManager, queue: string, window: number): Promise<{ sample: number; counts: Map<string, number> }> {
    const rows = await sqlRows<{ worker_id: string; n: string }>(m,
      `SELECT worker_id, count(*) AS n FROM (SELECT worker_id FROM dispatcher.offers WHERE queue = $1 ORDER BY created_at DESC LIMIT $2) recent GROUP BY worker_id`,
      [queue, window],
    );
    const counts = new Map(rows.map((r) => [r.worker_id, Number(r.n)]));
    return { sample: [...counts.values()].reduce((a, b) => a + b, 0), counts };
  }

  async offersMade(m: EntityManager, taskId: string, replica: number): Promise<number> {
    const rows: { n: string }[] = await sqlRows(m, `SELECT count(*) AS n FROM dispatcher.offers WHERE task_id = $1 AND replica = $2`, [taskId, replica]);
    return Number(rows[0].n);
  }

  async insertOffer(m: EntityManager, o: NewOffer): Promise<void> {
    await sqlRows(m, 
      `INSERT INTO dispatcher.offers (offer_id, task_id, queue, replica, attempt, worker_id, decision_id, state, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8)`,
      [o.offerId, o.taskId, o.queue, o.replica, o.attempt, o.workerId, o.decisionId, o.expiresAt],
    );
  }

  async lockOffer(m: EntityManager, offerId: string): Promise<(OpenOffer & { state: string }) | undefined> {
    const rows: { offer_id: string; task_id: string; replica: number; attempt: number; worker_id: string; expires_at: Date; state: string }[] =
      await sqlRows(m, `SELECT * FROM dispatcher.offers WHERE offer_id = $1 FOR UPDATE`, [offerId]);
    const r = rows[0];
    return r && { offerId: r.offer_id, taskId: r.task_id, replica: r.replica, attempt: r.attempt, workerId: r.worker_id, expiresAt: r.expires_at, state: r.state };
  }

  async closeOffer(m: EntityManager, offerId: string, state: OfferClosing): Promise<void> {
    await sqlRows(m, `UPDATE dispatcher.offers SET state = $2, closed_at = now() WHERE offer_id = $1`, [offerId, state]);
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

  /** Records the assignment; the primary key on (task, replica) makes a second one impossible. */
  async insertAssignment(m: EntityManager, o: OpenOffer): Promise<void> {
    await sqlRows(m, 
      `INSERT INTO dispatcher.assignments (task_id, replica, worker_id, offer_id) VALUES ($1, $2, $3, $4)`,
      [o.taskId, o.replica, o.workerId, o.offerId],
    );
  }

  /**
   * Ends the worker's open assignment on a task; returns its replica, or undefined when the
   * worker holds no open assignment there.
   */
  async finishAssignment(m: EntityManager, taskId: string, workerId: string, outcome: 'submitted' | 'abandoned' | 'cancelled'): Promise<number | undefined> {
    const rows: { replica: number }[] = await sqlRows(m, 
      `UPDATE dispatcher.assignments SET finished_at = now(), outcome = $3
       WHERE task_id = $1 AND worker_id = $2 AND finished_at IS NULL RETURNING replica`,
      [taskId, workerId, outcome],
    );
    return rows[0]?.replica;
  }

  async insertDecision(m: EntityManager, d: { decisionId: string; taskId: string; replica: number; attempt: number; decidedAt: string; record: unknown }): Promise<void> {
    await sqlRows(m, 
      `INSERT INTO dispatcher.decisions (decision_id, task_id, replica, attempt, record, decided_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [d.decisionId, d.taskId, d.replica, d.attempt, JSON.stringify(d.record), d.decidedAt],
    );
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

  async lockWaitingFor(m: EntityManager, skills: readonly string[], limit: number): Promise<{ taskId: string; replica: number }[]> {
    const rows: { task_id: string; replica: number }[] = await sqlRows(m, 
      `SELECT r.task_id, r.replica FROM dispatcher.task_replicas r JOIN dispatcher.tasks t USING (task_id)
       WHERE r.state = 'waiting' AND t.required_skills <@ $1::text[]
       ORDER BY r.priority DESC, r.posted_at, r.task_id, r.replica LIMIT $2 FOR UPDATE OF r SKIP LOCKED`,
      [skills, limit],
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

  async workerSkills(m: EntityManager, workerId: string): Promise<string[] | undefined> {
    const rows: { skills: string[] }[] = await sqlRows(m, `SELECT skills FROM dispatcher.workers WHERE worker_id = $1`, [workerId]);
    return rows[0]?.skills;
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
