import 'reflect-metadata';
import { runMain, stopOnSignals } from '@clearwork/platform';
import { startEmbedded, welcome } from './embedded';

runMain(async () => {
  const engine = await startEmbedded();
  process.stdout.write(`${welcome(engine)}\n`);
  stopOnSignals('Embedded', () => engine.stop(), {
    stopping: 'stopping the simulator, then the services (the audit log drains its queue), then the databases',
    overran: 'the databases may not have been closed',
  });
});
