/*
 * Soak: the whole engine (dispatcher, scoring, audit) under steady load for a long time, to show
 * that memory, consumer lag and latency stay flat. First it measures capacity (rates stepped up
 * until the engine stops keeping up), then holds half of it for --minutes.
 *   npx tsx bench/soak.ts [--minutes 30] [--rate 0] [--workers 300] [--help]
 * Simulated workers accept nine offers in ten (declining the rest), submit the work 0.5-1.5 s
 * later, and heartbeat every minute. Latency is end to end, from the moment each TaskPosted was
 * due (open loop: a late send counts against the engine) to the OfferMade reaching this process.
 * Needs Kafka, PostgreSQL and Redis (bash scripts/infra.sh up) and a build (npm run build).
 * Results: a table every minute and a verdict on stdout, progress on stderr, JSON in
 * bench/results/soak.json. Exit status: 0 when everything stayed flat, 1 when not, 2 when the
 * run could not be made.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOPICS } from '@clearwork/contracts';
import { aTaskPosted, aWorkerEvent, aWorkerRegistered } from '@clearwork/testing';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { Client } from 'pg';
import { CONSUMER_GROUPS, Engine, SERVICE_NAMES as SERVICES, type ServiceName } from '../test/support/engine';
import { parseOptions, reproduceCommand } from './support/cli';
import { onInterrupt } from './support/interrupt';
import { describeEnvironment, KAFKA_BROKER, printEnvironment, ROOT } from './support/environment';
import { printTable, printTargets, progress, thousands, writeJson, type TargetResult } from './support/report';

const SPEC = {
  script: 'bench/soak.ts',
  summary: 'The whole engine at half its measured capacity for a long time: memory, consumer lag and latency must stay flat.',
  options: {
    minutes: { default: 30, min: 1, help: 'how long to hold the load' },
    rate: { default: 0, help: 'tasks per second to hold; 0 measures capacity first and holds half of it' },
    workers: { default: 300, min: 10, help: 'simulated workers, each with capacity for one task (each heartbeats once a minute)' },
    'step-seconds': { default: 20, min: 5, help: 'length of each step of the capacity search' },
  },
};
/** What the capacity search tries, in tasks per second. */
const STEPS = [5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 300, 400, 600, 800, 1_000, 1_500, 2_000];
const SAMPLE_MS = 10_000;
const RESULTS = join(ROOT, 'bench', 'results', 'soak.json');

interface Sample {
  readonly atSeconds: number;
  readonly rate: number;
  readonly posted: number;
  readonly offered: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly lag: Record<ServiceName, number>;
  readonly rssMb: Record<ServiceName, number>;
  readonly logEntries: number;
}

/** Drives the engine: posts tasks at a fixed rate, plays the workers, and measures what comes back. */
class Load {
  private readonly kafka = new Kafka({ clientId: 'soak', brokers: [KAFKA_BROKER], logLevel: logLevel.NOTHING });
  private producer!: Producer;
  private readonly admin = this.kafka.admin();
  private readonly consumer = this.kafka.consumer({ groupId: `soak-${randomUUID()}` });
  /** When each task was due, by taskId, until its first offer arrives. */
  private readonly due = new Map<string, number>();
  private latencies: number[] = [];
  private posted = 0;
  private offered = 0;
  private readonly workers: string[] = [];
  private readonly skill = `soak-${randomUUID().slice(0, 8)}`;
  private readonly pendingWorkerEvents: { key: string; value: string }[] = [];
  private timers: NodeJS.Timeout[] = [];
  private rate = 0;
  private scheduleStart = 0;
  private scheduled = 0;

  constructor(private readonly engine: Engine) {}

