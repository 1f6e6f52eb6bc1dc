/*
 * Log entries per second through Kafka into the hash-chained audit log, against the fastest
 * plain insert of the same rows into the same table, both measured in the same run. By default
 * every event is produced first and the service's consumption of that backlog is timed, since on
 * this 2-core machine a producer in the same box would take a third of the CPU (`--backlog 0`
 * measures that too).
 *   npx tsx bench/audit-log.ts [--entries 200000] [--backlog 1] [--help]
 * Needs Kafka, PostgreSQL and Redis (bash scripts/infra.sh up) and a build (npm run build).
 * Results: a table on stdout, progress on stderr, JSON in bench/results/audit-log.json.
 * Exit status: 0 when every entry was logged once and the log verifies (whether or not the rate
 * targets were met: they print PASS or FAIL), 1 when not, 2 when the run could not be made.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { chainHash, GENESIS_CHAIN, leafHash } from '@clearwork/audit-core';
import { Client } from 'pg';
import { entryFor } from '../apps/audit/src/log/log-entry';
import { AuditServiceProcess, createScratchDatabase, postgresCheckpoint, type ScratchDatabase } from './support/audit-service';
import { parseOptions, reproduceCommand } from './support/cli';
import { describeEnvironment, type Environment, KAFKA_BROKER, PG_ADMIN_URL, printEnvironment, REDIS_URL, ROOT, tcpOpen } from './support/environment';
import { logEventStream, type LoggedEvent } from './support/log-event-stream';
import { runPipeline, type PipelineResult } from './support/log-pipeline';
import { insertWithCopy, insertWithUnnest, type InsertResult, type PreparedRow } from './support/plain-insert';
import { histogram, metricValue } from './support/prometheus-text';
import { printTable, printTargets, progress, seededRandom, thousands, writeJson, type TargetResult } from './support/report';

const SPEC = {
  script: 'bench/audit-log.ts',
  summary:
    'Entries per second from Kafka into the audit log (consumer, schema checks, canonical JSON, leaf and chain\n' +
    'hashes, group commit, signed checkpoints), against a batched INSERT of the same rows into the same table.',
  options: {
    entries: { default: 200_000, min: 1_000, help: 'events to produce, and rows for the baseline' },
    'baseline-batch': { default: 5_000, min: 1, help: 'rows per INSERT (one transaction each) in the baseline' },
    'produce-batch': { default: 2_000, min: 1, help: 'messages per produce request' },
    'produce-in-flight': { default: 4, min: 1, help: 'produce requests in flight at once' },
    seed: { default: 1, help: 'seed of the event mix' },
    'stall-seconds': { default: 60, min: 5, help: 'give up when the log has not grown for this long' },
    backlog: { default: 1, min: 0, help: '1: produce every event first, then time the service consuming that backlog (the producer does not share the 2 cores); 0: produce while it consumes' },
  },
};
const TARGET_SHARE_OF_BASELINE = 0.25;
const TARGET_ENTRIES_PER_SECOND = 10_000;
const RESULTS = join(ROOT, 'bench', 'results', 'audit-log.json');

/** Undo steps, run in reverse on the way out, whether the run succeeded, failed or was interrupted. */
const cleanup: (() => Promise<void>)[] = [];
async function runCleanup(): Promise<void> {
  while (cleanup.length > 0) await cleanup.pop()!().catch((error: Error) => progress(`cleanup: ${error.message}`));
}

async function preflight(): Promise<void> {
  const problems: string[] = [];
  if (!(await tcpOpen(KAFKA_BROKER))) problems.push(`Kafka is not reachable at ${KAFKA_BROKER}`);
  if (!(await tcpOpen(new URL(PG_ADMIN_URL).host || '127.0.0.1:5432'))) problems.push(`PostgreSQL is not reachable at ${PG_ADMIN_URL}`);
  if (!(await tcpOpen(new URL(REDIS_URL).host))) problems.push(`Redis is not reachable at ${REDIS_URL} (the audit service's health check needs it)`);
  if (problems.length > 0) throw new Error(`${problems.join('; ')}: run \`bash scripts/infra.sh up\``);
}

