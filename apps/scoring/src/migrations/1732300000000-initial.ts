import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxTableSql } from '@clearwork/platform';

/** Worker profiles and presence as scoring sees them, processed events, outbox. */
export class Initial1732300000000 implements MigrationInterface {
  name = 'Initial1732300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE scoring.processed_events (
      event_id uuid PRIMARY KEY, type text NOT NULL, processed_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE scoring.workers (
      worker_id text PRIMARY KEY,
      profile jsonb NOT NULL,
      online boolean NOT NULL DEFAULT false,
      last_seen_at timestamptz,
      suspended boolean NOT NULL DEFAULT false,
      registered_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(outboxTableSql('scoring'));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['outbox', 'workers', 'processed_events']) await q.query(`DROP TABLE IF EXISTS scoring.${t}`);
  }
}