  async start(workerCount: number): Promise<void> {
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false });
    await Promise.all([this.producer.connect(), this.admin.connect(), this.consumer.connect()]);
    await this.consumer.subscribe({ topics: [TOPICS.offers], fromBeginning: false });
    const joined = new Promise<void>((resolve) => this.consumer.on(this.consumer.events.GROUP_JOIN, () => resolve()));
    await this.consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          if (m.headers?.['clearwork-deployment']?.toString() !== this.engine.runId || !m.value) continue;
          const event = JSON.parse(m.value.toString('utf8')) as { type: string; data: { taskId: string; workerId: string; offerId: string } };
          if (event.type === 'OfferMade') this.onOffer(event.data);
        }
      },
    });
    await joined;
    // Workers register and come online, in batches.
    const events = [];
    for (let i = 0; i < workerCount; i++) {
      const reg = aWorkerRegistered({ skills: [this.skill], capacity: 1 });
      this.workers.push(reg.data.workerId);
      events.push(reg, aWorkerEvent('WorkerWentOnline', { workerId: reg.data.workerId }));
    }
    for (let i = 0; i < events.length; i += 1_000) {
      await this.producer.send({ topic: TOPICS.workerEvents, messages: events.slice(i, i + 1_000).map((e) => ({ key: e.data.workerId, value: JSON.stringify(e) })) });
    }
    // Heartbeats: each worker once a minute, spread evenly; worker replies go out every 20 ms.
    let next = 0;
    this.timers.push(
      setInterval(() => {
        const perTick = Math.ceil(this.workers.length / 60);
        for (let i = 0; i < perTick; i++, next++) {
          const workerId = this.workers[next % this.workers.length];
          this.pendingWorkerEvents.push({ key: workerId, value: JSON.stringify(aWorkerEvent('WorkerHeartbeat', { workerId })) });
        }
      }, 1_000),
      setInterval(() => void this.flushWorkerEvents(), 20),
      setInterval(() => void this.postDue(), 10),
    );
  }

  /** Holds `rate` tasks per second from now on (0 stops posting). */
  setRate(rate: number): void {
    this.rate = rate;
    this.scheduleStart = Date.now();
    this.scheduled = 0;
  }

  /** Latencies since the last call, and the counts so far. */
  takeWindow(): { latencies: number[]; posted: number; offered: number } {
    const latencies = this.latencies;
    this.latencies = [];
    return { latencies, posted: this.posted, offered: this.offered };
  }

  /** Tasks posted more than `graceMs` ago that have had no offer yet. */
  unanswered(graceMs: number): number {
    const cutoff = Date.now() - graceMs;
    let n = 0;
    for (const at of this.due.values()) if (at < cutoff) n++;
    return n;
  }

  /** Messages each service's consumer group has yet to read, over every topic it reads. */
  async lag(): Promise<Record<ServiceName, number>> {
    const topics = Object.values(TOPICS);
    const ends = new Map<string, number>();
    for (const topic of topics) for (const p of await this.admin.fetchTopicOffsets(topic)) ends.set(`${topic}/${p.partition}`, Number(p.high));
    const out = {} as Record<ServiceName, number>;
    for (const service of SERVICES) {
      let lag = 0;
      for (const g of CONSUMER_GROUPS.filter((c) => c.group.split('.')[0] === service)) {
        for (const t of await this.admin.fetchOffsets({ groupId: `${this.engine.runId}.${g.group}`, topics: [...g.topics] })) {
          for (const p of t.partitions) if (Number(p.offset) >= 0) lag += Math.max(0, (ends.get(`${t.topic}/${p.partition}`) ?? 0) - Number(p.offset));
        }
      }
      out[service] = lag;
    }
    return out;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await Promise.allSettled([this.consumer.disconnect(), this.producer?.disconnect(), this.admin.disconnect()]);
  }

  private async postDue(): Promise<void> {
    if (this.rate === 0) return;
    const dueNow = Math.floor(((Date.now() - this.scheduleStart) / 1_000) * this.rate);
    const messages = [];
    for (; this.scheduled < dueNow; this.scheduled++) {
      const task = aTaskPosted({ requiredSkills: [this.skill], offerTtlSeconds: 30 });
      // Open loop: latency counts from when the task was due, not from when it was sent.
      this.due.set(task.data.taskId, this.scheduleStart + (this.scheduled / this.rate) * 1_000);
      messages.push({ key: task.data.taskId, value: JSON.stringify(task) });
    }
    if (messages.length === 0) return;
    this.posted += messages.length;
    await this.producer.send({ topic: TOPICS.tasks, messages });
  }

  private onOffer({ taskId, workerId, offerId }: { taskId: string; workerId: string; offerId: string }): void {
    const due = this.due.get(taskId);
    if (due !== undefined) {
      this.latencies.push(Math.round(Date.now() - due));
      this.due.delete(taskId);
      this.offered++;
    }
    const reply = (event: { data: { workerId: string } }) => this.pendingWorkerEvents.push({ key: event.data.workerId, value: JSON.stringify(event) });
    if (Math.random() < 0.1) {
      reply(aWorkerEvent('OfferDeclined', { workerId, offerId, taskId, reason: 'unavailable' }));
      return;
    }
    reply(aWorkerEvent('OfferAccepted', { workerId, offerId, taskId }));
    const seconds = 0.5 + Math.random();
    setTimeout(() => reply(aWorkerEvent('TaskSubmitted', { workerId, taskId, durationSeconds: seconds })), seconds * 1_000);
  }

  private flushing = false;
  private async flushWorkerEvents(): Promise<void> {
    if (this.flushing || this.pendingWorkerEvents.length === 0) return;
    this.flushing = true;
    try {
      const messages = this.pendingWorkerEvents.splice(0, this.pendingWorkerEvents.length);
      await this.producer.send({ topic: TOPICS.workerEvents, messages });
    } finally {
      this.flushing = false;
    }
  }
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return line ? Math.round(Number(line.split(/\s+/)[1]) / 1024) : 0;
}

