/*
 * How fast scoring marks offline a workforce whose heartbeats all stop at once (a region's network
 * gone, a fleet's app crashing): the engine with a workforce online and heartbeating every
 * `--heartbeat-seconds` for one period, then every heartbeat stopped (so the lapses fall due
 * over one period, the default policy's TTL after the last heartbeats), and from just before the
 * first falls due, scoring's backlog (workers still marked online whose last heartbeat is older
 * than the TTL) sampled about twice a second until no worker is online. Reported: the largest backlog, the mean time a worker stayed online
 * past its TTL (the backlog's area over the workers lapsed), and the time from the last worker's
 * TTL running out until none was online. Baseline in the same run: the same with one transaction
 * a worker (SCORING_LAPSE_BATCH=1), on a scratch database of its own.
 * Kafka, PostgreSQL and Redis must be up; `npm run build` first (the services run from dist/).
 *   npx tsx bench/presence-lapse.ts [--workers 20000] [--batch 100] [--heartbeat-seconds 30]
 * Results in bench/results/presence-lapse.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_POLICY } from '@clearwork/scoring-core';
import { SimulatedWorkers, WorkforceSimulation } from '@clearwork/testing';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Client } from 'pg';
import { Engine } from '../test/support/engine';
import { parseOptions, reproduceCommand } from './support/cli';
import { describeEnvironment, KAFKA_BROKER, printEnvironment, ROOT } from './support/environment';
import { cpuShares, cpuSnapshot } from './support/process-cpu';
import { thousands } from './support/report';
import { bringOnline, engineLag } from './support/workforce';

const SPEC = {
  script: 'bench/presence-lapse.ts',
  summary: 'Time for scoring to mark a whole workforce offline once its heartbeats stop, in batches, against one transaction a worker.',
  options: {
    workers: { default: 20_000, min: 10, help: 'simulated online workers' },
    batch: { default: 100, min: 2, help: 'workers marked offline in one transaction (SCORING_LAPSE_BATCH) in the measured run' },
    'heartbeat-seconds': { default: 30, min: 5, help: 'seconds between a worker\'s heartbeats (the lapses fall due over that many seconds)' },
  },
};
const RESULTS = join(ROOT, 'bench', 'results', 'presence-lapse.json');
const TTL_SECONDS = DEFAULT_POLICY.presence.heartbeatTtlSeconds;
/** Longest a run may take after the last TTL ran out before it is called failed. */
const LIMIT_SECONDS = 600;
const SAMPLE_MS = 500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RunResult {
  batch: number;
  workers: number;
  /** Workers still marked online past their TTL, at most, in one sample. */
  peakBacklog: number;
  /** The backlog's area (worker-seconds) over the workers lapsed: how long a worker stayed online past its TTL, on average. */
  meanOverdueSeconds: number;
  /** From the last worker's TTL running out until no worker was online. */
  tailSeconds: number;
  /** The time measured: from 5 s before the first TTL ran out until no worker was online; the CPU is its mean. */
  windowSeconds: number;
  cpu: Record<string, number>;
}

interface Counts {
  online: number;
  overdue: number;
}

async function counts(pg: Client): Promise<Counts> {
  const { rows } = await pg.query<Counts>(
    `SELECT count(*) FILTER (WHERE online)::int AS online,
            count(*) FILTER (WHERE online AND last_seen_at < now() - make_interval(secs => $1))::int AS overdue
       FROM scoring.worker_state`,
    [TTL_SECONDS],
  );
  return rows[0];
}

