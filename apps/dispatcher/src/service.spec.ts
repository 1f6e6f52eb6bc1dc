import { TOPICS } from '@clearwork/contracts';
import { fetchSettings } from '@clearwork/platform';
import { loadDispatcherConfig } from './config';
import { dispatcherService } from './service';

describe('the dispatcher\'s consumers', () => {
  const config = loadDispatcherConfig({});
  const options = dispatcherService(config);
  const tasks = options.ownConsumers?.find((c) => c.topics.includes(TOPICS.tasks));

  it('fetches posted tasks at once, whatever KAFKA_FETCH_* say', () => {
    expect(tasks?.topics).toEqual([TOPICS.tasks]);
    expect(fetchSettings(config, tasks?.fetch)).toEqual({ fetchMinBytes: 1, fetchMaxWaitMs: 5_000 });
    const waiting = loadDispatcherConfig({ KAFKA_FETCH_MIN_BYTES: String(1024 * 1024), KAFKA_FETCH_MAX_WAIT_MS: '2000' });
    expect(fetchSettings(waiting, dispatcherService(waiting).ownConsumers?.[0].fetch)).toEqual({ fetchMinBytes: 1, fetchMaxWaitMs: 5_000 });
  });

  it('gathers worker events, scores and policies for up to 100 ms by default, as KAFKA_FETCH_* say when set', () => {
    expect(fetchSettings(config)).toEqual({ fetchMinBytes: 256 * 1024, fetchMaxWaitMs: 100 });
    expect(fetchSettings(loadDispatcherConfig({ KAFKA_FETCH_MIN_BYTES: '1', KAFKA_FETCH_MAX_WAIT_MS: '40' }))).toEqual({ fetchMinBytes: 1, fetchMaxWaitMs: 40 });
  });
});
