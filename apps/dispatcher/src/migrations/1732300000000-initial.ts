import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxTableSql } from '@clearwork/platform';

/** Worker registry, tasks and their replicas, offers, decisions, assignments, outbox. */
export class Initial1732300000000 implements MigrationInterface {
  name = 'Initial1732300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE dispatcher.processed_events (
      event_id uuid PRIMARY KEY, type text NOT NULL, processed_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE dispatcher.workers (
      worker_id text PRIMARY KEY,
      skills text[] NOT NULL DEFAULT '{}',
      languages text[] NOT NULL DEFAULT '{}',
      qualifications text[] NOT NULL DEFAULT '{}',
      capacity int NOT NULL CHECK (capacity >= 1),
      online boolean NOT NULL DEFAULT false,
      last_seen_at timestamptz,
      suspended boolean NOT NULL DEFAULT false,
      scores jsonb NOT NULL DEFAULT '{}',
      score_policy_version int,
      updated_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX workers_skills_gin ON dispatcher.workers USING gin (skills)`);
    await q.query(`CREATE TABLE dispatcher.tasks (
      task_id text PRIMARY KEY,
      queue text NOT NULL,
      priority int NOT NULL,
      required_skills text[] NOT NULL,
      spec jsonb NOT NULL,
      posted_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE dispatcher.task_replicas (
      task_id text NOT NULL REFERENCES dispatcher.tasks(task_id),
      replica int NOT NULL,
      state text NOT NULL CHECK (state IN ('waiting','offered','assigned','cancelled','unassignable')),
      attempts int NOT NULL DEFAULT 0,
      worker_id text,
      priority int NOT NULL,
      posted_at timestamptz NOT NULL,
      PRIMARY KEY (task_id, replica))`);
    await q.query(`CREATE INDEX task_replicas_waiting ON dispatcher.task_replicas (priority DESC, posted_at) WHERE state = 'waiting'`);
    await q.query(`CREATE TABLE dispatcher.offers (
      offer_id text PRIMARY KEY,
      task_id text NOT NULL,
      queue text NOT NULL,
      replica int NOT NULL,
      attempt int NOT NULL,
      worker_id text NOT NULL,
      decision_id text NOT NULL,
      state text NOT NULL CHECK (state IN ('open','accepted','declined','expired','withdrawn')),
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      closed_at timestamptz)`);
    await q.query(`CREATE UNIQUE INDEX offers_one_open_per_replica ON dispatcher.offers (task_id, replica) WHERE state = 'open'`);
    await q.query(`CREATE INDEX offers_open_expiry ON dispatcher.offers (expires_at) WHERE state = 'open'`);
    await q.query(`CREATE INDEX offers_by_worker ON dispatcher.offers (worker_id, task_id)`);
    await q.query(`CREATE INDEX offers_by_queue ON dispatcher.offers (queue, created_at DESC)`);
    await q.query(`CREATE TABLE dispatcher.assignments (
      task_id text NOT NULL, replica int NOT NULL, worker_id text NOT NULL, offer_id text NOT NULL UNIQUE,
      assigned_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      outcome text CHECK (outcome IN ('submitted','abandoned','cancelled')),
      PRIMARY KEY (task_id, replica))`);
    await q.query(`CREATE INDEX assignments_by_worker ON dispatcher.assignments (worker_id, task_id)`);
    await q.query(`CREATE TABLE dispatcher.decisions (
      decision_id text PRIMARY KEY, task_id text NOT NULL, replica int NOT NULL, attempt int NOT NULL,
      record jsonb NOT NULL, decided_at timestamptz NOT NULL)`);
    await q.query(`CREATE INDEX decisions_by_task ON dispatcher.decisions (task_id, decided_at)`);
    await q.query(`CREATE TABLE dispatcher.policies (
      version int PRIMARY KEY, content_hash text NOT NULL, document jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(outboxTableSql('dispatcher'));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['outbox', 'policies', 'decisions', 'assignments', 'offers', 'task_replicas', 'tasks', 'workers', 'processed_events']) {
      await q.query(`DROP TABLE IF EXISTS dispatcher.${t}`);
    }
  }
}
