import { DataSource, type MixedList } from 'typeorm';
import { sqlName } from './sql';

export interface ServiceDataSourceOptions {
  readonly url: string;
  /** Each service owns one PostgreSQL schema and never touches another's. */
  readonly schema: string;
  readonly migrations: MixedList<Function>;
  readonly poolSize?: number;
  /**
   * The database is a single session (embedded PGlite): one connection, no other instance to
   * guard migrations against, and no `COPY … FROM STDIN` (see `copyRows`).
   */
  readonly singleSession?: boolean;
}

const singleSessions = new WeakSet<DataSource>();

/** Whether the data source was opened on a single-session database (embedded mode). */
export function isSingleSession(dataSource: DataSource): boolean {
  return singleSessions.has(dataSource);
}

/**
 * Opens the service's data source, creates its schema and runs pending migrations.
 * `synchronize` is never used: the schema changes only through reviewed migrations.
 */
export async function openDataSource(options: ServiceDataSourceOptions): Promise<DataSource> {
  const dataSource = new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: ['error', 'migration'],
    extra: {
      max: options.singleSession ? 1 : (options.poolSize ?? 10),
      // Connections are kept once opened (pg closes one idle for 10 s by default): a new one
      // costs PostgreSQL a process, cold caches, and every named statement prepared again.
      idleTimeoutMillis: 0,
      // With one connection, code that waits for a second while holding the first would wait for
      // ever; it fails instead (the handler retries, and the error names the wait).
      ...(options.singleSession ? { connectionTimeoutMillis: 15_000 } : {}),
      application_name: `clearwork-${options.schema}`,
      // No JIT: it pays off only for long analytical scans, and where the planner overestimates
      // a statement (an estimate above jit_above_cost, 100,000 by default, as tables grow) it
      // compiles it first at every run: 0.27 s of a 0.30 s batch of the dispatcher's pruning
      // (BENCHMARKS.md, "Ended tasks deleted"). PGlite (one session) is built without it.
      ...(options.singleSession ? {} : { options: '-c jit=off' }),
    },
  });
  await dataSource.initialize();
  await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${sqlName(options.schema)}"`);
  if (options.singleSession) {
    singleSessions.add(dataSource);
    // One connection: the lock below would hold it while the migrations wait for another.
    await dataSource.runMigrations({ transaction: 'each' });
    return dataSource;
  }
  // Two instances starting together must not run the same migration twice.
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [`migrations:${options.schema}`]);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [`migrations:${options.schema}`]).catch(() => undefined);
    await runner.release();
  }
  return dataSource;
}
