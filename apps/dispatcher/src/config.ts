import { z } from 'zod';
import { BaseConfig, loadConfig } from '@clearwork/platform';

export const DispatcherConfig = BaseConfig.extend({
  DISPATCHER_PORT: z.coerce.number().int().min(1).max(65535).default(3001),
  /** Partitions taken up at once: at least those read, so a fetch's batches of a topic are joined in one call (KAFKA_JOIN_PARTITIONS). */
  DISPATCHER_CONSUMER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(32),
  /**
   * Worker events, scores and policies: a fetch waits up to 100 ms for 256 KiB, so a trickle of
   * answers, heartbeats and scores is a unit every 100 ms at most instead of one per fetch
   * returned at once. Posted tasks are fetched by a consumer of their own that returns at once
   * (see dispatcherService): these settings do not delay an offer.
   */
  KAFKA_FETCH_MIN_BYTES: BaseConfig.shape.KAFKA_FETCH_MIN_BYTES.unwrap().default(256 * 1024),
  KAFKA_FETCH_MAX_WAIT_MS: BaseConfig.shape.KAFKA_FETCH_MAX_WAIT_MS.unwrap().default(100),
  /** Longest a worker's capacity in use and cached score, changed by another process, go unseen by the pools kept between units (see StandingPools). */
  DISPATCHER_HOT_STATE_MAX_AGE_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
});
export type DispatcherConfig = z.infer<typeof DispatcherConfig> & { JWT_SECRET: string };

export const loadDispatcherConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(DispatcherConfig, env);

/** The PostgreSQL schema the dispatcher owns. */
export const SCHEMA = 'dispatcher';
