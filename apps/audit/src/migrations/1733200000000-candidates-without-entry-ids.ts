import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A candidate row repeated its decision's id and task id, which its decision's log entry holds
 * (`seq` names that entry; `audit.entries.decision_id` and `task_id` are read from the same
 * event). Each decision writes its top-K (26 rows under the default policy), so the two texts
 * were about half of every row's bytes and WAL. Readers join the entry by `seq` instead.
 * Dropping columns rewrites nothing: old rows keep the bytes until they are rewritten.
 */
export class CandidatesWithoutEntryIds1733200000000 implements MigrationInterface {
  name = 'CandidatesWithoutEntryIds1733200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit.candidates DROP COLUMN decision_id, DROP COLUMN task_id`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit.candidates ADD COLUMN decision_id text, ADD COLUMN task_id text`);
    await q.query(`UPDATE audit.candidates c SET decision_id = e.decision_id, task_id = e.task_id FROM audit.entries e WHERE e.seq = c.seq`);
    await q.query(`ALTER TABLE audit.candidates ALTER COLUMN decision_id SET NOT NULL, ALTER COLUMN task_id SET NOT NULL`);
  }
}
