import { DataSource, type MixedList } from 'typeorm';
import { sqlName } from './sql';

export interface ServiceDataSourceOptions {
  readonly url: string;
  /** Each service owns one PostgreSQL schema and never touches another's. */
  readonly schema: string;
  readonly migrations: MixedList<Function>;
  readonly poolSize?: number;
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
    extra: { max: options.poolSize ?? 10, application_name: `clearwork-${options.schema}` },
  });
  await dataSource.initialize();
  await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${sqlName(options.schema)}"`);
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
