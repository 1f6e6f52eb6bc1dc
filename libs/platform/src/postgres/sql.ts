import { createHash } from 'node:crypto';
import type { ClientBase } from 'pg';
import { QueryFailedError, QueryRunnerAlreadyReleasedError, type EntityManager, type QueryRunner } from 'typeorm';

/** Each statement's name, by its text. */
const statementNames = new Map<string, string>();

/** A name for the statement's text, the same in every process: `s` and 32 hex digits of its SHA-256. */
export function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (name === undefined) statementNames.set(sql, (name = `s${createHash('sha256').update(sql).digest('hex').slice(0, 32)}`));
  return name;
}

/**
 * Runs one parameterised statement and returns its rows (including those of `RETURNING`;
 * TypeORM's `query()` returns `[rows, rowCount]` for UPDATE and DELETE but plain rows for SELECT
 * and INSERT, which callers could mistake one for the other).
 *
 * The statement is a named one (`statementName`): each connection parses it once, and after a
 * few runs PostgreSQL plans it once (its plan cache keeps a generic plan when custom ones cost no
 * less), instead of parsing and planning the text on every run. Measured with pg_stat_statements
 * on a run to 50 tasks/s, planning alone was a fifth of PostgreSQL's time on the statements. The
 * texts are the code's own (see sql-text.spec), so each connection holds a bounded set.
 */
export async function sqlRows<T>(m: EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  return withClient(m, async (client) => {
    try {
      return (await client.query({ name: statementName(sql), text: sql, values: params })).rows as T[];
    } catch (error) {
      throw new QueryFailedError(sql, params, error as Error);
    }
  });
}

/** Runs `work` on the pg client of the manager's query runner (see `withRunner`), for what TypeORM's `query()` cannot send. */
export function withClient<T>(m: EntityManager, work: (client: ClientBase) => Promise<T>): Promise<T> {
  return withRunner(m, async (runner) => {
    if (runner.isReleased) throw new QueryRunnerAlreadyReleasedError();
    return work((await runner.connect()) as ClientBase);
  });
}

/** Runs `work` on the manager's query runner (its transaction), or on one of its own, released after. */
export async function withRunner<T>(m: EntityManager, work: (runner: QueryRunner) => Promise<T>): Promise<T> {
  const own = m.queryRunner ? undefined : m.connection.createQueryRunner();
  try {
    return await work(m.queryRunner ?? own!);
  } finally {
    await own?.release();
  }
}

/**
 * Data-modifying `WITH` clauses (`name AS (INSERT ...)`), their parameters numbered from $1, to
 * run as part of another statement: one round trip for both. PostgreSQL runs every such clause
 * to completion, whether or not the statement reads it; none may read what another writes.
 */
export interface WriteClauses {
  readonly clauses: readonly string[];
  readonly params: readonly unknown[];
}

/** Runs write clauses as a statement of their own (when there is no other statement to carry them). */
export async function runWriteClauses(m: EntityManager, w: WriteClauses): Promise<void> {
  if (w.clauses.length === 0) return;
  await sqlRows(m, `WITH ${w.clauses.join(', ')} SELECT 1`, [...w.params]);
}

const SQL_NAME = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/**
 * A schema, table or column name to put into a statement's text, where parameters cannot go:
 * refused unless it is a plain lower-case identifier (optionally schema-qualified). Names come
 * from constants in the code; this keeps a future caller from passing input through.
 */
export function sqlName(name: string): string {
  if (!SQL_NAME.test(name)) throw new Error(`not a plain SQL name: ${JSON.stringify(name).slice(0, 80)}`);
  return name;
}

/** Whether a database error is a unique-constraint violation (SQLSTATE 23505): a row that is already there. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505';
}
