/*
 * How long a policy change takes to reach every worker's score: the engine with a workforce
 * online and heartbeating, a policy published, and the time until no worker is scored under
 * the old version any more (the publisher's recomputation and the workers' own events both
 * upgrade them). Baseline in the same run: the same with one transaction a worker
 * (SCORING_RECOMPUTE_BATCH=1, how it was done before batches), on a scratch database of its own.
 * Kafka, PostgreSQL and Redis must be up; `npm run build` first (the services run from dist/).
 *   npx tsx bench/policy-recompute.ts [--workers 20000] [--batch 100]
 * Results in bench/results/policy-recompute.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimulatedWorkers, WorkforceSimulation } from '@clearwork/testing';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Client } from 'pg';
import { Engine } from '../test/support/engine';
import { parseOptions, reproduceCommand } from './support/cli';
import { describeEnvironment, KAFKA_BROKER, printEnvironment, ROOT } from './support/environment';
import { cpuShares, cpuSnapshot } from './support/process-cpu';
import { bringOnline, engineLag } from './support/workforce';

const SPEC = {
  script: 'bench/policy-recompute.ts',
  summary: 'Time for a policy change to reach every worker, recomputed in batches, against one transaction a worker.',
  options: {
    workers: { default: 20_000, min: 10, help: 'simulated online workers (each heartbeats once a minute)' },
    batch: { default: 100, min: 2, help: 'workers recomputed in one transaction (SCORING_RECOMPUTE_BATCH) in the measured run' },
  },
};
const RESULTS = join(ROOT, 'bench', 'results', 'policy-recompute.json');
/** Longest a run may take to bring every worker to the new policy before it is called failed. */
const LIMIT_SECONDS = 600;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RunResult {
  batch: number;
  workers: number;
  seconds: number;
  cpu: Record<string, number>;
}

/** One engine, one workforce, one policy change; returns how long until no worker was below the new version. */
async function run(kafka: Kafka, admin: Admin, workers: number, batch: number): Promise<RunResult> {
  const label = `[batch ${batch}]`;
  process.env.SCORING_RECOMPUTE_BATCH = String(batch);
  const engine = new Engine();
  let simulated: SimulatedWorkers | undefined;
  try {
    console.log(`${label} starting the engine on a scratch database ...`);
    await engine.start();
    simulated = new SimulatedWorkers(kafka, new WorkforceSimulation({ seed: 1, workers, idPrefix: engine.runId }));
    await simulated.start();
    await bringOnline(simulated, engineLag(admin, engine), workers, label);
    await sleep(5000);
    const pg = new Client({ connectionString: engine.databaseUrl });
    await pg.connect();
    try {
      const before = cpuSnapshot();
      const started = Date.now();
      const published = await engine.post('scoring', '/v1/policies', { rationale: 'Benchmark: a policy change reaching every worker.', changes: { weights: { quality: 0.4, latency: 0.3, availability: 0.3 } } }, engine.token('platform'));
      if (published.status !== 201) throw new Error(`publishing the policy: HTTP ${published.status} ${JSON.stringify(published.body)}`);
      const version = published.body.version as number;
      for (;;) {
        const { rows } = await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM scoring.worker_state WHERE policy_version < $1', [version]);
        const seconds = (Date.now() - started) / 1000;
        if (rows[0].n === 0) {
          const cpu = cpuShares(before, cpuSnapshot());
          console.log(`${label} every worker under policy v${version} after ${seconds.toFixed(1)} s`);
          return { batch, workers, seconds, cpu };
        }
        if (seconds > LIMIT_SECONDS) throw new Error(`${rows[0].n} workers still below policy v${version} after ${LIMIT_SECONDS} s`);
        console.log(`${label} ${Math.round(seconds)} s: ${rows[0].n.toLocaleString('en')} workers still below policy v${version}`);
        await sleep(2000);
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
  const kafka = new Kafka({ clientId: 'bench-policy', brokers: [KAFKA_BROKER], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const baseline = await run(kafka, admin, options.workers, 1);
    const batched = await run(kafka, admin, options.workers, options.batch);
    const cores = (r: RunResult) => Object.fromEntries(Object.entries(r.cpu).map(([k, v]) => [k, Math.round(v * 100) / 100]));
    console.log('\npolicy change to every worker:');
    for (const r of [baseline, batched]) console.log(`  ${r.batch === 1 ? 'one transaction a worker (baseline)' : `${r.batch} workers a transaction`}: ${r.seconds.toFixed(1)} s; CPU meanwhile, cores ${JSON.stringify(cores(r))}`);
    console.log(`ratio batched / baseline: ${(batched.seconds / baseline.seconds).toFixed(2)} of the time`);
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(RESULTS, JSON.stringify({ environment, baseline, batched, ratio: batched.seconds / baseline.seconds }, null, 2));
    console.log(`\nresults written to ${RESULTS.replace(`${ROOT}/`, '')}`);
  } finally {
    await admin.disconnect();
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`policy-recompute: ${error.message}`);
    process.exit(1);
  },
);
