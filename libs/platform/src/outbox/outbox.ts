import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { EventPublisher } from '../kafka/event-publisher';
import type { PlatformMetrics } from '../http/platform-metrics';
import { runWriteClauses, sqlName, sqlRows, type WriteClauses } from '../postgres/sql';

/**
 * How old a row must be before polling publishes it (except in a relay's first poll and its last,
 * at stop), counted from its insert: the clock's time, not its transaction's start, so a long
 * unit's rows are fresh when it commits and no instance's polling takes them from its eager path.
 */
const GRACE_MS = 3_000;
/** How often polling looks for stranded rows (it takes none younger than the grace anyway). */
const POLL_MS = 1_000;
/**
 * How long the relay remembers an id one of its paths took, so the other leaves it alone. The
 * paths overlap for as long as a unit takes between its commit and `committed` (normally well
 * under a millisecond) or a poll's read is in flight; this is generous for both.
 */
const CLAIM_MEMORY_MS = 10_000;

/** An event waiting in the outbox to be published. */
export interface OutboxEvent {
  readonly topic: string;
  readonly key: string;
  readonly value: { eventId: string };
}

/** The SQL that creates a service's outbox table; used by each service's first migration. */
export function outboxTableSql(schema: string): string {
  return `CREATE TABLE "${schema}".outbox (
    id bigserial PRIMARY KEY,
    topic text NOT NULL,
    key text NOT NULL,
    value jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`;
}

/** An event in the outbox, with the id of its row. */
export interface EnqueuedEvent extends OutboxEvent {
  readonly id: string;
}

/**
 * Adds events to the outbox inside the caller's transaction, so they exist exactly when its
 * effects do. Returns them with their row ids, in order, for `OutboxRelay.committed`. `writes`
 * are writes of the caller's to make in the same statement (one round trip instead of two);
 * they are made even when there are no events.
 */
