/**
 * Heartbeats of clients that heartbeat far faster than asked, kept by the audit service
 * (`PresenceMarks`): with the quarter hour's row capped and the rest in rows of a minute and of a
 * second (now), against the quarter hour's row taking every heartbeat (the baseline: the
 * statement before, copied here), in one run.
 *
 * --flooders clients heartbeat every --interval-ms beside --workers that heartbeat once a minute,
 * for --minutes, written in time order in statements of --batch as the audit service's consumer
 * takes them. Each round writes them both ways, each on a fresh database after a checkpoint, which
 * goes first alternating. Reports time, PostgreSQL's CPU and WAL per heartbeat and the largest
 * row; then both answer the same "last heartbeat before" questions, which must agree.
 */
import { join } from 'node:path';
import { sqlRows } from '@clearwork/platform';
import type { DataSource } from 'typeorm';
import { LAST_SQL, MARK_SQL } from '../apps/audit/src/log/presence-marks';
import { AUDIT_MIGRATIONS } from '../apps/audit/src/migrations';
import { parseOptions, reproduceCommand } from './support/cli';
import { describeEnvironment, printEnvironment, ROOT } from './support/environment';
import { migratedScratch, type MigratedScratch } from './support/migrated-scratch';
import { cpuSecondsBetween, cpuSnapshot } from './support/process-cpu';
import { median, printTable, progress, seededRandom, thousands, writeJson } from './support/report';
import { walBytesSince, walPosition } from './support/wal';

const SPEC = {
  script: 'bench/presence-flood.ts',
  summary:
    'Writes the heartbeats of clients heartbeating far too often, beside a workforce heartbeating once a\n' +
    "minute, both ways the audit service has kept them: the quarter hour's row capped, the rest in rows of\n" +
    "a minute and a second (now), and the quarter hour's row taking every one (the baseline, before).\n" +
    'Reports time, PostgreSQL CPU and WAL per heartbeat and the largest row; the answers must agree.',
  options: {
    flooders: { default: 20, min: 1, help: 'clients heartbeating every --interval-ms' },
    'interval-ms': { default: 200, min: 1, help: "the flooding clients' interval" },
    workers: { default: 2_000, min: 0, help: 'workers heartbeating once a minute beside them' },
    minutes: { default: 15, min: 1, help: 'minutes of heartbeats written' },
    batch: { default: 500, min: 1, help: 'heartbeats per statement (one transaction each)' },
    rounds: { default: 2, min: 1, help: 'rounds, each writing both ways on fresh databases' },
    lookups: { default: 2_000, min: 1, help: '"last heartbeat before" questions asked of each way' },
  },
};
const RESULTS = join(ROOT, 'bench', 'results', 'presence-flood.json');
/** A quarter hour's start, as the service's buckets are. */
const START_MS = Date.parse('2026-12-07T10:00:00Z');

type Kind = 'one-row' | 'capped';
const LABEL: Record<Kind, string> = { 'one-row': "the quarter hour's row takes every one (before): baseline", capped: 'capped, then rows of a minute and a second (now)' };

/** The statement before: every heartbeat merged into its quarter hour's row. */
const ONE_ROW_MARK_SQL = `INSERT INTO audit.presence_beats (worker_id, bucket, beats)
  SELECT w, date_bin('15 minutes', a, TIMESTAMPTZ '2000-01-01 00:00:00+00'), array_agg(DISTINCT a ORDER BY a)
  FROM unnest($1::text[], $2::timestamptz[]) AS t(w, a)
  GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (worker_id, bucket) DO UPDATE
  SET beats = ARRAY(SELECT DISTINCT b FROM unnest(presence_beats.beats || EXCLUDED.beats) AS b ORDER BY b)`;
const SQL: Record<Kind, string> = { 'one-row': ONE_ROW_MARK_SQL, capped: MARK_SQL };

interface Beat {
  readonly workerId: string;
  readonly at: string;
}

/** Every heartbeat of the run, in time order. */
function heartbeats(options: ReturnType<typeof parseOptions<typeof SPEC.options>>): Beat[] {
  const random = seededRandom(3);
  const beats: { workerId: string; atMs: number }[] = [];
  const end = START_MS + options.minutes * 60_000;
  for (let f = 0; f < options.flooders; f++) {
    for (let t = START_MS + random() * options['interval-ms']; t < end; t += options['interval-ms']) beats.push({ workerId: `flood-${f}`, atMs: t });
  }
  for (let w = 0; w < options.workers; w++) {
    for (let t = START_MS + random() * 60_000; t < end; t += 60_000) beats.push({ workerId: `w-${w}`, atMs: t });
  }
  beats.sort((a, b) => a.atMs - b.atMs);
  return beats.map((b) => ({ workerId: b.workerId, at: new Date(Math.floor(b.atMs)).toISOString() }));
}

