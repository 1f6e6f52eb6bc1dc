import { Logger } from '@nestjs/common';
import { Partitioners, type Kafka, type KafkaMessage } from 'kafkajs';

/**
 * An event bus inside the process that speaks the part of kafkajs's API the engine and its
 * simulator use (producers, consumer groups with `eachBatch`/`eachMessage`, committed offsets,
 * and the admin calls that create topics and read offsets), so that embedded mode runs the very
 * same transport, handlers, dead-lettering and offset bookkeeping as production; only this
 * adapter differs from a broker.
 *
 * What it keeps of Kafka's behaviour, because the engine relies on it: topics with a fixed
 * number of partitions; a message's partition chosen from its key by kafkajs's own default
 * partitioner (so per-key order holds exactly as on the broker); offsets per partition; consumer
 * groups whose members share the partitions and resume from the group's committed offsets; a
 * batch handler that throws is given the same messages again, from the first one not resolved.
 * What it drops: durability (everything is in memory and gone at exit), replication, and
 * compaction. A partition keeps what some group subscribed to its topic has not consumed yet,
 * and at most `retainedPerPartition` messages, as Kafka's retention would.
 */
export class InProcessKafka {
  private readonly topics = new Map<string, PartitionLog[]>();
  private readonly groups = new Map<string, Group>();
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private readonly waiters = new Set<() => void>();
  private readonly log = new Logger('InProcessKafka');
  private nextMemberId = 1;

  constructor(private readonly options: { retainedPerPartition?: number } = {}) {}

  /** This bus typed as the kafkajs client the platform takes. */
  asKafka(): Kafka {
    return this as unknown as Kafka;
  }

  producer(): InProcessProducer {
    return new InProcessProducer(this);
  }

  consumer(config: { groupId: string; maxWaitTimeInMs?: number; retry?: { initialRetryTime?: number; maxRetryTime?: number } }): InProcessConsumer {
    return new InProcessConsumer(this, config.groupId, `member-${this.nextMemberId++}`, config.retry, this.log);
  }

  admin(): InProcessAdmin {
    return new InProcessAdmin(this);
  }

  logger(): Logger {
    return this.log;
  }

  // ---- topics ----

  createTopic(name: string, partitions: number): boolean {
    if (this.topics.has(name)) return false;
    this.topics.set(name, Array.from({ length: partitions }, () => new PartitionLog()));
    return true;
  }

  topicNames(): string[] {
    return [...this.topics.keys()];
  }

  partitions(topic: string): PartitionLog[] {
    const logs = this.topics.get(topic);
    if (!logs) throw Object.assign(new Error(`This server does not host this topic-partition: ${topic}`), { type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    return logs;
  }

  append(topic: string, message: OutgoingMessage): { partition: number; offset: number } {
    const logs = this.partitions(topic);
    const key = message.key === null || message.key === undefined ? null : Buffer.from(message.key);
    const partition =
      message.partition ??
      this.partitioner({ topic, partitionMetadata: logs.map((_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] })), message: { key, value: null } });
    if (!logs[partition]) throw new Error(`${topic} has no partition ${partition}`);
    const headers: Record<string, Buffer> = {};
    for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = Buffer.isBuffer(v) ? v : Buffer.from(String(v));
    const value = message.value === null || message.value === undefined ? null : Buffer.isBuffer(message.value) ? message.value : Buffer.from(message.value);
    const offset = logs[partition].append({ key, value, headers, timestamp: String(message.timestamp ?? Date.now()) });
    return { partition, offset };
  }

  /** Wakes every consumer waiting for messages (after the producer's call has returned). */
  notify(): void {
    const waiting = [...this.waiters];
    this.waiters.clear();
    setImmediate(() => waiting.forEach((wake) => wake()));
  }

  /** Resolves on the next append, or after `ms`. */
  waitForMessages(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => (this.waiters.delete(wake), resolve()), ms);
      const wake = () => (clearTimeout(timer), resolve());
      this.waiters.add(wake);
    });
  }

  // ---- groups ----

  group(groupId: string): Group {
    let group = this.groups.get(groupId);
    if (!group) {
      group = new Group(groupId);
      this.groups.set(groupId, group);
    }
    return group;
  }

  /** Drops what every group subscribed to a topic has consumed, and anything beyond the retention cap. */
  trim(): void {
    const cap = this.options.retainedPerPartition ?? 20_000;
    for (const [topic, logs] of this.topics) {
      const readers = [...this.groups.values()].filter((g) => g.reads(topic));
      logs.forEach((log, partition) => {
        let upTo = log.high - cap;
        if (readers.length > 0) upTo = Math.max(upTo, Math.min(...readers.map((g) => g.position(topic, partition) ?? log.base)));
        log.trimBelow(upTo);
      });
    }
  }
}

