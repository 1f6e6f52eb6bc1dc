import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tamper-evident log. Each entry keeps the exact canonical JSON bytes it was hashed from,
 * its RFC 6962 leaf hash and the running hash chain; signed checkpoints commit to the Merkle
 * root. Entries and checkpoints refuse UPDATE, DELETE and TRUNCATE. The first, unchained table
 * (written before the log was hashed) is kept untouched as `entries_unchained`.
 *
 * The other tables are projections for queries (candidates per decision, presence marks,
 * appeals): they can be rebuilt from the log and are not part of what the log proves.
 */
export class MerkleLog1732400000000 implements MigrationInterface {
  name = 'MerkleLog1732400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit.entries RENAME TO entries_unchained`);
    await q.query(`CREATE TABLE audit.entries (
      seq bigint PRIMARY KEY CHECK (seq >= 0),
      entry_id text NOT NULL UNIQUE,
      source text NOT NULL,
      type text NOT NULL,
      task_id text,
      worker_id text,
      decision_id text,
      occurred_at timestamptz NOT NULL,
      body text NOT NULL,
      leaf_hash bytea NOT NULL CHECK (octet_length(leaf_hash) = 32),
      chain_hash bytea NOT NULL CHECK (octet_length(chain_hash) = 32),
      recorded_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX log_by_task ON audit.entries (task_id, seq)`);
    await q.query(`CREATE INDEX log_by_worker ON audit.entries (worker_id, seq)`);
    await q.query(`CREATE INDEX log_by_decision ON audit.entries (decision_id)`);
    await q.query(`CREATE INDEX log_by_type_time ON audit.entries (type, occurred_at)`);
    await q.query(`CREATE TABLE audit.checkpoints (
      tree_size bigint PRIMARY KEY CHECK (tree_size >= 0),
      root_hash bytea NOT NULL,
      origin text NOT NULL,
      signed_at text NOT NULL,
      key_id text NOT NULL,
      signature text NOT NULL)`);
    for (const table of ['entries', 'checkpoints']) {
      await q.query(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON audit.${table}
        FOR EACH ROW EXECUTE FUNCTION audit.refuse_change()`);
      await q.query(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON audit.${table}
        FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change()`);
    }
    await q.query(`CREATE TABLE audit.candidates (
      decision_id text NOT NULL,
      worker_id text NOT NULL,
      task_id text NOT NULL,
      rank int NOT NULL,
      selected boolean NOT NULL,
      decided_at timestamptz NOT NULL,
      seq bigint NOT NULL,
      PRIMARY KEY (decision_id, worker_id))`);
    await q.query(`CREATE INDEX candidates_by_worker ON audit.candidates (worker_id, decided_at)`);
    await q.query(`CREATE INDEX candidates_by_time ON audit.candidates (decided_at)`);
    await q.query(`CREATE TABLE audit.presence_marks (worker_id text NOT NULL, at timestamptz NOT NULL, PRIMARY KEY (worker_id, at))`);
    await q.query(`CREATE TABLE audit.appeals (
      appeal_id text PRIMARY KEY,
      decision_id text NOT NULL,
      task_id text NOT NULL,
      worker_id text NOT NULL,
      status text NOT NULL,
      statement text NOT NULL,
      reviewer text,
      resolution jsonb,
      filed_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL)`);
    await q.query(`CREATE INDEX appeals_by_status ON audit.appeals (status, filed_at)`);
    await q.query(`CREATE INDEX appeals_by_worker ON audit.appeals (worker_id, decision_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['appeals', 'presence_marks', 'candidates', 'checkpoints', 'entries']) await q.query(`DROP TABLE IF EXISTS audit.${t}`);
    await q.query(`ALTER TABLE audit.entries_unchained RENAME TO entries`);
  }
}
