import type { Message, Producer } from 'kafkajs';
import type { TopicName } from '@clearwork/contracts';

/** One message to publish: the value is serialised as JSON. */
export interface OutgoingMessage {
  readonly topic: string;
  readonly key: string | null;
  readonly value: unknown;
  readonly partition?: number;
  readonly headers?: Record<string, string>;
}

/** Publishes many messages in as few requests as possible, grouped by topic. */
export class EventPublisher {
  constructor(private readonly producer: Producer) {}

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const byTopic = new Map<string, Message[]>();
    for (const m of messages) {
      const list = byTopic.get(m.topic) ?? [];
      list.push({
        key: m.key,
        value: Buffer.isBuffer(m.value) ? m.value : JSON.stringify(m.value),
        partition: m.partition,
        headers: m.headers,
      });
      byTopic.set(m.topic, list);
    }
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })),
    });
  }

  /** Publishes one contract event keyed by `key`. */
  async publishEvent(topic: TopicName, key: string, event: { eventId: string }): Promise<void> {
    await this.publish([{ topic, key, value: event }]);
  }
}
