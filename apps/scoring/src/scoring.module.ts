import { Module, type DynamicModule } from '@nestjs/common';
import { docsController, PlatformModule } from '@clearwork/platform';
import { SCHEMA, type ScoringConfig } from './config';
import { ScoringConsumers } from './consumers/scoring.consumers';
import { SCORING_OPENAPI } from './http/openapi.operations';
import { Initial1732300000000 } from './migrations/1732300000000-initial';
import { ProcessedEventsAge1732700000000 } from './migrations/1732700000000-processed-events-age';
import { RoomForUpdates1732900000000 } from './migrations/1732900000000-room-for-updates';
import { JsonWithoutStatistics1733500000000 } from './migrations/1733500000000-json-without-statistics';
import { PolicyCache } from './policies/policy-cache';
import { PolicyController } from './policies/policy.controller';
import { PolicyPublisher } from './policies/policy-publisher.service';
import { PolicyStore } from './policies/policy-store';
import { PresenceLapse } from './scores/presence-lapse';
import { ScoreCache } from './scores/score-cache';
import { ScoreController } from './scores/score.controller';
import { ScoreKeeper } from './scores/score-keeper.service';
import { ScoreStore } from './scores/score-store';

export const SCORING_MIGRATIONS = [Initial1732300000000, ProcessedEventsAge1732700000000, RoomForUpdates1732900000000, JsonWithoutStatistics1733500000000];

@Module({})
export class ScoringModule {
  static register(config: ScoringConfig): DynamicModule {
    return {
      module: ScoringModule,
      imports: [PlatformModule.forService({ service: 'scoring', schema: SCHEMA, migrations: SCORING_MIGRATIONS, config })],
      controllers: [ScoringConsumers, PolicyController, ScoreController, docsController(SCORING_OPENAPI)],
      providers: [PolicyStore, PolicyCache, PolicyPublisher, ScoreStore, ScoreCache, ScoreKeeper, PresenceLapse],
    };
  }
}
