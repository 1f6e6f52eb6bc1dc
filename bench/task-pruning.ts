/**
 * What deleting ended tasks costs the dispatcher's database (`TaskStore.pruneEnded`), against the
 * least any deletion of the same rows could cost, in one run.
 *
 * Each round fills two fresh scratch databases (the dispatcher's migrations) with the same tasks
 * stored long ago: a replica each, one offer or two (a decline before the acceptance) with a
 * decision record each (about 4 KB of candidates, stored with lz4 as the engine's are), an
 * assignment; most finished (submitted), the rest still being worked on. In one, `pruneEnded`
 * deletes the ended ones as the service's statements do (1,000 a statement, the checks, the row
 * locks; without the service's pauses between batches). In
 * the other, the baseline: the same tasks' rows deleted by id, a statement a table in a
 * transaction per 1,000 tasks, with no check at all. Which goes first alternates; a checkpoint
 * before each. Reports wall time and PostgreSQL's CPU a task, and checks what is left.
 */
import { join } from 'node:path';
import { sqlRows } from '@clearwork/platform';
import type { DataSource } from 'typeorm';
import { DISPATCHER_MIGRATIONS } from '../apps/dispatcher/src/dispatcher.module';
import { TaskStore } from '../apps/dispatcher/src/tasks/task-store';
import { parseOptions, reproduceCommand } from './support/cli';
import { describeEnvironment, printEnvironment, ROOT } from './support/environment';
import { migratedScratch, type MigratedScratch } from './support/migrated-scratch';
import { cpuSecondsBetween, cpuSnapshot } from './support/process-cpu';
import { median, printTable, progress, thousands, writeJson } from './support/report';

const SPEC = {
  script: 'bench/task-pruning.ts',
  summary:
    'Deletes ended tasks (replicas, offers, decision records, assignments) from the dispatcher\'s tables\n' +
    'as the service does (TaskStore.pruneEnded) and, as the baseline, by id with no checks, each on a\n' +
    "fresh database holding the same tasks. Reports wall time and PostgreSQL's CPU a task deleted.",
  options: {
    tasks: { default: 50_000, min: 100, help: 'tasks stored' },
    'running-percent': { default: 10, help: 'of them, the share still being worked on (kept)' },
    rounds: { default: 3, min: 1, help: 'rounds, each on two fresh databases' },
  },
};
const RESULTS = join(ROOT, 'bench', 'results', 'task-pruning.json');
const BATCH = 1_000;
const TABLES = ['tasks', 'task_replicas', 'offers', 'decisions', 'assignments'] as const;

type Kind = 'by-id' | 'prune';
const LABEL: Record<Kind, string> = { 'by-id': 'by id, no checks: baseline', prune: 'pruneEnded (the service)' };

/**
 * Tasks `$1`..`$2`, posted at `$3` and stored from then on 50 to a millisecond (the tasks of one
 * posted batch share their time): every third declined once before its acceptance, so 1.33
 * offers and decision records a task. One in `$4` percent (by number) is still being worked on.
 */
