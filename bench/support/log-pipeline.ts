import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type TopicMessages } from 'kafkajs';
import { Client } from 'pg';
import type { AuditServiceProcess } from './audit-service';
import { KAFKA_BROKER } from './environment';
import type { LoggedEvent } from './log-event-stream';
import { metricValue } from './prometheus-text';
import { progress, thousands } from './report';

export interface PipelineOptions {
  readonly service: AuditServiceProcess;
  readonly databaseUrl: string;
  readonly events: readonly LoggedEvent[];
  /** Messages per produce request, and how many requests may be in flight at once. */
  readonly produceBatch: number;
  readonly produceInFlight: number;
  /** Give up when the log has not grown for this long. */
  readonly stallSeconds: number;
  /**
   * When set, every event is produced before the service starts (by this callback) and only
   * the consumption of that backlog is timed: the producer no longer shares the 2 cores.
   */
  readonly startAfterProducing?: () => Promise<void>;
}

/**
 * Entries committed, whoever's: seq runs 0, 1, 2, ... without gaps (the appender refuses a gap),
 * so max(seq) + 1 equals count(*), read from the primary key in microseconds, where count(*)
 * would scan a table that grows to hundreds of megabytes five times a second, on the same cores.
 */
async function committedEntries(db: Client): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT coalesce(max(seq) + 1, 0) AS n FROM audit.entries');
  return Number(rows[0].n);
}

/**
 * Counts this run's entries only: its events carry occurredAt in a window of their own, so
 * events that other runs publish on the shared topics meanwhile are not mistaken for them.
 */
export function countOwnEntries(db: Client, events: readonly LoggedEvent[]): Promise<number> {
  const from = events[0].event.occurredAt;
  const to = events[events.length - 1].event.occurredAt;
  return db
    .query<{ n: string }>('SELECT count(*) AS n FROM audit.entries WHERE occurred_at BETWEEN $1 AND $2', [from, to])
    .then(({ rows }) => Number(rows[0].n));
}

export interface PipelineResult {
  readonly entries: number;
  /** With a backlog: entries the service committed while starting, before the clock ran (not in the rate). */
  readonly entriesBeforeClock: number;
  /** From the first produce request to the poll that saw every entry in audit.entries. */
  readonly seconds: number;
  readonly entriesPerSecond: number;
  /** When the last produce request was acknowledged, from the same start. */
  readonly producedAfterSeconds: number;
  /** The rate once producing was over, when the service no longer shared the CPU with the producer. */
  readonly entriesPerSecondAfterProducing: number | null;
  /** CPU this (producing) process used meanwhile: it shares the machine with the service. */
  readonly producerCpuSeconds: number;
  /** CPU the audit service used meanwhile, from its process_cpu_seconds_total. */
  readonly serviceCpuSeconds: number;
  /** CPU of the service's PostgreSQL backends meanwhile; null when the server is not on this machine. */
  readonly postgresCpuSeconds: number | null;
  /** Share of all cores busy meanwhile (everything on the machine: producer, broker, service, database, others). */
  readonly machineBusyShare: number | null;
}

const POLL_MS = 200;
const CLOCK_TICKS_PER_SECOND = 100;

/** Busy and total clock ticks of all cores so far, from /proc/stat; null where there is no /proc. */
function machineTicks(): { busy: number; total: number } | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - cpu[3] - cpu[4], total }; // idle and iowait are not busy
  } catch {
    return null;
  }
}

/**
 * CPU seconds used so far by each PostgreSQL backend serving the service, read from /proc, so
 * the run can say how the machine's time split between the service and the database.
 */
