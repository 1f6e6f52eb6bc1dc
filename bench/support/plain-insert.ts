import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { copyText } from '@clearwork/platform';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { QueryRunner } from 'typeorm';
import { AUDIT_MIGRATIONS } from '../../apps/audit/src/migrations';
import type { LogEntryInput } from '../../apps/audit/src/log/log-entry';
import { progress } from './report';

/** A log row with its hashes already computed, so that inserting it costs only the database. */
export interface PreparedRow {
  readonly entry: LogEntryInput;
  readonly leaf: Buffer;
  readonly chain: Buffer;
}

export interface InsertResult {
  readonly method: string;
  readonly rows: number;
  /** Time spent in the database: from sending BEGIN to COMMIT returning, summed over batches. */
  readonly seconds: number;
  readonly entriesPerSecond: number;
  /** Time node-pg took to encode the parameters (escaping the JSON bodies into text[] literals). */
  readonly encodingSeconds: number;
  readonly entriesPerSecondWithEncoding: number;
}

/**
 * audit.entries exactly as the service creates it: its own migrations, run in order, so the
 * baseline's table cannot drift from the real one. Its triggers fire only on UPDATE, DELETE
 * and TRUNCATE, so they cost an INSERT nothing.
 */
async function createEntriesTable(client: Client): Promise<void> {
  await client.query('CREATE SCHEMA IF NOT EXISTS audit');
  const runner = { query: (sql: string) => client.query(sql) } as unknown as QueryRunner; // the migrations only call query()
  for (const Migration of AUDIT_MIGRATIONS) await new Migration().up(runner);
}

const INSERT_UNNEST = `INSERT INTO audit.entries (seq, entry_id, source, type, task_id, worker_id, decision_id, occurred_at, body, leaf_hash, chain_hash)
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::text[], $10::bytea[], $11::bytea[])`;


/**
 * node-pg's own conversion of parameters to the text PostgreSQL parses. It is not part of the
 * package's typed API, so it is declared here; using it keeps the encoding byte for byte what
 * `client.query` would send.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped internal module of pg
const { prepareValue } = require('pg/lib/utils') as { prepareValue(value: unknown): unknown };

/**
 * Inserts every row in batches of `batchSize` on one connection, one transaction per batch:
 * `encode` turns a batch into what `write` sends, before the batch's clock starts, so the rate is
 * the database's alone; the encoding time is reported beside it, since the service pays it too.
 */
async function timeBatches<E>(
  databaseUrl: string,
  rows: readonly PreparedRow[],
  batchSize: number,
  method: string,
  encode: (batch: readonly PreparedRow[], from: number) => E,
  write: (client: Client, encoded: E) => Promise<unknown>,
): Promise<InsertResult> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'bench-baseline' });
  await client.connect();
  try {
    await createEntriesTable(client);
    let lastReport = Date.now();
    let databaseNs = 0n;
    let encodingNs = 0n;
    for (let from = 0; from < rows.length; from += batchSize) {
      const batch = rows.slice(from, from + batchSize);
      const encodeStarted = process.hrtime.bigint();
      const encoded = encode(batch, from);
      const started = process.hrtime.bigint();
      encodingNs += started - encodeStarted;
      await client.query('BEGIN');
      await write(client, encoded);
      await client.query('COMMIT');
      databaseNs += process.hrtime.bigint() - started;
      if (Date.now() - lastReport >= 1_000) {
        lastReport = Date.now();
        progress(`[baseline] ${method}: ${from + batch.length} / ${rows.length} rows, ${Math.round((from + batch.length) / (Number(databaseNs) / 1e9))} rows/s of database time`);
      }
    }
    const { rows: counted } = await client.query<{ n: string }>('SELECT count(*) AS n FROM audit.entries');
    if (Number(counted[0].n) !== rows.length) throw new Error(`the baseline table holds ${counted[0].n} rows, not ${rows.length}`);
    const seconds = Number(databaseNs) / 1e9;
    const encodingSeconds = Number(encodingNs) / 1e9;
    return {
      method: `${method}, ${batchSize} rows per transaction`,
      rows: rows.length,
      seconds,
      entriesPerSecond: rows.length / seconds,
      encodingSeconds,
      entriesPerSecondWithEncoding: rows.length / (seconds + encodingSeconds),
    };
  } finally {
    await client.end();
  }
}

/** Batches of one INSERT ... SELECT FROM unnest(...) each, node-pg encoding the arrays. */
export function insertWithUnnest(databaseUrl: string, rows: readonly PreparedRow[], batchSize: number): Promise<InsertResult> {
  return timeBatches(
    databaseUrl,
    rows,
    batchSize,
    'INSERT ... SELECT FROM unnest',
    (batch, from) =>
      [
        batch.map((_, i) => from + i),
        batch.map((r) => r.entry.entryId),
        batch.map((r) => r.entry.source),
        batch.map((r) => r.entry.type),
        batch.map((r) => r.entry.taskId),
        batch.map((r) => r.entry.workerId),
        batch.map((r) => r.entry.decisionId),
        batch.map((r) => r.entry.occurredAt),
        batch.map((r) => r.entry.body),
        batch.map((r) => r.leaf),
        batch.map((r) => r.chain),
      ].map(prepareValue),
    (client, params) => client.query(INSERT_UNNEST, params),
  );
}

const COPY_ENTRIES = `COPY audit.entries (seq, entry_id, source, type, task_id, worker_id, decision_id, occurred_at, body, leaf_hash, chain_hash) FROM STDIN`;

/**
 * Batches of one `COPY … FROM STDIN` (text format) each: the fastest plain way into the table,
 * and the statement the service itself writes new entries with.
 */
export function insertWithCopy(databaseUrl: string, rows: readonly PreparedRow[], batchSize: number): Promise<InsertResult> {
  return timeBatches(
    databaseUrl,
    rows,
    batchSize,
    'COPY FROM STDIN',
    (batch, from) =>
      batch
        .map(({ entry: e, leaf, chain }, i) => `${[from + i, e.entryId, e.source, e.type, e.taskId, e.workerId, e.decisionId, e.occurredAt, e.body, leaf, chain].map(copyText).join('\t')}\n`)
        .join(''),
    (client, text) => pipeline(Readable.from([text]), client.query(copyFrom(COPY_ENTRIES))),
  );
}
