import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Heartbeats were a row each in `audit.presence_marks` (worker, time), 116 bytes with its key's
 * index: 20,000 workers heartbeating once a minute added 28.8 million rows a day, kept for ever.
 * They are now a row per worker per quarter hour (`audit.presence_beats`), the times as a sorted
 * array: the same times, exactly, in a fifth of the space (BENCHMARKS.md, "Heartbeats kept a row
 * per worker per quarter hour"). The row grows at each heartbeat, updated in place: a fill factor
 * of 70 leaves room on its page for the new version.
 */
export class PresenceInBuckets1733400000000 implements MigrationInterface {
  name = 'PresenceInBuckets1733400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE audit.presence_beats (
      worker_id text NOT NULL,
      bucket timestamptz NOT NULL,
      beats timestamptz[] NOT NULL,
      PRIMARY KEY (worker_id, bucket)) WITH (fillfactor = 70)`);
    await q.query(`INSERT INTO audit.presence_beats (worker_id, bucket, beats)
      SELECT worker_id, date_bin('15 minutes', at, TIMESTAMPTZ '2000-01-01 00:00:00+00'), array_agg(at ORDER BY at) FROM audit.presence_marks GROUP BY 1, 2`);
    await q.query(`DROP TABLE audit.presence_marks`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE audit.presence_marks (worker_id text NOT NULL, at timestamptz NOT NULL, PRIMARY KEY (worker_id, at))`);
    await q.query(`INSERT INTO audit.presence_marks (worker_id, at) SELECT worker_id, unnest(beats) FROM audit.presence_beats`);
    await q.query(`DROP TABLE audit.presence_beats`);
  }
}
