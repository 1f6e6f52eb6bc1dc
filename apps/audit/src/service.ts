import type { RunServiceOptions } from '@clearwork/platform';
import { AuditModule } from './audit.module';
import type { AuditConfig } from './config';

/** How the audit service runs: on its own (main.ts) or beside the others in embedded mode. */
export function auditService(config: AuditConfig): RunServiceOptions {
  return {
    service: 'audit',
    module: AuditModule.register(config),
    config,
    port: config.AUDIT_PORT,
    partitionsConcurrently: config.AUDIT_CONSUMER_CONCURRENCY,
    fetchBytesPerPartition: config.AUDIT_FETCH_BYTES_PER_PARTITION,
  };
}
