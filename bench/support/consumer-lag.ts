import type { Admin } from 'kafkajs';

/** A consumer group and the topics it reads, under the name its lag is reported by. */
export interface WatchedGroup {
  readonly name: string;
  readonly groupId: string;
  readonly topics: readonly string[];
}

/**
 * Consumer-group lag read through the admin API: for each group, the messages on the topics it
 * reads between its committed offsets and the partitions' ends. Also measures each group's
 * traffic (messages appended per second to its topics), so a lag can be judged in seconds' worth.
 */
export class ConsumerLag {
  constructor(
    private readonly admin: Admin,
    readonly groups: readonly WatchedGroup[],
  ) {}

  private get topics(): string[] {
    return [...new Set(this.groups.flatMap((g) => g.topics))];
  }

  /** The end offset of every partition of the watched topics, by `topic/partition`. */
  async ends(): Promise<Map<string, number>> {
    const ends = new Map<string, number>();
    await Promise.all(
      this.topics.map(async (topic) => {
        for (const p of await this.admin.fetchTopicOffsets(topic)) ends.set(`${topic}/${p.partition}`, Number(p.high));
      }),
    );
    return ends;
  }

  /** Messages each group has yet to read, over every topic it reads. */
  async lag(): Promise<Record<string, number>> {
    const ends = await this.ends();
    const out: Record<string, number> = {};
    await Promise.all(this.groups.map(async (g) => (out[g.name] = await this.behind(g, ends))));
    return out;
  }

  /** Messages between the group's committed offsets and `ends`, over its topics (a partition it never committed is not counted). */
  private async behind(g: WatchedGroup, ends: ReadonlyMap<string, number>): Promise<number> {
    let lag = 0;
    for (const t of await this.admin.fetchOffsets({ groupId: g.groupId, topics: [...g.topics] })) {
      for (const p of t.partitions) if (Number(p.offset) >= 0) lag += Math.max(0, (ends.get(`${t.topic}/${p.partition}`) ?? 0) - Number(p.offset));
    }
    return lag;
  }

  /** Messages per second appended to each group's topics between two readings of `ends()`. */
  traffic(before: Map<string, number>, after: Map<string, number>, seconds: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const g of this.groups) {
      let appended = 0;
      for (const [key, end] of after) if (g.topics.includes(key.slice(0, key.lastIndexOf('/')))) appended += end - (before.get(key) ?? end);
      out[g.name] = seconds > 0 ? appended / seconds : 0;
    }
    return out;
  }

  /**
   * Waits (up to `seconds`) until every group has consumed what its topics held when the wait
   * began; says whether it got there. Judged on the ends read at the start, not on a lag below
   * some slack: with 20,000 workers heartbeating, 333 messages a second keep arriving, and
   * offsets are committed every 500 ms, so a group that keeps up shows a lag of ~170 at any
   * instant and a fixed slack of 50 failed it at random.
   */
  async drain(seconds: number): Promise<boolean> {
    const deadline = Date.now() + seconds * 1_000;
    const target = await this.ends();
    const pending = new Set(this.groups);
    while (Date.now() < deadline) {
      for (const g of [...pending]) if ((await this.behind(g, target)) === 0) pending.delete(g);
      if (pending.size === 0) return true;
      await new Promise((r) => setTimeout(r, 500));
    }
    return false;
  }
}
