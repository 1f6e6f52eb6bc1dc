import type { QueryRunner } from 'typeorm';
import { sqlName } from './sql';

/** Whether this PostgreSQL can compress stored values with lz4 (version 14 or later, built with it, as Debian's and the official images are). */
export async function lz4Available(q: Pick<QueryRunner, 'query'>): Promise<boolean> {
  const rows = (await q.query(`SELECT 'lz4' = ANY(enumvals) AS ok FROM pg_settings WHERE name = 'default_toast_compression'`)) as { ok: boolean }[];
  return rows[0]?.ok === true;
}

/**
 * Sets how `columns` (`schema.table.column`, constant names) compress the values they store out
 * of line: lz4 where this PostgreSQL has it, and nothing changed where it does not (they keep
 * pglz). Only values written afterwards are affected. Returns whether it was set.
 */
export async function compressWithLz4(q: Pick<QueryRunner, 'query'>, columns: readonly string[], method: 'lz4' | 'default' = 'lz4'): Promise<boolean> {
  if (method === 'lz4' && !(await lz4Available(q))) return false;
  for (const qualified of columns) {
    const [schema, table, column, ...rest] = qualified.split('.');
    if (column === undefined || rest.length > 0) throw new Error(`not a schema.table.column name: ${qualified}`);
    await q.query(method === 'lz4'
      ? `ALTER TABLE ${sqlName(schema)}.${sqlName(table)} ALTER COLUMN ${sqlName(column)} SET COMPRESSION lz4`
      : `ALTER TABLE ${sqlName(schema)}.${sqlName(table)} ALTER COLUMN ${sqlName(column)} SET COMPRESSION default`);
  }
  return true;
}
