import { insertRows, sqlRows } from '@clearwork/platform';
import { withLastSeen, type Scores, type ScoringEvent, type WorkerScoreState } from '@clearwork/scoring-core';
import type { EntityManager } from 'typeorm';

/** The columns of `scoring.score_history` a history entry fills, in `historyRow`'s order. */
export const HISTORY_COLUMNS = ['worker_id', 'event_id', 'event_type', 'task_id', 'occurred_at', 'policy_version', 'changes', 'scores', 'note'];
export const historyRow = (h: HistoryEntry) => [h.workerId, h.eventId, h.eventType, h.taskId, h.occurredAt, h.policyVersion, h.changes, h.scores, h.note ?? null];

export interface WorkerRecord {
  readonly workerId: string;
  readonly registeredAt: string;
  readonly state: WorkerScoreState;
  readonly policyVersion: number;
  readonly scores: Scores;
  readonly online: boolean;
  readonly lastSeenAt: string | null;
}

interface Row {
  worker_id: string;
  registered_at: Date;
  state: WorkerScoreState;
  policy_version: number;
  scores: Scores;
  online: boolean;
  last_seen_at: Date | null;
}

/**
 * The time last seen is `last_seen_at`'s: a heartbeat that moves nothing else writes that column
 * alone (see ScoreUnit.touch), and the state's own copy is then older.
 */
const toRecord = (r: Row): WorkerRecord => ({
  workerId: r.worker_id,
  registeredAt: r.registered_at.toISOString(),
  state: r.last_seen_at ? withLastSeen(r.state, r.last_seen_at.getTime()) : r.state,
  policyVersion: r.policy_version,
  scores: r.scores,
  online: r.online,
  lastSeenAt: r.last_seen_at?.toISOString() ?? null,
});

export interface HistoryEntry {
  readonly workerId: string;
  readonly eventId: string | null;
  readonly eventType: string;
  readonly taskId: string | null;
  readonly occurredAt: string;
  readonly policyVersion: number;
  readonly changes: Record<string, number>;
  readonly scores: Scores;
  readonly note?: string;
}

/** SQL for worker score state, evidence and history. */
export class ScoreStore {
  async lock(m: EntityManager, workerId: string): Promise<WorkerRecord | undefined> {
    return (await this.lockMany(m, [workerId]))[0];
  }

  /** Several workers' rows, locked in id order (so two transactions cannot deadlock on them). */
  async lockMany(m: EntityManager, workerIds: readonly string[]): Promise<WorkerRecord[]> {
    if (workerIds.length === 0) return [];
    const rows = await sqlRows<Row>(m, `SELECT worker_id, registered_at, state, policy_version, scores, online, last_seen_at FROM scoring.worker_state WHERE worker_id = ANY($1::text[]) ORDER BY worker_id FOR UPDATE`, [workerIds]);
    return rows.map(toRecord);
  }

  async find(m: EntityManager, workerId: string): Promise<WorkerRecord | undefined> {
    const rows = await sqlRows<Row>(m, `SELECT worker_id, registered_at, state, policy_version, scores, online, last_seen_at FROM scoring.worker_state WHERE worker_id = $1`, [workerId]);
    return rows[0] && toRecord(rows[0]);
  }

  async setProfile(m: EntityManager, workerId: string, patch: Record<string, unknown>): Promise<void> {
    await sqlRows(m, `UPDATE scoring.worker_state SET profile = profile || $2::jsonb, updated_at = now() WHERE worker_id = $1`, [workerId, JSON.stringify(patch)]);
  }

  async setSuspended(m: EntityManager, workerId: string, suspended: boolean): Promise<void> {
    await sqlRows(m, `UPDATE scoring.worker_state SET suspended = $2, updated_at = now() WHERE worker_id = $1`, [workerId, suspended]);
  }

  async evidenceOf(m: EntityManager, workerId: string): Promise<ScoringEvent[]> {
    return (await this.evidenceOfMany(m, [workerId])).get(workerId) ?? [];
  }

