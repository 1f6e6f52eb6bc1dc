/*
 * The engine's CPU when idle, and with a workforce heartbeating but no tasks: the base that the
 * throughput benchmark's per-task CPU is counted above. Kafka, PostgreSQL and Redis must be up.
 *   npx tsx bench/idle-cost.ts [workers, default 2000]
 */
import { SimulatedWorkers, WorkforceSimulation } from '@clearwork/testing';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Engine } from '../test/support/engine';
import { KAFKA_BROKER } from './support/environment';
import { onInterrupt } from './support/interrupt';
import { cpuShares, cpuSnapshot } from './support/process-cpu';
import { bringOnline, engineLag } from './support/workforce';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU of each process group over `s` seconds, in cores. */
async function window(label: string, s: number): Promise<void> {
  const before = cpuSnapshot();
  await sleep(s * 1000);
  const shares = cpuShares(before, cpuSnapshot());
  console.log(label, JSON.stringify(Object.fromEntries(Object.entries(shares).map(([k, v]) => [k, Math.round(v * 100) / 100]))));
}

async function main(): Promise<void> {
  const workerCount = Number(process.argv[2] ?? 2000);
  if (!Number.isInteger(workerCount) || workerCount < 1) throw new Error(`workers must be a positive whole number, not ${process.argv[2]}`);
  const kafka = new Kafka({ clientId: 'probe', brokers: [KAFKA_BROKER], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const engine = new Engine();
  onInterrupt(() => engine.stop());
  try {
    await engine.start();
    await measure(kafka, admin, engine, workerCount);
  } finally {
    await engine.stop();
    await admin.disconnect();
  }
}

async function measure(kafka: Kafka, admin: Admin, engine: Engine, workerCount: number): Promise<void> {
  await sleep(5000);
  console.log('[idle-cost] services up; measuring 20 s with no workers ...');
  await window('idle, no workers', 20);
  const simulation = new WorkforceSimulation({ seed: 1, workers: workerCount, idPrefix: engine.runId });
  const workers = new SimulatedWorkers(kafka, simulation);
  await workers.start();
  await bringOnline(workers, engineLag(admin, engine), workerCount, '[idle-cost]');
  await sleep(5000);
  console.log('[idle-cost] measuring 30 s of heartbeats, no tasks ...');
  await window('heartbeats only', 30);
  await workers.stop();
}
main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`idle-cost failed: ${error.message} (are Kafka, PostgreSQL and Redis up? npm run infra:up)`);
    process.exit(1);
  },
);