/** A message as producers hand it over. */
interface OutgoingMessage {
  readonly key?: string | Buffer | null;
  readonly value: string | Buffer | null;
  readonly partition?: number;
  readonly headers?: Record<string, string | Buffer | undefined>;
  readonly timestamp?: string;
}

interface StoredMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer>;
  readonly timestamp: string;
}

/** One partition's messages; `base` is the offset of the first one still kept. */
export class PartitionLog {
  base = 0;
  private messages: StoredMessage[] = [];

  get high(): number {
    return this.base + this.messages.length;
  }

  append(message: StoredMessage): number {
    this.messages.push(message);
    return this.high - 1;
  }

  read(from: number, max: number): KafkaMessage[] {
    const start = Math.max(from, this.base) - this.base;
    return this.messages.slice(start, start + max).map((m, i) => ({
      key: m.key,
      value: m.value,
      headers: m.headers,
      timestamp: m.timestamp,
      offset: String(this.base + start + i),
      attributes: 0,
    }));
  }

  trimBelow(offset: number): void {
    const drop = Math.min(this.messages.length, offset - this.base);
    if (drop <= 0) return;
    this.messages = this.messages.slice(drop);
    this.base += drop;
  }
}

/** A consumer group: its members, who owns which partition, and the committed offsets. */
export class Group {
  readonly members: InProcessConsumer[] = [];
  private readonly committed = new Map<string, number>();

  constructor(readonly id: string) {}

  /** Whether a member of the group consumes the topic (a group with no members holds nothing back). */
  reads(topic: string): boolean {
    return this.members.some((m) => m.subscribed.has(topic));
  }

  commit(topic: string, partition: number, offset: number): void {
    this.committed.set(`${topic}\u0000${partition}`, offset);
  }

  committedOffset(topic: string, partition: number): number | undefined {
    return this.committed.get(`${topic}\u0000${partition}`);
  }

  /** Where the group stands in a partition: the owning member's position, else the committed offset. */
  position(topic: string, partition: number): number | undefined {
    for (const m of this.members) {
      const p = m.positionOf(topic, partition);
      if (p !== undefined) return p;
    }
    return this.committedOffset(topic, partition);
  }

  join(member: InProcessConsumer, bus: InProcessKafka): void {
    if (!this.members.includes(member)) this.members.push(member);
    this.rebalance(bus);
  }

  leave(member: InProcessConsumer, bus: InProcessKafka): void {
    const i = this.members.indexOf(member);
    if (i >= 0) this.members.splice(i, 1);
    this.rebalance(bus);
  }

  /** Deals every subscribed partition round-robin among the members that subscribe to its topic. */
  private rebalance(bus: InProcessKafka): void {
    const assignments = new Map<InProcessConsumer, Record<string, number[]>>(this.members.map((m) => [m, {}]));
    const topics = [...new Set(this.members.flatMap((m) => [...m.subscribed]))].sort();
    for (const topic of topics) {
      const takers = this.members.filter((m) => m.subscribed.has(topic));
      bus.partitions(topic).forEach((_, partition) => {
        const taker = takers[partition % takers.length];
        (assignments.get(taker)![topic] ??= []).push(partition);
      });
    }
    for (const [member, assignment] of assignments) member.assign(assignment);
  }
}

type Listener = (event: { payload: Record<string, unknown> }) => void;

const CONSUMER_EVENTS = {
  GROUP_JOIN: 'consumer.group_join',
  REBALANCING: 'consumer.rebalancing',
  REQUEST: 'consumer.network.request',
  CRASH: 'consumer.crash',
  HEARTBEAT: 'consumer.heartbeat',
  FETCH: 'consumer.fetch',
  STOP: 'consumer.stop',
  DISCONNECT: 'consumer.disconnect',
} as const;

/** Messages handed to one batch call at most, as a fetch of about 1 MiB would bring. */
const MAX_BATCH = 1_000;

interface RunConfig {
  readonly eachBatch?: (payload: unknown) => Promise<void>;
  readonly eachMessage?: (payload: unknown) => Promise<void>;
  readonly autoCommit?: boolean;
  readonly eachBatchAutoResolve?: boolean;
  readonly partitionsConsumedConcurrently?: number;
}

/** A member of a consumer group, fetching in rounds like kafkajs: every ready partition's batch, then the next round. */
export class InProcessConsumer {
  readonly events = CONSUMER_EVENTS;
  readonly subscribed = new Set<string>();
  private fromBeginning = false;
  private readonly listeners = new Map<string, Set<Listener>>();
  /** The next offset to read, per owned partition. */
  private positions = new Map<string, { topic: string; partition: number; offset: number }>();
  private generation = 0;
  private running = false;
  private loop?: Promise<void>;
  private readonly group: Group;
  private retryMs: number;

