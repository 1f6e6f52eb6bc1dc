import { randomBytes } from 'node:crypto';
import { openDataSource, type ServiceDataSourceOptions } from '@clearwork/platform';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { DISPATCHER_MIGRATIONS } from '../../apps/dispatcher/src/dispatcher.module';
import { createScratchDatabase, requireRealServers } from './servers';

export interface ScratchDatabase {
  readonly url: string;
  /** On the schema asked for, migrated. */
  readonly dataSource: DataSource;
  /** A client of its own, for rows written as another process would. */
  readonly writer: Client;
}

/** A scratch database on the dispatcher's schema, migrated. */
export type DispatcherDatabase = ScratchDatabase;

/**
 * A scratch database with a data source on `schema` (and its `migrations`) for the enclosing
 * `describe`: opened in its `beforeAll` (failing loudly without a real PostgreSQL), dropped in its
 * `afterAll`. Read the fields inside tests, once opened.
 */
export function scratchDatabase(prefix: string, { schema, migrations }: Pick<ServiceDataSourceOptions, 'schema' | 'migrations'>): ScratchDatabase {
  const opened = {} as { -readonly [K in keyof ScratchDatabase]: ScratchDatabase[K] } & { drop?: () => Promise<void> };
  beforeAll(async () => {
    await requireRealServers();
    const db = await createScratchDatabase(`${prefix}_${randomBytes(4).toString('hex')}`);
    opened.url = db.url;
    opened.drop = db.drop;
    opened.dataSource = await openDataSource({ url: db.url, schema, migrations });
    opened.writer = new Client({ connectionString: db.url });
    await opened.writer.connect();
  }, 60_000);
  afterAll(async () => {
    await opened.writer?.end();
    await opened.dataSource?.destroy();
    await opened.drop?.();
  });
  return opened;
}

/** A scratch database with the dispatcher's migrations (see `scratchDatabase`). */
export function dispatcherDatabase(prefix: string): DispatcherDatabase {
  return scratchDatabase(prefix, { schema: 'dispatcher', migrations: DISPATCHER_MIGRATIONS });
}
