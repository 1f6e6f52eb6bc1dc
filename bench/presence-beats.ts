/*
 * Heartbeats kept by the audit service a row per worker per quarter hour (`audit.presence_beats`,
 * migration PresenceInBuckets1733400000000, written and read by `PresenceMarks`) against a row per
 * heartbeat (`audit.presence_marks`, as before that migration: the baseline), in the same run and
 * the same scratch database. The heartbeats are the throughput benchmark's workforce's
 * (`WorkforceSimulation.heartbeatsDue`: --workers, a heartbeat a minute each, spread evenly),
 * --hours of them, written in time order in statements of --batch as the audit service's consumer
 * takes them, a quarter hour of heartbeats to one kind and then the same quarter hour to the
 * other, each after a checkpoint. Then both answer the same --lookups "last heartbeat before"
 * questions, which must agree.
 *   npx tsx bench/presence-beats.ts [--workers 20000] [--hours 4] [--batch 500] [--lookups 5000] [--help]
 * Needs PostgreSQL (bash scripts/infra.sh up). Results: a table on stdout, progress on stderr,
 * JSON in bench/results/presence-beats.json. Exit status: 0 when measured, 1 when the two kinds'
 * answers differ, 2 when the run could not be made.
 */
import { join } from 'node:path';
import { insertRows } from '@clearwork/platform';
import { WorkforceSimulation } from '@clearwork/testing';
import type { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { PresenceMarks } from '../apps/audit/src/log/presence-marks';
import { AUDIT_MIGRATIONS } from '../apps/audit/src/migrations';
import { parseOptions, reproduceCommand } from './support/cli';
import { describeEnvironment, printEnvironment, ROOT } from './support/environment';
import { migratedScratch } from './support/migrated-scratch';
import { percentilesMicros, printTable, progress, seededRandom, thousands, writeJson } from './support/report';
import { walBytesSince, walPosition } from './support/wal';

const SPEC = {
  script: 'bench/presence-beats.ts',
  summary:
    "Writes --hours of a workforce's heartbeats (a minute apart) both ways the audit service has kept them,\n" +
    'a quarter hour at a time to each, alternating, each after a checkpoint: a row per worker per quarter\n' +
    'hour (now) and a row per heartbeat (the baseline, before). Reports time and WAL per heartbeat, the\n' +
    "tables' sizes, and the time of the last-heartbeat lookup, whose answers must agree.",
  options: {
    workers: { default: 20_000, min: 10, help: 'workers, each heartbeating once a minute' },
    hours: { default: 4, min: 1, help: 'hours of heartbeats written' },
    batch: { default: 500, min: 1, help: 'heartbeats per statement (one transaction each)' },
    lookups: { default: 5_000, min: 1, help: '"last heartbeat before" questions asked of each kind' },
    vacuum: { default: 1, min: 0, help: '1: VACUUM both tables after each quarter hour, untimed, as autovacuum would; 0: never, as this machine runs' },
  },
};
const RESULTS = join(ROOT, 'bench', 'results', 'presence-beats.json');
const QUARTER_HOUR_MS = 15 * 60_000;
/** A Monday at midnight UTC: the buckets start on the quarter hour, as the service's do. */
const START_MS = Date.parse('2026-12-07T00:00:00Z');

type Kind = 'marks' | 'buckets';
const BASELINE = 'marks' as const;
const BUCKETS = 'buckets' as const;
const LABEL: Record<Kind, string> = { marks: 'a row per heartbeat (before): baseline', buckets: 'a row per worker per quarter hour' };

/** The table of migration MerkleLog1732400000000, dropped by PresenceInBuckets1733400000000. */
const CREATE_MARKS = `CREATE TABLE audit.presence_marks (worker_id text NOT NULL, at timestamptz NOT NULL, PRIMARY KEY (worker_id, at))`;
/** The lookup the audit service made of that table. */
const LAST_MARK_SQL = `SELECT max(at) AS at FROM audit.presence_marks WHERE worker_id = $1 AND at <= $2`;

interface Beat {
  readonly workerId: string;
  readonly at: string;
}

/** The two ways, each writing a batch as the audit service did and does. */
function writers(dataSource: DataSource, presence: PresenceMarks): Record<Kind, (beats: readonly Beat[]) => Promise<void>> {
  return {
    marks: (beats) => insertRows(dataSource.manager, 'audit.presence_marks', ['worker_id', 'at'], beats.map((b) => [b.workerId, b.at]), 'ON CONFLICT DO NOTHING'),
    buckets: (beats) => presence.mark(beats),
  };
}

/** The table's and its indexes' files, its rows, and the bytes of its live rows (`pg_column_size` of each, headers included). */
async function tableBytes(db: Client, table: string): Promise<{ heap: number; indexes: number; rows: number; live: number }> {
  const { rows } = await db.query<{ heap: string; indexes: string; rows: string; live: string }>(
    `SELECT pg_table_size($1::regclass) AS heap, pg_indexes_size($1::regclass) AS indexes, count(*) AS rows, sum(pg_column_size(t.*)) AS live FROM ${table} t`,
    [table],
  );
  return { heap: Number(rows[0].heap), indexes: Number(rows[0].indexes), rows: Number(rows[0].rows), live: Number(rows[0].live) };
}

async function main(): Promise<void> {
  const options = parseOptions(SPEC);
  const environment = await describeEnvironment(reproduceCommand(SPEC, options));
  printEnvironment(environment);
  const { dataSource, db, drop } = await migratedScratch('bench_presence', { schema: 'audit', migrations: AUDIT_MIGRATIONS });
  try {
    await db.query(CREATE_MARKS);
    const presence = new PresenceMarks(dataSource);
    const write = writers(dataSource, presence);
    const simulation = new WorkforceSimulation({ workers: options.workers, seed: 11, idPrefix: 'bench' });
    const spent: Record<Kind, { seconds: number; walBytes: number }> = { marks: { seconds: 0, walBytes: 0 }, buckets: { seconds: 0, walBytes: 0 } };
    const indexOf = new Map(simulation.workers.map((w, i) => [w.workerId, i]));
    const period = simulation.heartbeatSeconds * 1_000;
    /** When the simulation's worker sends beat number `beat`: at its share of the period, as `heartbeatsDue` counts. */
    const sentAt = (workerId: string, beat: number) => new Date(START_MS + beat * period + Math.floor((indexOf.get(workerId)! * period) / options.workers)).toISOString();
    let beatsWritten = 0;
    const quarters = options.hours * 4;
    for (let q = 0; q < quarters; q++) {
      const beats: Beat[] = simulation
        .heartbeatsDue(q * QUARTER_HOUR_MS, (q + 1) * QUARTER_HOUR_MS)
        .map(({ workerId, beat }) => ({ workerId, at: sentAt(workerId, beat) }))
        .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
      // The baseline first in even quarters, second in odd ones: neither always meets the other's checkpoint debt.
      for (const kind of q % 2 === 0 ? [BASELINE, BUCKETS] : [BUCKETS, BASELINE]) {
        await db.query('CHECKPOINT');
        const walBefore = await walPosition(db);
        const started = process.hrtime.bigint();
        for (let i = 0; i < beats.length; i += options.batch) await write[kind](beats.slice(i, i + options.batch));
        spent[kind].seconds += Number(process.hrtime.bigint() - started) / 1e9;
        spent[kind].walBytes += await walBytesSince(db, walBefore);
      }
      beatsWritten += beats.length;
      if (options.vacuum) for (const table of ['audit.presence_marks', 'audit.presence_beats']) await db.query(`VACUUM ${table}`);
      progress(`quarter hour ${q + 1} / ${quarters}: ${thousands(beatsWritten)} heartbeats written each way; µs a heartbeat so far ${(spent[BASELINE].seconds * 1e6 / beatsWritten).toFixed(1)} (row each) and ${(spent[BUCKETS].seconds * 1e6 / beatsWritten).toFixed(1)} (quarter hours)`);
    }

    const sizes = { marks: await tableBytes(db, 'audit.presence_marks'), buckets: await tableBytes(db, 'audit.presence_beats') };

    // The same questions of both: a worker, and a time anywhere from before the first heartbeat to after the last.
    const random = seededRandom(5);
    const span = options.hours * 3_600_000;
    const questions = Array.from({ length: options.lookups }, () => ({
      workerId: simulation.workers[Math.floor(random() * options.workers)].workerId,
      at: new Date(START_MS - 60_000 + Math.floor(random() * (span + 120_000))).toISOString(),
    }));
    const answers: Record<Kind, (string | null)[]> = { marks: [], buckets: [] };
    const lookupNs: Record<Kind, bigint[]> = { marks: [], buckets: [] };
    const ask: Record<Kind, (q: Beat) => Promise<string | null>> = {
      marks: async (q) => {
        const { rows } = await db.query<{ at: Date | null }>({ name: 'last-mark', text: LAST_MARK_SQL, values: [q.workerId, q.at] });
        return rows[0]?.at ? rows[0].at.toISOString() : null;
      },
      buckets: (q) => presence.lastBefore(q.workerId, q.at),
    };
    for (let round = 0; round < 2; round++) {
      for (const kind of round === 0 ? [BASELINE, BUCKETS] : [BUCKETS, BASELINE]) {
        for (const q of questions) {
          const started = process.hrtime.bigint();
          const answer = await ask[kind](q);
          lookupNs[kind].push(process.hrtime.bigint() - started);
          if (round === 0) answers[kind].push(answer);
        }
      }
    }
    const disagreements = questions.filter((_, i) => answers[BASELINE][i] !== answers[BUCKETS][i]).length;
    progress(`${thousands(options.lookups)} lookups each, asked twice: ${disagreements} answers differ`);

    const summary = (kind: Kind) => ({
      microsPerBeat: (spent[kind].seconds * 1e6) / beatsWritten,
      walBytesPerBeat: spent[kind].walBytes / beatsWritten,
      bytesPerBeat: (sizes[kind].heap + sizes[kind].indexes) / beatsWritten,
      liveBytesPerBeat: sizes[kind].live / beatsWritten,
      sizes: sizes[kind],
      lookup: percentilesMicros(lookupNs[kind]),
    });
    const summaries = { marks: summary(BASELINE), buckets: summary(BUCKETS) };
    const { marks: before, buckets: now } = summaries;
    const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;
    const vacuumed = options.vacuum ? 'VACUUM after each quarter hour' : 'never vacuumed';
    console.log(`\n${thousands(beatsWritten)} heartbeats of ${thousands(options.workers)} workers (${options.hours} hours), ${options.batch} a statement, ${vacuumed}; ${thousands(options.lookups)} lookups asked twice\n`);
    printTable(
      ['heartbeats kept', 'µs a heartbeat', 'WAL bytes a heartbeat', 'rows', 'table + indexes', 'bytes a heartbeat', 'of which live rows', 'lookup p50 / p99 µs'],
      [BASELINE, BUCKETS].map((kind) => {
        const s = summaries[kind];
        return [
          LABEL[kind],
          s.microsPerBeat.toFixed(1),
          thousands(s.walBytesPerBeat),
          thousands(s.sizes.rows),
          `${mb(s.sizes.heap)} + ${mb(s.sizes.indexes)}`,
          thousands(s.bytesPerBeat, 1),
          thousands(s.liveBytesPerBeat, 1),
          `${s.lookup.p50.toFixed(0)} / ${s.lookup.p99.toFixed(0)}`,
        ];
      }),
    );
    const ratio = {
      time: now.microsPerBeat / before.microsPerBeat,
      wal: now.walBytesPerBeat / before.walBytesPerBeat,
      space: now.bytesPerBeat / before.bytesPerBeat,
      lookupP50: now.lookup.p50 / before.lookup.p50,
    };
    console.log(
      `\nratio quarter hours / row each: time ${ratio.time.toFixed(2)}, WAL ${ratio.wal.toFixed(2)}, space ${ratio.space.toFixed(3)} (${vacuumed}), lookup p50 ${ratio.lookupP50.toFixed(2)}; answers that differ: ${disagreements}`,
    );
    writeJson(RESULTS, { benchmark: 'presence-beats', measuredAt: new Date().toISOString(), environment, options, heartbeats: beatsWritten, before, now, ratio, disagreements });
    console.log(`\nresults written to ${RESULTS.replace(`${ROOT}/`, '')}`);
    if (disagreements > 0) process.exitCode = 1;
  } finally {
    await drop();
  }
}

main().catch((error: Error) => {
  console.error(`presence-beats benchmark failed: ${error.message} (is PostgreSQL up? bash scripts/infra.sh up)`);
  process.exit(2);
});
