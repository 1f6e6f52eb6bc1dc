/**
 * A scoring unit's writes in one statement against a statement per table, in one run.
 *
 * Each unit is what scoring does with a few worker events (say, tasks submitted): the workers'
 * rows read and locked, each event applied in memory (scoring-core), then the changed states,
 * the evidence, the history entries and the outgoing `WorkerScored` events written, in a
 * transaction. Now (`ScoreUnit.write`): all of it one statement, the rows as data-modifying
 * `WITH` clauses of the outbox insert. The baseline: the statements the unit made before, a
 * statement per table (copied here from that version). Same events, same database, blocks of
 * units alternating between the two; wall time a unit, and PostgreSQL's and this process's CPU.
 */
import { join } from 'node:path';
import { enqueue, insertRows, sqlRows, type OutboxEvent } from '@clearwork/platform';
import { DEFAULT_POLICY, evolve, NEW_WORKER, scoreOf, type ScoringEvent } from '@clearwork/scoring-core';
import { WorkforceSimulation } from '@clearwork/testing';
import type { DataSource, EntityManager } from 'typeorm';
import { SCHEMA } from '../apps/scoring/src/config';
import { SCORING_MIGRATIONS } from '../apps/scoring/src/scoring.module';
import { HISTORY_COLUMNS, historyRow, ScoreStore, type HistoryEntry, type WorkerRecord } from '../apps/scoring/src/scores/score-store';
import { cached } from '../apps/scoring/src/scores/score-keeper.service';
import { ScoreUnit } from '../apps/scoring/src/scores/score-unit';
import { parseOptions, reproduceCommand } from './support/cli';
import { describeEnvironment, printEnvironment, ROOT } from './support/environment';
import { migratedScratch } from './support/migrated-scratch';
import { cpuSecondsBetween, cpuSnapshot } from './support/process-cpu';
import { median, printTable, progress, seededRandom, thousands, writeJson } from './support/report';

const SPEC = {
  script: 'bench/score-unit-writes.ts',
  summary:
    "Writes scoring units (workers' rows locked, events applied, states, evidence, history and\n" +
    'outgoing events written) both ways, alternating blocks: in one statement (now) and a statement per\n' +
    "table (the baseline, before). Reports wall time, PostgreSQL's CPU and this process's CPU a unit.",
  options: {
    workers: { default: 20_000, min: 10, help: 'workers whose state is stored' },
    units: { default: 4_000, min: 2, help: 'units written each way' },
    'events-per-unit': { default: 2, min: 1, help: "events in a unit, each a different worker's task submitted" },
    block: { default: 200, min: 1, help: 'units written one way before switching to the other' },
  },
};
const RESULTS = join(ROOT, 'bench', 'results', 'score-unit-writes.json');

type Kind = 'per-table' | 'one';
const LABEL: Record<Kind, string> = { 'per-table': 'a statement per table (before): baseline', one: 'one statement (now)' };

interface UnitWork {
  readonly workerIds: readonly string[];
  readonly events: readonly ScoringEvent[];
}

/** Applies each event to its worker's row: the new row, its history entry and its outgoing event. */
function apply(record: WorkerRecord, e: ScoringEvent & { type: 'TaskSubmitted' }, now: number) {
  const state = evolve(DEFAULT_POLICY, record.state, e);
  const scores = scoreOf(DEFAULT_POLICY, state, now);
  const after: WorkerRecord = { ...record, state, scores };
  const changes: Record<string, number> = {};
  const was = record.scores as unknown as Record<string, number>;
  for (const [k, v] of Object.entries(scores as unknown as Record<string, number>)) if (typeof v === 'number') changes[k] = v - (was[k] ?? 0);
  const history: HistoryEntry = { workerId: record.workerId, eventId: e.eventId, eventType: e.type, taskId: e.taskId ?? null, occurredAt: e.occurredAt, policyVersion: record.policyVersion, changes, scores };
  const event: OutboxEvent = {
    topic: 'gig.worker-scores.v1',
    key: record.workerId,
    value: { eventId: `${e.eventId}-scored`, type: 'WorkerScored', occurredAt: new Date(now).toISOString(), data: { workerId: record.workerId, policyVersion: record.policyVersion, scores, scoredAt: new Date(now).toISOString() } } as { eventId: string },
  };
  return { after, history, event };
}

