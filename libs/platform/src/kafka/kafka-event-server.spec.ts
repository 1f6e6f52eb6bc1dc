import { TOPICS } from '@clearwork/contracts';
import { aTaskPosted } from '@clearwork/testing';
import type { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { PlatformMetrics } from '../http/platform-metrics';
import { DeadLetterError } from './dead-letter-error';
import type { EventPublisher, OutgoingMessage } from './event-publisher';
import { BATCH_HANDLER, batchHandler, KafkaEventServer, type BatchedEvent, type BatchRejection } from './kafka-event-server';

const message = (offset: number, value: unknown): KafkaMessage =>
  ({ offset: String(offset), key: null, value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)), headers: {}, timestamp: '0', attributes: 0 }) as KafkaMessage;

/** A fetched batch of one partition, recording what the server resolves. */
function aBatch(partition: number, messages: KafkaMessage[], resolved: string[], stale = () => false): EachBatchPayload {
  return {
    batch: { topic: TOPICS.tasks, partition, messages },
    resolveOffset: (offset: string) => resolved.push(`${partition}@${offset}`),
    heartbeat: async () => undefined,
    isRunning: () => true,
    isStale: stale,
  } as unknown as EachBatchPayload;
}

function aServer(joinPartitions: boolean, extras: object, handler: (events: readonly BatchedEvent[]) => Promise<unknown>) {
  const published: OutgoingMessage[] = [];
  /** How many messages each publish request carried. */
  const requests: number[] = [];
  const metrics = new PlatformMetrics('test');
  const publisher = {
    publish: async (events: OutgoingMessage[]) => {
      requests.push(events.length);
      published.push(...events);
    },
  } as unknown as EventPublisher;
  const server = new KafkaEventServer({
    kafka: {} as Kafka,
    groupId: 'test',
    fromBeginning: true,
    sessionTimeoutMs: 30_000,
    commitIntervalMs: 0,
    publisher,
    metrics,
    joinPartitions,
  });
  server.addHandler(TOPICS.tasks, handler as never, true, extras);
  const take = (payload: EachBatchPayload) => (server as unknown as { handleBatch(p: EachBatchPayload): Promise<void> }).handleBatch(payload);
  return { take, published, requests, metrics };
}

/** A histogram's count and sum for the tasks topic, as a scrape reads them. */
async function histogram(metrics: PlatformMetrics, name: string): Promise<{ count: number; sum: number }> {
  const { values } = await metrics.registry.getSingleMetric(name)!.get();
  const of = (suffix: string) => values.find((v) => (v as { metricName?: string }).metricName === `${name}_${suffix}` && v.labels.topic === TOPICS.tasks)?.value ?? 0;
  return { count: of('count'), sum: of('sum') };
}

