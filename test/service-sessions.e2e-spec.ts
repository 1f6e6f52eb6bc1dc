/*
 * The sessions a service's data source opens on a real PostgreSQL: named after the service, and
 * with JIT off, which the server has on by default.
 */
import { sqlRows } from '@clearwork/platform';
import { scratchDatabase } from './support/scratch-database';

describe("a service's PostgreSQL sessions", () => {
  const pg = scratchDatabase('clearwork_sessions', { schema: 'sessions', migrations: [] });

  it('have JIT off on every pooled connection, where a plain session of the same server has it on', async () => {
    const [server] = (await pg.writer.query<{ jit: string }>('SHOW jit')).rows;
    expect(server.jit).toBe('on');
    // Several transactions at once, so the pool opens several connections.
    const seen = await Promise.all(
      Array.from({ length: 4 }, () =>
        pg.dataSource.transaction(async (m) => {
          const [row] = await sqlRows<{ jit: string; app: string; pid: number }>(m, `SELECT current_setting('jit') AS jit, current_setting('application_name') AS app, pg_backend_pid() AS pid, pg_sleep(0.05)`);
          return row;
        }),
      ),
    );
    expect(new Set(seen.map((r) => r.pid)).size).toBe(4);
    expect(seen.map((r) => [r.jit, r.app])).toEqual(Array(4).fill(['off', 'clearwork-sessions']));
  });
});
