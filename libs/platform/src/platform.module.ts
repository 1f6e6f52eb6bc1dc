import { Inject, Logger, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from './auth/auth.guard';
import type Redis from 'ioredis';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { DataSource, type MixedList } from 'typeorm';
import type { BaseConfig } from './config/load-config';
import { embeddedAdapters } from './embedded/adapters';
import { HealthChecks } from './http/health';
import { OpsController } from './http/ops.controller';
import { PlatformMetrics } from './http/platform-metrics';
import { EventPublisher } from './kafka/event-publisher';
import { ensureTopics } from './kafka/topic-admin';
import { kafkaLogCreator } from './logging/kafka-log';
import { OutboxRelay } from './outbox/outbox';
import { KAFKA, REDIS, SERVICE_CONFIG } from './platform.tokens';
import { openDataSource } from './postgres/data-source';
import { ProcessedEventsPruner, pruneProcessedEvents } from './postgres/processed-events';
import { StatisticsKeeper } from './postgres/statistics-keeper';
import { createRedis } from './redis/redis-client';

export interface PlatformOptions {
  /** Service name: the consumer group suffix, the metrics label and the Kafka client id. */
  readonly service: string;
  /** The PostgreSQL schema this service owns. */
  readonly schema: string;
  readonly migrations: MixedList<Function>;
  readonly config: BaseConfig;
  /** Whether the service publishes through a transactional outbox (its migrations create `<schema>.outbox`). */
  readonly outbox?: boolean;
  /** Whether the service records handled events in `<schema>.processed_events`, which is then pruned (see ProcessedEventsPruner). */
  readonly processedEvents?: boolean;
}

const PRODUCER = Symbol('PRODUCER');
const PRUNER = Symbol('PRUNER');
const STATISTICS = Symbol('STATISTICS');

/** Headers naming the publisher of an event: which service, in which deployment (consumer group prefix). */
export function publishedBy(options: PlatformOptions): Record<string, string> {
  return { 'clearwork-service': options.service, 'clearwork-deployment': options.config.KAFKA_GROUP_PREFIX };
}

/** Closes every client when the application shuts down, after in-flight work has drained. */
class PlatformLifecycle implements OnApplicationShutdown {
  private readonly log = new Logger('Platform');
  constructor(
    @Inject(OutboxRelay) private readonly relay: OutboxRelay,
    @Inject(PRUNER) private readonly pruner: ProcessedEventsPruner | null,
    @Inject(STATISTICS) private readonly statistics: StatisticsKeeper | null,
    @Inject(PRODUCER) private readonly producer: Producer,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pruner?.stop();
    await this.statistics?.stop();
    await this.relay.stop();
    await this.producer.disconnect().catch((e: Error) => this.log.warn(`producer: ${e.message}`));
    await this.dataSource.destroy().catch((e: Error) => this.log.warn(`postgres: ${e.message}`));
    // The embedded store is shared by the services in the process; its runner closes it.
    if (!embeddedAdapters()) await this.redis.quit().catch((e: Error) => this.log.warn(`redis: ${e.message}`));
  }
}

/**
 * Kafka, PostgreSQL, Redis, the outbox relay, metrics and health for one service. The service's
 * own modules inject what they need; nothing here knows about any service's domain.
 */
@Module({})
export class PlatformModule {
  static forService(options: PlatformOptions): DynamicModule {
    const { config } = options;
    return {
      module: PlatformModule,
      global: true,
      controllers: [OpsController],
      providers: [
        { provide: SERVICE_CONFIG, useValue: config },
        { provide: PlatformMetrics, useFactory: () => new PlatformMetrics(options.service) },
        HealthChecks,
        {
          provide: KAFKA,
          useFactory: async () => {
            const kafka =
              embeddedAdapters()?.kafka ??
              new Kafka({
              clientId: `clearwork-${options.service}`,
              brokers: config.KAFKA_BROKERS,
              logLevel: logLevel.WARN,
              logCreator: kafkaLogCreator,
                retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
              });
            await ensureTopics(kafka);
            return kafka;
          },
        },
        {
          provide: PRODUCER,
          inject: [KAFKA, PlatformMetrics],
          useFactory: async (kafka: Kafka, metrics: PlatformMetrics) => {
            const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
            producer.on(producer.events.REQUEST, (e) => metrics.kafkaRequests.inc({ client: 'producer', api: e.payload.apiName }));
            await producer.connect();
            return producer;
          },
        },
        { provide: EventPublisher, inject: [PRODUCER], useFactory: (producer: Producer) => new EventPublisher(producer) },
        {
          provide: DataSource,
          inject: [HealthChecks],
          useFactory: async (health: HealthChecks) => {
            const embedded = embeddedAdapters();
            const dataSource = await openDataSource({
              url: embedded?.databaseUrl(options.service) ?? config.DATABASE_URL,
              schema: options.schema,
              migrations: options.migrations,
              singleSession: embedded !== undefined,
            });
            health.register('postgres', async () => (await dataSource.query('SELECT 1 AS ok')).length === 1);
            return dataSource;
          },
        },
        {
          provide: REDIS,
          inject: [HealthChecks],
          useFactory: (health: HealthChecks) => {
            const redis = embeddedAdapters()?.redis ?? createRedis(config.REDIS_URL, config.REDIS_KEY_PREFIX);
            health.register('redis', async () => (await redis.ping()) === 'PONG');
            return redis;
          },
        },
        {
          provide: OutboxRelay,
          inject: [DataSource, EventPublisher, PlatformMetrics],
          useFactory: (dataSource: DataSource, publisher: EventPublisher, metrics: PlatformMetrics) => {
            const relay = new OutboxRelay(dataSource, options.schema, publisher, metrics, publishedBy(options));
            if (options.outbox !== false) relay.start();
            return relay;
          },
        },
        {
          provide: PRUNER,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => {
            if (options.processedEvents === false) return null;
            const pruner = new ProcessedEventsPruner(
              (olderThan) => pruneProcessedEvents(dataSource.manager, options.schema, olderThan),
              config.PROCESSED_EVENTS_RETENTION_HOURS * 3_600_000,
              config.PROCESSED_EVENTS_PRUNE_INTERVAL_MS,
              new Logger(ProcessedEventsPruner.name),
            );
            pruner.start();
            return pruner;
          },
        },
        {
          provide: STATISTICS,
          inject: [DataSource],
          useFactory: async (dataSource: DataSource) => {
            // PGlite (embedded mode) is one session in this process: no autovacuum to stand in for.
            if (embeddedAdapters()) return null;
            const keeper = new StatisticsKeeper(dataSource.manager, options.schema, config.POSTGRES_ANALYZE_INTERVAL_MS, new Logger(StatisticsKeeper.name));
            await keeper.start();
            return keeper;
          },
        },
        PlatformLifecycle,
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [SERVICE_CONFIG, PlatformMetrics, HealthChecks, KAFKA, EventPublisher, DataSource, REDIS, OutboxRelay],
    };
  }
}
