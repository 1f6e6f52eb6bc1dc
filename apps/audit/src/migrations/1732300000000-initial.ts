import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The decision log: one row per consumed event, append-only. The database itself refuses
 * UPDATE and DELETE on it, so not even a bug or an operator's slip can edit history.
 */
export class Initial1732300000000 implements MigrationInterface {
  name = 'Initial1732300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE audit.entries (
      seq bigserial PRIMARY KEY,
      event_id uuid NOT NULL UNIQUE,
      topic text NOT NULL,
      type text NOT NULL,
      task_id text,
      worker_id text,
      decision_id text,
      event jsonb NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX entries_by_task ON audit.entries (task_id, seq)`);
    await q.query(`CREATE INDEX entries_by_worker ON audit.entries (worker_id, seq)`);
    await q.query(`CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP; END $$`);
    await q.query(`CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON audit.entries
      FOR EACH ROW EXECUTE FUNCTION audit.refuse_change()`);
    await q.query(`CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON audit.entries
      FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS audit.entries`);
    await q.query(`DROP FUNCTION IF EXISTS audit.refuse_change()`);
  }
}
