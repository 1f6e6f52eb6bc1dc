import type { Kafka } from 'kafkajs';

/**
 * Commits the current end of every partition of `topics` for each of the fresh (memberless)
 * consumer groups, so they ignore what earlier runs left on the shared topics, yet every
 * partition has a committed offset: a group that rejoins (another instance taking a partition,
 * or after a broker restart) resumes exactly there instead of being reset to the end again.
 */
export async function commitTopicEnds(kafka: Kafka, groupIds: readonly string[], topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await Promise.all(topics.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) })));
    for (const groupId of groupIds) {
      for (const { topic, partitions } of ends) {
        await admin.setOffsets({ groupId, topic, partitions: partitions.map((p) => ({ partition: p.partition, offset: p.high })) });
      }
    }
  } finally {
    await admin.disconnect();
  }
}
