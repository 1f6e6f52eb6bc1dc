import { Logger } from '@nestjs/common';
import { BaseRpcContext, Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { deadLetterTopic, TOPIC_SCHEMAS, type DeadLetterRecord, type TopicName } from '@clearwork/contracts';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { isObservable, lastValueFrom } from 'rxjs';
import type { PlatformMetrics } from '../http/platform-metrics';
import { inTurn, pauseIfDue } from './cpu-turns';
import { isDeadLetterVerdict, type DeadLetterError, type DeadLetterVerdict } from './dead-letter-error';
import { decodeMessage, type DecodeFailure, type Decoded } from './decode-message';
import type { EventPublisher } from './event-publisher';
import { OffsetCommits } from './offset-commits';

/** What a handler learns about the message besides the event itself. */
export class KafkaEventContext extends BaseRpcContext<[topic: string, partition: number, offset: string, key: string | null]> {
  get topic(): string {
    return this.args[0];
  }
  get partition(): number {
    return this.args[1];
  }
  get offset(): string {
    return this.args[2];
  }
  get key(): string | null {
    return this.args[3];
  }
}

/** One decoded event of a batch, with where it came from. */
export interface BatchedEvent<E = unknown> {
  readonly event: E;
  readonly context: KafkaEventContext;
}

/** An event of a batch that its handler refuses for good: it is dead-lettered with the reason. */
export interface BatchRejection {
  readonly item: BatchedEvent;
  readonly error: DeadLetterError;
}

/**
 * Extras that make an `@EventPattern(topic, BATCH_HANDLER)` handler receive a whole fetched
 * batch (`readonly BatchedEvent[]`, valid events only, each partition's in offset order; the
 * partitions one fetch brought together when `joinPartitions` is on) in one call. For
 * handlers whose cost is per round trip rather than per event, such as appending to the audit
 * log in one transaction. The handler must be idempotent: if it throws, the batch is retried
 * whole. Invalid messages are dead-lettered before the call, as for any handler; the
 * handler may return `BatchRejection`s for events it refuses, which are dead-lettered after it.
 */
export const BATCH_HANDLER = { batch: true } as const;
/** The most events one batch call receives; a larger fetch is split. */
export const MAX_HANDLER_BATCH = 5_000;

/**
 * `BATCH_HANDLER` for handlers slower per event: at most `maxEvents` per call. The consumer
 * heartbeats between calls, so a call must stay well inside the session timeout, or the group
 * takes the partition away and the batch is handled again.
 */
export function batchHandler(maxEvents: number): { readonly batch: true; readonly maxEvents: number } {
  return { batch: true, maxEvents };
}

export interface KafkaEventServerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly fromBeginning: boolean;
  readonly sessionTimeoutMs: number;
  /** A fetch waits for this many bytes, or for `fetchMaxWaitMs` (kafkajs's defaults: 1 byte, 5 s). */
  readonly fetchMinBytes?: number;
  readonly fetchMaxWaitMs?: number;
  /** Handled positions are committed together at most this often (0: after every batch); see OffsetCommits. */
  readonly commitIntervalMs?: number;
  readonly publisher: EventPublisher;
  readonly metrics: PlatformMetrics;
  /** Partitions handled at once (order is kept within each); more lets batch handlers group their work. */
  readonly partitionsConcurrently?: number;
  /** Most bytes one fetch brings per partition (kafkajs's default is 1 MiB); more makes larger batches. */
  readonly fetchBytesPerPartition?: number;
  /**
   * A batch handler gets the batches of all a topic's partitions that one fetch brought in one
   * call (default), instead of a call per partition: one transaction per fetch and topic rather
   * than one per partition. Needs `partitionsConcurrently` at least the partitions consumed, or
   * the batches beyond it wait for the call and join the next one.
   */
  readonly joinPartitions?: boolean;
  /** The topics this consumer takes, of those with handlers (default: all); see `RunServiceOptions.ownConsumers`. */
  readonly topics?: (topic: string) => boolean;
}

/** A message to dead-letter, with where it came from and why. */
interface Letter {
  readonly partition: number;
  readonly message: KafkaMessage;
  readonly error: DecodeFailure;
}

/** Dead letters of one request logged a line each up to this many; more are logged on one line. */
const LETTERS_LOGGED_EACH = 3;

/** Batches of one topic taken up in the same turn of the event loop, handled in one call. */
interface Gathering {
  readonly payloads: EachBatchPayload[];
  readonly done: Promise<void>;
}

