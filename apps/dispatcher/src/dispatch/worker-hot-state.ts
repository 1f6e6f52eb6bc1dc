import { CachedScore } from '@clearwork/contracts';
import type Redis from 'ioredis';

export interface HotState {
  readonly active: Map<string, number>;
  readonly scores: Map<string, CachedScore>;
}

/**
 * Reads capacity in use and current scores of many workers from Redis, in one round trip. A
 * score is parsed and validated only when its cached text changed since this reader last saw
 * it: every unit reads its whole pool, and most scores have not moved since the last unit.
 */
export class HotStateReader {
  /** The last text read per worker, and what it parsed to (undefined when it was not a valid score). */
  private readonly parsed = new Map<string, { raw: string; score: CachedScore | undefined }>();

  constructor(private readonly redis: Redis) {}

  async read(workerIds: readonly string[]): Promise<HotState> {
    if (workerIds.length === 0) return { active: new Map(), scores: new Map() };
    const results = await this.redis
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
      const score = this.parse(workerIds[i], raw);
      if (score) scores.set(workerIds[i], score);
    });
    return { active, scores };
  }

  private parse(workerId: string, raw: string): CachedScore | undefined {
    const seen = this.parsed.get(workerId);
    if (seen?.raw === raw) return seen.score;
    let score: CachedScore | undefined;
    try {
      const result = CachedScore.safeParse(JSON.parse(raw));
      if (result.success) score = result.data;
    } catch {
      // A corrupt cache entry falls back to the score in PostgreSQL.
    }
    this.parsed.set(workerId, { raw, score });
    return score;
  }
}
