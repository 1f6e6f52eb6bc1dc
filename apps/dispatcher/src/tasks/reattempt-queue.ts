/** A replica whose offer was declined, and the attempt that offer was. */
export interface BetweenOffers {
  readonly taskId: string;
  readonly replica: number;
  readonly offeredAt: number;
}

const keyOf = (r: { taskId: string; replica: number }) => `${r.taskId}\t${r.replica}`;

/**
 * Replicas to attempt again once the units that declined their offers have committed, in units
 * of their own: the consumer that applied the declines goes on to its next batch instead of
 * ranking candidates for each. One unit runs at a time and takes what is queued (at most
 * `perUnit`), so the declines of several batches are attempted together. A unit that fails is
 * reported and not retried here: its replicas stay `offered` with no open offer, which the
 * periodic sweep finds (TaskLifecycle.reattemptBetweenOffers), as after a restart.
 */
export class ReattemptQueue {
  private readonly queued = new Map<string, BetweenOffers>();
  private inFlight = new Set<string>();
  private draining?: Promise<void>;

  constructor(
    private readonly attempt: (replicas: BetweenOffers[]) => Promise<void>,
    private readonly failed: (error: Error, replicas: number) => void,
    private readonly perUnit: number,
  ) {}

  /** Queues these replicas and starts a unit if none runs; a replica queued twice is attempted once, as its later offer. */
  add(replicas: readonly BetweenOffers[]): void {
    for (const r of replicas) this.queued.set(keyOf(r), r);
    this.kick();
  }

  /** Whether the replica is queued or being attempted, so a sweep leaves it to the queue. */
  has(r: { taskId: string; replica: number }): boolean {
    const key = keyOf(r);
    return this.queued.has(key) || this.inFlight.has(key);
  }

  /** How many replicas are queued or being attempted. */
  get size(): number {
    return this.queued.size + this.inFlight.size;
  }

  /** Resolves once nothing is queued or being attempted. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private kick(): void {
    if (this.draining || this.queued.size === 0) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.queued.size > 0) {
      const batch = [...this.queued.values()].slice(0, this.perUnit);
      for (const r of batch) this.queued.delete(keyOf(r));
      this.inFlight = new Set(batch.map(keyOf));
      try {
        await this.attempt(batch);
      } catch (error) {
        this.failed(error as Error, batch.length);
      } finally {
        this.inFlight = new Set();
      }
    }
  }
}
