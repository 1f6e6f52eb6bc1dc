import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule } from '@clearwork/platform';
import { SCHEMA, type AuditConfig } from './config';
import { LogConsumer } from './consumers/log.consumer';
import { ExplanationController } from './http/explanation.controller';
import { DecisionLog } from './log/decision-log';
import { Initial1732300000000 } from './migrations/1732300000000-initial';

export const AUDIT_MIGRATIONS = [Initial1732300000000];

@Module({})
export class AuditModule {
  static register(config: AuditConfig): DynamicModule {
    return {
      module: AuditModule,
      imports: [PlatformModule.forService({ service: 'audit', schema: SCHEMA, migrations: AUDIT_MIGRATIONS, config, outbox: false })],
      controllers: [LogConsumer, ExplanationController],
      providers: [DecisionLog],
    };
  }
}
