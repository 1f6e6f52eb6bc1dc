import { Inject, Injectable } from '@nestjs/common';
import { REDIS } from '@clearwork/platform';
import type Redis from 'ioredis';
import type { CachedScore } from '@clearwork/contracts';

/**
 * Current scores in Redis, where every dispatcher instance reads them in the same round trip as
 * capacity. PostgreSQL stays the source of truth: a flushed cache is rebuilt from it.
 */
@Injectable()
export class ScoreCache {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async put(scores: readonly CachedScore[]): Promise<void> {
    if (scores.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const s of scores) pipeline.set(`score:${s.workerId}`, JSON.stringify(s));
    await pipeline.exec();
  }
}