/**
 * A Nest transport that feeds `@EventPattern(topic)` handlers from Kafka. Every message is
 * parsed with the topic's zod schema first; one that fails (or that its handler refuses with a
 * `DeadLetterError`) is written to `<topic>.dlq` with its original bytes and the reason, and the
 * partition moves on. Any other handler error is transient: the batch is retried from the
 * first unfinished message, so nothing is skipped.
 */
export class KafkaEventServer extends Server implements CustomTransportStrategy {
  private consumer?: Consumer;
  private commits?: OffsetCommits;
  private joined = false;
  /** Set by `close`: batches stop being taken up, so the last positions can be committed before the group is left. */
  private closing = false;
  private active = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly gatherings = new Map<string, Gathering>();
  private readonly handlers = new Map<string, ReturnType<Server['getHandlerByPattern']>>();
  private readonly log = new Logger(KafkaEventServer.name);

  constructor(private readonly options: KafkaEventServerOptions) {
    super();
  }

  /** True once the consumer has joined its group and received partitions. */
  get isJoined(): boolean {
    return this.joined;
  }

  listen(callback: (error?: unknown) => void): void {
    this.start().then(() => callback(), callback);
  }

  /** Lets the batches in hand finish, commits their positions, then leaves the group. */
  async close(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    this.joined = false;
    this.closing = true;
    await this.idle();
    await this.commits?.flush();
    this.commits?.stop();
    await consumer?.disconnect();
  }

