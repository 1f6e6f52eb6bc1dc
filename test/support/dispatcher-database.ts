import { randomBytes } from 'node:crypto';
import { openDataSource } from '@clearwork/platform';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { DISPATCHER_MIGRATIONS } from '../../apps/dispatcher/src/dispatcher.module';
import { createScratchDatabase, requireRealServers } from './servers';

export interface DispatcherDatabase {
  readonly url: string;
  /** On the dispatcher's schema, migrated. */
  readonly dataSource: DataSource;
  /** A client of its own, for rows written as another process would. */
  readonly writer: Client;
}

/**
 * A scratch database with the dispatcher's migrations for the enclosing `describe`: opened in its
 * `beforeAll` (failing loudly without a real PostgreSQL), dropped in its `afterAll`. Read the
 * fields inside tests, once opened.
 */
export function dispatcherDatabase(prefix: string): DispatcherDatabase {
  const opened = {} as { -readonly [K in keyof DispatcherDatabase]: DispatcherDatabase[K] } & { drop?: () => Promise<void> };
  beforeAll(async () => {
    await requireRealServers();
    const db = await createScratchDatabase(`${prefix}_${randomBytes(4).toString('hex')}`);
    opened.url = db.url;
    opened.drop = db.drop;
    opened.dataSource = await openDataSource({ url: db.url, schema: 'dispatcher', migrations: DISPATCHER_MIGRATIONS });
    opened.writer = new Client({ connectionString: db.url });
    await opened.writer.connect();
  });
  afterAll(async () => {
    await opened.writer?.end();
    await opened.dataSource?.destroy();
    await opened.drop?.();
  });
  return opened;
}
