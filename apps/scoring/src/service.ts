import type { RunServiceOptions } from '@clearwork/platform';
import type { ScoringConfig } from './config';
import { ScoringModule } from './scoring.module';

/** How scoring runs: on its own (main.ts) or beside the others in embedded mode. */
export function scoringService(config: ScoringConfig): RunServiceOptions {
  return { service: 'scoring', module: ScoringModule.register(config), config, port: config.SCORING_PORT, partitionsConcurrently: config.SCORING_CONSUMER_CONCURRENCY };
}
