import 'reflect-metadata';
import { runMain, runService } from '@clearwork/platform';
import { loadAuditConfig } from './config';
import { auditService } from './service';

runMain(async () => {
  await runService(auditService(loadAuditConfig()));
});
