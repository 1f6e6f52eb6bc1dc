import { Pool } from 'pg';
import { Engine } from './engine';
import { KafkaProbe } from './kafka-probe';
import { requireRealServers } from './servers';

export interface EngineSuite {
  readonly engine: Engine;
  readonly probe: KafkaProbe;
  /**
   * A pool on the engine's database, open once the suite has started. A pool rather than one
   * client, so it reconnects after PostgreSQL restarts under a fault test.
   */
  readonly db: () => Pool;
}

/**
 * For one describe block: the three services on the real servers, a Kafka probe watching
 * `watch`, and a database client; all started before the tests and stopped after them.
 */
export function engineSuite(watch: string[]): EngineSuite {
  const engine = new Engine();
  const probe = new KafkaProbe(engine.runId);
  let db: Pool | undefined;

  beforeAll(async () => {
    await requireRealServers();
    await probe.start(watch);
    await engine.start();
    db = new Pool({ connectionString: engine.databaseUrl, max: 2 });
    db.on('error', () => undefined); // an idle connection cut by a server restart; the next query opens another
    await db.query('SELECT 1');
  }, 180_000);

  afterAll(async () => {
    await db?.end();
    await probe.stop();
    await engine.stop();
  }, 60_000);

  return {
    engine,
    probe,
    db: () => {
      if (!db) throw new Error('the suite has not started');
      return db;
    },
  };
}

/** How many audit log entries have these ids (`n`), and how many distinct ones (`d`): equal when each is logged once. */
export async function logCounts(db: Pick<Pool, 'query'>, entryIds: readonly string[]): Promise<{ n: string; d: string }> {
  const { rows } = await db.query<{ n: string; d: string }>(`SELECT count(*) AS n, count(DISTINCT entry_id) AS d FROM audit.entries WHERE entry_id = ANY($1::text[])`, [entryIds]);
  return rows[0];
}