/** One engine, one workforce whose heartbeats stop; returns how scoring caught up with their lapses. */
async function run(kafka: Kafka, admin: Admin, workers: number, batch: number, heartbeatSeconds: number): Promise<RunResult> {
  const label = `[batch ${batch}]`;
  process.env.SCORING_LAPSE_BATCH = String(batch);
  const engine = new Engine();
  let simulated: SimulatedWorkers | undefined;
  try {
    console.log(`${label} starting the engine on a scratch database ...`);
    await engine.start();
    simulated = new SimulatedWorkers(kafka, new WorkforceSimulation({ seed: 1, workers, heartbeatSeconds, idPrefix: engine.runId }));
    await simulated.start();
    const lag = engineLag(admin, engine);
    await bringOnline(simulated, lag, workers, label);
    console.log(`${label} heartbeating for ${heartbeatSeconds + 5} s, so that every worker's last heartbeat falls in one period ...`);
    await sleep((heartbeatSeconds + 5) * 1000);
    await simulated.stop();
    if (!(await lag.drain(120))) throw new Error(`the services had not consumed the last heartbeats after 2 minutes (lag ${JSON.stringify(await lag.lag())}); try fewer workers`);
    const pg = new Client({ connectionString: engine.databaseUrl });
    await pg.connect();
    try {
      const { rows: [due] } = await pg.query<{ online: number; first: Date; last: Date }>(
        'SELECT count(*)::int AS online, min(last_seen_at) AS first, max(last_seen_at) AS last FROM scoring.worker_state WHERE online');
      if (due.online < workers) throw new Error(`only ${due.online} of ${workers} workers online in scoring when the heartbeats stopped; try fewer workers, or a machine with nothing else running`);
      const firstDue = due.first.getTime() + TTL_SECONDS * 1000;
      const lastDue = due.last.getTime() + TTL_SECONDS * 1000;
      console.log(`${label} heartbeats stopped: ${thousands(workers)} workers lapse from ${due.first.toISOString()} to ${due.last.toISOString()} plus the TTL (${TTL_SECONDS} s); waiting for the first ...`);
      await sleep(Math.max(0, firstDue - 5_000 - Date.now()));
      const before = cpuSnapshot();
      const started = Date.now();
      let peakBacklog = 0;
      let area = 0;
      let lastLog = 0;
      let sampledAt = Date.now();
      for (;;) {
        const c = await counts(pg);
        const now = Date.now();
        peakBacklog = Math.max(peakBacklog, c.overdue);
        area += (c.overdue * (now - sampledAt)) / 1000;
        sampledAt = now;
        if (c.online === 0) {
          const cpu = cpuShares(before, cpuSnapshot());
          const tailSeconds = Math.max(0, (now - lastDue) / 1000);
          console.log(`${label} no worker online ${tailSeconds.toFixed(1)} s after the last TTL ran out; backlog at most ${thousands(peakBacklog)}`);
          return { batch, workers, peakBacklog, meanOverdueSeconds: area / workers, tailSeconds, windowSeconds: (now - started) / 1000, cpu };
        }
        if (now - lastDue > LIMIT_SECONDS * 1000) throw new Error(`${c.online} workers still online ${LIMIT_SECONDS} s after the last TTL ran out`);
        if (now - lastLog >= 5_000) {
          lastLog = now;
          console.log(`${label} ${thousands(c.online)} online, ${thousands(c.overdue)} of them past their TTL`);
        }
        await sleep(SAMPLE_MS);
      }
    } finally {
      await pg.end();
    }
  } finally {
    await simulated?.stop();
    await engine.stop();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(SPEC);
  const environment = await describeEnvironment(reproduceCommand(SPEC, options));
  printEnvironment(environment);
  const kafka = new Kafka({ clientId: 'bench-lapse', brokers: [KAFKA_BROKER], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const baseline = await run(kafka, admin, options.workers, 1, options['heartbeat-seconds']);
    const batched = await run(kafka, admin, options.workers, options.batch, options['heartbeat-seconds']);
    const cores = (r: RunResult) => Object.fromEntries(Object.entries(r.cpu).map(([k, v]) => [k, Math.round(v * 100) / 100]));
    console.log(`\n${thousands(options.workers)} workers' heartbeats stopped, lapsing over ${options['heartbeat-seconds']} s:`);
    for (const r of [baseline, batched]) {
      console.log(`  ${r.batch === 1 ? 'one transaction a worker (baseline)' : `${r.batch} workers a transaction`}: backlog at most ${thousands(r.peakBacklog)}, `
        + `online past the TTL ${r.meanOverdueSeconds.toFixed(1)} s on average, none online ${r.tailSeconds.toFixed(1)} s after the last TTL ran out; CPU over those ${r.windowSeconds.toFixed(0)} s, cores ${JSON.stringify(cores(r))}`);
    }
    const ratio = batched.meanOverdueSeconds / baseline.meanOverdueSeconds;
    console.log(`ratio batched / baseline, time online past the TTL: ${ratio.toFixed(2)}`);
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(RESULTS, JSON.stringify({ environment, ttlSeconds: TTL_SECONDS, heartbeatSeconds: options['heartbeat-seconds'], baseline, batched, ratio }, null, 2));
    console.log(`\nresults written to ${RESULTS.replace(`${ROOT}/`, '')}`);
  } finally {
    await admin.disconnect();
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`presence-lapse: ${error.message}`);
    process.exit(1);
  },
);
