/**
 * The events a task causes, carried by Kafka the cheapest way there is: how much CPU the broker
 * and kafkajs spend producing a real run's events and reading each by every consumer group that
 * reads its topic in the engine, with nothing done with a message but parsing its JSON.
 *
 * Like bench/write-floor.ts it is a floor, not a design: no validation, no state, no database,
 * no heartbeats, no dead letters, every send and fetch as full as it can be. The events are a real
 * run's, read from the audit log of the scratch database `npx tsx bench/throughput.ts ...
 * --keep-database 1` leaves (from its first task on: what the tasks caused), and sent to scratch
 * topics laid out as the engine's. The baseline, in the same run, reads every event once (one
 * consumer group on every topic); the engine's fan-out reads each as often as the engine's
 * groups do (TOPICS_READ_BY, the dispatcher's tasks in a group of their own, and the workers'
 * apps reading offers). Each round produces afresh, alternating which reading goes first.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { TOPIC_LAYOUTS, TOPICS, type TopicName } from '@clearwork/contracts';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { TOPICS_READ_BY } from '../test/support/engine';
import { KAFKA_BROKER, ROOT } from './support/environment';
import { keptDatabaseCommand, openKeptDatabase } from './support/kept-database';
import { onInterrupt } from './support/interrupt';
import { cpuSecondsBetween, cpuSnapshot, type CpuSnapshot } from './support/process-cpu';
import { median, printTable, progress, thousands, writeJson } from './support/report';

const SPEC = {
  script: 'bench/kafka-floor.ts <database>',
  summary:
    "Produces the events of a kept throughput run's tasks (<database>, left by bench/throughput.ts\n" +
    "--keep-database 1) to scratch topics and reads them back, once (the baseline) and by the engine's\n" +
    "consumer groups, parsing each message and nothing more; reports the broker's and kafkajs's CPU per task.",
  options: {
    rounds: { default: 2, min: 1, help: 'rounds, each producing afresh to new topics, alternating which reading goes first' },
    'target-rate': { default: 5_000, min: 1, help: 'tasks/s the report sets the floor against' },
  },
};
const RESULTS = join(ROOT, 'bench', 'results', 'kafka-floor.json');
/** The most messages one send carries, as the services' outbox sends them. */
const MESSAGES_PER_SEND = 500;

/** Every consumer group of the engine, and the workers' apps reading their offers. */
const FAN_OUT: readonly { readonly name: string; readonly topics: readonly TopicName[] }[] = [
  { name: 'dispatcher', topics: TOPICS_READ_BY.dispatcher.filter((t) => t !== TOPICS.tasks) },
  { name: 'dispatcher tasks', topics: [TOPICS.tasks] },
  { name: 'scoring', topics: TOPICS_READ_BY.scoring },
  { name: 'audit', topics: TOPICS_READ_BY.audit },
  { name: "workers' apps", topics: [TOPICS.offers] },
];
const ONCE: typeof FAN_OUT = [{ name: 'one reader', topics: TOPIC_LAYOUTS.map((l) => l.name) }];

type Kind = 'once' | 'fan-out';
const LABEL: Record<Kind, string> = { once: 'each event read once: baseline', 'fan-out': "read by the engine's groups" };

interface Event {
  readonly topic: TopicName;
  readonly key: string;
  readonly value: string;
}

/** The CPU seconds of the broker and of this process between two snapshots. */
const cpuBetween = (before: CpuSnapshot, after: CpuSnapshot) => ({ kafka: cpuSecondsBetween(before, after, 'kafka'), clients: cpuSecondsBetween(before, after, 'bench') });

async function readEvents(database: string): Promise<{ tasks: number; events: Event[] }> {
  const db = await openKeptDatabase(database);
  try {
    const tasks = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM dispatcher.tasks')).rows[0].n);
    const { rows } = await db.query<{ source: TopicName; key: string; body: string }>(
      `SELECT source, coalesce(task_id, worker_id, entry_id) AS key, body FROM audit.entries
       WHERE seq >= (SELECT min(seq) FROM audit.entries WHERE type = 'TaskPosted') ORDER BY seq`,
    );
    // A log entry's body is {event, source}: what was on the topic is the event.
    return { tasks, events: rows.map((r) => ({ topic: r.source, key: r.key, value: JSON.stringify((JSON.parse(r.body) as { event: unknown }).event) })) };
  } finally {
    await db.end();
  }
}

