import { defineScript, luaLessThan, luaToNumber, type RedisScript } from '@clearwork/platform';
import type Redis from 'ioredis';

/** Set when the counters were (re)built from PostgreSQL; gone if Redis lost its data. */
export const LEDGER_SENTINEL = 'capacity:rebuilt-at';

const CLAIM = `
if redis.call('EXISTS', KEYS[2]) == 0 then
  return -2
end
local active = tonumber(redis.call('GET', KEYS[1]) or '0')
if active < tonumber(ARGV[1]) then
  return redis.call('INCR', KEYS[1])
end
return -1`;

/** Takes a slot below capacity: the new count, -1 at capacity, -2 while the counters are gone. */
export const CLAIM_SLOT: RedisScript = {
  numberOfKeys: 2,
  lua: CLAIM,
  inMemory: (store, [counter, sentinel], [capacity]) => {
    if (store.exists(sentinel) === 0) return -2;
    const active = luaToNumber(store.get(counter) ?? '0');
    if (luaLessThan(active, luaToNumber(capacity))) return store.incr(counter);
    return -1;
  },
};

const RELEASE = `
local active = tonumber(redis.call('GET', KEYS[1]) or '0')
if active > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0`;

/** Frees a slot: the new count, never below 0. */
export const RELEASE_SLOT: RedisScript = {
  numberOfKeys: 1,
  lua: RELEASE,
  inMemory: (store, [counter]) => {
    const active = luaToNumber(store.get(counter) ?? '0');
    if (luaLessThan(0, active)) return store.decr(counter); // the Lua's `active > 0`
    return 0;
  },
};

type LedgerRedis = Redis & {
  claimSlot(key: string, sentinel: string, capacity: number): Promise<number>;
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
    defineScript(redis, 'claimSlot', CLAIM_SLOT);
    defineScript(redis, 'releaseSlot', RELEASE_SLOT);
    this.redis = redis as LedgerRedis;
  }

  private key(workerId: string): string {
    return `active:${workerId}`;
  }

  /** Called when a claim finds the counters gone (Redis lost its data), so they are rebuilt at once. */
  onLost?: () => void;
  /**
   * Called when a unit that had a claim refused for want of counters has committed: what it left
   * waiting must be dispatched again once they are rebuilt (a rebuild that finished before the
   * unit committed could not see it).
   */
  onWaitedWhileLost?: () => void;
  /** Claims refused because the counters were gone, since start. */
  lostClaims = 0;
  /**
   * Workers whose counter this process changed (or tried to) since `takeChanged` last emptied
   * them, with the count the script's answer gave, or undefined where it gave none (a refused
   * claim, a correction by the reconciler).
   */
  private changed = new Map<string, number | undefined>();

  /**
   * The workers whose counter this process changed since the last call, noted once Redis had
   * answered: `counts` those whose script's answer gave the new count, `unknown` those to read
   * again (a read sent after this call sees every one of those changes). DispatchPlanner's
   * standing pools take them before each unit.
   */
  takeChanged(): { counts: Map<string, number>; unknown: string[] } {
    const counts = new Map<string, number>();
    const unknown: string[] = [];
    for (const [id, count] of this.changed) {
      if (count === undefined) unknown.push(id);
      else counts.set(id, count);
    }
    this.changed.clear();
    return { counts, unknown };
  }

  /** Notes counters changed outside the claim and release scripts (the reconciler's corrections): read again, their counts unknown. */
  noteChanged(workerIds: Iterable<string>): void {
    for (const id of workerIds) this.changed.set(id, undefined);
  }

  /** Notes each worker's counter at the count its script answered (a pipeline's results, in order), or unknown where it gave none. */
  private noteAnswers(workerIds: readonly string[], results: readonly [Error | null, unknown][]): void {
    workerIds.forEach((id, i) => {
      const [error, result] = results[i] ?? [new Error('no answer')];
      this.changed.set(id, countIn(error ? undefined : result));
    });
  }

  /**
   * Takes one slot if the worker has one free; false when at capacity, and also while the
   * counters are missing: a lost counter reads as zero, and would let a worker be offered more
   * than their capacity until the counters are rebuilt from PostgreSQL.
   */
  async claim(workerId: string, capacity: number): Promise<boolean> {
    const result = await this.redis.claimSlot(this.key(workerId), LEDGER_SENTINEL, capacity);
    this.changed.set(workerId, countIn(result));
    return this.granted([result])[0];
  }

  /**
   * `claim` for several slots in one round trip, applied in order (each one atomic, as `claim`
   * is): whether each was taken. A worker may appear more than once.
   */
  async claimMany(claims: readonly { workerId: string; capacity: number }[]): Promise<boolean[]> {
    if (claims.length === 0) return [];
    if (claims.length === 1) return [await this.claim(claims[0].workerId, claims[0].capacity)];
    const pipeline = this.redis.pipeline() as ReturnType<Redis['pipeline']> & { claimSlot(key: string, sentinel: string, capacity: number): unknown };
    for (const c of claims) pipeline.claimSlot(this.key(c.workerId), LEDGER_SENTINEL, c.capacity);
    const results = (await pipeline.exec()) ?? [];
    this.noteAnswers(claims.map((c) => c.workerId), results);
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
    return this.granted(results.map(([, result]) => result as number));
  }

  /** Whether each claim script's answer took a slot; answers of missing counters are counted and reported (`onLost`) once. */
  private granted(results: readonly number[]): boolean[] {
    const lost = results.filter((r) => r === -2).length;
    if (lost > 0) {
      this.lostClaims += lost;
      this.onLost?.();
    }
    return results.map((r) => r >= 0);
  }

  async release(workerId: string): Promise<void> {
    this.changed.set(workerId, countIn(await this.redis.releaseSlot(this.key(workerId))));
  }

  /** Frees one slot per entry (a worker may appear more than once), in one round trip. */
  async releaseMany(workerIds: readonly string[]): Promise<void> {
    if (workerIds.length === 0) return;
    if (workerIds.length === 1) return this.release(workerIds[0]);
    const pipeline = this.redis.pipeline() as ReturnType<Redis['pipeline']> & { releaseSlot(key: string): unknown };
    for (const id of workerIds) pipeline.releaseSlot(this.key(id));
    const results = (await pipeline.exec()) ?? [];
    this.noteAnswers(workerIds, results);
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
  }
}

/** The counter a claim or release script answered (the new count), or undefined for a refusal (-1, -2) or no number. */
function countIn(result: unknown): number | undefined {
  return typeof result === 'number' && result >= 0 ? result : undefined;
}
