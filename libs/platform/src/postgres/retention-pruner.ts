import { Rounds } from './rounds';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** A retention as people say it: whole days as days, anything else in hours. */
export function retentionText(ms: number): string {
  if (ms >= DAY_MS && ms % DAY_MS === 0) return ms === DAY_MS ? '1 day' : `${ms / DAY_MS} days`;
  return `${ms / HOUR_MS} h`;
}

/** Where a pruner reports its rounds (a Nest Logger will do). */
export interface PrunerLog {
  log(message: string): void;
  warn(message: string): void;
}

/**
 * Deletes what a service no longer needs to keep: every `intervalMs`, `prune` is given the time
 * `retentionMs` ago and deletes what it decides is older (a batch at a time, each its own short
 * transaction), returning how many. One round runs at a time; a failed round is logged and tried
 * again at the next.
 */
export class RetentionPruner {
  private readonly rounds: Rounds<number>;

  constructor(
    /** What is deleted, in the plural, for the log: "claims of handled events". */
    private readonly what: string,
    private readonly prune: (olderThan: Date) => Promise<number>,
    private readonly retentionMs: number,
    private readonly intervalMs: number,
    private readonly log: PrunerLog,
  ) {
    this.rounds = new Rounds(intervalMs, () => this.pruneOnce(new Date()), 0);
  }

  start(): void {
    this.rounds.start();
  }

  /** Stops the rounds; waits for one under way. */
  stop(): Promise<void> {
    return this.rounds.stop();
  }

  /** One round now: deletes what is older than the retention; returns how many (0 after a failure, which is logged). */
  round(now = new Date()): Promise<number> {
    return this.rounds.run(() => this.pruneOnce(now));
  }

  private async pruneOnce(now: Date): Promise<number> {
    try {
      const deleted = await this.prune(new Date(now.getTime() - this.retentionMs));
      if (deleted > 0) this.log.log(`deleted ${deleted} ${this.what} older than ${retentionText(this.retentionMs)}`);
      return deleted;
    } catch (error) {
      this.log.warn(`pruning ${this.what} failed (${(error as Error).message}); trying again in ${this.intervalMs / 1000} s`);
      return 0;
    }
  }
}
