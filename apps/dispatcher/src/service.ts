import { TOPICS } from '@clearwork/contracts';
import type { RunServiceOptions } from '@clearwork/platform';
import type { DispatcherConfig } from './config';
import { DispatcherModule } from './dispatcher.module';

/**
 * A fetch of posted tasks returns at once with what there is; with nothing, it waits up to 5 s
 * (kafkajs's default). Waiting 5 ms for more was measured and not kept (BENCHMARKS.md).
 */
const TASKS_FETCH = { minBytes: 1, maxWaitMs: 5_000 };

/**
 * How the dispatcher runs: on its own (main.ts) or beside the others in embedded mode. Posted
 * tasks have a consumer of their own (group `<prefix>.dispatcher.tasks`), so a task is fetched
 * without waiting for the worker events of the same fetch (acceptances, declines that re-attempt,
 * heartbeats) to be handled. Its fetches return as soon as a task is there (the other group waits
 * up to KAFKA_FETCH_MAX_WAIT_MS to gather more, see DispatcherConfig).
 */
export function dispatcherService(config: DispatcherConfig): RunServiceOptions {
  return {
    service: 'dispatcher',
    module: DispatcherModule.register(config),
    config,
    port: config.DISPATCHER_PORT,
    partitionsConcurrently: config.DISPATCHER_CONSUMER_CONCURRENCY,
    ownConsumers: [{ suffix: 'tasks', topics: [TOPICS.tasks], fetch: TASKS_FETCH }],
  };
}
