/*
 * The dispatcher's read of capacity in use and cached scores, against a real Redis: a score is
 * parsed once per change of its text, a changed score is seen at the next read, and a corrupt
 * or invalid entry is left out (the score in PostgreSQL is used instead).
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { HotStateReader } from '../apps/dispatcher/src/dispatch/worker-hot-state';
import { REDIS_URL, requireRealServers } from './support/servers';

const score = (workerId: string, quality: number) =>
  JSON.stringify({ workerId, policyVersion: 1, composite: quality, quality, latency: 0.5, availability: 0.5, qualityEvidence: 3, scoredAt: new Date().toISOString() });

describe('hot state read from a real Redis', () => {
  let redis: Redis;

  beforeAll(async () => {
    await requireRealServers();
    redis = new Redis(REDIS_URL, { keyPrefix: `hot-test-${randomBytes(4).toString('hex')}:` });
  });

  afterAll(async () => {
    const keys = await redis.keys(`${redis.options.keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys.map((k) => k.slice(redis.options.keyPrefix!.length)));
    redis.disconnect();
  });

  it('reads counters and scores, sees a changed score at once, and leaves out corrupt and invalid entries', async () => {
    const reader = new HotStateReader(redis);
    await redis.mset('active:w1', '2', 'score:w1', score('w1', 0.8), 'score:w2', '{not json', 'score:w3', JSON.stringify({ workerId: 'w3' }));
    const first = await reader.read(['w1', 'w2', 'w3', 'w4']);
    expect(Object.fromEntries(first.active)).toEqual({ w1: 2, w2: 0, w3: 0, w4: 0 });
    expect([...first.scores.keys()]).toEqual(['w1']);
    expect(first.scores.get('w1')!.quality).toBe(0.8);

    const again = await reader.read(['w1']);
    expect(again.scores.get('w1')).toBe(first.scores.get('w1')); // unchanged text: not parsed again

    await redis.set('score:w1', score('w1', 0.3));
    await redis.set('score:w2', score('w2', 0.6));
    const changed = await reader.read(['w1', 'w2']);
    expect(changed.scores.get('w1')!.quality).toBe(0.3);
    expect(changed.scores.get('w2')!.quality).toBe(0.6);
  });
});
