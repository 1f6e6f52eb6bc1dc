import 'reflect-metadata';
import { runMain, runService } from '@clearwork/platform';
import { loadDispatcherConfig } from './config';
import { DispatcherModule } from './dispatcher.module';

runMain(async () => {
  const config = loadDispatcherConfig();
  await runService({ service: 'dispatcher', module: DispatcherModule.register(config), config, port: config.DISPATCHER_PORT, partitionsConcurrently: config.DISPATCHER_CONSUMER_CONCURRENCY });
});