/** The unit as scoring writes it now: ScoreUnit, every write one statement. */
async function writeNow(m: EntityManager, store: ScoreStore, work: UnitWork, now: number): Promise<void> {
  const unit = new ScoreUnit(m, store);
  await unit.load({ workerIds: work.workerIds, offerIds: [], taskIds: [] });
  for (const e of work.events as (ScoringEvent & { type: 'TaskSubmitted'; workerId: string })[]) {
    const { after, history, event } = apply(unit.record(e.workerId)!, e, now);
    unit.save(after);
    unit.addEvidence(e.workerId, e);
    unit.addHistory([history]);
    unit.emit(event, cached(e.workerId, after.policyVersion, after.scores, new Date(now)));
  }
  await unit.write();
}

/** The same unit written as before: a statement per table (the code of ScoreUnit.writePending before the change). */
async function writeBefore(m: EntityManager, store: ScoreStore, work: UnitWork, now: number): Promise<void> {
  const records = new Map((await store.lockMany(m, work.workerIds)).map((r) => [r.workerId, r]));
  const changed: WorkerRecord[] = [];
  const evidence: { workerId: string; e: ScoringEvent }[] = [];
  const history: HistoryEntry[] = [];
  const outbox: OutboxEvent[] = [];
  for (const e of work.events as (ScoringEvent & { type: 'TaskSubmitted'; workerId: string })[]) {
    const out = apply(records.get(e.workerId)!, e, now);
    records.set(e.workerId, out.after);
    changed.push(out.after);
    evidence.push({ workerId: e.workerId, e });
    history.push(out.history);
    outbox.push(out.event);
  }
  await sqlRows(m,
    `UPDATE scoring.worker_state w SET state = u.state, policy_version = u.policy_version, scores = u.scores, online = u.online,
       last_seen_at = u.last_seen_at, updated_at = now()
     FROM json_populate_recordset(NULL::scoring.worker_state, $1::json) u WHERE w.worker_id = u.worker_id`,
    [JSON.stringify(changed.map((r) => ({ worker_id: r.workerId, state: r.state, policy_version: r.policyVersion, scores: r.scores, online: r.online, last_seen_at: r.lastSeenAt })))],
  );
  await insertRows(m, 'scoring.evidence', ['event_id', 'worker_id', 'type', 'occurred_at', 'input'], evidence.map(({ workerId, e }) => [e.eventId, workerId, e.type, e.occurredAt, e]), 'ON CONFLICT DO NOTHING');
  await insertRows(m, 'scoring.score_history', HISTORY_COLUMNS, history.map(historyRow));
  await enqueue(m, SCHEMA, outbox);
}

async function rowCounts(ds: DataSource): Promise<Record<string, number>> {
  const [row] = await ds.query(`SELECT (SELECT count(*) FROM scoring.score_history) AS history, (SELECT count(*) FROM scoring.evidence) AS evidence, (SELECT count(*) FROM scoring.outbox) AS outbox`);
  return Object.fromEntries(Object.entries(row as Record<string, string>).map(([k, v]) => [k, Number(v)]));
}

