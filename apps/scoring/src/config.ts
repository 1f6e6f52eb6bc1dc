import { z } from 'zod';
import { BaseConfig, loadConfig } from '@clearwork/platform';

export const ScoringConfig = BaseConfig.extend({
  SCORING_PORT: z.coerce.number().int().min(1).max(65535).default(3002),
  /** Partitions taken up at once: at least those read, so a fetch's batches of a topic are joined in one call (KAFKA_JOIN_PARTITIONS). */
  SCORING_CONSUMER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(32),
  /**
   * Workers recomputed in one transaction after a policy change (their rows locked together
   * meanwhile). 1 is one transaction a worker, as before batches: kept for the benchmark's
   * baseline (bench/policy-recompute.ts).
   */
  SCORING_RECOMPUTE_BATCH: z.coerce.number().int().min(1).max(1000).default(100),
  /**
   * Workers whose heartbeats lapsed marked offline in one transaction (their rows locked
   * together meanwhile). 1 is one transaction a worker, as before batches: kept for the
   * benchmark's baseline (bench/presence-lapse.ts).
   */
  SCORING_LAPSE_BATCH: z.coerce.number().int().min(1).max(1000).default(100),
});
export type ScoringConfig = z.infer<typeof ScoringConfig> & { JWT_SECRET: string };

export const loadScoringConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(ScoringConfig, env);

/** The PostgreSQL schema the scoring service owns. */
export const SCHEMA = 'scoring';
