import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each heartbeat updates a worker's row (presence and time last seen), so every row is written
 * again about once a minute, and again with each new score. Pages filled to half leave room for
 * the new version beside the old one: the update stays on its page, PostgreSQL then logs only the
 * bytes that changed instead of the whole row, and the page's dead versions are pruned when it is
 * next read, without waiting for a vacuum. Applies to pages written from now on; `VACUUM FULL
 * dispatcher.workers` rewrites the existing ones.
 */
export class RoomForUpdates1732900000000 implements MigrationInterface {
  name = 'RoomForUpdates1732900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dispatcher.workers SET (fillfactor = 50)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dispatcher.workers RESET (fillfactor)`);
  }
}
