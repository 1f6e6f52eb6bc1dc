import { z } from 'zod';
import { BaseConfig, ConfigError, loadConfig } from '@clearwork/platform';

/** The seed development and test runs sign checkpoints with when none is set; production refuses it. */
export const DEV_SIGNING_SEED = Buffer.alloc(32, 7).toString('base64');

export const AuditConfig = BaseConfig.extend({
  AUDIT_PORT: z.coerce.number().int().min(1).max(65535).default(3003),
  /** Base64 of the 32-byte Ed25519 seed that signs checkpoints. Required in production. */
  AUDIT_SIGNING_KEY: z
    .string()
    .refine((s) => Buffer.from(s, 'base64').length === 32, 'must be the base64 of a 32-byte Ed25519 seed (openssl rand -base64 32)')
    .optional(),
  /** The log's name in its checkpoints, so a checkpoint of one log is never taken for another's. */
  AUDIT_LOG_ORIGIN: z.string().min(1).max(200).regex(/^[^\n]+$/, 'one line').default('clearwork.audit/log'),
  /** Partitions taken up at once: at least those read, so a fetch's batches of a topic are joined in one call and one group commit. */
  AUDIT_CONSUMER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(32),
  /**
   * Most bytes fetched per partition at once. Larger fetches make larger group commits; it
   * matters most when catching up, when only a few partitions still have a backlog.
   */
  AUDIT_FETCH_BYTES_PER_PARTITION: z.coerce.number().int().min(64 * 1024).max(64 * 1024 * 1024).default(4 * 1024 * 1024),
  /** How often a new checkpoint is signed while entries keep arriving. */
  AUDIT_CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(50).max(3_600_000).default(1_000),
});
export type AuditConfig = z.infer<typeof AuditConfig> & { JWT_SECRET: string; AUDIT_SIGNING_KEY: string };

export function loadAuditConfig(env: NodeJS.ProcessEnv = process.env): AuditConfig {
  const config = loadConfig(AuditConfig, env);
  if (!config.AUDIT_SIGNING_KEY) {
    if (config.NODE_ENV === 'production') throw new ConfigError(['AUDIT_SIGNING_KEY: required in production (openssl rand -base64 32)']);
    config.AUDIT_SIGNING_KEY = DEV_SIGNING_SEED;
  }
  return config as AuditConfig;
}

/** The PostgreSQL schema the audit service owns. */
export const SCHEMA = 'audit';