const FILL_SQL = `WITH s AS (
    SELECT i, 't-' || lpad(i::text, 9, '0') AS task_id, 1 + (i % 3 = 0)::int AS offers, (i % 100) >= $4 AS ended
    FROM generate_series($1::int, $2::int) AS i
  ), o AS (SELECT s.*, a FROM s, generate_series(1, s.offers) AS a
  ), t AS (
    INSERT INTO dispatcher.tasks (task_id, queue, priority, required_skills, spec, posted_at, updated_at)
    SELECT task_id, 'q-' || (i % 40), 5, ARRAY['s-' || (i % 40)],
           jsonb_build_object('taskId', task_id, 'queue', 'q-' || (i % 40), 'requiredSkills', jsonb_build_array('s-' || (i % 40)), 'payCents', 120, 'currency', 'USD', 'estimatedSeconds', 60, 'replicas', 1),
           $3, $3::timestamptz + (i / 50) * interval '1 millisecond'
    FROM s
  ), r AS (
    INSERT INTO dispatcher.task_replicas (task_id, replica, state, attempts, worker_id, priority, posted_at)
    SELECT task_id, 1, 'assigned', offers, 'w-' || (i % 20000), 5, $3 FROM s
  ), f AS (
    INSERT INTO dispatcher.offers (offer_id, task_id, queue, replica, attempt, worker_id, decision_id, state, expires_at, created_at, closed_at)
    SELECT 'o-' || task_id || '-' || a, task_id, 'q-' || (i % 40), 1, a, 'w-' || ((i + a) % 20000), 'd-' || task_id || '-' || a,
           CASE WHEN a = offers THEN 'accepted' ELSE 'declined' END, $3, $3, $3
    FROM o
  ), d AS (
    INSERT INTO dispatcher.decisions (decision_id, task_id, replica, attempt, record, decided_at)
    SELECT 'd-' || task_id || '-' || a, task_id, 1, a,
           jsonb_build_object('decisionId', 'd-' || task_id || '-' || a, 'taskId', task_id, 'attempt', a, 'policyVersion', 1,
             'inputsDigest', md5(task_id || a), 'filteredOut', jsonb_build_object('capacity_full', i % 97, 'offline', i % 89),
             'candidates', (SELECT jsonb_agg(jsonb_build_object('workerId', 'w-' || ((i * 7 + k) % 20000), 'rank', k,
                 'score', ((i * 31 + k * 17) % 1000) / 1000.0,
                 'components', jsonb_build_object('quality', ((i + k) % 997) / 997.0, 'latency', ((i * 3 + k) % 991) / 991.0, 'availability', ((i * 5 + k) % 983) / 983.0),
                 'adjustments', jsonb_build_array(jsonb_build_object('kind', 'newcomer_share', 'delta', (k % 7) / 100.0)),
                 'evidence', md5((i * 100 + k)::text) || md5((i * 100 + k + 1)::text)))
               FROM generate_series(1, 12) AS k)),
           $3
    FROM o
  ), a AS (
    INSERT INTO dispatcher.assignments (task_id, replica, worker_id, offer_id, assigned_at, finished_at, outcome)
    SELECT task_id, 1, 'w-' || ((i + offers) % 20000), 'o-' || task_id || '-' || offers, $3,
           CASE WHEN ended THEN $3::timestamptz END, CASE WHEN ended THEN 'submitted' END
    FROM s
  )
  SELECT count(*)::int AS n FROM s`;

/** The baseline: every row of these tasks deleted by id, a statement a table, in one transaction. */
async function deleteById(ds: DataSource, taskIds: readonly string[]): Promise<void> {
  await ds.transaction(async (m) => {
    for (const table of ['offers', 'decisions', 'assignments', 'task_replicas', 'tasks']) {
      await sqlRows(m, `DELETE FROM dispatcher.${table} WHERE task_id = ANY($1::text[])`, [taskIds]);
    }
  });
}

async function counts(ds: DataSource): Promise<Record<string, number>> {
  const found: Record<string, number> = {};
  for (const table of TABLES) found[table] = (await sqlRows<{ n: number }>(ds.manager, `SELECT count(*)::int AS n FROM dispatcher.${table}`))[0].n;
  return found;
}

