import { ProcessedEventsPruner } from './processed-events';

describe('ProcessedEventsPruner', () => {
  afterEach(() => jest.useRealTimers());

  it('prunes once per interval, the claims older than the retention, until stopped; a round under way is not started again', async () => {
    jest.useFakeTimers({ now: new Date('2026-12-04T12:00:00Z') });
    const cuts: string[] = [];
    let release: () => void = () => undefined;
    const prune = jest.fn((olderThan: Date) => {
      cuts.push(olderThan.toISOString());
      return new Promise<number>((resolve) => (release = () => resolve(3)));
    });
    const pruner = new ProcessedEventsPruner(prune, 2 * 3_600_000, 60_000, { log: () => undefined, warn: () => undefined });
    pruner.start();
    await jest.advanceTimersByTimeAsync(59_999);
    expect(prune).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(cuts).toEqual(['2026-12-04T10:01:00.000Z']);
    // The first round is still deleting when the next is due: it is not started twice.
    await jest.advanceTimersByTimeAsync(60_000);
    expect(prune).toHaveBeenCalledTimes(1);
    release();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(cuts).toEqual(['2026-12-04T10:01:00.000Z', '2026-12-04T10:03:00.000Z']);
    release();
    await pruner.stop();
    await jest.advanceTimersByTimeAsync(600_000);
    expect(prune).toHaveBeenCalledTimes(2);
  });
});
