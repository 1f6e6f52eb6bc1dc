/**
 * Background work run every `intervalMs`, one round at a time: a round asked for while another is
 * under way is not started (it returns `skipped`), and stopping waits for the round under way.
 * The work catches and reports its own failures.
 */
export class Rounds<T> {
  private timer?: NodeJS.Timeout;
  private running?: Promise<T>;

  constructor(
    private readonly intervalMs: number,
    private readonly scheduled: () => Promise<T>,
    private readonly skipped: T,
  ) {}

  get started(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.run(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the rounds; waits for one under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round now (`work`, the scheduled work unless given), unless one is under way. */
  async run(work: () => Promise<T> = this.scheduled): Promise<T> {
    if (this.running) return this.skipped;
    this.running = work();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }
}
