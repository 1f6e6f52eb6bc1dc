import { processedEventsAgeIndexSql } from '@clearwork/platform';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Claims of handled events by age, for the pruning that deletes the old ones (see ProcessedEventsPruner). */
export class ProcessedEventsAge1732700000000 implements MigrationInterface {
  name = 'ProcessedEventsAge1732700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(processedEventsAgeIndexSql('dispatcher'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS dispatcher.processed_events_by_age`);
  }
}
