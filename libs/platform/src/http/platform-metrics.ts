import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ConsumerLag } from '../kafka/consumer-lag';

/** The metrics every service exposes on `/metrics`; services register their own on `registry`. */
export class PlatformMetrics {
  readonly registry = new Registry();
  readonly messagesConsumed: Counter<'topic' | 'outcome'>;
  readonly deadLetters: Counter<'topic' | 'kind'>;
  readonly messageDuration: Histogram<'topic'>;
  readonly batchDuration: Histogram<'topic'>;
  readonly outboxPublished: Counter<'topic'>;
  readonly kafkaRequests: Counter<'client' | 'api'>;
  /** Fed by the Kafka transport as it handles batches; read on each scrape. */
  readonly consumerLag = new ConsumerLag();

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    this.messagesConsumed = new Counter({
      name: 'clearwork_messages_consumed_total',
      help: 'Kafka messages consumed, by topic and outcome (processed, dead_lettered, retried)',
      labelNames: ['topic', 'outcome'],
      registers: [this.registry],
    });
    this.deadLetters = new Counter({
      name: 'clearwork_dead_letters_total',
      help: 'Messages written to a dead-letter topic, by source topic and kind of failure',
      labelNames: ['topic', 'kind'],
      registers: [this.registry],
    });
    this.messageDuration = new Histogram({
      name: 'clearwork_message_duration_seconds',
      help: 'Time to validate and handle one consumed message (a message handled in a batch counts its share of the batch: the sum is the time spent handling, the count the messages)',
      labelNames: ['topic'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    this.batchDuration = new Histogram({
      name: 'clearwork_batch_duration_seconds',
      help: "Time to validate and handle one call of a batch handler (fetched messages handled together); the sum's rate is the share of time the consumer is busy",
      labelNames: ['topic'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.outboxPublished = new Counter({
      name: 'clearwork_outbox_published_total',
      help: 'Events published from the transactional outbox, by topic',
      labelNames: ['topic'],
      registers: [this.registry],
    });
    this.kafkaRequests = new Counter({
      name: 'clearwork_kafka_requests_total',
      help: 'Requests sent to the Kafka brokers, by client (consumer, producer) and API (Fetch, Produce, OffsetCommit, Heartbeat…)',
      labelNames: ['client', 'api'],
      registers: [this.registry],
    });
    const lag = this.consumerLag;
    new Gauge({
      name: 'clearwork_consumer_lag_messages',
      help: "Messages not yet handled by this consumer, by topic: each partition's high watermark when its last batch was fetched less the position handled, summed over the partitions it handled in the last minute",
      labelNames: ['topic'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [topic, messages] of lag.byTopic()) this.set({ topic }, messages);
      },
    });
  }
}
