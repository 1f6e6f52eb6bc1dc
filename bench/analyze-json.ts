/*
 * ANALYZE of scoring's worker state with its JSON columns left out of the statistics (migration
 * JsonWithoutStatistics1733500000000) against the same table and rows with statistics on every
 * column (the baseline, as before that migration), in the same run and database. The rows are
 * the throughput benchmark's workforce (`WorkforceSimulation`, --workers), each worker's state
 * evolved by scoring-core through a registration, going online and --submissions submitted tasks,
 * scored under the default policy. The two tables are analyzed in turn, --rounds times each.
 *   npx tsx bench/analyze-json.ts [--workers 20000] [--submissions 3] [--rounds 5] [--help]
 * Needs PostgreSQL (bash scripts/infra.sh up). Results: a table on stdout, progress on stderr,
 * JSON in bench/results/analyze-json.json. Exit status: 0 when measured, 2 when the run could
 * not be made.
 */
import { join } from 'node:path';
import { DEFAULT_POLICY, evolve, NEW_WORKER, scoreOf, type ScoringEvent } from '@clearwork/scoring-core';
import { WorkforceSimulation } from '@clearwork/testing';
import { UNPLANNED_JSON } from '../apps/scoring/src/migrations/1733500000000-json-without-statistics';
import { SCORING_MIGRATIONS } from '../apps/scoring/src/scoring.module';
import { parseOptions, reproduceCommand } from './support/cli';
import { describeEnvironment, printEnvironment, ROOT } from './support/environment';
import { migratedScratch } from './support/migrated-scratch';
import { median, printTable, progress, thousands, writeJson } from './support/report';

const SPEC = {
  script: 'bench/analyze-json.ts',
  summary:
    "Analyzes scoring's worker state, --workers rows made by scoring-core, with its JSON columns out of\n" +
    'the statistics (now) and with statistics on every column (the baseline, before), in turn, --rounds\n' +
    'times each. Reports the time of each ANALYZE.',
  options: {
    workers: { default: 20_000, min: 100, help: 'workers, a row of state each' },
    submissions: { default: 3, min: 0, help: 'tasks submitted by each worker before the state is stored' },
    rounds: { default: 5, min: 1, help: 'ANALYZE of each table, alternating' },
  },
};
const RESULTS = join(ROOT, 'bench', 'results', 'analyze-json.json');
const CHUNK = 2_000;

type Kind = 'before' | 'now';
const TABLE: Record<Kind, string> = { before: 'scoring.worker_state_before', now: 'scoring.worker_state' };