  constructor(
    private readonly bus: InProcessKafka,
    groupId: string,
    readonly memberId: string,
    private readonly retry: { initialRetryTime?: number; maxRetryTime?: number } | undefined,
    private readonly log: Logger,
  ) {
    this.group = bus.group(groupId);
    this.retryMs = retry?.initialRetryTime ?? 300;
  }

  on(event: string, listener: Listener): () => void {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener);
    this.listeners.set(event, set);
    return () => set.delete(listener);
  }

  private emit(event: string, payload: Record<string, unknown>): void {
    for (const listener of this.listeners.get(event) ?? []) listener({ payload });
  }

  async connect(): Promise<void> {}

  async subscribe(options: { topics?: (string | RegExp)[]; topic?: string | RegExp; fromBeginning?: boolean }): Promise<void> {
    const wanted = options.topics ?? (options.topic ? [options.topic] : []);
    for (const t of wanted) {
      if (typeof t !== 'string') throw new Error('the in-process bus subscribes to topics by name only');
      this.bus.partitions(t);
      this.subscribed.add(t);
    }
    this.fromBeginning = options.fromBeginning ?? false;
  }

  positionOf(topic: string, partition: number): number | undefined {
    return this.positions.get(`${topic}\u0000${partition}`)?.offset;
  }

  /** Called by the group on every rebalance: owned partitions start from the committed offset, or the start or end of the log. */
  assign(assignment: Record<string, number[]>): void {
    this.generation++;
    this.emit(CONSUMER_EVENTS.REBALANCING, { groupId: this.group.id, memberId: this.memberId });
    const next = new Map<string, { topic: string; partition: number; offset: number }>();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        const log = this.bus.partitions(topic)[partition];
        const offset = this.group.committedOffset(topic, partition) ?? (this.fromBeginning ? log.base : log.high);
        next.set(`${topic}\u0000${partition}`, { topic, partition, offset: Math.max(offset, log.base) });
      }
    }
    this.positions = next;
    this.emit(CONSUMER_EVENTS.GROUP_JOIN, { groupId: this.group.id, memberId: this.memberId, memberAssignment: assignment, isLeader: this.group.members[0] === this });
  }

  async run(config: RunConfig): Promise<void> {
    if (!config.eachBatch && !config.eachMessage) throw new Error('run needs eachBatch or eachMessage');
    this.running = true;
    this.group.join(this, this.bus);
    this.loop = this.fetchLoop(config);
  }

  async commitOffsets(offsets: readonly { topic: string; partition: number; offset: string }[]): Promise<void> {
    for (const o of offsets) this.group.commit(o.topic, o.partition, Number(o.offset));
    this.bus.trim();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.bus.notify();
    await this.loop;
  }

  async disconnect(): Promise<void> {
    await this.stop();
    this.group.leave(this, this.bus);
    this.emit(CONSUMER_EVENTS.DISCONNECT, {});
  }

  private async fetchLoop(config: RunConfig): Promise<void> {
    while (this.running) {
      const ready = [...this.positions.values()].filter((p) => p.offset < this.bus.partitions(p.topic)[p.partition].high);
      if (ready.length === 0) {
        await this.bus.waitForMessages(1_000);
        continue;
      }
      try {
        await this.round(ready, config);
        this.retryMs = this.retry?.initialRetryTime ?? 300;
      } catch (error) {
        this.log.warn(`group ${this.group.id}: ${(error as Error).message}; retrying in ${this.retryMs} ms from the first unresolved message`);
        await new Promise((r) => setTimeout(r, this.retryMs));
        this.retryMs = Math.min(this.retryMs * 2, this.retry?.maxRetryTime ?? 30_000);
      }
    }
  }

  /** One fetch round: a batch per ready partition, at most `partitionsConsumedConcurrently` handled at once. */
  private async round(ready: { topic: string; partition: number; offset: number }[], config: RunConfig): Promise<void> {
    const generation = this.generation;
    const limit = Math.max(1, config.partitionsConsumedConcurrently ?? 1);
    let next = 0;
    let failure: unknown;
    const work = async () => {
      while (next < ready.length && this.running) {
        const position = ready[next++];
        try {
          await this.handle(position, config, generation);
        } catch (error) {
          failure ??= error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, ready.length) }, work));
    if (failure) throw failure;
  }

  private async handle(position: { topic: string; partition: number; offset: number }, config: RunConfig, generation: number): Promise<void> {
    const { topic, partition } = position;
    const log = this.bus.partitions(topic)[partition];
    const messages = log.read(position.offset, MAX_BATCH);
    if (messages.length === 0) return;
    const isStale = () => this.generation !== generation;
    let resolved = position.offset;
    const resolveOffset = (offset: string) => {
      if (isStale()) return;
      resolved = Number(offset) + 1;
      position.offset = resolved;
    };
    const commit = () => {
      if (config.autoCommit !== false && !isStale()) this.group.commit(topic, partition, resolved);
    };
    const heartbeat = async () => undefined;
    const pause = () => () => undefined;
    if (config.eachMessage) {
      for (const message of messages) {
        if (!this.running || isStale()) break;
        await config.eachMessage({ topic, partition, message, heartbeat, pause });
        resolveOffset(message.offset);
      }
      commit();
      return;
    }
    const batch = {
      topic,
      partition,
      highWatermark: String(log.high),
      messages,
      isEmpty: () => messages.length === 0,
      firstOffset: () => messages[0]?.offset ?? null,
      lastOffset: () => messages[messages.length - 1].offset,
      offsetLag: () => String(log.high - 1 - Number(messages[messages.length - 1].offset)),
      offsetLagLow: () => String(log.high - 1 - Number(messages[0].offset)),
    };
    try {
      await config.eachBatch!({
        batch,
        resolveOffset,
        heartbeat,
        pause,
        commitOffsetsIfNecessary: async () => commit(),
        uncommittedOffsets: () => ({ topics: [{ topic, partitions: [{ partition: String(partition), offset: String(resolved) }] }] }),
        isRunning: () => this.running,
        isStale,
      });
      if (config.eachBatchAutoResolve !== false) resolveOffset(batch.lastOffset());
    } finally {
      commit();
    }
  }
}