async function main(): Promise<void> {
  const options = parseOptions(SPEC);
  const environment = await describeEnvironment(reproduceCommand(SPEC, options));
  printEnvironment(environment);
  const store = new TaskStore();
  const storedAt = new Date(Date.now() - 60 * 86_400_000);
  const cut = new Date(Date.now() - 30 * 86_400_000);
  const running = options['running-percent'];
  const ended = Array.from({ length: options.tasks }, (_, k) => k + 1).filter((i) => i % 100 >= running);
  const endedIds = ended.map((i) => `t-${String(i).padStart(9, '0')}`);
  const spent: Record<Kind, { wall: number[]; postgres: number[] }> = { 'by-id': { wall: [], postgres: [] }, prune: { wall: [], postgres: [] } };
  let sizes: { tableBytes: Record<string, number>; recordBytes: number } | undefined;

  const fill = async (scratch: MigratedScratch) => {
    for (let from = 1; from <= options.tasks; from += 5_000) {
      await sqlRows(scratch.dataSource.manager, FILL_SQL, [from, Math.min(options.tasks, from + 4_999), storedAt, running]);
    }
    await scratch.dataSource.query('VACUUM ANALYZE');
    await scratch.dataSource.query('CHECKPOINT');
  };
  const run = async (kind: Kind) => {
    const scratch = await migratedScratch(`bench_prune_${kind.replace('-', '_')}`, { schema: 'dispatcher', migrations: DISPATCHER_MIGRATIONS });
    try {
      await fill(scratch);
      const ds = scratch.dataSource;
      const initial = await counts(ds);
      if (!sizes) {
        const tableBytes: Record<string, number> = {};
        for (const table of TABLES) tableBytes[table] = (await sqlRows<{ b: string }>(ds.manager, `SELECT pg_total_relation_size('dispatcher.${table}') AS b`))[0].b as unknown as number;
        const [{ b }] = await sqlRows<{ b: number }>(ds.manager, `SELECT avg(pg_column_size(record))::float8 AS b FROM dispatcher.decisions`);
        sizes = { tableBytes: Object.fromEntries(Object.entries(tableBytes).map(([k, v]) => [k, Number(v)])), recordBytes: b };
      }
      const before = cpuSnapshot();
      const started = performance.now();
      if (kind === 'prune') {
        const deleted = await store.pruneEnded(ds.manager, cut, { batchSize: BATCH });
        if (deleted !== ended.length) throw new Error(`pruneEnded deleted ${deleted} tasks, not the ${ended.length} ended`);
      } else {
        for (let k = 0; k < endedIds.length; k += BATCH) await deleteById(ds, endedIds.slice(k, k + BATCH));
      }
      const wall = performance.now() - started;
      const after = cpuSnapshot();
      spent[kind].wall.push((wall * 1_000) / ended.length);
      spent[kind].postgres.push((cpuSecondsBetween(before, after, 'postgres') * 1e6) / ended.length);
      // What is left: the running tasks whole, nothing of the ended ones.
      const left = await counts(ds);
      const keptTasks = options.tasks - ended.length;
      if (left.tasks !== keptTasks || left.task_replicas !== keptTasks || left.assignments !== keptTasks) throw new Error(`${kind}: left ${JSON.stringify(left)}, expected ${keptTasks} tasks`);
      const [{ n: strays }] = await sqlRows<{ n: number }>(ds.manager,
        `SELECT (SELECT count(*) FROM dispatcher.offers o WHERE NOT EXISTS (SELECT 1 FROM dispatcher.tasks t WHERE t.task_id = o.task_id))
              + (SELECT count(*) FROM dispatcher.decisions d WHERE NOT EXISTS (SELECT 1 FROM dispatcher.tasks t WHERE t.task_id = d.task_id)) AS n`);
      if (Number(strays) !== 0) throw new Error(`${kind}: ${strays} offers or decision records left of deleted tasks`);
      progress(`${LABEL[kind]}: ${thousands(ended.length)} of ${thousands(initial.tasks)} tasks deleted (${thousands(initial.offers - left.offers)} offers, ${thousands(initial.decisions - left.decisions)} decision records) in ${thousands(wall / 1_000, 2)} s`);
    } finally {
      await scratch.drop();
    }
  };

  for (let round = 0; round < options.rounds; round++) {
    const order: Kind[] = round % 2 === 0 ? ['by-id', 'prune'] : ['prune', 'by-id'];
    progress(`round ${round + 1} of ${options.rounds}: ${thousands(options.tasks)} tasks stored, ${running}% still running, each way on a fresh database (${order.join(' first, then ')})`);
    for (const kind of order) await run(kind);
  }

  const summary = (kind: Kind) => ({ kind, label: LABEL[kind], wallMicrosPerTask: median(spent[kind].wall), postgresMicrosPerTask: median(spent[kind].postgres), rounds: spent[kind] });
  const base = summary('by-id');
  const prune = summary('prune');
  printTable(
    ['deleted', 'wall a task (median)', 'PostgreSQL CPU a task (median)', 'tasks a second'],
    [base, prune].map((s) => [s.label, `${thousands(s.wallMicrosPerTask)} µs`, `${thousands(s.postgresMicrosPerTask)} µs`, thousands(1e6 / s.wallMicrosPerTask)]),
  );
  const ratios = { wall: prune.wallMicrosPerTask / base.wallMicrosPerTask, postgresCpu: prune.postgresMicrosPerTask / base.postgresMicrosPerTask };
  console.log(`pruneEnded against deleting by id: wall ${thousands(ratios.wall, 2)}, PostgreSQL CPU ${thousands(ratios.postgresCpu, 2)} (decision records ${thousands(sizes!.recordBytes)} bytes each as stored)`);
  writeJson(RESULTS, { environment, options, ended: ended.length, sizes, baseline: base, prune, ratios });
  console.log(`results: ${RESULTS}`);
}

main().catch((error: unknown) => {
  console.error(`task-pruning failed: ${(error as Error).message}\nIs PostgreSQL up? Start it with: npm run infra:up`);
  process.exit(1);
});
