import { randomBytes } from 'node:crypto';
import { openDataSource, type ServiceDataSourceOptions } from '@clearwork/platform';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createScratchDatabase } from './audit-service';
import { onInterrupt } from './interrupt';

/** A scratch database migrated to services' schemas, with a client of its own; `drop` closes both and removes it. */
export interface MigratedScratch {
  /** The first service's data source (the others are closed once migrated). */
  readonly dataSource: DataSource;
  readonly db: Client;
  drop(): Promise<void>;
}

/**
 * Creates `<prefix>_<random>`, runs each service's `migrations` on its `schema` through a data
 * source, and connects a plain client; the database is dropped when the benchmark is interrupted,
 * and by `drop` otherwise.
 */
export async function migratedScratch(
  prefix: string,
  first: Pick<ServiceDataSourceOptions, 'schema' | 'migrations'>,
  ...others: Pick<ServiceDataSourceOptions, 'schema' | 'migrations'>[]
): Promise<MigratedScratch> {
  const scratch = await createScratchDatabase(`${prefix}_${randomBytes(4).toString('hex')}`);
  const dataSource = await openDataSource({ url: scratch.url, ...first });
  for (const other of others) await (await openDataSource({ url: scratch.url, ...other })).destroy();
  const db = new Client({ connectionString: scratch.url });
  await db.connect();
  const drop = async () => {
    await db.end().catch(() => undefined);
    await dataSource.destroy().catch(() => undefined);
    await scratch.drop();
  };
  onInterrupt(drop);
  return { dataSource, db, drop };
}
