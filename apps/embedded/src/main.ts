import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { runMain } from '@clearwork/platform';
import { startEmbedded, welcome } from './embedded';

/** Longest a stop may take before the process gives up waiting and exits non-zero. */
const STOP_TIMEOUT_MS = 25_000;

runMain(async () => {
  const engine = await startEmbedded();
  process.stdout.write(`${welcome(engine)}\n`);
  const log = new Logger('Embedded');
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn(`${signal} again: exiting without finishing`);
      process.exit(1);
    }
    stopping = true;
    log.log(`${signal}: stopping the simulator, then the services (the audit log drains its queue), then the databases`);
    setTimeout(() => {
      log.error(`still stopping after ${STOP_TIMEOUT_MS / 1000} s: exiting`);
      process.exit(1);
    }, STOP_TIMEOUT_MS).unref();
    engine.stop().then(
      () => {
        log.log('stopped cleanly');
        process.exit(0);
      },
      (error: Error) => {
        log.error(`stopping failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
});