async function main(): Promise<void> {
  const options = parseOptions(SPEC);
  const environment = await describeEnvironment(reproduceCommand(SPEC, options));
  printEnvironment(environment);
  const { db, drop } = await migratedScratch('bench_analyze_json', { schema: 'scoring', migrations: SCORING_MIGRATIONS });
  try {
    // The baseline: the same table, its JSON columns given back the server's default statistics.
    await db.query(`CREATE TABLE ${TABLE.before} (LIKE ${TABLE.now} INCLUDING ALL)`);
    for (const [table, column] of UNPLANNED_JSON) {
      if (table === 'worker_state') await db.query(`ALTER TABLE ${TABLE.before} ALTER COLUMN ${column} SET STATISTICS -1`);
    }
    const simulation = new WorkforceSimulation({ workers: options.workers, seed: 3 });
    const now = Date.now();
    const at = (msAgo: number) => new Date(now - msAgo).toISOString();
    let stateBytes = 0;
    for (let start = 0; start < options.workers; start += CHUNK) {
      const rows = simulation.workers.slice(start, start + CHUNK).map((w, k) => {
        const i = start + k;
        const events: ScoringEvent[] = [
          { type: 'WorkerRegistered', eventId: `r-${i}`, occurredAt: at(3_600_000) },
          { type: 'WorkerWentOnline', eventId: `o-${i}`, occurredAt: at(3_000_000) },
          ...Array.from({ length: options.submissions }, (_, n): ScoringEvent => ({
            type: 'TaskSubmitted', eventId: `s-${i}-${n}`, occurredAt: at(1_000_000 - n * 60_000), taskId: `t-${i}-${n}`, durationSeconds: 30 + (i % 50), estimatedSeconds: 40,
          })),
        ];
        const state = events.reduce((s, e) => evolve(DEFAULT_POLICY, s, e), NEW_WORKER);
        stateBytes += JSON.stringify(state).length;
        return {
          worker_id: w.workerId, profile: { skills: w.skills, languages: w.languages, qualifications: [], capacity: w.capacity, cohort: w.cohort },
          registered_at: at(3_600_000), state, policy_version: 1, scores: scoreOf(DEFAULT_POLICY, state, now), online: true, last_seen_at: at((i % 60) * 1_000),
        };
      });
      for (const table of Object.values(TABLE)) {
        await db.query(
          `INSERT INTO ${table} (worker_id, profile, registered_at, state, policy_version, scores, online, last_seen_at)
           SELECT worker_id, profile, registered_at, state, policy_version, scores, online, last_seen_at FROM json_populate_recordset(NULL::scoring.worker_state, $1::json)`,
          [JSON.stringify(rows)],
        );
      }
      progress(`${thousands(Math.min(options.workers, start + CHUNK))} / ${thousands(options.workers)} workers' state stored in both tables`);
    }
    await db.query(`VACUUM ${TABLE.before}, ${TABLE.now}`);

    const ms: Record<Kind, number[]> = { before: [], now: [] };
    for (let round = 0; round < options.rounds; round++) {
      for (const kind of round % 2 === 0 ? (['before', 'now'] as const) : (['now', 'before'] as const)) {
        const started = process.hrtime.bigint();
        await db.query(`ANALYZE ${TABLE[kind]}`);
        ms[kind].push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      progress(`round ${round + 1} / ${options.rounds}: ANALYZE ${ms.before.at(-1)!.toFixed(0)} ms with the JSON's statistics, ${ms.now.at(-1)!.toFixed(0)} ms without`);
    }
    const { rows: analyzed } = await db.query<{ table: string; columns: string }>(
      `SELECT tablename AS table, count(*)::text AS columns FROM pg_stats WHERE schemaname = 'scoring' AND tablename IN ('worker_state', 'worker_state_before') GROUP BY 1`,
    );
    const columns = Object.fromEntries(analyzed.map((r) => [r.table, Number(r.columns)]));
    console.log(`\n${thousands(options.workers)} workers' state (${thousands(stateBytes / options.workers)} bytes of state JSON each), ANALYZE ${options.rounds} times each\n`);
    printTable(
      ['worker state', 'columns with statistics', 'ANALYZE median', 'each round'],
      [
        ['statistics on every column (before): baseline', columns.worker_state_before ?? 0, `${median(ms.before).toFixed(0)} ms`, ms.before.map((x) => x.toFixed(0)).join(', ')],
        ['JSON columns without statistics', columns.worker_state ?? 0, `${median(ms.now).toFixed(0)} ms`, ms.now.map((x) => x.toFixed(0)).join(', ')],
      ],
    );
    const ratio = median(ms.now) / median(ms.before);
    console.log(`\nratio without / with the JSON's statistics, medians: ${ratio.toFixed(2)}`);
    writeJson(RESULTS, { benchmark: 'analyze-json', measuredAt: new Date().toISOString(), environment, options, ms, columns, ratio });
    console.log(`\nresults written to ${RESULTS.replace(`${ROOT}/`, '')}`);
  } finally {
    await drop();
  }
}

main().catch((error: Error) => {
  console.error(`analyze-json benchmark failed: ${error.message} (is PostgreSQL up? bash scripts/infra.sh up)`);
  process.exit(2);
});
