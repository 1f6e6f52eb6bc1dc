import type { EntityManager, QueryRunner } from 'typeorm';

/**
 * Runs one parameterised statement and returns its rows. TypeORM's `query()` returns
 * `[rows, rowCount]` for UPDATE and DELETE but plain rows for SELECT and INSERT; this always
 * returns the rows (including those of `RETURNING`), so callers cannot mistake one for the other.
 */
export async function sqlRows<T>(m: EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  return withRunner(m, async (runner) => ((await runner.query(sql, params, true)).records ?? []) as T[]);
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
