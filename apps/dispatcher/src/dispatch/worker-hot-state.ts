import { CachedScore } from '@clearwork/contracts';
import type Redis from 'ioredis';

export interface HotState {
  readonly active: Map<string, number>;
  readonly scores: Map<string, CachedScore>;
}

/** Capacity in use and current scores of many workers, read from Redis in one round trip. */
export async function readHotState(redis: Redis, workerIds: readonly string[]): Promise<HotState> {
  if (workerIds.length === 0) return { active: new Map(), scores: new Map() };
  const results = await redis
    .pipeline()
    .mget(...workerIds.map((id) => `active:${id}`))
    .mget(...workerIds.map((id) => `score:${id}`))
    .exec();
  const [activeErr, activeValues] = results![0];
  const [scoreErr, scoreValues] = results![1];
  if (activeErr) throw activeErr;
  if (scoreErr) throw scoreErr;
  const active = new Map(workerIds.map((id, i) => [id, Number((activeValues as (string | null)[])[i] ?? 0)]));
  const scores = new Map<string, CachedScore>();
  (scoreValues as (string | null)[]).forEach((raw, i) => {
    if (!raw) return;
    try {
      const parsed = CachedScore.safeParse(JSON.parse(raw));
      if (parsed.success) scores.set(workerIds[i], parsed.data);
    } catch {
      // A corrupt cache entry falls back to the score in PostgreSQL.
    }
  });
  return { active, scores };
}
