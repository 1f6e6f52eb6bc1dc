import { z } from 'zod';
import { BaseConfig, loadConfig } from '@clearwork/platform';

export const AuditConfig = BaseConfig.extend({
  AUDIT_PORT: z.coerce.number().int().min(1).max(65535).default(3003),
});
export type AuditConfig = z.infer<typeof AuditConfig> & { JWT_SECRET: string };

export const loadAuditConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(AuditConfig, env);

/** The PostgreSQL schema the audit service owns. */
export const SCHEMA = 'audit';