async function logEntries(db: Client): Promise<number> {
  return Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM audit.entries')).rows[0].n);
}

async function sample(engine: Engine, load: Load, db: Client, rate: number, startedAt: number): Promise<Sample> {
  const window = load.takeWindow();
  const sorted = window.latencies.sort((a, b) => a - b);
  return {
    atSeconds: Math.round((Date.now() - startedAt) / 1_000),
    rate,
    posted: window.posted,
    offered: window.offered,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.at(-1) ?? 0,
    lag: await load.lag(),
    rssMb: Object.fromEntries(SERVICES.map((s) => [s, rssMb(engine.pid(s))])) as Record<ServiceName, number>,
    logEntries: await logEntries(db),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Steps the rate up until the engine stops keeping up; returns the highest rate it sustained. */
async function measureCapacity(engine: Engine, load: Load, db: Client, stepSeconds: number): Promise<{ capacity: number; steps: object[] }> {
  const steps: object[] = [];
  let capacity = 0;
  for (const rate of STEPS) {
    load.takeWindow();
    load.setRate(rate);
    await sleep((stepSeconds * 1_000) / 2);
    load.takeWindow(); // the first half settles; the second half is judged
    await sleep((stepSeconds * 1_000) / 2);
    const s = await sample(engine, load, db, rate, Date.now());
    load.setRate(0);
    const unanswered = load.unanswered(2_000);
    // Keeping up: offers within a second at p99, nothing left unanswered, and no reader more than 2 s behind.
    const kept = s.p99Ms <= 1_000 && unanswered === 0 && SERVICES.every((svc) => s.lag[svc] <= rate * 2 * 5);
    steps.push({ rate, p50Ms: s.p50Ms, p99Ms: s.p99Ms, unanswered, lag: s.lag, kept });
    progress(`[capacity] ${rate} tasks/s: p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, unanswered ${unanswered}, lag ${JSON.stringify(s.lag)} -> ${kept ? 'kept up' : 'fell behind'}`);
    if (!kept) break;
    capacity = rate;
    await drain(load);
  }
  await drain(load);
  return { capacity, steps };
}

/** Waits (up to `seconds`) until every reader has caught up; says whether they did. */
async function drain(load: Load, seconds = 60): Promise<boolean> {
  for (let i = 0; i < seconds; i++) {
    const lag = await load.lag();
    if (SERVICES.every((s) => lag[s] < 50)) return true;
    await sleep(1_000);
  }
  return false;
}

/** Mean of a field over samples whose time falls in [from, to) seconds. */
function meanOver(samples: readonly Sample[], from: number, to: number, f: (s: Sample) => number): number {
  const xs = samples.filter((s) => s.atSeconds >= from && s.atSeconds < to).map(f);
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function judge(samples: readonly Sample[], minutes: number, rate: number): TargetResult[] {
  const total = minutes * 60;
  // Compare the last fifth of the run with the fifth after a warm-up fifth.
  const fifth = total / 5;
  const [earlyFrom, earlyTo, lateFrom] = [fifth, 2 * fifth, total - fifth];
  const targets: TargetResult[] = [];
  for (const s of SERVICES) {
    const early = meanOver(samples, earlyFrom, earlyTo, (x) => x.rssMb[s]);
    const late = meanOver(samples, lateFrom, total + 1, (x) => x.rssMb[s]);
    targets.push({ target: `${s} memory flat (last fifth within 20% of the second)`, measured: `${early.toFixed(0)} MB -> ${late.toFixed(0)} MB`, pass: late <= early * 1.2 });
  }
  for (const s of SERVICES) {
    const lateMax = Math.max(0, ...samples.filter((x) => x.atSeconds >= lateFrom).map((x) => x.lag[s]));
    // Flat: never more than 2 s of its traffic behind in the last fifth (about 5 messages per task for the audit log).
    const bound = Math.max(100, rate * 2 * (s === 'dispatcher' ? 3 : 6));
    targets.push({ target: `${s} consumer lag flat (last fifth at most ${thousands(bound)} messages)`, measured: `max ${thousands(lateMax)}`, pass: lateMax <= bound });
  }
  const earlyP99 = meanOver(samples, earlyFrom, earlyTo, (x) => x.p99Ms);
  const lateP99 = meanOver(samples, lateFrom, total + 1, (x) => x.p99Ms);
  targets.push({ target: 'p99 latency flat (last fifth within 50% of the second, or under 100 ms)', measured: `${earlyP99.toFixed(0)} ms -> ${lateP99.toFixed(0)} ms`, pass: lateP99 <= Math.max(100, earlyP99 * 1.5) });
  return targets;
}

async function main(): Promise<void> {
  const options = parseOptions(SPEC);
  const environment = await describeEnvironment(reproduceCommand(SPEC, options));
  printEnvironment(environment);
  const engine = new Engine();
  const load = new Load(engine);
  let db: Client | undefined;
  const cleanup = async () => {
    await load.stop();
    await db?.end().catch(() => undefined);
    await engine.stop();
  };
  onInterrupt(cleanup);
  try {
    progress('[soak] starting dispatcher, scoring and audit on a scratch database ...');
    await engine.start();
    db = new Client({ connectionString: engine.databaseUrl });
    await db.connect();
    progress(`[soak] registering ${thousands(options.workers)} workers ...`);
    await load.start(options.workers);
    await sleep(5_000);
    if (!(await drain(load, 300))) throw new Error(`the services had not consumed the workers' registrations after 5 minutes (lag ${JSON.stringify(await load.lag())}); try fewer --workers`);

    let rate = options.rate;
    let capacity: Awaited<ReturnType<typeof measureCapacity>> | null = null;
    if (rate === 0) {
      progress('[soak] measuring capacity: each step holds a rate, then judges its second half ...');
      capacity = await measureCapacity(engine, load, db, options['step-seconds']);
      if (capacity.capacity === 0) throw new Error(`the engine did not keep up even at ${STEPS[0]} tasks/s; see the logs under .run/e2e/${engine.runId}/`);
      rate = Math.max(1, Math.floor(capacity.capacity / 2));
      progress(`[soak] capacity ${capacity.capacity} tasks/s; holding ${rate} tasks/s for ${options.minutes} min`);
    }

    const samples: Sample[] = [];
    const startedAt = Date.now();
    load.takeWindow();
    load.setRate(rate);
    const entriesAtStart = await logEntries(db);
    while (Date.now() - startedAt < options.minutes * 60_000) {
      await sleep(SAMPLE_MS);
      const s = await sample(engine, load, db, rate, startedAt);
      samples.push(s);
      const m = Math.floor(s.atSeconds / 60);
      progress(
        `[soak] ${m}:${String(s.atSeconds % 60).padStart(2, '0')} of ${options.minutes}:00  posted ${thousands(s.posted)}, offered ${thousands(s.offered)}, ` +
          `p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, max ${s.maxMs} ms, lag d/s/a ${s.lag.dispatcher}/${s.lag.scoring}/${s.lag.audit}, ` +
          `RSS d/s/a ${s.rssMb.dispatcher}/${s.rssMb.scoring}/${s.rssMb.audit} MB, log ${thousands(s.logEntries)}`,
      );
    }
    load.setRate(0);
    await drain(load);
    const unanswered = load.unanswered(0);
    const verify = await engine.get('audit', '/v1/log/verify', engine.token('auditor'));

    // One row a minute: the samples of that minute, latency as the worst of its windows.
    console.log('');
    const rows = [];
    for (let minute = 0; minute < options.minutes; minute++) {
      const inMinute = samples.filter((s) => s.atSeconds > minute * 60 && s.atSeconds <= (minute + 1) * 60);
      if (inMinute.length === 0) continue;
      const last = inMinute.at(-1)!;
      rows.push([minute + 1, last.posted, Math.max(...inMinute.map((s) => s.p99Ms)), Math.max(...inMinute.map((s) => s.maxMs)), last.lag.dispatcher, last.lag.scoring, last.lag.audit, last.rssMb.dispatcher, last.rssMb.scoring, last.rssMb.audit, last.logEntries]);
    }
    printTable(['minute', 'tasks posted', 'p99 ms', 'max ms', 'lag disp.', 'lag scoring', 'lag audit', 'RSS disp. MB', 'RSS scoring MB', 'RSS audit MB', 'log entries'], rows);
    console.log('');
    const targets = [
      ...judge(samples, options.minutes, rate),
      { target: 'every task posted got an offer', measured: `${thousands(load.unanswered(0))} without one`, pass: unanswered === 0 },
      { target: 'the audit log verifies', measured: `HTTP ${verify.status}, ok ${verify.body?.ok}, ${thousands(verify.body?.entries ?? 0)} entries`, pass: verify.body?.ok === true },
    ];
    console.log(`rate held: ${rate} tasks/s${capacity ? ` (half the measured capacity of ${capacity.capacity} tasks/s)` : ' (given)'}; log entries written during the soak: ${thousands((samples.at(-1)?.logEntries ?? entriesAtStart) - entriesAtStart)}`);
    printTargets(targets);
    writeJson(RESULTS, { environment, options, rate, capacity, samples, targets });
    console.log(`\nresults written to ${RESULTS.slice(ROOT.length + 1)}`);
    await cleanup();
    process.exit(targets.every((t) => t.pass) ? 0 : 1);
  } catch (error) {
    console.error(`soak: ${(error as Error).message}`);
    await cleanup().catch(() => undefined);
    process.exit(2);
  }
}

void main();
