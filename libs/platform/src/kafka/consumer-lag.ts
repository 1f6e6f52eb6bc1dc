/** A partition's lag as last seen, and when. */
interface PartitionLag {
  readonly lag: number;
  readonly at: number;
}

const OFFSET = /^\d+$/;

/** How long a partition's lag counts after its last handled batch; see ConsumerLag. */
export const LAG_STALE_AFTER_MS = 60_000;

/**
 * How far this consumer is behind the end of each partition it handles, from what every handled
 * batch tells: the partition's high watermark when it was fetched (the offset the next message
 * written will take) less the position just handled. Reported summed per topic.
 *
 * A partition counts until its batches have not been handled for `staleAfterMs`: then it has
 * moved to another member of the group (which reports it from then on), or it is idle (its lag
 * was 0 anyway), or its handler keeps failing (which `clearwork_messages_consumed_total` shows as
 * `retried`). Kafka hands out no empty batches, so an idle partition cannot be told apart.
 */
export class ConsumerLag {
  private readonly topics = new Map<string, Map<number, PartitionLag>>();

  constructor(
    private readonly staleAfterMs = LAG_STALE_AFTER_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The partition's messages up to `offset` are handled; `highWatermark` is the one of the batch
   * they came in. A batch without a readable high watermark changes nothing.
   */
  handled(topic: string, partition: number, highWatermark: string | undefined, offset: string): void {
    if (highWatermark === undefined || !OFFSET.test(highWatermark) || !OFFSET.test(offset)) return;
    // Offsets are 64-bit: subtracted exactly, then small enough for a number.
    const lag = BigInt(highWatermark) - BigInt(offset) - 1n;
    let partitions = this.topics.get(topic);
    if (!partitions) this.topics.set(topic, (partitions = new Map()));
    partitions.set(partition, { lag: lag > 0n ? Number(lag) : 0, at: this.now() });
  }

  /** Messages not yet handled, per topic, over the partitions seen within `staleAfterMs`. */
  byTopic(): Map<string, number> {
    const since = this.now() - this.staleAfterMs;
    const totals = new Map<string, number>();
    for (const [topic, partitions] of this.topics) {
      let total = 0;
      for (const [partition, { lag, at }] of partitions) {
        if (at < since) partitions.delete(partition);
        else total += lag;
      }
      if (partitions.size === 0) this.topics.delete(topic);
      else totals.set(topic, total);
    }
    return totals;
  }
}
