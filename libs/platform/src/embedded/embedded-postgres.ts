import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** One service's embedded database, reachable by node-pg (and so TypeORM) at `url`. */
export interface EmbeddedDatabase {
  readonly name: string;
  readonly url: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/**
 * Starts PGlite (PostgreSQL compiled to WebAssembly, in this process) on `<dataDir>/<name>` and
 * serves it on a loopback port with PostgreSQL's wire protocol, so that the service's data
 * source, migrations and SQL run unchanged: only the URL differs from production.
 *
 * PGlite is one session. Its socket server takes one connection, and the service's pool must be
 * of one connection (`openDataSource`'s `poolSize: 1`): statements and transactions then queue in
 * the pool, as they would for a single PostgreSQL backend. Each service gets a database of its
 * own, as each owns a schema of its own in production. PGlite does not take `COPY … FROM STDIN`
 * over the wire; `copyRows` writes with `INSERT` on such a data source.
 */
export async function startEmbeddedDatabase(dataDir: string, name: string): Promise<EmbeddedDatabase> {
  const log = new Logger('EmbeddedPostgres');
  const dir = join(dataDir, name);
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  const db = await PGlite.create({ dataDir: dir, relaxedDurability: false });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 1 });
  await server.start();
  const [host, port] = server.getServerConn().split(':');
  log.log(`${name}: PGlite on ${dir} serving 127.0.0.1:${port} (${Date.now() - started} ms)`);
  return {
    name,
    dataDir: dir,
    url: `postgres://postgres@${host}:${port}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
