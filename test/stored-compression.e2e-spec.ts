import { lz4Available } from '@clearwork/platform';
import { AUDIT_MIGRATIONS } from '../apps/audit/src/migrations';
import { dispatcherDatabase, scratchDatabase } from './support/scratch-database';

/**
 * The columns that hold whole decisions (about 4 KB each) compress with lz4 once migrated, where
 * PostgreSQL has it, and keep PostgreSQL's default where it does not; values read back as stored.
 */
describe('stored compression against PostgreSQL', () => {
  const dispatcher = dispatcherDatabase('cw_lz4_d');
  const audit = scratchDatabase('cw_lz4_a', { schema: 'audit', migrations: AUDIT_MIGRATIONS });

  const compressionOf = async (db: typeof dispatcher, table: string, column: string) => {
    const { rows } = await db.writer.query<{ c: string }>(
      `SELECT attcompression::text AS c FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2`,
      [table, column],
    );
    expect(rows).toHaveLength(1);
    return rows[0].c;
  };

  it('sets lz4 on decision records, outbox values and log entries where PostgreSQL has it', async () => {
    const lz4 = await lz4Available(dispatcher.dataSource.manager);
    // This project's machines and images have it; a PostgreSQL without it keeps the default ('').
    const expected = lz4 ? 'l' : '';
    expect(await compressionOf(dispatcher, 'dispatcher.decisions', 'record')).toBe(expected);
    expect(await compressionOf(dispatcher, 'dispatcher.outbox', 'value')).toBe(expected);
    expect(await compressionOf(audit, 'audit.entries', 'body')).toBe(expected);
    // Columns not named keep the default.
    expect(await compressionOf(dispatcher, 'dispatcher.tasks', 'spec')).toBe('');
  });

  it('reads a large record back as it was stored', async () => {
    const record = { topK: Array.from({ length: 40 }, (_, i) => ({ rank: i + 1, workerId: `w-${i}`, components: { quality: i / 40, latency: 0.5 } })) };
    expect(JSON.stringify(record).length).toBeGreaterThan(2_500); // long enough to be compressed
    await dispatcher.writer.query(
      `INSERT INTO dispatcher.decisions (decision_id, task_id, replica, attempt, record, decided_at) VALUES ('d-lz4', 't-lz4', 1, 1, $1, now())`,
      [JSON.stringify(record)],
    );
    const { rows } = await dispatcher.writer.query<{ record: unknown; method: string | null }>(
      `SELECT record, pg_column_compression(record) AS method FROM dispatcher.decisions WHERE decision_id = 'd-lz4'`,
    );
    expect(rows[0].record).toEqual(record);
    expect(rows[0].method).toBe((await lz4Available(dispatcher.dataSource.manager)) ? 'lz4' : 'pglz');
  });
});
