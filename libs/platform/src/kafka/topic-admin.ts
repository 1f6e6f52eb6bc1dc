import type { Kafka } from 'kafkajs';
import { deadLetterTopic, TOPIC_LAYOUTS, type TopicLayout } from '@clearwork/contracts';

/** Creates every contract topic and its dead-letter topic if missing; safe to call from many processes. */
export async function ensureTopics(kafka: Kafka, layouts: readonly TopicLayout[] = TOPIC_LAYOUTS): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = layouts.flatMap((l) => [
      {
        topic: l.name,
        numPartitions: l.partitions,
        replicationFactor: 1,
        configEntries: l.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
      },
      { topic: deadLetterTopic(l.name), numPartitions: 1, replicationFactor: 1, configEntries: [] },
    ]);
    const missing = wanted.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      try {
        await admin.createTopics({ topics: missing, waitForLeaders: true });
      } catch (error) {
        // Another process may have created them between list and create; anything else is real.
        if ((error as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw error;
      }
    }
    return missing.map((t) => t.topic);
  } finally {
    await admin.disconnect();
  }
}