async function backendCpu(db: Client): Promise<Map<number, number> | null> {
  const { rows } = await db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'clearwork-%'`);
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      // Fields after the command name (which may hold spaces) start at the state, field 3; utime and stime are 14 and 15.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND);
    } catch {
      return null;
    }
  }
  return cpu;
}

/** Pre-serialised produce requests, so that building them is not timed. */
function requests(events: readonly LoggedEvent[], size: number): TopicMessages[][] {
  const out: TopicMessages[][] = [];
  for (let from = 0; from < events.length; from += size) {
    const byTopic = new Map<string, TopicMessages>();
    for (const e of events.slice(from, from + size)) {
      let t = byTopic.get(e.topic);
      if (!t) byTopic.set(e.topic, (t = { topic: e.topic, messages: [] }));
      t.messages.push({ key: e.key, value: JSON.stringify(e.event) });
    }
    out.push([...byTopic.values()]);
  }
  return out;
}

/**
 * Produces every event and waits until audit.entries holds them all: the rate end to end,
 * through the consumer, schema checks, canonical JSON, hashing, group commit and checkpoints.
 */
export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const { service, events } = options;
  const target = events.length;
  const batches = requests(events, options.produceBatch);
  const kafka = new Kafka({ clientId: 'bench-producer', brokers: [KAFKA_BROKER], logLevel: logLevel.ERROR });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const db = new Client({ connectionString: options.databaseUrl, application_name: 'bench-watch' });
  await Promise.all([producer.connect(), db.connect()]);
  try {
    const sendAll = async () => {
      let next = 0;
      const lane = async () => {
        while (next < batches.length) {
          const batch = batches[next++];
          await producer.sendBatch({ acks: -1, topicMessages: batch });
          produced += batch.reduce((n, t) => n + t.messages.length, 0);
        }
      };
      await Promise.all(Array.from({ length: options.produceInFlight }, lane));
    };
    let produced = 0;
    if (options.startAfterProducing) {
      progress(`[clearwork] producing the backlog of ${thousands(target)} events before the service starts ...`);
      await sendAll();
      await options.startAfterProducing();
    }
    const serviceCpu = async () => metricValue(await service.metrics(), 'process_cpu_seconds_total');
    const serviceCpuBefore = await serviceCpu();
    const backendsBefore = await backendCpu(db);
    const machineBefore = machineTicks();
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
    // With a backlog, the service may have committed some entries while it started up: they do
    // not count, so the rate is what it logged while the clock ran (read after it started: conservative).
    const beforeClock = options.startAfterProducing ? await committedEntries(db) : 0;
    let producedAt: number | undefined;
    let produceError: Error | undefined;
    const produce = (async () => {
      if (!options.startAfterProducing) await sendAll();
      producedAt = elapsed();
    })().catch((error: Error) => (produceError = error));

    let count = 0;
    let total = 0;
    let lastGrowth = Date.now();
    let lastReport = { at: 0, count: 0 };
    let whenProduced: { at: number; count: number } | undefined;
    while (count < target) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (produceError) throw new Error(`producing to Kafka at ${KAFKA_BROKER} failed: ${produceError.message}`);
      service.assertRunning();
      const now = await committedEntries(db);
      if (now > total) lastGrowth = Date.now();
      total = now;
      // Events other runs publish on the shared topics would make the total run ahead: only then count this run's exactly.
      count = total >= target ? await countOwnEntries(db, events) : total;
      if (Date.now() - lastGrowth > options.stallSeconds * 1_000) {
        throw new Error(
          `the log stopped growing at ${count} of ${target} entries for ${options.stallSeconds} s; see ${service.logPath} ` +
            `(dead letters on /metrics: ${metricValue(await service.metrics(), 'clearwork_dead_letters_total')})`,
        );
      }
      const t = elapsed();
      if (producedAt !== undefined && !whenProduced) whenProduced = { at: t, count };
      if (t - lastReport.at >= 1 || count >= target) {
        const gauge = metricValue(await service.metrics(), 'clearwork_audit_log_entries');
        const rate = (count - lastReport.count) / (t - lastReport.at);
        progress(`[clearwork] ${thousands(count)} / ${thousands(target)} entries (tree ${thousands(gauge)}), ${thousands(rate)}/s now, ${thousands(count / t)}/s average; produced ${thousands(produced)}`);
        lastReport = { at: t, count };
      }
    }
    const seconds = elapsed();
    await produce;
    const cpu = process.cpuUsage(cpuBefore);
    const serviceCpuSeconds = (await serviceCpu()) - serviceCpuBefore;
    const backendsAfter = await backendCpu(db);
    const machineAfter = machineTicks();
    const machineBusyShare = machineBefore && machineAfter ? (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total) : null;
    const postgresCpuSeconds =
      backendsBefore && backendsAfter ? [...backendsAfter].reduce((sum, [pid, after]) => sum + after - (backendsBefore.get(pid) ?? 0), 0) : null;
    return {
      entries: count,
      entriesBeforeClock: beforeClock,
      seconds,
      entriesPerSecond: (count - beforeClock) / seconds,
      producedAfterSeconds: producedAt ?? seconds,
      entriesPerSecondAfterProducing: whenProduced && seconds > whenProduced.at ? (count - whenProduced.count) / (seconds - whenProduced.at) : null,
      producerCpuSeconds: (cpu.user + cpu.system) / 1e6,
      serviceCpuSeconds,
      postgresCpuSeconds,
      machineBusyShare,
    };
  } finally {
    await producer.disconnect().catch(() => undefined);
    await db.end().catch(() => undefined);
  }
}
