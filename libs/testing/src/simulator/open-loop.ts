import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { TOPICS } from '@clearwork/contracts';
import type { WorkforceSimulation } from '../simulation';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { LatencyHistogram } from './latency-histogram';

/** The fields of an OfferMade the generator and the simulated workers read. */
export interface OfferSeen {
  readonly offerId: string;
  readonly taskId: string;
  readonly workerId: string;
  readonly attempt: number;
}

/** Everything on gig.offers.v1 that carried this run's deployment header, by event type. */
export type OfferEventCounts = Record<string, number>;

/** How often the schedule is checked: a task is sent at most this late by the timer alone. */
const TICK_MS = 5;
/** Sends in flight before the generator waits; waiting shows up as its own lag, never hides. */
const MAX_SENDS_IN_FLIGHT = 16;
const MAX_MESSAGES_PER_SEND = 5_000;
/** How far ahead of the schedule tasks are built and serialised, so a tick only hands them over. */
const LOOKAHEAD_MS = 100;
/** How long an event id is remembered at least to tell a repeat (a relay's repeat follows its first send within seconds). */
const REPEAT_MEMORY_MS = 60_000;

interface Prepared {
  readonly taskId: string;
  readonly intended: number;
  readonly message: { key: string; value: string };
}

/**
 * One measured stretch of load at a fixed rate (a capacity-search step or a load level). Latency
 * counts only for tasks due after `measureFrom` (the warm-up before it is not judged).
 */
export class LoadWindow {
  posted = 0;
  answered = 0;
  /** Tasks whose first answer was TaskWaiting or TaskUnassignable (no capable worker free). */
  waited = 0;
  /** Tasks still unanswered when the window closed. */
  unanswered = 0;
  offersMade = 0;
  open = true;
  readonly endToEnd = new LatencyHistogram();
  readonly decision = new LatencyHistogram();
  /**
   * The two other parts of a task's end to end, for tasks whose first answer is an OfferMade:
   * taken up = the offer's occurredAt (the dispatcher's clock when its handler took the task)
   * minus the intended send time (the generator's send, the broker, the fetch, the decoding);
   * delivered = consumed here minus the offer's CreateTime (the broker's append and replication
   * wait, this consumer's fetch). For one task, these two and its first offer's decision add up
   * to its end to end, give or take the millisecond of the ISO time's rounding (the `decision`
   * histogram holds every offer in the window, re-offers too).
   */
  readonly takenUp = new LatencyHistogram();
  readonly delivered = new LatencyHistogram();
  /** How late each task was handed to the producer, against its place on the schedule. */
  readonly generatorLag = new LatencyHistogram();
  private readonly cpuAtStart = process.cpuUsage();
  private readonly startedAt = performance.now();
  cpuShare = 0;

  constructor(
    readonly label: string,
    readonly rate: number,
    readonly measureFrom: number,
  ) {}

  outstanding(): number {
    return this.posted - this.answered;
  }

  close(): void {
    const cpu = process.cpuUsage(this.cpuAtStart);
    this.cpuShare = (cpu.user + cpu.system) / 1_000 / (performance.now() - this.startedAt);
    this.open = false;
  }
}

interface Pending {
  readonly intended: number;
  readonly window: LoadWindow;
  readonly measured: boolean;
}

/**
 * Open-loop load: posts TaskPosted events at a fixed rate whatever happens to the ones before,
 * and measures what the system under test publishes on gig.offers.v1 under `deployment`.
 * Coordinated omission is corrected by construction: each task's latency counts from its
 * intended time on the fixed schedule, so a send the generator made late counts against the
 * system, and a task never answered counts as at least as late as the window's end.
 */
