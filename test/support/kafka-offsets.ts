import type { Kafka } from 'kafkajs';

/** How long the committing consumer sleeps between fetch rounds while everything is paused (kafkajs's default is 5 s). */
const PAUSED_WAIT_MS = 50;

/**
 * Commits the current end of every partition of `topics` for each of the fresh (memberless)
 * consumer groups, so they ignore what earlier runs left on the shared topics, yet every
 * partition has a committed offset: a group that rejoins (another instance taking a partition,
 * or after a broker restart) resumes exactly there instead of being reset to the end again.
 *
 * Each group is committed by one short-lived member that takes every partition, seeks each to
 * its end (a seek commits, auto-commit being on) and leaves after its first fetch round; the
 * groups are done side by side. kafkajs's `admin.setOffsets` does the same one topic at a
 * time, and each call waits out a paused consumer's 5 s fetch sleep. The result is read back,
 * so a commit that did not land fails here, not as a puzzling test later.
 */
export async function commitTopicEnds(kafka: Kafka, groupIds: readonly string[], topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await Promise.all(topics.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) })));
    await Promise.all(groupIds.map((groupId) => commitEnds(kafka, groupId, ends)));
    for (const groupId of groupIds) {
      const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
      for (const { topic, partitions } of ends) {
        const got = committed.find((c) => c.topic === topic)?.partitions ?? [];
        for (const p of partitions) {
          const offset = got.find((g) => g.partition === p.partition)?.offset;
          if (offset !== p.high) throw new Error(`group ${groupId}: ${topic}[${p.partition}] committed at ${offset}, expected its end ${p.high}`);
        }
      }
    }
  } finally {
    await admin.disconnect();
  }
}

async function commitEnds(kafka: Kafka, groupId: string, ends: readonly { topic: string; partitions: readonly { partition: number; high: string }[] }[]): Promise<void> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: PAUSED_WAIT_MS, retry: { retries: 5 } });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: ends.map((e) => e.topic), fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let joined = false;
      consumer.on(consumer.events.GROUP_JOIN, () => {
        joined = true;
      });
      // The seeks are applied (and committed) at the start of a fetch round; the first round after joining is enough.
      consumer.on(consumer.events.FETCH, () => {
        if (joined) resolve();
      });
      consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
      consumer.run({ autoCommit: true, eachBatchAutoResolve: false, eachBatch: async () => undefined }).catch(reject);
      consumer.pause(ends.map((e) => ({ topic: e.topic })));
      for (const { topic, partitions } of ends) for (const p of partitions) consumer.seek({ topic, partition: p.partition, offset: p.high });
    });
  } finally {
    await consumer.disconnect();
  }
}
