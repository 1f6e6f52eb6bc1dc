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
