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

/**
 * Gives `to` the committed positions `from` has on `topics`, when `to` has none yet: a topic
 * moved to a consumer group of its own resumes where the service left it instead of reading the
 * topic again from the start. Returns whether it copied anything. Setting offsets needs the
 * group empty; if another instance has joined it first, that instance did this already.
 */
export async function adoptGroupOffsets(kafka: Kafka, from: string, to: string, topics: readonly string[]): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const mine = await admin.fetchOffsets({ groupId: to, topics: [...topics] });
    if (mine.some((t) => t.partitions.some((p) => Number(p.offset) >= 0))) return false;
    let copied = false;
    for (const t of await admin.fetchOffsets({ groupId: from, topics: [...topics] })) {
      const partitions = t.partitions.filter((p) => Number(p.offset) >= 0).map((p) => ({ partition: p.partition, offset: p.offset }));
      if (partitions.length === 0) continue;
      await admin.setOffsets({ groupId: to, topic: t.topic, partitions });
      copied = true;
    }
    return copied;
  } finally {
    await admin.disconnect();
  }
}