async function main(): Promise<void> {
  const options = parseOptions(SPEC);
  const environment = await describeEnvironment(reproduceCommand(SPEC, options));
  printEnvironment(environment);
  const { dataSource, drop } = await migratedScratch('bench_score_unit', { schema: 'scoring', migrations: SCORING_MIGRATIONS });
  try {
    const simulation = new WorkforceSimulation({ workers: options.workers, seed: 5, idPrefix: 'bench' });
    const now = Date.now();
    const at = (msAgo: number) => new Date(now - msAgo).toISOString();
    const rows = simulation.workers.map((w, i) => {
      const state = [
        { type: 'WorkerRegistered', eventId: `r-${i}`, occurredAt: at(3_600_000) },
        { type: 'WorkerWentOnline', eventId: `o-${i}`, occurredAt: at(3_000_000) },
      ].reduce((s, e) => evolve(DEFAULT_POLICY, s, e as ScoringEvent), NEW_WORKER);
      return [w.workerId, { skills: w.skills, languages: w.languages, capacity: w.capacity }, at(3_600_000), state, 1, scoreOf(DEFAULT_POLICY, state, now), true, at(i % 60_000)];
    });
    for (let i = 0; i < rows.length; i += 2_000) {
      await insertRows(dataSource.manager, 'scoring.worker_state', ['worker_id', 'profile', 'registered_at', 'state', 'policy_version', 'scores', 'online', 'last_seen_at'], rows.slice(i, i + 2_000));
    }
    await dataSource.query('ANALYZE scoring.worker_state');
    progress(`${thousands(options.workers)} workers stored; writing ${thousands(options.units)} units each way, ${options['events-per-unit']} events a unit, in blocks of ${options.block} ...`);

    // What the migrations left (the first policy's event waits in the outbox), to count the units' rows against.
    const initial = await rowCounts(dataSource);
    const random = seededRandom(7);
    let eventNo = 0;
    const unitWork = (): UnitWork => {
      const ids = new Set<string>();
      while (ids.size < options['events-per-unit']) ids.add(simulation.workers[Math.floor(random() * options.workers)].workerId);
      const workerIds = [...ids];
      const events = workerIds.map((workerId) => {
        eventNo++;
        return { type: 'TaskSubmitted', eventId: `00000000-0000-4000-8000-${String(eventNo).padStart(12, '0')}`, occurredAt: new Date(now + eventNo).toISOString(), taskId: `t-${eventNo}`, durationSeconds: 20 + (eventNo % 60), estimatedSeconds: 40, workerId } as ScoringEvent;
      });
      return { workerIds, events };
    };
    const store = new ScoreStore();
    const spent: Record<Kind, { wallMicros: number[]; postgres: number; client: number; units: number }> = {
      'per-table': { wallMicros: [], postgres: 0, client: 0, units: 0 },
      one: { wallMicros: [], postgres: 0, client: 0, units: 0 },
    };
    const write: Record<Kind, (m: EntityManager, w: UnitWork) => Promise<void>> = {
      'per-table': (m, w) => writeBefore(m, store, w, now),
      one: (m, w) => writeNow(m, store, w, now),
    };
    const runBlock = async (ds: DataSource, kind: Kind, n: number) => {
      const works = Array.from({ length: n }, unitWork);
      const before = cpuSnapshot();
      for (const w of works) {
        const started = performance.now();
        await ds.transaction((m) => write[kind](m, w));
        spent[kind].wallMicros.push((performance.now() - started) * 1_000);
      }
      const after = cpuSnapshot();
      spent[kind].postgres += cpuSecondsBetween(before, after, 'postgres');
      spent[kind].client += cpuSecondsBetween(before, after, 'bench');
      spent[kind].units += n;
    };
    for (let done = 0, b = 0; done < options.units; done += options.block, b++) {
      const n = Math.min(options.block, options.units - done);
      const order: Kind[] = b % 2 === 0 ? ['per-table', 'one'] : ['one', 'per-table'];
      for (const kind of order) await runBlock(dataSource, kind, n);
      if (b % 5 === 4) progress(`${thousands(done + n)} / ${thousands(options.units)} units each way`);
    }
    const after = await rowCounts(dataSource);
    const expected = 2 * options.units * options['events-per-unit'];
    for (const [k, v] of Object.entries(after)) if (v - initial[k] !== expected) throw new Error(`${k}: ${v - initial[k]} rows written, not ${expected}`);

    const summary = (kind: Kind) => ({
      kind,
      label: LABEL[kind],
      wallMicrosP50: median(spent[kind].wallMicros),
      wallMicrosMean: spent[kind].wallMicros.reduce((a, b) => a + b, 0) / spent[kind].units,
      postgresMicrosPerUnit: (spent[kind].postgres / spent[kind].units) * 1e6,
      clientMicrosPerUnit: (spent[kind].client / spent[kind].units) * 1e6,
    });
    const before = summary('per-table');
    const one = summary('one');
    printTable(
      ['unit written as', 'wall p50', 'wall mean', 'PostgreSQL CPU', 'this process CPU'],
      [before, one].map((s) => [s.label, `${thousands(s.wallMicrosP50)} µs`, `${thousands(s.wallMicrosMean)} µs`, `${thousands(s.postgresMicrosPerUnit)} µs`, `${thousands(s.clientMicrosPerUnit)} µs`]),
    );
    const ratios = {
      wallP50: one.wallMicrosP50 / before.wallMicrosP50,
      postgresCpu: one.postgresMicrosPerUnit / before.postgresMicrosPerUnit,
      clientCpu: one.clientMicrosPerUnit / before.clientMicrosPerUnit,
    };
    console.log(`one statement against a statement per table: wall p50 ${thousands(ratios.wallP50, 2)}, PostgreSQL CPU ${thousands(ratios.postgresCpu, 2)}, this process's CPU ${thousands(ratios.clientCpu, 2)} (each way wrote ${thousands(expected / 2)} rows of history, of evidence and of outbox, all checked)`);
    writeJson(RESULTS, { environment, options, before, one, ratios });
    console.log(`\nresults written to ${RESULTS.slice(ROOT.length + 1)}`);
  } finally {
    await drop();
  }
}

main().catch((error: Error) => {
  console.error(`score-unit-writes failed: ${error.message}`);
  process.exit(1);
});