function prepareRows(events: readonly LoggedEvent[]): PreparedRow[] {
  let chain = GENESIS_CHAIN;
  return events.map((e) => {
    const entry = entryFor(e.topic, e.event);
    const leaf = leafHash(Buffer.from(entry.body, 'utf8'));
    chain = chainHash(chain, leaf);
    return { entry, leaf, chain };
  });
}

/** What must hold after the run: every entry logged once with the expected bytes, and the log verifies. */
async function checkLog(service: AuditServiceProcess, databaseUrl: string, rows: readonly PreparedRow[]) {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const expected = new Map(rows.map((r) => [r.entry.entryId, r.leaf]));
    const { rows: stored } = await db.query<{ entry_id: string; leaf_hash: Buffer }>('SELECT entry_id, leaf_hash FROM audit.entries');
    let own = 0;
    let sameBytes = 0;
    for (const s of stored) {
      const leaf = expected.get(s.entry_id);
      if (!leaf) continue;
      own++;
      if (leaf.equals(s.leaf_hash)) sameBytes++;
    }
    const { rows: cand } = await db.query<{ n: string; unlinked: string }>('SELECT count(*) AS n, count(*) FILTER (WHERE seq < 0) AS unlinked FROM audit.candidates');
    const { rows: cps } = await db.query<{ n: string }>('SELECT count(*) AS n FROM audit.checkpoints');
    progress('[clearwork] verifying the whole log through GET /v1/log/verify ...');
    const started = Date.now();
    const verify = await service.get('/v1/log/verify', 'auditor');
    const report = verify.body as { ok?: boolean; entries?: number; checkpoints?: number; problemCount?: number; problems?: unknown[] } | null;
    return {
      totalEntries: stored.length,
      ownEntries: own,
      foreignEntries: stored.length - own,
      sameBytesAsBaseline: sameBytes,
      candidates: Number(cand[0].n),
      candidatesWithoutSeq: Number(cand[0].unlinked),
      checkpoints: Number(cps[0].n),
      verify: { status: verify.status, ok: report?.ok === true, entries: report?.entries, problemCount: report?.problemCount, firstProblems: report?.problems?.slice(0, 3), seconds: (Date.now() - started) / 1000 },
    };
  } finally {
    await db.end();
  }
}

function appendBreakdown(metricsText: string, pipeline: PipelineResult) {
  const commits = histogram(metricsText, 'clearwork_audit_append_seconds');
  const batches = histogram(metricsText, 'clearwork_audit_append_batch_entries');
  return {
    commits: commits.count,
    commitSecondsTotal: commits.sum,
    commitMillisMean: commits.mean * 1_000,
    commitSecondsBuckets: commits.buckets,
    entriesPerCommitMean: batches.mean,
    entriesPerCommitBuckets: batches.buckets,
    /** Share of the wall time the appender spent committing; the rest went to fetching, decoding and waiting. */
    appenderBusyShare: commits.sum / pipeline.seconds,
    deadLetters: metricValue(metricsText, 'clearwork_dead_letters_total'),
    retriedMessages: metricValue(metricsText, 'clearwork_messages_consumed_total', { outcome: 'retried' }),
  };
}

interface Report {
  readonly environment: Environment;
  readonly options: { readonly entries: number; readonly backlog: number };
  readonly baseline: InsertResult;
  readonly pipeline: PipelineResult;
  readonly breakdown: ReturnType<typeof appendBreakdown>;
  readonly checks: Awaited<ReturnType<typeof checkLog>>;
  readonly ratio: number;
  /** The slower plain insert, shown beside the baseline. */
  readonly other: InsertResult;
  readonly meanBodyBytes: number;
}

