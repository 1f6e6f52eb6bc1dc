import { randomUUID } from 'node:crypto';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TOPICS } from '@clearwork/contracts';
import { outboxTableSql } from '@clearwork/platform';
import { DEFAULT_POLICY, policyHash } from '@clearwork/scoring-core';

/**
 * Policies (v1 is the default), each worker's score state, the evidence it was computed from,
 * the append-only score history, and what scoring needs to know about offers and tasks.
 */
export class Initial1732300000000 implements MigrationInterface {
  name = 'Initial1732300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE scoring.processed_events (
      event_id uuid PRIMARY KEY, type text NOT NULL, processed_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE scoring.policies (
      version int PRIMARY KEY,
      document jsonb NOT NULL,
      content_hash text NOT NULL UNIQUE,
      rationale text NOT NULL,
      published_by text NOT NULL,
      published_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE scoring.worker_state (
      worker_id text PRIMARY KEY,
      profile jsonb NOT NULL,
      suspended boolean NOT NULL DEFAULT false,
      registered_at timestamptz NOT NULL,
      state jsonb NOT NULL,
      policy_version int NOT NULL,
      scores jsonb NOT NULL,
      online boolean NOT NULL DEFAULT false,
      last_seen_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX worker_state_online ON scoring.worker_state (last_seen_at) WHERE online`);
    await q.query(`CREATE TABLE scoring.evidence (
      event_id uuid PRIMARY KEY,
      worker_id text NOT NULL,
      type text NOT NULL,
      occurred_at timestamptz NOT NULL,
      input jsonb NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX evidence_by_worker ON scoring.evidence (worker_id, occurred_at)`);
    await q.query(`CREATE TABLE scoring.score_history (
      id bigserial PRIMARY KEY,
      worker_id text NOT NULL,
      event_id uuid,
      event_type text NOT NULL,
      task_id text,
      occurred_at timestamptz NOT NULL,
      policy_version int NOT NULL,
      changes jsonb NOT NULL,
      scores jsonb NOT NULL,
      note text,
      recorded_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX score_history_by_worker ON scoring.score_history (worker_id, id DESC)`);
    await q.query(`CREATE FUNCTION scoring.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'score history is append-only: % refused', TG_OP; END $$`);
    await q.query(`CREATE TRIGGER score_history_append_only BEFORE UPDATE OR DELETE ON scoring.score_history
      FOR EACH ROW EXECUTE FUNCTION scoring.refuse_change()`);
    await q.query(`CREATE TABLE scoring.offers (
      offer_id text PRIMARY KEY, task_id text NOT NULL, worker_id text NOT NULL, offered_at timestamptz NOT NULL)`);
    await q.query(`CREATE TABLE scoring.task_estimates (task_id text PRIMARY KEY, estimated_seconds int NOT NULL)`);
    await q.query(outboxTableSql('scoring'));

    const hash = policyHash(DEFAULT_POLICY);
    await q.query(
      `INSERT INTO scoring.policies (version, document, content_hash, rationale, published_by) VALUES (1, $1, $2, $3, 'migration')`,
      [JSON.stringify(DEFAULT_POLICY), hash, 'Default policy v1.'],
    );
    const now = new Date().toISOString();
    const event = {
      eventId: randomUUID(),
      type: 'PolicyPublished',
      occurredAt: now,
      data: { version: 1, contentHash: hash, publishedAt: now, rationale: 'Default policy v1.', document: DEFAULT_POLICY },
    };
    await q.query(`INSERT INTO scoring.outbox (topic, key, value) VALUES ($1, '1', $2)`, [TOPICS.policies, JSON.stringify(event)]);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['outbox', 'task_estimates', 'offers', 'score_history', 'evidence', 'worker_state', 'policies', 'processed_events']) {
      await q.query(`DROP TABLE IF EXISTS scoring.${t}`);
    }
    await q.query(`DROP FUNCTION IF EXISTS scoring.refuse_change()`);
  }
}
