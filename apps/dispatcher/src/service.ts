import type { RunServiceOptions } from '@clearwork/platform';
import type { DispatcherConfig } from './config';
import { DispatcherModule } from './dispatcher.module';

/** How the dispatcher runs: on its own (main.ts) or beside the others in embedded mode. */
export function dispatcherService(config: DispatcherConfig): RunServiceOptions {
  return { service: 'dispatcher', module: DispatcherModule.register(config), config, port: config.DISPATCHER_PORT, partitionsConcurrently: config.DISPATCHER_CONSUMER_CONCURRENCY };
}
