import { z } from 'zod';
import { BaseConfig, loadConfig } from '@clearwork/platform';

export const ScoringConfig = BaseConfig.extend({
  SCORING_PORT: z.coerce.number().int().min(1).max(65535).default(3002),
  /** Partitions taken up at once: at least those read, so a fetch's batches of a topic are joined in one call (KAFKA_JOIN_PARTITIONS). */
  SCORING_CONSUMER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(32),
  /**
   * Off a task's path to its offer, so a fetch waits up to 100 ms for 256 KiB: fewer, larger
   * transactions for the same events (see docs/decisions.md, "Fetches wait up to 100 ms").
   */
  KAFKA_FETCH_MIN_BYTES: BaseConfig.shape.KAFKA_FETCH_MIN_BYTES.unwrap().default(256 * 1024),
  KAFKA_FETCH_MAX_WAIT_MS: BaseConfig.shape.KAFKA_FETCH_MAX_WAIT_MS.unwrap().default(100),
});
export type ScoringConfig = z.infer<typeof ScoringConfig> & { JWT_SECRET: string };

export const loadScoringConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(ScoringConfig, env);

/** The PostgreSQL schema the scoring service owns. */
export const SCHEMA = 'scoring';
