import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each dispatcher keeps the worker registry in memory and reads only the rows changed since its
 * last look. A row carries the id of the transaction that last wrote it, and a reader remembers
 * the oldest transaction still running when it read (its snapshot's xmin): every change it has
 * not yet seen was made by that transaction or a later one, committed or not at the time. The
 * skill index goes: candidates are no longer searched in SQL, and without it a heartbeat's
 * update touches one index less. Offers and assignments are dated by the clock when written.
 */
export class WorkerChanges1732600000000 implements MigrationInterface {
  name = 'WorkerChanges1732600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dispatcher.workers ADD COLUMN changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()`);
    await q.query(`CREATE INDEX workers_changed ON dispatcher.workers (changed_xid)`);
    await q.query(`CREATE FUNCTION dispatcher.mark_worker_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN NEW.changed_xid := pg_current_xact_id(); RETURN NEW; END $$`);
    await q.query(`CREATE TRIGGER workers_changed BEFORE UPDATE ON dispatcher.workers
      FOR EACH ROW EXECUTE FUNCTION dispatcher.mark_worker_changed()`);
    await q.query(`DROP INDEX IF EXISTS dispatcher.workers_skills_gin`);
    // Offers and assignments are dated when their row is written, not when the transaction began:
    // a long unit that claimed a slot late must not appear to have held it from its start.
    await q.query(`ALTER TABLE dispatcher.offers ALTER COLUMN created_at SET DEFAULT clock_timestamp()`);
    await q.query(`ALTER TABLE dispatcher.assignments ALTER COLUMN assigned_at SET DEFAULT clock_timestamp()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dispatcher.assignments ALTER COLUMN assigned_at SET DEFAULT now()`);
    await q.query(`ALTER TABLE dispatcher.offers ALTER COLUMN created_at SET DEFAULT now()`);
    await q.query(`CREATE INDEX IF NOT EXISTS workers_skills_gin ON dispatcher.workers USING gin (skills)`);
    await q.query(`DROP TRIGGER IF EXISTS workers_changed ON dispatcher.workers`);
    await q.query(`DROP FUNCTION IF EXISTS dispatcher.mark_worker_changed()`);
    await q.query(`DROP INDEX IF EXISTS dispatcher.workers_changed`);
    await q.query(`ALTER TABLE dispatcher.workers DROP COLUMN IF EXISTS changed_xid`);
  }
}
