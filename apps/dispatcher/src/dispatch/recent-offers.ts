import type { EntityManager } from 'typeorm';
import type { OfferFeedListener } from '../workers/candidate-index';
import type { FeedOffer, RecentOffer, TaskStore } from '../tasks/task-store';

/** A queue's last offers, and their workers as callers get them (made when first asked for). */
interface Window {
  readonly offers: RecentOffer[];
  workers?: string[];
}

/** Queues whose windows a dispatcher keeps; the least recently asked for goes first. */
export const MAX_QUEUES_KEPT = 4_096;

/**
 * Each queue's last offers (the window its queue-share cap counts), kept between units instead
 * of read for each: with 20,000 workers a unit read 200 offers per queue down the index, and that
 * statement was the largest share of the dispatcher's time in PostgreSQL.
 *
 * A queue's window is read whole the first time it is asked for; after that only the offers
 * written since are added, of every queue at once: the candidate index reads them in its
 * refresh's statement (CandidateIndex.followOffers), the way it reads the worker registry. Each
 * offer carries the id of the transaction that wrote it, and every offer not yet seen was written
 * by a transaction at or after the xmin of the last refresh's snapshot (committed later, or not
 * yet). Those are read again until the xmin passes them; an offer met twice counts once. Offers
 * made by other dispatcher processes are seen the same way as this one's own.
 *
 * The answer is what a read of each queue's last offers (newest first, ties by offer id) at the
 * moment of the last refresh would give, or later for a queue first asked for since. Arrivals and
 * callers go through one at a time, in the order they came.
 */
export class RecentOffers implements OfferFeedListener {
  private windows = new Map<string, Window>();
  private window = NaN;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Pick<TaskStore, 'recentOffersMany'>,
    private readonly maxQueues = MAX_QUEUES_KEPT,
  ) {}

  /** Offers written since the last refresh (see CandidateIndex.followOffers): added to the windows held, after what came before. */
  arrived(offers: readonly FeedOffer[]): void {
    if (offers.length === 0) return;
    this.queue = this.queue.then(() => this.add(offers));
  }

  /** For each queue, the workers of its last `window` offers, newest first (a worker once per offer). */
  offerees(m: EntityManager, queues: readonly string[], window: number): Promise<Map<string, readonly string[]>> {
    const run = this.queue.then(() => this.read(m, queues, window));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private add(offers: readonly FeedOffer[]): void {
    const arrived = new Map<string, RecentOffer[]>();
    for (const o of offers) {
      if (!this.windows.has(o.queue)) continue;
      const list = arrived.get(o.queue);
      if (list) list.push(o);
      else arrived.set(o.queue, [o]);
    }
    for (const [queue, list] of arrived) {
      const held = this.windows.get(queue)!;
      const kept = newest(held.offers, list, this.window);
      if (kept !== held.offers) this.windows.set(queue, { offers: kept });
    }
  }

  private async read(m: EntityManager, queues: readonly string[], window: number): Promise<Map<string, readonly string[]>> {
    if (queues.length === 0) return new Map();
    if (window !== this.window) {
      this.window = window;
      this.windows = new Map();
    }
    // A queue read now holds everything the feed skipped for it, and what the next feeds bring again.
    const missing = queues.filter((q) => !this.windows.has(q));
    if (missing.length > 0) for (const [queue, offers] of await this.store.recentOffersMany(m, missing, window)) this.windows.set(queue, { offers });

    const answer = new Map<string, readonly string[]>();
    for (const queue of queues) {
      const held = this.windows.get(queue)!;
      // Asked for: moved to the back of the eviction order.
      this.windows.delete(queue);
      this.windows.set(queue, held);
      // Callers only read the list: it is shared until the window changes.
      answer.set(queue, (held.workers ??= held.offers.map((o) => o.workerId)));
    }
    for (const queue of this.windows.keys()) {
      if (this.windows.size <= this.maxQueues) break;
      this.windows.delete(queue);
    }
    return answer;
  }
}

/** Newest first; ties by offer id, descending. */
function before(a: RecentOffer, b: RecentOffer): number {
  return b.atMicros - a.atMicros || (a.offerId < b.offerId ? 1 : a.offerId > b.offerId ? -1 : 0);
}

/**
 * The `window` newest of both lists (each offer once), newest first, ties by offer id descending.
 * `held` is in that order already; `arrived` is a unit's worth, in any order, and may repeat offers
 * of `held` (read again until the xmin passes them): each is looked up in `held` by its place.
 */
export function newest(held: readonly RecentOffer[], arrived: readonly RecentOffer[], window: number): RecentOffer[] {
  const fresh = arrived.filter((o) => {
    let lo = 0;
    let hi = held.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(held[mid], o) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo === held.length || held[lo].offerId !== o.offerId;
  });
  if (fresh.length === 0) return held.length > window ? held.slice(0, window) : (held as RecentOffer[]);
  fresh.sort(before);
  const merged: RecentOffer[] = [];
  let i = 0;
  let j = 0;
  while (merged.length < window && (i < held.length || j < fresh.length)) {
    const next = j >= fresh.length || (i < held.length && before(held[i], fresh[j]) <= 0) ? held[i++] : fresh[j++];
    if (merged.length === 0 || merged[merged.length - 1].offerId !== next.offerId) merged.push(next);
  }
  return merged;
}
