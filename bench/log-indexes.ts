/*
 * Appending entries to the audit log's table with its task, worker and decision indexes partial
 * (`WHERE … IS NOT NULL`, migration EntriesIndexedWhereSet1732800000000) against the same appends
 * with those indexes whole (the baseline, as before that migration), in the same run. Both tables
 * have the log's columns, its six indexes and lz4 bodies; the entries come in the mix the
 * throughput benchmark's log holds, ten a task: TaskPosted (a task id only), DecisionRecorded and
 * OfferMade (task, worker and decision ids), OfferAccepted, TaskAssigned, TaskSubmitted and
 * TaskReviewed (task and worker), and three WorkerScored (a worker id only).
 *   npx tsx bench/log-indexes.ts [--rows 1000000] [--appends 300000] [--help]
 * Needs PostgreSQL (bash scripts/infra.sh up). Results: a table on stdout, progress on stderr,
 * JSON in bench/results/log-indexes.json. Exit status: 0 when measured, 2 when the run could not
 * be made.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { createScratchDatabase, type ScratchDatabase } from './support/audit-service';
import { parseOptions, reproduceCommand } from './support/cli';
import { describeEnvironment, printEnvironment, ROOT } from './support/environment';
import { printTable, progress, thousands, writeJson } from './support/report';
import { walBytesSince, walPosition } from './support/wal';

const SPEC = {
  script: 'bench/log-indexes.ts',
  summary:
    "Appends entries to two tables shaped like the audit log's, already holding --rows entries each, in\n" +
    "statements of --batch rows as the log's group commits write them: the task, worker and decision\n" +
    'indexes partial (only entries with the id) against whole (the baseline), alternating, each after a\n' +
    'checkpoint. Reports time, WAL and index sizes.',
  options: {
    rows: { default: 1_000_000, min: 1_000, help: 'entries in each table before the appends' },
    appends: { default: 300_000, min: 1_000, help: 'entries appended in each measured round' },
    batch: { default: 500, min: 10, help: 'entries per statement (one transaction each)' },
    rounds: { default: 2, min: 1, help: 'measured rounds of each kind, alternating' },
  },
};
const RESULTS = join(ROOT, 'bench', 'results', 'log-indexes.json');
const PRELOAD_CHUNK = 20_000;

type Kind = 'whole' | 'partial';
const KINDS: readonly Kind[] = ['whole', 'partial'];
const TABLE: Record<Kind, string> = { whole: 'entries_whole', partial: 'entries_partial' };

/** The log's table (migration MerkleLog1732400000000, bodies lz4 as Lz4ForBodies1732600000000), without its triggers. */
const CREATE_TABLE = (table: string) => `CREATE TABLE ${table} (
  seq bigint PRIMARY KEY, entry_id text NOT NULL UNIQUE, source text NOT NULL, type text NOT NULL,
  task_id text, worker_id text, decision_id text, occurred_at timestamptz NOT NULL,
  body text COMPRESSION lz4 NOT NULL, leaf_hash bytea NOT NULL, chain_hash bytea NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now())`;

/** The lookup indexes of each kind: `partial` as migration EntriesIndexedWhereSet1732800000000 makes them. */
const INDEXES: Record<Kind, (table: string) => string[]> = {
  whole: (t) => [`CREATE INDEX ON ${t} (task_id, seq)`, `CREATE INDEX ON ${t} (worker_id, seq)`, `CREATE INDEX ON ${t} (decision_id)`, `CREATE INDEX ON ${t} (type, occurred_at)`],
  partial: (t) => [
    `CREATE INDEX ON ${t} (task_id, seq) WHERE task_id IS NOT NULL`,
    `CREATE INDEX ON ${t} (worker_id, seq) WHERE worker_id IS NOT NULL`,
    `CREATE INDEX ON ${t} (decision_id) WHERE decision_id IS NOT NULL`,
    `CREATE INDEX ON ${t} (type, occurred_at)`,
  ],
};

/**
 * Entries `$1` to `$1 + $2 - 1`, made by PostgreSQL so the statements' cost is what is measured:
 * entry `i` is of task `i / 10`, its type and ids by `i % 10`, bodies of the sizes measured in the
 * log (about 4 KB for a decision, 260–525 bytes for the rest), random entry ids, time-ordered
 * decision ids, a worker among 20,000.
 */
const APPEND = (table: string) => `INSERT INTO ${table} (seq, entry_id, source, type, task_id, worker_id, decision_id, occurred_at, body, leaf_hash, chain_hash)
  SELECT i, gen_random_uuid()::text, 'gig.events', t.type,
    CASE WHEN t.task THEN 'task-' || md5((i / 10)::text) END,
    CASE WHEN t.worker THEN 'worker-' || ((hashint8(i / 10 + t.k / 6) & 32767) % 20000)::text END,
    CASE WHEN t.decision THEN lpad(to_hex(i / 10), 12, '0') || '-7000-8000-' || left(md5((i / 10)::text), 12) END,
    now() + make_interval(secs => i / 2000.0),
    repeat(md5(i::text), t.body / 32), sha256(int8send(i)), sha256(int8send(-i))
  FROM generate_series($1::bigint, $1::bigint + $2 - 1) AS i
  JOIN (VALUES (0, 'TaskPosted', true, false, false, 400), (1, 'DecisionRecorded', true, true, true, 4000), (2, 'OfferMade', true, true, true, 420),
               (3, 'OfferAccepted', true, true, false, 290), (4, 'TaskAssigned', true, true, false, 290), (5, 'TaskSubmitted', true, true, false, 260),
               (6, 'WorkerScored', false, true, false, 525), (7, 'WorkerScored', false, true, false, 525), (8, 'TaskReviewed', true, true, false, 300),
               (9, 'WorkerScored', false, true, false, 525))
    AS t(k, type, task, worker, decision, body) ON t.k = i % 10`;

