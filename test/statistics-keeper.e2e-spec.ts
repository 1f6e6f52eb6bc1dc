/*
 * The planner's statistics kept by the service when the server's autovacuum is off (as on this
 * project's CI server), against a real PostgreSQL: the tables that changed by more than their size
 * are analyzed and no other, and a named statement's generic plan, made while its table was
 * nearly empty and kept as the table grew, is made again once the table is analyzed.
 */
import { analyzeGrown, autovacuumOn, StatisticsKeeper } from '@clearwork/platform';
import type { Client } from 'pg';
import { SCORING_MIGRATIONS } from '../apps/scoring/src/scoring.module';
import { UNPLANNED_JSON } from '../apps/scoring/src/migrations/1733500000000-json-without-statistics';
import { eventually } from './support/eventually';
import { scratchDatabase } from './support/scratch-database';

/** Rows inserted by `writer` counted in the server's statistics (they are flushed a moment after the writer's transaction). */
async function counted(pg: { dataSource: { query(sql: string, params: unknown[]): Promise<{ n: number }[]> } }, writer: Client, table: string, rows: number): Promise<void> {
  await writer.query('SELECT pg_stat_force_next_flush()');
  await writer.query('SELECT 1');
  await eventually(async () => {
    const [row] = await pg.dataSource.query(`SELECT n_mod_since_analyze::int AS n FROM pg_stat_user_tables WHERE schemaname = 'stats' AND relname = $1`, [table]);
    if (!row || row.n < rows) throw new Error(`${table}: ${row?.n ?? 'no'} changes counted of ${rows}`);
  }, { timeoutMs: 20_000, what: `${table}'s changes to be counted` });
}

describe('statistics kept when autovacuum is off', () => {
  const pg = scratchDatabase('clearwork_stats', { schema: 'stats', migrations: [] });
  const lastAnalyzed = async (table: string) =>
    (await pg.dataSource.query(`SELECT last_analyze FROM pg_stat_user_tables WHERE schemaname = 'stats' AND relname = $1`, [table]))[0].last_analyze as Date | null;

  beforeAll(async () => {
    // Out of autovacuum's reach whatever the server's setting, so only the service analyzes them here.
    for (const table of ['grown', 'quiet', 'offers']) {
      await pg.writer.query(`CREATE TABLE stats.${table} (id text PRIMARY KEY, payload text) WITH (autovacuum_enabled = false)`);
    }
  });

  it('analyzes the tables that grew by more than their size, and no other', async () => {
    await pg.writer.query(`INSERT INTO stats.grown SELECT 'g' || n, repeat('x', 100) FROM generate_series(1, 1500) n`);
    await pg.writer.query(`INSERT INTO stats.quiet SELECT 'q' || n, 'x' FROM generate_series(1, 10) n`);
    await counted(pg, pg.writer, 'grown', 1500);
    await counted(pg, pg.writer, 'quiet', 10);

    expect(await analyzeGrown(pg.dataSource.manager, 'stats')).toEqual(['grown']);
    expect(await lastAnalyzed('grown')).toBeInstanceOf(Date);
    expect(await lastAnalyzed('quiet')).toBeNull();
    const [{ reltuples }] = await pg.dataSource.query(`SELECT reltuples FROM pg_class WHERE oid = 'stats.grown'::regclass`);
    expect(reltuples).toBe(1500);

    // Rows updated or deleted are not growth; analyzed again once it holds more than twice its
    // rows at the last analysis and 1,000 more: 1,500 - 1,400 + 4,000 = 4,100 > 4,000.
    await pg.writer.query(`UPDATE stats.grown SET payload = 'y' WHERE id IN (SELECT 'g' || n FROM generate_series(1, 1500) n)`);
    await pg.writer.query(`DELETE FROM stats.grown WHERE id IN (SELECT 'g' || n FROM generate_series(1, 1400) n)`);
    await counted(pg, pg.writer, 'grown', 2900);
    expect(await analyzeGrown(pg.dataSource.manager, 'stats')).toEqual([]);
    await pg.writer.query(`INSERT INTO stats.grown SELECT 'h' || n, 'x' FROM generate_series(1, 3900) n`);
    await counted(pg, pg.writer, 'grown', 6800);
    expect(await analyzeGrown(pg.dataSource.manager, 'stats')).toEqual([]); // 4,000 rows: not yet
    await pg.writer.query(`INSERT INTO stats.grown SELECT 'i' || n, 'x' FROM generate_series(1, 100) n`);
    await counted(pg, pg.writer, 'grown', 6900);
    expect(await analyzeGrown(pg.dataSource.manager, 'stats')).toEqual(['grown']);
  }, 90_000);

  it("has a statement's generic plan, made while its table was nearly empty, made again once the table is analyzed", async () => {
    const w = pg.writer;
    await w.query(`INSERT INTO stats.offers VALUES ('o1', 'x')`);
    await w.query(`PREPARE offered(text[]) AS SELECT payload FROM stats.offers WHERE id = ANY($1)`);
    const ids = `'{${Array.from({ length: 12 }, (_, i) => `o${i + 1}`).join(',')}}'`;
    for (let i = 0; i < 6; i++) await w.query(`EXECUTE offered(${ids})`);
    const plan = async () => (await w.query(`EXPLAIN EXECUTE offered(${ids})`)).rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n');
    expect(await plan()).toContain('ANY ($1)'); // the generic plan, kept after the fifth run

    await w.query(`INSERT INTO stats.offers SELECT 'x' || n, repeat('x', 100) FROM generate_series(1, 50000) n`);
    await counted(pg, w, 'offers', 50_000);
    expect(await plan()).toContain('ANY ($1)'); // the table grew 50,000 times: still the same plan

    const keeper = new StatisticsKeeper(pg.dataSource.manager, 'stats', 60_000, { log: () => undefined, warn: (m) => { throw new Error(m); } });
    expect(await keeper.round()).toContain('offers');
    const after = await plan();
    expect(after).not.toContain('ANY ($1)'); // planned again, for these ids
    expect(after).toMatch(/Index Scan|Bitmap Index Scan/);
  }, 90_000);

  it('runs its rounds only when the server has no autovacuum to do it', async () => {
    const keeper = new StatisticsKeeper(pg.dataSource.manager, 'stats', 60_000, { log: () => undefined, warn: () => undefined });
    try {
      expect(await keeper.start()).toBe(!(await autovacuumOn(pg.dataSource.manager)));
    } finally {
      await keeper.stop();
    }
    const never = new StatisticsKeeper(pg.dataSource.manager, 'stats', 0, { log: () => undefined, warn: () => undefined });
    expect(await never.start()).toBe(false);
  });
});

