import type { CachedScore } from '@clearwork/contracts';
import { enqueue, insertRowsStatement, runWriteClauses, type EnqueuedEvent, type OutboxEvent, type WriteClauses } from '@clearwork/platform';
import type { ScoringEvent } from '@clearwork/scoring-core';
import type { EntityManager } from 'typeorm';
import { SCHEMA } from '../config';
import { HISTORY_COLUMNS, historyRow, type HistoryEntry, type ScoreStore, type WorkerRecord } from './score-store';

/**
 * The work of a batch of events in one transaction, done in memory between one read and one
 * write per table: the workers' rows are read (and locked) together with the offer times and
 * task estimates the events need, each event is applied to the rows in memory in order, and
 * then new workers, changed states, evidence, history, offers and outgoing events are written
 * in one statement (data-modifying `WITH` clauses of the outbox insert). A step that must run
 * its own SQL (a profile patch, a rebuild that reads evidence) writes what is pending first, so
 * it sees every earlier event of the batch.
 */
export class ScoreUnit {
  private readonly records = new Map<string, WorkerRecord>();
  private readonly created = new Map<string, WorkerRecord & { profile: unknown }>();
  private readonly changed = new Set<string>();
  /** Workers whose time last seen alone moved: only `last_seen_at` is written for them. */
  private readonly seen = new Set<string>();
  private readonly offeredAt = new Map<string, string>();
  private readonly estimates = new Map<string, number>();
  private evidence: { workerId: string; e: ScoringEvent }[] = [];
  private history: HistoryEntry[] = [];
  private offers: { offerId: string; taskId: string; workerId: string; offeredAt: string }[] = [];
  private readonly outbox: OutboxEvent[] = [];
  /** Scores to put in Redis once the transaction commits. */
  readonly scores: CachedScore[] = [];

  constructor(
    readonly m: EntityManager,
    private readonly store: ScoreStore,
  ) {}

  /** Reads what the batch's events need: the workers' rows (locked), offer times and task estimates. */
  async load(need: { workerIds: readonly string[]; offerIds: readonly string[]; taskIds: readonly string[] }): Promise<void> {
    for (const r of await this.store.lockMany(this.m, [...new Set(need.workerIds)])) this.records.set(r.workerId, r);
    for (const [id, at] of await this.store.offeredAtMany(this.m, [...new Set(need.offerIds)])) this.offeredAt.set(id, at);
    for (const [id, s] of await this.store.estimatesOf(this.m, [...new Set(need.taskIds)])) this.estimates.set(id, s);
  }

  record(workerId: string): WorkerRecord | undefined {
    return this.records.get(workerId);
  }

  offerTime(offerId: string): string | undefined {
    return this.offeredAt.get(offerId);
  }

  estimateOf(taskId: string): number | undefined {
    return this.estimates.get(taskId);
  }

  create(r: WorkerRecord & { profile: unknown }): void {
    this.records.set(r.workerId, r);
    this.created.set(r.workerId, r);
  }

  save(r: WorkerRecord): void {
    this.keep(r, this.changed);
  }

  /**
   * A change of the time last seen alone (a heartbeat of a worker already online): written as
   * `last_seen_at` only, which the store reads back into the state, instead of the whole row
   * (its state and scores, about 1 KB of JSON to parse and log per heartbeat). The stored
   * scores stay those of the last event that moved them. A full save of the same worker in the
   * unit writes the time with the rest.
   */
  touch(r: WorkerRecord): void {
    this.keep(r, this.seen);
  }

  /** Holds `r` as the worker's row; a worker created in this unit is inserted as it is, else `pending` marks how it is written. */
  private keep(r: WorkerRecord, pending: Set<string>): void {
    this.records.set(r.workerId, r);
    const created = this.created.get(r.workerId);
    if (created) this.created.set(r.workerId, { ...r, profile: created.profile });
    else pending.add(r.workerId);
  }

  addEvidence(workerId: string, e: ScoringEvent): void {
    this.evidence.push({ workerId, e });
  }

  addHistory(entries: readonly HistoryEntry[]): void {
    this.history.push(...entries);
  }