interface Round {
  readonly kind: Kind;
  readonly seconds: number;
  readonly walBytes: number;
}

async function indexSizes(db: Client, table: string): Promise<Record<string, number>> {
  const { rows } = await db.query<{ columns: string; bytes: string }>(
    `SELECT regexp_replace(pg_get_indexdef(indexrelid), '^.* USING btree ', '') AS columns, pg_relation_size(indexrelid) AS bytes
     FROM pg_index WHERE indrelid = $1::regclass ORDER BY 1`,
    [table],
  );
  return Object.fromEntries(rows.map((r) => [r.columns, Number(r.bytes)]));
}

async function main(): Promise<void> {
  const options = parseOptions(SPEC);
  const environment = await describeEnvironment(reproduceCommand(SPEC, options));
  printEnvironment(environment);
  const scratch: ScratchDatabase = await createScratchDatabase(`bench_log_indexes_${randomBytes(4).toString('hex')}`);
  const db = new Client({ connectionString: scratch.url });
  await db.connect();
  try {
    for (const kind of KINDS) {
      const table = TABLE[kind];
      await db.query(CREATE_TABLE(table));
      for (const index of INDEXES[kind](table)) await db.query(index);
      for (let done = 0; done < options.rows; done += PRELOAD_CHUNK) {
        await db.query(APPEND(table), [done, Math.min(PRELOAD_CHUNK, options.rows - done)]);
        if ((done / PRELOAD_CHUNK) % 10 === 9) progress(`[${kind}] ${thousands(done + PRELOAD_CHUNK)} / ${thousands(options.rows)} entries loaded`);
      }
      progress(`[${kind}] ${thousands(options.rows)} entries loaded`);
    }
    await db.query('VACUUM ANALYZE');

    const rounds: Round[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const first = options.rows + round * options.appends;
      for (const kind of KINDS) {
        await db.query('CHECKPOINT');
        const walBefore = await walPosition(db);
        const started = process.hrtime.bigint();
        for (let at = 0; at < options.appends; at += options.batch) {
          await db.query(APPEND(TABLE[kind]), [first + at, Math.min(options.batch, options.appends - at)]);
        }
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const walBytes = await walBytesSince(db, walBefore);
        rounds.push({ kind, seconds, walBytes });
        progress(`[round ${round + 1}, ${kind}] ${thousands(options.appends)} entries in ${seconds.toFixed(2)} s, ${thousands(walBytes / options.appends)} bytes of WAL each`);
      }
    }

    const summary = (kind: Kind) => {
      const of = rounds.filter((r) => r.kind === kind);
      const n = of.length * options.appends;
      return { kind, microsPerRow: (of.reduce((s, r) => s + r.seconds, 0) * 1e6) / n, walBytesPerRow: of.reduce((s, r) => s + r.walBytes, 0) / n };
    };
    const whole = summary('whole');
    const partial = summary('partial');
    const sizes = { whole: await indexSizes(db, TABLE.whole), partial: await indexSizes(db, TABLE.partial) };
    const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(0)} MB`;
    console.log(`\n${thousands(options.appends)} entries appended ${options.rounds} times each kind to tables of ${thousands(options.rows)}, ${options.batch} a statement\n`);
    printTable(
      ['task, worker and decision indexes', 'µs per entry', 'WAL bytes per entry', 'their sizes at the end (task, worker, decision)'],
      [
        ['whole (before): baseline', whole.microsPerRow.toFixed(1), thousands(whole.walBytesPerRow), lookupSizes(sizes.whole).map(mb).join(', ')],
        ['partial', partial.microsPerRow.toFixed(1), thousands(partial.walBytesPerRow), lookupSizes(sizes.partial).map(mb).join(', ')],
      ],
    );
    const ratio = { time: partial.microsPerRow / whole.microsPerRow, wal: partial.walBytesPerRow / whole.walBytesPerRow };
    console.log(`\nratio partial / whole: time ${ratio.time.toFixed(2)}, WAL ${ratio.wal.toFixed(2)}`);
    writeJson(RESULTS, { benchmark: 'log-indexes', measuredAt: new Date().toISOString(), environment, options, rounds, whole, partial, ratio, indexBytes: sizes });
    console.log(`\nresults written to ${RESULTS.replace(`${ROOT}/`, '')}`);
  } finally {
    await db.end();
    await scratch.drop();
  }
}

/** The sizes of the task, worker and decision indexes, in that order. */
function lookupSizes(sizes: Record<string, number>): number[] {
  const of = (prefix: string) => Object.entries(sizes).find(([columns]) => columns.startsWith(prefix))?.[1] ?? 0;
  return [of('(task_id'), of('(worker_id'), of('(decision_id')];
}

main().catch((error: Error) => {
  console.error(`log-indexes benchmark failed: ${error.message} (is PostgreSQL up? bash scripts/infra.sh up)`);
  process.exit(2);
});
