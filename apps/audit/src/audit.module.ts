import { Module, type DynamicModule } from '@nestjs/common';
import { docsController, PlatformModule } from '@clearwork/platform';
import { AppealsService } from './appeals/appeals.service';
import { AuditMetrics } from './audit-metrics';
import { SCHEMA, type AuditConfig } from './config';
import { LogConsumer } from './consumers/log.consumer';
import { DecisionsService } from './decisions/decisions.service';
import { ExplanationService } from './explanations/explanation.service';
import { AppealsController } from './http/appeals.controller';
import { DecisionsController } from './http/decisions.controller';
import { ExplanationController } from './http/explanation.controller';
import { LogController } from './http/log.controller';
import { AUDIT_OPENAPI } from './http/openapi.operations';
import { PagesController } from './http/pages.controller';
import { PoliciesController } from './http/policies.controller';
import { ReportsController } from './http/reports.controller';
import { WorkerRecordController } from './http/worker-record.controller';
import { CheckpointSigner } from './log/checkpoint-signer';
import { LogAppender } from './log/log-appender';
import { LogProofs } from './log/log-proofs';
import { LogReader } from './log/log-reader';
import { LogRecorder } from './log/log-recorder';
import { PresenceMarks } from './log/presence-marks';
import { LogTree } from './log/log-tree';
import { AUDIT_MIGRATIONS } from './migrations';
import { RecordedPolicies } from './policies/recorded-policies';
import { OutcomeReportsService } from './reports/outcome-reports.service';
import { WorkerRecordService } from './workers/worker-record.service';

@Module({})
export class AuditModule {
  static register(config: AuditConfig): DynamicModule {
    return {
      module: AuditModule,
      imports: [PlatformModule.forService({ service: 'audit', schema: SCHEMA, migrations: AUDIT_MIGRATIONS, config, outbox: false, processedEvents: false })],
      controllers: [LogConsumer, ExplanationController, LogController, WorkerRecordController, AppealsController, DecisionsController, ReportsController, PoliciesController, PagesController, docsController(AUDIT_OPENAPI)],
      providers: [
        AuditMetrics, CheckpointSigner, LogTree, LogAppender, LogReader, LogRecorder, LogProofs, PresenceMarks,
        RecordedPolicies, AppealsService, ExplanationService, WorkerRecordService, DecisionsService, OutcomeReportsService,
      ],
    };
  }
}
