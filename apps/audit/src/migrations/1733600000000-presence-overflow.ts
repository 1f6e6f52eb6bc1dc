import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Heartbeats beyond what a quarter hour's row holds (`PRESENCE_ROW_CAP`, see PresenceMarks): a
 * row per worker per minute (`span` 60) and, once that is full too, per second (`span` 1), each
 * holding its times as a sorted array, as `audit.presence_beats` does. A client heartbeating far
 * faster than the policy asks no longer makes one row grow through the quarter hour, rewritten
 * (and compressed, out of line) at every batch. A new, empty table: nothing to move.
 */
export class PresenceOverflow1733600000000 implements MigrationInterface {
  name = 'PresenceOverflow1733600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE audit.presence_beats_fine (
      worker_id text NOT NULL,
      span int NOT NULL CHECK (span IN (1, 60)),
      bucket timestamptz NOT NULL,
      beats timestamptz[] NOT NULL,
      PRIMARY KEY (worker_id, span, bucket)) WITH (fillfactor = 70)`);
  }

  /** Every time goes back into its quarter hour's row, as before. */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`INSERT INTO audit.presence_beats (worker_id, bucket, beats)
      SELECT worker_id, date_bin('15 minutes', b, TIMESTAMPTZ '2000-01-01 00:00:00+00'), array_agg(DISTINCT b ORDER BY b)
      FROM audit.presence_beats_fine, unnest(beats) AS b GROUP BY 1, 2 ORDER BY 1, 2
      ON CONFLICT (worker_id, bucket) DO UPDATE
      SET beats = ARRAY(SELECT DISTINCT b FROM unnest(presence_beats.beats || EXCLUDED.beats) AS b ORDER BY b)`);
    await q.query(`DROP TABLE audit.presence_beats_fine`);
  }
}
