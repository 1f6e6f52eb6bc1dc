import { RetentionPruner, type PrunerLog } from './retention-pruner';
import { sqlName, sqlRows } from './sql';
import type { EntityManager } from 'typeorm';

/**
 * Records that `eventId` has been handled, inside the caller's transaction. Returns false when
 * it was handled before, so a redelivered event has no second effect.
 * Expects the service schema to have `processed_events(event_id uuid primary key, ...)`.
 */
export async function claimEvent(manager: EntityManager, schema: string, eventId: string, type: string): Promise<boolean> {
  const rows: unknown[] = await sqlRows(manager, 
    `INSERT INTO "${sqlName(schema)}".processed_events (event_id, type) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id`,
    [eventId, type],
  );
  return rows.length === 1;
}

/**
 * `claimEvent` for many events in one statement: returns the ids (lower case) of those not
 * handled before. An id twice in `events` is claimed once.
 */
export async function claimEvents(manager: EntityManager, schema: string, events: readonly { eventId: string; type: string }[]): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const rows = await sqlRows<{ event_id: string }>(manager,
    `INSERT INTO "${sqlName(schema)}".processed_events (event_id, type) SELECT * FROM unnest($1::uuid[], $2::text[]) ON CONFLICT DO NOTHING RETURNING event_id::text`,
    [events.map((e) => e.eventId), events.map((e) => e.type)],
  );
  return new Set(rows.map((r) => r.event_id));
}

/** Of `eventIds`, those (lower case) recorded as handled, as committed now. */
export async function handledEvents(manager: EntityManager, schema: string, eventIds: readonly string[]): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  const rows = await sqlRows<{ event_id: string }>(manager, `SELECT event_id::text FROM "${sqlName(schema)}".processed_events WHERE event_id = ANY($1::uuid[])`, [eventIds]);
  return new Set(rows.map((r) => r.event_id));
}

/** Takes claims back inside the caller's transaction (for events refused after they were claimed). */
export async function unclaimEvents(manager: EntityManager, schema: string, eventIds: readonly string[]): Promise<void> {
  if (eventIds.length === 0) return;
  await sqlRows(manager, `DELETE FROM "${sqlName(schema)}".processed_events WHERE event_id = ANY($1::uuid[])`, [eventIds]);
}

/**
 * The index `pruneProcessedEvents` finds old claims by: BRIN, as claims are written in time
 * order, so a summary per block range finds the old ones for almost nothing on each insert
 * (a B-tree would add a page write to every claim).
 */
export function processedEventsAgeIndexSql(schema: string): string {
  return `CREATE INDEX processed_events_by_age ON "${sqlName(schema)}".processed_events USING brin (processed_at)`;
}

/**
 * Deletes claims older than `olderThan`, at most `batchSize` per statement (each its own short
 * transaction, so handlers claiming meanwhile wait on no long lock); returns how many.
 */
export async function pruneProcessedEvents(manager: EntityManager, schema: string, olderThan: Date, batchSize = 10_000): Promise<number> {
  let total = 0;
  for (;;) {
    const [{ n }] = await sqlRows<{ n: number }>(manager,
      `WITH gone AS (
         DELETE FROM "${sqlName(schema)}".processed_events WHERE ctid = ANY(ARRAY(
           SELECT ctid FROM "${sqlName(schema)}".processed_events WHERE processed_at < $1 LIMIT $2))
         RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [olderThan, batchSize],
    );
    total += n;
    if (n < batchSize) return total;
  }
}

/**
 * Keeps a service's `processed_events` from growing for ever: every `intervalMs` deletes the
 * claims older than `retentionMs` (see PROCESSED_EVENTS_RETENTION_HOURS). A failed round is
 * logged and tried again at the next.
 */
export class ProcessedEventsPruner extends RetentionPruner {
  constructor(prune: (olderThan: Date) => Promise<number>, retentionMs: number, intervalMs: number, log: PrunerLog) {
    super('claims of handled events', prune, retentionMs, intervalMs, log);
  }
}
