import { z } from 'zod';
import { BaseConfig, loadConfig } from '@clearwork/platform';

export const DispatcherConfig = BaseConfig.extend({
  DISPATCHER_PORT: z.coerce.number().int().min(1).max(65535).default(3001),
  /** Partitions taken up at once: at least those read, so a fetch's batches of a topic are joined in one call (KAFKA_JOIN_PARTITIONS). */
  DISPATCHER_CONSUMER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(32),
  /** Longest a worker's capacity in use and cached score, changed by another process, go unseen by the pools kept between units (see StandingPools). */
  DISPATCHER_HOT_STATE_MAX_AGE_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /**
   * How long the dispatcher keeps a task once it has ended (its replicas, offers, decision
   * records and assignments, as `GET /v1/tasks/{taskId}` shows them), counted from when it was
   * stored and from the last thing that happened to it; then they are deleted, a batch at a
   * time, every DISPATCHER_TASK_PRUNE_INTERVAL_MS (see EndedTasks). The audit log keeps every
   * decision and outcome for good. 0: keep every task for ever. Keep it longer than the topics
   * keep events: a task's TaskPosted read again after both the task and its claim were deleted
   * would post it again.
   */
  DISPATCHER_TASK_RETENTION_DAYS: z.coerce.number().min(0).max(3_660).default(30),
  DISPATCHER_TASK_PRUNE_INTERVAL_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(600_000),
});
export type DispatcherConfig = z.infer<typeof DispatcherConfig> & { JWT_SECRET: string };

export const loadDispatcherConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(DispatcherConfig, env);

/** The PostgreSQL schema the dispatcher owns. */
export const SCHEMA = 'dispatcher';
