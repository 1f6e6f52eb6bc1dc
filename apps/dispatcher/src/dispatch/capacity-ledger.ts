import type Redis from 'ioredis';

const CLAIM = `
local active = tonumber(redis.call('GET', KEYS[1]) or '0')
if active < tonumber(ARGV[1]) then
  return redis.call('INCR', KEYS[1])
end
return -1`;

const RELEASE = `
local active = tonumber(redis.call('GET', KEYS[1]) or '0')
if active > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0`;

type LedgerRedis = Redis & {
  claimSlot(key: string, capacity: number): Promise<number>;
  releaseSlot(key: string): Promise<number>;
};

/**
 * Tasks each worker holds (open offers and assignments), counted in Redis so every dispatcher
 * instance sees one number. A claim is a single Lua script: check and increment cannot interleave,
 * so no worker is ever offered more than their capacity.
 */
export class CapacityLedger {
  private readonly redis: LedgerRedis;

  constructor(redis: Redis) {
    redis.defineCommand('claimSlot', { numberOfKeys: 1, lua: CLAIM });
    redis.defineCommand('releaseSlot', { numberOfKeys: 1, lua: RELEASE });
    this.redis = redis as LedgerRedis;
  }

  private key(workerId: string): string {
    return `active:${workerId}`;
  }

  /** Takes one slot if the worker has one free; false when at capacity. */
  async claim(workerId: string, capacity: number): Promise<boolean> {
    return (await this.redis.claimSlot(this.key(workerId), capacity)) >= 0;
  }

  async release(workerId: string): Promise<void> {
    await this.redis.releaseSlot(this.key(workerId));
  }
}
