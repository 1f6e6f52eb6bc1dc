import { TOPICS, type WorkerEvent } from '@clearwork/contracts';
import type { WorkforceSimulation } from '../simulation';
import type { Kafka, Producer } from 'kafkajs';
import type { OfferSeen } from './open-loop';

/** Worker events go out in slots of this many milliseconds: one send per slot at most. */
const SLOT_MS = 20;
const HEARTBEAT_TICK_MS = 250;
const REGISTRATION_BATCH = 2_000;

/** How the simulated workers answered the offers they saw. */
export interface WorkerActivity {
  accepted: number;
  declined: number;
  ignored: number;
  heartbeats: number;
  eventsSent: number;
  sendErrors: number;
}

/**
 * Plays the simulation's workers against the engine: registers them and brings them online,
 * heartbeats each once a period (spread evenly), and answers each offer as the simulation says
 * (accept, then submit after the work; decline with a reason; or ignore it until it expires),
 * after the simulated response time. Answers wait in a timing wheel of SLOT_MS slots, so a
 * thousand answers a second cost a send every slot, not a timer each.
 */
export class SimulatedWorkers {
  readonly activity: WorkerActivity = { accepted: 0, declined: 0, ignored: 0, heartbeats: 0, eventsSent: 0, sendErrors: 0 };
  private producer!: Producer;
  private readonly wheel = new Map<number, { key: string; value: string }[]>();
  private nextSlot = 0;
  private heartbeatsFrom = 0;
  private activityStart = 0;
  private sending = false;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly kafka: Kafka,
    private readonly simulation: WorkforceSimulation,
  ) {}

  async start(): Promise<void> {
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false });
    await this.producer.connect();
  }

  /** Sends every worker's WorkerRegistered and WorkerWentOnline, in big batches. */
  async register(): Promise<void> {
    const events = this.simulation.registrations(new Date());
    for (let i = 0; i < events.length; i += REGISTRATION_BATCH) {
      await this.producer.send({ topic: TOPICS.workerEvents, messages: events.slice(i, i + REGISTRATION_BATCH).map(message) });
      if ((i / REGISTRATION_BATCH) % 10 === 9) process.stderr.write(`[workers] ${(i + REGISTRATION_BATCH).toLocaleString('en-US')} / ${events.length.toLocaleString('en-US')} registration events sent\n`);
    }
    this.activity.eventsSent += events.length;
  }

  /** Starts the heartbeats and the answering of offers. */
  startActivity(): void {
    this.activityStart = Date.now();
    this.nextSlot = Math.floor(Date.now() / SLOT_MS);
    this.timers.push(
      setInterval(() => this.heartbeats(), HEARTBEAT_TICK_MS),
      setInterval(() => void this.flush(), SLOT_MS),
    );
  }

  /** An OfferMade this run's engine published: the worker answers it, or lets it expire. */
  onOffer(offer: OfferSeen): void {
    if (this.activityStart === 0 || !this.simulation.worker(offer.workerId)) return;
    const answer = this.simulation.answer(offer);
    if (answer.kind === 'ignore') {
      this.activity.ignored++;
      return;
    }
    const answeredAt = Date.now() + answer.afterMs;
    const submittedAt = answer.kind === 'accept' ? answeredAt + answer.workSeconds * 1_000 : answeredAt;
    const [reply, submission] = this.simulation.answerEvents(offer, answer, new Date(answeredAt), new Date(submittedAt));
    this.schedule(reply, answeredAt);
    if (submission) this.schedule(submission, submittedAt);
    if (answer.kind === 'accept') this.activity.accepted++;
    else this.activity.declined++;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.producer?.disconnect().catch(() => undefined);
  }

  private schedule(event: WorkerEvent, atMs: number): void {
    const slot = Math.max(this.nextSlot, Math.floor(atMs / SLOT_MS));
    const queued = this.wheel.get(slot);
    if (queued) queued.push(message(event));
    else this.wheel.set(slot, [message(event)]);
  }

  private heartbeats(): void {
    const to = Date.now() - this.activityStart;
    const at = new Date();
    for (const { workerId, beat } of this.simulation.heartbeatsDue(this.heartbeatsFrom, to)) {
      this.schedule(this.simulation.heartbeat(workerId, beat, at), at.getTime());
      this.activity.heartbeats++;
    }
    this.heartbeatsFrom = to;
  }

  /** Sends everything due by now in one batch; while a send is in flight, due events wait for the next slot. */
  private async flush(): Promise<void> {
    if (this.sending) return;
    const current = Math.floor(Date.now() / SLOT_MS);
    const messages: { key: string; value: string }[] = [];
    for (; this.nextSlot <= current; this.nextSlot++) {
      const queued = this.wheel.get(this.nextSlot);
      if (!queued) continue;
      this.wheel.delete(this.nextSlot);
      for (const m of queued) messages.push(m);
    }
    if (messages.length === 0) return;
    this.sending = true;
    try {
      await this.producer.send({ topic: TOPICS.workerEvents, messages });
      this.activity.eventsSent += messages.length;
    } catch {
      this.activity.sendErrors += messages.length;
    } finally {
      this.sending = false;
    }
  }
}

function message(event: WorkerEvent): { key: string; value: string } {
  return { key: event.data.workerId, value: JSON.stringify(event) };
}
