import 'reflect-metadata';
import { runMain, runService } from '@clearwork/platform';
import { loadScoringConfig } from './config';
import { ScoringModule } from './scoring.module';

runMain(async () => {
  const config = loadScoringConfig();
  await runService({ service: 'scoring', module: ScoringModule.register(config), config, port: config.SCORING_PORT, partitionsConcurrently: config.SCORING_CONSUMER_CONCURRENCY });
});
