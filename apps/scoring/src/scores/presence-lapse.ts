import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PolicyCache } from '../policies/policy-cache';
import { ScoreKeeper } from './score-keeper.service';
import { ScoreStore } from './score-store';

/**
 * Marks workers offline once their heartbeats have stopped for the policy's TTL, even when no
 * other message arrives, and republishes their scores.
 */
@Injectable()
export class PresenceLapse implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running = false;
  private readonly log = new Logger(PresenceLapse.name);

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(ScoreStore) private readonly store: ScoreStore,
    @Inject(PolicyCache) private readonly policies: PolicyCache,
    @Inject(ScoreKeeper) private readonly keeper: ScoreKeeper,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), 1_000);
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async sweep(now = new Date()): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      const policy = await this.policies.current();
      const cutoff = new Date(now.getTime() - policy.document.presence.heartbeatTtlSeconds * 1000);
      const ids = await this.store.lapsed(this.dataSource.manager, cutoff, 200);
      for (const id of ids) {
        await this.keeper.rescore((m) => this.keeper.presenceLapsed(m, id, now));
      }
      return ids.length;
    } catch (error) {
      this.log.warn(`presence sweep will retry: ${(error as Error).message}`);
      return 0;
    } finally {
      this.running = false;
    }
  }
}
