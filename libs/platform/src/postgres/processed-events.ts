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

/** Takes claims back inside the caller's transaction (for events refused after they were claimed). */
export async function unclaimEvents(manager: EntityManager, schema: string, eventIds: readonly string[]): Promise<void> {
  if (eventIds.length === 0) return;
  await sqlRows(manager, `DELETE FROM "${sqlName(schema)}".processed_events WHERE event_id = ANY($1::uuid[])`, [eventIds]);
}