describe('KafkaEventServer batch handlers', () => {
  const events = Array.from({ length: 5 }, () => aTaskPosted());

  it("joins the partitions' batches taken up together into one call, keeping each partition's order", async () => {
    const calls: string[][] = [];
    const resolved: string[] = [];
    const { take } = aServer(true, BATCH_HANDLER, async (batch) => void calls.push(batch.map((e) => `${e.context.partition}@${e.context.offset}`)));
    await Promise.all([
      take(aBatch(0, [message(10, events[0]), message(11, events[1])], resolved)),
      take(aBatch(3, [message(7, events[2])], resolved)),
      take(aBatch(1, [message(4, events[3]), message(5, events[4])], resolved)),
    ]);
    expect(calls).toEqual([['0@10', '0@11', '3@7', '1@4', '1@5']]);
    expect(resolved.sort()).toEqual(['0@11', '1@5', '3@7']);
  });

  it('counts every message handled in a batch, and each call of the handler, with the time they took', async () => {
    const { take, metrics } = aServer(true, batchHandler(3), async () => new Promise((resolve) => setTimeout(resolve, 20)));
    await Promise.all([take(aBatch(0, [message(1, events[0]), message(2, events[1]), message(3, events[2])], [])), take(aBatch(1, [message(1, events[3]), message(2, events[4])], []))]);
    const perMessage = await histogram(metrics, 'clearwork_message_duration_seconds');
    const perCall = await histogram(metrics, 'clearwork_batch_duration_seconds');
    // Five messages in two calls (three, then two): the messages' time adds up to the calls'.
    expect(perMessage.count).toBe(5);
    expect(perCall.count).toBe(2);
    expect(perCall.sum).toBeGreaterThanOrEqual(0.035);
    expect(perMessage.sum).toBeCloseTo(perCall.sum, 6);
  });

  it('calls once per partition when joining is off', async () => {
    const calls: number[] = [];
    const { take } = aServer(false, BATCH_HANDLER, async (batch) => void calls.push(batch.length));
    await Promise.all([take(aBatch(0, [message(1, events[0]), message(2, events[1])], [])), take(aBatch(1, [message(1, events[2])], []))]);
    expect(calls).toEqual([2, 1]);
  });

  it('starts a new call for batches taken up after the first call began', async () => {
    const calls: number[] = [];
    const { take } = aServer(true, BATCH_HANDLER, async (batch) => void calls.push(batch.length));
    const first = take(aBatch(0, [message(1, events[0])], []));
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all([first, take(aBatch(1, [message(1, events[1]), message(2, events[2])], []))]);
    expect(calls).toEqual([1, 2]);
  });

  it("splits a joined batch at the handler's maximum and marks each partition handled as its events are", async () => {
    const resolved: string[] = [];
    const seen: string[] = [];
    const { take } = aServer(true, batchHandler(2), async (batch) => {
      seen.push(`call ${batch.length}, resolved so far ${resolved.length}`);
    });
    await Promise.all([take(aBatch(0, [message(1, events[0]), message(2, events[1]), message(3, events[2])], resolved)), take(aBatch(1, [message(9, events[3])], resolved))]);
    expect(seen).toEqual(['call 2, resolved so far 0', 'call 2, resolved so far 1']);
    expect(resolved).toEqual(['0@2', '0@3', '1@9']);
  });

  it('dead-letters a refused event from its own partition, and an invalid one before the call', async () => {
    const resolved: string[] = [];
    const { take, published } = aServer(true, BATCH_HANDLER, async (batch): Promise<BatchRejection[]> => {
      const refused = batch.find((e) => e.context.partition === 2)!;
      return [{ item: refused, error: new DeadLetterError('refused for the test') }];
    });
    await Promise.all([take(aBatch(0, [message(5, events[0]), message(6, 'not json')], resolved)), take(aBatch(2, [message(5, events[1])], resolved))]);
    const letters = published.map((p) => p.value as { partition: number; offset: string; error: { kind: string } });
    expect(letters.map((l) => `${l.partition}@${l.offset} ${l.error.kind}`).sort()).toEqual(['0@6 invalid_json', '2@5 rejected']);
    expect(resolved.sort()).toEqual(['0@6', '2@5']);
  });

  it("dead-letters a call's invalid messages in one request before the call and its refused events in one after, each with its reason", async () => {
    const posted = Array.from({ length: 40 }, () => aTaskPosted());
    const order: string[] = [];
    const { take, published, requests, metrics } = aServer(true, BATCH_HANDLER, async (batch): Promise<BatchRejection[]> => {
      order.push(`call after ${requests.length} requests`);
      return batch.filter((e) => Number(e.context.offset) % 2 === 1).map((item) => ({ item, error: new DeadLetterError(`refused ${item.context.offset}`) }));
    });
    // Partition 0: 40 valid events (offsets 0-39); partition 1: 6 that are not JSON.
    await Promise.all([
      take(aBatch(0, posted.map((e, i) => message(i, e)), [])),
      take(aBatch(1, Array.from({ length: 6 }, (_, i) => message(100 + i, 'not json')), [])),
    ]);
    expect(order).toEqual(['call after 1 requests']);
    expect(requests).toEqual([6, 20]);
    const letters = published.map((p) => p.value as { partition: number; offset: string; error: { kind: string; message: string } });
    expect(letters.slice(0, 6).map((l) => `${l.partition}@${l.offset} ${l.error.kind}`)).toEqual(Array.from({ length: 6 }, (_, i) => `1@${100 + i} invalid_json`));
    expect(letters.slice(6).map((l) => `${l.partition}@${l.offset} ${l.error.message}`)).toEqual(Array.from({ length: 20 }, (_, i) => `0@${2 * i + 1} refused ${2 * i + 1}`));
    const { values } = await metrics.registry.getSingleMetric('clearwork_dead_letters_total')!.get();
    expect(Object.fromEntries(values.map((v) => [v.labels.kind, v.value]))).toEqual({ invalid_json: 6, rejected: 20 });
  });

  it('leaves out a partition that was taken away (stale) and fails the call as a whole when the handler throws', async () => {
    const calls: string[][] = [];
    const { take } = aServer(true, BATCH_HANDLER, async (batch) => void calls.push(batch.map((e) => `${e.context.partition}`)));
    await Promise.all([take(aBatch(0, [message(1, events[0])], [])), take(aBatch(1, [message(1, events[1])], [], () => true))]);
    expect(calls).toEqual([['0']]);

    const failing = aServer(true, BATCH_HANDLER, async () => {
      throw new Error('database down');
    });
    const results = await Promise.allSettled([failing.take(aBatch(0, [message(1, events[0])], [])), failing.take(aBatch(4, [message(3, events[1])], []))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason.message).toMatch(/partition 0 offset 1: database down; will retry/);
  });
});
