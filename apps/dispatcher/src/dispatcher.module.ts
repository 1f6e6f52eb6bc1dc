import { Module, type DynamicModule } from '@nestjs/common';
import { docsController, PlatformMetrics, PlatformModule, REDIS } from '@clearwork/platform';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { SCHEMA, type DispatcherConfig } from './config';
import { PoliciesConsumer } from './consumers/policies.consumer';
import { TaskEventsConsumer } from './consumers/task-events.consumer';
import { WorkerEventsConsumer } from './consumers/worker-events.consumer';
import { WorkerScoresConsumer } from './consumers/worker-scores.consumer';
import { CapacityLedger } from './dispatch/capacity-ledger';
import { DispatchPlanner } from './dispatch/dispatch-planner';
import { AssignmentSolver } from './dispatch/assignment-solver';
import { BatchDispatcher } from './dispatch/batch-dispatcher';
import { CapacityReconciler } from './dispatch/capacity-reconciler';
import { DispatchUnits } from './dispatch/dispatch-unit';
import { OfferExpiry } from './dispatch/offer-expiry';
import { DispatcherMetrics } from './dispatcher-metrics';
import { DISPATCHER_OPENAPI } from './http/openapi.operations';
import { TasksController } from './http/tasks.controller';
import { Initial1732300000000 } from './migrations/1732300000000-initial';
import { OfferLookups1732500000000 } from './migrations/1732500000000-offer-lookups';
import { WorkerChanges1732600000000 } from './migrations/1732600000000-worker-changes';
import { ProcessedEventsAge1732700000000 } from './migrations/1732700000000-processed-events-age';
import { OfferFeed1732800000000 } from './migrations/1732800000000-offer-feed';
import { RoomForUpdates1732900000000 } from './migrations/1732900000000-room-for-updates';
import { ReplicasBetweenOffers1733000000000 } from './migrations/1733000000000-replicas-between-offers';
import { Lz4ForRecords1733100000000 } from './migrations/1733100000000-lz4-for-records';
import { ScoresInOrder1733300000000 } from './migrations/1733300000000-scores-in-order';
import { TasksByStorage1733500000000 } from './migrations/1733500000000-tasks-by-storage';
import { DispatchPolicy } from './policies/dispatch-policy';
import { TaskLifecycle } from './tasks/task-lifecycle.service';
import { EndedTasks } from './tasks/ended-tasks';
import { TaskStore } from './tasks/task-store';
import { WorkerRegistryUpdates } from './workers/worker-events.service';
import { WorkerEventIntake } from './workers/worker-event-intake';
import { WorkerRegistry } from './workers/worker-registry';
import { CandidateIndex } from './workers/candidate-index';

export const DISPATCHER_MIGRATIONS = [Initial1732300000000, OfferLookups1732500000000, WorkerChanges1732600000000, ProcessedEventsAge1732700000000, OfferFeed1732800000000, RoomForUpdates1732900000000, ReplicasBetweenOffers1733000000000, Lz4ForRecords1733100000000, ScoresInOrder1733300000000, TasksByStorage1733500000000];

@Module({})
export class DispatcherModule {
  static register(config: DispatcherConfig): DynamicModule {
    return {
      module: DispatcherModule,
      imports: [PlatformModule.forService({ service: 'dispatcher', schema: SCHEMA, migrations: DISPATCHER_MIGRATIONS, config })],
      controllers: [TaskEventsConsumer, WorkerEventsConsumer, WorkerScoresConsumer, PoliciesConsumer, TasksController, docsController(DISPATCHER_OPENAPI)],
      providers: [
        WorkerRegistry,
        { provide: CandidateIndex, inject: [DataSource], useFactory: (dataSource: DataSource) => new CandidateIndex(dataSource) },
        TaskStore,
        {
          provide: DispatcherMetrics,
          inject: [PlatformMetrics, TaskStore, DataSource],
          useFactory: (metrics: PlatformMetrics, store: TaskStore, dataSource: DataSource) => new DispatcherMetrics(metrics, () => store.countWaiting(dataSource.manager)),
        },
        { provide: CapacityLedger, inject: [REDIS], useFactory: (redis: Redis) => new CapacityLedger(redis) },
        DispatchPolicy,
        {
          provide: DispatchPlanner,
          inject: [CandidateIndex, TaskStore, REDIS, CapacityLedger, DispatchPolicy],
          useFactory: (index: CandidateIndex, s: TaskStore, redis: Redis, ledger: CapacityLedger, p: DispatchPolicy) => new DispatchPlanner(index, s, redis, ledger, p, { hotStateMaxAgeMs: config.DISPATCHER_HOT_STATE_MAX_AGE_MS }),
        },
        DispatchUnits,
        TaskLifecycle,
        WorkerRegistryUpdates,
        WorkerEventIntake,
        OfferExpiry,
        CapacityReconciler,
        AssignmentSolver,
        BatchDispatcher,
        EndedTasks,
      ],
    };
  }
}
