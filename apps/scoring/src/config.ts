import { z } from 'zod';
import { BaseConfig, loadConfig } from '@clearwork/platform';

export const ScoringConfig = BaseConfig.extend({
  SCORING_PORT: z.coerce.number().int().min(1).max(65535).default(3002),
  /** Partitions consumed at once, so a task waits behind another partition's batch (worker events, say) no longer than it must. */
  SCORING_CONSUMER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
});
export type ScoringConfig = z.infer<typeof ScoringConfig> & { JWT_SECRET: string };

export const loadScoringConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(ScoringConfig, env);

/** The PostgreSQL schema the scoring service owns. */
export const SCHEMA = 'scoring';
