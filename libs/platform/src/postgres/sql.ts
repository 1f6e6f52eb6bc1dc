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

/** Whether a database error is a unique-constraint violation (SQLSTATE 23505): a row that is already there. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505';
}
