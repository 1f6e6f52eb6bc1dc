import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { defineScript, REDIS, SERVICE_CONFIG, sqlRows, type BaseConfig, type RedisScript } from '@clearwork/platform';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { TaskLifecycle } from '../tasks/task-lifecycle.service';
import { CapacityLedger, LEDGER_SENTINEL as SENTINEL } from './capacity-ledger';
import { UNIT_DEADLINE_MS } from './dispatch-unit';

const SET_IF = `
if (redis.call('GET', KEYS[1]) or '0') == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0`;

/** Compare-and-set of a counter (a missing one reads '0'): 1 when it held the expected value and was set, else 0. */
export const SET_IF_EQUALS: RedisScript = {
  numberOfKeys: 1,
  lua: SET_IF,
  inMemory: (store, [key], [expected, next]) => {
    if ((store.get(key) ?? '0') !== expected) return 0;
    store.set(key, next);
    return 1;
  },
};

/** Keys SCAN looks at per call while listing the counters (a hint to Redis, which may return more or fewer). */
const SCAN_STEP = 10_000;

/** A counter above PostgreSQL's count is corrected only after disagreeing, unchanged, this long. */
const DOWNWARD_AFTER_MS = UNIT_DEADLINE_MS + 10_000;

/**
 * Keeps the Redis capacity counters equal to what PostgreSQL says workers hold (open offers and
 * unfinished assignments). A counter below the count is corrected when it disagrees twice in a
 * row, unchanged. One above it may be a claim whose unit has not committed yet, so it is
 * corrected only once the same disagreement has lasted longer than any unit may run (see
 * UNIT_DEADLINE_MS); correcting it earlier would hand out a slot that unit is about to use.
 * Corrections are compare-and-set, so a claim made meanwhile is never overwritten; if Redis lost its data (the
 * sentinel key is gone) every counter is rebuilt at once before anything else. Claims are refused
 * until then (the first refused one asks for the rebuild), and afterwards the tasks that waited
 * meanwhile are dispatched again.
 */
@Injectable()
export class CapacityReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  /** Counters seen disagreeing: how, and since when. */
  private suspects = new Map<string, { key: string; since: number }>();
  private running = false;
  private readonly log = new Logger(CapacityReconciler.name);

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(SERVICE_CONFIG) private readonly config: BaseConfig,
    @Inject(CapacityLedger) private readonly ledger: CapacityLedger,
    @Inject(TaskLifecycle) private readonly lifecycle: TaskLifecycle,
  ) {
    defineScript(this.redis, 'setIfEquals', SET_IF_EQUALS);
    ledger.onLost = () => void this.reconcile();
    ledger.onWaitedWhileLost = () => void this.redispatchOnceRebuilt();
  }

  /** Dispatches waiting tasks again once the counters exist (rebuilding them first if need be). */
  private async redispatchOnceRebuilt(): Promise<void> {
    try {
      for (let i = 0; i < 600 && this.running; i++) await new Promise((r) => setTimeout(r, 50));
      if (await this.redis.exists(SENTINEL)) await this.lifecycle.redispatchWaiting();
      else await this.reconcile(); // rebuilds, then dispatches what waits
    } catch (error) {
      this.log.warn(`waiting tasks not dispatched again after the capacity rebuild (${(error as Error).message}); they go out when a worker frees a slot or comes online`);
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.reconcile();
    this.timer = setInterval(() => void this.reconcile(), 5_000);
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async reconcile(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      // Redis is read on both sides of PostgreSQL: a counter that moved meanwhile (a claim or a
      // release in flight) is not judged this round.
      const counted = await this.countedWorkers();
      const before = await this.counters(counted);
      const truth = await this.truth();
      if (!(await this.redis.exists(SENTINEL))) {
        await this.rebuild(truth);
        await this.lifecycle.redispatchWaiting();
        return;
      }
      const list = [...new Set([...truth.keys(), ...counted])];
      const after = await this.counters(list);
      const next = new Map<string, { key: string; since: number }>();
      for (const id of list) {
        const have = after.get(id)!;
        if (have !== (before.get(id) ?? '0')) continue;
        const want = String(truth.get(id) ?? 0);
        if (have === want) continue;
        const key = `${have}->${want}`;
        const seen = this.suspects.get(id);
        const since = seen?.key === key ? seen.since : Date.now();
        const due = Number(have) > Number(want) ? Date.now() - since >= DOWNWARD_AFTER_MS : seen?.key === key;
        if (due) {
          const fixed = await (this.redis as Redis & { setIfEquals(k: string, a: string, b: string): Promise<number> }).setIfEquals(`active:${id}`, have, want);
          this.ledger.noteChanged([id]);
          if (fixed) this.log.warn({ msg: `capacity in use corrected from ${have} to ${want}`, workerId: id });
        } else {
          next.set(id, { key, since });
        }
      }
      this.suspects = next;
    } catch (error) {
      this.log.warn(`capacity reconciliation will retry: ${(error as Error).message}`);
    } finally {
      this.running = false;
    }
  }

  private async rebuild(truth: Map<string, number>): Promise<void> {
    const pipeline = this.redis.pipeline();
    const counted = await this.countedWorkers();
    for (const id of counted) if (!truth.has(id)) pipeline.set(`active:${id}`, '0');
    for (const [id, n] of truth) pipeline.set(`active:${id}`, String(n));
    pipeline.set(SENTINEL, new Date().toISOString());
    await pipeline.exec();
    this.ledger.noteChanged([...counted, ...truth.keys()]);
    this.suspects.clear();
    this.log.log(`capacity counters rebuilt from PostgreSQL for ${truth.size} workers`);
  }

  private async truth(): Promise<Map<string, number>> {
    const rows = await sqlRows<{ worker_id: string; n: string }>(this.dataSource.manager,
      `SELECT worker_id, count(*) AS n FROM (
         SELECT worker_id FROM dispatcher.offers WHERE state = 'open'
         UNION ALL SELECT worker_id FROM dispatcher.assignments WHERE finished_at IS NULL) held
       GROUP BY worker_id`);
    return new Map(rows.map((r) => [r.worker_id, Number(r.n)]));
  }

  /** Current counters of these workers ('0' where there is none), in one round trip. */
  private async counters(ids: readonly string[]): Promise<Map<string, string>> {
    const values = ids.length ? await this.redis.mget(...ids.map((id) => `active:${id}`)) : [];
    return new Map(ids.map((id, i) => [id, values[i] ?? '0']));
  }

  /**
   * Workers with a counter in Redis (SCAN sees raw keys, so the configured prefix is added and
   * removed here). SCAN walks every key of the database, most of them other kinds (a score per
   * worker), and returns the few that match: SCAN_STEP keys a call keeps that to a few round
   * trips every round with 20,000 workers, where 1,000 took twenty-one.
   */
  private async countedWorkers(): Promise<string[]> {
    const prefix = `${this.config.REDIS_KEY_PREFIX}active:`;
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', SCAN_STEP);
      cursor = next;
      for (const k of keys) out.push(k.slice(prefix.length));
    } while (cursor !== '0');
    return out;
  }
}
