export interface CachedReadingOptions {
  /** Takes a new reading (a COUNT in PostgreSQL, say). */
  readonly read: () => Promise<number>;
  /** A reading younger than this is served again instead of taking a new one; so is a failure. */
  readonly maxAgeMs: number;
  /** The longest a caller waits for a new reading before it is served the last one; the new one still lands for later callers. */
  readonly waitMs: number;
  readonly onError?: (error: Error) => void;
  readonly now?: () => number;
}

/**
 * A number that costs a query to read, for a gauge: read at most once per `maxAgeMs` however
 * often it is asked for (one query for a storm of scrapes, concurrent callers sharing it), and
 * never holding a caller longer than `waitMs`, so a slow or failed database leaves the last
 * reading on `/metrics` rather than a scrape that times out.
 */
export class CachedReading {
  private last?: number;
  private readAt = Number.NEGATIVE_INFINITY;
  private pending?: Promise<void>;
  private readonly now: () => number;

  constructor(private readonly options: CachedReadingOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The freshest reading there is, or undefined before the first one succeeds. */
  async value(): Promise<number | undefined> {
    if (!this.pending && this.now() - this.readAt >= this.options.maxAgeMs) {
      this.readAt = this.now();
      this.pending = this.options
        .read()
        .then(
          (value) => void (this.last = value),
          (error: Error) => this.options.onError?.(error),
        )
        .finally(() => (this.pending = undefined));
    }
    if (this.pending) await within(this.pending, this.options.waitMs);
    return this.last;
  }
}

/** Resolves when `promise` settles or `ms` have passed, whichever is first. */
async function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
