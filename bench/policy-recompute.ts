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
import { compareBatches, coresOf, describeBatch, type BatchResult } from './support/batch-comparison';
import { cpuShares, cpuSnapshot } from './support/process-cpu';

const SPEC = {
  script: 'bench/policy-recompute.ts',
  summary: 'Time for a policy change to reach every worker, recomputed in batches, against one transaction a worker.',
  options: {
    workers: { default: 20_000, min: 10, help: 'simulated online workers (each heartbeats once a minute)' },
    batch: { default: 100, min: 2, help: 'workers recomputed in one transaction (SCORING_RECOMPUTE_BATCH) in the measured run' },
  },
};
/** Longest a run may take to bring every worker to the new policy before it is called failed. */
const LIMIT_SECONDS = 600;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RunResult extends BatchResult {
  workers: number;
  seconds: number;
}

compareBatches({
  spec: SPEC,
  name: 'policy-recompute',
  setting: 'SCORING_RECOMPUTE_BATCH',
  // One policy change; how long until no worker was below the new version.
  async measure({ label, engine, pg }, batch, options): Promise<RunResult> {
    await sleep(5000);
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
        return { batch, workers: options.workers, seconds, cpu };
      }
      if (seconds > LIMIT_SECONDS) throw new Error(`${rows[0].n} workers still below policy v${version} after ${LIMIT_SECONDS} s`);
      console.log(`${label} ${Math.round(seconds)} s: ${rows[0].n.toLocaleString('en')} workers still below policy v${version}`);
      await sleep(2000);
    }
  },
  report: (baseline, batched) => ({
    lines: [
      'policy change to every worker:',
      ...[baseline, batched].map((r) => `  ${describeBatch(r)}: ${r.seconds.toFixed(1)} s; CPU meanwhile, cores ${coresOf(r)}`),
      `ratio batched / baseline: ${(batched.seconds / baseline.seconds).toFixed(2)} of the time`,
    ],
    ratio: batched.seconds / baseline.seconds,
  }),
}).then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`policy-recompute: ${error.message}`);
    process.exit(1);
  },
);