/** Prints the results and where the time went; returns the targets, rates first, then correctness. */
function printReport({ environment, options, baseline, other, pipeline, breakdown, checks, ratio, meanBodyBytes }: Report): TargetResult[] {
  console.log('');
  printTable(
    ['run', 'entries', 'seconds', 'entries/s'],
    [
      [`baseline: ${baseline.method} (database time)`, baseline.rows, Math.round(baseline.seconds * 100) / 100, Math.round(baseline.entriesPerSecond)],
      [`baseline: ${other.method} (database time, not compared)`, other.rows, Math.round(other.seconds * 100) / 100, Math.round(other.entriesPerSecond)],
      [`clearwork: Kafka -> audit service -> audit.entries${options.backlog > 0 ? ' (from a backlog)' : ' (while producing)'}`, pipeline.entries - pipeline.entriesBeforeClock, Math.round(pipeline.seconds * 100) / 100, Math.round(pipeline.entriesPerSecond)],
    ],
  );
  console.log(`\nratio clearwork/baseline: ${ratio.toFixed(3)}`);
  for (const b of [baseline, other]) console.log(`encoding the rows for ${b.method.split(',')[0]} takes ${((b.encodingSeconds / b.rows) * 1e6).toFixed(0)} µs per row (the service pays this on its event loop)`);
  console.log(`mean body: ${Math.round(meanBodyBytes)} bytes; produced in ${pipeline.producedAfterSeconds.toFixed(2)} s using ${pipeline.producerCpuSeconds.toFixed(1)} s of this process's CPU`);
  if (pipeline.entriesPerSecondAfterProducing !== null) console.log(`rate once producing was over (no producer on the CPU): ${thousands(pipeline.entriesPerSecondAfterProducing)} entries/s`);
  console.log(
    `group commits: ${breakdown.commits}, mean ${breakdown.entriesPerCommitMean.toFixed(0)} entries and ${breakdown.commitMillisMean.toFixed(1)} ms each; ` +
      `appender busy ${(breakdown.appenderBusyShare * 100).toFixed(0)}% of the wall time; service CPU ${pipeline.serviceCpuSeconds.toFixed(1)} s (${((pipeline.serviceCpuSeconds / pipeline.seconds) * 100).toFixed(0)}% of one core); its PostgreSQL backends ${pipeline.postgresCpuSeconds === null ? 'not measured' : `${pipeline.postgresCpuSeconds.toFixed(1)} s`}`,
  );
  if (pipeline.machineBusyShare !== null) console.log(`machine CPU busy ${(pipeline.machineBusyShare * 100).toFixed(0)}% of ${environment.cores} cores during the run (everything: producer, broker, service, database, others)`);
  const spread = (buckets: readonly { le: string; count: number }[], unit: string) =>
    buckets.filter((b) => b.count > 0).map((b) => `${b.le === '+Inf' ? '>' : '<='}${b.le === '+Inf' ? buckets.at(-2)?.le : b.le}${unit}: ${b.count}`).join(', ');
  console.log(`  entries per commit: ${spread(breakdown.entriesPerCommitBuckets, '')}`);
  console.log(`  commit time:        ${spread(breakdown.commitSecondsBuckets, ' s')}`);
  console.log(`checkpoints signed: ${checks.checkpoints}; dead letters: ${breakdown.deadLetters}; retried messages: ${breakdown.retriedMessages}; entries from other runs: ${checks.foreignEntries}`);
  if (checks.candidatesWithoutSeq > 0) console.log(`note: ${checks.candidatesWithoutSeq} of ${checks.candidates} rows of audit.candidates have seq -1 (not linked to their decision's log entry)`);
  console.log('');
  const targets: TargetResult[] = [
    { target: `clearwork >= ${TARGET_SHARE_OF_BASELINE * 100}% of the baseline`, measured: `${(ratio * 100).toFixed(1)}%`, pass: ratio >= TARGET_SHARE_OF_BASELINE },
    { target: `clearwork >= ${thousands(TARGET_ENTRIES_PER_SECOND)} entries/s`, measured: `${thousands(pipeline.entriesPerSecond)} entries/s`, pass: pipeline.entriesPerSecond >= TARGET_ENTRIES_PER_SECOND },
    { target: `exactly ${thousands(options.entries)} entries logged, each once, with the expected bytes`, measured: `${thousands(checks.ownEntries)} logged, ${thousands(checks.sameBytesAsBaseline)} with the expected leaf hash`, pass: checks.ownEntries === options.entries && checks.sameBytesAsBaseline === options.entries },
    { target: 'GET /v1/log/verify returns ok: true', measured: `HTTP ${checks.verify.status}, ok ${checks.verify.ok}, ${checks.verify.problemCount ?? '?'} problems, ${checks.verify.seconds.toFixed(1)} s`, pass: checks.verify.ok },
  ];
  printTargets(targets);

  return targets;
}

