import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import type { EntityManager } from 'typeorm';
import { isSingleSession } from './data-source';
import { insertRows } from './insert-rows';
import { sqlName, withClient } from './sql';

/** Rows per chunk of COPY text handed to the socket, so no single string grows past a few MB. */
const ROWS_PER_CHUNK = 1_000;

const NEEDS_ESCAPE = /[\\\n\r\t]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One value in PostgreSQL's COPY text format: `\N` for null, bytea as `\x` hex, text with its four special characters escaped. */
export function copyText(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (Buffer.isBuffer(value)) return `\\\\x${value.toString('hex')}`;
  if (value instanceof Date) return value.toISOString();
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return NEEDS_ESCAPE.test(text) ? text.replace(/[\\\n\r\t]/g, (c) => ESCAPES[c]) : text;
}

/**
 * Inserts rows with `COPY … FROM STDIN` in text format, in the caller's transaction when it has
 * one. Measured here on the audit log's table against a multi-row `INSERT … VALUES` of the same
 * rows: a third of the database time (no statement with tens of thousands of parameters to
 * parse) and a tenth of the client CPU (one string per row instead of one escaped parameter per
 * value). COPY has no `ON CONFLICT`: one duplicate fails the statement, so callers must know the
 * rows are new (otherwise `insertRows`). An embedded database (PGlite) cannot take COPY over
 * the wire: there the rows go through `insertRows`, with the same effect.
 */
export async function copyRows(m: EntityManager, table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<void> {
  if (rows.length === 0) return;
  if (isSingleSession(m.connection)) return insertRows(m, table, columns, rows);
  await withClient(m, async (client) => {
    await pipeline(Readable.from(chunks(rows)), client.query(copyFrom(`COPY ${sqlName(table)} (${columns.map(sqlName).join(', ')}) FROM STDIN`)));
  });
}

function* chunks(rows: readonly (readonly unknown[])[]): Generator<string> {
  for (let start = 0; start < rows.length; start += ROWS_PER_CHUNK) {
    let text = '';
    const end = Math.min(rows.length, start + ROWS_PER_CHUNK);
    for (let i = start; i < end; i++) {
      const row = rows[i];
      for (let c = 0; c < row.length; c++) text += (c === 0 ? '' : '\t') + copyText(row[c]);
      text += '\n';
    }
    yield text;
  }
}
