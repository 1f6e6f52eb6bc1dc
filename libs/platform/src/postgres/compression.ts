import type { QueryRunner } from 'typeorm';
import { sqlName } from './sql';

/** Whether this PostgreSQL can compress stored values with lz4 (version 14 or later, built with it, as Debian's and the official images are). */
export async function lz4Available(q: Pick<QueryRunner, 'query'>): Promise<boolean> {
  const rows = (await q.query(`SELECT 'lz4' = ANY(enumvals) AS ok FROM pg_settings WHERE name = 'default_toast_compression'`)) as { ok: boolean }[];
  return rows[0]?.ok === true;
}

/**
 * Sets how `columns` (`schema.table.column`, constant names) compress the values they store out
 * of line: `lz4` where this PostgreSQL has it (where it does not, nothing changes and they keep
 * pglz), or back to the server's `default`. Only values written afterwards are affected.
 */
export async function setCompression(q: Pick<QueryRunner, 'query'>, columns: readonly string[], method: 'lz4' | 'default'): Promise<void> {
  if (method === 'lz4' && !(await lz4Available(q))) return;
  for (const qualified of columns) {
    const [schema, table, column, ...rest] = qualified.split('.');
    if (column === undefined || rest.length > 0) throw new Error(`not a schema.table.column name: ${qualified}`);
    const target = `${sqlName(schema)}.${sqlName(table)} ALTER COLUMN ${sqlName(column)}`;
    await q.query(method === 'lz4' ? `ALTER TABLE ${target} SET COMPRESSION lz4` : `ALTER TABLE ${target} SET COMPRESSION default`);
  }
}
