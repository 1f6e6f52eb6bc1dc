import 'reflect-metadata';
import { runMain, runService } from '@clearwork/platform';
import { loadDispatcherConfig } from './config';
import { dispatcherService } from './service';

runMain(async () => {
  await runService(dispatcherService(loadDispatcherConfig()));
});
