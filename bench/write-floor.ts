/**
 * The rows a task leaves in PostgreSQL, written the cheapest way there is: how many tasks a second
 * PostgreSQL could take on this machine if every service wrote a second's worth of its rows at
 * once (one COPY per table, one transaction per second's worth), with nothing else to do.
 *
 * It is a floor, not a design: only the inserts are replayed, so it leaves out every update (a
 * replica offered then assigned, an offer closed, a worker's state and scores rewritten by each
 * event), every read (the candidate search, the claims of redelivered events, the log's chain),
 * the outbox rows (inserted and deleted again) and the heartbeats. Whatever it reports, the
 * engine's own writes cost more.
 *
 * The rows are a real run's, read from the scratch database that
 * `npx tsx bench/throughput.ts ... --keep-database 1` leaves: those of the tasks and of what they
 * caused, not the workforce's registration. They are written both into tables migrated as the
 * services migrate them (their keys, indexes, triggers and compression) and, as the baseline in
 * the same run, into bare copies of the same tables (same columns and compression, no index,
 * constraint or trigger): what it costs PostgreSQL merely to take the bytes. Each round uses a
 * fresh scratch database, alternates which goes first, and checkpoints before each.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import type { ServiceDataSourceOptions } from '@clearwork/platform';
import type { Client } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { AUDIT_MIGRATIONS } from '../apps/audit/src/migrations';
import { DISPATCHER_MIGRATIONS } from '../apps/dispatcher/src/dispatcher.module';
import { SCORING_MIGRATIONS } from '../apps/scoring/src/scoring.module';
import { postgresCheckpoint } from './support/audit-service';
import { ROOT } from './support/environment';
import { keptDatabaseCommand, openKeptDatabase } from './support/kept-database';
import { migratedScratch } from './support/migrated-scratch';
import { cpuSecondsBetween, cpuSnapshot } from './support/process-cpu';
import { median, printTable, progress, thousands, writeJson } from './support/report';
import { walBytesSince, walPosition } from './support/wal';

const SPEC = {
  script: 'bench/write-floor.ts <database>',
  summary:
    "Replays the inserts a kept throughput run's tasks caused (<database>, left by bench/throughput.ts\n" +
    '--keep-database 1) into freshly migrated tables and into bare copies of them (the baseline), a\n' +
    "--batch-tasks share of every table per transaction, one COPY per table, and reports PostgreSQL's CPU\n" +
    'per task: the most tasks a second PostgreSQL could take if the services wrote nothing else.',
  options: {
    'batch-tasks': { default: 5_000, min: 1, help: 'tasks whose rows go in one transaction (5,000: a second at the target rate)' },
    rounds: { default: 3, min: 1, help: 'rounds, each on a fresh scratch database, alternating which goes first' },
    'target-rate': { default: 5_000, min: 1, help: 'tasks/s the report sets the floor against' },
  },
};
const RESULTS = join(ROOT, 'bench', 'results', 'write-floor.json');

/** What registering and bringing the workforce online leaves: not a task's doing. */
const WORKFORCE_TYPES = `('WorkerRegistered', 'WorkerWentOnline')`;

/**
 * The tables a task's flow inserts into, and which of their rows it inserted. Left out: the
 * workers' tables (one row each, rewritten in place), the outbox (deleted once published), the
 * heartbeats, policies, checkpoints and migrations.
 */
