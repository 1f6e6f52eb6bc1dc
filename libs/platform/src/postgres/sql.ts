import type { EntityManager } from 'typeorm';

/**
 * Runs one parameterised statement and returns its rows. TypeORM's `query()` returns
 * `[rows, rowCount]` for UPDATE and DELETE but plain rows for SELECT and INSERT; this always
 * returns the rows (including those of `RETURNING`), so callers cannot mistake one for the other.
 */
export async function sqlRows<T>(m: EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  const own = m.queryRunner ? undefined : m.connection.createQueryRunner();
  const runner = m.queryRunner ?? own!;
  try {
    const result = await runner.query(sql, params, true);
    return (result.records ?? []) as T[];
  } finally {
    await own?.release();
  }
}

/** Whether a database error is a unique-constraint violation (SQLSTATE 23505): a row that is already there. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505';
}
