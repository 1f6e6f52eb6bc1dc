import 'reflect-metadata';
import { runMain, runService } from '@clearwork/platform';
import { AuditModule } from './audit.module';
import { loadAuditConfig } from './config';

runMain(async () => {
  const config = loadAuditConfig();
  await runService({ service: 'audit', module: AuditModule.register(config), config, port: config.AUDIT_PORT, partitionsConcurrently: config.AUDIT_CONSUMER_CONCURRENCY, fetchBytesPerPartition: config.AUDIT_FETCH_BYTES_PER_PARTITION });
});