const TABLES: readonly { readonly table: string; readonly where?: string; readonly order: string }[] = [
  { table: 'dispatcher.tasks', order: 'posted_at, task_id' },
  { table: 'dispatcher.task_replicas', order: 'posted_at, task_id, replica' },
  { table: 'dispatcher.decisions', order: 'decision_id' },
  { table: 'dispatcher.offers', order: 'offer_id' },
  { table: 'dispatcher.assignments', order: 'offer_id' },
  { table: 'dispatcher.processed_events', where: `type NOT IN ${WORKFORCE_TYPES}`, order: 'event_id' },
  { table: 'scoring.processed_events', where: `type NOT IN ${WORKFORCE_TYPES}`, order: 'event_id' },
  { table: 'scoring.evidence', order: 'occurred_at, event_id' },
  { table: 'scoring.score_history', where: `event_type NOT IN ${WORKFORCE_TYPES}`, order: 'occurred_at, event_id' },
  { table: 'scoring.offers', order: 'offered_at, offer_id' },
  { table: 'scoring.task_estimates', order: 'task_id' },
  // The log from the first task on: before it, only the workforce's registrations and their scores.
  { table: 'audit.entries', where: `seq >= (SELECT min(seq) FROM audit.entries WHERE type = 'TaskPosted')`, order: 'seq' },
  { table: 'audit.candidates', order: 'seq, rank' },
];
const SCHEMAS: readonly [Pick<ServiceDataSourceOptions, 'schema' | 'migrations'>, ...Pick<ServiceDataSourceOptions, 'schema' | 'migrations'>[]] = [
  { schema: 'dispatcher', migrations: DISPATCHER_MIGRATIONS },
  { schema: 'scoring', migrations: SCORING_MIGRATIONS },
  { schema: 'audit', migrations: AUDIT_MIGRATIONS },
];

type Kind = 'migrated' | 'bare';
const LABEL: Record<Kind, string> = { bare: 'bare copies (no index, constraint or trigger): baseline', migrated: "the services' tables" };

interface TableRows {
  readonly table: string;
  readonly columns: readonly string[];
  /** COPY text lines (each ending in a newline), split into the transactions they go in. */
  readonly batches: readonly string[][];
  readonly rows: number;
  readonly bytes: number;
}

interface Replay {
  readonly kind: Kind;
  readonly round: number;
  readonly seconds: number;
  readonly postgresCpuSeconds: number;
  readonly walBytes: number;
  readonly storedBytes: number;
  /** PostgreSQL's CPU seconds while each table's COPY ran, summed over the transactions. */
  readonly cpuByTable: Record<string, number>;
}

