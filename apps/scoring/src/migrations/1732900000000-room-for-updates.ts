import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each heartbeat updates a worker's row (its time last seen), so every row is written again about
 * once a minute. Pages filled to half leave room for the new version beside the old one: the
 * update stays on its page, PostgreSQL then logs only the bytes that changed instead of the whole
 * row (about 1.2 KB of state and scores), and the page's dead versions are pruned when it is next
 * read, without waiting for a vacuum. Applies to pages written from now on; `VACUUM FULL
 * scoring.worker_state` rewrites the existing ones.
 */
export class RoomForUpdates1732900000000 implements MigrationInterface {
  name = 'RoomForUpdates1732900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE scoring.worker_state SET (fillfactor = 50)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE scoring.worker_state RESET (fillfactor)`);
  }
}
