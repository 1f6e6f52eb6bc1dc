import { Logger, type INestApplication, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { TopicName } from '@clearwork/contracts';
import type { Kafka } from 'kafkajs';
import { logFormat, type BaseConfig } from './config/load-config';
import { HealthChecks } from './http/health';
import { PlatformMetrics } from './http/platform-metrics';
import { rateLimiter } from './http/rate-limit';
import { securityHeaders } from './http/security-headers';
import { EventPublisher } from './kafka/event-publisher';
import { KafkaEventServer } from './kafka/kafka-event-server';
import { adoptGroupOffsets } from './kafka/topic-admin';
import { createLogger } from './logging/create-logger';
import { KAFKA } from './platform.tokens';

const LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

export interface RunServiceOptions {
  readonly service: string;
  readonly module: Parameters<typeof NestFactory.create>[0];
  readonly config: BaseConfig;
  readonly port: number;
  /** Partitions consumed at once; see `KafkaEventServerOptions.partitionsConcurrently`. */
  readonly partitionsConcurrently?: number;
  /** See `KafkaEventServerOptions.fetchBytesPerPartition`. */
  readonly fetchBytesPerPartition?: number;
  /** Stop on SIGTERM/SIGINT and exit (default); off when a runner holding several services stops them itself. */
  readonly handleSignals?: boolean;
  /**
   * Topics consumed by a consumer of their own, in the group `<prefix>.<service>.<suffix>`: its
   * fetches do not wait for the other topics' calls, nor theirs for its. The group takes over
   * the service group's positions on those topics the first time (see adoptGroupOffsets).
   */
  readonly ownConsumers?: readonly OwnConsumer[];
}

/** A consumer of its own for some topics (see `RunServiceOptions.ownConsumers`). */
export interface OwnConsumer {
  readonly suffix: string;
  readonly topics: readonly TopicName[];
  /** How its fetches wait, instead of KAFKA_FETCH_MIN_BYTES and KAFKA_FETCH_MAX_WAIT_MS. */
  readonly fetch?: { readonly minBytes: number; readonly maxWaitMs: number };
}

/** Starts one service: HTTP on its port and its Kafka handlers in a consumer group of its own name. */
export async function runService(options: RunServiceOptions): Promise<INestApplication> {
  const { config } = options;
  const levels = LEVELS.slice(0, LEVELS.indexOf(config.LOG_LEVEL) + 1);
  const logger = createLogger({ service: options.service, format: logFormat(config), levels });
  const app = await NestFactory.create(options.module, { logger });
  if (options.handleSignals !== false) stopGracefully(app, options.service);
  app.use(securityHeaders);
  app.use(rateLimiter({ perSecond: config.HTTP_RATE_LIMIT_PER_SECOND, burst: config.HTTP_RATE_LIMIT_BURST, jwtSecret: config.JWT_SECRET }));
  (app.getHttpAdapter().getInstance() as { disable(setting: string): void }).disable('x-powered-by');
  const kafka = app.get<Kafka>(KAFKA);
  const serviceGroup = `${config.KAFKA_GROUP_PREFIX}.${options.service}`;
  const apart = new Set<string>((options.ownConsumers ?? []).flatMap((c) => c.topics));
  for (const own of options.ownConsumers ?? []) {
    const groupId = `${serviceGroup}.${own.suffix}`;
    try {
      if (await adoptGroupOffsets(kafka, serviceGroup, groupId, own.topics)) new Logger(options.service).log(`${groupId} takes over ${serviceGroup}'s positions on ${own.topics.join(', ')}`);
    } catch (error) {
      new Logger(options.service).warn(`${groupId} could not take over ${serviceGroup}'s positions (${(error as Error).message}); another instance may have joined it first`);
    }
    const server = eventServer(app, options, groupId, (topic) => own.topics.includes(topic as TopicName), own.fetch);
    app.get(HealthChecks).register(`kafka-consumer-${own.suffix}`, () => server.isJoined);
    app.connectMicroservice({ strategy: server }, { inheritAppConfig: true });
  }
  const server = eventServer(app, options, serviceGroup, (topic) => !apart.has(topic));
  app.get(HealthChecks).register('kafka-consumer', () => server.isJoined);
  app.connectMicroservice({ strategy: server }, { inheritAppConfig: true });
  await app.startAllMicroservices();
  await app.listen(options.port, config.HTTP_HOST);
  new Logger(options.service).log(`listening on http://${config.HTTP_HOST}:${options.port}`);
  return app;
}

/** The service's Kafka transport for the topics `topics` accepts, in consumer group `groupId`. */
function eventServer(app: INestApplication, options: RunServiceOptions, groupId: string, topics: (topic: string) => boolean, fetch?: OwnConsumer['fetch']): KafkaEventServer {
  const { config } = options;
  return new KafkaEventServer({
    kafka: app.get<Kafka>(KAFKA),
    groupId,
    topics,
    fromBeginning: config.KAFKA_FROM_BEGINNING,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    ...fetchSettings(config, fetch),
    commitIntervalMs: config.KAFKA_COMMIT_INTERVAL_MS,
    joinPartitions: config.KAFKA_JOIN_PARTITIONS,
    publisher: app.get(EventPublisher),
    metrics: app.get(PlatformMetrics),
    partitionsConcurrently: options.partitionsConcurrently,
    fetchBytesPerPartition: options.fetchBytesPerPartition,
  });
}

/** How a consumer's fetches wait: its own settings when it has them, else the service's KAFKA_FETCH_*. */
export function fetchSettings(config: Pick<BaseConfig, 'KAFKA_FETCH_MIN_BYTES' | 'KAFKA_FETCH_MAX_WAIT_MS'>, own?: OwnConsumer['fetch']): { fetchMinBytes: number; fetchMaxWaitMs: number } {
  return { fetchMinBytes: own?.minBytes ?? config.KAFKA_FETCH_MIN_BYTES, fetchMaxWaitMs: own?.maxWaitMs ?? config.KAFKA_FETCH_MAX_WAIT_MS };
}

/** Longest a stop may take before the process gives up waiting and exits non-zero. */
const STOP_TIMEOUT_MS = 25_000;

/**
 * On SIGTERM or SIGINT: stop consuming (kafkajs lets the batches in hand finish and commits their
 * offsets), stop taking requests, let every module finish (the audit log drains its queue), close
 * the connections, and exit 0. A second signal, or a stop taking longer than 25 s, exits 1 at once.
 */
function stopGracefully(app: INestApplication, service: string): void {
  stopOnSignals(service, () => app.close(), {
    stopping: 'finishing the work in hand, committing offsets and closing connections',
    overran: 'what was not committed will be consumed again',
  });
}

/**
 * On SIGTERM or SIGINT: logs `what.stopping`, runs `stop`, and exits 0 when it resolves (1 when it
 * fails). A second signal, or a stop taking longer than 25 s, exits 1 at once.
 */
export function stopOnSignals(name: string, stop: () => Promise<void>, what: { stopping: string; overran: string }): void {
  const log = new Logger(name);
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn(`${signal} again: exiting without finishing`);
      process.exit(1);
    }
    stopping = true;
    const started = Date.now();
    log.log(`${signal}: ${what.stopping}`);
    setTimeout(() => {
      log.error(`still stopping after ${STOP_TIMEOUT_MS / 1000} s: exiting; ${what.overran}`);
      process.exit(1);
    }, STOP_TIMEOUT_MS).unref();
    stop().then(
      () => {
        log.log(`stopped cleanly in ${Date.now() - started} ms`);
        process.exit(0);
      },
      (error: Error) => {
        log.error(`stopping failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Runs `main`, and on failure prints what went wrong and exits non-zero. */
export function runMain(main: () => Promise<unknown>): void {
  main().catch((error: Error) => {
    console.error(error.message);
    if (!(error.name === 'ConfigError')) console.error(error.stack);
    process.exit(1);
  });
}
