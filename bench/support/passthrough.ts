import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { TOPICS } from '@clearwork/contracts';
import { Kafka, logLevel } from 'kafkajs';
import { commitTopicEnds } from '../../test/support/kafka-offsets';
import { KAFKA_BROKER } from './environment';

/** The most messages one send carries (the outbox publishes at most 500 at a time). */
const MAX_MESSAGES_PER_SEND = 500;

/**
 * The baseline: the least a Kafka service can do with each task. A bare kafkajs consumer group
 * on gig.tasks.v1 (eachBatch, one partition at a time, as the services consume) that, for each
 * message, publishes one small OfferMade-shaped message to gig.offers.v1 keyed by the taskId,
 * stamped with the deployment header the generator listens for, one send per batch. No
 * parsing, no state, no database: what is left is the cost of Kafka and kafkajs themselves.
 * It runs in a process of its own, as each service does, so it never shares the generator's
 * event loop.
 */
async function runPassthrough(deployment: string, groupId: string): Promise<() => Promise<void>> {
  const kafka = new Kafka({ clientId: 'passthrough', brokers: [KAFKA_BROKER], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await commitTopicEnds(kafka, [groupId], [TOPICS.tasks]);
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPICS.tasks], fromBeginning: false });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  consumer.on(consumer.events.CRASH, ({ payload }) => console.error(`passthrough: consumer crashed (${payload.error.message}); restarting: ${payload.restart}`));
  const headers = { 'clearwork-deployment': deployment, 'clearwork-service': 'passthrough' };
  await consumer.run({
    eachBatch: async ({ batch, heartbeat }) => {
      const now = new Date();
      const occurredAt = now.toISOString();
      const expiresAt = new Date(now.getTime() + 60_000).toISOString();
      const messages = batch.messages.map((m) => {
        const taskId = m.key?.toString() ?? '';
        const data = { offerId: randomUUID(), taskId, workerId: 'passthrough', replica: 1, attempt: 1, expiresAt, decisionId: randomUUID(), payCents: 0, currency: 'EUR' };
        return { key: taskId, value: JSON.stringify({ eventId: randomUUID(), type: 'OfferMade', occurredAt, data }), headers };
      });
      // Sends of at most MAX_MESSAGES_PER_SEND, as the services' outbox does: a larger record batch can exceed the broker's message.max.bytes.
      for (let i = 0; i < messages.length; i += MAX_MESSAGES_PER_SEND) await producer.send({ topic: TOPICS.offers, messages: messages.slice(i, i + MAX_MESSAGES_PER_SEND) });
      await heartbeat();
    },
  });
  await joined;
  return async () => {
    await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
  };
}

/** A passthrough running in a child process, in its own consumer group. */
export class PassthroughProcess {
  readonly groupId = `throughput-passthrough-${randomBytes(5).toString('hex')}`;
  private child?: ChildProcess;

  constructor(private readonly deployment: string) {}

  /** Starts the child (with this process's loader flags, so it runs from source) and waits until its group has joined. */
  async start(): Promise<void> {
    // Its stdin is a pipe from this process, which closes when this process ends however it ends: the child then stops too.
    const child = spawn(process.execPath, [...process.execArgv, __filename, this.deployment, this.groupId], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the passthrough exited with code ${code} before it was ready`)));
      createInterface({ input: child.stdout! }).on('line', (line) => line === 'ready' && resolve());
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
  }
}

if (require.main === module) {
  const [deployment, groupId] = process.argv.slice(2);
  void runPassthrough(deployment, groupId).then(
    (stop) => {
      console.log('ready');
      const exit = () => void stop().then(() => process.exit(0));
      process.once('SIGTERM', exit);
      process.once('SIGINT', exit);
      // The benchmark that started it is gone (killed, say, with no chance to stop it): a passthrough left
      // running would keep answering every task posted, in later runs too.
      process.stdin.once('end', exit).resume();
    },
    (error: Error) => {
      console.error(`passthrough: ${error.message}`);
      process.exit(2);
    },
  );
}