async function write(scratch: MigratedScratch, kind: Kind, beats: readonly Beat[], batch: number) {
  const ds = scratch.dataSource;
  await scratch.db.query('CHECKPOINT');
  const wal = await walPosition(scratch.db);
  const cpu = cpuSnapshot();
  const started = performance.now();
  for (let i = 0; i < beats.length; i += batch) {
    const some = beats.slice(i, i + batch);
    await sqlRows(ds.manager, SQL[kind], [some.map((b) => b.workerId), some.map((b) => b.at)]);
  }
  const seconds = (performance.now() - started) / 1_000;
  const postgres = cpuSecondsBetween(cpu, cpuSnapshot(), 'postgres');
  const walBytes = await walBytesSince(scratch.db, wal);
  const [rows] = await sqlRows<{ largest: number; bytes: string }>(ds.manager,
    `SELECT max(pg_column_size(beats))::int AS largest,
            pg_total_relation_size('audit.presence_beats') + pg_total_relation_size('audit.presence_beats_fine') AS bytes
     FROM (SELECT beats FROM audit.presence_beats UNION ALL SELECT beats FROM audit.presence_beats_fine) r`);
  return { seconds, postgres, walBytes, largest: rows.largest, bytes: Number(rows.bytes) };
}

async function main(): Promise<void> {
  const options = parseOptions(SPEC);
  const environment = await describeEnvironment(reproduceCommand(SPEC, options));
  printEnvironment(environment);
  const beats = heartbeats(options);
  const n = beats.length;
  progress(`${thousands(n)} heartbeats: ${options.flooders} clients every ${options['interval-ms']} ms and ${thousands(options.workers)} workers every minute, for ${options.minutes} min`);
  const spent: Record<Kind, { micros: number[]; postgresMicros: number[]; walBytes: number[]; largest: number[]; bytes: number[] }> = {
    'one-row': { micros: [], postgresMicros: [], walBytes: [], largest: [], bytes: [] },
    capped: { micros: [], postgresMicros: [], walBytes: [], largest: [], bytes: [] },
  };
  const random = seededRandom(5);
  let disagreements = 0;
  for (let round = 0; round < options.rounds; round++) {
    const order: Kind[] = round % 2 === 0 ? ['one-row', 'capped'] : ['capped', 'one-row'];
    const scratches = new Map<Kind, MigratedScratch>();
    try {
      for (const kind of order) {
        const scratch = await migratedScratch(`bench_flood_${kind.replace('-', '_')}`, { schema: 'audit', migrations: AUDIT_MIGRATIONS });
        scratches.set(kind, scratch);
        const r = await write(scratch, kind, beats, options.batch);
        spent[kind].micros.push((r.seconds * 1e6) / n);
        spent[kind].postgresMicros.push((r.postgres * 1e6) / n);
        spent[kind].walBytes.push(r.walBytes / n);
        spent[kind].largest.push(r.largest);
        spent[kind].bytes.push(r.bytes);
        progress(`round ${round + 1}: ${LABEL[kind]}: ${thousands(r.seconds, 1)} s, ${thousands(r.walBytes / 1_048_576, 1)} MB of WAL, largest row ${thousands(r.largest)} bytes`);
      }
      // The same questions of both: a flooding client's and a worker's, at random times.
      const ask = async (ds: DataSource, workerId: string, at: string) => (await sqlRows<{ at: Date | null }>(ds.manager, LAST_SQL, [workerId, at]))[0]?.at?.toISOString() ?? null;
      for (let q = 0; q < options.lookups; q++) {
        const workerId = q % 2 === 0 ? `flood-${Math.floor(random() * options.flooders)}` : `w-${Math.floor(random() * Math.max(1, options.workers))}`;
        const at = new Date(START_MS - 60_000 + Math.floor(random() * (options.minutes + 2) * 60_000)).toISOString();
        const [a, b] = await Promise.all(order.map((kind) => ask(scratches.get(kind)!.dataSource, workerId, at)));
        if (a !== b) disagreements++;
      }
    } finally {
      for (const scratch of scratches.values()) await scratch.drop();
    }
  }

  const summary = (kind: Kind) => ({
    kind,
    label: LABEL[kind],
    microsPerBeat: median(spent[kind].micros),
    postgresMicrosPerBeat: median(spent[kind].postgresMicros),
    walBytesPerBeat: median(spent[kind].walBytes),
    largestRowBytes: Math.max(...spent[kind].largest),
    storedBytes: median(spent[kind].bytes),
    rounds: spent[kind],
  });
  const base = summary('one-row');
  const now = summary('capped');
  printTable(
    ['heartbeats kept', 'time a heartbeat', 'PostgreSQL CPU a heartbeat', 'WAL a heartbeat', 'largest row', 'stored'],
    [base, now].map((s) => [s.label, `${thousands(s.microsPerBeat, 1)} µs`, `${thousands(s.postgresMicrosPerBeat, 1)} µs`, `${thousands(s.walBytesPerBeat)} B`, `${thousands(s.largestRowBytes)} B`, `${thousands(s.storedBytes / 1_048_576, 1)} MB`]),
  );
  const ratios = { time: now.microsPerBeat / base.microsPerBeat, postgresCpu: now.postgresMicrosPerBeat / base.postgresMicrosPerBeat, wal: now.walBytesPerBeat / base.walBytesPerBeat };
  console.log(`capped against one row: time ${thousands(ratios.time, 2)}, PostgreSQL CPU ${thousands(ratios.postgresCpu, 2)}, WAL ${thousands(ratios.wal, 2)}; ${disagreements} of ${thousands(options.lookups * options.rounds)} answers differ`);
  writeJson(RESULTS, { environment, options, heartbeats: n, baseline: base, capped: now, ratios, disagreements });
  console.log(`results: ${RESULTS}`);
  if (disagreements > 0) process.exit(1);
}

main().catch((error: unknown) => {
  console.error(`presence-flood failed: ${(error as Error).message}\nIs PostgreSQL up? Start it with: npm run infra:up`);
  process.exit(2);
});
