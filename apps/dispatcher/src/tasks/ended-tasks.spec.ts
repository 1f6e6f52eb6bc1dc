import { PlatformMetrics } from '@clearwork/platform';
import type { DataSource } from 'typeorm';
import { loadDispatcherConfig } from '../config';
import { DispatcherMetrics } from '../dispatcher-metrics';
import { EndedTasks } from './ended-tasks';
import type { TaskStore } from './task-store';

type AfterBatch = (deleted: number, ms: number, more: boolean) => Promise<boolean> | boolean;

describe('EndedTasks', () => {
  afterEach(() => jest.useRealTimers());

  /** A store whose pruning runs `batches` batches of 1,000 tasks, each taking 50 ms, as long as it is let go on. */
  function storeOf(batches: number) {
    const calls: string[] = [];
    const store = {
      async pruneEnded(_m: unknown, _before: Date, { afterBatch }: { afterBatch?: AfterBatch } = {}) {
        let total = 0;
        for (let b = 0; b < batches; b++) {
          calls.push(`batch at ${Date.now()}`);
          total += 1_000;
          if (!(await afterBatch?.(1_000, 50, b < batches - 1))) break;
        }
        return total;
      },
    } as unknown as TaskStore;
    return { store, calls };
  }
  const metricsOf = () => new DispatcherMetrics(new PlatformMetrics('ended-tasks-spec'), async () => 0);
  const pruned = async (metrics: DispatcherMetrics) => (await metrics.tasksPruned.get()).values[0]?.value ?? 0;
  const endedTasks = (store: TaskStore, metrics: DispatcherMetrics) =>
    new EndedTasks({ manager: {} } as DataSource, store, loadDispatcherConfig({ DISPATCHER_TASK_RETENTION_DAYS: '30' }), metrics);

  it('waits four times a batch’s length before the next, and counts every batch', async () => {
    jest.useFakeTimers({ now: 0 });
    const { store, calls } = storeOf(3);
    const metrics = metricsOf();
    const ended = endedTasks(store, metrics);
    const round = ended.round(new Date(0));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(await round).toBe(3_000);
    expect(calls).toEqual(['batch at 0', 'batch at 200', 'batch at 400']);
    expect(await pruned(metrics)).toBe(3_000);
  });

  it('ends a round after the batch under way when the service stops, without waiting out the pause', async () => {
    jest.useFakeTimers({ now: 0 });
    const { store, calls } = storeOf(100);
    const metrics = metricsOf();
    const ended = endedTasks(store, metrics);
    const round = ended.round(new Date(0));
    await jest.advanceTimersByTimeAsync(250);
    const stopped = ended.onApplicationShutdown();
    // No timer is advanced: the pause under way ends at once, and no batch follows it.
    await stopped;
    expect(await round).toBe(2_000);
    expect(calls).toEqual(['batch at 0', 'batch at 200']);
    expect(await pruned(metrics)).toBe(2_000);
  });
});
