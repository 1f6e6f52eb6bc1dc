import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { commitTopicEnds } from './kafka-offsets';
import { KAFKA_BROKER } from './servers';

export interface SeenMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  raw: Buffer | null;
  deployment: string | null;
  value: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- messages are inspected loosely by tests
}

/** Produces test input and records what the engine publishes on the topics it watches. */
export class KafkaProbe {
  readonly seen: SeenMessage[] = [];
  /** Positions already recorded: a message the probe's own group is handed again (after a rebalance) is not a second message. */
  private readonly positions = new Set<string>();

  /**
   * @param deployment when set, `events()` keeps only events published by that deployment (its
   * consumer group prefix, sent as a header), so runs sharing a broker never see each other's output.
   */
  constructor(private readonly deployment?: string) {}
  private readonly kafka = new Kafka({ clientId: 'e2e-probe', brokers: [KAFKA_BROKER], logLevel: logLevel.NOTHING });
  private producer?: Producer;
  private consumer?: Consumer;

  async start(watch: string[]): Promise<void> {
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false });
    await this.producer.connect();
    const groupId = `probe-${randomBytes(6).toString('hex')}`;
    await commitTopicEnds(this.kafka, [groupId], watch);
    this.consumer = this.kafka.consumer({ groupId });
    const joined = new Promise<void>((resolve) => this.consumer!.on(this.consumer!.events.GROUP_JOIN, () => resolve()));
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: watch, fromBeginning: false });
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const position = `${topic}/${partition}/${message.offset}`;
        if (this.positions.has(position)) return;
        this.positions.add(position);
        let value: unknown = null;
        try {
          value = message.value ? JSON.parse(message.value.toString('utf8')) : null;
        } catch {
          value = null;
        }
        const deployment = message.headers?.['clearwork-deployment']?.toString() ?? null;
        this.seen.push({ topic, partition, offset: message.offset, key: message.key?.toString() ?? null, raw: message.value, value, deployment });
      },
    });
    await joined;
  }

  async send(topic: string, messages: { key: string; value: unknown; partition?: number }[]): Promise<void> {
    await this.producer!.send({
      topic,
      acks: -1,
      messages: messages.map((m) => ({
        key: m.key,
        partition: m.partition,
        value: Buffer.isBuffer(m.value) || typeof m.value === 'string' ? m.value : JSON.stringify(m.value),
      })),
    });
  }

  /** Values seen on `topic` whose event type is `type` and whose data matches `where`. */
  events(topic: string, type: string, where: (data: any) => boolean = () => true): any[] { // eslint-disable-line @typescript-eslint/no-explicit-any
    return this.seen
      .filter((m) => m.topic === topic && m.value?.type === type && (!this.deployment || m.deployment === this.deployment) && where(m.value.data))
      .map((m) => m.value);
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }
}