async function main(): Promise<void> {
  const options = parseOptions(SPEC);
  const command = reproduceCommand(SPEC, options);
  await preflight();
  const environment = await describeEnvironment(command);
  printEnvironment(environment);

  progress(`building ${thousands(options.entries)} events and their log rows ...`);
  const events = logEventStream({ count: options.entries, random: seededRandom(options.seed) });
  const rows = prepareRows(events);
  const mix: Record<string, number> = {};
  for (const e of events) mix[`${e.topic} ${e.event.type}`] = (mix[`${e.topic} ${e.event.type}`] ?? 0) + 1;
  const meanBodyBytes = rows.reduce((n, r) => n + Buffer.byteLength(r.entry.body), 0) / rows.length;
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

  // Baselines: the database alone, each into a fresh database; the faster is compared against.
  const plain: InsertResult[] = [];
  for (const [name, insert] of [['unnest', insertWithUnnest], ['copy', insertWithCopy]] as const) {
    const baselineDb: ScratchDatabase = await createScratchDatabase(`bench_baseline_${name}_${runId}`);
    cleanup.push(() => baselineDb.drop());
    await postgresCheckpoint();
    progress(`[baseline] inserting ${thousands(rows.length)} rows with ${name} ...`);
    plain.push(await insert(baselineDb.url, rows, options['baseline-batch']));
    await runCleanup();
  }
  const baseline = plain.reduce((a, b) => (b.entriesPerSecond > a.entriesPerSecond ? b : a));
  const other = plain.find((p) => p !== baseline)!;

  // Clearwork: the audit service alone, fed through Kafka.
  await postgresCheckpoint();
  const db = await createScratchDatabase(`bench_audit_${runId}`);
  cleanup.push(() => db.drop());
  const service = new AuditServiceProcess(db.url);
  cleanup.push(() => service.stop());
  progress(`[clearwork] starting the audit service on port ${service.port} (log: ${service.logPath}) ...`);
  await service.startGroupAtTheEnd();
  const backlog = options.backlog > 0;
  if (!backlog) await service.start();
  const pipeline = await runPipeline({
    service, databaseUrl: db.url, events, produceBatch: options['produce-batch'], produceInFlight: options['produce-in-flight'], stallSeconds: options['stall-seconds'],
    startAfterProducing: backlog ? () => service.start() : undefined,
  });
  const breakdown = appendBreakdown(await service.metrics(), pipeline);
  const checks = await checkLog(service, db.url, rows);
  await runCleanup();

  const ratio = pipeline.entriesPerSecond / baseline.entriesPerSecond;
  const targets = printReport({ environment, options, baseline, other, pipeline, breakdown, checks, ratio, meanBodyBytes });
  writeJson(RESULTS, {
    benchmark: 'audit-log',
    measuredAt: new Date().toISOString(),
    environment,
    options,
    eventMix: mix,
    meanBodyBytes: Math.round(meanBodyBytes),
    baseline,
    otherBaseline: other,
    clearwork: pipeline,
    ratio,
    appends: breakdown,
    checks,
    targets,
  });
  console.log(`\nresults written to ${RESULTS.replace(`${ROOT}/`, '')}`);
  // Falling short of a rate is a finding, not a failure of the run; losing or corrupting entries is.
  process.exitCode = targets.slice(2).every((t) => t.pass) ? 0 : 1;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping the service and dropping the scratch databases ...`);
    void runCleanup().finally(() => process.exit(130));
  });
}

main().catch(async (error: Error) => {
  console.error(`audit-log benchmark failed: ${error.message}`);
  await runCleanup();
  process.exit(2);
});