/** A producer: appends to the partition logs at once and wakes the consumers. */
export class InProcessProducer {
  readonly events = { REQUEST: 'producer.network.request', CONNECT: 'producer.connect', DISCONNECT: 'producer.disconnect' } as const;

  constructor(private readonly bus: InProcessKafka) {}

  on(): () => void {
    return () => undefined;
  }

  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}

  async send(record: { topic: string; messages: OutgoingMessage[] }): Promise<{ topicName: string; partition: number; errorCode: number; baseOffset: string }[]> {
    return this.sendBatch({ topicMessages: [record] });
  }

  async sendBatch(batch: { topicMessages?: { topic: string; messages: OutgoingMessage[] }[] }): Promise<{ topicName: string; partition: number; errorCode: number; baseOffset: string }[]> {
    const results: { topicName: string; partition: number; errorCode: number; baseOffset: string }[] = [];
    // All topics are checked before anything is appended: a send to a missing topic appends nothing.
    for (const { topic } of batch.topicMessages ?? []) this.bus.partitions(topic);
    for (const { topic, messages } of batch.topicMessages ?? []) {
      for (const message of messages) {
        const { partition, offset } = this.bus.append(topic, message);
        results.push({ topicName: topic, partition, errorCode: 0, baseOffset: String(offset) });
      }
    }
    if (results.length > 0) this.bus.notify();
    return results;
  }
}

/** The admin calls the platform, the tests and the simulator make. */
export class InProcessAdmin {
  constructor(private readonly bus: InProcessKafka) {}

  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}

  async listTopics(): Promise<string[]> {
    return this.bus.topicNames();
  }

  async createTopics(options: { topics: { topic: string; numPartitions?: number }[] }): Promise<boolean> {
    let created = false;
    for (const t of options.topics) created = this.bus.createTopic(t.topic, t.numPartitions ?? 1) || created;
    return created;
  }

  async fetchTopicOffsets(topic: string): Promise<{ partition: number; offset: string; high: string; low: string }[]> {
    return this.bus.partitions(topic).map((log, partition) => ({ partition, offset: String(log.high), high: String(log.high), low: String(log.base) }));
  }

  async fetchOffsets(options: { groupId: string; topics: string[] }): Promise<{ topic: string; partitions: { partition: number; offset: string; metadata: null }[] }[]> {
    const group = this.bus.group(options.groupId);
    return options.topics.map((topic) => ({
      topic,
      partitions: this.bus.partitions(topic).map((_, partition) => ({ partition, offset: String(group.committedOffset(topic, partition) ?? -1), metadata: null })),
    }));
  }

  async setOffsets(options: { groupId: string; topic: string; partitions: { partition: number; offset: string }[] }): Promise<void> {
    const group = this.bus.group(options.groupId);
    if (group.members.length > 0) throw new Error(`group ${options.groupId} has members: offsets can only be set while it is empty`);
    for (const p of options.partitions) group.commit(options.topic, p.partition, Number(p.offset));
  }
}
