import { z } from 'zod';
import { BaseConfig, loadConfig } from '@clearwork/platform';

export const DispatcherConfig = BaseConfig.extend({
  DISPATCHER_PORT: z.coerce.number().int().min(1).max(65535).default(3001),
  /** Partitions taken up at once: at least those read, so a fetch's batches of a topic are joined in one call (KAFKA_JOIN_PARTITIONS). */
  DISPATCHER_CONSUMER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(32),
  /** Longest a worker's capacity in use and cached score, changed by another process, go unseen by the pools kept between units (see StandingPools). */
  DISPATCHER_HOT_STATE_MAX_AGE_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
});
export type DispatcherConfig = z.infer<typeof DispatcherConfig> & { JWT_SECRET: string };

export const loadDispatcherConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(DispatcherConfig, env);

/** The PostgreSQL schema the dispatcher owns. */
export const SCHEMA = 'dispatcher';
