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
import { DEFAULT_POLICY } from '@clearwork/scoring-core';
import type { Client } from 'pg';
import { compareBatches, coresOf, describeBatch, type BatchResult } from './support/batch-comparison';
import { cpuShares, cpuSnapshot } from './support/process-cpu';
import { thousands } from './support/report';

const SPEC = {
  script: 'bench/presence-lapse.ts',
  summary: 'Time for scoring to mark a whole workforce offline once its heartbeats stop, in batches, against one transaction a worker.',
  options: {
    workers: { default: 20_000, min: 10, help: 'simulated online workers' },
    batch: { default: 100, min: 2, help: 'workers marked offline in one transaction (SCORING_LAPSE_BATCH) in the measured run' },
    'heartbeat-seconds': { default: 30, min: 5, help: 'seconds between a worker\'s heartbeats (the lapses fall due over that many seconds)' },
  },
};
const TTL_SECONDS = DEFAULT_POLICY.presence.heartbeatTtlSeconds;
/** Longest a run may take after the last TTL ran out before it is called failed. */
const LIMIT_SECONDS = 600;
const SAMPLE_MS = 500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RunResult extends BatchResult {
  workers: number;
  /** Workers still marked online past their TTL, at most, in one sample. */
  peakBacklog: number;
  /** The backlog's area (worker-seconds) over the workers lapsed: how long a worker stayed online past its TTL, on average. */
  meanOverdueSeconds: number;
  /** From the last worker's TTL running out until no worker was online. */
  tailSeconds: number;
  /** The time measured: from 5 s before the first TTL ran out until no worker was online; the CPU is its mean. */
  windowSeconds: number;
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

compareBatches({
  spec: SPEC,
  name: 'presence-lapse',
  setting: 'SCORING_LAPSE_BATCH',
  simulation: (options) => ({ heartbeatSeconds: options['heartbeat-seconds'] }),
  // The workforce's heartbeats stopped; how scoring caught up with their lapses.
  async measure({ label, workers: simulated, lag, pg }, batch, options): Promise<RunResult> {
    const { workers } = options;
    const heartbeatSeconds = options['heartbeat-seconds'];
    console.log(`${label} heartbeating for ${heartbeatSeconds + 5} s, so that every worker's last heartbeat falls in one period ...`);
    await sleep((heartbeatSeconds + 5) * 1000);
    await simulated.stop();
    if (!(await lag.drain(120))) throw new Error(`the services had not consumed the last heartbeats after 2 minutes (lag ${JSON.stringify(await lag.lag())}); try fewer workers`);
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
  },
  report: (baseline, batched, options) => ({
    lines: [
      `${thousands(options.workers)} workers' heartbeats stopped, lapsing over ${options['heartbeat-seconds']} s:`,
      ...[baseline, batched].map((r) => `  ${describeBatch(r)}: backlog at most ${thousands(r.peakBacklog)}, online past the TTL ${r.meanOverdueSeconds.toFixed(1)} s on average, `
        + `none online ${r.tailSeconds.toFixed(1)} s after the last TTL ran out; CPU over those ${r.windowSeconds.toFixed(0)} s, cores ${coresOf(r)}`),
      `ratio batched / baseline, time online past the TTL: ${(batched.meanOverdueSeconds / baseline.meanOverdueSeconds).toFixed(2)}`,
    ],
    ratio: batched.meanOverdueSeconds / baseline.meanOverdueSeconds,
    extra: { ttlSeconds: TTL_SECONDS, heartbeatSeconds: options['heartbeat-seconds'] },
  }),
}).then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`presence-lapse: ${error.message}`);
    process.exit(1);
  },
);