/** The columns COPY names, in table order (generated and dropped ones left out). */
async function columnsOf(db: Client, table: string): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum`,
    [table],
  );
  return rows.map((r) => r.name);
}

async function copyOut(db: Client, sql: string): Promise<string[]> {
  const lines: string[] = [];
  let rest = '';
  for await (const chunk of db.query(copyTo(sql)) as AsyncIterable<Buffer>) {
    const text = rest + chunk.toString('utf8');
    const parts = text.split('\n');
    rest = parts.pop()!;
    for (const p of parts) lines.push(`${p}\n`);
  }
  if (rest !== '') throw new Error('COPY output ended inside a row');
  return lines;
}

/**
 * Reads the rows and splits them into `batchCount` transactions: a replica goes with its task
 * (the one foreign key); every other table's rows are cut into equal runs in their order.
 */
async function readRows(db: Client, batchCount: number): Promise<TableRows[]> {
  const tables: TableRows[] = [];
  const batchOfTask = new Map<string, number>();
  for (const t of TABLES) {
    const columns = await columnsOf(db, t.table);
    const lines = await copyOut(db, `COPY (SELECT ${columns.join(', ')} FROM ${t.table}${t.where ? ` WHERE ${t.where}` : ''} ORDER BY ${t.order}) TO STDOUT`);
    const batches: string[][] = Array.from({ length: batchCount }, () => []);
    const taskColumn = columns.indexOf('task_id');
    lines.forEach((line, i) => {
      let batch = Math.floor((i * batchCount) / lines.length);
      if (t.table === 'dispatcher.tasks') batchOfTask.set(line.split('\t')[taskColumn], batch);
      if (t.table === 'dispatcher.task_replicas') batch = batchOfTask.get(line.split('\t')[taskColumn]) ?? fail(`replica of a task not read: ${line}`);
      batches[batch].push(line);
    });
    tables.push({ table: t.table, columns, batches, rows: lines.length, bytes: lines.reduce((n, l) => n + Buffer.byteLength(l), 0) });
    progress(`read ${thousands(lines.length)} rows of ${t.table}`);
  }
  return tables;
}

function fail(message: string): never {
  throw new Error(message);
}

/** The lines joined into chunks of about 64 KB, as the services' own COPY sends them (a chunk is a message and a socket write). */
function* inChunks(lines: readonly string[]): Generator<string> {
  let text = '';
  for (const line of lines) {
    text += line;
    if (text.length >= 65_536) {
      yield text;
      text = '';
    }
  }
  if (text !== '') yield text;
}

const bareName = (table: string) => `bare_${table.replace('.', '_')}`;

async function replay(db: Client, kind: Kind, round: number, tables: readonly TableRows[], batchCount: number): Promise<Replay> {
  const target = (table: string) => (kind === 'bare' ? `bare.${bareName(table)}` : table);
  await postgresCheckpoint();
  const wal = await walPosition(db);
  const cpu = cpuSnapshot();
  const cpuByTable: Record<string, number> = Object.fromEntries(tables.map((t) => [t.table, 0]));
  const started = performance.now();
  for (let b = 0; b < batchCount; b++) {
    await db.query('BEGIN');
    for (const t of tables) {
      const lines = t.batches[b];
      if (lines.length === 0) continue;
      const before = cpuSnapshot();
      await pipeline(Readable.from(inChunks(lines)), db.query(copyFrom(`COPY ${target(t.table)} (${t.columns.join(', ')}) FROM STDIN`)));
      cpuByTable[t.table] += cpuSecondsBetween(before, cpuSnapshot(), 'postgres');
    }
    await db.query('COMMIT');
  }
  const seconds = (performance.now() - started) / 1_000;
  const postgresCpuSeconds = cpuSecondsBetween(cpu, cpuSnapshot(), 'postgres');
  const walBytes = await walBytesSince(db, wal);
  let storedBytes = 0;
  for (const t of tables) {
    const { rows } = await db.query<{ n: string; bytes: string }>(`SELECT (SELECT count(*) FROM ${target(t.table)}) AS n, pg_total_relation_size($1::regclass) AS bytes`, [target(t.table)]);
    if (Number(rows[0].n) !== t.rows) throw new Error(`${target(t.table)} holds ${rows[0].n} rows after the replay, not the ${t.rows} read`);
    storedBytes += Number(rows[0].bytes);
  }
  return { kind, round, seconds, postgresCpuSeconds, walBytes, storedBytes, cpuByTable };
}

async function main(): Promise<void> {
  const { database, options, environment } = await keptDatabaseCommand(SPEC);
  const source = await openKeptDatabase(database);
  let tasks: number;
  let tables: TableRows[];
  let batchCount: number;
  try {
    tasks = Number((await source.query<{ n: string }>('SELECT count(*) AS n FROM dispatcher.tasks')).rows[0].n);
    if (tasks === 0) throw new Error(`database ${database} holds no tasks`);
    batchCount = Math.ceil(tasks / options['batch-tasks']);
    progress(`reading the rows of ${thousands(tasks)} tasks from ${database}, in ${batchCount} transactions of up to ${thousands(options['batch-tasks'])} tasks ...`);
    tables = await readRows(source, batchCount);
  } finally {
    await source.end();
  }
  const rows = tables.reduce((n, t) => n + t.rows, 0);
  const bytes = tables.reduce((n, t) => n + t.bytes, 0);
  printTable(
    ['table', 'rows', 'rows a task', 'COPY text, bytes a row'],
    tables.map((t) => [t.table, thousands(t.rows), thousands(t.rows / tasks, 2), thousands(t.bytes / Math.max(1, t.rows))]),
  );
  console.log(`${thousands(rows)} rows a replay, ${thousands(rows / tasks, 1)} a task, ${thousands(bytes / tasks)} bytes of COPY text a task\n`);

  const replays: Replay[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const { db, drop } = await migratedScratch('bench_write_floor', ...SCHEMAS);
    try {
      await db.query('CREATE SCHEMA bare');
      for (const t of tables) await db.query(`CREATE TABLE bare.${bareName(t.table)} (LIKE ${t.table} INCLUDING DEFAULTS INCLUDING COMPRESSION INCLUDING STORAGE)`);
      const order: Kind[] = round % 2 === 0 ? ['bare', 'migrated'] : ['migrated', 'bare'];
      for (const kind of order) {
        progress(`round ${round + 1}/${options.rounds}: ${LABEL[kind]} ...`);
        const r = await replay(db, kind, round, tables, batchCount);
        replays.push(r);
        progress(`  ${thousands(r.seconds, 2)} s, PostgreSQL CPU ${thousands(r.postgresCpuSeconds, 2)} s, WAL ${thousands(r.walBytes / 1e6, 1)} MB, stored ${thousands(r.storedBytes / 1e6, 1)} MB`);
      }
    } finally {
      await drop();
    }
  }

  const summary = (kind: Kind) => {
    const mine = replays.filter((r) => r.kind === kind);
    const cpu = median(mine.map((r) => r.postgresCpuSeconds));
    return {
      kind,
      label: LABEL[kind],
      medianSeconds: median(mine.map((r) => r.seconds)),
      medianPostgresCpuSeconds: cpu,
      cpuMicrosPerTask: (cpu / tasks) * 1e6,
      tasksPerCpuSecond: tasks / cpu,
      coresAtTarget: (cpu / tasks) * options['target-rate'],
      walBytesPerTask: median(mine.map((r) => r.walBytes)) / tasks,
      storedBytesPerTask: median(mine.map((r) => r.storedBytes)) / tasks,
    };
  };
  const bare = summary('bare');
  const migrated = summary('migrated');
  printTable(
    ['rows written into', 'wall s (median)', 'PostgreSQL CPU s', 'CPU a task', 'tasks per CPU second', `cores at ${thousands(options['target-rate'])} tasks/s`, 'WAL a task', 'stored a task'],
    [bare, migrated].map((s) => [
      s.label,
      thousands(s.medianSeconds, 2),
      thousands(s.medianPostgresCpuSeconds, 2),
      `${thousands(s.cpuMicrosPerTask)} µs`,
      thousands(s.tasksPerCpuSecond),
      thousands(s.coresAtTarget, 2),
      `${thousands(s.walBytesPerTask / 1_000, 1)} KB`,
      `${thousands(s.storedBytesPerTask / 1_000, 1)} KB`,
    ]),
  );
  const byTable = (kind: Kind, table: string) => median(replays.filter((r) => r.kind === kind).map((r) => r.cpuByTable[table]));
  printTable(
    ['table', 'CPU a task, bare copy', "CPU a task, the service's table", 'ratio'],
    tables.map((t) => [t.table, `${thousands((byTable('bare', t.table) / tasks) * 1e6)} µs`, `${thousands((byTable('migrated', t.table) / tasks) * 1e6)} µs`, thousands(byTable('migrated', t.table) / byTable('bare', t.table), 2)]),
  );
  const ratio = migrated.medianPostgresCpuSeconds / bare.medianPostgresCpuSeconds;
  console.log(`the services' tables cost ${thousands(ratio, 2)} times the bare copies' CPU (median of ${options.rounds} rounds each)`);
  console.log(
    `at ${thousands(options['target-rate'])} tasks/s these inserts alone would keep PostgreSQL busy ${thousands(migrated.coresAtTarget, 2)} cores of this machine's 2, ` +
      `before any update, read, outbox row, heartbeat, or any other process's work`,
  );
  writeJson(RESULTS, { environment, options, database, tasks, rows, tables: tables.map(({ batches: _b, ...t }) => t), replays, bare, migrated, ratio });
  console.log(`\nresults written to ${RESULTS.slice(ROOT.length + 1)}`);
}

main().catch((error: Error) => {
  console.error(`write-floor failed: ${error.message}`);
  process.exit(1);
});
