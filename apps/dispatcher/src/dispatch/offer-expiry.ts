import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BETWEEN_OFFERS_SWEEP_SECONDS, TaskLifecycle } from '../tasks/task-lifecycle.service';

/**
 * Expires offers on time even when no other message arrives: sleeps until the earliest open
 * offer's expiry (at most `maxSleepMs`, so offers made by other instances are seen too), and
 * opens a unit of work only when an offer is due. Once a second it also gives up on tasks that
 * have waited longer than the policy allows, and every BETWEEN_OFFERS_SWEEP_SECONDS it offers
 * again the replicas whose offers were declined and not yet offered again by the process that
 * applied the declines (stopped, or its unit failed; see TaskLifecycle.reattemptBetweenOffers).
 */
@Injectable()
export class OfferExpiry implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly log = new Logger(OfferExpiry.name);
  private readonly maxSleepMs = 250;
  private lastWaitCheck = 0;
  private lastBetweenOffersCheck = 0;

  constructor(@Inject(TaskLifecycle) private readonly lifecycle: TaskLifecycle) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    let delay = this.maxSleepMs;
    try {
      // One read says whether anything is due; only then does a unit (a transaction) expire it.
      const next = await this.lifecycle.nextExpiry();
      const expired = next && next.getTime() <= Date.now() ? await this.lifecycle.expireDueOffers() : 0;
      if (Date.now() - this.lastWaitCheck > 1_000) {
        this.lastWaitCheck = Date.now();
        await this.lifecycle.expireOverdueWaiting();
      }
      if (Date.now() - this.lastBetweenOffersCheck > BETWEEN_OFFERS_SWEEP_SECONDS * 1_000) {
        this.lastBetweenOffersCheck = Date.now();
        const found = await this.lifecycle.reattemptBetweenOffers();
        if (found > 0) this.log.log(`attempted again ${found} declined replicas left without an offer`);
      }
      if (expired > 0) delay = 0;
      else if (next) delay = Math.max(0, Math.min(this.maxSleepMs, next.getTime() - Date.now()));
    } catch (error) {
      this.log.warn(`offer expiry will retry: ${(error as Error).message}`);
      delay = 1_000;
    }
    this.schedule(delay);
  }
}
