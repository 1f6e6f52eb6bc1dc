import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { deleteRedisKeys, REDIS_URL, requireRealServers } from './support/servers';

/** A run's keys are deleted when its engine stops, and no one else's. */
describe('deleteRedisKeys against the real Redis', () => {
  let redis: Redis;
  const run = `cleanup-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    await requireRealServers();
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    await redis.unlink(...(await redis.keys(`${run}*`)), `${run}-dummy`);
    redis.disconnect();
  });

  it('deletes every key under the prefix, past one SCAN call, and keeps keys beside it', async () => {
    const prefix = `${run}:`;
    const mine = Array.from({ length: 12_000 }, (_, i) => `${prefix}score:w-${i}`);
    const pipeline = redis.pipeline();
    for (const key of mine) pipeline.set(key, '1');
    pipeline.set(`${run}x:score:w-1`, 'neighbour').set(`${run}:`.slice(0, -1), 'no colon');
    await pipeline.exec();

    expect(await deleteRedisKeys(prefix)).toBe(12_000);

    expect(await redis.exists(mine[0], mine[11_999])).toBe(0);
    expect(await redis.get(`${run}x:score:w-1`)).toBe('neighbour');
    expect(await redis.get(run)).toBe('no colon');
  });

  it('takes glob characters in the prefix as themselves', async () => {
    await redis.set(`${run}[a]:k`, 'bracketed');
    await redis.set(`${run}a:k`, 'would match the glob [a]');
    expect(await deleteRedisKeys(`${run}[a]:`)).toBe(1);
    expect(await redis.get(`${run}a:k`)).toBe('would match the glob [a]');
  });

  it('refuses an empty prefix, which would delete every key', async () => {
    await expect(deleteRedisKeys('')).rejects.toThrow(/needs a prefix/);
  });
});
