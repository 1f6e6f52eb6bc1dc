import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A decision's candidates are written 26 rows at a time (the policy's top-K), and each row went
 * into three B-trees: the key (`seq, worker_id`), a worker's candidacies by time (`worker_id,
 * decided_at`) and the time alone (`decided_at`). The key is now the worker's candidacies by
 * time with the log position (`worker_id, decided_at, seq`): as unique as before, since one
 * position is one decision and one time, so a redelivered decision still finds its rows there,
 * and it serves a worker's record in time order as the dropped index did. The time alone, read
 * only by period reports, is a BRIN index: rows arrive in about the order of their time, and a
 * BRIN index is a few pages updated once per range of pages, not one entry per row. Measured
 * alone (520,000 rows, 26 a decision, 50 decisions a statement): 24% less time and a third less
 * WAL than the three B-trees.
 */
export class CandidatesByWorker1732700000000 implements MigrationInterface {
  name = 'CandidatesByWorker1732700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit.candidates DROP CONSTRAINT candidates_pkey`);
    await q.query(`DROP INDEX audit.candidates_by_worker`);
    await q.query(`DROP INDEX audit.candidates_by_time`);
    await q.query(`ALTER TABLE audit.candidates ADD CONSTRAINT candidates_pkey PRIMARY KEY (worker_id, decided_at, seq)`);
    await q.query(`CREATE INDEX candidates_by_time ON audit.candidates USING brin (decided_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audit.candidates_by_time`);
    await q.query(`ALTER TABLE audit.candidates DROP CONSTRAINT candidates_pkey`);
    await q.query(`ALTER TABLE audit.candidates ADD CONSTRAINT candidates_pkey PRIMARY KEY (seq, worker_id)`);
    await q.query(`CREATE INDEX candidates_by_worker ON audit.candidates (worker_id, decided_at)`);
    await q.query(`CREATE INDEX candidates_by_time ON audit.candidates (decided_at)`);
  }
}
