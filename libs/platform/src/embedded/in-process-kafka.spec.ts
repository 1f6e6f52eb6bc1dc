import { Partitioners, type EachBatchPayload } from 'kafkajs';
import { InProcessKafka } from './in-process-kafka';

const until = async (check: () => boolean, what: string) => {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** A member of `groupId` on topic `t` that pushes each message's value onto `into`. */
async function collect(bus: InProcessKafka, groupId: string, fromBeginning: boolean, into: string[]) {
  const consumer = bus.consumer({ groupId });
  await consumer.subscribe({ topics: ['t'], fromBeginning });
  await consumer.run({ eachMessage: async ({ message }: { message: { value: Buffer } }) => void into.push(message.value.toString()) } as never);
  return consumer;
}

async function busWith(topics: Record<string, number>): Promise<InProcessKafka> {
  const bus = new InProcessKafka({ retainedPerPartition: 1_000 });
  const admin = bus.admin();
  await admin.createTopics({ topics: Object.entries(topics).map(([topic, numPartitions]) => ({ topic, numPartitions })) });
  return bus;
}

describe('InProcessKafka (the embedded event bus)', () => {
  it('puts a key on the partition kafkajs would choose, and keeps its order', async () => {
    const bus = await busWith({ t: 6 });
    const producer = bus.producer();
    const sent = await producer.send({ topic: 't', messages: ['a', 'b', 'c'].map((v) => ({ key: 'task-42', value: v })) });
    const expected = Partitioners.DefaultPartitioner()({
      topic: 't',
      partitionMetadata: [0, 1, 2, 3, 4, 5].map((partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] })),
      message: { key: Buffer.from('task-42'), value: null },
    });
    expect(sent.map((s) => [s.partition, s.baseOffset])).toEqual([[expected, '0'], [expected, '1'], [expected, '2']]);
    const seen: string[] = [];
    const consumer = await collect(bus, 'g', true, seen);
    await until(() => seen.length === 3, 'three messages');
    expect(seen).toEqual(['a', 'b', 'c']);
    await consumer.disconnect();
  });

  it('refuses a topic that does not exist, appending nothing', async () => {
    const bus = await busWith({ t: 1 });
    await expect(bus.producer().sendBatch({ topicMessages: [{ topic: 't', messages: [{ value: 'x' }] }, { topic: 'missing', messages: [{ value: 'y' }] }] })).rejects.toThrow(/missing/);
    expect(await bus.admin().fetchTopicOffsets('t')).toEqual([{ partition: 0, offset: '0', high: '0', low: '0' }]);
  });

  it('hands a throwing batch handler the same messages again, from the first one not resolved', async () => {
    const bus = await busWith({ t: 1 });
    await bus.producer().send({ topic: 't', messages: ['1', '2', '3'].map((value) => ({ value })) });
    const calls: string[][] = [];
    const consumer = bus.consumer({ groupId: 'g', retry: { initialRetryTime: 5 } });
    await consumer.subscribe({ topics: ['t'], fromBeginning: true });
    await consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }: EachBatchPayload) => {
        calls.push(batch.messages.map((m) => m.value!.toString()));
        if (calls.length === 1) {
          resolveOffset(batch.messages[0].offset);
          throw new Error('transient');
        }
        resolveOffset(batch.messages[batch.messages.length - 1].offset);
      },
    } as never);
    await until(() => calls.length === 2, 'the retry');
    expect(calls).toEqual([['1', '2', '3'], ['2', '3']]);
    await consumer.disconnect();
  });

  it('resumes a group from its committed offsets, and a new group starts at the end unless from the beginning', async () => {
    const bus = await busWith({ t: 2 });
    const producer = bus.producer();
    await producer.send({ topic: 't', messages: [{ key: 'k1', value: 'old' }, { key: 'k2', value: 'old' }] });
    const seen: string[] = [];
    const first = await collect(bus, 'g', true, seen);
    await until(() => seen.length === 2, 'the old messages');
    await first.disconnect();
    await producer.send({ topic: 't', messages: [{ key: 'k1', value: 'new' }] });
    const again = await collect(bus, 'g', true, seen);
    const late: string[] = [];
    const fresh = await collect(bus, 'other', false, late);
    await until(() => seen.length === 3, 'the new message');
    expect(seen).toEqual(['old', 'old', 'new']);
    await producer.send({ topic: 't', messages: [{ key: 'k2', value: 'later' }] });
    await until(() => late.length === 1, 'the later message');
    expect(late).toEqual(['later']);
    await again.disconnect();
    await fresh.disconnect();
  });

  it('shares the partitions among the members of a group, and gives them all to the one left', async () => {
    const bus = await busWith({ t: 4 });
    const a = bus.consumer({ groupId: 'g' });
    const b = bus.consumer({ groupId: 'g' });
    const assignments = new Map<string, number[]>();
    for (const [name, c] of [['a', a], ['b', b]] as const) {
      c.on(c.events.GROUP_JOIN, (e) => assignments.set(name, (e.payload.memberAssignment as Record<string, number[]>).t ?? []));
      await c.subscribe({ topics: ['t'] });
      await c.run({ eachBatch: async () => undefined } as never);
    }
    expect([...assignments.get('a')!, ...assignments.get('b')!].sort()).toEqual([0, 1, 2, 3]);
    expect(assignments.get('a')).toHaveLength(2);
    await b.disconnect();
    expect(assignments.get('a')).toEqual([0, 1, 2, 3]);
    await a.disconnect();
  });

  it('drops what every consuming group has committed, so memory stays bounded', async () => {
    const bus = await busWith({ t: 1 });
    const consumer = bus.consumer({ groupId: 'g' });
    let handled = 0;
    await consumer.subscribe({ topics: ['t'], fromBeginning: true });
    await consumer.run({ eachMessage: async () => void handled++ } as never);
    await bus.producer().send({ topic: 't', messages: Array.from({ length: 50 }, (_, i) => ({ value: String(i) })) });
    await until(() => handled === 50, 'fifty messages');
    await consumer.commitOffsets([{ topic: 't', partition: 0, offset: '50' }]);
    expect(await bus.admin().fetchTopicOffsets('t')).toEqual([{ partition: 0, offset: '50', high: '50', low: '50' }]);
    await consumer.disconnect();
  });
});
