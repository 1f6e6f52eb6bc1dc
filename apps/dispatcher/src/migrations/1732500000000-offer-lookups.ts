import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Offers by task: every attempt reads who was offered the task before (and how often), which
 * without this index scans the whole offers table, a cost that grows with every offer made.
 */
export class OfferLookups1732500000000 implements MigrationInterface {
  name = 'OfferLookups1732500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX offers_by_task ON dispatcher.offers (task_id, replica)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS dispatcher.offers_by_task`);
  }
}
