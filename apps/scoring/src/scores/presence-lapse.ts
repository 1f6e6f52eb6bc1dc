import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Rounds, SERVICE_CONFIG } from '@clearwork/platform';
import { DataSource } from 'typeorm';
import type { ScoringConfig } from '../config';
import { PolicyCache } from '../policies/policy-cache';
import { ScoreKeeper } from './score-keeper.service';
import { ScoreStore } from './score-store';

/** Workers a sweep reads at most; the rest wait for the next sweep, a second later. */
const SWEEP_LIMIT = 5_000;

/**
 * Marks workers offline once their heartbeats have stopped for the policy's TTL, even when no
 * other message arrives, and republishes their scores. Once a second, a sweep reads the workers
 * marked online whose last heartbeat is older than the TTL (the longest lapsed first, up to
 * SWEEP_LIMIT) and lapses them SCORING_LAPSE_BATCH to a transaction, so that a mass lapse (a
 * region's network gone, a fleet's app crashing) is caught up in seconds rather than at a
 * transaction a worker.
 */
@Injectable()
export class PresenceLapse implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly rounds = new Rounds(1_000, () => this.lapse(new Date()), 0);
  private stopping = false;
  private readonly log = new Logger(PresenceLapse.name);

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(ScoreStore) private readonly store: ScoreStore,
    @Inject(PolicyCache) private readonly policies: PolicyCache,
    @Inject(ScoreKeeper) private readonly keeper: ScoreKeeper,
    @Inject(SERVICE_CONFIG) private readonly config: ScoringConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.rounds.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.rounds.stop();
  }

  /** One sweep; returns how many workers it looked at (0 while another sweep runs). */
  async sweep(now = new Date()): Promise<number> {
    if (this.stopping) return 0;
    return this.rounds.run(() => this.lapse(now));
  }

  private async lapse(now: Date): Promise<number> {
    try {
      const policy = await this.policies.current();
      const cutoff = new Date(now.getTime() - policy.document.presence.heartbeatTtlSeconds * 1000);
      const ids = await this.store.lapsed(this.dataSource.manager, cutoff, SWEEP_LIMIT);
      const batch = this.config.SCORING_LAPSE_BATCH;
      let done = 0;
      for (; done < ids.length && !this.stopping; done += batch) {
        const some = ids.slice(done, done + batch);
        await this.keeper.rescore((m) => this.keeper.presenceLapsedMany(m, some, now));
      }
      if (ids.length >= 1_000) this.log.log(`presence lapsed for ${Math.min(done, ids.length)} workers in one sweep`);
      return ids.length;
    } catch (error) {
      this.log.warn(`presence sweep will retry: ${(error as Error).message}`);
      return 0;
    }
  }
}
