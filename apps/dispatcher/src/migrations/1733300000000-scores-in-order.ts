import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each worker's row records when scoring computed the score it holds (`WorkerScored.scoredAt`),
 * so that a score arriving after a newer one (published late by the outbox's polling, say) does
 * not replace it. Rows scored before this column existed hold none, and take the next score.
 */
export class ScoresInOrder1733300000000 implements MigrationInterface {
  name = 'ScoresInOrder1733300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dispatcher.workers ADD COLUMN scored_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dispatcher.workers DROP COLUMN IF EXISTS scored_at`);
  }
}