export class OpenLoopGenerator {
  readonly counts: OfferEventCounts = {};
  /**
   * Events published again with an eventId already seen (at-least-once delivery: a relay that
   * sent and then died before deleting, or two relays racing), counted by type; a message the
   * generator's own group is handed again (same partition and offset) is not one.
   */
  readonly repeated: OfferEventCounts = {};
  /** Event ids seen lately, in two generations of REPEAT_MEMORY_MS each, so memory stays bounded. */
  private recentIds = new Set<string>();
  private olderIds = new Set<string>();
  private idsSince = 0;
  private readonly nextOffset = new Map<number, bigint>();
  sendErrors = 0;
  lastSendError = '';
  private producer!: Producer;
  private consumer!: Consumer;
  private readonly groupId = `throughput-${randomBytes(5).toString('hex')}`;
  private readonly pending = new Map<string, Pending>();
  private window: LoadWindow | null = null;
  private rate = 0;
  private scheduleStart = 0;
  private scheduled = 0;
  private sequence = 0;
  private posted = 0;
  private inFlight = 0;
  /** Tasks built ahead for the next schedule positions, in order; cleared when the rate changes. */
  private prepared: Prepared[] = [];
  private preparing = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly kafka: Kafka,
    private readonly deployment: string,
    private readonly simulation: WorkforceSimulation,
    private readonly onOffer: (offer: OfferSeen) => void = () => undefined,
  ) {}

  /**
   * Connects, joins a fresh group on the offers topic and starts the clock. `commitEnds` commits
   * the topic's current end for that group first (on a broker shared with earlier runs, so it
   * reads only what this run causes); an in-process bus starts empty and needs none.
   */
  async start(options: { commitEnds?: (kafka: Kafka, groupIds: readonly string[], topics: readonly string[]) => Promise<void> } = {}): Promise<void> {
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false });
    await this.producer.connect();
    await options.commitEnds?.(this.kafka, [this.groupId], [TOPICS.offers]);
    this.consumer = this.kafka.consumer({ groupId: this.groupId });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [TOPICS.offers], fromBeginning: false });
    const joined = new Promise<void>((resolve) => this.consumer.on(this.consumer.events.GROUP_JOIN, () => resolve()));
    await this.consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (offset < (this.nextOffset.get(batch.partition) ?? 0n)) continue; // handed again to this group
          this.nextOffset.set(batch.partition, offset + 1n);
          if (!m.value || m.headers?.['clearwork-deployment']?.toString() !== this.deployment) continue;
          this.onEvent(JSON.parse(m.value.toString('utf8')), Number(m.timestamp), performance.now());
        }
      },
    });
    await joined;
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** Posts `rate` tasks per second from now on, into a new window measured after `warmupMs`. */
  begin(label: string, rate: number, warmupMs: number): LoadWindow {
    const now = performance.now();
    this.window = new LoadWindow(label, rate, now + warmupMs);
    this.rate = rate;
    this.scheduleStart = now;
    this.scheduled = 0;
    this.prepared = [];
    this.prepare();
    return this.window;
  }

  stopPosting(): void {
    this.rate = 0;
    this.prepared = [];
  }

  /**
   * Waits up to `graceMs` for the window's tasks to be answered, then closes it: a task still
   * unanswered is counted, and (when measured) recorded as late as it is by then.
   */
  async finish(window: LoadWindow, graceMs: number): Promise<void> {
    const deadline = performance.now() + graceMs;
    while (window.outstanding() > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const now = performance.now();
    for (const p of this.pending.values()) {
      if (p.window !== window) continue;
      window.unanswered++;
      if (p.measured) window.endToEnd.recordMs(now - p.intended);
    }
    window.close();
    if (this.window === window) this.window = null;
  }

  /** Tasks posted (in any window) that have had no answer at all so far. */
  unansweredTotal(): number {
    return this.pending.size;
  }

  /** Tasks posted so far, in every window. */
  postedTotal(): number {
    return this.posted;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.allSettled([this.consumer?.disconnect(), this.producer?.disconnect()]);
  }

  private tick(): void {
    const window = this.window;
    if (this.rate === 0 || !window || this.inFlight >= MAX_SENDS_IN_FLIGHT) return;
    const now = performance.now();
    // Position k is due at k / rate: positions 0 to floor(elapsed * rate) are all due now.
    const due = Math.floor(((now - this.scheduleStart) * this.rate) / 1_000) + 1;
    const count = Math.min(due - this.scheduled, MAX_MESSAGES_PER_SEND);
    if (count <= 0) return;
    if (this.prepared.length < count) this.prepareUpTo(this.scheduled + count);
    const batch = this.prepared.splice(0, count);
    for (const p of batch) {
      this.pending.set(p.taskId, { intended: p.intended, window, measured: p.intended >= window.measureFrom });
      window.generatorLag.recordMs(now - p.intended);
    }
    this.scheduled += count;
    window.posted += count;
    this.posted += count;
    this.inFlight++;
    this.producer
      .send({ topic: TOPICS.tasks, messages: batch.map((p) => p.message) })
      .catch((error: Error) => {
        this.sendErrors++;
        this.lastSendError = error.message;
      })
      .finally(() => this.inFlight--);
    this.prepare();
  }

  /** Builds the tasks of the next LOOKAHEAD_MS of schedule once the current tick is done. */
  private prepare(): void {
    if (this.preparing || this.rate === 0) return;
    this.preparing = true;
    setImmediate(() => {
      this.preparing = false;
      if (this.rate > 0) this.prepareUpTo(this.scheduled + Math.ceil((this.rate * LOOKAHEAD_MS) / 1_000));
    });
  }

  /** Builds tasks for every schedule position before `position` not built yet. */
  private prepareUpTo(position: number): void {
    for (let k = this.scheduled + this.prepared.length; k < position; k++) {
      const intended = this.scheduleStart + (k * 1_000) / this.rate;
      const task = this.simulation.task(this.sequence++, new Date(performance.timeOrigin + intended));
      this.prepared.push({ taskId: task.data.taskId, intended, message: { key: task.data.taskId, value: JSON.stringify(task) } });
    }
  }

  private onEvent(event: { eventId: string; type: string; occurredAt: string; data: OfferSeen }, timestamp: number, now: number): void {
    if (this.seenBefore(event.eventId, now)) {
      this.repeated[event.type] = (this.repeated[event.type] ?? 0) + 1;
      return;
    }
    this.counts[event.type] = (this.counts[event.type] ?? 0) + 1;
    const window = this.window;
    switch (event.type) {
      case 'OfferMade':
        if (window?.open && now >= window.measureFrom) {
          // Task consumed to offer published: the dispatcher stamps occurredAt when it takes the task up.
          window.decision.recordMs(Math.max(0, timestamp - Date.parse(event.occurredAt)));
          window.offersMade++;
        }
        this.timeParts(event.data.taskId, Date.parse(event.occurredAt), timestamp, now);
        this.firstAnswer(event.data.taskId, now, false);
        this.onOffer(event.data);
        return;
      case 'TaskWaiting':
      case 'TaskUnassignable':
        this.firstAnswer(event.data.taskId, now, true);
        return;
    }
  }

  /** Records a task's first offer's taken-up and delivered times (see LoadWindow), if the task is measured. */
  private timeParts(taskId: string, occurredAtMs: number, createTimeMs: number, now: number): void {
    const p = this.pending.get(taskId);
    if (!p?.measured || !p.window.open) return;
    p.window.takenUp.recordMs(Math.max(0, occurredAtMs - (performance.timeOrigin + p.intended)));
    p.window.delivered.recordMs(Math.max(0, performance.timeOrigin + now - createTimeMs));
  }

  private seenBefore(eventId: string, now: number): boolean {
    if (now - this.idsSince > REPEAT_MEMORY_MS) {
      this.olderIds = this.recentIds;
      this.recentIds = new Set();
      this.idsSince = now;
    }
    if (this.recentIds.has(eventId) || this.olderIds.has(eventId)) return true;
    this.recentIds.add(eventId);
    return false;
  }

  private firstAnswer(taskId: string, now: number, waited: boolean): void {
    const p = this.pending.get(taskId);
    if (!p) return;
    this.pending.delete(taskId);
    const w = p.window;
    if (!w.open) return; // answered after its window closed: already counted as unanswered there
    w.answered++;
    if (waited) w.waited++;
    if (p.measured) w.endToEnd.recordMs(now - p.intended);
  }
}
