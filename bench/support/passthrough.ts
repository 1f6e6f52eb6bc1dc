import { randomBytes, randomUUID } from 'node:crypto';
import { TOPICS } from '@clearwork/contracts';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { commitTopicEnds } from '../../test/support/kafka-offsets';

/**
 * The baseline: the least a Kafka service can do with each task. A bare kafkajs consumer group
 * on gig.tasks.v1 (eachBatch, one partition at a time, as the services consume) that, for each
 * message, publishes one small OfferMade-shaped message to gig.offers.v1 keyed by the taskId,
 * stamped with the deployment header the generator listens for, one send per batch. No
 * parsing, no state, no database: what is left is the cost of Kafka and kafkajs themselves.
 */
export class Passthrough {
  readonly groupId = `throughput-passthrough-${randomBytes(5).toString('hex')}`;
  private consumer!: Consumer;
  private producer!: Producer;

  constructor(
    private readonly kafka: Kafka,
    private readonly deployment: string,
  ) {}

  async start(): Promise<void> {
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false });
    await this.producer.connect();
    await commitTopicEnds(this.kafka, [this.groupId], [TOPICS.tasks]);
    this.consumer = this.kafka.consumer({ groupId: this.groupId });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [TOPICS.tasks], fromBeginning: false });
    const joined = new Promise<void>((resolve) => this.consumer.on(this.consumer.events.GROUP_JOIN, () => resolve()));
    const headers = { 'clearwork-deployment': this.deployment, 'clearwork-service': 'passthrough' };
    await this.consumer.run({
      eachBatch: async ({ batch }) => {
        const now = new Date();
        const occurredAt = now.toISOString();
        const expiresAt = new Date(now.getTime() + 60_000).toISOString();
        const messages = batch.messages.map((m) => {
          const taskId = m.key?.toString() ?? '';
          const data = { offerId: randomUUID(), taskId, workerId: 'passthrough', replica: 1, attempt: 1, expiresAt, decisionId: randomUUID(), payCents: 0, currency: 'EUR' };
          return { key: taskId, value: JSON.stringify({ eventId: randomUUID(), type: 'OfferMade', occurredAt, data }), headers };
        });
        if (messages.length > 0) await this.producer.send({ topic: TOPICS.offers, messages });
      },
    });
    await joined;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.consumer?.disconnect(), this.producer?.disconnect()]);
  }
}
