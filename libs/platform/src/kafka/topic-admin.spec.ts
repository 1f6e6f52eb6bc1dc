import { InProcessKafka } from '../embedded/in-process-kafka';
import { adoptGroupOffsets } from './topic-admin';

describe('adoptGroupOffsets (a topic moved to a consumer group of its own)', () => {
  async function bus(): Promise<InProcessKafka> {
    const b = new InProcessKafka();
    await b.admin().createTopics({ topics: [{ topic: 'tasks', numPartitions: 2 }] });
    return b;
  }

  it('gives the new group the old group’s positions when it has none, and leaves them alone after', async () => {
    const b = await bus();
    const admin = b.admin();
    await admin.setOffsets({ groupId: 'svc', topic: 'tasks', partitions: [{ partition: 0, offset: '7' }, { partition: 1, offset: '3' }] });
    expect(await adoptGroupOffsets(b.asKafka(), 'svc', 'svc.tasks', ['tasks'])).toBe(true);
    const adopted = await admin.fetchOffsets({ groupId: 'svc.tasks', topics: ['tasks'] });
    expect(adopted[0].partitions.map((p) => p.offset)).toEqual(['7', '3']);

    await admin.setOffsets({ groupId: 'svc.tasks', topic: 'tasks', partitions: [{ partition: 0, offset: '9' }] });
    expect(await adoptGroupOffsets(b.asKafka(), 'svc', 'svc.tasks', ['tasks'])).toBe(false);
    expect((await admin.fetchOffsets({ groupId: 'svc.tasks', topics: ['tasks'] }))[0].partitions.map((p) => p.offset)).toEqual(['9', '3']);
  });

  it('copies nothing when the old group has no positions either (a new deployment)', async () => {
    const b = await bus();
    expect(await adoptGroupOffsets(b.asKafka(), 'svc', 'svc.tasks', ['tasks'])).toBe(false);
    expect((await b.admin().fetchOffsets({ groupId: 'svc.tasks', topics: ['tasks'] }))[0].partitions.map((p) => p.offset)).toEqual(['-1', '-1']);
  });
});
