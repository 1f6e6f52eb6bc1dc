import type { Client } from 'pg';

/** PostgreSQL's current WAL position, to measure the WAL written from here on (`walBytesSince`). */
export async function walPosition(db: Client): Promise<string> {
  return (await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn() AS lsn')).rows[0].lsn;
}

/** Bytes of WAL written since `lsn` (by the whole server: run nothing else meanwhile). */
export async function walBytesSince(db: Client, lsn: string): Promise<number> {
  return Number((await db.query<{ bytes: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1) AS bytes', [lsn])).rows[0].bytes);
}
