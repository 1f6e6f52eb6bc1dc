import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tasks by the time they were stored (`updated_at`, which nothing changes after the insert), for
 * the pruning of ended tasks (see `TaskStore.pruneEnded`, DISPATCHER_TASK_RETENTION_DAYS). BRIN,
 * as tasks are stored in time order: a summary per block range, so the posted tasks' insert pays
 * almost nothing for it (a B-tree would add a page write to every task).
 */
export class TasksByStorage1733500000000 implements MigrationInterface {
  name = 'TasksByStorage1733500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX tasks_by_storage ON dispatcher.tasks USING brin (updated_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS dispatcher.tasks_by_storage`);
  }
}
