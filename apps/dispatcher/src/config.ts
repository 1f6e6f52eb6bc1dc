import { z } from 'zod';
import { BaseConfig, loadConfig } from '@clearwork/platform';

export const DispatcherConfig = BaseConfig.extend({
  DISPATCHER_PORT: z.coerce.number().int().min(1).max(65535).default(3001),
  /** Partitions consumed at once, so a task waits behind another partition's batch (worker events, say) no longer than it must. */
  DISPATCHER_CONSUMER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
});
export type DispatcherConfig = z.infer<typeof DispatcherConfig> & { JWT_SECRET: string };

export const loadDispatcherConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(DispatcherConfig, env);

/** The PostgreSQL schema the dispatcher owns. */
export const SCHEMA = 'dispatcher';
