import type { SimulatedWorkers } from '@clearwork/testing';
import type { Admin } from 'kafkajs';
import { CONSUMER_GROUPS, type Engine } from '../../test/support/engine';
import { ConsumerLag } from './consumer-lag';
import { progress, thousands } from './report';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How far each of the engine's consumer groups is behind its topics. */
export function engineLag(admin: Admin, engine: Engine): ConsumerLag {
  return new ConsumerLag(admin, CONSUMER_GROUPS.map((g) => ({ name: g.name, groupId: `${engine.runId}.${g.group}`, topics: g.topics })));
}

/**
 * Registers the simulated workforce (`workers`, already started), waits until every service has
 * consumed the registrations (10 minutes at most), then starts the workers' activity: answers to
 * offers, work, heartbeats.
 */
export async function bringOnline(workers: SimulatedWorkers, lag: ConsumerLag, count: number, label: string): Promise<void> {
  progress(`${label} registering ${thousands(count)} workers and waiting for the services to consume them ...`);
  await workers.register();
  await sleep(2_000);
  if (!(await lag.drain(600))) throw new Error(`the services had not consumed the workers' registrations after 10 minutes (lag ${JSON.stringify(await lag.lag())}); try fewer workers, or a machine with nothing else running`);
  workers.startActivity();
}
