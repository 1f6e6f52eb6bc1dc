import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { EventPublisher } from '../kafka/event-publisher';
import type { PlatformMetrics } from '../http/platform-metrics';
import { sqlName } from '../postgres/sql';

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

/** Adds events to the outbox inside the caller's transaction, so they exist exactly when its effects do. */
export async function enqueue(manager: EntityManager, schema: string, events: readonly OutboxEvent[]): Promise<void> {
  if (events.length === 0) return;
  await manager.query(
    `INSERT INTO "${sqlName(schema)}".outbox (topic, key, value)
     SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])`,
    [events.map((e) => e.topic), events.map((e) => e.key), events.map((e) => JSON.stringify(e.value))],
  );
}

/**
 * Publishes committed outbox rows to Kafka in id order and deletes them. One relay at a time per
 * schema holds an advisory lock, so order is kept even with several instances. A crash after the
 * send and before the delete publishes those events again: consumers drop them by eventId.
 */
export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;
  private stopped = false;
  private readonly log = new Logger(OutboxRelay.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly schema: string,
    private readonly publisher: EventPublisher,
    private readonly metrics: PlatformMetrics,
    /** Headers on every published event naming who published it (service and deployment). */
    private readonly headers: Record<string, string> = {},
    private readonly pollMs = 200,
    private readonly batchSize = 500,
  ) {
    sqlName(schema);
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.kick();
  }

  /** Publish now: called after a transaction that enqueued events commits. */
  kick(): void {
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

  /** Stops polling and publishes what is left, so a graceful shutdown strands nothing. */
  async stop(): Promise<void> {
    if (!this.timer) return;
    clearInterval(this.timer);
    while (this.running) await new Promise((r) => setTimeout(r, 10));
    await this.drain().catch((error: Error) => this.log.warn(`outbox not drained at stop: ${error.message}`));
    this.stopped = true;
  }

  private async drain(): Promise<void> {
    for (;;) {
      const published = await this.dataSource.transaction(async (manager) => {
        const [{ locked }] = await manager.query('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked', [`outbox:${this.schema}`]);
        if (!locked) return 0;
        const rows: { id: string; topic: string; key: string; value: unknown }[] = await manager.query(
          `SELECT id, topic, key, value FROM "${this.schema}".outbox ORDER BY id LIMIT $1`,
          [this.batchSize],
        );
        if (rows.length === 0) return 0;
        await this.publisher.publish(rows.map((r) => ({ topic: r.topic, key: r.key, value: r.value, headers: this.headers })));
        await manager.query(`DELETE FROM "${this.schema}".outbox WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
        for (const r of rows) this.metrics.outboxPublished.inc({ topic: r.topic });
        return rows.length;
      });
      if (published < this.batchSize) return;
    }
  }
}