  private idle(): Promise<void> {
    return this.active === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  on(): never {
    throw new Error('KafkaEventServer does not support event listeners');
  }

  unwrap<T>(): T {
    if (!this.consumer) throw new Error('KafkaEventServer is not listening');
    return this.consumer as T;
  }

  private async start(): Promise<void> {
    this.closing = false;
    const topics = [...this.messageHandlers.keys()].filter((t) => this.options.topics?.(t) ?? true);
    if (topics.length === 0) return;
    const consumer = this.options.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: this.options.sessionTimeoutMs,
      minBytes: this.options.fetchMinBytes ?? 1,
      maxWaitTimeInMs: this.options.fetchMaxWaitMs ?? 5_000,
      heartbeatInterval: Math.min(3_000, Math.floor(this.options.sessionTimeoutMs / 3)),
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 30_000 },
      ...(this.options.fetchBytesPerPartition
        ? { maxBytesPerPartition: this.options.fetchBytesPerPartition, maxBytes: Math.max(10 * 1024 * 1024, 4 * this.options.fetchBytesPerPartition) }
        : {}),
    });
    this.consumer = consumer;
    const commits = new OffsetCommits(
      (offsets) => consumer.commitOffsets(offsets),
      this.options.commitIntervalMs ?? 500,
      (error) => this.log.warn(`committing consumed offsets of ${this.options.groupId} failed (${error.message}); they are committed with the next ones`),
    );
    this.commits = commits;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      commits.assigned(e.payload.memberAssignment);
      this.joined = true;
    });
    // Positions handled under the old assignment are committed before partitions may move.
    consumer.on(consumer.events.REBALANCING, () => void commits.flush());
    consumer.on(consumer.events.REQUEST, (e) => this.options.metrics.kafkaRequests.inc({ client: 'consumer', api: e.payload.apiName }));
    consumer.on(consumer.events.CRASH, (event) => {
      this.joined = false;
      this.log.error(`consumer ${this.options.groupId} crashed: ${event.payload.error.message}; restarting`);
    });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: this.options.fromBeginning });
    await consumer.run({
      // Committed by OffsetCommits, not after every batch.
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConcurrently ?? 1,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.log.log(`consuming ${topics.join(', ')} as group ${this.options.groupId}`);
  }

  /**
   * The handler of a topic, looked up once: Nest's lookup first tries the pattern as JSON, and a
   * topic name is not, so each lookup throws and catches an exception (2–3% of a service's CPU
   * when done per batch and per message).
   */
  private handlerFor(topic: string): ReturnType<Server['getHandlerByPattern']> {
    if (!this.handlers.has(topic)) this.handlers.set(topic, this.getHandlerByPattern(topic));
    return this.handlers.get(topic) ?? null;
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    if (this.closing) return;
    this.active++;
    try {
      const handler = this.handlerFor(payload.batch.topic);
      if (!(handler?.extras as { batch?: boolean } | undefined)?.batch) await this.handleEachMessage(payload);
      else if (this.options.joinPartitions ?? true) await this.gather(payload);
      else await this.handleWholeBatch([payload]);
    } finally {
      if (--this.active === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /** The partition's events up to `offset` are handled: the next fetch starts after it, and the position is committed soon. */
  private handled({ batch, resolveOffset }: EachBatchPayload, offset: string): void {
    resolveOffset(offset);
    this.commits?.consumed(batch.topic, batch.partition, offset);
    this.options.metrics.consumerLag.handled(batch.topic, batch.partition, batch.highWatermark, offset);
  }

  private async handleEachMessage(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale } = payload;
    const topic = batch.topic as TopicName;
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || this.closing) break;
      const started = process.hrtime.bigint();
      await this.handleMessage(topic, batch.partition, message);
      this.handled(payload, message.offset);
      this.options.metrics.messageDuration.observe({ topic }, Number(process.hrtime.bigint() - started) / 1e9);
      await heartbeat();
    }
  }

  /**
   * Kafkajs hands every partition's batch of a fetch to a worker of its own in the same turn of
   * the event loop; those of one topic are collected until the turn ends and handled together.
   */
  private gather(payload: EachBatchPayload): Promise<void> {
    const topic = payload.batch.topic;
    const open = this.gatherings.get(topic);
    if (open) {
      open.payloads.push(payload);
      return open.done;
    }
    const payloads = [payload];
    const done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.gatherings.delete(topic);
      return this.handleWholeBatch(payloads);
    });
    this.gatherings.set(topic, { payloads, done });
    return done;
  }

  /**
   * The batches of one topic (one per partition) through its batch handler: their messages in
   * partition order, at most the handler's `maxEvents` per call; after each call every partition
   * is marked handled up to its last message in it.
   */
  private async handleWholeBatch(payloads: readonly EachBatchPayload[]): Promise<void> {
    const topic = payloads[0].batch.topic as TopicName;
    const handler = this.handlerFor(topic)!;
    const perCall = Math.min(MAX_HANDLER_BATCH, (handler.extras as { maxEvents?: number } | undefined)?.maxEvents ?? MAX_HANDLER_BATCH);
    const all = payloads.flatMap((payload) => payload.batch.messages.map((message) => ({ payload, message })));
    const live = ({ payload }: { payload: EachBatchPayload }) => payload.isRunning() && !payload.isStale() && !this.closing;
    for (let start = 0; start < all.length; start += perCall) {
      const slice = all.slice(start, start + perCall).filter(live);
      if (slice.length === 0) {
        if (!all.slice(start + perCall).some(live)) break;
        continue;
      }
      const started = process.hrtime.bigint();
      // Decoding thousands of messages is a long synchronous stretch: it takes its turn and
      // pauses now and then, so replies a handler is waiting for (a commit under way) get through.
      const invalid: Letter[] = [];
      const events = await inTurn(async () => {
        const decoded: BatchedEvent[] = [];
        for (const { payload, message } of slice) {
          await pauseIfDue();
          const { partition } = payload.batch;
          const result = this.decode(topic, message);
          if (!result.ok) {
            invalid.push({ partition, message, error: result.error });
            continue;
          }
          const context = new KafkaEventContext([topic, partition, message.offset, message.key?.toString('utf8') ?? null]);
          decoded.push({ event: result.event, context });
        }
        return decoded;
      });
      // Before the call, all in one request: a run of bad messages costs one round trip, not one each.
      await this.deadLetter(topic, invalid);
      if (events.length > 0) {
        let rejections: readonly BatchRejection[] = [];
        try {
          let result: unknown = await handler(events);
          if (isObservable(result)) result = await lastValueFrom(result, { defaultValue: undefined });
          if (Array.isArray(result)) rejections = result as BatchRejection[];
        } catch (error) {
          this.options.metrics.messagesConsumed.inc({ topic, outcome: 'retried' }, events.length);
          const first = slice[0];
          throw new Error(`batch handler for ${topic} failed at partition ${first.payload.batch.partition} offset ${first.message.offset}: ${(error as Error).message}; will retry`);
        }
        const byPosition = new Map(slice.map(({ payload, message }) => [`${payload.batch.partition}@${message.offset}`, message]));
        await this.deadLetter(
          topic,
          rejections.map(({ item, error }) => {
            const verdict = error.getError() as DeadLetterVerdict;
            const { partition, offset } = item.context;
            return { partition, message: byPosition.get(`${partition}@${offset}`)!, error: { kind: 'rejected', message: verdict.reason, issues: verdict.issues } };
          }),
        );
        this.options.metrics.messagesConsumed.inc({ topic, outcome: 'processed' }, events.length - rejections.length);
      }
      const last = new Map<EachBatchPayload, string>();
      for (const { payload, message } of slice) last.set(payload, message.offset);
      for (const [payload, offset] of last) this.handled(payload, offset);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.options.metrics.batchDuration.observe({ topic }, seconds);
      // Each message its share, so the histogram counts messages and sums the time handling them.
      for (let i = 0; i < slice.length; i++) this.options.metrics.messageDuration.observe({ topic }, seconds / slice.length);
      await payloads[0].heartbeat();
    }
  }

  private async handleMessage(topic: TopicName, partition: number, message: KafkaMessage): Promise<void> {
    const event = await this.decodeOrDeadLetter(topic, partition, message);
    if (event === undefined) return;
    const handler = this.handlerFor(topic);
    if (!handler) return;
    const key = message.key?.toString('utf8') ?? null;
    const context = new KafkaEventContext([topic, partition, message.offset, key]);
    try {
      const result = await handler(event, context);
      if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
      this.options.metrics.messagesConsumed.inc({ topic, outcome: 'processed' });
    } catch (error) {
      if (!isDeadLetterVerdict(error)) {
        this.options.metrics.messagesConsumed.inc({ topic, outcome: 'retried' });
        throw new Error(`handler for ${topic} failed at partition ${partition} offset ${message.offset}; will retry`);
      }
      await this.deadLetter(topic, [{ partition, message, error: { kind: 'rejected', message: error.reason, issues: error.issues } }]);
    }
  }

  /** The message parsed with its topic's schema, or undefined once it has been dead-lettered. */
  private async decodeOrDeadLetter(topic: TopicName, partition: number, message: KafkaMessage): Promise<unknown> {
    const result = this.decode(topic, message);
    if (result.ok) return result.event;
    await this.deadLetter(topic, [{ partition, message, error: result.error }]);
    return undefined;
  }

  private decode(topic: TopicName, message: KafkaMessage): Decoded<unknown> {
    const schema = TOPIC_SCHEMAS[topic];
    return schema ? decodeMessage(schema, message.value) : { ok: false, error: { kind: 'invalid_event', message: `no schema for topic ${topic}`, issues: [] } };
  }

  /**
   * Writes `letters` (of one topic) to its dead-letter topic in one request, each with its
   * original bytes and reason. Each is logged on a line of its own up to LETTERS_LOGGED_EACH; a
   * longer run is logged on one line with its count and first reasons (the dead-letter topic
   * and the metrics hold every one): a backlog of late answers can refuse thousands a minute.
   */
  private async deadLetter(topic: TopicName, letters: readonly Letter[]): Promise<void> {
    if (letters.length === 0) return;
    const deadLetteredAt = new Date().toISOString();
    const records = letters.map(({ partition, message, error }) => {
      const record: DeadLetterRecord = {
        sourceTopic: topic,
        partition,
        offset: message.offset,
        keyBase64: message.key ? message.key.toString('base64') : null,
        valueBase64: message.value ? message.value.toString('base64') : null,
        headers: Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('utf8') : String(v)]),
        ),
        error,
        consumerGroup: this.options.groupId,
        deadLetteredAt,
      };
      return { topic: deadLetterTopic(topic), key: message.key?.toString('utf8') ?? null, value: record };
    });
    await this.options.publisher.publish(records);
    for (const { error } of letters) {
      this.options.metrics.messagesConsumed.inc({ topic, outcome: 'dead_lettered' });
      this.options.metrics.deadLetters.inc({ topic, kind: error.kind });
    }
    const at = ({ partition, message }: Letter) => `${topic}[${partition}]@${message.offset}`;
    if (letters.length <= LETTERS_LOGGED_EACH) {
      for (const letter of letters) this.log.warn(`dead-lettered ${at(letter)}: ${letter.error.message}`);
    } else {
      const first = letters.slice(0, LETTERS_LOGGED_EACH).map((l) => `${at(l)}: ${l.error.message}`);
      this.log.warn(`dead-lettered ${letters.length} messages of ${topic} (each with its reason in ${deadLetterTopic(topic)}), the first ${first.join('; ')}`);
    }
  }
}
