import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule } from '@clearwork/platform';
import { SCHEMA, type ScoringConfig } from './config';
import { WorkerEventsConsumer } from './consumers/worker-events.consumer';
import { Initial1732300000000 } from './migrations/1732300000000-initial';
import { WorkerProfiles } from './workers/worker-profiles.service';

export const SCORING_MIGRATIONS = [Initial1732300000000];

@Module({})
export class ScoringModule {
  static register(config: ScoringConfig): DynamicModule {
    return {
      module: ScoringModule,
      imports: [PlatformModule.forService({ service: 'scoring', schema: SCHEMA, migrations: SCORING_MIGRATIONS, config })],
      controllers: [WorkerEventsConsumer],
      providers: [WorkerProfiles],
    };
  }
}
