import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimulatedWorkers, WorkforceSimulation } from '@clearwork/testing';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { Engine } from '../../test/support/engine';
import { parseOptions, reproduceCommand, type CommandSpec, type OptionSpec, type ParsedOptions } from './cli';
import { describeEnvironment, KAFKA_BROKER, printEnvironment, ROOT } from './environment';
import { onInterrupt } from './interrupt';
import { type ConsumerLag } from './consumer-lag';
import { bringOnline, engineLag } from './workforce';

/** What a run of a batch comparison is given: the engine, its workforce online, and a connection to its scratch database. */
export interface WorkforceRun {
  readonly label: string;
  readonly engine: Engine;
  readonly workers: SimulatedWorkers;
  readonly lag: ConsumerLag;
  readonly pg: Client;
}

/** A run's result: at least the batch size it ran with and the CPU it measured, in cores. */
export interface BatchResult {
  readonly batch: number;
  readonly cpu: Record<string, number>;
}

/** The comparison's printed lines and its ratio, batched over baseline, from the two runs' results. */
export interface BatchReport {
  readonly lines: readonly string[];
  readonly ratio: number;
  readonly extra?: Record<string, unknown>;
}

const rounded = (cpu: Record<string, number>) => Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Math.round(v * 100) / 100]));

/** "one transaction a worker (baseline)" or "100 workers a transaction", and the CPU in cores rounded. */
export const describeBatch = (r: BatchResult) => `${r.batch === 1 ? 'one transaction a worker (baseline)' : `${r.batch} workers a transaction`}`;
export const coresOf = (r: BatchResult) => JSON.stringify(rounded(r.cpu));

/**
 * A benchmark of a batched step against one transaction a worker, both in the same run: for
 * each (the baseline first, with `setting`=1, then with the `--batch` option), an engine on a
 * scratch database of its own with `setting` in its environment and a simulated workforce
 * brought online (`--workers`), then `measure`. Prints the environment, each run's progress and
 * the report, and writes the results to `bench/results/<name>.json`.
 */
export async function compareBatches<O extends Record<string, OptionSpec> & { workers: OptionSpec; batch: OptionSpec }, R extends BatchResult>(c: {
  spec: CommandSpec<O>;
  name: string;
  setting: string;
  simulation?: (options: ParsedOptions<O>) => { heartbeatSeconds?: number };
  measure: (run: WorkforceRun, batch: number, options: ParsedOptions<O>) => Promise<R>;
  report: (baseline: R, batched: R, options: ParsedOptions<O>) => BatchReport;
}): Promise<void> {
  const options = parseOptions(c.spec);
  const environment = await describeEnvironment(reproduceCommand(c.spec, options));
  printEnvironment(environment);
  const kafka = new Kafka({ clientId: `bench-${c.name}`, brokers: [KAFKA_BROKER], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  let stopRun = async () => undefined as unknown;
  onInterrupt(() => stopRun());
  const run = async (batch: number): Promise<R> => {
    const label = `[batch ${batch}]`;
    process.env[c.setting] = String(batch);
    const engine = new Engine();
    let workers: SimulatedWorkers | undefined;
    let pg: Client | undefined;
    stopRun = async () => {
      await workers?.stop();
      await pg?.end().catch(() => undefined);
      await engine.stop();
    };
    try {
      console.log(`${label} starting the engine on a scratch database ...`);
      await engine.start();
      workers = new SimulatedWorkers(kafka, new WorkforceSimulation({ seed: 1, workers: options.workers, idPrefix: engine.runId, ...c.simulation?.(options) }));
      await workers.start();
      const lag = engineLag(admin, engine);
      await bringOnline(workers, lag, options.workers, label);
      pg = new Client({ connectionString: engine.databaseUrl });
      // Ended by an interrupt's cleanup or the database's drop: reported by the query in flight, if any.
      pg.on('error', () => undefined);
      await pg.connect();
      try {
        return await c.measure({ label, engine, workers, lag, pg }, batch, options);
      } finally {
        await pg.end();
      }
    } finally {
      await workers?.stop();
      await engine.stop();
      delete process.env[c.setting];
    }
  };
  try {
    const baseline = await run(1);
    const batched = await run(options.batch);
    const report = c.report(baseline, batched, options);
    console.log('');
    for (const line of report.lines) console.log(line);
    const path = join(ROOT, 'bench', 'results', `${c.name}.json`);
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(path, JSON.stringify({ environment, ...report.extra, baseline, batched, ratio: report.ratio }, null, 2));
    console.log(`\nresults written to ${path.replace(`${ROOT}/`, '')}`);
  } finally {
    await admin.disconnect();
  }
}
