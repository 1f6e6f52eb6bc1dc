import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tasks by the time they were stored (`updated_at`, which nothing changes after the insert) and
 * id, for the pruning of ended tasks (see `TaskStore.pruneEnded`, DISPATCHER_TASK_RETENTION_DAYS):
 * each of its batches takes the oldest ended tasks after the last batch's last, in the index's
 * order (the id breaks ties: the tasks of one posted batch share their time). A B-tree, not BRIN
 * as for the claims of handled events: BRIN gives no order, so every batch read again all the
 * rows the batches before it had deleted (BENCHMARKS.md, "Ended tasks deleted"). Tasks are stored
 * in time order, so its inserts land on its last page.
 */
export class TasksByStorage1733500000000 implements MigrationInterface {
  name = 'TasksByStorage1733500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX tasks_by_storage ON dispatcher.tasks (updated_at, task_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS dispatcher.tasks_by_storage`);
  }
}
