import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Claims of handled events by age, for the pruning that deletes the old ones (see
 * ProcessedEventsPruner). A BRIN index: claims are written in time order, so a summary per
 * block range finds the old ones for almost nothing on each claim's insert.
 */
export class ProcessedEventsAge1732700000000 implements MigrationInterface {
  name = 'ProcessedEventsAge1732700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX processed_events_by_age ON scoring.processed_events USING brin (processed_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS scoring.processed_events_by_age`);
  }
}