export async function enqueue(manager: EntityManager, schema: string, events: readonly OutboxEvent[], writes: WriteClauses = NO_WRITES): Promise<EnqueuedEvent[]> {
  if (events.length === 0) {
    await runWriteClauses(manager, writes);
    return [];
  }
  const n = writes.params.length;
  const rows = await sqlRows<{ id: string }>(
    manager,
    `${writes.clauses.length > 0 ? `WITH ${writes.clauses.join(', ')}` : ''}
     INSERT INTO "${sqlName(schema)}".outbox (topic, key, value, created_at)
     SELECT topic, key, value, clock_timestamp() FROM unnest($${n + 1}::text[], $${n + 2}::text[], $${n + 3}::jsonb[]) WITH ORDINALITY AS e(topic, key, value, n) ORDER BY n
     RETURNING id`,
    [...writes.params, events.map((e) => e.topic), events.map((e) => e.key), events.map((e) => JSON.stringify(e.value))],
  );
  // Ids are drawn in insertion order, which the ORDER BY fixes: sorting them restores the events' order.
  const ids = rows.map((r) => BigInt(r.id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return events.map((e, i) => ({ ...e, id: String(ids[i]) }));
}

const NO_WRITES: WriteClauses = { clauses: [], params: [] };

/**
 * Publishes committed outbox rows to Kafka and deletes them. Two paths:
 * - eager: `committed(events)` right after a transaction commits publishes its events from
 *   memory, in commit order, and then deletes their rows, with no read of the table on the way;
 * - polling: rows the eager path did not take (the process died first, or Kafka refused them)
 *   are published in id order by one relay at a time per schema (an advisory lock). It takes
 *   only rows older than GRACE_MS, so it does not race the eager path of this or another
 *   instance for fresh rows; the first poll, at start, takes rows of any age (what a previous
 *   run left, or a migration wrote), and so does the last, at stop.
 * Every producer hands its committed events to `committed`. Before, some only woke polling, and
 * polling took fresh rows until the relay's first eager commit: an instance with no traffic (a
 * standby dispatcher) raced the others' eager paths for every row.
 * Within one process the two paths never publish the same row: each takes an id only if the
 * other has not (`claimed`). Without that, a poll reading between a unit's commit and its
 * `committed` call published its events twice.
 * A crash after the send and before the delete publishes those events again: consumers drop
 * them by eventId. (Deleting published rows later, together, was tried: it saves a statement per
 * unit but widens that window, and a dispatcher killed in it re-published its offers.)
 * The eager path does not wait for a delete before sending the next events: deletes run one at a
 * time beside the sends, each taking every id published while the one before ran. Before, each
 * send waited for the delete of the send before it, and an offer committed meanwhile waited for
 * both (BENCHMARKS.md, "Where an offer's time goes").
 */
export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;
  private stopped = false;
  private readonly log = new Logger(OutboxRelay.name);
  /** Events committed and not yet published by the eager path, in commit order. */
  private readonly ready: EnqueuedEvent[] = [];
  /** Ids either path has taken in this process, with when, oldest first: the other path skips them. */
  private readonly claimed = new Map<string, number>();
  private sending?: Promise<void>;
  /** Ids the eager path has published whose rows are not yet being deleted. */
  private readonly published: string[] = [];
  private deleting?: Promise<void>;
  /** Whether a poll has finished: until then, polls take rows of any age. */
  private recovered = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly schema: string,
    private readonly publisher: EventPublisher,
    private readonly metrics: PlatformMetrics,
    /** Headers on every published event naming who published it (service and deployment). */
    private readonly headers: Record<string, string> = {},
    private readonly batchSize = 500,
  ) {
    sqlName(schema);
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), POLL_MS);
    this.kick();
  }

  /** Polls now, or again as soon as the poll under way ends. */
  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.drain()
      .catch((error: Error) => this.log.warn(`outbox relay will retry: ${error.message}`))
      .finally(() => {
        this.running = false;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  /**
   * Publishes the events of a transaction that has just committed, after those of transactions
   * that committed before it, then deletes their rows. If Kafka refuses them, the rows stay and
   * polling publishes them.
   */
  committed(events: readonly EnqueuedEvent[]): void {
    if (events.length === 0 || this.stopped) return;
    const now = Date.now();
    this.forgetClaims(now);
    for (const e of events) {
      if (this.claimed.has(e.id)) continue; // polling took it between the commit and this call
      this.claimed.set(e.id, now);
      this.ready.push(e);
    }
    this.sending ??= this.sendReady().finally(() => (this.sending = undefined));
  }

  private async sendReady(): Promise<void> {
    while (this.ready.length > 0) {
      const batch = this.ready.splice(0, this.batchSize);
      try {
        await this.publisher.publish(batch.map((e) => ({ topic: e.topic, key: e.key, value: e.value, headers: this.headers })));
      } catch (error) {
        // Left in the table: polling publishes them, in id order.
        for (const e of batch) this.claimed.delete(e.id);
        this.log.warn(`outbox: ${batch.length} events left to polling: ${(error as Error).message}`);
        continue;
      }
      for (const e of batch) this.metrics.outboxPublished.inc({ topic: e.topic });
      this.published.push(...batch.map((e) => e.id));
      this.deleting ??= this.deletePublished();
    }
  }

  /** Deletes the rows of published events, one statement at a time, each for every id published by then. */
  private async deletePublished(): Promise<void> {
    try {
      while (this.published.length > 0) {
        const ids = this.published.splice(0);
        try {
          await this.deleteRows(this.dataSource.manager, ids);
        } catch (error) {
          // Published but left in the table: polling publishes them again, and consumers drop the repeats by eventId.
          for (const id of ids) this.claimed.delete(id);
          this.log.warn(`outbox: ${ids.length} published events not deleted, left to polling: ${(error as Error).message}`);
        }
      }
    } finally {
      this.deleting = undefined;
    }
  }

  /** Deletes published rows, by id. */
  private async deleteRows(m: EntityManager, ids: readonly string[]): Promise<void> {
    await sqlRows(m, `DELETE FROM "${this.schema}".outbox WHERE id = ANY($1::bigint[])`, [ids]);
  }

  /** Forgets claims older than CLAIM_MEMORY_MS (the map is in claim order, so the oldest come first). */
  private forgetClaims(now: number): void {
    for (const [id, at] of this.claimed) {
      if (now - at < CLAIM_MEMORY_MS) return;
      this.claimed.delete(id);
    }
  }

  /** Stops polling and publishes what is left, so a graceful shutdown strands nothing. */
  async stop(): Promise<void> {
    if (!this.timer) return;
    clearInterval(this.timer);
    while (this.running || this.sending || this.deleting) await (this.sending ?? this.deleting ?? new Promise((r) => setTimeout(r, 10)));
    await this.drain(true).catch((error: Error) => this.log.warn(`outbox not drained at stop: ${error.message}`));
    this.stopped = true;
  }

  private async drain(everything = false): Promise<void> {
    for (;;) {
      const published = await this.dataSource.transaction(async (manager) => {
        const [{ locked }] = await sqlRows<{ locked: boolean }>(manager, 'SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked', [`outbox:${this.schema}`]);
        if (!locked) return 0;
        const graceMs = this.recovered && !everything ? GRACE_MS : 0;
        const rows = await sqlRows<{ id: string; topic: string; key: string; value: unknown }>(
          manager,
          `SELECT id, topic, key, value FROM "${this.schema}".outbox
           WHERE ($2 = 0 OR created_at < now() - make_interval(secs => $2 / 1000.0))
           ORDER BY id LIMIT $1`,
          [this.batchSize, graceMs],
        );
        if (rows.length === 0) return 0;
        // Rows the eager path has taken (queued, being sent, or sent while the read was in flight) are its to publish and delete.
        const now = Date.now();
        this.forgetClaims(now);
        const mine = rows.filter((r) => !this.claimed.has(r.id));
        if (mine.length === 0) return 0;
        for (const r of mine) this.claimed.set(r.id, now);
        try {
          await this.publisher.publish(mine.map((r) => ({ topic: r.topic, key: r.key, value: r.value, headers: this.headers })));
          await this.deleteRows(manager, mine.map((r) => r.id));
        } catch (error) {
          for (const r of mine) this.claimed.delete(r.id);
          throw error;
        }
        for (const r of mine) this.metrics.outboxPublished.inc({ topic: r.topic });
        return mine.length;
      });
      if (published < this.batchSize) break;
    }
    this.recovered = true;
  }
}
