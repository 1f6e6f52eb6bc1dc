import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each dispatcher keeps every queue's last offers in memory (the window its queue-share cap
 * counts) and reads only the offers written since its last look, the way it reads the worker
 * registry: an offer carries the id of the transaction that wrote it, and a reader remembers the
 * oldest transaction still running when it read. Offers written before this migration carry none;
 * they are read with their queue's window when a dispatcher first needs it. The column is added
 * without a default and given one after, so the table is not rewritten.
 */
export class OfferFeed1732800000000 implements MigrationInterface {
  name = 'OfferFeed1732800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dispatcher.offers ADD COLUMN created_xid xid8`);
    await q.query(`ALTER TABLE dispatcher.offers ALTER COLUMN created_xid SET DEFAULT pg_current_xact_id()`);
    await q.query(`CREATE INDEX offers_created_xid ON dispatcher.offers (created_xid)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS dispatcher.offers_created_xid`);
    await q.query(`ALTER TABLE dispatcher.offers DROP COLUMN IF EXISTS created_xid`);
  }
}
