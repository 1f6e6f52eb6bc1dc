/*
 * The rows every heartbeat writes again (the dispatcher's workers, scoring's worker state), with
 * each service's migrations against a real PostgreSQL: their pages are filled to half, so a
 * worker's new version is written beside the old one and the table does not grow with every
 * round of heartbeats while no vacuum runs.
 */
import { openDataSource, sqlRows } from '@clearwork/platform';
import type { DataSource } from 'typeorm';
import { DISPATCHER_MIGRATIONS } from '../apps/dispatcher/src/dispatcher.module';
import { SCORING_MIGRATIONS } from '../apps/scoring/src/scoring.module';
import { createScratchDatabase, requireRealServers } from './support/servers';

const WORKERS = 200;
const ROUNDS = 10;

const TABLES = [
  {
    schema: 'dispatcher', table: 'workers', migrations: DISPATCHER_MIGRATIONS,
    insert: `INSERT INTO dispatcher.workers (worker_id, skills, languages, qualifications, capacity)
             SELECT 'w' || i, ARRAY['plumbing', 'electrical', 'carpentry'], ARRAY['en', 'fr'], ARRAY['licensed'], 2 FROM generate_series(1, $1) AS i`,
    heartbeat: `UPDATE dispatcher.workers SET online = true, last_seen_at = clock_timestamp(), updated_at = now() WHERE worker_id = 'w' || $1`,
  },
  {
    schema: 'scoring', table: 'worker_state', migrations: SCORING_MIGRATIONS,
    // About the size of a worker's state and scores in the benchmark's runs (1.2 KB a row).
    insert: `INSERT INTO scoring.worker_state (worker_id, profile, registered_at, state, policy_version, scores)
             SELECT 'w' || i, '{"skills":["plumbing"]}', now(), jsonb_build_object('offers', repeat('x', 1000)), 1, '{"quality":0.5}' FROM generate_series(1, $1) AS i`,
    heartbeat: `UPDATE scoring.worker_state SET last_seen_at = clock_timestamp(), updated_at = now() WHERE worker_id = 'w' || $1`,
  },
] as const;

describe.each(TABLES.map((t) => ({ ...t, name: `${t.schema}.${t.table}` })))('$name, written again by every heartbeat', ({ name, schema, migrations, insert, heartbeat }) => {
  let db: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;

  beforeAll(async () => {
    await requireRealServers();
    db = await createScratchDatabase(`clearwork_rows_${schema}_${Date.now()}`);
    dataSource = await openDataSource({ url: db.url, schema, migrations: [...migrations] });
  }, 60_000);

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  const pages = async () => Number((await sqlRows<{ n: string }>(dataSource.manager, `SELECT pg_relation_size($1::regclass) / current_setting('block_size')::int AS n`, [name]))[0].n);

  it('has its pages filled to half', async () => {
    const [{ reloptions }] = await sqlRows<{ reloptions: string[] | null }>(dataSource.manager, `SELECT reloptions FROM pg_class WHERE oid = $1::regclass`, [name]);
    expect(reloptions).toContain('fillfactor=50');
  });

  it(`keeps its size through ${ROUNDS} rounds of heartbeats with no vacuum`, async () => {
    await dataSource.query(`ALTER TABLE ${name} SET (autovacuum_enabled = false)`);
    await dataSource.query(insert, [WORKERS]);
    const before = await pages();
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 1; i <= WORKERS; i++) await dataSource.query(heartbeat, [i]);
    }
    const after = await pages();
    // Each version beside the last: the old ones are pruned when the page is next read. Pages
    // filled to the brim would instead move each new version to another page, growing the
    // table by about its size every round.
    expect(before).toBeGreaterThan(1);
    expect(after).toBeLessThanOrEqual(before + 2);
  }, 60_000);
});
