import { sqlName } from '@clearwork/platform';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Scoring's JSON columns: read whole or through expressions, never compared as columns by a plan. */
export const UNPLANNED_JSON = [
  ['worker_state', 'profile'],
  ['worker_state', 'state'],
  ['worker_state', 'scores'],
  ['evidence', 'input'],
  ['score_history', 'changes'],
  ['score_history', 'scores'],
] as const;

/**
 * No statistics for scoring's JSON columns. ANALYZE sorted and compared every sampled document
 * to build a histogram no plan reads: the score history's filter goes through an expression
 * (`changes->>$2`), which these statistics do not describe, and every other read is by key or
 * by time. Analyzing 20,000 workers' state took six times as long with them (BENCHMARKS.md,
 * "Worker state analyzed without its JSON"); under autovacuum the table is analyzed again once a
 * tenth of it has changed, and every heartbeat changes a row.
 */
export class JsonWithoutStatistics1733500000000 implements MigrationInterface {
  name = 'JsonWithoutStatistics1733500000000';

  async up(q: QueryRunner): Promise<void> {
    for (const [table, column] of UNPLANNED_JSON) await q.query(`ALTER TABLE scoring.${table} ALTER COLUMN ${sqlName(column)} SET STATISTICS 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, column] of UNPLANNED_JSON) await q.query(`ALTER TABLE scoring.${table} ALTER COLUMN ${sqlName(column)} SET STATISTICS -1`);
  }
}