describe("scoring's JSON columns without statistics", () => {
  const pg = scratchDatabase('clearwork_json_stats', { schema: 'scoring', migrations: SCORING_MIGRATIONS });

  it('analyzes the other columns of its tables and leaves the JSON ones out', async () => {
    await pg.writer.query(
      `INSERT INTO scoring.worker_state (worker_id, profile, registered_at, state, policy_version, scores, online, last_seen_at)
       SELECT 'w-' || n, jsonb_build_object('skills', jsonb_build_array('s' || (n % 7))), now(), jsonb_build_object('n', n), 1, jsonb_build_object('composite', n / 500.0), n % 2 = 0, now()
       FROM generate_series(1, 500) n`,
    );
    await pg.writer.query(
      `INSERT INTO scoring.score_history (worker_id, event_id, event_type, task_id, occurred_at, policy_version, changes, scores)
       SELECT 'w-' || n, gen_random_uuid(), 'TaskReviewed', 't-' || n, now(), 1, jsonb_build_object('quality', n / 1000.0), jsonb_build_object('composite', 0.5) FROM generate_series(1, 500) n`,
    );
    await pg.writer.query(
      `INSERT INTO scoring.evidence (event_id, worker_id, type, occurred_at, input) SELECT gen_random_uuid(), 'w-' || n, 'TaskReviewed', now(), jsonb_build_object('n', n) FROM generate_series(1, 500) n`,
    );
    await pg.writer.query('ANALYZE scoring.worker_state, scoring.score_history, scoring.evidence');
    const { rows } = await pg.writer.query<{ table: string; column: string }>(
      `SELECT tablename AS table, attname AS column FROM pg_stats WHERE schemaname = 'scoring' AND tablename IN ('worker_state', 'score_history', 'evidence')`,
    );
    const analyzed = new Set(rows.map((r) => `${r.table}.${r.column}`));
    for (const [table, column] of UNPLANNED_JSON) expect(analyzed.has(`${table}.${column}`)).toBe(false);
    for (const kept of ['worker_state.worker_id', 'worker_state.online', 'worker_state.last_seen_at', 'score_history.worker_id', 'evidence.worker_id']) expect(analyzed.has(kept)).toBe(true);
  });
});