async function produce(kafka: Kafka, events: readonly Event[], topicName: (t: TopicName) => string): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < events.length; i += MESSAGES_PER_SEND) {
      const byTopic = new Map<string, { key: string; value: string }[]>();
      for (const e of events.slice(i, i + MESSAGES_PER_SEND)) {
        const list = byTopic.get(topicName(e.topic)) ?? [];
        list.push({ key: e.key, value: e.value });
        byTopic.set(topicName(e.topic), list);
      }
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Runs the groups until each has read every message of its topics; returns the messages read. */
async function consume(kafka: Kafka, groups: typeof FAN_OUT, perTopic: ReadonlyMap<TopicName, number>, topicName: (t: TopicName) => string, runId: string): Promise<number> {
  const consumers: Consumer[] = [];
  let read = 0;
  try {
    await Promise.all(
      groups.map(async (g, i) => {
        const expected = g.topics.reduce((n, t) => n + (perTopic.get(t) ?? 0), 0);
        let mine = 0;
        const consumer = kafka.consumer({ groupId: `${runId}-${i}`, maxBytesPerPartition: 1_048_576 });
        consumers.push(consumer);
        await consumer.connect();
        await consumer.subscribe({ topics: g.topics.map(topicName), fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          if (expected === 0) resolve();
          consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
          void consumer.run({
            eachBatch: async ({ batch }) => {
              for (const m of batch.messages) JSON.parse(m.value!.toString('utf8'));
              mine += batch.messages.length;
              read += batch.messages.length;
              if (mine >= expected) resolve();
            },
          });
        });
      }),
    );
    return read;
  } finally {
    await Promise.allSettled(consumers.map((c) => c.disconnect()));
  }
}

async function main(): Promise<void> {
  const { database, options, environment } = await keptDatabaseCommand(SPEC);
  progress(`reading the events of the tasks of ${database} from its audit log ...`);
  const { tasks, events } = await readEvents(database);
  if (tasks === 0 || events.length === 0) throw new Error(`database ${database} holds no tasks`);
  const perTopic = new Map<TopicName, number>();
  for (const e of events) perTopic.set(e.topic, (perTopic.get(e.topic) ?? 0) + 1);
  const bytes = events.reduce((n, e) => n + Buffer.byteLength(e.value), 0);
  const readsOf = (groups: typeof FAN_OUT) => groups.reduce((n, g) => n + g.topics.reduce((m, t) => m + (perTopic.get(t) ?? 0), 0), 0);
  printTable(
    ['topic', 'events', 'a task', 'bytes an event', "engine's groups reading it"],
    TOPIC_LAYOUTS.map((l) => [l.name, thousands(perTopic.get(l.name) ?? 0), thousands((perTopic.get(l.name) ?? 0) / tasks, 2), thousands(events.filter((e) => e.topic === l.name).reduce((n, e) => n + e.value.length, 0) / Math.max(1, perTopic.get(l.name) ?? 0)), FAN_OUT.filter((g) => g.topics.includes(l.name)).length]),
  );
  console.log(`${thousands(events.length)} events for ${thousands(tasks)} tasks (${thousands(events.length / tasks, 2)} a task, ${thousands(bytes / tasks)} bytes); read ${thousands(readsOf(FAN_OUT) / tasks, 2)} times a task by the engine's groups\n`);

  const kafka = new Kafka({ clientId: 'kafka-floor', brokers: [KAFKA_BROKER], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const rounds: { round: number; produce: { kafka: number; clients: number }; reads: Record<Kind, { kafka: number; clients: number; messages: number }> }[] = [];
  try {
    for (let round = 0; round < options.rounds; round++) {
      const runId = `bench-kafka-floor-${randomBytes(4).toString('hex')}`;
      const topicName = (t: TopicName) => `${runId}.${t}`;
      const topics = TOPIC_LAYOUTS.map((l) => topicName(l.name));
      const dropTopics = () => admin.deleteTopics({ topics }).catch(() => undefined);
      onInterrupt(dropTopics);
      try {
        await admin.createTopics({ waitForLeaders: true, topics: TOPIC_LAYOUTS.map((l) => ({ topic: topicName(l.name), numPartitions: l.partitions, replicationFactor: 1 })) });
        progress(`round ${round + 1}/${options.rounds}: producing ${thousands(events.length)} events ...`);
        let before = cpuSnapshot();
        await produce(kafka, events, topicName);
        const produced = cpuBetween(before, cpuSnapshot());
        const reads = {} as Record<Kind, { kafka: number; clients: number; messages: number }>;
        const order: Kind[] = round % 2 === 0 ? ['once', 'fan-out'] : ['fan-out', 'once'];
        for (const kind of order) {
          progress(`round ${round + 1}/${options.rounds}: ${LABEL[kind]} ...`);
          before = cpuSnapshot();
          const messages = await consume(kafka, kind === 'once' ? ONCE : FAN_OUT, perTopic, topicName, `${runId}-${kind}`);
          reads[kind] = { ...cpuBetween(before, cpuSnapshot()), messages };
          progress(`  ${thousands(messages)} messages read; CPU broker ${thousands(reads[kind].kafka, 2)} s, clients ${thousands(reads[kind].clients, 2)} s`);
        }
        rounds.push({ round, produce: produced, reads });
        progress(`  producing took CPU broker ${thousands(produced.kafka, 2)} s, clients ${thousands(produced.clients, 2)} s`);
      } finally {
        await dropTopics();
      }
    }
  } finally {
    await admin.disconnect();
  }

  const perTask = (kind: Kind) => {
    const total = median(rounds.map((r) => r.produce.kafka + r.produce.clients + r.reads[kind].kafka + r.reads[kind].clients));
    return { kind, label: LABEL[kind], cpuSeconds: total, cpuMicrosPerTask: (total / tasks) * 1e6, coresAtTarget: (total / tasks) * options['target-rate'], reads: readsOf(kind === 'once' ? ONCE : FAN_OUT) };
  };
  const once = perTask('once');
  const fanOut = perTask('fan-out');
  printTable(
    ['events produced, then', 'reads a task', 'CPU s (broker and clients, median)', 'CPU a task', `cores at ${thousands(options['target-rate'])} tasks/s`],
    [once, fanOut].map((s) => [s.label, thousands(s.reads / tasks, 2), thousands(s.cpuSeconds, 2), `${thousands(s.cpuMicrosPerTask)} µs`, thousands(s.coresAtTarget, 2)]),
  );
  const part = (label: string, f: (r: (typeof rounds)[number]) => { kafka: number; clients: number }) => {
    const broker = median(rounds.map((r) => f(r).kafka));
    const clients = median(rounds.map((r) => f(r).clients));
    return [label, `${thousands((broker / tasks) * 1e6)} µs`, `${thousands((clients / tasks) * 1e6)} µs`, `${thousands((broker / events.length) * 1e6, 1)} / ${thousands((clients / events.length) * 1e6, 1)} µs`];
  };
  printTable(
    ['part (medians)', 'broker a task', 'kafkajs a task', 'broker / kafkajs an event'],
    [part('producing every event', (r) => r.produce), part('reading each once', (r) => r.reads.once), part("reading by the engine's groups", (r) => r.reads['fan-out'])],
  );
  const ratio = fanOut.cpuSeconds / once.cpuSeconds;
  console.log(`the engine's fan-out costs ${thousands(ratio, 2)} times reading each event once (median of ${options.rounds} rounds, producing included in both)`);
  console.log(`at ${thousands(options['target-rate'])} tasks/s carrying these events alone would take ${thousands(fanOut.coresAtTarget, 2)} cores of this machine's 2, before any validation, state or database`);
  writeJson(RESULTS, { environment, options, database, tasks, events: events.length, bytes, perTopic: Object.fromEntries(perTopic), rounds, once, fanOut, ratio });
  console.log(`\nresults written to ${RESULTS.slice(ROOT.length + 1)}`);
}

main().catch((error: Error) => {
  console.error(`kafka-floor failed: ${error.message}`);
  process.exit(1);
});
