import { performance } from 'node:perf_hooks';
import { PlatformMetrics, type OutboxEvent } from '@clearwork/platform';
import { DispatcherMetrics } from './dispatcher-metrics';

const event = (type: string, data: object = {}): OutboxEvent => ({ topic: 't', key: 'k', value: { eventId: type, type, data } as { eventId: string } });

describe('DispatcherMetrics', () => {
  let platform: PlatformMetrics;
  let metrics: DispatcherMetrics;
  let waiting: number;
  let counts: number;

  beforeEach(() => {
    platform = new PlatformMetrics('test');
    waiting = 3;
    counts = 0;
    metrics = new DispatcherMetrics(platform, async () => {
      counts++;
      return waiting;
    });
  });

  const values = async (name: string) => (await platform.registry.getSingleMetric(name)!.get()).values;
  const offers = async () => Object.fromEntries((await values('clearwork_dispatch_offers_total')).map((v) => [v.labels.outcome, v.value]));

  it('shows every offer outcome from the start, at 0', async () => {
    expect(await offers()).toEqual({ made: 0, accepted: 0, declined: 0, expired: 0, withdrawn: 0 });
  });

  it('counts offers by outcome from the events a unit committed, and declines where they are applied', async () => {
    metrics.unitCommitted([event('OfferMade'), event('OfferMade'), event('TaskAssigned'), event('OfferExpired'), event('OfferWithdrawn'), event('TaskWaiting')], performance.now());
    metrics.offersClosed('declined');
    expect(await offers()).toEqual({ made: 2, accepted: 1, declined: 1, expired: 1, withdrawn: 1 });
  });

  it('observes each decision recorded, by mode and by whether it made an offer, from the unit start', async () => {
    const startedAt = performance.now() - 40;
    metrics.unitCommitted(
      [
        event('DecisionRecorded', { mode: 'online', selectedWorkerId: 'w-1' }),
        event('DecisionRecorded', { mode: 'online', selectedWorkerId: null }),
        event('DecisionRecorded', { mode: 'batch', selectedWorkerId: 'w-2' }),
        event('OfferMade'),
      ],
      startedAt,
    );
    const histogram = (await metrics.decisionSeconds.get()).values;
    const observed = histogram.filter((v) => v.metricName === 'clearwork_dispatch_decision_seconds_count');
    expect(Object.fromEntries(observed.map((v) => [`${v.labels.mode}/${v.labels.outcome}`, v.value]))).toEqual({ 'online/offered': 1, 'online/waiting': 1, 'batch/offered': 1 });
    const sums = histogram.filter((v) => v.metricName === 'clearwork_dispatch_decision_seconds_sum');
    for (const sum of sums) expect(sum.value).toBeGreaterThanOrEqual(0.04);
  });

  it('reads the waiting replicas on a scrape, once for a storm of scrapes', async () => {
    await Promise.all([values('clearwork_dispatch_waiting_replicas'), values('clearwork_dispatch_waiting_replicas')]);
    waiting = 5;
    expect(await values('clearwork_dispatch_waiting_replicas')).toEqual([expect.objectContaining({ value: 3 })]);
    expect(counts).toBe(1);
  });
});