  recordOffer(o: { offerId: string; taskId: string; workerId: string; offeredAt: string }): void {
    this.offers.push(o);
    this.offeredAt.set(o.offerId, o.offeredAt);
  }

  emit(event: OutboxEvent, score: CachedScore): void {
    this.outbox.push(event);
    this.scores.push(score);
  }

  /**
   * Writes the rows pending so far (not the outgoing events), in one statement, for a step about
   * to run SQL of its own.
   */
  async writePending(): Promise<void> {
    await runWriteClauses(this.m, this.pendingClauses());
  }

  /**
   * The rows pending so far as data-modifying `WITH` clauses of one statement: new workers, changed
   * states, times last seen, evidence, history and offers. No clause reads what another writes: the
   * workers inserted, updated in full and touched are three disjoint sets (see `keep`), and the other
   * tables are only appended to. Clears what it takes.
   */
  private pendingClauses(): WriteClauses {
    const clauses: string[] = [];
    const params: unknown[] = [];
    const insert = (name: string, table: string, columns: readonly string[], rows: readonly (readonly unknown[])[], suffix: string) => {
      if (rows.length === 0) return;
      const { sql, param } = insertRowsStatement(table, columns, rows, params.length + 1);
      params.push(param);
      clauses.push(`${name} AS (${sql} ${suffix})`);
    };
    const created = [...this.created.values()];
    const changed = [...this.changed].map((id) => this.records.get(id)!);
    const seen = [...this.seen].filter((id) => !this.changed.has(id)).map((id) => this.records.get(id)!);
    this.created.clear();
    this.changed.clear();
    this.seen.clear();
    insert('n', 'scoring.worker_state', ['worker_id', 'profile', 'registered_at', 'state', 'policy_version', 'scores', 'online', 'last_seen_at'],
      created.map((r) => [r.workerId, r.profile, r.registeredAt, r.state, r.policyVersion, r.scores, r.online, r.lastSeenAt]), 'ON CONFLICT DO NOTHING');
    if (changed.length > 0) {
      params.push(JSON.stringify(changed.map((r) => ({
        worker_id: r.workerId, state: r.state, policy_version: r.policyVersion, scores: r.scores, online: r.online, last_seen_at: r.lastSeenAt,
      }))));
      clauses.push(`c AS (UPDATE scoring.worker_state w SET state = u.state, policy_version = u.policy_version, scores = u.scores, online = u.online,
           last_seen_at = u.last_seen_at, updated_at = now()
         FROM json_populate_recordset(NULL::scoring.worker_state, $${params.length}::json) u WHERE w.worker_id = u.worker_id)`);
    }
    if (seen.length > 0) {
      const n = params.length + 1;
      params.push(seen.map((r) => r.workerId), seen.map((r) => r.lastSeenAt));
      clauses.push(`s AS (UPDATE scoring.worker_state w SET last_seen_at = u.at, updated_at = now()
         FROM unnest($${n}::text[], $${n + 1}::timestamptz[]) AS u(worker_id, at) WHERE w.worker_id = u.worker_id)`);
    }
    insert('e', 'scoring.evidence', ['event_id', 'worker_id', 'type', 'occurred_at', 'input'],
      this.evidence.map(({ workerId, e }) => [e.eventId, workerId, e.type, e.occurredAt, e]), 'ON CONFLICT DO NOTHING');
    insert('h', 'scoring.score_history', HISTORY_COLUMNS, this.history.map(historyRow), '');
    insert('o', 'scoring.offers', ['offer_id', 'task_id', 'worker_id', 'offered_at'],
      this.offers.map((o) => [o.offerId, o.taskId, o.workerId, o.offeredAt]), 'ON CONFLICT DO NOTHING');
    this.evidence = [];
    this.history = [];
    this.offers = [];
    return { clauses, params };
  }

  /** Writes everything in one statement: the pending rows as clauses of the outbox insert; returns the outgoing events for the relay. */
  async write(): Promise<EnqueuedEvent[]> {
    return enqueue(this.m, SCHEMA, this.outbox, this.pendingClauses());
  }
}
