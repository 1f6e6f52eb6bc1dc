import 'reflect-metadata';
import { runMain, runService } from '@clearwork/platform';
import { loadScoringConfig } from './config';
import { scoringService } from './service';

runMain(async () => {
  await runService(scoringService(loadScoringConfig()));
});