  /** Several workers' evidence in one statement, each worker's in time order. */
  async evidenceOfMany(m: EntityManager, workerIds: readonly string[]): Promise<Map<string, ScoringEvent[]>> {
    const byWorker = new Map<string, ScoringEvent[]>();
    if (workerIds.length === 0) return byWorker;
    const rows = await sqlRows<{ worker_id: string; input: ScoringEvent }>(m,
      `SELECT worker_id, input FROM scoring.evidence WHERE worker_id = ANY($1::text[]) ORDER BY worker_id, occurred_at, event_id`, [workerIds]);
    for (const r of rows) {
      const list = byWorker.get(r.worker_id);
      if (list) list.push(r.input);
      else byWorker.set(r.worker_id, [r.input]);
    }
    return byWorker;
  }

  /** The latest history entries that moved `component`, newest first. */
  async movers(m: EntityManager, workerId: string, component: string, limit: number): Promise<{ eventId: string | null; type: string; taskId: string | null; change: number; at: string; policyVersion: number }[]> {
    const rows = await sqlRows<{ event_id: string | null; event_type: string; task_id: string | null; change: string; occurred_at: Date; policy_version: number }>(m,
      `SELECT event_id, event_type, task_id, changes->>$2 AS change, occurred_at, policy_version FROM scoring.score_history
       WHERE worker_id = $1 AND COALESCE((changes->>$2)::float8, 0) <> 0 ORDER BY id DESC LIMIT $3`,
      [workerId, component, limit],
    );
    return rows.map((r) => ({ eventId: r.event_id, type: r.event_type, taskId: r.task_id, change: Number(r.change), at: r.occurred_at.toISOString(), policyVersion: r.policy_version }));
  }

  async workerIdsAfter(m: EntityManager, after: string, limit: number, belowVersion: number): Promise<string[]> {
    const rows = await sqlRows<{ worker_id: string }>(m,
      `SELECT worker_id FROM scoring.worker_state WHERE worker_id > $1 AND policy_version < $3 ORDER BY worker_id LIMIT $2`,
      [after, limit, belowVersion],
    );
    return rows.map((r) => r.worker_id);
  }

  async countBelow(m: EntityManager, version: number): Promise<number> {
    const rows = await sqlRows<{ n: string }>(m, `SELECT count(*) AS n FROM scoring.worker_state WHERE policy_version < $1`, [version]);
    return Number(rows[0].n);
  }

  /** Workers marked online whose last heartbeat is older than `cutoff`. */
  async lapsed(m: EntityManager, cutoff: Date, limit: number): Promise<string[]> {
    const rows = await sqlRows<{ worker_id: string }>(m,
      `SELECT worker_id FROM scoring.worker_state WHERE online AND last_seen_at < $1 ORDER BY last_seen_at LIMIT $2`,
      [cutoff.toISOString(), limit],
    );
    return rows.map((r) => r.worker_id);
  }

  /** When each of these offers was made, as far as this service saw them. */
  async offeredAtMany(m: EntityManager, offerIds: readonly string[]): Promise<Map<string, string>> {
    if (offerIds.length === 0) return new Map();
    const rows = await sqlRows<{ offer_id: string; offered_at: Date }>(m, `SELECT offer_id, offered_at FROM scoring.offers WHERE offer_id = ANY($1::text[])`, [offerIds]);
    return new Map(rows.map((r) => [r.offer_id, r.offered_at.toISOString()]));
  }

  async estimatesOf(m: EntityManager, taskIds: readonly string[]): Promise<Map<string, number>> {
    if (taskIds.length === 0) return new Map();
    const rows = await sqlRows<{ task_id: string; estimated_seconds: number }>(m, `SELECT task_id, estimated_seconds FROM scoring.task_estimates WHERE task_id = ANY($1::text[])`, [taskIds]);
    return new Map(rows.map((r) => [r.task_id, r.estimated_seconds]));
  }

  async recordEstimates(m: EntityManager, tasks: readonly { taskId: string; estimatedSeconds: number }[]): Promise<void> {
    await insertRows(m, 'scoring.task_estimates', ['task_id', 'estimated_seconds'], tasks.map((t) => [t.taskId, t.estimatedSeconds]), 'ON CONFLICT DO NOTHING');
  }

}
