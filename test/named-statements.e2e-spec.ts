/*
 * sqlRows against a real PostgreSQL: each statement is a named one, parsed once on a connection
 * and run again by name, and its failures read as TypeORM's did (a QueryFailedError carrying the
 * server's code), so callers that tell a unique violation apart still do.
 */
import { isUniqueViolation, sqlRows, statementName } from '@clearwork/platform';
import { QueryFailedError } from 'typeorm';
import { scratchDatabase } from './support/scratch-database';

describe('sqlRows on PostgreSQL', () => {
  const pg = scratchDatabase('clearwork_named', { schema: 'named', migrations: [] });

  beforeAll(async () => {
    await sqlRows(pg.dataSource.manager, `CREATE TABLE named.items (id int PRIMARY KEY, label text NOT NULL)`);
  });

  it('prepares a statement once on its connection under its name, and runs it again by that name', async () => {
    const sql = `SELECT $1::int + 1 AS n`;
    await pg.dataSource.transaction(async (m) => {
      const answers = [];
      for (const n of [1, 2, 3]) answers.push((await sqlRows<{ n: number }>(m, sql, [n]))[0].n);
      expect(answers).toEqual([2, 3, 4]);
      // The transaction's connection holds it, prepared from the text once.
      const held = await sqlRows<{ statement: string }>(m, `SELECT statement FROM pg_prepared_statements WHERE name = $1`, [statementName(sql)]);
      expect(held.map((r) => r.statement)).toEqual([sql]);
    });
  });

  it('names each text apart, and the same text alike', () => {
    expect(statementName(`SELECT 1`)).toBe(statementName(`SELECT 1`));
    expect(statementName(`SELECT 1`)).not.toBe(statementName(`SELECT 2`));
    expect(statementName(`SELECT 1`)).toMatch(/^s[0-9a-f]{32}$/);
  });

  it("fails as a QueryFailedError with the server's code, so a unique violation is told apart", async () => {
    const insert = `INSERT INTO named.items (id, label) VALUES ($1, $2) RETURNING id`;
    expect(await sqlRows(pg.dataSource.manager, insert, [1, 'first'])).toEqual([{ id: 1 }]);
    const error = await sqlRows(pg.dataSource.manager, insert, [1, 'again']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryFailedError);
    expect(isUniqueViolation(error)).toBe(true);
    expect((error as QueryFailedError).query).toBe(insert);
  });

  it('does not keep a statement that failed to prepare: the connection goes on, and a fixed text runs', async () => {
    await pg.dataSource.transaction(async (m) => {
      await sqlRows(m, `SAVEPOINT before_typo`);
      const error = await sqlRows(m, `SELEC 1`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QueryFailedError);
      expect((error as QueryFailedError).message).toMatch(/syntax error/);
      await sqlRows(m, `ROLLBACK TO SAVEPOINT before_typo`);
      // Asked on the same connection: the savepoint's statements are held, the typo is not.
      const held = await sqlRows<{ name: string }>(m, `SELECT name FROM pg_prepared_statements WHERE name = ANY($1::text[])`, [[statementName(`SELEC 1`), statementName(`SAVEPOINT before_typo`)]]);
      expect(held.map((r) => r.name)).toEqual([statementName(`SAVEPOINT before_typo`)]);
      expect(await sqlRows(m, `SELECT $1::text AS label`, ['after'])).toEqual([{ label: 'after' }]);
    });
  });
});
