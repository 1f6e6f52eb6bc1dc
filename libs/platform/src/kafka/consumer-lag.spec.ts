import { PlatformMetrics } from '../http/platform-metrics';
import { ConsumerLag } from './consumer-lag';

describe('ConsumerLag', () => {
  let clock: number;
  const make = () => new ConsumerLag(60_000, () => clock);
  beforeEach(() => (clock = 1_000_000));

  it("is each partition's high watermark less the position after the handled offset, summed per topic", () => {
    const lag = make();
    lag.handled('t', 0, '100', '89'); // 90..99 still to handle
    lag.handled('t', 1, '50', '49'); // caught up
    lag.handled('u', 0, '7', '2');
    expect(lag.byTopic()).toEqual(new Map([['t', 10], ['u', 4]]));
  });

  it("keeps only a partition's latest batch", () => {
    const lag = make();
    lag.handled('t', 0, '100', '10');
    lag.handled('t', 0, '120', '110');
    expect(lag.byTopic().get('t')).toBe(9);
  });

  it('subtracts offsets beyond 2^53 exactly, and never reports less than 0', () => {
    const lag = make();
    lag.handled('t', 0, '9007199254740995', '9007199254740992');
    expect(lag.byTopic().get('t')).toBe(2);
    lag.handled('t', 0, '5', '9');
    expect(lag.byTopic().get('t')).toBe(0);
  });

  it('ignores a batch without a readable high watermark', () => {
    const lag = make();
    lag.handled('t', 0, undefined, '3');
    lag.handled('t', 1, 'n/a', '3');
    expect(lag.byTopic()).toEqual(new Map());
  });

  it('drops a partition whose batches stopped being handled (moved to another member) after the stale time', () => {
    const lag = make();
    lag.handled('t', 0, '100', '49');
    lag.handled('t', 1, '100', '89');
    clock += 30_000;
    lag.handled('t', 1, '110', '99');
    clock += 30_001;
    expect(lag.byTopic()).toEqual(new Map([['t', 10]]));
    clock += 60_000;
    expect(lag.byTopic()).toEqual(new Map());
  });
});

describe('clearwork_consumer_lag_messages', () => {
  it('shows the lag per topic on each scrape', async () => {
    const metrics = new PlatformMetrics('test');
    metrics.consumerLag.handled('gig.tasks.v1', 0, '10', '4');
    metrics.consumerLag.handled('gig.tasks.v1', 2, '8', '5');
    const gauge = await metrics.registry.getSingleMetric('clearwork_consumer_lag_messages')!.get();
    expect(gauge.values).toEqual([expect.objectContaining({ labels: expect.objectContaining({ topic: 'gig.tasks.v1' }), value: 7 })]);
  });
});
