/** A partition's next offset to read, as Kafka's OffsetCommit takes it. */
export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * Consumed offsets committed together, at most one commit every `intervalMs`, instead of one
 * OffsetCommit request per fetched batch (what kafkajs's auto-commit sends after every batch,
 * so at low rates one per message, per partition, per service). Safe because every handler is
 * idempotent by event id: a process that dies loses at most `intervalMs` of commits, and the
 * next owner of those partitions reads those events again and finds them handled.
 *
 * `consumed` records a partition's position once its events are handled; the commit goes out
 * `intervalMs` after the first position recorded since the last one. `flush` commits at once
 * (before a stop, or when the group rebalances). `assigned` tells it which partitions the
 * process owns after a rebalance: positions of others are dropped, and a failed commit is kept
 * for the next one only for partitions still owned, so a late commit never moves another
 * member's position back.
 */
export class OffsetCommits {
  private readonly pending = new Map<string, PartitionOffset>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  /** The partitions owned since the last rebalance; undefined until the first assignment is known. */
  private owned?: Readonly<Record<string, readonly number[]>>;

  constructor(
    private readonly commit: (offsets: PartitionOffset[]) => Promise<void>,
    private readonly intervalMs: number,
    private readonly onError: (error: Error) => void,
  ) {}

  /** The events up to `lastOffset` of this partition are handled: its next offset is one more. */
  consumed(topic: string, partition: number, lastOffset: string): void {
    this.pending.set(keyOf(topic, partition), { topic, partition, offset: (BigInt(lastOffset) + 1n).toString() });
    if (this.intervalMs === 0) {
      void this.flush();
      return;
    }
    this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
  }

  /** Commits every recorded position now; resolves when that commit (and any before it) is done. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return this.flushing;
    const offsets = [...this.pending.values()];
    this.pending.clear();
    this.flushing = this.flushing.then(() =>
      this.commit(offsets).catch((error: Error) => {
        // Kept for the next commit unless a newer position arrived meanwhile or the partition is no longer owned.
        for (const o of offsets) if (this.owns(o) && !this.pending.has(keyOf(o.topic, o.partition))) this.pending.set(keyOf(o.topic, o.partition), o);
        this.timer ??= setTimeout(() => void this.flush(), Math.max(this.intervalMs, 100));
        this.onError(error);
      }),
    );
    return this.flushing;
  }

  /** The partitions the process owns from now on (after a rebalance): positions of any other are dropped. */
  assigned(assignment: Readonly<Record<string, readonly number[]>>): void {
    this.owned = assignment;
    for (const [key, o] of this.pending) if (!this.owns(o)) this.pending.delete(key);
  }

  private owns(o: PartitionOffset): boolean {
    return this.owned === undefined || (this.owned[o.topic]?.includes(o.partition) ?? false);
  }

  /** Positions recorded and not yet sent. */
  get size(): number {
    return this.pending.size;
  }

  /** Stops the timer; what is pending is dropped (call `flush` first to keep it). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }
}
